package dev.heartbeats.common.kafka;

import org.apache.kafka.common.config.ConfigData;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.provider.ConfigProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Resolves the Kafka clients' secrets where and when a client is created (a Kafka config provider, KIP-421), so that
 * the client properties, which the Flink connector serialises into the job graph, hold only a reference such as
 * {@code ${heartbeats:env:KAFKA_SASL_PASSWORD}} or {@code ${heartbeats:file:/etc/heartbeats/kafka/password}}.
 *
 * <p>Paths: {@code env} (the key is an environment variable), {@code file} (the key is a file, read without its
 * trailing line break), and {@code jaas-env} / {@code jaas-file}, the same escaped for a quoted JAAS option value.
 */
public final class SecretConfigProvider implements ConfigProvider {
    /** The alias the client properties give this provider ({@code config.providers}). */
    public static final String ALIAS = "heartbeats";

    @Override
    public void configure(Map<String, ?> configs) {}

    @Override
    public ConfigData get(String path) {
        throw new ConfigException("the " + ALIAS + " config provider resolves single keys only (${" + ALIAS + ":" + path + ":<key>})");
    }

    @Override
    public ConfigData get(String path, Set<String> keys) {
        Map<String, String> out = new HashMap<>();
        for (String key : keys) {
            String value = switch (path) {
                case "env", "jaas-env" -> env(key);
                case "file", "jaas-file" -> file(key);
                default -> throw new ConfigException("config provider " + ALIAS + ": unknown path '" + path + "' (env, file, jaas-env or jaas-file)");
            };
            out.put(key, path.startsWith("jaas-") ? jaasQuoted(value) : value);
        }
        return new ConfigData(out);
    }

    /** A reference to the environment variable {@code name}. */
    public static String env(String name, boolean inJaas) {
        return "${" + ALIAS + ":" + (inJaas ? "jaas-env" : "env") + ":" + name + "}";
    }

    /** A reference to the content of {@code file}. */
    public static String file(String file, boolean inJaas) {
        return "${" + ALIAS + ":" + (inJaas ? "jaas-file" : "file") + ":" + file + "}";
    }

    private static String env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) throw new ConfigException("the environment variable " + name + " is not set");
        return v;
    }

    private static String file(String file) {
        try {
            String s = Files.readString(Path.of(file));
            int end = s.length();
            while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) end--;
            return s.substring(0, end);
        } catch (IOException e) {
            throw new ConfigException("cannot read the secret file " + file + ": " + e);
        }
    }

    /** The JAAS parser reads quoted values with backslash escapes: a quote or backslash in a password must be escaped. */
    static String jaasQuoted(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    @Override
    public void close() {}
}
