/*
 * fuzz_avro_schema.c — libFuzzer target for the registry's Avro schema
 * parser: bs_avro_parse() on arbitrary bytes; when it accepts, every derived
 * text (canonical, normalized, Parsing Canonical Form, fingerprint) and the
 * compatibility checker on the schema against itself (which must say
 * compatible) and against the re-parsed canonical text (which must parse,
 * be compatible both ways, and be a fixed point after one round).
 *
 * The first byte, when it is '#', splits the input at the first newline
 * into one reference (after the '#') and the main schema, so that the
 * reference path is fuzzed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/avro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    const char *text = (const char *)data;
    size_t len = size;
    bs_avro_ref_t ref;
    char *reftext = NULL;
    int nrefs = 0;
    if (size > 0 && data[0] == '#') {
        const uint8_t *nl = memchr(data, '\n', size);
        if (nl) {
            size_t rl = (size_t)(nl - data) - 1;
            reftext = malloc(rl + 1);
            memcpy(reftext, data + 1, rl);
            reftext[rl] = '\0';
            ref.name = "ref";
            ref.schema = reftext;
            nrefs = 1;
            text = (const char *)nl + 1;
            len = size - (size_t)(nl - data) - 1;
        }
    }
    bs_avro_schema_t *s = bs_avro_parse(text, len, nrefs ? &ref : NULL, nrefs, err, sizeof(err));
    if (!s) {
        if (err[0] == '\0')
            abort(); /* every failure must explain itself */
        goto done;
    }
    char *canon = bs_avro_canonical(s);
    char *norm = bs_avro_normalized(s);
    char *pcf = bs_avro_parsing_canonical_form(s);
    (void)bs_avro_fingerprint64(s);
    /* A schema reads its own data, except when a field alias names another
     * field of the same record: Avro then finds two writer fields for one
     * reader field and refuses (so do we, with a message saying so). */
    json_t *msgs = json_array();
    int self_ok = bs_avro_can_read(s, s, msgs);
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        if (!strstr(json_string_value(m), " matches "))
            abort();
    }
    if (!self_ok && json_array_size(msgs) == 0)
        abort();
    json_decref(msgs);
    bs_avro_schema_t *s2 =
        bs_avro_parse(canon, strlen(canon), nrefs ? &ref : NULL, nrefs, err, sizeof(err));
    if (!s2)
        abort(); /* the canonical text must parse again */
    /* Java's toString() writes a null-namespace alias or reference inside a
     * namespaced type by its short name, which reads back in the enclosing
     * namespace, so the first round may change the text; from then on the
     * canonical text must be a fixed point. */
    char *canon2 = bs_avro_canonical(s2);
    bs_avro_schema_t *s3 =
        bs_avro_parse(canon2, strlen(canon2), nrefs ? &ref : NULL, nrefs, err, sizeof(err));
    if (!s3)
        abort();
    char *canon3 = bs_avro_canonical(s3);
    if (strcmp(canon2, canon3) != 0)
        abort();
    free(canon3);
    bs_avro_schema_free(s3);
    if (self_ok && (bs_avro_can_read(s, s2, NULL) != 1 || bs_avro_can_read(s2, s, NULL) != 1))
        abort();
    const bs_avro_schema_t *hist[] = {s2};
    json_t *m2 = json_array();
    (void)bs_avro_compatible(BS_AVRO_COMPAT_FULL_TRANSITIVE, s, hist, 1, m2);
    json_decref(m2);
    free(canon2);
    bs_avro_schema_free(s2);
    free(canon);
    free(norm);
    free(pcf);
    bs_avro_schema_free(s);
done:
    free(reftext);
    return 0;
}
