package dev.heartbeats.adimpressions;

/**
 * The keyed state of one (user, video, ad_id): the views that can still change, sorted by start (usually one), and
 * the pending cleanup timer. A Flink POJO so that its serializer can evolve.
 */
public class AdViewsState {
    private static final AdView[] NONE = new AdView[0];

    public AdView[] views = NONE;
    /** The pending event-time timer, or {@link Long#MIN_VALUE}. */
    public long timerTime = Long.MIN_VALUE;

    public AdViewsState() {}
}
