package dev.heartbeats.common.contract;

/**
 * The {@code event} field of a heartbeat. The declaration order of the content events is the contract's
 * tie-break order for de-duplication ("the last in the order play, pause, seek, stop"), so {@link #ordinal()}
 * is the tie-break rank.
 */
public enum EventType {
    PLAY("play"),
    PAUSE("pause"),
    SEEK("seek"),
    STOP("stop"),
    AD("ad");

    private static final EventType[] VALUES = values();

    private final String wireName;

    EventType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public boolean isContent() {
        return this != AD;
    }

    /** The event for a wire name, or {@code null} when the name is not one of the contract's events. */
    public static EventType fromWireName(String name) {
        switch (name) {
            case "play": return PLAY;
            case "pause": return PAUSE;
            case "seek": return SEEK;
            case "stop": return STOP;
            case "ad": return AD;
            default: return null;
        }
    }

    public static EventType ofOrdinal(int ordinal) {
        return VALUES[ordinal];
    }
}
