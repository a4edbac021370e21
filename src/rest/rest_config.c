/*
 * rest_config.c — the REST Proxy settings table and its loader.
 *
 * Invariants:
 *  - g_defs is the single source of truth; names and defaults are
 *    Confluent's (KafkaRestConfig), Basin additions carry BS_CFG_F_BASIN.
 *  - Members always hold effective values; derived fields (listen_host,
 *    listen_port, advertised) are rebuilt by bs_rest_config_load_args().
 *  - producer.* / consumer.* / admin.* / client.* keys absent from the table
 *    are kept (prefix stripped) in the matching kprops list in the order they
 *    were set; a later value replaces an earlier one. librdkafka validates
 *    them when the clients are created.
 */
#include "rest/rest_config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/log.h"

#define OFF(m) offsetof(bs_rest_config_t, m)
#define NOM    BS_CFG_NO_MEMBER
#define NOMAX  9.3e18
#define R      BS_CFG_F_RANGE
#define NE     BS_CFG_F_NOEFFECT

/* clang-format off */
static const bs_cfg_def_t g_defs[] = {
    {.name = "listeners", .type = BS_CFG_LIST, .dflt = "http://0.0.0.0:8082",
     .importance = BS_CFG_HIGH, .offset = OFF(listeners),
     .doc = "Comma-separated list of listeners for the REST API, as http://host:port. Basin "
            "serves the first one.",
     .note = "Only http is supported; https listeners are rejected at start-up."},
    {.name = "advertised.listeners", .type = BS_CFG_LIST, .dflt = NULL,
     .importance = BS_CFG_MEDIUM, .offset = OFF(advertised_listeners),
     .doc = "The URL (first entry) put in the base_uri of new consumer instances. When unset, "
            "host.name is used if set, else the Host header of the creating request."},
    {.name = "host.name", .type = BS_CFG_STRING, .dflt = NULL,
     .importance = BS_CFG_MEDIUM, .offset = OFF(host_name),
     .doc = "Host name used in consumer instance base_uri when advertised.listeners is unset."},
    {.name = "port", .type = BS_CFG_INT, .dflt = "8082", .flags = R | NE, .min = 0, .max = 65535,
     .importance = BS_CFG_LOW, .offset = NOM, .doc = "Deprecated: use listeners."},
    {.name = "id", .type = BS_CFG_STRING, .dflt = "",
     .importance = BS_CFG_HIGH, .offset = OFF(id),
     .doc = "Unique id of this REST Proxy instance (logged; part of consumer instance ids)."},
    {.name = "bootstrap.servers", .type = BS_CFG_LIST, .dflt = "localhost:9092",
     .importance = BS_CFG_HIGH, .offset = OFF(bootstrap),
     .doc = "Kafka brokers, host:port[,host:port...] (a PLAINTEXT:// prefix is accepted).",
     .note = "Confluent has no default; Basin uses the local broker's address."},
    {.name = "schema.registry.url", .type = BS_CFG_STRING, .dflt = "http://localhost:8081",
     .importance = BS_CFG_HIGH, .offset = OFF(schema_registry_url),
     .doc = "Schema Registry URL(s), comma-separated, used by the avro embedded format."},
    {.name = "consumer.instance.timeout.ms", .type = BS_CFG_INT, .dflt = "300000", .flags = R,
     .min = 1, .max = NOMAX, .importance = BS_CFG_LOW, .offset = OFF(consumer_instance_timeout_ms),
     .doc = "A consumer instance that receives no request for this long is closed and deleted."},
    {.name = "consumer.request.timeout.ms", .type = BS_CFG_INT, .dflt = "1000", .flags = R,
     .min = 0, .max = NOMAX, .importance = BS_CFG_MEDIUM,
     .offset = OFF(consumer_request_timeout_ms),
     .doc = "Longest time a GET records request waits for records when it has none yet "
            "(the request's ?timeout= and the instance's setting may lower it)."},
    {.name = "consumer.request.max.bytes", .type = BS_CFG_LONG, .dflt = "67108864", .flags = R,
     .min = 1, .max = NOMAX, .importance = BS_CFG_MEDIUM, .offset = OFF(consumer_request_max_bytes),
     .doc = "Upper bound of the key and value bytes one GET records response carries "
            "(?max_bytes= may lower it)."},
    {.name = "consumer.threads", .type = BS_CFG_INT, .dflt = "50", .flags = R, .min = 1, .max = 1024,
     .importance = BS_CFG_MEDIUM, .offset = OFF(consumer_threads),
     .doc = "Worker threads running blocking Kafka calls (consumer reads, commits, seeks, "
            "metadata and admin requests); this bounds the reads waiting at once."},
    {.name = "consumer.iterator.timeout.ms", .type = BS_CFG_INT, .dflt = "1", .flags = R, .min = 0,
     .max = 10000, .importance = BS_CFG_LOW, .offset = OFF(consumer_iterator_timeout_ms),
     .doc = "Once a GET records request holds some records, it returns when no more arrive "
            "within this time (or when max bytes is reached)."},
    {.name = "consumer.iterator.backoff.ms", .type = BS_CFG_INT, .dflt = "50", .flags = NE,
     .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Confluent v1 iterator back-off. Accepted, no effect."},
    {.name = "fetch.min.bytes", .type = BS_CFG_INT, .dflt = "-1", .flags = R, .min = -1,
     .max = NOMAX, .importance = BS_CFG_LOW, .offset = OFF(fetch_min_bytes),
     .doc = "Default fetch.min.bytes of consumer instances; -1 keeps the client's default."},
    {.name = "max.poll.records", .type = BS_CFG_INT, .dflt = "-1", .flags = R, .min = -1,
     .max = NOMAX, .importance = BS_CFG_LOW, .offset = OFF(max_poll_records),
     .doc = "Maximum number of records one GET records response carries; -1 = no limit "
            "other than the byte limit."},
    {.name = "api.v2.enable", .type = BS_CFG_BOOLEAN, .dflt = "true",
     .importance = BS_CFG_LOW, .offset = OFF(api_v2_enable),
     .doc = "Serve API v2 (/topics, /consumers, /brokers)."},
    {.name = "api.v3.enable", .type = BS_CFG_BOOLEAN, .dflt = "true",
     .importance = BS_CFG_LOW, .offset = OFF(api_v3_enable),
     .doc = "Serve API v3 (/v3/clusters/...)."},
    {.name = "http.threads", .type = BS_CFG_INT, .dflt = "2", .flags = R | BS_CFG_F_BASIN,
     .min = 1, .max = 256, .importance = BS_CFG_LOW, .offset = OFF(http_threads),
     .doc = "Threads serving HTTP connections (each runs an epoll loop)."},
    {.name = "max.request.bytes", .type = BS_CFG_LONG, .dflt = "67108864",
     .flags = R | BS_CFG_F_BASIN, .min = 1024, .max = 2147483647.0, .importance = BS_CFG_LOW,
     .offset = OFF(max_request_bytes),
     .doc = "Largest request body accepted (bigger bodies get 413)."},
    {.name = "producer.linger.ms", .type = BS_CFG_INT, .dflt = "0", .flags = R | BS_CFG_F_BASIN,
     .min = 0, .max = 900000, .importance = BS_CFG_LOW, .offset = OFF(producer_linger_ms),
     .doc = "linger.ms of the shared producer (0 as the Java producer Confluent's proxy uses): "
            "under load, records of concurrent requests still share batches while a previous "
            "request to the broker is in flight; a higher value trades latency for fewer, larger "
            "batches."},
    {.name = "admin.request.timeout.ms", .type = BS_CFG_INT, .dflt = "30000",
     .flags = R | BS_CFG_F_BASIN, .min = 100, .max = NOMAX, .importance = BS_CFG_LOW,
     .offset = OFF(admin_timeout_ms),
     .doc = "Bound on metadata and admin requests to Kafka; past it the request fails with 50002."},
    {.name = "metadata.max.age.ms", .type = BS_CFG_INT, .dflt = "5000", .flags = R | BS_CFG_F_BASIN,
     .min = 0, .max = NOMAX, .importance = BS_CFG_LOW, .offset = OFF(metadata_max_age_ms),
     .doc = "How long the proxy trusts its cached topic list (partition counts, existence) for "
            "produce requests before asking Kafka again."},
    {.name = "access.control.allow.origin", .type = BS_CFG_STRING, .dflt = "", .flags = NE,
     .importance = BS_CFG_LOW, .offset = NOM, .doc = "CORS origins. Accepted, no effect."},
    {.name = "debug", .type = BS_CFG_BOOLEAN, .dflt = "false", .flags = NE,
     .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Confluent: include stack traces in error responses. Accepted, no effect."},
    {.name = "zookeeper.connect", .type = BS_CFG_STRING, .dflt = "", .flags = NE,
     .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Deprecated (API v1). Accepted, no effect."},
    {.name = "simpleconsumer.pool.size.max", .type = BS_CFG_INT, .dflt = "25", .flags = NE,
     .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Deprecated (API v1). Accepted, no effect."},
    {.name = "producer.threads", .type = BS_CFG_INT, .dflt = "5", .flags = NE,
     .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Deprecated (API v1). Accepted, no effect: one shared producer serves every request."},
    {.name = "api.endpoints.allowlist", .type = BS_CFG_LIST, .dflt = "", .flags = NE,
     .importance = BS_CFG_LOW, .offset = NOM, .doc = "Accepted, no effect."},
    {.name = "api.endpoints.blocklist", .type = BS_CFG_LIST, .dflt = "", .flags = NE,
     .importance = BS_CFG_LOW, .offset = NOM, .doc = "Accepted, no effect."},
    {.name = "rate.limit.enable", .type = BS_CFG_BOOLEAN, .dflt = "false", .flags = NE,
     .importance = BS_CFG_LOW, .offset = NOM, .doc = "Accepted, no effect."},
    {.name = "streaming.connection.max.duration.ms", .type = BS_CFG_LONG, .dflt = "86400000",
     .flags = NE, .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Accepted, no effect (a streaming produce request lasts as long as its body keeps "
            "coming: the connection closes after 60 s without progress)."},
};
/* clang-format on */

#define NDEFS ((int)(sizeof g_defs / sizeof g_defs[0]))

void bs_rest_config_init(bs_rest_config_t *c)
{
    char err[256];
    memset(c, 0, sizeof *c);
    c->ndefs = NDEFS;
    c->is_set = bs_xcalloc((size_t)NDEFS, sizeof(bool));
    for (int i = 0; i < NDEFS; i++) {
        if (g_defs[i].offset == NOM)
            continue;
        if (bs_cfg_store(&g_defs[i], c, g_defs[i].dflt, err, sizeof err) != 0)
            bs_log_error("config", "bad built-in default: %s", err); /* table bug */
    }
}

static void kprops_free(bs_rest_kprops_t *p)
{
    for (int i = 0; i < 2 * p->n; i++)
        free(p->kv[i]);
    free(p->kv);
    p->kv = NULL;
    p->n = 0;
}

static void derived_free(bs_rest_config_t *c)
{
    free(c->listen_host);
    free(c->advertised);
    c->listen_host = c->advertised = NULL;
}

void bs_rest_config_free(bs_rest_config_t *c)
{
    if (!c)
        return;
    bs_cfg_free_members(g_defs, NDEFS, c);
    derived_free(c);
    kprops_free(&c->client);
    kprops_free(&c->producer);
    kprops_free(&c->consumer);
    kprops_free(&c->admin);
    free(c->is_set);
    memset(c, 0, sizeof *c);
}

int bs_rest_config_set(bs_rest_config_t *c, const char *key, const char *value, char *err,
                       size_t errlen)
{
    static const struct {
        const char *prefix;
        size_t off;
    } pass[] = {
        {"client.", offsetof(bs_rest_config_t, client)},
        {"producer.", offsetof(bs_rest_config_t, producer)},
        {"consumer.", offsetof(bs_rest_config_t, consumer)},
        {"admin.", offsetof(bs_rest_config_t, admin)},
    };
    int i = bs_cfg_find(g_defs, NDEFS, key);
    if (i < 0) {
        for (size_t k = 0; k < sizeof pass / sizeof pass[0]; k++) {
            size_t pl = strlen(pass[k].prefix);
            if (strncmp(key, pass[k].prefix, pl) == 0 && key[pl]) {
                bs_rest_kprops_t *kp = (bs_rest_kprops_t *)((char *)c + pass[k].off);
                bs_cfg_kv_set(&kp->kv, &kp->n, key + pl, value ? value : "");
                return 0;
            }
        }
        bs_log_warn("config", "unknown configuration '%s' ignored", key);
        return 0;
    }
    if (g_defs[i].offset == NOM) {
        if (bs_cfg_validate(&g_defs[i], value, err, errlen) != 0)
            return -1;
    } else if (bs_cfg_store(&g_defs[i], c, value, err, errlen) != 0) {
        return -1;
    }
    c->is_set[i] = true;
    return 0;
}

/* Splits "http://host:port" (first of a comma-separated list). */
static int parse_url(const char *what, const char *list, char **host, int *port, char *err,
                     size_t errlen)
{
    int rc = -1;
    size_t n = strcspn(list, ",");
    char *first = bs_xstrndup(list, n);
    char *p = first;
    while (isspace((unsigned char)*p))
        p++;
    char *sep = strstr(p, "://");
    if (!sep) {
        snprintf(err, errlen, "Invalid value '%s' for configuration %s: expected http://host:port",
                 list, what);
        goto done;
    }
    if ((size_t)(sep - p) != 4 || strncasecmp(p, "http", 4) != 0) {
        snprintf(err, errlen,
                 "Invalid value '%s' for configuration %s: scheme '%.*s' is not supported "
                 "(only http)",
                 list, what, (int)(sep - p), p);
        goto done;
    }
    char *hp = sep + 3;
    char *colon = strrchr(hp, ':');
    if (!colon || colon[1] == '\0' || (strchr(hp, ']') && colon < strchr(hp, ']'))) {
        snprintf(err, errlen, "Invalid value '%s' for configuration %s: no port", list, what);
        goto done;
    }
    char *end;
    long pn = strtol(colon + 1, &end, 10);
    while (*end == '/' || isspace((unsigned char)*end))
        end++;
    if (*end || pn < 0 || pn > 65535) {
        snprintf(err, errlen, "Invalid value '%s' for configuration %s: bad port '%s'", list, what,
                 colon + 1);
        goto done;
    }
    *host = bs_xstrndup(hp, (size_t)(colon - hp));
    *port = (int)pn;
    rc = 0;
done:
    free(first);
    return rc;
}

static int derive(bs_rest_config_t *c, char *err, size_t errlen)
{
    char *host = NULL;
    int port = 0;
    derived_free(c);
    if (parse_url("listeners", c->listeners ? c->listeners : "", &host, &port, err, errlen) != 0)
        return -1;
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    c->listen_host = host[0] ? host : (free(host), bs_xstrdup("0.0.0.0"));
    c->listen_port = port;
    if (c->advertised_listeners && c->advertised_listeners[0]) {
        char *ah = NULL;
        int ap = 0;
        if (parse_url("advertised.listeners", c->advertised_listeners, &ah, &ap, err, errlen) != 0)
            return -1;
        char url[600];
        snprintf(url, sizeof url, "http://%s:%d", ah, ap);
        free(ah);
        c->advertised = bs_xstrdup(url);
    }
    return 0;
}

static int set_cb(void *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    return bs_rest_config_set(cfg, key, value, err, errlen);
}

int bs_rest_config_load_args(bs_rest_config_t *c, int argc, char **argv, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (bs_cfg_load_args("rest", argc, argv, set_cb, c, err, errlen) != 0)
        return -1;
    if (!c->bootstrap || !c->bootstrap[0]) {
        snprintf(err, errlen, "bootstrap.servers must name at least one broker");
        return -1;
    }
    if (!c->api_v2_enable && !c->api_v3_enable) {
        snprintf(err, errlen, "api.v2.enable and api.v3.enable are both false: nothing to serve");
        return -1;
    }
    return derive(c, err, errlen);
}

static void kprops_log(const char *prefix, const bs_rest_kprops_t *p)
{
    for (int i = 0; i < p->n; i++) {
        const char *k = p->kv[2 * i];
        int secret = strstr(k, "password") || strstr(k, "secret") || strstr(k, "jaas");
        bs_log_info("config", "%s%s = %s (Kafka client)", prefix, k,
                    secret ? "[hidden]" : p->kv[2 * i + 1]);
    }
}

void bs_rest_config_log(const bs_rest_config_t *c)
{
    int *idx = bs_cfg_sorted_index(g_defs, NDEFS);
    char buf[BS_CFG_VALUE_MAX];
    for (int k = 0; k < NDEFS; k++) {
        const bs_cfg_def_t *d = &g_defs[idx[k]];
        if (d->offset == NOM)
            continue;
        const char *v = bs_cfg_format(d, c, buf, sizeof buf);
        bs_log_info("config", "%s = %s", d->name, v ? v : "null");
    }
    kprops_log("client.", &c->client);
    kprops_log("producer.", &c->producer);
    kprops_log("consumer.", &c->consumer);
    kprops_log("admin.", &c->admin);
    free(idx);
}

void bs_rest_config_usage(FILE *out)
{
    fprintf(out,
            "usage: basin rest [kafka-rest.properties] [--override key=value ...]\n"
            "       basin rest --print-config-docs\n"
            "\n"
            "Starts the REST Proxy: Confluent's REST Proxy API v2 and v3 (default port 8082):\n"
            "produce, consume through consumer instances, topic/partition/broker metadata,\n"
            "topic and config administration and consumer group lag over HTTP and JSON.\n"
            "Settings use Confluent's names (listeners, bootstrap.servers,\n"
            "schema.registry.url, consumer.instance.timeout.ms, ...); producer.*, consumer.*,\n"
            "admin.* and client.* keys are passed to the Kafka clients. The file is read\n"
            "first, then every --override in order. Unknown settings are logged as\n"
            "warnings; invalid values are fatal.\n"
            "\n"
            "options:\n"
            "  --override key=value   set one setting (may be repeated)\n"
            "  --print-config-docs    print the configuration reference (markdown) and exit\n"
            "  -h, --help             print this help and exit\n"
            "\n"
            "example:\n"
            "  basin rest config/kafka-rest.properties \\\n"
            "      --override bootstrap.servers=localhost:9092\n");
}

int bs_rest_config_print_docs(FILE *out)
{
    fprintf(out,
            "# Basin REST Proxy configuration reference\n"
            "\n"
            "<!-- generated by `basin rest --print-config-docs` from the setting table in\n"
            "     src/rest/rest_config.c: do not edit -->\n"
            "\n"
            "`basin rest [kafka-rest.properties] [--override key=value ...]` reads Confluent REST\n"
            "Proxy's property names. The file is applied first, then every `--override` in\n"
            "command-line order.\n"
            "\n"
            "* An unknown setting is logged as a warning (naming it) and ignored.\n"
            "* An invalid value stops start-up with a message naming the setting.\n"
            "* Any other `client.<name>`, `producer.<name>`, `consumer.<name>` or `admin.<name>`\n"
            "  setting is passed to the Kafka clients (librdkafka) as `<name>`: `client.*` to all\n"
            "  of them, `producer.*` to the shared producer, `consumer.*` to every consumer\n"
            "  instance, `admin.*` to the metadata/admin client. librdkafka rejects unknown\n"
            "  names at start-up (producer, admin) or at instance creation (consumer, 42204).\n"
            "\n");
    bs_cfg_print_markdown(out, g_defs, NDEFS, 0);
    return 0;
}
