package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.contract.Heartbeat;
import org.apache.flink.api.java.functions.KeySelector;

/**
 * The key (user_id, video_id) as one string joined by U+0000, which the contract forbids inside ids: injective,
 * and cheaper to hash and serialize than a tuple.
 */
public final class PairKey implements KeySelector<Heartbeat, String> {
    private static final long serialVersionUID = 1L;
    public static final char SEPARATOR = '\0';

    @Override
    public String getKey(Heartbeat h) {
        return of(h.userId, h.videoId);
    }

    public static String of(String userId, String videoId) {
        return userId + SEPARATOR + videoId;
    }

    public static String userId(String key) {
        return key.substring(0, key.indexOf(SEPARATOR));
    }

    public static String videoId(String key) {
        return key.substring(key.indexOf(SEPARATOR) + 1);
    }
}
