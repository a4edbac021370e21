/*
 * broker_config.c — the broker settings table and what is built on it:
 * command-line/file loading, synonym resolution, cross-checks, logging,
 * DescribeConfigs for the BROKER resource and the markdown reference.
 *
 * Invariants:
 *  - g_defs is the single source of truth. A "primary" def has a member in
 *    bs_broker_config_t; a synonym def (synonym_of != NULL) has none and
 *    names its primary, which appears earlier in the table. The table order
 *    within a family is the precedence order (log.retention.ms before
 *    log.retention.minutes before log.retention.hours).
 *  - c->raw[i] holds the trimmed value explicitly set for g_defs[i] (file or
 *    --override), c->is_set[i] says whether it was set. Members are always
 *    the effective values: every bs_broker_config_set() re-resolves the
 *    family of the key it sets (broker_resolve), so set order never matters.
 *  - Derived members (log_dirs array, timestamp-type bool, listener lists)
 *    are rebuilt by broker_derive() / bs_broker_config_load_args().
 */
#include "broker_config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "topic_config.h"

#define OFF(m)     offsetof(bs_broker_config_t, m)
#define NOM        BS_CFG_NO_MEMBER
#define NOMAX      9.3e18
#define R          BS_CFG_F_RANGE
#define LONG_MAX_S "9223372036854775807"
#define INT_MAX_S  "2147483647"

