/*
 * registry_config.c — the Schema Registry settings table and its loader.
 *
 * Invariants:
 *  - g_defs is the single source of truth (names and defaults are
 *    Confluent's). A synonym def (synonym_of != NULL) has no member: setting
 *    it sets its primary (master.eligibility -> leader.eligibility).
 *  - Members always hold effective values; derived fields (scheme,
 *    listen_host, listen_port, self_url) are rebuilt by
 *    bs_reg_config_load_args() after the file and overrides.
 *  - kafkastore.* keys absent from the table are kept in kprops (prefix
 *    stripped) in the order they were set; a later value replaces an earlier
 *    one. They are validated by librdkafka when the store opens.
 */
#include "registry/registry_config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/log.h"

#define OFF(m) offsetof(bs_reg_config_t, m)
#define NOM    BS_CFG_NO_MEMBER
#define NOMAX  9.3e18
#define R      BS_CFG_F_RANGE

/* clang-format off */
static const bs_cfg_def_t g_defs[] = {
    {.name = "listeners", .type = BS_CFG_LIST, .dflt = "http://0.0.0.0:8081",
     .importance = BS_CFG_HIGH, .offset = OFF(listeners),
     .doc = "Comma-separated list of listeners for the REST API, as scheme://host:port. Basin serves "
            "every listener; the first one gives the port of this instance's identity (see host.name).",
     .note = "Only http is supported."},
    {.name = "port", .type = BS_CFG_INT, .dflt = "8081", .flags = R, .min = 0,
     .max = 65535, .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Deprecated: use listeners. Accepted and ignored."},
    {.name = "host.name", .type = BS_CFG_STRING, .dflt = NULL,
     .importance = BS_CFG_HIGH, .offset = OFF(host_name),
     .doc = "The host name this instance advertises to the other instances (leader election and "
            "forwarding). Must be reachable by them. When unset, the machine's host name is used."},
    {.name = "kafkastore.bootstrap.servers", .type = BS_CFG_LIST, .dflt = "localhost:9092",
     .importance = BS_CFG_HIGH, .offset = OFF(bootstrap),
     .doc = "Kafka brokers holding the schema store, host:port[,host:port...] (a PLAINTEXT:// "
            "prefix is accepted).",
     .note = "Confluent has no default; Basin uses localhost:9092, the local broker's address."},
    {.name = "kafkastore.topic", .type = BS_CFG_STRING, .dflt = "_schemas",
     .importance = BS_CFG_HIGH, .offset = OFF(topic),
     .doc = "The durable single-partition compacted topic that stores schemas, configs and modes. "
            "Created at start-up if missing."},
    {.name = "kafkastore.topic.replication.factor", .type = BS_CFG_INT, .dflt = "3", .flags = R,
     .min = 1, .max = 32767, .importance = BS_CFG_HIGH, .offset = OFF(topic_rf),
     .doc = "Desired replication factor of the schema topic; the topic is created with the "
            "smaller of this and the number of live brokers."},
    {.name = "kafkastore.timeout.ms", .type = BS_CFG_INT, .dflt = "500", .flags = R, .min = 1,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .offset = OFF(timeout_ms),
     .doc = "How long a write waits to be stored in Kafka and read back before it fails with 50002."},
    {.name = "kafkastore.init.timeout.ms", .type = BS_CFG_INT, .dflt = "60000", .flags = R,
     .min = 1, .max = NOMAX, .importance = BS_CFG_MEDIUM, .offset = OFF(init_timeout_ms),
     .doc = "How long start-up waits for the schema topic to be created and read to its end."},
    {.name = "schema.compatibility.level", .type = BS_CFG_STRING, .dflt = "backward",
     .valid_set = "none,backward,backward_transitive,forward,forward_transitive,full,"
                  "full_transitive",
     .importance = BS_CFG_HIGH, .offset = OFF(compat_level),
     .doc = "The global compatibility level used when none is configured through PUT /config "
            "(case-insensitive)."},
    {.name = "avro.compatibility.level", .type = BS_CFG_STRING, .dflt = NULL,
     .synonym_of = "schema.compatibility.level", .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Deprecated synonym of schema.compatibility.level."},
    {.name = "leader.eligibility", .type = BS_CFG_BOOLEAN, .dflt = "true",
     .importance = BS_CFG_MEDIUM, .offset = OFF(leader_eligibility),
     .doc = "Whether this instance may become the leader, which is the only instance writing to "
            "the store. Ineligible instances forward writes to the leader."},
    {.name = "master.eligibility", .type = BS_CFG_BOOLEAN, .dflt = NULL,
     .synonym_of = "leader.eligibility", .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Deprecated synonym of leader.eligibility."},
    {.name = "schema.registry.group.id", .type = BS_CFG_STRING, .dflt = "schema-registry",
     .importance = BS_CFG_MEDIUM, .offset = OFF(group_id),
     .doc = "The Kafka group (protocol type \"sr\") the instances join to elect the leader."},
    {.name = "mode.mutability", .type = BS_CFG_BOOLEAN, .dflt = "true",
     .importance = BS_CFG_LOW, .offset = OFF(mode_mutability),
     .doc = "Whether PUT/DELETE /mode may change the global or subject modes."},
    {.name = "schema.registry.inter.instance.protocol", .type = BS_CFG_STRING, .dflt = "http",
     .valid_set = "http", .importance = BS_CFG_LOW, .offset = OFF(inter_protocol),
     .doc = "Scheme used to reach other instances when forwarding writes."},
    {.name = "leader.election.session.timeout.ms", .type = BS_CFG_INT, .dflt = "10000", .flags = R |
     BS_CFG_F_BASIN, .min = 1000, .max = 300000, .importance = BS_CFG_LOW,
     .offset = OFF(session_timeout_ms),
     .doc = "Session timeout of this instance's membership in the election group: how long a dead "
            "leader keeps its role before another instance takes over."},
    {.name = "http.threads", .type = BS_CFG_INT, .dflt = "2", .flags = R | BS_CFG_F_BASIN,
     .min = 1, .max = 256, .importance = BS_CFG_LOW, .offset = OFF(http_threads),
     .doc = "Number of threads serving HTTP requests."},
    {.name = "schema.max.bytes", .type = BS_CFG_INT, .dflt = "1048576", .flags = R | BS_CFG_F_BASIN,
     .min = 64, .max = 100000000, .importance = BS_CFG_LOW, .offset = OFF(max_schema_bytes),
     .doc = "Largest schema text accepted; a bigger one gets 42209 (schema too large)."},
    {.name = "debug", .type = BS_CFG_BOOLEAN, .dflt = "false",
     .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Confluent: include stack traces in error responses. Accepted and ignored."},
    {.name = "inter.instance.headers.whitelist", .type = BS_CFG_LIST, .dflt = "",
     .importance = BS_CFG_LOW, .offset = NOM,
     .doc = "Confluent: extra request headers passed along when forwarding to the leader. Accepted "
            "and ignored: Basin forwards the body, Content-Type and Accept."},
};
/* clang-format on */

#define NDEFS ((int)(sizeof g_defs / sizeof g_defs[0]))

void bs_reg_config_init(bs_reg_config_t *c)
{
    char err[256];
    memset(c, 0, sizeof *c);
    c->ndefs = NDEFS;
    c->is_set = bs_xcalloc((size_t)NDEFS, sizeof(bool));
    for (int i = 0; i < NDEFS; i++) {
        if (g_defs[i].synonym_of || g_defs[i].offset == NOM)
            continue;
        if (bs_cfg_store(&g_defs[i], c, g_defs[i].dflt, err, sizeof err) != 0)
            bs_log_error("config", "bad built-in default: %s", err); /* table bug */
    }
}

static void reg_free_derived(bs_reg_config_t *c)
{
    free(c->scheme);
    free(c->listen_host);
    free(c->self_url);
    c->scheme = c->listen_host = c->self_url = NULL;
}

void bs_reg_config_free(bs_reg_config_t *c)
{
    if (!c)
        return;
    bs_cfg_free_members(g_defs, NDEFS, c);
    reg_free_derived(c);
    for (int i = 0; i < 2 * c->nkprops; i++)
        free(c->kprops[i]);
    free(c->kprops);
    free(c->is_set);
    memset(c, 0, sizeof *c);
}

int bs_reg_config_set(bs_reg_config_t *c, const char *key, const char *value, char *err,
                      size_t errlen)
{
    int i = bs_cfg_find(g_defs, NDEFS, key);
    char *low = NULL;
    int rc = -1;

    if (i < 0) {
        if (strncmp(key, "kafkastore.", 11) == 0 && key[11]) {
            bs_cfg_kv_set(&c->kprops, &c->nkprops, key + 11, value ? value : "");
            return 0;
        }
        bs_log_warn("config", "unknown configuration '%s' ignored", key);
        return 0;
    }
    if (g_defs[i].synonym_of) {
        bs_log_warn("config", "'%s' is deprecated: use '%s'", key, g_defs[i].synonym_of);
        i = bs_cfg_find(g_defs, NDEFS, g_defs[i].synonym_of);
    }
    if (value && strcmp(g_defs[i].name, "schema.compatibility.level") == 0) {
        low = bs_xstrdup(value);
        for (char *p = low; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        value = low;
    }
    if (g_defs[i].offset == NOM) {
        if (bs_cfg_validate(&g_defs[i], value, err, errlen) != 0)
            goto done;
    } else if (bs_cfg_store(&g_defs[i], c, value, err, errlen) != 0) {
        goto done;
    }
    c->is_set[i] = true;
    rc = 0;
done:
    free(low);
    return rc;
}

/* Derives scheme/host/port from the first listener and the identity URL. */
static int reg_derive(bs_reg_config_t *c, char *err, size_t errlen)
{
    int rc = -1;
    char *first = NULL;
    const char *l = c->listeners ? c->listeners : "";
    size_t n = strcspn(l, ",");
    first = bs_xstrndup(l, n);
    char *p = first;
    while (isspace((unsigned char)*p))
        p++;
    char *sep = strstr(p, "://");
    reg_free_derived(c);
    if (!sep) {
        snprintf(err, errlen,
                 "Invalid value '%s' for configuration listeners: expected scheme://host:port", l);
        goto done;
    }
    c->scheme = bs_xstrndup(p, (size_t)(sep - p));
    for (char *s = c->scheme; *s; s++)
        *s = (char)tolower((unsigned char)*s);
    if (strcmp(c->scheme, "http") != 0) {
        snprintf(err, errlen,
                 "Invalid value '%s' for configuration listeners: scheme '%s' is not supported "
                 "(only http)",
                 l, c->scheme);
        goto done;
    }
    char *hp = sep + 3;
    char *colon = strrchr(hp, ':');
    if (!colon || colon[1] == '\0') {
        snprintf(err, errlen, "Invalid value '%s' for configuration listeners: no port", l);
        goto done;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    while (*end && isspace((unsigned char)*end))
        end++;
    if (*end || port < 0 || port > 65535) {
        snprintf(err, errlen, "Invalid value '%s' for configuration listeners: bad port '%s'", l,
                 colon + 1);
        goto done;
    }
    char *h = hp;
    size_t hl = (size_t)(colon - hp);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    c->listen_host = hl ? bs_xstrndup(h, hl) : bs_xstrdup("0.0.0.0");
    c->listen_port = (int)port;

    char host[256];
    if (c->host_name && c->host_name[0]) {
        snprintf(host, sizeof host, "%s", c->host_name);
    } else if (gethostname(host, sizeof host) != 0) {
        snprintf(host, sizeof host, "localhost");
    }
    host[sizeof host - 1] = '\0';
    char url[512];
    snprintf(url, sizeof url, "%s://%s:%d", c->scheme, host, c->listen_port);
    c->self_url = bs_xstrdup(url);
    rc = 0;
done:
    free(first);
    return rc;
}

static int reg_set_cb(void *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    return bs_reg_config_set(cfg, key, value, err, errlen);
}

int bs_reg_config_load_args(bs_reg_config_t *c, int argc, char **argv, char *err, size_t errlen)
{
    int rc = -1;
    if (bs_cfg_load_args("registry", argc, argv, reg_set_cb, c, err, errlen) != 0)
        goto done;
    if (!c->bootstrap || !c->bootstrap[0]) {
        snprintf(err, errlen, "kafkastore.bootstrap.servers must name at least one broker");
        goto done;
    }
    if (!c->topic || !c->topic[0]) {
        snprintf(err, errlen, "kafkastore.topic must not be empty");
        goto done;
    }
    for (char *p = c->compat_level; p && *p; p++)
        *p = (char)toupper((unsigned char)*p);
    if (reg_derive(c, err, errlen) != 0)
        goto done;
    rc = 0;
done:
    return rc;
}

void bs_reg_config_log(const bs_reg_config_t *c)
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
    for (int i = 0; i < c->nkprops; i++) {
        const char *k = c->kprops[2 * i];
        int secret = strstr(k, "password") || strstr(k, "secret") || strstr(k, "jaas");
        bs_log_info("config", "kafkastore.%s = %s (Kafka client)", k,
                    secret ? "[hidden]" : c->kprops[2 * i + 1]);
    }
    free(idx);
}

void bs_reg_config_usage(FILE *out)
{
    fprintf(out,
            "usage: basin registry [schema-registry.properties] [--override key=value ...]\n"
            "       basin registry --print-config-docs\n"
            "\n"
            "Starts the Schema Registry: Confluent's Schema Registry REST API (default port 8081)\n"
            "with schemas, configs and modes stored in the Kafka topic kafkastore.topic\n"
            "(_schemas). Settings use Confluent's names (listeners,\n"
            "kafkastore.bootstrap.servers, schema.compatibility.level, ...); other kafkastore.*\n"
            "keys are passed to the Kafka client. The file is read first, then every --override\n"
            "in order. Unknown settings are logged as warnings; invalid values are fatal.\n"
            "\n"
            "options:\n"
            "  --override key=value   set one setting (may be repeated)\n"
            "  --print-config-docs    print the configuration reference (markdown) and exit\n"
            "  -h, --help             print this help and exit\n"
            "\n"
            "example:\n"
            "  basin registry config/schema-registry.properties \\\n"
            "      --override kafkastore.bootstrap.servers=localhost:9092\n");
}

int bs_reg_config_print_docs(FILE *out)
{
    fprintf(out,
            "# Basin Schema Registry configuration reference\n"
            "\n"
            "<!-- generated by `basin registry --print-config-docs` from the setting table in\n"
            "     src/registry/registry_config.c: do not edit -->\n"
            "\n"
            "`basin registry [schema-registry.properties] [--override key=value ...]` reads "
            "Confluent\n"
            "Schema Registry's property names. The file is applied first, then every "
            "`--override` in\n"
            "command-line order.\n"
            "\n"
            "* An unknown setting is logged as a warning (naming it) and ignored.\n"
            "* An invalid value stops start-up with a message naming the setting.\n"
            "* Any other `kafkastore.<name>` setting is passed to the Kafka client (librdkafka) "
            "as\n"
            "  `<name>`, e.g. `kafkastore.security.protocol=SASL_SSL`; librdkafka rejects unknown "
            "ones\n"
            "  at start-up.\n"
            "\n");
    bs_cfg_print_markdown(out, g_defs, NDEFS, 0);
    return 0;
}
