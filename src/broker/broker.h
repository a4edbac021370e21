/*
 * broker.h — the broker process: configuration, event loop, listeners,
 * connections, topics, and the request context handed to API handlers.
 *
 * Threads: one event-loop thread runs every connection and every handler
 * (@locality: loop thread for everything here unless said otherwise), plus
 * background workers (fsync for log.flush.on.ack) that talk to the loop via
 * bs_loop_wakeup().
 */
#ifndef BS_BROKER_H
#define BS_BROKER_H

#include "base/arena.h"
#include "base/err.h"
#include "base/hmap.h"
#include "base/wbuf.h"
#include "broker/broker_config.h"
#include "broker/pidstate.h"
#include "broker/plog.h"
#include "broker/topic_config.h"
#include "net/loop.h"
#include "proto/codec.h"
#include "proto/gen/kmsg.h"

#include <pthread.h>
#include <stdbool.h>

typedef struct bs_broker_s bs_broker_t;
typedef struct bs_conn_s bs_conn_t;
typedef struct bs_req_s bs_req_t;
typedef struct bs_topic_s bs_topic_t;
typedef struct bs_partition_s bs_partition_t;
typedef struct bs_listen_s bs_listen_t;

/* ---- topics and partitions (topics.c) ---- */

struct bs_partition_s {
    bs_topic_t *topic;
    int32_t id;
    bs_plog_t *log;
    char *dir;
    bs_pidstate_t pids; /* idempotent producers; loaded on first use */
    bool pids_loaded;
};

struct bs_topic_s {
    char *name;
    bs_uuid_t id;
    int32_t npart;
    bs_partition_t **parts;
    bs_topic_overrides_t ov; /* explicitly set topic configs (persisted) */
    bs_topic_config_t cfg;   /* effective configuration */
    bool internal;           /* __consumer_offsets, __transaction_state */
    int32_t want;            /* while being built: the partition count asked for */
    bs_topic_t *build_next;  /* while being built: bs_broker_t.building list */
    /* partitions being added (bs_topics_grow_*): not visible until finished */
    bs_partition_t **grow_parts;
    int32_t grow_n, grow_want; /* grow_want > 0: in progress */
    const void *grow_owner;    /* who began it (the CreatePartitions job) */
};

bs_topic_t *bs_topics_find(bs_broker_t *b, const char *name, size_t len);
bs_partition_t *bs_topics_partition(bs_broker_t *b, bs_kstr_t topic, int32_t partition);
/* Validates a topic name the way Kafka does; NULL if legal, else why not. */
const char *bs_topic_name_invalid(const char *name, size_t len);
/* Creates a topic. npart <= 0 means num.partitions. With validate_only
 * nothing is created. err gets a message naming the problem. */
bs_err_t bs_topics_create(bs_broker_t *b, const char *name, int32_t npart,
                          const bs_topic_overrides_t *ov, bool validate_only, char *err,
                          size_t errlen, bs_topic_t **out);
/* Incremental creation, for CreateTopics: a topic with many partitions takes
 * a while to create (four files per partition), so the handler builds it in
 * slices and lets the event loop serve other connections in between. While
 * it is built the topic is not in b->topics (Metadata, Produce and Fetch do
 * not see it) but its name is taken (b->building: a second create gets
 * TOPIC_ALREADY_EXISTS). bs_topics_create = begin + step(-1) + finish.
 *   begin: validates (as bs_topics_create) and, unless validate_only, returns
 *          the topic under construction in *out;
 *   step:  opens partitions until all are there (1) or the monotonic clock
 *          passes deadline_ms (0); -1 on failure, the build is then gone;
 *   finish: persists and publishes it; on failure the build is gone;
 *   abort: removes an unfinished build and its partition directories. */
bs_err_t bs_topics_build_begin(bs_broker_t *b, const char *name, int32_t npart,
                               const bs_topic_overrides_t *ov, bool validate_only, char *err,
                               size_t errlen, bs_topic_t **out);
int bs_topics_build_step(bs_broker_t *b, bs_topic_t *t, int64_t deadline_ms, char *err,
                         size_t errlen);
bs_err_t bs_topics_build_finish(bs_broker_t *b, bs_topic_t *t, char *err, size_t errlen);
void bs_topics_build_abort(bs_broker_t *b, bs_topic_t *t);
/* 0, or -1 with a message when n more partitions would exceed the broker's
 * open-files limit (see topics.c). */
int bs_topics_fd_budget(int64_t n, char *err, size_t errlen);
bs_err_t bs_topics_delete(bs_broker_t *b, bs_topic_t *t);
/* Incremental CreatePartitions, like the build above: begin validates (a
 * second grow of the same topic meanwhile gets REASSIGNMENT_IN_PROGRESS) and,
 * unless validate_only, starts adding partitions up to total, owned by owner;
 * step opens them in slices (1 done, 0 deadline, -1 failed and abandoned);
 * finish makes them visible and persists; abort removes the unfinished ones
 * (also done by bs_topics_delete and at shutdown). */
bs_err_t bs_topics_grow_begin(bs_broker_t *b, bs_topic_t *t, int32_t total, bool validate_only,
                              const void *owner, char *err, size_t errlen);
int bs_topics_grow_step(bs_broker_t *b, bs_topic_t *t, int64_t deadline_ms, char *err,
                        size_t errlen);
bs_err_t bs_topics_grow_finish(bs_broker_t *b, bs_topic_t *t, char *err, size_t errlen);
void bs_topics_grow_abort(bs_broker_t *b, bs_topic_t *t);
/* Replaces the topic's overrides (validated first), persists, reconfigures. */
bs_err_t bs_topics_set_overrides(bs_broker_t *b, bs_topic_t *t, bs_topic_overrides_t *ov,
                                 bool validate_only, char *err, size_t errlen);
