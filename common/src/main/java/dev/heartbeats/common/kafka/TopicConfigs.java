package dev.heartbeats.common.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** One configuration value of some topics, as the broker reports it (the topic's own setting or the broker's default). */
public final class TopicConfigs {
    private TopicConfigs() {}

    /**
     * {@code key} of each of {@code topics} that the broker could describe, asked with the client properties
     * {@code client} (bootstrap servers, security); a topic is missing from the answer when the broker cannot be asked
     * within {@code timeout} (not reachable, no DescribeConfigs permission) or the topic does not exist.
     */
    public static Map<String, String> of(Properties client, List<String> topics, String key, Duration timeout) {
        int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        Properties props = new Properties();
        props.putAll(client);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "heartbeats-topic-configs");
        List<ConfigResource> resources = new ArrayList<>();
        for (String t : topics) resources.add(new ConfigResource(ConfigResource.Type.TOPIC, t));
        Map<String, String> out = new LinkedHashMap<>();
        Admin admin = Admin.create(props);
        try {
            var described = admin.describeConfigs(resources).values();
            long deadline = System.nanoTime() + timeout.toNanos();
            for (ConfigResource r : resources) {
                try {
                    Config config = described.get(r).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    ConfigEntry e = config == null ? null : config.get(key);
                    if (e != null && e.value() != null) out.put(r.name(), e.value());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return out;
                } catch (Exception e) {
                    // unknown topic, no permission, timeout: the caller decides what an unknown value means
                }
            }
            return out;
        } finally {
            admin.close(Duration.ofSeconds(1));
        }
    }
}
