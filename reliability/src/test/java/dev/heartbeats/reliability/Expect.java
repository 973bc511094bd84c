package dev.heartbeats.reliability;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.tables.CatalogLoader;
import dev.heartbeats.testing.ContractReference;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the jobs must produce from what a {@link Feed} sent: the exact source positions ("partition@offset") that
 * belong in the dead-letter topic and in the late topic, and the contract's tables over the heartbeats that count.
 *
 * <p>The too-late rule is the suite's (README, interpretation 10), judged per partition in offset order: a valid
 * heartbeat is too late when it is more than L behind the largest event time of the valid, not-too-late heartbeats
 * before it in its partition, minus the out-of-orderness, minus 1 ms. The same rule as
 * {@code DifferentialRun.tooLate}, over records sent by the feed instead of all at once.
 */
final class Expect {
    final Set<String> invalid;
    final Set<String> tooLate;
    final List<Heartbeat> counted;
    final ContractReference.Expected tables;
    final Map<String, Feed.Item> byPosition;
    final int sent;

    private Expect(List<Feed.Item> items, ContractParams p, long outOfOrdernessMs, Map<String, String> licensors) {
        this.sent = items.size();
        Map<String, Feed.Item> pos = new HashMap<>();
        Map<Integer, List<Feed.Item>> byPartition = new HashMap<>();
        Set<String> inv = new HashSet<>();
        for (Feed.Item it : items) {
            pos.put(it.position(), it);
            byPartition.computeIfAbsent(it.partition, k -> new ArrayList<>()).add(it);
            if (!it.valid()) inv.add(it.position());
        }
        Set<String> late = new HashSet<>();
        for (List<Feed.Item> records : byPartition.values()) {
            records.sort((a, b) -> Long.compare(a.offset, b.offset));
            long max = Long.MIN_VALUE;
            for (Feed.Item it : records) {
                if (!it.valid()) continue;
                long t = it.heartbeat.eventTime;
                if (max != Long.MIN_VALUE && (max - outOfOrdernessMs - 1) - t > p.allowedLatenessMs) {
                    late.add(it.position());
                } else {
                    max = Math.max(max, t);
                }
            }
        }
        List<Heartbeat> c = new ArrayList<>();
        for (Feed.Item it : items) if (it.valid() && !late.contains(it.position())) c.add(it.heartbeat);
        this.invalid = Collections.unmodifiableSet(inv);
        this.tooLate = Collections.unmodifiableSet(late);
        this.counted = Collections.unmodifiableList(c);
        this.byPosition = Collections.unmodifiableMap(pos);
        this.tables = ContractReference.compute(c, p, licensors);
    }

    /** With other parameters (as the jobs were started with). */
    static Expect of(Feed feed, Map<String, String> licensors, ContractParams p, long outOfOrdernessMs) {
        return new Expect(feed.items, p, outOfOrdernessMs, licensors);
    }

    /** With the default parameters (G, R, T, L, M) and out-of-orderness (5 s) the fault tests run the jobs with. */
    static Expect of(Feed feed, Map<String, String> licensors) {
        return new Expect(feed.items, ContractParams.DEFAULTS, 5_000, licensors);
    }

    /** The sample catalog loaded into the database, and the licensor per video as the watch-time job will see it. */
    static Map<String, String> loadCatalog(JdbcConfig jdbc) throws Exception {
        CatalogLoader.loadDefaults(jdbc);
        Map<String, String> out = new HashMap<>();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT video_id, licensor_id FROM videos")) {
            while (rs.next()) out.put(rs.getString(1), rs.getString(2));
        }
        return out;
    }

    @Override
    public String toString() {
        return "sent=" + sent + " invalid=" + invalid.size() + " tooLate=" + tooLate.size() + " counted=" + counted.size() + " " + tables;
    }
}
