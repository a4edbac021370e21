/*
 * avro_int.h — private definitions shared by the Avro schema files
 * (avro.c: parser and model; avro_text.c: JSON writer, canonical and
 * normalized texts, Parsing Canonical Form, fingerprints; avro_compat.c:
 * reader/writer resolution checks).
 *
 * Ownership: everything hangs off one bs_avro_schema_t. Nodes, fields and
 * strings live in its arena; JSON values (the parsed documents, which field
 * defaults point into, and the props objects) are listed in `owned` and
 * released by bs_avro_schema_free().
 */
#ifndef BS_REGISTRY_AVRO_INT_H
#define BS_REGISTRY_AVRO_INT_H

#include <stdarg.h>

#include "base/arena.h"
#include "registry/avro.h"

struct bs_avro_schema_s {
    bs_arena_t arena;
    bs_avro_node_t *root;
    bs_avro_node_t **named; /* every named type, in definition order */
    int nnamed, capnamed;
    bs_avro_node_t **refroots; /* top-level named types of the references */
    int nrefroots, caprefroots;
    json_t **owned; /* JSON values released at free */
    int nowned, capowned;
    json_t *empty_props; /* shared {} for nodes without properties */
    json_t *name_index;  /* full name -> index in named[] */
};

/* Growable string (aborts on OOM like the rest of base/). */
typedef struct bs_avro_sb_s {
    char *buf;
    size_t len, cap;
} bs_avro_sb_t;

void bs_avro_sb_putn(bs_avro_sb_t *b, const char *s, size_t n);
void bs_avro_sb_puts(bs_avro_sb_t *b, const char *s);
void bs_avro_sb_putc(bs_avro_sb_t *b, char c);
void bs_avro_sb_printf(bs_avro_sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* JSON string literal with Jackson's escaping (", \, control characters;
 * non-ASCII is written as UTF-8). */
void bs_avro_sb_json_string(bs_avro_sb_t *b, const char *s, size_t len);
/* Compact JSON of any value the way Jackson prints a JsonNode (object keys
 * in input order, doubles as Java's Double.toString). */
void bs_avro_sb_json_value(bs_avro_sb_t *b, const json_t *v);
/* NUL-terminates and hands the buffer over (never NULL). */
char *bs_avro_sb_take(bs_avro_sb_t *b);

/* Java Double.toString() of a finite double into out (>= 32 bytes). */
void bs_avro_java_double(double d, char *out, size_t outlen);

/* "int", "record", ... (Avro's lower-case type names). */
const char *bs_avro_type_name(bs_avro_type_t t);

#endif