/* Topics sorted by name into a malloc'd array (caller frees the array). */
bs_topic_t **bs_topics_sorted(bs_broker_t *b, int *count);
int bs_topics_load(bs_broker_t *b);
void bs_topics_close_all(bs_broker_t *b);
void bs_topics_plog_config(const bs_broker_config_t *bc, const bs_topic_config_t *tc,
                           bs_plog_config_t *pc);

/* ---- requests (server.c) ---- */

struct bs_req_s {
    bs_broker_t *b;
    bs_conn_t *conn;
    bs_RequestHeader_t hdr;
    int16_t api_key, api_version;
    int32_t correlation_id;
    bs_krd_t rd;       /* positioned at the request body */
    bs_arena_t *arena; /* freed when the request completes */
    void *parked;      /* handler state while BS_ERR__PENDING */
};

/* Handler contract: decode req->rd, write exactly one response frame with
 * bs_req_respond (or none, for acks=0 produce), and return BS_ERR_NONE; or
 * park and return BS_ERR__PENDING, then call bs_req_complete() later after
 * responding; or return BS_ERR__PARSE (message in req->rd.err) to close the
 * connection. */
typedef bs_err_t (*bs_handler_fn)(bs_req_t *req);

typedef struct bs_handler_s {
    int16_t min_ver, max_ver; /* advertised range; max_ver < 0: not offered */
    bs_handler_fn fn;
} bs_handler_t;

extern const bs_handler_t bs_handlers[];
extern const int bs_handlers_count;

bs_wbuf_t *bs_req_out(bs_req_t *req);
#define bs_req_respond(req, Type, resp)                                                            \
    do {                                                                                           \
        bs_wbuf_t *_w = bs_req_out(req);                                                           \
        size_t _fp;                                                                                \
        bs_kresp_begin(_w, (req)->api_key, (req)->api_version, (req)->correlation_id, &_fp);       \
        bs_##Type##_encode((resp), _w, (req)->api_version);                                        \
        bs_kresp_end(_w, _fp);                                                                     \
    } while (0)
void bs_req_complete(bs_req_t *req);
const char *bs_req_peer(const bs_req_t *req);
const bs_listen_t *bs_req_listener(const bs_req_t *req);

/* ---- long polls and acknowledgement waits ---- */

/* Called after data is appended to a partition (wakes parked fetches). */
void bs_fetch_notify(bs_broker_t *b, bs_partition_t *p, int64_t bytes);
void bs_fetch_abort_conn(bs_broker_t *b, bs_conn_t *c);
/* log.flush.on.ack: queue a partition for the fsync worker. */
void bs_sync_enqueue(bs_broker_t *b, bs_partition_t *p);
/* Drops p from the fsync queue and waits for an in-flight round (deletion). */
void bs_sync_forget(bs_broker_t *b, bs_partition_t *p);
void bs_produce_sync_done(bs_broker_t *b);
void bs_produce_abort_conn(bs_broker_t *b, bs_conn_t *c);
/* A parked CreateTopics of c is dropped (its unfinished topic abandoned). */
void bs_admin_abort_conn(bs_broker_t *b, bs_conn_t *c);
/* A partition is being deleted: parked produce requests stop waiting on it. */
void bs_produce_forget_partition(bs_broker_t *b, bs_partition_t *p);

/* ---- the broker ---- */

struct bs_listen_s {
    bs_io_t io;
    bs_broker_t *b;
    char *name;
    char *host;     /* bound host ("" = any) */
    int port;       /* actual port */
    char *adv_host; /* advertised */
    int adv_port;
};

typedef struct bs_fetch_wait_s bs_fetch_wait_t;
typedef struct bs_produce_wait_s bs_produce_wait_t;

struct bs_broker_s {
    bs_broker_config_t *cfg;
    bs_loop_t *loop;
    bs_listen_t *listeners;
    int nlisteners;
    char cluster_id[64];
    int32_t node_id;

    bs_hmap_t topics;                    /* name -> bs_topic_t* */
    bs_topic_t *building;                /* topics being created (bs_topics_build_*) */
    struct bs_create_job_s *create_jobs; /* parked CreateTopics (handler_admin.c) */

    bs_conn_t *conns; /* doubly linked */
    int nconns;

    bs_fetch_wait_t *fetch_waits;     /* parked fetches */
    bs_produce_wait_t *produce_waits; /* produce requests waiting for fsync */

    /* fsync worker (log.flush.on.ack) */
    pthread_t sync_thread;
    pthread_mutex_t sync_mu;
    pthread_cond_t sync_cv;
    bs_partition_t **sync_q;
    int sync_qn, sync_qcap;
    bool sync_stop, sync_started;

    /* producer ids (InitProducerId): handed out from [pid_next, pid_limit);
     * pid_limit is persisted before any id below it is used */
    int64_t pid_next, pid_limit;

    bs_timer_t retention_timer;
    bs_timer_t flush_timer;
    bool recovering; /* unclean shutdown detected at start-up */

    struct bs_gcoord_s *groups; /* group coordinator (group.h) */

    /* transaction coordinator (txn.h) */
    bs_hmap_t txns;     /* transactional id -> bs_txn_t* */
    bs_hmap_t txn_pids; /* producer id (8 bytes) -> bs_txn_t* */
    bs_timer_t txn_timer;
};

/* Idempotent producer state of p, loaded from its snapshot + log on first use. */
bs_pidstate_t *bs_partition_pids(bs_partition_t *p);
/* Allocates a never-used producer id; -1 on a storage error. */
int64_t bs_producer_id_next(bs_broker_t *b);

int bs_broker_main(int argc, char **argv);

#endif
