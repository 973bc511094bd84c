package dev.heartbeats.generator;

import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * One simulated viewer watching one video: a small state machine that always knows its next heartbeat
 * ({@link #time}, {@link #event}, {@link #pos}, and the ad fields while an ad plays). {@link #heartbeat} returns that
 * heartbeat and {@link #advance} plans the following one. Each viewer draws from its own random stream, seeded from the generator's
 * seed and its user number, so its behaviour does not depend on how viewers interleave.
 */
final class Viewer {
    /** What happened to the viewer after its last heartbeat. */
    enum Outcome {
        /** Still watching (or coming back within minutes). */
        ACTIVE,
        /** Comes back to the same video after more than an hour; meanwhile a new viewer takes its place. */
        AWAY,
        /** Gone for good; a new viewer takes its place. */
        ENDED
    }

    // Chances per play heartbeat (every 5 s): a viewing lasts ~15 min, with a pause, a seek or an ad break every few minutes.
    private static final double P_END = 1.0 / 180;
    private static final double P_PAUSE = 1.0 / 120;
    private static final double P_SEEK = 1.0 / 150;
    private static final double P_AD_BREAK = 1.0 / 240;
    private static final double P_SWITCH_DEVICE = 1.0 / 400;
    private static final long BEAT_MS = 5_000;
    private static final long JITTER_MS = 300;
    private static final long HOUR_MS = 3_600_000;

    private final Catalog catalog;
    private final SplittableRandom rnd;
    final long userNum;
    final String userId;
    final byte[] key;
    private final String videoId;
    private final long videoLen;
    private final double rate;
    private final boolean sendsDeviceId;
    /** Gone for more than an hour; the generator counts it as watching again at its next heartbeat. */
    boolean away;
    private int deviceNum;
    private String deviceId;

    // The next heartbeat.
    long time;
    private EventType event;
    private long pos;

    private long pauseUntil;

    // The ad view in progress: its ad, how far it has played, where it ends (its length, or where it is abandoned).
    private int ad = -1;
    private long adPos;
    private long adEnd;
    private boolean adAbandoned;
    private int adsLeftInBreak;

    /** The catalog arrays, built once per generator so that the hot path never formats an id. */
    static final class Catalog {
        final String[] videoIds;
        final long[] videoLengths;
        final String[] adIds;
        final long[] adDurations;

        Catalog(int videos, int ads) {
            videoIds = new String[videos];
            videoLengths = new long[videos];
            for (int i = 0; i < videos; i++) {
                videoIds[i] = SampleCatalog.videoId(i);
                videoLengths[i] = SampleCatalog.videoDurationMs(i);
            }
            adIds = new String[ads];
            adDurations = new long[ads];
            for (int i = 0; i < ads; i++) {
                adIds[i] = SampleCatalog.adId(i);
                adDurations[i] = SampleCatalog.adDurationMs(i);
            }
        }
    }

    /**
     * @param startAt  the earliest time of the first heartbeat
     * @param midVideo whether this viewer was already watching when the generator started (then it may be anywhere in the video)
     */
    Viewer(Catalog catalog, long seed, long userNum, long startAt, boolean midVideo) {
        this.catalog = catalog;
        this.rnd = new SplittableRandom(SampleCatalog.mix(seed * 0x9E3779B97F4A7C15L + userNum));
        this.userNum = userNum;
        this.userId = SampleCatalog.id("u", userNum, 6);
        this.key = userId.getBytes(StandardCharsets.UTF_8);
        // Popularity is skewed: a quarter of the catalog gets half of the viewers.
        double u = rnd.nextDouble();
        int video = (int) (catalog.videoIds.length * u * u);
        this.videoId = catalog.videoIds[video];
        this.videoLen = catalog.videoLengths[video];
        int r = rnd.nextInt(20);
        this.rate = r < 15 ? 1.0 : r < 17 ? 1.25 : r < 19 ? 1.5 : 2.0;
        this.sendsDeviceId = rnd.nextInt(20) != 0; // device_id is optional: some players leave it out
        this.deviceNum = 0;
        newDevice();
        this.time = startAt + (midVideo ? rnd.nextLong(BEAT_MS) : rnd.nextLong(200, 10_000));
        this.pos = midVideo || rnd.nextInt(5) == 0 ? roundToSecond(rnd.nextLong(videoLen / 2)) : 0;
        this.event = EventType.PLAY;
        // A new viewer often starts with a pre-roll; one already watching is rarely in an ad (else a live start bursts).
        if (rnd.nextInt(100) < (midVideo ? 5 : 30)) startAdBreak(time, 1);
    }

    /** The planned heartbeat. */
    Heartbeat heartbeat() {
        if (event == EventType.AD) {
            Heartbeat h = Heartbeat.ad(userId, videoId, time, pos, catalog.adIds[ad], adPos, catalog.adDurations[ad]);
            h.deviceId = deviceId;
            return h;
        }
        return Heartbeat.content(userId, videoId, time, pos, event, deviceId);
    }

    /** Plans the heartbeat after the current one. */
    Outcome advance() {
        long t = time;
        switch (event) {
            case STOP:
                return endViewing(t);
            case SEEK:
                next(t + beatInterval(), EventType.PLAY, t);
                return Outcome.ACTIVE;
            case PAUSE: {
                long at = t + beatInterval();
                if (at < pauseUntil) {
                    time = at; // another pause heartbeat, same position
                } else {
                    next(at, EventType.PLAY, pauseUntil);
                }
                return Outcome.ACTIVE;
            }
            case AD:
                return advanceAd(t);
            default:
                return advancePlay(t);
        }
    }

    private Outcome advancePlay(long t) {
        double r = rnd.nextDouble();
        if ((r -= P_END) < 0) {
            if (rnd.nextInt(5) == 0) return endViewing(t); // goes silent: this play heartbeat was the last
            next(t + rnd.nextLong(500, BEAT_MS), EventType.STOP, t);
        } else if ((r -= P_PAUSE) < 0) {
            long pausedAt = t + rnd.nextLong(BEAT_MS - JITTER_MS); // before the first pause heartbeat
            pos = Math.min(videoLen, pos + played(pausedAt - t));
            pauseUntil = pausedAt + rnd.nextLong(10_000, 60_001);
            next(t + beatInterval(), EventType.PAUSE, Long.MAX_VALUE);
        } else if ((r -= P_SEEK) < 0) {
            long target = rnd.nextInt(5) < 3 ? pos + rnd.nextLong(10_000, 600_000) : pos - rnd.nextLong(10_000, 300_000);
            pos = roundToSecond(Math.max(0, Math.min(videoLen - 30_000, target)));
            time = t + rnd.nextLong(500, 3_000);
            event = EventType.SEEK;
        } else if ((r -= P_AD_BREAK) < 0) {
            long at = t + rnd.nextLong(500, BEAT_MS);
            pos += played(at - t);
            if (pos >= videoLen) {
                next(at, EventType.STOP, Long.MAX_VALUE);
            } else {
                startAdBreak(at, 1 + rnd.nextInt(2));
            }
        } else if ((r -= P_SWITCH_DEVICE) < 0 && sendsDeviceId) {
            // Continues on another device a little later, about where it left off.
            long at = t + rnd.nextLong(BEAT_MS, 20_000);
            newDevice();
            next(at, EventType.PLAY, at - rnd.nextLong(BEAT_MS));
        } else {
            next(t + beatInterval(), EventType.PLAY, t);
        }
        return Outcome.ACTIVE;
    }

    private Outcome advanceAd(long t) {
        if (adPos < adEnd) {
            long step = rnd.nextLong(1_000, 2_001);
            if (adPos + step >= adEnd) step = adEnd - adPos; // the last heartbeat of the view sits exactly at its end
            adPos += step;
            time = t + step;
            return Outcome.ACTIVE;
        }
        // This was the view's last heartbeat.
        if (adAbandoned && rnd.nextBoolean()) {
            // The viewer leaves during the ad: silently, or with a stop.
            if (rnd.nextBoolean()) return endViewing(t);
            next(t + rnd.nextLong(200, 1_000), EventType.STOP, Long.MAX_VALUE);
            return Outcome.ACTIVE;
        }
        if (--adsLeftInBreak > 0) {
            startAd(t + rnd.nextLong(100, 1_000));
        } else {
            long resumedAt = t + rnd.nextLong(100, 1_000);
            next(resumedAt + beatInterval(), EventType.PLAY, resumedAt);
        }
        return Outcome.ACTIVE;
    }

    /** After a stop or silence: sometimes the viewer comes back to the same video, which starts a new session. */
    private Outcome endViewing(long t) {
        double r = rnd.nextDouble();
        if (r < 0.15) {
            comeBack(t + rnd.nextLong(31_000, 600_000)); // > G = 30 s: a new session
            return Outcome.ACTIVE;
        }
        if (r < 0.25) {
            comeBack(t + rnd.nextLong(HOUR_MS + 1_000, 3 * HOUR_MS));
            return Outcome.AWAY;
        }
        return Outcome.ENDED;
    }

    private void comeBack(long at) {
        if (pos >= videoLen - 60_000) pos = 0; // finished it: watches again from the start
        if (sendsDeviceId && rnd.nextInt(3) == 0) newDevice();
        time = at;
        event = EventType.PLAY;
        if (rnd.nextInt(10) < 3) startAdBreak(at, 1);
    }

    /**
     * The next content heartbeat at {@code at}; for a play, the content played from {@code playingSince} until then
     * (at {@link #rate}) advances the position. Reaching the end of the video makes it a stop at the end.
     */
    private void next(long at, EventType ev, long playingSince) {
        if (playingSince < at) pos += played(at - playingSince);
        time = at;
        event = ev;
        if (pos >= videoLen) {
            pos = videoLen;
            event = EventType.STOP;
        }
    }

    private void startAdBreak(long at, int ads) {
        adsLeftInBreak = ads;
        startAd(at);
    }

    private void startAd(long at) {
        int n = catalog.adIds.length;
        // Never the same ad twice in a row: the two views would merge into one (same user, video and ad, no gap).
        ad = ad < 0 || n == 1 ? rnd.nextInt(n) : (ad + 1 + rnd.nextInt(n - 1)) % n;
        long duration = catalog.adDurations[ad];
        adPos = 0;
        adAbandoned = rnd.nextInt(10) < 3;
        if (!adAbandoned) {
            adEnd = duration;
        } else if (rnd.nextInt(5) < 2) {
            adEnd = rnd.nextLong(200, 2_000); // before an impression counts
        } else {
            adEnd = rnd.nextLong(2_000, duration - 2_500);
        }
        time = at;
        event = EventType.AD;
    }

    private void newDevice() {
        deviceNum++;
        deviceId = sendsDeviceId ? "d-" + userId + "-" + deviceNum : null;
    }

    private long played(long elapsedMs) {
        return (long) (elapsedMs * rate);
    }

    private long beatInterval() {
        return BEAT_MS + rnd.nextLong(-JITTER_MS, JITTER_MS + 1);
    }

    private static long roundToSecond(long ms) {
        return ms / 1000 * 1000;
    }
}
