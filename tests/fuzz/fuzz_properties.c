/*
 * fuzz_properties.c — libFuzzer target for the .properties parser
 * (bs_props_parse_string) and the broker/topic setting validation it feeds.
 *
 * Each input is parsed as a .properties text; every key/value pair is
 *  - validated as a topic setting (bs_topic_config_validate),
 *  - applied to a fresh broker config (bs_broker_config_set), and
 *  - collected as an `--override=key=value` argument, so that a second
 *    config is loaded through bs_broker_config_load_args, which also runs the
 *    cross-setting checks (listeners, node.id/broker.id, log.dirs...).
 * Both configs are then described (bs_broker_config_describe, formatting
 * every member) and freed. Nothing touches the file system. Invariant
 * checked: the parser hands the callback NUL-terminated strings that never
 * exceed the input length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "broker/broker_config.h"
#include "broker/topic_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAIRS 64

typedef struct fz_props_s {
    size_t input_len;
    bs_broker_config_t *c;
    char *argv[MAX_PAIRS];
    int argc;
} fz_props_t;

static int pair_cb(void *opaque, const char *key, const char *value, int lineno)
{
    fz_props_t *x = opaque;
    char err[512];
    (void)lineno;
    if (strlen(key) > x->input_len || strlen(value) > x->input_len)
        abort(); /* unescaping never grows the text */
    (void)bs_topic_config_validate(key, value, err, sizeof err);
    (void)bs_broker_config_set(x->c, key, value, err, sizeof err);
    if (x->argc < MAX_PAIRS) {
        size_t n = strlen(key) + strlen(value) + 16;
        char *a = malloc(n);
        snprintf(a, n, "--override=%s=%s", key, value);
        x->argv[x->argc++] = a;
    }
    /* a key named "stop" exercises the callback-abort path */
    return strcmp(key, "stop") == 0 ? -1 : 0;
}

static void describe_cb(void *opaque, const bs_cfg_entry_t *e)
{
    size_t *sink = opaque;
    *sink += strlen(e->name) + (e->value ? strlen(e->value) : 0);
    for (int i = 0; i < e->synonyms_count; i++)
        *sink += e->synonyms[i].value ? strlen(e->synonyms[i].value) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    bs_broker_config_t c1, c2;
    fz_props_t x;
    char err[512];
    size_t sink = 0;

    if (!init) {
        bs_log_set_level(
            (bs_log_level_t)(BS_LOG_ERROR + 1)); /* unknown keys log WARNs: keep quiet */
        init = 1;
    }
    memset(&x, 0, sizeof x);
    x.input_len = size;
    bs_broker_config_init(&c1);
    bs_broker_config_init(&c2);
    x.c = &c1;
    (void)bs_props_parse_string((const char *)data, size, "fuzz.properties", pair_cb, &x, err,
                                sizeof err);
    (void)bs_broker_config_load_args(&c2, x.argc, x.argv, err, sizeof err);
    bs_broker_config_describe(&c1, describe_cb, &sink);
    bs_broker_config_describe(&c2, describe_cb, &sink);
    for (int i = 0; i < x.argc; i++)
        free(x.argv[i]);
    bs_broker_config_free(&c1);
    bs_broker_config_free(&c2);
    return 0;
}
