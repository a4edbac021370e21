/*
 * group.h — the group coordinator: Kafka's classic group membership
 * protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) and committed offsets,
 * persisted in the internal compacted topic __consumer_offsets.
 *
 * Modules:
 *   group.c         groups, members, the state machine, offsets in memory,
 *                   session/rebalance timers, offset expiry
 *   group_store.c   __consumer_offsets: Kafka's key/value record formats,
 *                   appends, replay at start-up
 *   handler_group.c the wire handlers (decode request, call in here, encode)
 *
 * Threads (@locality): everything runs on the broker's event-loop thread.
 *
 * Ownership: the coordinator (bs_gcoord_t, hung off bs_broker_t.groups) owns
 * every group; a group owns its members and offsets (all malloc'd). A
 * bs_gwait_t (a parked JoinGroup/SyncGroup) is owned by its request (lives in
 * the request arena); the group only points at it until it responds, and
 * bs_group_abort_conn() drops those pointers when the connection closes.
 */
#ifndef BS_GROUP_H
#define BS_GROUP_H

#include "base/hmap.h"
#include "broker/broker.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    BS_GROUP_EMPTY = 0,
    BS_GROUP_PREPARING_REBALANCE,
    BS_GROUP_COMPLETING_REBALANCE,
    BS_GROUP_STABLE,
    BS_GROUP_DEAD,
} bs_group_state_t;

typedef struct bs_group_s bs_group_t;
typedef struct bs_gmember_s bs_gmember_t;
typedef struct bs_gwait_s bs_gwait_t;
typedef struct bs_gcoord_s bs_gcoord_t;

/* A parked JoinGroup or SyncGroup. respond_cb writes the response (reading
 * the group and member when error == 0; m is NULL on errors); it runs as soon
 * as the outcome is known, possibly inside another connection's handler, so
 * it must only write output. finish_cb (may be NULL) then runs from a 0 ms
 * timer and completes the request (bs_req_complete), which may start the
 * connection's next request. */
struct bs_gwait_s {
    void *owner; /* the connection, matched by bs_group_abort_conn */
    void (*respond_cb)(bs_gwait_t *w, bs_group_t *g, bs_gmember_t *m, int16_t error);
    void (*finish_cb)(bs_gwait_t *w);
    void *ctx;
    const char *member_id; /* echoed in error responses (owned by the caller) */
    bs_gwait_t *next;      /* on the coordinator's finish list */
};

typedef struct bs_gproto_s {
    char *name;
    uint8_t *meta;
    int32_t len;
} bs_gproto_t;

struct bs_gmember_s {
    bs_group_t *g;
    char *id;
    char *instance_id; /* group.instance.id (static member) or NULL */
    char *client_id;
    char *client_host;
    int32_t session_timeout_ms, rebalance_timeout_ms;
    char *protocol_type;
    bs_gproto_t *protos;
    int nprotos;
    uint8_t *assignment;
    int32_t assignment_len;
    bs_gwait_t *join_wait; /* parked JoinGroup */
    bs_gwait_t *sync_wait; /* parked SyncGroup */
    bs_timer_t session_timer;
};

/* A committed offset. */
typedef struct bs_goffset_s {
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;
    int64_t commit_ts;
} bs_goffset_t;

/* KIP-394: a member id handed out with MEMBER_ID_REQUIRED, not joined yet. */
typedef struct bs_gpending_s {
    char *id;
    int64_t expires_ms;
} bs_gpending_t;

/* An offset sent with TxnOffsetCommit, visible once the transaction commits. */
typedef struct bs_gtxnoff_s {
    int64_t pid;
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;
} bs_gtxnoff_t;

struct bs_group_s {
    bs_gcoord_t *co;
    char *id;
    bs_group_state_t state;
    int64_t state_ts; /* wall ms of the last state change */
    int32_t generation;
    char *protocol_type;    /* NULL: none (simple consumers, or Empty) */
    char *protocol;         /* selected protocol, NULL when none */
    char *leader;           /* leader member id, NULL when none */
    bs_gmember_t **members; /* in join order */
    int nmembers, capmembers;
    bs_gpending_t *pending;
    int npending, cappending;
    bs_hmap_t offsets;         /* topic '\0' BE32 partition -> bs_goffset_t* */
    bs_timer_t join_timer;     /* initial delay / rebalance timeout / completion */
    bool initial_phase;        /* group.initial.rebalance.delay.ms phase (KIP-134) */
    int64_t join_phase_end_ms; /* initial phase cannot be extended past this */
    bs_gtxnoff_t *txn_offs;    /* pending transactional offsets */
    int ntxn, captxn;
};

