package dev.heartbeats.bench;

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
 * The MiniCluster the jobs run on: one TaskManager with as many slots as the largest parallelism, the same managed
 * and network memory as the local pipeline ({@code LocalFlink}), its REST API on a free port (job status and
 * checkpoint statistics), and the {@link CapturingReporter} for the jobs' counters. Jobs are submitted through REST
 * like to any cluster; their classes are on this JVM's classpath.
 */
final class BenchCluster implements AutoCloseable {
    final MiniCluster cluster;
    final URI rest;
    final FlinkRest api;

    BenchCluster(int slots) throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestOptions.BIND_PORT, "0");
        conf.set(RestOptions.ADDRESS, "localhost");
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("512m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("128m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("128m"));
        conf.setString("metrics.reporter.bench.factory.class", CapturingReporter.Factory.class.getName());
        // The REST handlers cache a job's execution graph for this long (default 3 s): poll status fresh.
        conf.setString("web.refresh-interval", "100ms");
        cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf).setNumTaskManagers(1).setNumSlotsPerTaskManager(slots).build());
        cluster.start();
        rest = cluster.getRestAddress().get();
        api = new FlinkRest(rest);
    }

    StreamExecutionEnvironment environment() {
        return environment(new Configuration());
    }

    /** @param conf job settings submitted with the job graph, e.g. the savepoint to restore from */
    StreamExecutionEnvironment environment(Configuration conf) {
        return StreamExecutionEnvironment.createRemoteEnvironment(rest.getHost(), rest.getPort(), conf);
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