/* clang-format off */
static const bs_cfg_def_t g_defs[] = {
    /* ---- network ---- */
    {.name = "listeners", .type = BS_CFG_STRING, .dflt = "PLAINTEXT://:9092",
     .importance = BS_CFG_HIGH, .update = BS_CFG_PER_BROKER, .offset = OFF(listeners),
     .doc = "Comma-separated list of NAME://host:port the broker listens on. An empty host binds all "
            "interfaces; use [::1] for IPv6 literals. Listener names must be unique, as must ports.",
     .note = "Kafka's default is null, meaning PLAINTEXT://:9092; Basin writes that value explicitly."},
    {.name = "advertised.listeners", .type = BS_CFG_STRING, .dflt = NULL,
     .importance = BS_CFG_HIGH, .update = BS_CFG_PER_BROKER, .offset = OFF(advertised_listeners),
     .doc = "Listeners published to clients in Metadata responses, when different from listeners. "
            "Every name must also appear in listeners. When unset, listeners is used (an empty host "
            "is then advertised as the machine's host name)."},
    {.name = "listener.security.protocol.map", .type = BS_CFG_STRING,
     .dflt = "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
     .importance = BS_CFG_LOW, .update = BS_CFG_PER_BROKER, .offset = NOM,
     .doc = "Map from listener name to security protocol."},
    {.name = "inter.broker.listener.name", .type = BS_CFG_STRING, .dflt = NULL, .flags = BS_CFG_F_NOEFFECT,
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "Listener used between brokers."},
    {.name = "num.network.threads", .type = BS_CFG_INT, .dflt = "3", .flags = R, .min = 1, .max = NOMAX,
     .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(num_network_threads),
     .doc = "Number of network threads.",
     .note = "The number of event-loop threads serving connections. Basin currently supports 1: an "
             "explicit value > 1 logs a warning and 1 is used; Kafka's default 3 is accepted silently."},
    {.name = "num.io.threads", .type = BS_CFG_INT, .dflt = "8", .flags = R, .min = 1, .max = NOMAX,
     .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(num_io_threads),
     .doc = "Number of I/O threads.",
     .note = "Background worker threads for fsync and file deletion (requests themselves are served on "
             "the event loop)."},
    {.name = "socket.request.max.bytes", .type = BS_CFG_INT, .dflt = "104857600", .flags = R, .min = 1,
     .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(socket_request_max_bytes),
     .doc = "Largest request size accepted; a bigger size prefix closes the connection."},
    {.name = "socket.send.buffer.bytes", .type = BS_CFG_INT, .dflt = "102400",
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = OFF(socket_send_buffer_bytes),
     .doc = "SO_SNDBUF of client sockets; -1 keeps the OS default."},
    {.name = "socket.receive.buffer.bytes", .type = BS_CFG_INT, .dflt = "102400",
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = OFF(socket_receive_buffer_bytes),
     .doc = "SO_RCVBUF of client sockets; -1 keeps the OS default."},
    {.name = "queued.max.requests", .type = BS_CFG_INT, .dflt = "500", .flags = R, .min = 1, .max = NOMAX,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = OFF(queued_max_requests),
     .doc = "Number of requests in flight before the broker stops reading from connections."},
    {.name = "connections.max.idle.ms", .type = BS_CFG_LONG, .dflt = "600000",
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY, .offset = OFF(connections_max_idle_ms),
     .doc = "Idle connections are closed after this many milliseconds."},
    {.name = "max.connections", .type = BS_CFG_INT, .dflt = INT_MAX_S, .flags = R, .min = 0, .max = NOMAX,
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(max_connections),
     .doc = "Maximum number of simultaneous client connections."},

    /* ---- identity ---- */
    {.name = "node.id", .type = BS_CFG_INT, .dflt = "0",
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = OFF(node_id),
     .doc = "Id of this broker (broker.id is a synonym). Both, when set, must be equal.",
     .note = "Kafka's default is -1 (must be set / generated); Basin uses 0 when neither node.id nor "
             "broker.id is set."},
    {.name = "broker.id", .type = BS_CFG_INT, .dflt = "-1", .synonym_of = "node.id", .scale = 1,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "Synonym of node.id."},
    {.name = "cluster.id", .type = BS_CFG_STRING, .dflt = NULL, .flags = BS_CFG_F_BASIN,
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY, .offset = OFF(cluster_id),
     .doc = "Cluster id. When unset, the id stored in meta.properties of the log directory is used, or "
            "a new one is generated and stored there (as kafka-storage format does)."},
    {.name = "process.roles", .type = BS_CFG_LIST, .dflt = "", .flags = BS_CFG_F_NOEFFECT,
     .valid_set = "broker,controller",
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "KRaft roles of this process."},
    {.name = "controller.listener.names", .type = BS_CFG_STRING, .dflt = NULL, .flags = BS_CFG_F_NOEFFECT,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "Listener names used by the KRaft controller."},
    {.name = "controller.quorum.voters", .type = BS_CFG_LIST, .dflt = "", .flags = BS_CFG_F_NOEFFECT,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "KRaft controller quorum voters (id@host:port)."},
    {.name = "zookeeper.connect", .type = BS_CFG_STRING, .dflt = NULL, .flags = BS_CFG_F_NOEFFECT,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "ZooKeeper connection string (Basin has no ZooKeeper)."},

    /* ---- log ---- */
    {.name = "log.dirs", .type = BS_CFG_LIST, .dflt = NULL,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = OFF(log_dirs_raw),
     .doc = "Comma-separated directories holding the partition logs; when unset, log.dir is used."},
    {.name = "log.dir", .type = BS_CFG_STRING, .dflt = "./data", .synonym_of = "log.dirs", .scale = 1,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "Single log directory, used when log.dirs is unset.",
     .note = "Kafka's default is /tmp/kafka-logs; Basin keeps data under ./data by default."},
    {.name = "num.partitions", .type = BS_CFG_INT, .dflt = "1", .flags = R, .min = 1, .max = NOMAX,
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY, .offset = OFF(num_partitions),
     .doc = "Default number of partitions of auto-created topics and of CreateTopics requests that "
            "give -1."},
    {.name = "default.replication.factor", .type = BS_CFG_SHORT, .dflt = "1",
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY, .offset = OFF(default_replication_factor),
     .doc = "Default replication factor of new topics.",
     .note = "Basin is a single-node broker: only 1 is valid."},
    {.name = "auto.create.topics.enable", .type = BS_CFG_BOOLEAN, .dflt = "true",
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = OFF(auto_create_topics_enable),
     .doc = "Create a topic when a client asks Metadata for one that does not exist."},
    {.name = "delete.topic.enable", .type = BS_CFG_BOOLEAN, .dflt = "true",
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = OFF(delete_topic_enable),
     .doc = "Allow DeleteTopics."},
    {.name = "log.segment.bytes", .type = BS_CFG_INT, .dflt = "1073741824", .flags = R | BS_CFG_F_I64,
     .min = 14, .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_segment_bytes),
     .doc = "Maximum size of one log segment file; a new segment is rolled beyond it."},
    {.name = "log.roll.ms", .type = BS_CFG_LONG, .dflt = NULL, .flags = R, .min = 1, .max = NOMAX,
     .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(log_roll_ms),
     .doc = "Maximum age of the active segment before a new one is rolled; when unset, log.roll.hours "
            "is used."},
    {.name = "log.roll.hours", .type = BS_CFG_INT, .dflt = "168", .flags = R, .min = 1, .max = NOMAX,
     .synonym_of = "log.roll.ms", .scale = 3600000LL,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "log.roll.ms in hours (lower precedence)."},
    {.name = "log.roll.jitter.ms", .type = BS_CFG_LONG, .dflt = NULL, .flags = R, .min = 0, .max = NOMAX,
     .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(log_roll_jitter_ms),
     .doc = "Maximum random jitter subtracted from the roll time, to avoid rolling many segments at "
            "once; when unset, log.roll.jitter.hours is used."},
    {.name = "log.roll.jitter.hours", .type = BS_CFG_INT, .dflt = "0", .flags = R, .min = 0, .max = NOMAX,
     .synonym_of = "log.roll.jitter.ms", .scale = 3600000LL,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "log.roll.jitter.ms in hours (lower precedence)."},
    {.name = "log.retention.ms", .type = BS_CFG_LONG, .dflt = NULL, .flags = R, .min = -1, .max = NOMAX,
     .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(log_retention_ms),
     .doc = "Delete segments older than this; -1 keeps them forever. Takes precedence over "
            "log.retention.minutes and log.retention.hours."},
    {.name = "log.retention.minutes", .type = BS_CFG_INT, .dflt = NULL,
     .synonym_of = "log.retention.ms", .scale = 60000LL,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "log.retention.ms in minutes (a negative value means unlimited)."},
    {.name = "log.retention.hours", .type = BS_CFG_INT, .dflt = "168",
     .synonym_of = "log.retention.ms", .scale = 3600000LL,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "log.retention.ms in hours (lowest precedence; a negative value means unlimited)."},
    {.name = "log.retention.bytes", .type = BS_CFG_LONG, .dflt = "-1",
     .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(log_retention_bytes),
     .doc = "Delete the oldest segments while a partition is bigger than this; -1 means no limit."},
    {.name = "log.retention.check.interval.ms", .type = BS_CFG_LONG, .dflt = "300000", .flags = R,
     .min = 1, .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY,
     .offset = OFF(log_retention_check_interval_ms),
     .doc = "How often the retention task looks for segments to delete."},
    {.name = "log.flush.interval.messages", .type = BS_CFG_LONG, .dflt = LONG_MAX_S, .flags = R,
     .min = 1, .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_flush_interval_messages),
     .doc = "fsync a partition after this many appended messages."},
    {.name = "log.flush.interval.ms", .type = BS_CFG_LONG, .dflt = NULL, .flags = R, .min = 0,
     .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_flush_interval_ms),
     .doc = "fsync a partition when its oldest unflushed message is this old; when unset, "
            "log.flush.scheduler.interval.ms is used."},
    {.name = "log.flush.scheduler.interval.ms", .type = BS_CFG_LONG, .dflt = LONG_MAX_S,
     .synonym_of = "log.flush.interval.ms", .scale = 1,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "How often the flusher checks whether a log needs an fsync; also the default of "
            "log.flush.interval.ms."},
    {.name = "log.flush.offset.checkpoint.interval.ms", .type = BS_CFG_INT, .dflt = "60000",
     .flags = R | BS_CFG_F_I64, .min = 0, .max = NOMAX, .importance = BS_CFG_HIGH,
     .update = BS_CFG_READ_ONLY, .offset = OFF(log_flush_offset_checkpoint_interval_ms),
     .doc = "How often the recovery-point checkpoint file is written."},
    {.name = "log.flush.on.ack", .type = BS_CFG_BOOLEAN, .dflt = "false", .flags = BS_CFG_F_BASIN,
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = OFF(log_flush_on_ack),
     .doc = "When true, produce responses for acks=1 and acks=all are sent only after the appended "
            "data is fsynced to disk, with one group commit (fsync) covering all requests waiting at "
            "that moment. When false (Kafka's behaviour), acknowledged data is in the page cache and "
            "survives a process crash but not a power loss."},
    {.name = "log.segment.delete.delay.ms", .type = BS_CFG_LONG, .dflt = "60000", .flags = R, .min = 0,
     .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_segment_delete_delay_ms),
     .doc = "Delay between a segment being marked deleted (renamed .deleted) and its files being "
            "removed."},
    {.name = "log.index.interval.bytes", .type = BS_CFG_INT, .dflt = "4096", .flags = R, .min = 0,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_index_interval_bytes),
     .doc = "Add an offset index entry every this many bytes of log."},
    {.name = "log.index.size.max.bytes", .type = BS_CFG_INT, .dflt = "10485760", .flags = R, .min = 4,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_index_size_max_bytes),
     .doc = "Maximum size of an offset index file; a full index rolls the segment."},
    {.name = "log.preallocate", .type = BS_CFG_BOOLEAN, .dflt = "false", .flags = BS_CFG_F_NOEFFECT,
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(log_preallocate),
     .doc = "Preallocate segment files."},
    {.name = "message.max.bytes", .type = BS_CFG_INT, .dflt = "1048588", .flags = R, .min = 0, .max = NOMAX,
     .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(message_max_bytes),
     .doc = "Largest record batch accepted (after compression); default of the topic setting "
            "max.message.bytes."},
    {.name = "log.message.timestamp.type", .type = BS_CFG_STRING, .dflt = "CreateTime",
     .valid_set = "CreateTime,LogAppendTime",
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(log_message_timestamp_type),
     .doc = "CreateTime keeps the producer's timestamps; LogAppendTime overwrites them with the "
            "broker's clock at append."},
    {.name = "log.message.timestamp.difference.max.ms", .type = BS_CFG_LONG, .dflt = LONG_MAX_S,
     .flags = R, .min = 0, .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_message_timestamp_difference_max_ms),
     .doc = "With CreateTime, reject batches whose timestamp differs from the broker's clock by more "
            "than this."},
    {.name = "log.message.format.version", .type = BS_CFG_STRING, .dflt = "3.0-IV1",
     .flags = BS_CFG_F_NOEFFECT, .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY, .offset = NOM,
     .doc = "Deprecated message format version (Basin always writes record batch v2)."},
    {.name = "log.message.downconversion.enable", .type = BS_CFG_BOOLEAN, .dflt = "true",
     .flags = BS_CFG_F_NOEFFECT, .importance = BS_CFG_LOW, .update = BS_CFG_CLUSTER_WIDE, .offset = NOM,
     .doc = "Allow down-conversion of batches for old fetch versions."},
    {.name = "log.cleanup.policy", .type = BS_CFG_LIST, .dflt = "delete", .valid_set = "compact,delete",
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(log_cleanup_policy),
     .doc = "Default cleanup policy of topics: delete (retention), compact (keep the latest record per "
            "key) or both."},
    {.name = "min.insync.replicas", .type = BS_CFG_INT, .dflt = "1", .flags = R, .min = 1, .max = NOMAX,
     .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(min_insync_replicas),
     .doc = "Minimum in-sync replicas for an acks=all produce to succeed.",
     .note = "The ISR of every Basin partition is this one broker."},
    {.name = "compression.type", .type = BS_CFG_STRING, .dflt = "producer",
     .valid_set = "uncompressed,zstd,lz4,snappy,gzip,producer",
     .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(compression_type),
     .doc = "Compression of stored batches: producer keeps the producer's codec, the others recompress."},
    {.name = "unclean.leader.election.enable", .type = BS_CFG_BOOLEAN, .dflt = "false",
     .flags = BS_CFG_F_NOEFFECT, .importance = BS_CFG_HIGH, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(unclean_leader_election_enable),
     .doc = "Allow out-of-sync replicas to become leader."},

    /* ---- log cleaner ---- */
    {.name = "log.cleaner.enable", .type = BS_CFG_BOOLEAN, .dflt = "true",
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY, .offset = OFF(log_cleaner_enable),
     .doc = "Run the log cleaner (needed by compacted topics, including __consumer_offsets)."},
    {.name = "log.cleaner.threads", .type = BS_CFG_INT, .dflt = "1", .flags = R, .min = 0, .max = NOMAX,
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE, .offset = OFF(log_cleaner_threads),
     .doc = "Number of log cleaner threads."},
    {.name = "log.cleaner.delete.retention.ms", .type = BS_CFG_LONG, .dflt = "86400000", .flags = R,
     .min = 0, .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_cleaner_delete_retention_ms),
     .doc = "How long tombstones are kept in compacted topics (default of delete.retention.ms)."},
    {.name = "log.cleaner.min.cleanable.ratio", .type = BS_CFG_DOUBLE, .dflt = "0.5", .flags = R, .min = 0,
     .max = 1, .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_cleaner_min_cleanable_ratio),
     .doc = "Minimum ratio of dirty log to total log for a log to be cleaned."},
    {.name = "log.cleaner.min.compaction.lag.ms", .type = BS_CFG_LONG, .dflt = "0", .flags = R, .min = 0,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_cleaner_min_compaction_lag_ms),
     .doc = "Minimum time a record stays uncompacted."},
    {.name = "log.cleaner.max.compaction.lag.ms", .type = BS_CFG_LONG, .dflt = LONG_MAX_S, .flags = R,
     .min = 1, .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_cleaner_max_compaction_lag_ms),
     .doc = "Maximum time a record may stay uncompacted."},
    {.name = "log.cleaner.backoff.ms", .type = BS_CFG_LONG, .dflt = "15000", .flags = R, .min = 0,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(log_cleaner_backoff_ms),
     .doc = "Sleep time of the cleaner when there is nothing to clean."},

    /* ---- groups and committed offsets ---- */
    {.name = "offsets.topic.num.partitions", .type = BS_CFG_INT, .dflt = "50", .flags = R, .min = 1,
     .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(offsets_topic_num_partitions),
     .doc = "Number of partitions of __consumer_offsets (fixed once the topic exists)."},
    {.name = "offsets.topic.replication.factor", .type = BS_CFG_SHORT, .dflt = "3", .flags = R | BS_CFG_F_NOEFFECT,
     .min = 1, .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(offsets_topic_replication_factor),
     .doc = "Replication factor of __consumer_offsets.",
     .note = "Basin always creates internal topics with replication factor 1."},
    {.name = "offsets.topic.segment.bytes", .type = BS_CFG_INT, .dflt = "104857600", .flags = R, .min = 1,
     .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(offsets_topic_segment_bytes),
     .doc = "Segment size of __consumer_offsets."},
    {.name = "offsets.retention.minutes", .type = BS_CFG_INT, .dflt = "10080", .flags = R, .min = 1,
     .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(offsets_retention_minutes),
     .doc = "Committed offsets of a group are dropped this long after the group became empty."},
    {.name = "offsets.retention.check.interval.ms", .type = BS_CFG_LONG, .dflt = "600000", .flags = R,
     .min = 1, .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(offsets_retention_check_interval_ms),
     .doc = "How often expired committed offsets are looked for."},
    {.name = "offsets.commit.timeout.ms", .type = BS_CFG_INT, .dflt = "5000", .flags = R, .min = 1,
     .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(offsets_commit_timeout_ms),
     .doc = "An offset commit waits at most this long for its write to __consumer_offsets."},
    {.name = "offset.metadata.max.bytes", .type = BS_CFG_INT, .dflt = "4096",
     .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY, .offset = OFF(offset_metadata_max_bytes),
     .doc = "Maximum size of the metadata string of a committed offset."},
    {.name = "group.initial.rebalance.delay.ms", .type = BS_CFG_INT, .dflt = "3000",
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY,
     .offset = OFF(group_initial_rebalance_delay_ms),
     .doc = "How long the coordinator waits for more members to join a new, empty group before the "
            "first rebalance."},
    {.name = "group.min.session.timeout.ms", .type = BS_CFG_INT, .dflt = "6000",
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY, .offset = OFF(group_min_session_timeout_ms),
     .doc = "Smallest session timeout a member may ask for."},
    {.name = "group.max.session.timeout.ms", .type = BS_CFG_INT, .dflt = "1800000",
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY, .offset = OFF(group_max_session_timeout_ms),
     .doc = "Largest session timeout a member may ask for."},
    {.name = "group.max.size", .type = BS_CFG_INT, .dflt = INT_MAX_S, .flags = R, .min = 1, .max = NOMAX,
     .importance = BS_CFG_MEDIUM, .update = BS_CFG_READ_ONLY, .offset = OFF(group_max_size),
     .doc = "Maximum number of members in one consumer group."},

    /* ---- transactions and idempotence ---- */
    {.name = "transactional.id.expiration.ms", .type = BS_CFG_INT, .dflt = "604800000", .flags = R,
     .min = 1, .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(transactional_id_expiration_ms),
     .doc = "A transactional id with no transaction activity for this long is expired."},
    {.name = "transaction.max.timeout.ms", .type = BS_CFG_INT, .dflt = "900000", .flags = R, .min = 1,
     .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(transaction_max_timeout_ms),
     .doc = "Largest transaction timeout a producer may ask for."},
    {.name = "transaction.state.log.num.partitions", .type = BS_CFG_INT, .dflt = "50", .flags = R,
     .min = 1, .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(transaction_state_log_num_partitions),
     .doc = "Number of partitions of __transaction_state (fixed once the topic exists)."},
    {.name = "transaction.state.log.replication.factor", .type = BS_CFG_SHORT, .dflt = "3",
     .flags = R | BS_CFG_F_NOEFFECT, .min = 1, .max = NOMAX, .importance = BS_CFG_HIGH,
     .update = BS_CFG_READ_ONLY, .offset = OFF(transaction_state_log_replication_factor),
     .doc = "Replication factor of __transaction_state.",
     .note = "Basin always creates internal topics with replication factor 1."},
    {.name = "transaction.state.log.min.isr", .type = BS_CFG_INT, .dflt = "2", .flags = R | BS_CFG_F_NOEFFECT,
     .min = 1, .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(transaction_state_log_min_isr),
     .doc = "min.insync.replicas of __transaction_state."},
    {.name = "transaction.state.log.segment.bytes", .type = BS_CFG_INT, .dflt = "104857600", .flags = R,
     .min = 1, .max = NOMAX, .importance = BS_CFG_HIGH, .update = BS_CFG_READ_ONLY,
     .offset = OFF(transaction_state_log_segment_bytes),
     .doc = "Segment size of __transaction_state."},
    {.name = "producer.id.expiration.ms", .type = BS_CFG_INT, .dflt = "86400000", .flags = R, .min = 1,
     .max = NOMAX, .importance = BS_CFG_LOW, .update = BS_CFG_CLUSTER_WIDE,
     .offset = OFF(producer_id_expiration_ms),
     .doc = "Idempotent-producer state of a producer id with no writes for this long is dropped."},
};
/* clang-format on */

