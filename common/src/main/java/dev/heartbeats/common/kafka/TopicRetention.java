package dev.heartbeats.common.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/** How long a topic keeps its records ({@code retention.ms}), as the broker reports it. */
public final class TopicRetention {
    /** The value of {@code retention.ms} that means "keep forever". */
    public static final long UNLIMITED = -1;

    private TopicRetention() {}

    /**
     * The topic's {@code retention.ms} (its own setting or the broker's default; {@link #UNLIMITED} for none), or empty
     * when the broker cannot be asked within {@code timeout} (not reachable, no DescribeConfigs permission, no topic).
     */
    public static OptionalLong of(KafkaClientConfig kafka, String topic, Duration timeout) {
        int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        Map<String, Object> props = Map.of(
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms,
                AdminClientConfig.CLIENT_ID_CONFIG, "heartbeats-topic-retention");
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Admin admin = Admin.create(kafka.properties(props));
        try {
            Config config = admin.describeConfigs(List.of(resource)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(resource);
            ConfigEntry retention = config == null ? null : config.get(TopicConfig.RETENTION_MS_CONFIG);
            if (retention == null || retention.value() == null) return OptionalLong.empty();
            long value = Long.parseLong(retention.value());
            return OptionalLong.of(value < 0 ? UNLIMITED : value);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        } catch (Exception e) {
            return OptionalLong.empty();
        } finally {
            admin.close(Duration.ofSeconds(1));
        }
    }
}
