/*
 * serdes_int.h — private structures of the serdes library (include/basin/
 * serdes.h declares the opaque types). Only src/serdes/ and its unit tests
 * include this file.
 */
#ifndef BS_SERDES_INT_H
#define BS_SERDES_INT_H

#include "basin/serdes.h"

#include <jansson.h>
#include <stdarg.h>

/* A parsed Avro schema. Immutable after bs_serdes_schema_new; the reference
 * count is atomic so schemas can be shared between threads. */
struct bs_serdes_schema_s {
    int refcnt; /* __atomic */
    avro_schema_t schema;
    char *text;
    char *fullname;            /* NULL for unnamed types */
    avro_value_iface_t *iface; /* generic class */
    json_t *defaults;          /* { record fullname: { field: default JSON } } */
};

/* Default JSON of field `field` of record schema `rec`, or NULL (borrowed). */
json_t *bs_serdes_schema_field_default(const bs_serdes_schema_t *s, avro_schema_t rec,
                                       const char *field);

/* Full name of a named avro-c schema into out ("ns.name" or "name"). */
void bs_serdes_fullname(avro_schema_t sch, char *out, size_t outlen);
/* The name a union uses for branch `sch` in JSON ("null", "int", "ns.Rec"). */
void bs_serdes_branch_name(avro_schema_t sch, char *out, size_t outlen);
/* Follows avro-c link schemas (recursive types) to their target. */
avro_schema_t bs_serdes_deref(avro_schema_t sch);

/* JSON (already parsed) -> value. dflt: Avro default-value rules (a union
 * default is the value of its first branch, without a wrapper). */
int bs_serdes_json_fill(const bs_serdes_schema_t *s, json_t *j, avro_value_t *v, int dflt,
                        char *err, size_t errlen);

/* Reference (jansson-based) JSON reader; bs_avro_json_to_value is the fast
 * one. Same contract. */
int bs_serdes_json_to_value_ref(const bs_serdes_schema_t *s, const char *json, size_t len,
                                avro_value_t *dest, char *err, size_t errlen);

/* Checks that p[0..len) is well-formed Avro binary for schema (every
 * length within the data, indexes in range, bounded item counts) before
 * avro-c decodes it. 0, or -1 with err naming the byte offset. */
int bs_serdes_avro_check(avro_schema_t schema, const uint8_t *p, size_t len, char *err,
                         size_t errlen);

/* Error helpers */
void bs_sr_seterr(bs_sr_error_t *e, int code, int http_status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void bs_serdes_fmt(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
