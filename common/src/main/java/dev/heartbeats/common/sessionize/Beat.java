package dev.heartbeats.common.sessionize;

import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import org.apache.flink.api.common.typeinfo.TypeInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * A heartbeat as the timeline of one (user, video) pair keeps it: what sessions and segments need, nothing more.
 * An {@code ad} heartbeat only matters to sessions through its time, so it is kept as a time marker. Stored with
 * {@link BeatSerializer} (a compact, versioned format).
 */
@TypeInfo(BeatSerializer.Factory.class)
public class Beat {
    public long time;
    public long pos;
    /** {@link EventType#ordinal()}. */
    public byte event;
    /** Absent device: {@code null}. */
    public String device;

    public Beat() {}

    public Beat(long time, long pos, EventType event, String device) {
        this.time = time;
        this.pos = pos;
        this.event = (byte) event.ordinal();
        this.device = device;
    }

    public static Beat of(Heartbeat h) {
        return h.isContent() ? new Beat(h.eventTime, h.positionMs, h.event, h.deviceId) : new Beat(h.eventTime, 0, EventType.AD, null);
    }

    /**
     * {@link #of(Heartbeat)}, sharing {@code knownDevice} (the pair's last device) when the heartbeat's device is
     * equal: a pair's beats are held by the thousands in the state cache, and a device string each doubled their size.
     */
    public static Beat of(Heartbeat h, String knownDevice) {
        Beat b = of(h);
        if (b.device != null && b.device.equals(knownDevice)) b.device = knownDevice;
        return b;
    }

    public boolean isAd() {
        return event == EventType.AD.ordinal();
    }

    public EventType eventType() {
        return EventType.ofOrdinal(event);
    }

    /** The contract's order: by time, content before ad at equal times. */
    public static int compareOrder(Beat a, Beat b) {
        int c = Long.compare(a.time, b.time);
        return c != 0 ? c : Boolean.compare(a.isAd(), b.isAd());
    }

    /**
     * Of two content beats with the same time, whether {@code a} is the one that counts: largest position, then last
     * in the order play, pause, seek, stop, then greatest device id by code points (absent is least).
     */
    public static boolean wins(Beat a, Beat b) {
        if (a.pos != b.pos) return a.pos > b.pos;
        if (a.event != b.event) return a.event > b.event;
        return compareDevices(a.device, b.device) > 0;
    }

    /** Device ids compared by Unicode code points (not UTF-16 units); {@code null} is least. */
    public static int compareDevices(String a, String b) {
        if (a == null || b == null) return a == null ? (b == null ? 0 : -1) : 1;
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    /**
     * Sorts in contract order and de-duplicates: one content beat (the winner) and one ad marker per time. Beats of
     * the same device end up sharing one device string (they come from RocksDB with a string each).
     */
    public static List<Beat> sortedDistinct(List<Beat> beats) {
        List<Beat> sorted = new ArrayList<>(beats);
        sorted.sort(Beat::compareOrder);
        List<Beat> out = new ArrayList<>(sorted.size());
        String device = null;
        for (Beat b : sorted) {
            if (b.device != null) {
                if (b.device.equals(device)) b.device = device;
                else device = b.device;
            }
            Beat last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last.time == b.time && last.isAd() == b.isAd()) {
                if (!b.isAd() && wins(b, last)) out.set(out.size() - 1, b);
            } else {
                out.add(b);
            }
        }
        return out;
    }

    public boolean sameAs(Beat o) {
        return time == o.time && pos == o.pos && event == o.event && java.util.Objects.equals(device, o.device);
    }

    @Override
    public String toString() {
        return eventType().wireName() + "@" + time + (isAd() ? "" : ":" + pos + (device == null ? "" : "/" + device));
    }
}
