/*
 * election.c — Schema Registry leader election through the Kafka group
 * protocol, compatible with Confluent's (SchemaRegistryCoordinator /
 * SchemaRegistryProtocol): every instance joins group
 * schema.registry.group.id with protocol type "sr", subprotocol "v0", and
 * its identity as metadata:
 *
 *   {"version":1,"host":"h","port":8081,"master_eligibility":true,"scheme":"http"}
 *
 * The member the coordinator makes group leader (assign_cb) picks the
 * eligible member with the lexicographically smallest URL scheme://host:port
 * and sends every member
 *
 *   {"version":1,"error":0,"master":"<member id>","master_identity":{...}}
 *
 * (error 1 = DUPLICATE_URLS: two members advertise the same URL; no leader).
 * assigned_cb turns that into bs_reg_set_leader(): this instance, another
 * instance's URL, or unknown. Losing the membership (rebalance, coordinator
 * gone) makes the leader unknown until the next assignment, so at most one
 * instance believes it is the leader within a generation.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "client/kgroup.h"
#include "registry/registry_int.h"

typedef struct election_s {
    bs_kgroup_t *group;
    char *identity; /* metadata JSON */
} election_t;

static char *identity_url(json_t *id)
{
    const char *host = json_string_value(json_object_get(id, "host"));
    const char *scheme = json_string_value(json_object_get(id, "scheme"));
    json_t *port = json_object_get(id, "port");
    if (!host || !json_is_integer(port))
        return NULL;
    char buf[512];
    snprintf(buf, sizeof buf, "%s://%s:%lld", scheme ? scheme : "http", host,
             (long long)json_integer_value(port));
    return bs_xstrdup(buf);
}

static int assign_cb(void *opaque, const bs_kgroup_member_t *m, int n, uint8_t **out,
                     size_t *outlen)
{
    bs_registry_t *r = opaque;
    (void)r;
    json_t **ids = bs_xcalloc((size_t)n, sizeof *ids);
    char **urls = bs_xcalloc((size_t)n, sizeof *urls);
    int best = -1, error = 0;
    for (int i = 0; i < n; i++) {
        ids[i] = json_loadb((const char *)m[i].metadata, m[i].metadata_len, 0, NULL);
        urls[i] = json_is_object(ids[i]) ? identity_url(ids[i]) : NULL;
        if (!urls[i]) {
            bs_log_warn("election", "member %s sent unreadable identity metadata", m[i].member_id);
            continue;
        }
        for (int k = 0; k < i; k++)
            if (urls[k] && strcmp(urls[k], urls[i]) == 0)
                error = 1;
        json_t *el = json_object_get(ids[i], "master_eligibility");
        if (!el)
            el = json_object_get(ids[i], "leader_eligibility");
        if (!json_is_true(el))
            continue;
        if (best < 0 || strcmp(urls[i], urls[best]) < 0)
            best = i;
    }
    if (error) {
        bs_log_error("election",
                     "two registry instances advertise the same URL: set host.name and listeners "
                     "so that every instance is distinct; no leader elected");
        best = -1;
    }
    json_t *a = json_object();
    json_object_set_new(a, "version", json_integer(1));
    json_object_set_new(a, "error", json_integer(error));
    json_object_set_new(a, "master", best >= 0 ? json_string(m[best].member_id) : json_null());
    json_object_set_new(a, "master_identity", best >= 0 ? json_incref(ids[best]) : json_null());
    char *s = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(a);
    for (int i = 0; i < n; i++) {
        out[i] = (uint8_t *)bs_xstrdup(s);
        outlen[i] = strlen(s);
    }
    bs_log_info("election", "assigned the leader among %d members: %s", n,
                best >= 0 ? urls[best] : "none eligible");
    free(s);
    for (int i = 0; i < n; i++) {
        json_decref(ids[i]);
        free(urls[i]);
    }
    free(ids);
    free(urls);
    return 0;
}

static void assigned_cb(void *opaque, const uint8_t *asg, size_t len, const char *member_id,
                        int32_t generation)
{
    bs_registry_t *r = opaque;
    if (!asg) {
        bs_reg_set_leader(r, false, NULL);
        return;
    }
    json_t *a = json_loadb((const char *)asg, len, 0, NULL);
    const char *leader = json_string_value(json_object_get(a, "master"));
    long long error = json_integer_value(json_object_get(a, "error"));
    char *url = leader ? identity_url(json_object_get(a, "master_identity")) : NULL;
    if (error || !leader || !url) {
        bs_log_warn("election", "generation %d: no leader (error %lld)", (int)generation, error);
        bs_reg_set_leader(r, false, NULL);
    } else {
        bs_reg_set_leader(r, strcmp(leader, member_id) == 0, url);
    }
    free(url);
    json_decref(a);
}

int bs_reg_election_start(bs_registry_t *r, char *err, size_t errlen)
{
    election_t *e = bs_xcalloc(1, sizeof *e);
    const bs_reg_config_t *c = r->cfg;
    const char *host = c->self_url + strlen(c->scheme) + 3;
    json_t *id = json_object();
    char *hostonly = bs_xstrndup(host, (size_t)(strrchr(host, ':') - host));
    json_object_set_new(id, "version", json_integer(1));
    json_object_set_new(id, "host", json_string(hostonly));
    json_object_set_new(id, "port", json_integer(c->listen_port));
    json_object_set_new(id, "master_eligibility", json_boolean(c->leader_eligibility));
    json_object_set_new(id, "scheme", json_string(c->scheme));
    e->identity = json_dumps(id, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(id);
    free(hostonly);

    bs_kgroup_cfg_t kc = {
        .bootstrap = c->bootstrap,
        .group_id = c->group_id,
        .protocol_type = "sr",
        .protocol_name = "v0",
        .metadata = e->identity,
        .metadata_len = strlen(e->identity),
        .session_timeout_ms = c->session_timeout_ms,
        .rebalance_timeout_ms = c->session_timeout_ms * 3,
        .heartbeat_interval_ms = c->session_timeout_ms / 5 > 0 ? c->session_timeout_ms / 5 : 1000,
        .client_id = "basin-schema-registry",
        .assign = assign_cb,
        .assigned = assigned_cb,
        .opaque = r,
    };
    r->elections = true;
    r->election = e;
    e->group = bs_kgroup_start(&kc, err, errlen);
    if (!e->group)
        return -1;
    bs_log_info("election", "joining group %s (protocol sr) as %s", c->group_id, e->identity);
    return 0;
}

void bs_reg_election_stop(bs_registry_t *r)
{
    election_t *e = r->election;
    if (!e)
        return;
    bs_kgroup_stop(e->group);
    free(e->identity);
    free(e);
    r->election = NULL;
}