struct bs_gcoord_s {
    bs_broker_t *b;
    bs_hmap_t groups; /* id -> bs_group_t* */
    bs_gwait_t *finish_head, *finish_tail;
    bs_timer_t finish_timer;
    bs_timer_t expire_timer;
    bs_topic_t *topic; /* __consumer_offsets once created */
    uint64_t id_seq;   /* member id uniqueness */
    bool loading;
    /* counters (DescribeGroups/bench/logs) */
    int64_t commits, rebalances;
};

/* ---- coordinator lifetime (broker.c) ---- */

/* Creates the coordinator and replays __consumer_offsets (if it exists)
 * before the broker serves requests. Returns 0 or -1. */
int bs_group_init(bs_broker_t *b);
void bs_group_shutdown(bs_broker_t *b);
/* Drops parked requests of a closing connection (server.c conn_close). */
void bs_group_abort_conn(bs_broker_t *b, bs_conn_t *c);

/* ---- used by handler_group.c and tests (group.c) ---- */

const char *bs_group_state_name(bs_group_state_t s);
/* Parses a state name (case-insensitive); -1 if unknown. */
int bs_group_state_parse(const char *s, size_t len);
bs_group_t *bs_group_find(bs_gcoord_t *co, const char *id, size_t len);

typedef struct bs_gjoin_args_s {
    const char *group_id;
    const char *member_id;   /* "" = unknown member */
    const char *instance_id; /* NULL = dynamic member */
    const char *client_id, *client_host;
    const char *protocol_type;
    int32_t session_timeout_ms, rebalance_timeout_ms;
    const bs_gproto_t *protos; /* copied */
    int nprotos;
    bool require_known_member; /* JoinGroup v4+: MEMBER_ID_REQUIRED round trip */
} bs_gjoin_args_t;

/* JoinGroup. Returns an error code (>= 0) when it answers at once (0 with
 * *immediate = the member to answer for: a known member getting the current
 * generation, or MEMBER_ID_REQUIRED with *new_member_id set), or
 * BS_ERR__PENDING when w was parked (w->respond_cb runs later). new_member_id
 * must hold 256 bytes. */
bs_err_t bs_group_join(bs_gcoord_t *co, const bs_gjoin_args_t *a, bs_gwait_t *w,
                       bs_gmember_t **immediate, char *new_member_id);

typedef struct bs_gassign_s {
    const char *member_id;
    const uint8_t *data;
    int32_t len;
} bs_gassign_t;

/* SyncGroup. Like bs_group_join: an error, 0 with *immediate (answer with its
 * assignment now), or BS_ERR__PENDING (w parked). */
bs_err_t bs_group_sync(bs_gcoord_t *co, const char *group_id, int32_t generation,
                       const char *member_id, const char *instance_id, const bs_gassign_t *assign,
                       int nassign, bs_gwait_t *w, bs_gmember_t **immediate);
int16_t bs_group_heartbeat(bs_gcoord_t *co, const char *group_id, int32_t generation,
                           const char *member_id, const char *instance_id);
/* One member leaving (member_id may be "" when instance_id identifies it). */
int16_t bs_group_leave(bs_gcoord_t *co, const char *group_id, const char *member_id,
                       const char *instance_id);

/* OffsetCommit validation (group-level error or 0); creates the group for
 * simple consumers (generation < 0, member ""). */
int16_t bs_group_commit_check(bs_gcoord_t *co, const char *group_id, int32_t generation,
                              const char *member_id, const char *instance_id, bs_group_t **out);
typedef struct bs_gcommit_s {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    const char *metadata; /* NULL = "" */
    int16_t error;        /* out */
} bs_gcommit_t;
/* Persists then applies n offsets (error per entry; entries whose error is
 * already set on entry are skipped). Returns the storage error or 0. */
int16_t bs_group_commit(bs_gcoord_t *co, bs_group_t *g, bs_gcommit_t *c, int n);
const bs_goffset_t *bs_group_offset(bs_group_t *g, const char *topic, size_t tlen,
                                    int32_t partition);
/* DeleteGroups: 0, NON_EMPTY_GROUP or GROUP_ID_NOT_FOUND. */
int16_t bs_group_delete(bs_gcoord_t *co, const char *group_id);
/* OffsetDelete of one partition (0 when absent too). */
int16_t bs_group_offset_delete(bs_gcoord_t *co, bs_group_t *g, const char *topic,
                               int32_t partition);
