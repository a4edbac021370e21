/*
 * config.h — configuration machinery shared by every Basin service.
 *
 * Two layers:
 *
 *  1. Java .properties files (the format of Kafka's server.properties and
 *     meta.properties): bs_props_parse_file() / bs_props_parse_string() call
 *     back once per key with the unescaped key and value;
 *     bs_props_write_atomic() writes a file crash-safely.
 *
 *  2. Typed setting tables (librdkafka's property table, Redis's command
 *     table): one bs_cfg_def_t per setting gives its name, type, Kafka's
 *     default, the valid range or set, importance, update mode, where the
 *     parsed value lives in the owning struct, synonyms and documentation.
 *     The same table drives parsing, validation, DescribeConfigs and the
 *     generated configuration reference (docs/broker-config.md).
 *
 * Ownership: tables are static const data owned by the module declaring
 * them (broker_config.c, topic_config.c). Strings stored into structs by
 * bs_cfg_store() are heap copies owned by the struct, unless the def has
 * BS_CFG_F_INLINE, in which case the member is a char[BS_CFG_INLINE_MAX].
 */
#ifndef BS_CONFIG_H
#define BS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------------------
 * .properties files
 * ------------------------------------------------------------------------- */

/* Called once per key/value pair, in file order. lineno is the (1-based)
 * line on which the logical line starts. Return 0 to continue; any other
 * value stops parsing and the parse function returns -1. A callback that
 * wants to explain why can write into the same err buffer it was given
 * through its opaque pointer: the parser only fills err if it is empty. */
typedef int (*bs_props_cb_t)(void *opaque, const char *key, const char *value, int lineno);

/* Parses a Java .properties file: `#`/`!` comment lines, `key=value`,
 * `key: value` and `key value` forms, leading/trailing whitespace trimmed,
 * backslash line continuation, and the escapes \t \n \r \f \uXXXX (encoded as
 * UTF-8) and \<any> (the character itself). Returns 0, or -1 with a message
 * naming the file and line in err (I/O error, malformed \u escape, callback
 * abort). */
int bs_props_parse_file(const char *path, bs_props_cb_t cb, void *opaque, char *err, size_t errlen);

/* Same, over an in-memory buffer; name is used in error messages. */
int bs_props_parse_string(const char *text, size_t len, const char *name, bs_props_cb_t cb,
                          void *opaque, char *err, size_t errlen);

/* Writes n key=value lines (escaped so bs_props_parse_* reads them back
 * exactly) to path crash-safely: write path.tmp, fsync it, rename over path,
 * fsync the directory. Returns 0 or -1 with err set (errno-based message). */
int bs_props_write_atomic(const char *path, const char *const *keys, const char *const *values,
                          int n, char *err, size_t errlen);

/* ---------------------------------------------------------------------------
 * Typed setting tables
 * ------------------------------------------------------------------------- */

/* Setting types; the values equal Kafka's DescribeConfigs ConfigType (v3+). */
typedef enum bs_cfg_type_e {
    BS_CFG_BOOLEAN = 1,  /* member: bool */
    BS_CFG_STRING = 2,   /* member: char * (heap, may be NULL) or inline */
    BS_CFG_INT = 3,      /* member: int32_t */
    BS_CFG_SHORT = 4,    /* member: int16_t */
    BS_CFG_LONG = 5,     /* member: int64_t */
    BS_CFG_DOUBLE = 6,   /* member: double */
    BS_CFG_LIST = 7,     /* member: char * raw comma-separated list, or inline */
    BS_CFG_CLASS = 8,    /* member: char * */
    BS_CFG_PASSWORD = 9, /* member: char *; never logged or described */
} bs_cfg_type_t;

/* Kafka DescribeConfigs ConfigSource values (DescribeConfigsResponse v1+,
 * org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource). */
enum {
    BS_CFG_SOURCE_UNKNOWN = 0,
    BS_CFG_SOURCE_DYNAMIC_TOPIC_CONFIG = 1,
    BS_CFG_SOURCE_DYNAMIC_BROKER_CONFIG = 2,
    BS_CFG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG = 3,
    BS_CFG_SOURCE_STATIC_BROKER_CONFIG = 4,
    BS_CFG_SOURCE_DEFAULT_CONFIG = 5,
    BS_CFG_SOURCE_DYNAMIC_BROKER_LOGGER_CONFIG = 6,
};

typedef enum bs_cfg_importance_e {
    BS_CFG_HIGH = 0,
    BS_CFG_MEDIUM,
    BS_CFG_LOW,
} bs_cfg_importance_t;

/* Kafka's "update mode" column of the broker config reference. */
typedef enum bs_cfg_update_e {
    BS_CFG_READ_ONLY = 0,
    BS_CFG_PER_BROKER,
    BS_CFG_CLUSTER_WIDE,
    BS_CFG_PER_TOPIC, /* topic-level settings: alterable per topic */
} bs_cfg_update_t;

/* def->flags */
#define BS_CFG_F_RANGE    0x01 /* numeric value must lie in [min, max] */
#define BS_CFG_F_INLINE   0x02 /* member is char[BS_CFG_INLINE_MAX], not char * */
#define BS_CFG_F_NOEFFECT 0x04 /* accepted and described, no effect in Basin */
#define BS_CFG_F_BASIN    0x08 /* Basin-specific setting (not in Kafka) */
#define BS_CFG_F_I64      0x10 /* INT setting stored in an int64_t member */

