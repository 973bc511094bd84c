package dev.heartbeats.savepoints;

import dev.heartbeats.common.pipeline.HeartbeatIngest;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplitSerializer;
import org.apache.flink.core.io.SimpleVersionedSerialization;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

import java.util.Map;
import java.util.TreeMap;

/**
 * Where a savepoint's Kafka source continues: the next offset per partition of its splits (the source readers'
 * state). The records a job read before the savepoint are exactly those below these offsets.
 */
public final class SavepointOffsets {
    private SavepointOffsets() {}

    /** Next offset per partition of {@code topic}, from the split state of the suite's source operator. */
    public static Map<Integer, Long> read(String savepointPath, String topic) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        env.setParallelism(1);
        KafkaPartitionSplitSerializer serializer = new KafkaPartitionSplitSerializer();
        Map<Integer, Long> out = new TreeMap<>();
        try (CloseableIterator<byte[]> it = SavepointReader.read(env, savepointPath, new EmbeddedRocksDBStateBackend())
                .readListState(OperatorIdentifier.forUid(HeartbeatIngest.SOURCE_UID), "SourceReaderState", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)
                .executeAndCollect("read the savepoint's Kafka offsets")) {
            while (it.hasNext()) {
                KafkaPartitionSplit split = SimpleVersionedSerialization.readVersionAndDeSerialize(serializer, it.next());
                if (split.getTopic().equals(topic)) out.put(split.getPartition(), split.getStartingOffset());
            }
        }
        return out;
    }
}
