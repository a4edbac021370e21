/*
 * avro.h — Avro schema model for the Schema Registry: parsing with full
 * validation, the registry's canonical and normalized texts, the Parsing
 * Canonical Form with its CRC-64-AVRO fingerprint, and a reader/writer
 * compatibility checker that follows the "Schema Resolution" section of the
 * Avro specification the way Apache Avro (Java) SchemaCompatibility does,
 * which is what Confluent's registry calls.
 *
 * Pure functions: no I/O, no global state, thread-safe on distinct inputs and
 * on a shared parsed schema (a bs_avro_schema_t is immutable once parsed).
 *
 * Ownership: bs_avro_parse() returns a schema owned by the caller, freed with
 * bs_avro_schema_free(). Every node, field and string reachable from it is
 * owned by the schema and lives until it is freed. Strings returned by the
 * bs_avro_canonical()/normalized()/parsing_canonical_form() functions are
 * malloc'd and owned by the caller (free()).
 *
 * JSON input rules (decided to match Java Avro's Jackson-based parser):
 *  - duplicate object keys are accepted and the last value wins, keeping the
 *    position of the first occurrence (Jackson's ObjectNode behaviour);
 *  - any JSON value may be the top level ("\"string\"" is a valid schema);
 *  - integers outside int64 are rejected (Jackson would accept them as
 *    BigInteger; no real schema needs them); \u0000 is accepted in default
 *    values and custom properties (bytes defaults use it) but not in names,
 *    symbols, namespaces or docs; JSON comments (which Avro's parser allows)
 *    are not supported.
 *  - doubles in default values are printed like Java's Double.toString with
 *    the shortest round-trip digits (JDK 19+ behaviour).
 *  - a reader field whose aliases match two different writer fields is
 *    incompatible (Avro throws there), even when reading its own schema.
 */
#ifndef BS_REGISTRY_AVRO_H
#define BS_REGISTRY_AVRO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---------------------------------------------------------------------------
 * The model (read-only view for the registry and the serdes)
 * ------------------------------------------------------------------------- */

typedef enum bs_avro_type_e {
    BS_AVRO_NULL,
    BS_AVRO_BOOLEAN,
    BS_AVRO_INT,
    BS_AVRO_LONG,
    BS_AVRO_FLOAT,
    BS_AVRO_DOUBLE,
    BS_AVRO_BYTES,
    BS_AVRO_STRING,
    BS_AVRO_RECORD, /* also "error" (is_error set) */
    BS_AVRO_ENUM,
    BS_AVRO_ARRAY,
    BS_AVRO_MAP,
    BS_AVRO_UNION,
    BS_AVRO_FIXED,
} bs_avro_type_t;

/* A logical type that validated against its underlying type; an invalid one
 * is ignored (BS_AVRO_LT_NONE) exactly as Avro does, but its properties are
 * still kept in `props` (and so in the canonical text). */
typedef enum bs_avro_logical_e {
    BS_AVRO_LT_NONE,
    BS_AVRO_LT_DECIMAL,                /* bytes or fixed; precision, scale */
    BS_AVRO_LT_BIG_DECIMAL,            /* bytes */
    BS_AVRO_LT_UUID,                   /* string (or fixed(16)) */
    BS_AVRO_LT_DATE,                   /* int */
    BS_AVRO_LT_TIME_MILLIS,            /* int */
    BS_AVRO_LT_TIME_MICROS,            /* long */
    BS_AVRO_LT_TIMESTAMP_MILLIS,       /* long */
    BS_AVRO_LT_TIMESTAMP_MICROS,       /* long */
    BS_AVRO_LT_TIMESTAMP_NANOS,        /* long */
    BS_AVRO_LT_LOCAL_TIMESTAMP_MILLIS, /* long */
    BS_AVRO_LT_LOCAL_TIMESTAMP_MICROS, /* long */
    BS_AVRO_LT_LOCAL_TIMESTAMP_NANOS,  /* long */
    BS_AVRO_LT_DURATION,               /* fixed(12) */
} bs_avro_logical_t;

typedef enum bs_avro_order_e {
    BS_AVRO_ORDER_ASCENDING,
    BS_AVRO_ORDER_DESCENDING,
    BS_AVRO_ORDER_IGNORE,
} bs_avro_order_t;

typedef struct bs_avro_node_s bs_avro_node_t;

typedef struct bs_avro_field_s {
    const char *name;
    const bs_avro_node_t *type;
    const char *doc;       /* NULL if absent */
    const json_t *dflt;    /* the default value as written; NULL if none */
    bs_avro_order_t order; /* ascending unless "order" was given */
    const char **aliases;  /* field aliases (plain names), de-duplicated */
    int naliases;
    const json_t *props; /* custom properties in input order (JSON object) */
} bs_avro_field_t;

struct bs_avro_node_s {
    bs_avro_type_t type;
    bs_avro_logical_t logical; /* BS_AVRO_LT_NONE if none or invalid */
    int precision, scale;      /* decimal only */
    /* named types (record, enum, fixed) */
    const char *name;     /* short name */
    const char *space;    /* namespace, NULL if none */
    const char *fullname; /* space.name, or name */
    const char *doc;      /* NULL if absent */
    const char **aliases; /* full names, de-duplicated */
    int naliases;
    int is_error; /* record declared as "error" */
    int from_ref; /* defined by a reference (printed by name) */
    /* record */
    const bs_avro_field_t *fields;
    int nfields;
    /* enum */
    const char **symbols;
    int nsymbols;
    const char *enum_default; /* NULL if none */
    /* fixed */
    int size;
    /* array items / map values */
    const bs_avro_node_t *items;
    /* union */
    const bs_avro_node_t *const *branches;
    int nbranches;
    /* custom properties (incl. logicalType/precision/scale) in input order;
     * never NULL (an empty object when there are none) */
    const json_t *props;
};

