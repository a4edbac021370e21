/*
 * v2_avro.c — the avro embedded format of the REST Proxy on top of Basin's
 * serdes library (include/basin/serdes.h).
 *
 * This is the placeholder used until the serdes library is in the tree: it
 * answers every avro request with 50101-style "not available" errors so the
 * rest of the proxy builds and runs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rest/rest_int.h"

int bs_rest_avro_init(bs_rest_t *r, char *err, size_t errlen)
{
    r->avro = NULL;
    snprintf(err, errlen, "the serdes library is not built in");
    return -1;
}

void bs_rest_avro_free(bs_rest_t *r)
{
    r->avro = NULL;
}

bs_rest_avro_enc_t *bs_rest_avro_enc_new(bs_rest_t *r, const char *topic, bool is_key,
                                         const char *schema_text, int schema_id, int *id_out,
                                         int *status, int *code, char *msg, size_t msglen)
{
    (void)r, (void)topic, (void)is_key, (void)schema_text, (void)schema_id, (void)id_out;
    *status = 501;
    *code = 50101;
    snprintf(msg, msglen, "The avro embedded format is not available in this build");
    return NULL;
}

int bs_rest_avro_enc_one(bs_rest_avro_enc_t *e, json_t *v, uint8_t **out, size_t *len, char *msg,
                         size_t msglen)
{
    (void)e, (void)v, (void)out, (void)len;
    snprintf(msg, msglen, "avro not available");
    return -1;
}

void bs_rest_avro_enc_free(bs_rest_avro_enc_t *e)
{
    (void)e;
}

bs_rest_avro_dec_t *bs_rest_avro_dec_new(bs_rest_t *r, char *msg, size_t msglen)
{
    (void)r;
    snprintf(msg, msglen, "The avro embedded format is not available in this build");
    return NULL;
}

int bs_rest_avro_dec_one(bs_rest_avro_dec_t *d, const void *buf, size_t len, bs_wbuf_t *w,
                         char *msg, size_t msglen)
{
    (void)d, (void)buf, (void)len, (void)w;
    snprintf(msg, msglen, "avro not available");
    return -1;
}

void bs_rest_avro_dec_free(bs_rest_avro_dec_t *d)
{
    (void)d;
}