#define NDEFS ((int)(sizeof g_defs / sizeof g_defs[0]))

const bs_cfg_def_t *bs_broker_config_defs(int *count)
{
    if (count)
        *count = NDEFS;
    return g_defs;
}

/* ---------------------------------------------------------------------------
 * Synonym families
 * ------------------------------------------------------------------------- */

/* Index of the primary of def i (itself when it is not a synonym). */
static int broker_primary(int i)
{
    if (!g_defs[i].synonym_of)
        return i;
    int p = bs_cfg_find(g_defs, NDEFS, g_defs[i].synonym_of);
    return p >= 0 ? p : i;
}

/* Is def i a member of the family whose primary is p? Synonyms follow
 * their primary in the table, so callers scan from p onwards. */
static int broker_in_family(int i, int p)
{
    return i == p || (g_defs[i].synonym_of && strcmp(g_defs[i].synonym_of, g_defs[p].name) == 0);
}

static const char *broker_raw(const bs_broker_config_t *c, int i)
{
    return (c && c->is_set && c->is_set[i]) ? c->raw[i] : NULL;
}

static int broker_isset(const bs_broker_config_t *c, int i)
{
    return c && c->is_set && c->is_set[i];
}

/* Effective value of family primary p: the first explicitly set member in
 * precedence order, else the first non-null default, converted to p's unit
 * (negative time values stay -1 = unlimited, Kafka's rule). *from receives
 * the index that supplied the value (-1 for null). */
