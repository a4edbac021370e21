/*
 * kgroup.h — a minimal Kafka group-membership client (the "classic" group
 * protocol: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup)
 * for members that are not consumers, such as Schema Registry instances
 * electing a leader (protocol type "sr") — librdkafka only joins groups as a
 * consumer.
 *
 * The client runs in its own thread on plain blocking sockets and speaks
 * non-flexible API versions (FindCoordinator v1, JoinGroup v5, SyncGroup v3,
 * Heartbeat v3, LeaveGroup v1), which Apache Kafka 2.3+ and Basin serve.
 * Whatever happens (coordinator moves, broker restarts, session expires) it
 * keeps trying to be a member until bs_kgroup_stop().
 *
 * Callbacks run on the client thread:
 *   assign()   — only on the member the coordinator picked as group leader,
 *                after each JoinGroup: fill out[i]/outlen[i] (malloc'd; the
 *                client frees them) with members[i]'s assignment.
 *   assigned() — after each successful SyncGroup with this member's
 *                assignment and member id; with assignment == NULL when the
 *                membership is lost or a rebalance starts (whatever the
 *                assignment granted must be considered revoked).
 *
 * Ownership: the cfg strings and metadata are copied by bs_kgroup_start().
 */
#ifndef BS_CLIENT_KGROUP_H
#define BS_CLIENT_KGROUP_H

#include <stddef.h>
#include <stdint.h>

typedef struct bs_kgroup_s bs_kgroup_t;

typedef struct bs_kgroup_member_s {
    const char *member_id;
    const uint8_t *metadata;
    size_t metadata_len;
} bs_kgroup_member_t;

typedef struct bs_kgroup_cfg_s {
    const char *bootstrap; /* "host:port[,host:port...]" */
    const char *group_id;
    const char *protocol_type; /* e.g. "sr" */
    const char *protocol_name; /* e.g. "v0" */
    const void *metadata;
    size_t metadata_len;
    int32_t session_timeout_ms;    /* e.g. 10000 */
    int32_t rebalance_timeout_ms;  /* e.g. 300000; how long a rebalance may take */
    int32_t heartbeat_interval_ms; /* e.g. 3000 */
    const char *client_id;
    int (*assign)(void *opaque, const bs_kgroup_member_t *members, int n, uint8_t **out,
                  size_t *outlen);
    void (*assigned)(void *opaque, const uint8_t *assignment, size_t len, const char *member_id,
                     int32_t generation);
    void *opaque;
} bs_kgroup_cfg_t;

/* Starts the membership thread. Returns NULL with err on a bad config. */
bs_kgroup_t *bs_kgroup_start(const bs_kgroup_cfg_t *cfg, char *err, size_t errlen);
/* Leaves the group (LeaveGroup, best effort), stops and frees. NULL is ok. */
void bs_kgroup_stop(bs_kgroup_t *g);

#endif
