package dev.heartbeats.common.kafka;

import org.apache.kafka.common.config.TopicConfig;

import java.util.Map;

/**
 * The size limits of the contract's topics, in one place: the Kubernetes manifests ({@code k8s/base/kafka/topics.yaml},
 * compared by a test), the embedded broker of the local run and the tests, and the default bound of a dead letter all
 * follow them, so that what passes locally is what a production topic accepts.
 */
public final class TopicLimits {
    private TopicLimits() {}

    /**
     * {@code max.message.bytes} of the input topic: Kafka's own default. A producer that compresses gets far larger
     * values through (the limit applies to the compressed batch), which the dead-letter path must cope with.
     */
    public static final int INPUT_MAX_MESSAGE_BYTES = 1_048_588;

    /** {@code max.message.bytes} of the dead-letter and late topics. */
    public static final int DEAD_LETTER_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

    /** The topic configuration the limits above set, for the input topic. */
    public static Map<String, String> inputTopicConfig() {
        return Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(INPUT_MAX_MESSAGE_BYTES));
    }

    /** The topic configuration the limits above set, for the dead-letter and late topics. */
    public static Map<String, String> deadLetterTopicConfig() {
        return Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(DEAD_LETTER_MAX_MESSAGE_BYTES));
    }
}