static const char *broker_family_value(const bs_broker_config_t *c, int p, char *buf, size_t len,
                                       int *from)
{
    int src = -1;
    const char *v = NULL;

    for (int pass = 0; pass < 2 && src < 0; pass++) {
        for (int i = p; i < NDEFS; i++) {
            if (!broker_in_family(i, p))
                continue;
            if (pass == 0 && broker_isset(c, i)) {
                v = broker_raw(c, i);
                src = i;
                break;
            }
            if (pass == 1 && g_defs[i].dflt) {
                v = g_defs[i].dflt;
                src = i;
                break;
            }
        }
    }
    if (from)
        *from = src;
    if (src < 0 || src == p || g_defs[src].scale <= 1 || !v)
        return v;
    long long x = strtoll(v, NULL, 10);
    if (x < 0)
        snprintf(buf, len, "-1");
    else
        snprintf(buf, len, "%lld", x * (long long)g_defs[src].scale);
    return buf;
}

const char *bs_broker_config_value(const bs_broker_config_t *c, const char *key, char *buf,
                                   size_t len, int *found)
{
    int i = bs_cfg_find(g_defs, NDEFS, key);
    if (found)
        *found = i >= 0;
    if (i < 0)
        return NULL;
    if (g_defs[i].synonym_of) {
        const char *r = broker_isset(c, i) ? broker_raw(c, i) : g_defs[i].dflt;
        return r;
    }
    return broker_family_value(c, i, buf, len, NULL);
}

