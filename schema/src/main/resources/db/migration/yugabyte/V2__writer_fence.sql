-- V2: the sinks' writer fence (JdbcUpsertSink, WriterFence). One row per (writer group = the job's consumer group,
-- sink table, subtask): the epoch of the writer that holds it, and the Flink job and checkpoint it started from.
-- Every flush checks its row first (SELECT ... FOR SHARE), so a stale attempt's writer cannot write after a later one.
-- Hash-sharded on (group, sink): a sink's subtasks are one range within a tablet.
CREATE TABLE writer_fence (
    writer_group  text   NOT NULL,
    sink          text   NOT NULL,
    subtask       int    NOT NULL,
    epoch         bigint NOT NULL,
    job_id        text   NOT NULL,
    checkpoint_id bigint NOT NULL,
    PRIMARY KEY ((writer_group, sink) HASH, subtask ASC)
);