/* DeleteTopics: tombstones every group's committed offsets of topic and
 * drops its pending transactional offsets; Empty groups left with no offsets
 * are removed (tombstoned), as Kafka does. Returns the offsets removed. */
int bs_group_forget_topic(bs_gcoord_t *co, const char *topic);
/* True when some member's consumer-protocol subscription names topic. */
bool bs_group_subscribed(bs_group_t *g, const char *topic);
/* Expires offsets of Empty groups older than offsets.retention.minutes
 * (runs from a timer; exposed for tests). Returns offsets removed. */
int bs_group_expire(bs_gcoord_t *co, int64_t now_ms);

/* Transactional offsets (TxnOffsetCommit): held per producer until
 * bs_group_txn_end commits (persist + apply) or aborts (drop) them. */
void bs_group_txn_add(bs_group_t *g, int64_t pid, const char *topic, int32_t partition,
                      int64_t offset, int32_t leader_epoch, const char *metadata);
void bs_group_txn_end(bs_gcoord_t *co, bs_group_t *g, int64_t pid, bool commit);
/* True if a transaction holds an uncommitted offset for the partition. */
bool bs_group_txn_pending(bs_group_t *g, const char *topic, size_t tlen, int32_t partition);
/* Hooks used by txn.c. */
bs_topic_t *bs_offsets_topic(bs_broker_t *b);
void bs_group_txn_complete(bs_broker_t *b, const char *group, int64_t pid, bool commit);

/* ---- __consumer_offsets (group_store.c) ---- */

#define BS_GROUP_TOPIC "__consumer_offsets"

/* Kafka's partitionFor: Utils.abs(groupId.hashCode()) % n, with Java's
 * String.hashCode over UTF-16 code units. */
int32_t bs_gstore_partition_for(const char *group_id, size_t len, int32_t n);
/* Finds or creates __consumer_offsets (offsets.topic.num.partitions,
 * cleanup.policy=compact). NULL if it cannot be created. */
bs_topic_t *bs_gstore_topic(bs_gcoord_t *co);
/* Appends offset records (value NULL = tombstone when offs[i]->offset < 0). */
bs_err_t bs_gstore_put_offsets(bs_gcoord_t *co, const char *group_id,
                               const bs_goffset_t *const *offs, const bool *tombstone, int n);
/* Appends the group's metadata record (or a tombstone). */
bs_err_t bs_gstore_put_group(bs_gcoord_t *co, bs_group_t *g, bool tombstone);
/* Replays __consumer_offsets into the coordinator. Returns 0 or -1. */
int bs_gstore_replay(bs_gcoord_t *co);

/* Record codecs (exposed for unit tests). Keys and values are Kafka's
 * version-prefixed structs: OffsetCommitKey v1, OffsetCommitValue v3,
 * GroupMetadataKey v2, GroupMetadataValue v3. */
void bs_gstore_enc_offset_key(bs_wbuf_t *w, const char *group, const char *topic,
                              int32_t partition);
void bs_gstore_enc_offset_value(bs_wbuf_t *w, const bs_goffset_t *o);
void bs_gstore_enc_group_key(bs_wbuf_t *w, const char *group);
void bs_gstore_enc_group_value(bs_wbuf_t *w, const bs_group_t *g);
/* Applies one __consumer_offsets record to the coordinator. Returns 0, or -1
 * (with a message in err) for a malformed record, which is skipped. */
int bs_gstore_apply(bs_gcoord_t *co, const uint8_t *key, int32_t klen, const uint8_t *val,
                    int32_t vlen, char *err, size_t errlen);

/* group.c helpers used by the store's replay */
bs_group_t *bs_group_get_or_create(bs_gcoord_t *co, const char *id, size_t len);
void bs_group_remove(bs_gcoord_t *co, bs_group_t *g);
void bs_group_offset_set(bs_group_t *g, const char *topic, size_t tlen, int32_t partition,
                         int64_t offset, int32_t epoch, const char *meta, size_t mlen, int64_t ts);
void bs_group_offset_del(bs_group_t *g, const char *topic, size_t tlen, int32_t partition);
bs_gmember_t *bs_group_member_add(bs_group_t *g, const char *id);
void bs_group_clear_members(bs_group_t *g);
void bs_group_set_str(char **dst, const char *s, size_t len);

#endif
