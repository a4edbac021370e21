/*
 * format.h — the text formats of the console producer and consumer, kept
 * free of I/O and librdkafka so they can be unit-tested.
 *
 * Producer input line (kafka-console-producer): with parse.headers=true the
 * line starts with "h1:v1,h2:v2" followed by headers.delimiter; with
 * parse.key=true the rest is key, key.separator, value. A field equal to
 * null.marker is sent as null.
 *
 * Consumer output record (Kafka's DefaultMessageFormatter): optional
 * "CreateTime:ts", "Partition:p", "Offset:o", headers ("k:v,k2:v2" or
 * "NO_HEADERS"), key ("null" when null), each followed by key.separator, then
 * the value and line.separator.
 *
 * Ownership: parsed records point into the caller's line buffer; format
 * structs own their separator strings (bs_*_fmt_free).
 */
#ifndef BS_TOOLS_FORMAT_H
#define BS_TOOLS_FORMAT_H

#include "tools/opts.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BS_FMT_MAX_HEADERS 64

typedef struct bs_prod_fmt_s {
    int parse_key;
    int parse_headers;
    int ignore_error; /* a line without separators is sent as a null-key value */
    char *key_sep;
    char *headers_delim;
    char *headers_sep;
    char *headers_key_sep;
    char *null_marker; /* NULL: none */
} bs_prod_fmt_t;

typedef struct bs_field_s {
    const char *ptr; /* NULL means a null field */
    size_t len;
} bs_field_t;

typedef struct bs_prod_rec_s {
    bs_field_t key, value;
    bs_field_t hkey[BS_FMT_MAX_HEADERS], hval[BS_FMT_MAX_HEADERS];
    int nhdrs;
} bs_prod_rec_t;

/* Known --property names of the producer, NULL-terminated. */
extern const char *const bs_prod_fmt_props[];

/* Fills f from --property values (defaults as Kafka's). 0 or -1 with err. */
int bs_prod_fmt_init(bs_prod_fmt_t *f, const bs_kvlist_t *props, char *err, size_t errlen);
void bs_prod_fmt_free(bs_prod_fmt_t *f);
/* Splits line[0..len) into rec. 0, or -1 with err naming what is missing. */
int bs_prod_parse_line(const bs_prod_fmt_t *f, const char *line, size_t len, bs_prod_rec_t *rec,
                       char *err, size_t errlen);

typedef struct bs_cons_fmt_s {
    int print_key, print_value, print_timestamp, print_offset, print_partition, print_headers;
    char *key_sep, *line_sep, *headers_sep, *headers_key_sep;
    char *null_literal; /* printed for null keys/values, "null" */
} bs_cons_fmt_t;

extern const char *const bs_cons_fmt_props[];

int bs_cons_fmt_init(bs_cons_fmt_t *f, const bs_kvlist_t *props, char *err, size_t errlen);
void bs_cons_fmt_free(bs_cons_fmt_t *f);

typedef struct bs_cons_rec_s {
    int64_t timestamp;  /* -1: none */
    int timestamp_type; /* 1 create time, 2 log append time */
    int32_t partition;
    int64_t offset;
    bs_field_t key, value;
    const bs_field_t *hkey, *hval;
    int nhdrs;
} bs_cons_rec_t;

/* Writes one record to out. Returns 0 or -1 on a write error. */
int bs_cons_write(const bs_cons_fmt_t *f, const bs_cons_rec_t *r, FILE *out);

/* Parses "YYYY-MM-DDTHH:mm:SS[.sss][Z|±HH:MM]" into ms since the epoch
 * (local time when no zone is given, as kafka-consumer-groups.sh does).
 * 0 or -1. */
int bs_parse_datetime(const char *s, int64_t *ms);

#endif
