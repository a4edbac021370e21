/*
 * opts.h — table-driven command-line parsing for the console tools.
 *
 * Each tool declares a table of bs_opt_spec_t (Kafka CLI option names without
 * the leading "--"); bs_opts_parse() fills a bs_opts_t whose values point
 * into argv (argv owns the strings; bs_opts_t owns only its arrays, freed by
 * bs_opts_free). Errors never print: they come back as a message naming the
 * offending option, and the tool prints it and exits 2.
 *
 * "k=v" helpers (bs_kv_*) parse --property / --config style arguments into an
 * owned list of key/value strings; new keys (e.g. --avro's schema.registry.url)
 * are accepted by adding them to the tool's list of known property names.
 */
#ifndef BS_TOOLS_OPTS_H
#define BS_TOOLS_OPTS_H

#include <stddef.h>
#include <stdio.h>

#define BS_OPTS_MAX 64

typedef enum { BS_OPT_FLAG = 0, BS_OPT_VALUE = 1, BS_OPT_LIST = 2 } bs_opt_kind_t;

typedef struct bs_opt_spec_s {
    const char *name; /* "topic" for --topic */
    bs_opt_kind_t kind;
    const char *arg;  /* argument placeholder for --help ("TOPIC"), NULL for flags */
    const char *help; /* one-line description */
} bs_opt_spec_t;

typedef struct bs_opts_s {
    const bs_opt_spec_t *specs;
    size_t nspecs;
    int count[BS_OPTS_MAX];
    const char **vals[BS_OPTS_MAX]; /* owned arrays of pointers into argv */
} bs_opts_t;

/* Parses argv[0..argc) (options only, no program name). Accepts "--name value"
 * and "--name=value". Returns 0, or -1 with a message in err: unknown option,
 * missing value, a non-list option given twice, a stray positional argument. */
int bs_opts_parse(bs_opts_t *o, const bs_opt_spec_t *specs, size_t nspecs, int argc, char **argv,
                  char *err, size_t errlen);
void bs_opts_free(bs_opts_t *o);

int bs_opts_has(const bs_opts_t *o, const char *name);
/* The (last) value of an option, or NULL when it was not given. */
const char *bs_opts_get(const bs_opts_t *o, const char *name);
/* Every value of a list option (count in *n); NULL when none. */
const char **bs_opts_list(const bs_opts_t *o, const char *name, int *n);

/* Prints one line per option: "  --topic TOPIC   help". */
void bs_opts_usage(FILE *out, const bs_opt_spec_t *specs, size_t nspecs);

/* Parses a decimal integer in [min, max]; 0 or -1 (with err naming `what`). */
int bs_opts_int(const char *s, long long min, long long max, long long *out, const char *what,
                char *err, size_t errlen);
/* Parses "true"/"false" (case-insensitive); 0 or -1. */
int bs_opts_bool(const char *s, int *out, const char *what, char *err, size_t errlen);

typedef struct bs_kv_s {
    char *key;
    char *val;
} bs_kv_t;

typedef struct bs_kvlist_s {
    bs_kv_t *items;
    size_t n;
} bs_kvlist_t;

/* Splits each "k=v" of vals into list (appending; a later key replaces an
 * earlier one). `what` names the option for the message ("--property").
 * Returns 0 or -1 (missing '=', empty key). */
int bs_kvlist_add(bs_kvlist_t *list, const char **vals, int n, const char *what, char *err,
                  size_t errlen);
const char *bs_kvlist_get(const bs_kvlist_t *list, const char *key);
/* Checks every key is in the NULL-terminated known list; -1 naming the first
 * unknown key otherwise. */
int bs_kvlist_check(const bs_kvlist_t *list, const char *const *known, const char *what, char *err,
                    size_t errlen);
void bs_kvlist_free(bs_kvlist_t *list);

/* Decodes the escapes \t \n \r \\ \0 in a separator given on the command line
 * (Kafka tools accept a literal tab; shells make "\t" easier). Returns a newly
 * allocated string or NULL on allocation failure. */
char *bs_opts_unescape(const char *s);

#endif
