package dev.heartbeats.reliability;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.schema.catalog.CatalogLoader;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.Routing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the jobs must produce from what a {@link Feed} sent: the exact source positions ("partition@offset") that
 * belong in the dead-letter topic and in the late topic, and the contract's tables over the heartbeats that count,
 * by the reference's routing ({@link Routing}, the same as for generated runs) over the records the feed sent.
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
        List<Routing.Input> in = new ArrayList<>(items.size());
        for (Feed.Item it : items) {
            pos.put(it.position(), it);
            in.add(new Routing.Input(it.partition, it.offset, it.heartbeat, it.timestamp));
        }
        Routing r = Routing.of(in, p, outOfOrdernessMs);
        this.invalid = r.invalid;
        this.tooLate = r.tooLate;
        this.counted = r.counted;
        this.byPosition = Collections.unmodifiableMap(pos);
        this.tables = r.tables(p, licensors);
    }

    /** With other parameters (as the jobs were started with). */
    static Expect of(Feed feed, Map<String, String> licensors, ContractParams p, long outOfOrdernessMs) {
        return new Expect(feed.items, p, outOfOrdernessMs, licensors);
    }

    /** Over the items of several feeds (all sent to the same topic). */
    static Expect of(List<Feed.Item> items, Map<String, String> licensors, ContractParams p, long outOfOrdernessMs) {
        return new Expect(items, p, outOfOrdernessMs, licensors);
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
