/*
 * registry_int.h — the Schema Registry service's shared state, used by
 * registry.c (service life cycle, write queue, leadership), ops.c (schema
 * preparation, compatibility, record building) and resources.c (REST
 * handlers).
 *
 * Threads:
 *  - HTTP I/O threads run the handlers: reads are answered there under the
 *    model's read lock; writes are queued (bs_reg_enqueue) because they block.
 *  - one writer thread runs queued writes in order: on the leader it performs
 *    them against the store, on a follower it forwards them to the leader.
 *  - the store's consumer thread applies records to the model.
 *  - the election thread (election.c) sets the leader.
 */
#ifndef BS_REGISTRY_INT_H
#define BS_REGISTRY_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/jobq.h"
#include "http/http.h"
#include "registry/avro.h"
#include "registry/model.h"
#include "registry/registry_config.h"
#include "registry/store.h"

typedef struct bs_registry_s bs_registry_t;

/* A queued write: fn runs on the writer thread (only on the leader; on a
 * follower the request is forwarded instead) and must reply to req. free_arg
 * releases arg in every case. */
typedef void (*bs_reg_job_fn)(bs_registry_t *r, bs_http_req_t *req, void *arg);
typedef struct bs_reg_job_s {
    bs_job_t link; /* first: a bs_job_t * is the job */
    bs_http_req_t *req;
    bs_reg_job_fn fn;
    void *arg;
    void (*free_arg)(void *arg);
} bs_reg_job_t;

struct bs_registry_s {
    bs_reg_config_t *cfg;
    bs_reg_model_t model;
    bs_reg_store_t *store;
    bs_http_server_t *http;

    /* leadership (leader_mu) */
    pthread_mutex_t leader_mu;
    pthread_cond_t leader_cond; /* signalled when the leader changes */
    bool is_leader;             /* this instance writes to the store */
    bool leader_ready;          /* is_leader and the store has been read to the end */
    char *leader_url;           /* URL of the leader when another instance; NULL unknown */
    bool elections;             /* false: single instance, leader iff eligible */
    void *election;             /* election.c state */

    bs_jobq_t q; /* write queue */
    pthread_t writer;
    bool writer_started;
};

/* ---- registry.c ---- */
void bs_reg_enqueue(bs_registry_t *r, bs_http_req_t *req, bs_reg_job_fn fn, void *arg,
                    void (*free_arg)(void *));
/* Sets the leader (called by the election): url == NULL with self=false
 * means unknown. */
void bs_reg_set_leader(bs_registry_t *r, bool self, const char *url);

/* ---- ops.c ---- */

/* Error result of an operation, mapped to HTTP by the caller. */
typedef struct bs_reg_err_s {
    int status; /* HTTP status */
    int code;   /* Confluent error_code */
    char msg[1024];
} bs_reg_err_t;

int bs_reg_fail(bs_reg_err_t *e, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A registration/lookup/compatibility request after validation. */
typedef struct bs_reg_prep_s {
    char *subject;
    char *type;   /* "AVRO" */
    char *text;   /* text to store (canonical, or normalized) */
    json_t *refs; /* references (new ref) or NULL */
    char *ident;
    size_t identlen;
    bs_avro_schema_t *parsed;
    int32_t req_id;      /* IMPORT: requested id, -1 none */
    int32_t req_version; /* IMPORT: requested version, -1 none */
    bool force;
} bs_reg_prep_t;

void bs_reg_prep_free(bs_reg_prep_t *p);

/* Validates a subject name (42208). */
int bs_reg_check_subject(const char *s, bs_reg_err_t *e);
/* Parses a version path segment: 1..2^31-1, "latest" or -1 (-> -1). */
int bs_reg_parse_version(const char *s, int32_t *out, bs_reg_err_t *e);

/* Parses body into p: schema text, type, references (resolved against the
 * model), canonical or normalized text and identity. Takes the model lock
 * for reading. with_import: honour "id"/"version". */
int bs_reg_prepare(bs_registry_t *r, const char *subject, json_t *body, bool normalize,
                   bs_reg_prep_t *p, bs_reg_err_t *e);

/* The cached parsed form of a stored schema (caller holds the model lock). */
const bs_avro_schema_t *bs_reg_parsed(bs_registry_t *r, bs_reg_schema_t *sc, char *err,
                                      size_t errlen);

/* Effective levels/modes (caller holds the model lock). */
const char *bs_reg_compat_of(bs_registry_t *r, const char *subject);
const char *bs_reg_mode_of(bs_registry_t *r, const char *subject);
bool bs_reg_normalize_of(bs_registry_t *r, const char *subject);

/* Compatibility of p against the subject's versions: against one version
 * (only != NULL) or, as registration does, against the live versions the
 * level asks for. Returns 1 compatible, 0 not (messages appended when not
 * NULL). Caller holds the model lock. */
int bs_reg_check_compat(bs_registry_t *r, const bs_reg_prep_t *p, const char *level,
                        const bs_reg_version_t *only, json_t *messages);

/* Schema entity JSON for subject/version (new reference). */
json_t *bs_reg_schema_json(const char *subject, const bs_reg_version_t *v, bool with_deleted);

/* Record keys and values (malloc'd compact JSON). */
char *bs_reg_key_schema(const char *subject, int32_t version);
char *bs_reg_key_simple(const char *keytype, const char *subject); /* subject NULL = global */

/* Write with the store timeout; maps store errors to 50001/50002. */
int bs_reg_write(bs_registry_t *r, const char *key, const char *value, bs_reg_err_t *e);

/* ---- resources.c ---- */
extern const bs_http_route_t bs_reg_routes[];
extern const int bs_reg_nroutes;

/* ---- election.c ---- */
int bs_reg_election_start(bs_registry_t *r, char *err, size_t errlen);
void bs_reg_election_stop(bs_registry_t *r);

#endif
