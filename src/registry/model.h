/*
 * model.h — the Schema Registry's in-memory state: schemas by id, subjects
 * with their versions, compatibility configs and modes, rebuilt from the
 * `_schemas` topic records (Confluent's JSON key/value formats).
 *
 * The model is only ever changed by bs_reg_model_apply(), called by the
 * store's consumer thread for every record it reads (so every instance,
 * leader or follower, holds the same state for the same offset). Readers
 * take m->lock for reading; the applier takes it for writing.
 *
 * Ownership: the model owns every subject, version array, schema entry,
 * string and json_t reachable from it. Pointers returned by the lookup
 * functions are valid while the caller holds m->lock (read or write).
 *
 * Identity: every schema entry has an identity string `ident` (the stored
 * schema text, a 0x00 byte, then its references as name/subject/version
 * triples). A registration whose canonical text and references give the same
 * ident reuses the entry's id (Confluent's MD5-of-canonical-text rule without
 * the hash: the full string is the key).
 */
#ifndef BS_REGISTRY_MODEL_H
#define BS_REGISTRY_MODEL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hmap.h"

typedef struct bs_reg_schema_s {
    int32_t id;
    char *type;   /* "AVRO", "JSON", "PROTOBUF", ... (never NULL) */
    char *text;   /* stored schema string */
    json_t *refs; /* array of {"name","subject","version"}, or NULL when none */
    char *ident;  /* identity key (see above) */
    size_t identlen;
    char *by_id_json; /* pre-rendered GET /schemas/ids/{id} body */
    size_t by_id_len;
    int nuse;     /* subject versions (incl. soft-deleted) using this id */
    void *parsed; /* cached bs_avro_schema_t (set lazily by the registry) */
    pthread_mutex_t parse_lock;
} bs_reg_schema_t;

typedef struct bs_reg_version_s {
    int32_t version;
    bool deleted;
    bs_reg_schema_t *schema;
} bs_reg_version_t;

typedef struct bs_reg_subject_s {
    char *name;
    bs_reg_version_t *v; /* ascending by version */
    int nv, cap;
    json_t *config; /* subject config object ({"compatibilityLevel":..}) or NULL */
    char *mode;     /* subject mode or NULL */
} bs_reg_subject_t;

/* Frees a cached parsed schema (registered by the registry). */
typedef void (*bs_reg_parsed_free_fn)(void *parsed);

typedef struct bs_reg_model_s {
    pthread_rwlock_t lock;
    bs_hmap_t subjects; /* name -> bs_reg_subject_t */
    bs_hmap_t by_id;    /* 4-byte id -> bs_reg_schema_t */
    bs_hmap_t by_ident; /* ident -> bs_reg_schema_t (lowest id with that ident) */
    int32_t max_id;     /* highest id ever seen (never decreases) */
    json_t *config;     /* global config object, NULL = server default */
    char *mode;         /* global mode, NULL = READWRITE */
    int64_t applied;    /* offset of the last record applied, -1 = none */
    uint64_t records;   /* records applied (stats) */
    uint64_t rejected;  /* records skipped as malformed or invalid */
    bs_reg_parsed_free_fn parsed_free;
} bs_reg_model_t;

void bs_reg_model_init(bs_reg_model_t *m);
void bs_reg_model_free(bs_reg_model_t *m);

/* Applies one `_schemas` record (key JSON, value JSON or NULL for a
 * tombstone) read at `offset`. Malformed or invalid records are skipped with
 * a warning naming the problem (returns -1 with err); the offset still
 * counts as applied. Caller holds m->lock for writing. */
int bs_reg_model_apply(bs_reg_model_t *m, const char *key, size_t klen, const char *value,
                       size_t vlen, int64_t offset, char *err, size_t errlen);

/* Builds the identity string of (text, type, refs); malloc'd, *len set. */
char *bs_reg_ident(const char *text, size_t tlen, const char *type, const json_t *refs,
                   size_t *len);

/* ---- lookups (caller holds m->lock) ---- */
bs_reg_subject_t *bs_reg_model_subject(const bs_reg_model_t *m, const char *name);
bs_reg_schema_t *bs_reg_model_schema(const bs_reg_model_t *m, int32_t id);
bs_reg_schema_t *bs_reg_model_by_ident(const bs_reg_model_t *m, const char *ident, size_t len);
/* Version entry `version` of s (any deleted state), or NULL. */
bs_reg_version_t *bs_reg_subject_version(const bs_reg_subject_t *s, int32_t version);
/* Latest version (deleted ones only if include_deleted), or NULL. */
bs_reg_version_t *bs_reg_subject_latest(const bs_reg_subject_t *s, bool include_deleted);
/* Number of live (non-deleted) versions. */
int bs_reg_subject_live(const bs_reg_subject_t *s);
/* Highest version number ever present (incl. soft-deleted), 0 if none. */
int32_t bs_reg_subject_max_version(const bs_reg_subject_t *s);

#endif