#define BS_CFG_INLINE_MAX 24
#define BS_CFG_NO_MEMBER  ((size_t)-1)
#define BS_CFG_VALUE_MAX  64 /* enough for any formatted numeric value */

typedef struct bs_cfg_def_s {
    const char *name;
    bs_cfg_type_t type;
    const char *dflt;      /* Kafka's default as a string; NULL = null */
    unsigned flags;        /* BS_CFG_F_* */
    double min, max;       /* with BS_CFG_F_RANGE; max >= 9.2e18 means "no max" */
    const char *valid_set; /* comma-separated allowed values (strings, list items) */
    bs_cfg_importance_t importance;
    bs_cfg_update_t update;
    size_t offset;          /* offsetof() in the owning struct, or BS_CFG_NO_MEMBER */
    const char *synonym_of; /* broker: this key is a lower-precedence synonym of that key;
                               topic: the broker setting providing the default */
    int64_t scale;          /* synonym_of (broker tables): multiply to get the primary's unit */
    const char *doc;
    const char *note; /* Basin/Kafka compatibility note for the reference, or NULL */
} bs_cfg_def_t;

/* One DescribeConfigs result entry. All pointers are valid only during the
 * callback that receives the entry. */
typedef struct bs_cfg_entry_s {
    const char *name;
    const char *value; /* NULL for null or sensitive */
    int read_only;
    int source; /* BS_CFG_SOURCE_* */
    int is_sensitive;
    int config_type; /* bs_cfg_type_t (== Kafka ConfigType) */
    const char *doc;
    int synonyms_count;
    struct {
        const char *name;
        const char *value;
        int source;
    } synonyms[4];
} bs_cfg_entry_t;

/* Index of name in defs[0..n), or -1. */
int bs_cfg_find(const bs_cfg_def_t *defs, int n, const char *name);

/* Pass-through client settings ("kafkastore.*", "producer.*", ...) kept as a
 * flat array kv[2*i] = name, kv[2*i+1] = value of *n pairs: sets name to a
 * copy of value, replacing an earlier value of the same name. */
void bs_cfg_kv_set(char ***kv, int *n, const char *name, const char *value);

/* Sets one key of a service's configuration: 0, or -1 with a message. */
typedef int (*bs_cfg_set_fn)(void *cfg, const char *key, const char *value, char *err,
                             size_t errlen);

/* The command line every Basin service takes (Kafka's start-script form):
 * `[file.properties] [--override key=value | --override=key=value]...`.
 * The file is applied first, then each override in order, through set.
 * --help, -h and --print-config-docs are skipped (the caller handles them).
 * Errors name the option, the file and line, or the key. service names the
 * command in messages ("broker"). Returns 0 or -1. */
int bs_cfg_load_args(const char *service, int argc, char **argv, bs_cfg_set_fn set, void *cfg,
                     char *err, size_t errlen);

/* Checks value against def (type, range, allowed set). value NULL means
 * null, accepted for string-like types only. Returns 0, or -1 with a message
 * naming the key, the value and what is allowed. */
int bs_cfg_validate(const bs_cfg_def_t *def, const char *value, char *err, size_t errlen);

/* Parses an integer-typed (INT/SHORT/LONG) value, range-checked. */
int bs_cfg_parse_int64(const bs_cfg_def_t *def, const char *value, int64_t *out, char *err,
                       size_t errlen);

/* Validates value and stores it into the member of base described by def
 * (no-op for BS_CFG_NO_MEMBER after validation). Heap strings previously in
 * the member are freed. Returns 0 or -1 with err set. */
int bs_cfg_store(const bs_cfg_def_t *def, void *base, const char *value, char *err, size_t errlen);

/* Formats the member of base described by def as Kafka prints it ("true",
 * "1048588", "0.5", the string). Returns buf, or NULL for a null string
 * member or a def without member. */
const char *bs_cfg_format(const bs_cfg_def_t *def, const void *base, char *buf, size_t len);

/* Frees heap string members of base described by defs and sets them NULL. */
void bs_cfg_free_members(const bs_cfg_def_t *defs, int n, void *base);

/* Human-readable type name ("int", "long", "list", ...), Kafka's doc style. */
const char *bs_cfg_type_name(bs_cfg_type_t t);
/* "[1,...]", "[0,...,1]", "[delete, compact]" or "" into buf. */
const char *bs_cfg_valid_desc(const bs_cfg_def_t *def, char *buf, size_t len);
const char *bs_cfg_importance_name(bs_cfg_importance_t i);
const char *bs_cfg_update_name(bs_cfg_update_t u);

/* Writes defs as a markdown table (one row per setting, sorted by name).
 * With topic != 0 the "synonym_of" column is labelled "Broker default from". */
void bs_cfg_print_markdown(FILE *out, const bs_cfg_def_t *defs, int n, int topic);

/* Returns a malloc'd array of indexes 0..n-1 ordered by defs[i].name. */
int *bs_cfg_sorted_index(const bs_cfg_def_t *defs, int n);

#endif
