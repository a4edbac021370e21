/*
 * avro_console.h — the Avro side of `basin produce --avro` and `basin
 * consume --avro` (kafka-avro-console-producer / -consumer), on the serdes
 * library (include/basin/serdes.h). Kept apart from produce.c/consume.c so
 * the plain tools do not change: they call these hooks only with --avro.
 *
 * Producer properties (--property): schema.registry.url (required),
 * value.schema / value.schema.file / value.schema.id, key.schema /
 * key.schema.file / key.schema.id (needed with parse.key=true),
 * auto.register.schemas, use.latest.version, key/value.subject.name.strategy,
 * basic.auth.credentials.source, basic.auth.user.info.
 * Consumer properties: schema.registry.url, print.schema.ids,
 * schema.id.separator, basic auth.
 *
 * Ownership: the console object owns its registry client, (de)serializers
 * and output buffers; bytes handed out stay valid until the next call.
 */
#ifndef BS_TOOLS_AVRO_CONSOLE_H
#define BS_TOOLS_AVRO_CONSOLE_H

#include "tools/format.h"
#include "tools/opts.h"

#include <stddef.h>
#include <stdint.h>

typedef struct bs_avro_console_s bs_avro_console_t;

/* Known --property names with --avro: the plain tool's names plus Avro's. */
extern const char *const bs_avro_console_prod_props[];
extern const char *const bs_avro_console_cons_props[];

/* producer: 1 for produce (needs a value schema; a key schema when
 * parse_key), 0 for consume. Returns NULL with err naming the problem. */
bs_avro_console_t *bs_avro_console_new(const bs_kvlist_t *props, int producer, int parse_key,
                                       const char *topic, char *err, size_t errlen);
void bs_avro_console_destroy(bs_avro_console_t *ac);

/* Producer: replaces rec->value (and rec->key when keys are Avro) — Avro
 * JSON text — by their wire-format bytes. Null fields stay null. */
int bs_avro_console_encode(bs_avro_console_t *ac, bs_prod_rec_t *rec, char *err, size_t errlen);

/* Consumer: replaces r->value (and r->key when print.key and the key is
 * framed) by their Avro JSON text; appends " <sep>id" with print.schema.ids. */
int bs_avro_console_decode(bs_avro_console_t *ac, bs_cons_rec_t *r, int print_key, char *err,
                           size_t errlen);

#endif
