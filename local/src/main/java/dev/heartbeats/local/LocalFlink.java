package dev.heartbeats.local;

import dev.heartbeats.cluster.FlinkRest;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.net.URI;

/**
 * One Flink MiniCluster in this JVM, with its web UI, that several jobs share (as on a session cluster). Jobs are
 * submitted through its REST endpoint like to any cluster; their classes are on this JVM's classpath already.
 */
public final class LocalFlink implements AutoCloseable {
    private final MiniCluster cluster;
    private final URI restAddress;

    private LocalFlink(MiniCluster cluster, URI restAddress) {
        this.cluster = cluster;
        this.restAddress = restAddress;
    }

    public static LocalFlink start(int webPort, int slots) throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestOptions.BIND_PORT, Integer.toString(webPort));
        conf.set(RestOptions.ADDRESS, "localhost");
        // The status lines read metrics through the REST API: fresh ones.
        conf.set(org.apache.flink.configuration.MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, java.time.Duration.ofSeconds(1));
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("512m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("128m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("128m"));
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf).setNumTaskManagers(1).setNumSlotsPerTaskManager(slots).build());
        cluster.start();
        return new LocalFlink(cluster, cluster.getRestAddress().get());
    }

    /** An environment that submits to this cluster. */
    public StreamExecutionEnvironment environment() {
        return environment(new Configuration());
    }

    /** An environment that submits to this cluster with these settings (e.g. the savepoint to restore). */
    public StreamExecutionEnvironment environment(Configuration conf) {
        return StreamExecutionEnvironment.createRemoteEnvironment(restAddress.getHost(), restAddress.getPort(), conf);
    }

    public URI webUi() {
        return restAddress;
    }

    /** The cluster's REST API (job state, metrics). */
    public FlinkRest rest() {
        return new FlinkRest(restAddress);
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