int bs_broker_config_source(const bs_broker_config_t *c, const char *key)
{
    int i = bs_cfg_find(g_defs, NDEFS, key);
    if (i < 0)
        return BS_CFG_SOURCE_UNKNOWN;
    if (g_defs[i].synonym_of)
        return broker_isset(c, i) ? BS_CFG_SOURCE_STATIC_BROKER_CONFIG
                                  : BS_CFG_SOURCE_DEFAULT_CONFIG;
    char buf[BS_CFG_VALUE_MAX];
    int from = -1;
    broker_family_value(c, i, buf, sizeof buf, &from);
    return (from >= 0 && broker_isset(c, from)) ? BS_CFG_SOURCE_STATIC_BROKER_CONFIG
                                                : BS_CFG_SOURCE_DEFAULT_CONFIG;
}

int bs_broker_config_add_synonyms(const bs_broker_config_t *c, const char *key, bs_cfg_entry_t *e)
{
    int added = 0;
    int i = bs_cfg_find(g_defs, NDEFS, key);
    if (i < 0)
        return 0;
    int p = broker_primary(i);
    int only = g_defs[i].synonym_of ? i : -1; /* a synonym key lists itself only */
    int dflt_from = -1;

    for (int j = p; j < NDEFS && e->synonyms_count < 4; j++) {
        if (only >= 0 && j != only)
            continue;
        if (!broker_in_family(j, p))
            continue;
        if (broker_isset(c, j)) {
            e->synonyms[e->synonyms_count].name = g_defs[j].name;
            e->synonyms[e->synonyms_count].value =
                g_defs[j].type == BS_CFG_PASSWORD ? NULL : broker_raw(c, j);
            e->synonyms[e->synonyms_count].source = BS_CFG_SOURCE_STATIC_BROKER_CONFIG;
            e->synonyms_count++;
            added++;
        } else if (dflt_from < 0 && g_defs[j].dflt) {
            dflt_from = j;
        }
    }
    if (dflt_from >= 0 && e->synonyms_count < 4) {
        e->synonyms[e->synonyms_count].name = g_defs[dflt_from].name;
        e->synonyms[e->synonyms_count].value = g_defs[dflt_from].dflt;
        e->synonyms[e->synonyms_count].source = BS_CFG_SOURCE_DEFAULT_CONFIG;
        e->synonyms_count++;
        added++;
    }
    return added;
}

/* ---------------------------------------------------------------------------
 * Resolution
 * ------------------------------------------------------------------------- */

static void broker_free_dirs(bs_broker_config_t *c)
{
    for (int i = 0; i < c->log_dirs_count; i++)
        free(c->log_dirs[i]);
    free(c->log_dirs);
    c->log_dirs = NULL;
    c->log_dirs_count = 0;
}

/* Rebuilds members that are derived from other members. */
static void broker_derive(bs_broker_config_t *c)
{
    broker_free_dirs(c);
    if (c->log_dirs_raw) {
        const char *p = c->log_dirs_raw;
        while (*p) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            if (n > 0) {
                c->log_dirs =
                    bs_xrealloc(c->log_dirs, sizeof(char *) * (size_t)(c->log_dirs_count + 1));
                c->log_dirs[c->log_dirs_count++] = bs_xstrndup(p, n);
            }
            if (!e)
                break;
            p = e + 1;
        }
    }
    c->log_message_timestamp_type_log_append =
        c->log_message_timestamp_type &&
        strcmp(c->log_message_timestamp_type, "LogAppendTime") == 0;
}

