package dev.heartbeats.adimpressions;

import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.pipeline.PairKey;
import org.apache.flink.api.java.functions.KeySelector;

/** The key (user_id, video_id, ad_id) of an ad heartbeat, joined by U+0000 like {@link PairKey}: injective. */
public final class AdViewKey implements KeySelector<Heartbeat, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(Heartbeat h) {
        return of(h.userId, h.videoId, h.adId);
    }

    public static String of(String userId, String videoId, String adId) {
        return userId + PairKey.SEPARATOR + videoId + PairKey.SEPARATOR + adId;
    }
}