typedef struct bs_avro_schema_s bs_avro_schema_t; /* immutable once parsed */

/* A reference as the registry resolved it: `name` is the full Avro type name
 * (Confluent's reference "name"), `schema` the referenced schema text. */
typedef struct bs_avro_ref_s {
    const char *name;
    const char *schema;
} bs_avro_ref_t;

/* Parses `text` (len bytes, need not be NUL-terminated) with full validation,
 * after first parsing each reference in refs[0..nrefs) in order into the same
 * name table (so refs must be ordered dependencies-first, as the registry
 * resolves them). Returns NULL and writes a message naming the problem and its
 * path into err on failure, e.g.
 *   "field 'age' in record 'com.acme.User': default value "x" is not an int".
 * An error inside a reference is prefixed with "reference 'name': ". */
bs_avro_schema_t *bs_avro_parse(const char *text, size_t len, const bs_avro_ref_t *refs, int nrefs,
                                char *err, size_t errlen);
void bs_avro_schema_free(bs_avro_schema_t *s);

/* The top-level node of the main schema (not of the references). */
const bs_avro_node_t *bs_avro_root(const bs_avro_schema_t *s);
/* Looks a named type up by full name, in the schema and its references. */
const bs_avro_node_t *bs_avro_lookup(const bs_avro_schema_t *s, const char *fullname);

/* ---------------------------------------------------------------------------
 * Texts and fingerprints (all malloc'd, caller frees)
 * ------------------------------------------------------------------------- */

/* The registry's stored text and identity: Java Avro Schema.toString()
 * compact JSON (what Confluent's AvroSchema.canonicalString() returns). Key
 * order: records "type,name,namespace(if not inherited),doc,fields,props,
 * aliases"; fields "name,type,doc,default,order(if not ascending),aliases,
 * props"; primitives without props collapse to "int". Types defined by
 * references print as their name. */
char *bs_avro_canonical(const bs_avro_schema_t *s);
/* Confluent's normalize=true text (AvroSchemaUtils.toNormalizedString):
 * full names, fixed key order, aliases and props sorted. */
char *bs_avro_normalized(const bs_avro_schema_t *s);
/* Avro specification's Parsing Canonical Form, and its CRC-64-AVRO (Rabin)
 * fingerprint. */
char *bs_avro_parsing_canonical_form(const bs_avro_schema_t *s);
uint64_t bs_avro_fingerprint64(const bs_avro_schema_t *s);
/* CRC-64-AVRO of arbitrary bytes. */
uint64_t bs_avro_crc64(const void *buf, size_t len);

/* ---------------------------------------------------------------------------
 * Compatibility
 * ------------------------------------------------------------------------- */

typedef enum bs_avro_compat_level_e {
    BS_AVRO_COMPAT_NONE,
    BS_AVRO_COMPAT_BACKWARD,
    BS_AVRO_COMPAT_BACKWARD_TRANSITIVE,
    BS_AVRO_COMPAT_FORWARD,
    BS_AVRO_COMPAT_FORWARD_TRANSITIVE,
    BS_AVRO_COMPAT_FULL,
    BS_AVRO_COMPAT_FULL_TRANSITIVE,
} bs_avro_compat_level_t;

/* "BACKWARD" (case-insensitive) -> BS_AVRO_COMPAT_BACKWARD; -1 if unknown. */
int bs_avro_compat_level_parse(const char *s);
/* Upper-case name ("FULL_TRANSITIVE"); "UNKNOWN" for an invalid value. */
const char *bs_avro_compat_level_name(bs_avro_compat_level_t l);

/* Can data written with `writer` be read with `reader`? Returns 1 yes, 0 no.
 * When messages != NULL (a JSON array), appends one string per
 * incompatibility in Confluent's Difference style, calling the reader "new"
 * and the writer "old", e.g.
 *   {errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f'
 *   at path '/fields/1' in the new schema has no default value and is missing
 *   in the old schema', additionalInfo:'f'} */
int bs_avro_can_read(const bs_avro_schema_t *reader, const bs_avro_schema_t *writer,
                     json_t *messages);
/* The same with explicit labels for the reader and the writer ("new"/"old"). */
int bs_avro_can_read_ex(const bs_avro_schema_t *reader, const bs_avro_schema_t *writer,
                        const char *reader_label, const char *writer_label, json_t *messages);

/* The registry's check of `candidate` against existing[0..n) (oldest first,
 * newest LAST; only non-deleted versions): BACKWARD = candidate reads the
 * latest; FORWARD = the latest reads candidate; FULL = both; *_TRANSITIVE =
 * against every version, newest to oldest, stopping at the first failure.
 * Returns 1 compatible, 0 not. On failure appends the differences, then
 * "{oldSchema: '<canonical>'}" and "{validateFields: 'false', compatibility:
 * 'LEVEL'}" to messages (if not NULL). */
int bs_avro_compatible(bs_avro_compat_level_t level, const bs_avro_schema_t *candidate,
                       const bs_avro_schema_t *const *existing, int n, json_t *messages);
/* As above; versions[i] (if versions != NULL) is existing[i]'s version number,
 * reported as "{oldSchemaVersion: N}" before "{oldSchema: ...}". *failed (if
 * not NULL) receives the index in existing[] that failed, or -1. */
int bs_avro_compatible_ex(bs_avro_compat_level_t level, const bs_avro_schema_t *candidate,
                          const bs_avro_schema_t *const *existing, const int *versions, int n,
                          json_t *messages, int *failed);

#endif