/* Recomputes the member of family primary p. */
static int broker_resolve(bs_broker_config_t *c, int p, char *err, size_t errlen)
{
    char buf[BS_CFG_VALUE_MAX];
    int from = -1;
    const char *v = broker_family_value(c, p, buf, sizeof buf, &from);

    if (g_defs[p].offset == NOM)
        return 0;
    if (!v && g_defs[p].type != BS_CFG_STRING && g_defs[p].type != BS_CFG_LIST &&
        g_defs[p].type != BS_CFG_CLASS && g_defs[p].type != BS_CFG_PASSWORD) {
        /* numeric primary with no value anywhere in its family: cannot
         * happen with the table above (every such family has a default) */
        snprintf(err, errlen, "configuration %s has no value", g_defs[p].name);
        return -1;
    }
    if (bs_cfg_store(&g_defs[p], c, v, err, errlen) != 0) {
        /* a synonym's value converted out of the primary's range */
        if (from >= 0 && from != p) {
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%s (from %s=%s)", err, g_defs[from].name,
                     broker_raw(c, from) ? broker_raw(c, from) : g_defs[from].dflt);
            snprintf(err, errlen, "%s", tmp);
        }
        return -1;
    }
    return 0;
}

void bs_broker_config_init(bs_broker_config_t *c)
{
    char err[256];
    memset(c, 0, sizeof *c);
    c->ndefs = NDEFS;
    c->raw = bs_xcalloc((size_t)NDEFS, sizeof(char *));
    c->is_set = bs_xcalloc((size_t)NDEFS, sizeof(bool));
    for (int i = 0; i < NDEFS; i++) {
        if (g_defs[i].synonym_of)
            continue;
        if (broker_resolve(c, i, err, sizeof err) != 0)
            bs_log_error("config", "bad built-in default: %s", err); /* table bug */
    }
    c->node_id = 0;
    broker_derive(c);
    if (c->num_network_threads > 1)
        c->num_network_threads = 1; /* see the num.network.threads note */
}

void bs_broker_config_free(bs_broker_config_t *c)
{
    if (!c)
        return;
    bs_cfg_free_members(g_defs, NDEFS, c);
    broker_free_dirs(c);
    bs_listeners_free(c->listener_list, c->listener_count);
    bs_listeners_free(c->advertised_list, c->advertised_count);
    if (c->raw)
        for (int i = 0; i < c->ndefs; i++)
            free(c->raw[i]);
    free(c->raw);
    free(c->is_set);
    memset(c, 0, sizeof *c);
}

/* Setting-specific checks beyond the table (only those that can be done on
 * a single value; cross-setting checks are in broker_crosscheck). */
static int broker_check_value(const char *key, const char *value, char *err, size_t errlen)
{
    if (strcmp(key, "listeners") == 0 || (strcmp(key, "advertised.listeners") == 0 && value)) {
        bs_listener_t *l = NULL;
        int n = 0;
        if (bs_listeners_parse(value ? value : "", &l, &n, err, errlen) != 0)
            return -1;
        bs_listeners_free(l, n);
    }
    return 0;
}

int bs_broker_config_set(bs_broker_config_t *c, const char *key, const char *value, char *err,
                         size_t errlen)
{
    int rc = -1;
    int i = bs_cfg_find(g_defs, NDEFS, key);
    char *old_raw = NULL;
    bool old_set;

    if (i < 0) {
        bs_log_warn("config", "unknown configuration '%s' ignored", key ? key : "(null)");
        return 0;
    }
    if (bs_cfg_validate(&g_defs[i], value, err, errlen) != 0 ||
        broker_check_value(key, value, err, errlen) != 0)
        goto done;
    old_raw = c->raw[i];
    old_set = c->is_set[i];
    c->raw[i] = value ? bs_xstrdup(value) : NULL;
    c->is_set[i] = true;
    /* trim the stored raw value like the parser does */
    if (c->raw[i]) {
        char *s = c->raw[i];
        size_t b = 0, n = strlen(s);
        while (b < n && isspace((unsigned char)s[b]))
            b++;
        while (n > b && isspace((unsigned char)s[n - 1]))
            n--;
        memmove(s, s + b, n - b);
        s[n - b] = '\0';
    }
    if (broker_resolve(c, broker_primary(i), err, errlen) != 0) {
        free(c->raw[i]);
        c->raw[i] = old_raw;
        c->is_set[i] = old_set;
        goto done;
    }
    free(old_raw);
    broker_derive(c);
    if (c->num_network_threads > 1)
        c->num_network_threads = 1;
    rc = 0;
done:
    return rc;
}

