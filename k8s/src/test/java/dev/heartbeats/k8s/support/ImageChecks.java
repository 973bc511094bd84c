package dev.heartbeats.k8s.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What can be checked of the job image without a Docker engine, by reading k8s/image/Dockerfile: the base image is the
 * official flink image of the root pom's flink.version (Java 17), every FlinkDeployment's jarURI is a file the
 * Dockerfile copies (and nothing else lands in usrlib), the staged jar names are the ones scripts/k8s-build-image.sh
 * stages, and the plugins the configuration needs (S3, Prometheus) are enabled.
 */
public final class ImageChecks {
    private ImageChecks() {}

    private static final Pattern FROM = Pattern.compile("(?im)^FROM\\s+(\\S+)");
    private static final Pattern COPY = Pattern.compile("(?im)^COPY\\s+(?:--\\S+\\s+)*(\\S+)\\s+(\\S+)\\s*$");
    public static final String USRLIB = "/opt/flink/usrlib/";

    /** usrlib destination -> COPY source, in file order. */
    public static Map<String, String> usrlibCopies(String dockerfile) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = COPY.matcher(joinContinuations(dockerfile));
        while (m.find()) {
            if (m.group(2).startsWith(USRLIB)) out.put(m.group(2), m.group(1));
        }
        return out;
    }

    public static List<String> check(String dockerfile, String flinkVersion, Set<String> jarUris) {
        List<String> errors = new ArrayList<>();
        String text = joinContinuations(dockerfile);
        List<String> froms = new ArrayList<>();
        Matcher f = FROM.matcher(text);
        while (f.find()) froms.add(f.group(1));
        if (froms.size() != 1) {
            errors.add("the Dockerfile must have exactly one FROM (a single stage on the official image), has " + froms);
        } else {
            String base = froms.get(0);
            if (!base.matches("(docker\\.io/(library/)?)?flink:" + Pattern.quote(flinkVersion) + "-java17")) {
                errors.add("base image " + base + " does not match the root pom's flink.version " + flinkVersion
                        + " (expected flink:" + flinkVersion + "-java17)");
            }
        }
        Map<String, String> copies = usrlibCopies(dockerfile);
        Set<String> wanted = new TreeSet<>();
        for (String uri : jarUris) {
            if (!uri.startsWith("local://")) {
                errors.add("jarURI " + uri + " is not local:// (the jobs ship in the image)");
                continue;
            }
            String path = uri.substring("local://".length());
            wanted.add(path);
            if (!copies.containsKey(path)) errors.add("jarURI " + uri + ": the image has no COPY to " + path + " (has " + copies.keySet() + ")");
        }
        for (Map.Entry<String, String> c : copies.entrySet()) {
            if (!wanted.contains(c.getKey())) errors.add("the image copies " + c.getKey() + ", which no FlinkDeployment's jarURI names");
            String file = c.getKey().substring(USRLIB.length());
            if (!c.getValue().equals("jars/" + file)) {
                errors.add("COPY " + c.getValue() + " " + c.getKey() + ": scripts/k8s-build-image.sh stages the jar as jars/" + file);
            }
        }
        if (!Pattern.compile("/opt/flink/plugins/s3-fs-(hadoop|presto)").matcher(text).find()
                || !Pattern.compile("flink-s3-fs-(hadoop|presto)").matcher(text).find()) {
            errors.add("no S3 filesystem plugin: checkpoints, savepoints and HA live on s3:// (copy /opt/flink/opt/flink-s3-fs-hadoop-*.jar "
                    + "into /opt/flink/plugins/s3-fs-hadoop/)");
        }
        if (!text.contains("/opt/flink/plugins/metrics-prometheus/")) {
            errors.add("the Prometheus reporter plugin (/opt/flink/plugins/metrics-prometheus/) is not ensured");
        }
        return errors;
    }

    /**
     * A mutable tag (a -SNAPSHOT version, latest, or none) must not be pulled only when absent: a node would keep an
     * old build under the same name. Kubernetes' default for such images is IfNotPresent unless the tag is latest.
     */
    public static List<String> pullPolicyProblems(String who, String image, String pullPolicy) {
        List<String> out = new ArrayList<>();
        String last = image == null ? "" : image.substring(image.lastIndexOf('/') + 1);
        String tag = last.contains(":") ? last.substring(last.indexOf(':') + 1) : "latest";
        boolean mutable = tag.equals("latest") || tag.endsWith("-SNAPSHOT");
        String effective = pullPolicy != null ? pullPolicy : tag.equals("latest") ? "Always" : "IfNotPresent";
        if (mutable && effective.equals("IfNotPresent")) {
            out.add(who + ": image " + image + " has a mutable tag but is pulled only if not present (imagePullPolicy "
                    + effective + "): use Always, Never for an image loaded into the node, or an immutable tag");
        }
        return out;
    }

    private static String joinContinuations(String s) {
        return s.replaceAll("\\\\\\r?\\n", " ");
    }
}
