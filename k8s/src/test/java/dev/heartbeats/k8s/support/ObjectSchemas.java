package dev.heartbeats.k8s.support;

import java.util.List;
import java.util.Map;

/**
 * The schema of every object a manifest may hold, from the repository alone: custom resources against the CRDs of
 * k8s/crds ({@link CrdSchemas}), core Kubernetes objects against k8s/schemas ({@link CoreSchemas}).
 */
public final class ObjectSchemas {
    private static ObjectSchemas instance;

    public final CrdSchemas crds;
    public final CoreSchemas core;

    private ObjectSchemas(CrdSchemas crds, CoreSchemas core) {
        this.crds = crds;
        this.core = core;
    }

    public static synchronized ObjectSchemas get() {
        if (instance == null) {
            CrdSchemas crds = CrdSchemas.load();
            instance = new ObjectSchemas(crds, CoreSchemas.load(Repo.read(Repo.k8s().resolve(CoreSchemas.FILE)), crds));
        }
        return instance;
    }

    /** Every problem of one object, each prefixed with "Kind/name: ". */
    public List<String> validate(Map<String, Object> resource) {
        Object apiVersion = resource.get("apiVersion");
        return CoreSchemas.isCore(apiVersion instanceof String s ? s : null) ? core.validate(resource) : crds.validate(resource);
    }
}