/* Checks across settings; run once after the file and overrides. */
static int broker_crosscheck(bs_broker_config_t *c, char *err, size_t errlen)
{
    int rc = -1;
    int inode = bs_cfg_find(g_defs, NDEFS, "node.id");
    int ibroker = bs_cfg_find(g_defs, NDEFS, "broker.id");
    int inet = bs_cfg_find(g_defs, NDEFS, "num.network.threads");

    if (c->default_replication_factor != 1) {
        snprintf(err, errlen,
                 "Invalid value '%d' for configuration default.replication.factor: Basin is a "
                 "single-node broker; the only allowed value is 1",
                 (int)c->default_replication_factor);
        goto done;
    }
    if (broker_isset(c, inode) && broker_isset(c, ibroker)) {
        if (strtol(c->raw[inode], NULL, 10) != strtol(c->raw[ibroker], NULL, 10)) {
            snprintf(err, errlen,
                     "node.id (%s) and broker.id (%s) are both set and differ; set only one of "
                     "them or make them equal",
                     c->raw[inode], c->raw[ibroker]);
            goto done;
        }
    }
    if (c->node_id < 0) {
        snprintf(err, errlen, "Invalid value '%d' for configuration node.id: must be >= 0",
                 (int)c->node_id);
        goto done;
    }
    if (c->group_min_session_timeout_ms > c->group_max_session_timeout_ms) {
        snprintf(err, errlen,
                 "group.min.session.timeout.ms (%d) must not exceed group.max.session.timeout.ms "
                 "(%d)",
                 (int)c->group_min_session_timeout_ms, (int)c->group_max_session_timeout_ms);
        goto done;
    }
    if (c->log_dirs_count == 0) {
        snprintf(err, errlen, "log.dirs: at least one log directory is required");
        goto done;
    }
    bs_listeners_free(c->listener_list, c->listener_count);
    c->listener_list = NULL;
    c->listener_count = 0;
    if (bs_listeners_parse(c->listeners ? c->listeners : "", &c->listener_list, &c->listener_count,
                           err, errlen) != 0)
        goto done;
    if (c->listener_count == 0) {
        snprintf(err, errlen, "listeners: at least one listener is required");
        goto done;
    }
    bs_listeners_free(c->advertised_list, c->advertised_count);
    c->advertised_list = NULL;
    c->advertised_count = 0;
    if (c->advertised_listeners) {
        if (bs_listeners_parse(c->advertised_listeners, &c->advertised_list, &c->advertised_count,
                               err, errlen) != 0)
            goto done;
        for (int a = 0; a < c->advertised_count; a++) {
            int ok = 0;
            for (int l = 0; l < c->listener_count; l++)
                ok |= strcmp(c->advertised_list[a].name, c->listener_list[l].name) == 0;
            if (!ok) {
                snprintf(err, errlen,
                         "advertised.listeners: listener name %s is not in listeners (%s)",
                         c->advertised_list[a].name, c->listeners);
                goto done;
            }
        }
    }
    if (broker_isset(c, inet) && strtol(c->raw[inet], NULL, 10) > 1)
        bs_log_warn("config",
                    "num.network.threads=%s: Basin currently serves connections on 1 event-loop "
                    "thread; using 1",
                    c->raw[inet]);
    c->num_network_threads = 1;
    rc = 0;
done:
    return rc;
}

static int broker_set_cb(void *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    return bs_broker_config_set(cfg, key, value, err, errlen);
}

int bs_broker_config_load_args(bs_broker_config_t *c, int argc, char **argv, char *err,
                               size_t errlen)
{
    int rc = -1;
    if (bs_cfg_load_args("broker", argc, argv, broker_set_cb, c, err, errlen) != 0)
        goto done;
    if (broker_crosscheck(c, err, errlen) != 0)
        goto done;
    rc = 0;
done:
    return rc;
}

/* ---------------------------------------------------------------------------
 * Listeners
 * ------------------------------------------------------------------------- */

void bs_listeners_free(bs_listener_t *l, int count)
{
    if (!l)
        return;
    for (int i = 0; i < count; i++) {
        free(l[i].name);
        free(l[i].host);
    }
    free(l);
}

/* Parses one "NAME://host:port" (s[0..n), already trimmed). */
static int listener_parse_one(const char *s, size_t n, bs_listener_t *out, char *err, size_t errlen)
{
    int rc = -1;
    char *item = bs_xstrndup(s, n);
    char *sep = strstr(item, "://");
    char *host = NULL, *port_s = NULL;

    memset(out, 0, sizeof *out);
    if (!sep || sep == item) {
        snprintf(err, errlen,
                 "listeners: invalid listener '%s': expected NAME://host:port, e.g. "
                 "PLAINTEXT://:9092",
                 item);
        goto done;
    }
    for (char *p = item; p < sep; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') {
            snprintf(err, errlen, "listeners: invalid listener name in '%s'", item);
            goto done;
        }
        *p = (char)toupper((unsigned char)*p);
    }
    host = sep + 3;
    if (host[0] == '[') {
        char *close = strchr(host, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "listeners: invalid IPv6 host in '%s': expected [addr]:port",
                     item);
            goto done;
        }
        *close = '\0';
        host++;
        port_s = close + 2;
    } else {
        char *colon = strrchr(host, ':');
        if (!colon) {
            snprintf(err, errlen, "listeners: missing port in '%s': expected NAME://host:port",
                     item);
            goto done;
        }
        *colon = '\0';
        port_s = colon + 1;
        if (strchr(host, ':')) {
            snprintf(err, errlen, "listeners: IPv6 host in '%s' must be in brackets: [addr]:port",
                     item);
            goto done;
        }
    }
    char *end = NULL;
    long port = strtol(port_s, &end, 10);
    if (port_s[0] == '\0' || *end != '\0' || port < 0 || port > 65535) {
        snprintf(err, errlen, "listeners: invalid port '%s' in '%s' (0..65535)", port_s, item);
        goto done;
    }
    *sep = '\0';
    out->name = bs_xstrdup(item);
    out->host = bs_xstrdup(host);
    out->port = (int)port;
    rc = 0;
done:
    free(item);
    return rc;
}

int bs_listeners_parse(const char *s, bs_listener_t **out, int *count, char *err, size_t errlen)
{
    int rc = -1;
    bs_listener_t *l = NULL;
    int n = 0;
    const char *p = s ? s : "";

    *out = NULL;
    *count = 0;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *b = p;
        while (len > 0 && isspace((unsigned char)*b)) {
            b++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)b[len - 1]))
            len--;
        if (len > 0) {
            l = bs_xrealloc(l, sizeof *l * (size_t)(n + 1));
            if (listener_parse_one(b, len, &l[n], err, errlen) != 0)
                goto done;
            n++;
            for (int i = 0; i < n - 1; i++) {
                if (strcmp(l[i].name, l[n - 1].name) == 0) {
                    snprintf(err, errlen, "listeners: listener name %s is used twice", l[i].name);
                    goto done;
                }
                if (l[i].port == l[n - 1].port && l[i].port != 0) {
                    snprintf(err, errlen, "listeners: port %d is used by two listeners", l[i].port);
                    goto done;
                }
            }
        }
        if (!e)
            break;
        p = e + 1;
    }
    *out = l;
    *count = n;
    l = NULL;
    n = 0;
    rc = 0;
