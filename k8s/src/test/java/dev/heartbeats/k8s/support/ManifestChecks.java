package dev.heartbeats.k8s.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The checks on Flink resources, by name, so that the good manifests and the broken ones go through the same code. */
public enum ManifestChecks {
    /**
     * Strict validation of every object (like kubectl apply --validate=strict): custom resources against their CRDs
     * (k8s/crds), core objects against k8s/schemas/kubernetes-core.yaml.
     */
    SCHEMA,
    /** The operator's admission rules (dirs for the upgrade mode, name, jarURI, parallelism, resources, ...). */
    ADMISSION,
    /** Every flinkConfiguration key is a Flink 2.2 option (or a listed operator/filesystem key) and its value parses. */
    CONFIG,
    /** The entry class exists and the job's own parser accepts the args; the DB password comes from a Secret. */
    ARGS;

    public List<String> run(Manifests m) {
        List<String> errors = new ArrayList<>();
        if (this == SCHEMA) {
            ObjectSchemas schemas = ObjectSchemas.get();
            for (Map<String, Object> r : m.resources) errors.addAll(schemas.validate(r));
            return errors;
        }
        for (Map<String, Object> r : m.flinkResources()) {
            switch (this) {
                case SCHEMA -> throw new AssertionError("handled above");
                case ADMISSION -> errors.addAll(OperatorRules.validate(r));
                case CONFIG -> {
                    Object conf = Manifests.at(r, "spec.flinkConfiguration");
                    if (conf != null) errors.addAll(FlinkConfigKeys.get().check(Manifests.id(r) + ": ", Manifests.map(conf)));
                }
                case ARGS -> {
                    if (Manifests.kind(r).equals("FlinkDeployment") && Manifests.at(r, "spec.job") != null) errors.addAll(JobArgs.check(r));
                }
            }
        }
        return errors;
    }
}