done:
    bs_listeners_free(l, n);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Logging, describe, docs
 * ------------------------------------------------------------------------- */

void bs_broker_config_log(const bs_broker_config_t *c)
{
    int *idx = bs_cfg_sorted_index(g_defs, NDEFS);
    char buf[BS_CFG_VALUE_MAX];
    for (int k = 0; k < NDEFS; k++) {
        const bs_cfg_def_t *d = &g_defs[idx[k]];
        const char *v = bs_broker_config_value(c, d->name, buf, sizeof buf, NULL);
        if (d->type == BS_CFG_PASSWORD && v)
            v = "[hidden]";
        bs_log_info("config", "%s = %s", d->name, v ? v : "null");
    }
    free(idx);
}

void bs_broker_config_describe(const bs_broker_config_t *c,
                               void (*cb)(void *opaque, const bs_cfg_entry_t *e), void *opaque)
{
    int *idx = bs_cfg_sorted_index(g_defs, NDEFS);
    char buf[BS_CFG_VALUE_MAX];
    for (int k = 0; k < NDEFS; k++) {
        const bs_cfg_def_t *d = &g_defs[idx[k]];
        bs_cfg_entry_t e;
        memset(&e, 0, sizeof e);
        e.name = d->name;
        e.is_sensitive = d->type == BS_CFG_PASSWORD;
        e.value = e.is_sensitive ? NULL : bs_broker_config_value(c, d->name, buf, sizeof buf, NULL);
        e.read_only = d->update == BS_CFG_READ_ONLY;
        e.source = bs_broker_config_source(c, d->name);
        e.config_type = d->type;
        e.doc = d->doc;
        bs_broker_config_add_synonyms(c, d->name, &e);
        cb(opaque, &e);
    }
    free(idx);
}

void bs_broker_config_usage(FILE *out)
{
    fprintf(out, "usage: basin broker [server.properties] [--override key=value ...]\n"
                 "       basin broker --print-config-docs\n"
                 "\n"
                 "Starts the Kafka-compatible broker. Settings use Kafka's names and defaults\n"
                 "(listeners, log.dirs, num.partitions, log.retention.hours, ...). The properties\n"
                 "file is read first, then every --override in order (the last one wins).\n"
                 "Unknown settings are logged as warnings and ignored; invalid values are fatal.\n"
                 "\n"
                 "options:\n"
                 "  --override key=value   set one setting (may be repeated)\n"
                 "  --print-config-docs    print the configuration reference (markdown) and exit\n"
                 "  -h, --help             print this help and exit\n"
                 "\n"
                 "example:\n"
                 "  basin broker config/server.properties --override log.dirs=/var/lib/basin\n");
}

int bs_broker_config_print_docs(FILE *out)
{
    int nt = 0;
    const bs_cfg_def_t *tdefs = bs_topic_config_defs(&nt);

    fprintf(out,
            "# Basin broker configuration reference\n"
            "\n"
            "<!-- generated by `basin broker --print-config-docs` from the setting tables in\n"
            "     src/broker/broker_config.c and src/broker/topic_config.c: do not edit -->\n"
            "\n"
            "Basin reads Kafka's configuration: `basin broker [server.properties] "
            "[--override key=value ...]`,\n"
            "exactly like `kafka-server-start.sh`. The file is a Java `.properties` file (`#` and "
            "`!`\n"
            "comments, `key=value`, `key: value` or `key value`, backslash line continuation, "
            "`\\uXXXX`\n"
            "escapes). It is applied first, then every `--override` in command-line order.\n"
            "\n"
            "* Names and defaults are Kafka's; the differences are listed in the **Basin** notes.\n"
            "* An unknown setting is logged as a warning (naming it) and ignored.\n"
            "* An invalid value (not a number, out of range, not in the allowed set) stops the "
            "broker\n"
            "  with a message naming the setting, the value and what is allowed.\n"
            "* Synonyms: the first one that is set wins, in this order, whatever the order in the "
            "file:\n"
            "  `log.retention.ms` > `log.retention.minutes` > `log.retention.hours`; `log.roll.ms` "
            "> `log.roll.hours`;\n"
            "  `log.roll.jitter.ms` > `log.roll.jitter.hours`; `log.dirs` > `log.dir`; `node.id` "
            "~ `broker.id`;\n"
            "  `log.flush.interval.ms` > `log.flush.scheduler.interval.ms`. A negative "
            "retention time means unlimited.\n"
            "* Settings marked *accepted for compatibility* are validated, logged and returned by\n"
            "  DescribeConfigs, but change nothing on a single-node Basin broker.\n"
            "* Update mode is Kafka's; Basin does not yet apply broker settings at runtime, so\n"
            "  change them in the file and restart.\n"
            "\n"
            "## Broker settings\n"
            "\n");
    bs_cfg_print_markdown(out, g_defs, NDEFS, 0);
    fprintf(out,
            "\n"
            "## Topic settings\n"
            "\n"
            "Set per topic with CreateTopics or (Incremental)AlterConfigs, e.g.\n"
            "`kafka-configs --alter --entity-type topics --entity-name t --add-config "
            "retention.ms=60000`.\n"
            "A topic setting that is not set on the topic takes its value from the broker setting "
            "named in\n"
            "*Broker default from* (so changing `log.retention.hours` changes every topic without "
            "a `retention.ms`\n"
            "override). DescribeConfigs reports the source: `DYNAMIC_TOPIC_CONFIG` for an "
            "override,\n"
            "`STATIC_BROKER_CONFIG` when the broker setting was set, `DEFAULT_CONFIG` otherwise. "
            "The\n"
            "Default column is the value when neither is set.\n"
            "\n");
    bs_cfg_print_markdown(out, tdefs, nt, 1);
    return ferror(out) ? -1 : 0;
}
