/*
 * v3.c — API v3 resources (/v3/clusters/...): clusters, topics (create,
 * list, get, partitions count update, delete), topic configs, partitions,
 * brokers and broker configs, consumer groups (consumers, assignments, lag,
 * lag summary) and the route table; produce is in produce.c.
 *
 * Every resource carries Confluent's envelope: "kind", "metadata" {"self",
 * "resource_name"} and related links {"related": url}. Links are built from
 * the request's Host header. Handlers hand their request to a worker
 * (metadata and admin calls block).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "rest/rest_int.h"

void bs_rest_v3_produce(bs_http_req_t *req, void *ctx);

/* "http://host:port/v3/clusters/<cid>" + suffix */
static char *v3_url(bs_rest_t *r, bs_http_req_t *req, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *v3_url(bs_rest_t *r, bs_http_req_t *req, const char *fmt, ...)
{
    char base[600], tail[1200];
    const char *host = bs_http_header(req, "Host");
    if (r->cfg->advertised)
        snprintf(base, sizeof base, "%s", r->cfg->advertised);
    else if (host && *host && strlen(host) < 400)
        snprintf(base, sizeof base, "http://%s", host);
    else
        snprintf(base, sizeof base, "http://%s:%d", r->cfg->listen_host, r->cfg->listen_port);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tail, sizeof tail, fmt, ap);
    va_end(ap);
    char *out = bs_xmalloc(strlen(base) + strlen(tail) + 64);
    sprintf(out, "%s/v3/clusters/%s%s", base, r->cluster_id, tail);
    return out;
}

static json_t *related(char *url)
{
    json_t *j = json_pack("{s:s}", "related", url);
    free(url);
    return j;
}

static json_t *meta(char *self, const char *resource_name)
{
    json_t *j = json_pack("{s:s,s:s}", "self", self, "resource_name", resource_name);
    free(self);
    return j;
}

static bool check_cluster(bs_rest_t *r, bs_http_req_t *req)
{
    const char *cid = bs_http_param(req, "cluster_id");
    if (cid && strcmp(cid, r->cluster_id) != 0) {
        bs_http_reply_error(req, 404, 404, "Cluster %s cannot be found.", cid);
        return false;
    }
    return true;
}

static json_t *cluster_json(bs_rest_t *r, bs_http_req_t *req, int32_t controller)
{
    char rn[300];
    snprintf(rn, sizeof rn, "crn:///kafka=%s", r->cluster_id);
    json_t *j = json_pack("{s:s,s:o,s:s}", "kind", "KafkaCluster", "metadata",
                          meta(v3_url(r, req, "%s", ""), rn), "cluster_id", r->cluster_id);
    if (controller >= 0)
        json_object_set_new(j, "controller", related(v3_url(r, req, "/brokers/%d", controller)));
    else
        json_object_set_new(j, "controller", json_null());
    json_object_set_new(j, "acls", related(v3_url(r, req, "/acls")));
    json_object_set_new(j, "brokers", related(v3_url(r, req, "/brokers")));
    json_object_set_new(j, "broker_configs", related(v3_url(r, req, "/broker-configs")));
    json_object_set_new(j, "consumer_groups", related(v3_url(r, req, "/consumer-groups")));
    json_object_set_new(j, "topics", related(v3_url(r, req, "/topics")));
    json_object_set_new(j, "partition_reassignments",
                        related(v3_url(r, req, "/topics/-/partitions/-/reassignment")));
    return j;
}

static void clusters_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    bool list = arg != NULL;
    if (!list && !check_cluster(r, req))
        return;
    int32_t ctl = rd_kafka_controllerid(r->rk, r->cfg->admin_timeout_ms);
    json_t *c = cluster_json(r, req, ctl);
    if (!list) {
        bs_http_reply_json(req, 200, c);
        return;
    }
    char *self = v3_url(r, req, "%s", "");
    char *p = strstr(self, "/v3/clusters/");
    p[strlen("/v3/clusters")] = '\0';
    json_t *m = json_pack("{s:s,s:n}", "self", self, "next");
    free(self);
    json_t *data = json_array();
    json_array_append_new(data, c);
    bs_http_reply_json(
        req, 200,
        json_pack("{s:s,s:o,s:o}", "kind", "KafkaClusterList", "metadata", m, "data", data));
}

static void h_clusters(bs_http_req_t *req, void *ctx)
{
    bs_rest_submit(ctx, req, clusters_job, (void *)1, NULL);
}

static void h_cluster(bs_http_req_t *req, void *ctx)
{
    bs_rest_submit(ctx, req, clusters_job, NULL, NULL);
}

/* ------------------------------------------------------------------------
 * shared helpers
 * ---------------------------------------------------------------------- */

static json_t *list_env(bs_rest_t *r, bs_http_req_t *req, const char *kind, char *self_tail,
                        json_t *data)
{
    json_t *m = json_pack("{s:s,s:n}", "self", self_tail, "next");
    free(self_tail);
    (void)r, (void)req;
    return json_pack("{s:s,s:o,s:o}", "kind", kind, "metadata", m, "data", data);
}

static char *crn(bs_rest_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *crn(bs_rest_t *r, const char *fmt, ...)
{
    char tail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tail, sizeof tail, fmt, ap);
    va_end(ap);
    char *out = bs_xmalloc(strlen(tail) + strlen(r->cluster_id) + 32);
    sprintf(out, "crn:///kafka=%s%s", r->cluster_id, tail);
    return out;
}

static json_t *meta2(char *self, char *rn)
{
    json_t *j = json_pack("{s:s,s:s}", "self", self, "resource_name", rn);
    free(self);
    free(rn);
    return j;
}

static const rd_kafka_metadata_topic_t *find_topic(const struct rd_kafka_metadata *md,
                                                   const char *name)
{
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, name) == 0 &&
            md->topics[i].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            return &md->topics[i];
    return NULL;
}

static void reply_no_topic(bs_http_req_t *req)
{
    bs_http_reply_error(req, 404, 40403, "This server does not host this topic-partition.");
}

/* Metadata + the path's topic (when with_topic); replies on failure. */
static const struct rd_kafka_metadata *v3_md(bs_rest_t *r, bs_http_req_t *req, bool with_topic,
                                             const rd_kafka_metadata_topic_t **t)
{
    char err[512];
    if (!check_cluster(r, req))
        return NULL;
    const struct rd_kafka_metadata *md = bs_rest_metadata(r, err, sizeof err);
    if (!md) {
        bs_http_reply_error(req, 500, 50002, "%s", err);
        return NULL;
    }
    if (with_topic) {
        *t = find_topic(md, bs_http_param(req, "topic_name"));
        if (!*t) {
            rd_kafka_metadata_destroy(md);
            reply_no_topic(req);
            return NULL;
        }
    }
    return md;
}

static json_t *topic_json(bs_rest_t *r, bs_http_req_t *req, const rd_kafka_metadata_topic_t *t)
{
    const char *n = t->topic;
    int rf = t->partition_cnt > 0 ? t->partitions[0].replica_cnt : 0;
    json_t *j =
        json_pack("{s:s,s:o,s:s,s:s,s:b,s:i,s:i}", "kind", "KafkaTopic", "metadata",
                  meta2(v3_url(r, req, "/topics/%s", n), crn(r, "/topic=%s", n)), "cluster_id",
                  r->cluster_id, "topic_name", n, "is_internal", bs_rest_topic_internal(n),
                  "replication_factor", rf, "partitions_count", t->partition_cnt);
    json_object_set_new(j, "partitions", related(v3_url(r, req, "/topics/%s/partitions", n)));
    json_object_set_new(j, "configs", related(v3_url(r, req, "/topics/%s/configs", n)));
    json_object_set_new(j, "partition_reassignments",
                        related(v3_url(r, req, "/topics/%s/partitions/-/reassignment", n)));
    json_object_set_new(j, "authorized_operations", json_array());
    return j;
}

/* Waits for an admin event, maps errors; NULL after replying. */
static rd_kafka_event_t *admin_result(bs_rest_t *r, bs_http_req_t *req, rd_kafka_queue_t *q)
{
    rd_kafka_event_t *ev = bs_rest_admin_wait(r, q);
    if (!ev) {
        bs_http_reply_error(req, 500, 50002, "The Kafka admin request timed out");
        return NULL;
    }
    if (rd_kafka_event_error(ev)) {
        bs_rest_reply_kafka_error(req, rd_kafka_event_error(ev), rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

/* Reply for a topic_result array (create/delete/partitions); true if ok. */
static bool topic_results_ok(bs_http_req_t *req, const rd_kafka_topic_result_t **tr, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
        if (!e)
            continue;
        if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            reply_no_topic(req);
        } else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            bs_http_reply_error(req, 400, 40002, "Topic '%s' already exists.",
                                rd_kafka_topic_result_name(tr[i]));
        } else {
            const char *m = rd_kafka_topic_result_error_string(tr[i]);
            bs_rest_reply_kafka_error(req, e, m);
        }
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------
 * topics
 * ---------------------------------------------------------------------- */

static void topics_list_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    const struct rd_kafka_metadata *md = v3_md(r, req, false, NULL);
    if (!md)
        return;
    json_t *data = json_array();
    for (int i = 0; i < md->topic_cnt; i++)
        if (!md->topics[i].err)
            json_array_append_new(data, topic_json(r, req, &md->topics[i]));
    rd_kafka_metadata_destroy(md);
    bs_http_reply_json(req, 200,
                       list_env(r, req, "KafkaTopicList", v3_url(r, req, "/topics"), data));
}

static void topic_get_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    const rd_kafka_metadata_topic_t *t;
    const struct rd_kafka_metadata *md = v3_md(r, req, true, &t);
    if (!md)
        return;
    json_t *j = topic_json(r, req, t);
    rd_kafka_metadata_destroy(md);
    bs_http_reply_json(req, 200, j);
}

/* Replies with the topic's data after a change (fresh metadata; falls back
 * to the requested values when the metadata is not there yet). */
static void reply_topic_after(bs_rest_t *r, bs_http_req_t *req, const char *name, int status,
                              int parts, int rf)
{
    char err[256];
    bs_rest_topic_invalidate(r);
    for (int attempt = 0; attempt < 20; attempt++) {
        const struct rd_kafka_metadata *md = bs_rest_metadata(r, err, sizeof err);
        if (md) {
            const rd_kafka_metadata_topic_t *t = find_topic(md, name);
            if (t && !t->err && (parts < 0 || t->partition_cnt == parts)) {
                json_t *j = topic_json(r, req, t);
                rd_kafka_metadata_destroy(md);
                bs_http_reply_json(req, status, j);
                return;
            }
            rd_kafka_metadata_destroy(md);
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    json_t *j = json_pack("{s:s,s:o,s:s,s:s,s:b,s:i,s:i}", "kind", "KafkaTopic", "metadata",
                          meta2(v3_url(r, req, "/topics/%s", name), crn(r, "/topic=%s", name)),
                          "cluster_id", r->cluster_id, "topic_name", name, "is_internal", false,
                          "replication_factor", rf, "partitions_count", parts);
    bs_http_reply_json(req, status, j);
}

static void topic_create_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    json_t *body = arg;
    char e[512];
    if (!check_cluster(r, req))
        return;
    json_t *jn = json_object_get(body, "topic_name");
    json_t *jp = json_object_get(body, "partitions_count");
    json_t *jr = json_object_get(body, "replication_factor");
    json_t *jc = json_object_get(body, "configs");
    json_t *ja = json_object_get(body, "replicas_assignments");
    if (!json_is_string(jn) || !json_string_length(jn) ||
        (jp && !json_is_null(jp) && !json_is_integer(jp)) ||
        (jr && !json_is_null(jr) && !json_is_integer(jr)) ||
        (jc && !json_is_null(jc) && !json_is_array(jc))) {
        bs_http_reply_error(req, 400, 40002,
                            "topic_name (string) is required; partitions_count and "
                            "replication_factor must be integers; configs an array");
        return;
    }
    const char *name = json_string_value(jn);
    int parts = jp && json_is_integer(jp) ? (int)json_integer_value(jp) : -1;
    int rf = jr && json_is_integer(jr) ? (int)json_integer_value(jr) : -1;
    if (ja && json_is_object(ja) && json_object_size(ja) > 0)
        parts = -1;
    rd_kafka_NewTopic_t *nt =
        rd_kafka_NewTopic_new(name, parts, ja && json_object_size(ja) ? -1 : rf, e, sizeof e);
    if (!nt) {
        bs_http_reply_error(req, 400, 40002, "%s", e);
        return;
    }
    if (ja && json_is_object(ja)) {
        const char *k;
        json_t *v;
        json_object_foreach(ja, k, v)
        {
            int32_t reps[64];
            size_t n = json_array_size(v);
            if (n > 64)
                n = 64;
            for (size_t i = 0; i < n; i++)
                reps[i] = (int32_t)json_integer_value(json_array_get(v, i));
            if (rd_kafka_NewTopic_set_replica_assignment(nt, atoi(k), reps, n, e, sizeof e)) {
                rd_kafka_NewTopic_destroy(nt);
                bs_http_reply_error(req, 400, 40002, "%s", e);
                return;
            }
        }
    }
    for (size_t i = 0; jc && i < json_array_size(jc); i++) {
        json_t *c = json_array_get(jc, i);
        json_t *cn = json_object_get(c, "name"), *cv = json_object_get(c, "value");
        if (!json_is_string(cn)) {
            rd_kafka_NewTopic_destroy(nt);
            bs_http_reply_error(req, 400, 40002, "configs[%zu] needs a string name", i);
            return;
        }
        rd_kafka_NewTopic_set_config(nt, json_string_value(cn),
                                     json_is_string(cv) ? json_string_value(cv) : NULL);
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->rk);
    rd_kafka_AdminOptions_t *o = bs_rest_admin_options(r, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    if (json_is_true(json_object_get(body, "validate_only")))
        rd_kafka_AdminOptions_set_validate_only(o, 1, e, sizeof e);
    rd_kafka_CreateTopics(r->rk, &nt, 1, o, q);
    rd_kafka_event_t *ev = admin_result(r, req, q);
    if (ev) {
        size_t n;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        if (topic_results_ok(req, tr, n)) {
            if (json_is_true(json_object_get(body, "validate_only")))
                bs_http_reply_json(req, 201,
                                   json_pack("{s:s,s:s,s:s,s:i,s:i}", "kind", "KafkaTopic",
                                             "cluster_id", r->cluster_id, "topic_name", name,
                                             "partitions_count", parts, "replication_factor", rf));
            else
                reply_topic_after(r, req, name, 201, -1, rf);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
}

static void topic_delete_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    const rd_kafka_metadata_topic_t *t;
    const struct rd_kafka_metadata *md = v3_md(r, req, true, &t);
    if (!md)
        return;
    rd_kafka_metadata_destroy(md);
    const char *name = bs_http_param(req, "topic_name");
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(name);
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->rk);
    rd_kafka_AdminOptions_t *o = bs_rest_admin_options(r, RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_DeleteTopics(r->rk, &dt, 1, o, q);
    rd_kafka_event_t *ev = admin_result(r, req, q);
    if (ev) {
        size_t n;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
        if (topic_results_ok(req, tr, n)) {
            bs_rest_topic_invalidate(r);
            bs_http_reply(req, 204, NULL, "", 0);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_queue_destroy(q);
}

static void topic_patch_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    json_t *body = arg;
    char e[512];
    const rd_kafka_metadata_topic_t *t;
    const struct rd_kafka_metadata *md = v3_md(r, req, true, &t);
    if (!md)
        return;
    int cur = t->partition_cnt;
    rd_kafka_metadata_destroy(md);
    json_t *jp = json_object_get(body, "partitions_count");
    if (!json_is_integer(jp)) {
        bs_http_reply_error(req, 400, 40002, "partitions_count (integer) is required");
        return;
    }
    const char *name = bs_http_param(req, "topic_name");
    int want = (int)json_integer_value(jp);
    if (want == cur) {
        reply_topic_after(r, req, name, 200, want, -1);
        return;
    }
    rd_kafka_NewPartitions_t *np =
        rd_kafka_NewPartitions_new(name, (size_t)(want > 0 ? want : 0), e, sizeof e);
    if (!np) {
        bs_http_reply_error(req, 400, 40002, "%s", e);
        return;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->rk);
    rd_kafka_AdminOptions_t *o = bs_rest_admin_options(r, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
    rd_kafka_CreatePartitions(r->rk, &np, 1, o, q);
    rd_kafka_event_t *ev = admin_result(r, req, q);
    if (ev) {
        size_t n;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
        if (topic_results_ok(req, tr, n))
            reply_topic_after(r, req, name, 200, want, -1);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewPartitions_destroy(np);
    rd_kafka_queue_destroy(q);
}

/* ------------------------------------------------------------------------
 * configs (topics and brokers)
 * ---------------------------------------------------------------------- */

typedef struct cfg_ctx_s {
    rd_kafka_ResourceType_t type;
    const char *name;  /* topic name, broker id, "" = cluster-wide broker defaults */
    const char *param; /* config name or NULL */
    json_t *body;      /* PUT / alter body */
} cfg_ctx_t;

static json_t *config_json(bs_rest_t *r, bs_http_req_t *req, const cfg_ctx_t *c,
                           const rd_kafka_ConfigEntry_t *ce)
{
    const char *n = rd_kafka_ConfigEntry_name(ce);
    const char *v = rd_kafka_ConfigEntry_value(ce);
    bool sens = rd_kafka_ConfigEntry_is_sensitive(ce);
    json_t *syn = json_array();
    size_t sn = 0;
    const rd_kafka_ConfigEntry_t **ss = rd_kafka_ConfigEntry_synonyms(ce, &sn);
    for (size_t i = 0; i < sn; i++) {
        const char *sv = rd_kafka_ConfigEntry_value(ss[i]);
        json_array_append_new(
            syn, json_pack("{s:s,s:s?,s:s}", "name", rd_kafka_ConfigEntry_name(ss[i]), "value",
                           sens ? NULL : sv, "source",
                           rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(ss[i]))));
    }
    json_t *j;
    if (c->type == RD_KAFKA_RESOURCE_TOPIC) {
        j = json_pack("{s:s,s:o,s:s,s:s}", "kind", "KafkaTopicConfig", "metadata",
                      meta2(v3_url(r, req, "/topics/%s/configs/%s", c->name, n),
                            crn(r, "/topic=%s/config=%s", c->name, n)),
                      "cluster_id", r->cluster_id, "topic_name", c->name);
    } else if (c->name[0]) {
        j = json_pack("{s:s,s:o,s:s,s:i}", "kind", "KafkaBrokerConfig", "metadata",
                      meta2(v3_url(r, req, "/brokers/%s/configs/%s", c->name, n),
                            crn(r, "/broker=%s/config=%s", c->name, n)),
                      "cluster_id", r->cluster_id, "broker_id", atoi(c->name));
    } else {
        j = json_pack(
            "{s:s,s:o,s:s,s:s}", "kind", "KafkaClusterConfig", "metadata",
            meta2(v3_url(r, req, "/broker-configs/%s", n), crn(r, "/broker-config=%s", n)),
            "cluster_id", r->cluster_id, "config_type", "BROKER");
    }
    json_object_set_new(j, "name", json_string(n));
    json_object_set_new(j, "value", v && !sens ? json_string(v) : json_null());
    json_object_set_new(j, "is_default", json_boolean(rd_kafka_ConfigEntry_is_default(ce)));
    json_object_set_new(j, "is_read_only", json_boolean(rd_kafka_ConfigEntry_is_read_only(ce)));
    json_object_set_new(j, "is_sensitive", json_boolean(sens));
    json_object_set_new(j, "source",
                        json_string(rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(ce))));
    json_object_set_new(j, "synonyms", syn);
    return j;
}

/* DescribeConfigs of one resource; returns the event (caller destroys) and
 * the entries, or NULL after replying. */
static rd_kafka_event_t *describe(bs_rest_t *r, bs_http_req_t *req, const cfg_ctx_t *c,
                                  const rd_kafka_ConfigEntry_t ***ents, size_t *n)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->rk);
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(c->type, c->name);
    rd_kafka_AdminOptions_t *o = bs_rest_admin_options(r, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_DescribeConfigs(r->rk, &res, 1, o, q);
    rd_kafka_event_t *ev = admin_result(r, req, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_queue_destroy(q);
    if (!ev)
        return NULL;
    size_t rn = 0;
    const rd_kafka_ConfigResource_t **rs =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &rn);
    rd_kafka_resp_err_t e = rn ? rd_kafka_ConfigResource_error(rs[0]) : RD_KAFKA_RESP_ERR__BAD_MSG;
    if (e) {
        if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            reply_no_topic(req);
        else
            bs_rest_reply_kafka_error(req, e,
                                      rn ? rd_kafka_ConfigResource_error_string(rs[0]) : NULL);
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    *ents = (const rd_kafka_ConfigEntry_t **)rd_kafka_ConfigResource_configs(rs[0], n);
    return ev;
}

static void configs_get_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    cfg_ctx_t *c = arg;
    if (!check_cluster(r, req))
        return;
    const rd_kafka_ConfigEntry_t **ce;
    size_t n = 0;
    rd_kafka_event_t *ev = describe(r, req, c, &ce, &n);
    if (!ev)
        return;
    if (c->param) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(rd_kafka_ConfigEntry_name(ce[i]), c->param) == 0) {
                bs_http_reply_json(req, 200, config_json(r, req, c, ce[i]));
                rd_kafka_event_destroy(ev);
                return;
            }
        }
        bs_http_reply_error(req, 404, 404, "Config %s cannot be found for %s %s.", c->param,
                            c->type == RD_KAFKA_RESOURCE_TOPIC ? "topic" : "broker", c->name);
        rd_kafka_event_destroy(ev);
        return;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, config_json(r, req, c, ce[i]));
    rd_kafka_event_destroy(ev);
    char *self = c->type == RD_KAFKA_RESOURCE_TOPIC ? v3_url(r, req, "/topics/%s/configs", c->name)
                 : c->name[0]                       ? v3_url(r, req, "/brokers/%s/configs", c->name)
                                                    : v3_url(r, req, "/broker-configs");
    const char *kind = c->type == RD_KAFKA_RESOURCE_TOPIC ? "KafkaTopicConfigList"
                       : c->name[0]                       ? "KafkaBrokerConfigList"
                                                          : "KafkaClusterConfigList";
    bs_http_reply_json(req, 200, list_env(r, req, kind, self, data));
}

/* Applies SET/DELETE operations with AlterConfigs (librdkafka 2.0 has no
 * IncrementalAlterConfigs): the resource's current dynamic settings are
 * read, changed, and written back as a whole. ops: [{"name","value",
 * "operation"}]. Replies 204 on success. */
static void alter(bs_rest_t *r, bs_http_req_t *req, const cfg_ctx_t *c, json_t *ops,
                  bool validate_only)
{
    char e[512];
    const rd_kafka_ConfigEntry_t **ce;
    size_t n = 0;
    rd_kafka_event_t *dev = describe(r, req, c, &ce, &n);
    if (!dev)
        return;
    json_t *want = json_object(); /* name -> value (dynamic settings to keep/set) */
    rd_kafka_ConfigSource_t dyn =
        c->type == RD_KAFKA_RESOURCE_TOPIC ? RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG
        : c->name[0]                       ? RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG
                                           : RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG;
    for (size_t i = 0; i < n; i++)
        if (rd_kafka_ConfigEntry_source(ce[i]) == dyn && rd_kafka_ConfigEntry_value(ce[i]) &&
            !rd_kafka_ConfigEntry_is_sensitive(ce[i]))
            json_object_set_new(want, rd_kafka_ConfigEntry_name(ce[i]),
                                json_string(rd_kafka_ConfigEntry_value(ce[i])));
    rd_kafka_event_destroy(dev);
    for (size_t i = 0; i < json_array_size(ops); i++) {
        json_t *op = json_array_get(ops, i);
        json_t *on = json_object_get(op, "name"), *ov = json_object_get(op, "value");
        json_t *oo = json_object_get(op, "operation");
        const char *opn = json_is_string(oo) ? json_string_value(oo) : "SET";
        if (!json_is_string(on)) {
            json_decref(want);
            bs_http_reply_error(req, 400, 40002, "data[%zu] needs a string name", i);
            return;
        }
        if (strcasecmp(opn, "DELETE") == 0) {
            json_object_del(want, json_string_value(on));
        } else if (strcasecmp(opn, "SET") == 0 && json_is_string(ov)) {
            json_object_set(want, json_string_value(on), ov);
        } else {
            json_decref(want);
            bs_http_reply_error(req, 400, 40002,
                                "data[%zu]: operation must be SET (with a string value) or DELETE",
                                i);
            return;
        }
    }
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(c->type, c->name);
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v)
        rd_kafka_ConfigResource_set_config(res, k, json_string_value(v));
    json_decref(want);
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->rk);
    rd_kafka_AdminOptions_t *o = bs_rest_admin_options(r, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
    if (validate_only)
        rd_kafka_AdminOptions_set_validate_only(o, 1, e, sizeof e);
    rd_kafka_AlterConfigs(r->rk, &res, 1, o, q);
    rd_kafka_event_t *ev = admin_result(r, req, q);
    if (ev) {
        size_t rn = 0;
        const rd_kafka_ConfigResource_t **rs =
            rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &rn);
        rd_kafka_resp_err_t er = rn ? rd_kafka_ConfigResource_error(rs[0]) : 0;
        if (er)
            bs_rest_reply_kafka_error(req, er, rd_kafka_ConfigResource_error_string(rs[0]));
        else
            bs_http_reply(req, 204, NULL, "", 0);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_queue_destroy(q);
}

static void config_put_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    cfg_ctx_t *c = arg;
    if (!check_cluster(r, req))
        return;
    json_t *v = json_object_get(c->body, "value");
    if (!json_is_string(v)) {
        bs_http_reply_error(req, 400, 40002, "value (string) is required");
        return;
    }
    json_t *ops = json_pack("[{s:s,s:O,s:s}]", "name", c->param, "value", v, "operation", "SET");
    alter(r, req, c, ops, false);
    json_decref(ops);
}

static void config_delete_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    cfg_ctx_t *c = arg;
    if (!check_cluster(r, req))
        return;
    json_t *ops = json_pack("[{s:s,s:s}]", "name", c->param, "operation", "DELETE");
    alter(r, req, c, ops, false);
    json_decref(ops);
}

static void config_alter_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    cfg_ctx_t *c = arg;
    if (!check_cluster(r, req))
        return;
    json_t *data = json_object_get(c->body, "data");
    if (!json_is_array(data)) {
        bs_http_reply_error(req, 400, 40002,
                            "data (array of {name, value, operation}) is required");
        return;
    }
    alter(r, req, c, data, json_is_true(json_object_get(c->body, "validate_only")));
}

static void cfg_ctx_free(void *p)
{
    cfg_ctx_t *c = p;
    if (c->body)
        json_decref(c->body);
    free(c);
}

/* Body as an object (or NULL when none needed); replies on bad JSON. */
static bool v3_body(bs_http_req_t *req, json_t **out)
{
    size_t len;
    bs_http_body(req, &len);
    json_error_t je;
    json_t *j = len ? bs_http_body_json(req, &je) : json_object();
    if (!j) {
        bs_http_reply_error(req, 400, 400, "Unexpected character or malformed JSON: %s", je.text);
        return false;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        bs_http_reply_error(req, 400, 400, "The request body must be a JSON object");
        return false;
    }
    *out = j;
    return true;
}

static void cfg_submit(bs_http_req_t *req, void *ctx, rd_kafka_ResourceType_t type,
                       const char *name, bool body, bs_rest_job_fn fn)
{
    cfg_ctx_t *c = bs_xcalloc(1, sizeof *c);
    c->type = type;
    c->name = name;
    c->param = bs_http_param(req, "name");
    if (body && !v3_body(req, &c->body)) {
        free(c);
        return;
    }
    bs_rest_submit(ctx, req, fn, c, cfg_ctx_free);
}

#define TOPIC_CFG(h, body, fn)                                                                     \
    static void h(bs_http_req_t *req, void *ctx)                                                   \
    {                                                                                              \
        cfg_submit(req, ctx, RD_KAFKA_RESOURCE_TOPIC, bs_http_param(req, "topic_name"), body, fn); \
    }
#define BROKER_CFG(h, body, fn)                                                                    \
    static void h(bs_http_req_t *req, void *ctx)                                                   \
    {                                                                                              \
        const char *b = bs_http_param(req, "broker_id");                                           \
        cfg_submit(req, ctx, RD_KAFKA_RESOURCE_BROKER, b ? b : "", body, fn);                      \
    }

TOPIC_CFG(h_topic_configs, false, configs_get_job)
TOPIC_CFG(h_topic_config, false, configs_get_job)
TOPIC_CFG(h_topic_config_put, true, config_put_job)
TOPIC_CFG(h_topic_config_del, false, config_delete_job)
TOPIC_CFG(h_topic_config_alter, true, config_alter_job)
BROKER_CFG(h_broker_configs, false, configs_get_job)
BROKER_CFG(h_broker_config, false, configs_get_job)
BROKER_CFG(h_broker_config_put, true, config_put_job)
BROKER_CFG(h_broker_config_del, false, config_delete_job)
BROKER_CFG(h_broker_config_alter, true, config_alter_job)

/* ------------------------------------------------------------------------
 * partitions and brokers
 * ---------------------------------------------------------------------- */

static json_t *partition_json(bs_rest_t *r, bs_http_req_t *req, const char *t,
                              const rd_kafka_metadata_partition_t *p)
{
    json_t *j = json_pack("{s:s,s:o,s:s,s:s,s:i}", "kind", "KafkaPartition", "metadata",
                          meta2(v3_url(r, req, "/topics/%s/partitions/%d", t, (int)p->id),
                                crn(r, "/topic=%s/partition=%d", t, (int)p->id)),
                          "cluster_id", r->cluster_id, "topic_name", t, "partition_id", (int)p->id);
    json_object_set_new(j, "leader",
                        related(v3_url(r, req, "/topics/%s/partitions/%d/replicas/%d", t,
                                       (int)p->id, (int)p->leader)));
    json_object_set_new(
        j, "replicas", related(v3_url(r, req, "/topics/%s/partitions/%d/replicas", t, (int)p->id)));
    json_object_set_new(
        j, "reassignment",
        related(v3_url(r, req, "/topics/%s/partitions/%d/reassignment", t, (int)p->id)));
    return j;
}

static void partitions_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    const rd_kafka_metadata_topic_t *t;
    const struct rd_kafka_metadata *md = v3_md(r, req, true, &t);
    if (!md)
        return;
    const char *pp = bs_http_param(req, "partition_id");
    if (pp || arg) {
        int32_t id = bs_rest_parse_i32(pp);
        for (int i = 0; i < t->partition_cnt; i++) {
            if (t->partitions[i].id != id)
                continue;
            json_t *j = partition_json(r, req, t->topic, &t->partitions[i]);
            rd_kafka_metadata_destroy(md);
            bs_http_reply_json(req, 200, j);
            return;
        }
        rd_kafka_metadata_destroy(md);
        reply_no_topic(req);
        return;
    }
    json_t *data = json_array();
    for (int i = 0; i < t->partition_cnt; i++)
        json_array_append_new(data, partition_json(r, req, t->topic, &t->partitions[i]));
    char *self = v3_url(r, req, "/topics/%s/partitions", t->topic);
    rd_kafka_metadata_destroy(md);
    bs_http_reply_json(req, 200, list_env(r, req, "KafkaPartitionList", self, data));
}

static json_t *broker_json(bs_rest_t *r, bs_http_req_t *req, const rd_kafka_metadata_broker_t *b)
{
    json_t *j = json_pack(
        "{s:s,s:o,s:s,s:i,s:s,s:i,s:n}", "kind", "KafkaBroker", "metadata",
        meta2(v3_url(r, req, "/brokers/%d", (int)b->id), crn(r, "/broker=%d", (int)b->id)),
        "cluster_id", r->cluster_id, "broker_id", (int)b->id, "host", b->host, "port", b->port,
        "rack");
    json_object_set_new(j, "configs", related(v3_url(r, req, "/brokers/%d/configs", (int)b->id)));
    json_object_set_new(j, "partition_replicas",
                        related(v3_url(r, req, "/brokers/%d/partition-replicas", (int)b->id)));
    return j;
}

static void brokers_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    const struct rd_kafka_metadata *md = v3_md(r, req, false, NULL);
    if (!md)
        return;
    const char *bp = bs_http_param(req, "broker_id");
    if (bp) {
        int32_t id = bs_rest_parse_i32(bp);
        for (int i = 0; i < md->broker_cnt; i++) {
            if (md->brokers[i].id != id)
                continue;
            json_t *j = broker_json(r, req, &md->brokers[i]);
            rd_kafka_metadata_destroy(md);
            bs_http_reply_json(req, 200, j);
            return;
        }
        rd_kafka_metadata_destroy(md);
        bs_http_reply_error(req, 404, 404, "Broker %s cannot be found.", bp);
        return;
    }
    json_t *data = json_array();
    for (int i = 0; i < md->broker_cnt; i++)
        json_array_append_new(data, broker_json(r, req, &md->brokers[i]));
    rd_kafka_metadata_destroy(md);
    bs_http_reply_json(req, 200,
                       list_env(r, req, "KafkaBrokerList", v3_url(r, req, "/brokers"), data));
}

/* ------------------------------------------------------------------------
 * consumer groups
 * ---------------------------------------------------------------------- */

static const char *state_name(rd_kafka_consumer_group_state_t s)
{
    switch (s) {
    case RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE:
        return "PREPARING_REBALANCE";
    case RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE:
        return "COMPLETING_REBALANCE";
    case RD_KAFKA_CONSUMER_GROUP_STATE_STABLE:
        return "STABLE";
    case RD_KAFKA_CONSUMER_GROUP_STATE_DEAD:
        return "DEAD";
    case RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY:
        return "EMPTY";
    default:
        return "UNKNOWN";
    }
}

/* DescribeConsumerGroups of one group; event owned by the caller. */
static rd_kafka_event_t *describe_group(bs_rest_t *r, bs_http_req_t *req, const char *g,
                                        const rd_kafka_ConsumerGroupDescription_t **d)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->rk);
    rd_kafka_AdminOptions_t *o = bs_rest_admin_options(r, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_DescribeConsumerGroups(r->rk, &g, 1, o, q);
    rd_kafka_event_t *ev = admin_result(r, req, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    if (!ev)
        return NULL;
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t **ds = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
    const rd_kafka_error_t *err = n ? rd_kafka_ConsumerGroupDescription_error(ds[0]) : NULL;
    if (!n || err ||
        rd_kafka_ConsumerGroupDescription_state(ds[0]) == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD) {
        bs_http_reply_error(req, 404, 404, "Consumer group %s cannot be found.", g);
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    *d = ds[0];
    return ev;
}

static json_t *group_json(bs_rest_t *r, bs_http_req_t *req, const char *g, bool simple,
                          const char *assignor, const char *state, int coord)
{
    json_t *j =
        json_pack("{s:s,s:o,s:s,s:s,s:b,s:s,s:s}", "kind", "KafkaConsumerGroup", "metadata",
                  meta2(v3_url(r, req, "/consumer-groups/%s", g), crn(r, "/consumer-group=%s", g)),
                  "cluster_id", r->cluster_id, "consumer_group_id", g, "is_simple", simple,
                  "partition_assignor", assignor ? assignor : "", "state", state);
    json_object_set_new(j, "coordinator",
                        coord >= 0 ? related(v3_url(r, req, "/brokers/%d", coord)) : json_null());
    json_object_set_new(j, "consumers",
                        related(v3_url(r, req, "/consumer-groups/%s/consumers", g)));
    json_object_set_new(j, "lag_summary",
                        related(v3_url(r, req, "/consumer-groups/%s/lag-summary", g)));
    return j;
}

static void groups_list_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    if (!check_cluster(r, req))
        return;
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->rk);
    rd_kafka_AdminOptions_t *o = bs_rest_admin_options(r, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_ListConsumerGroups(r->rk, o, q);
    rd_kafka_event_t *ev = admin_result(r, req, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    if (!ev)
        return;
    size_t n = 0;
    const rd_kafka_ConsumerGroupListing_t **ls =
        rd_kafka_ListConsumerGroups_result_valid(rd_kafka_event_ListConsumerGroups_result(ev), &n);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            data, group_json(r, req, rd_kafka_ConsumerGroupListing_group_id(ls[i]),
                             rd_kafka_ConsumerGroupListing_is_simple_consumer_group(ls[i]), "",
                             state_name(rd_kafka_ConsumerGroupListing_state(ls[i])), -1));
    rd_kafka_event_destroy(ev);
    bs_http_reply_json(
        req, 200,
        list_env(r, req, "KafkaConsumerGroupList", v3_url(r, req, "/consumer-groups"), data));
}

static json_t *consumer_json(bs_rest_t *r, bs_http_req_t *req, const char *g,
                             const rd_kafka_MemberDescription_t *m)
{
    const char *id = rd_kafka_MemberDescription_consumer_id(m);
    const char *inst = rd_kafka_MemberDescription_group_instance_id(m);
    json_t *j =
        json_pack("{s:s,s:o,s:s,s:s,s:s,s:s?,s:s}", "kind", "KafkaConsumer", "metadata",
                  meta2(v3_url(r, req, "/consumer-groups/%s/consumers/%s", g, id),
                        crn(r, "/consumer-group=%s/consumer=%s", g, id)),
                  "cluster_id", r->cluster_id, "consumer_group_id", g, "consumer_id", id,
                  "instance_id", inst, "client_id", rd_kafka_MemberDescription_client_id(m));
    json_object_set_new(
        j, "assignments",
        related(v3_url(r, req, "/consumer-groups/%s/consumers/%s/assignments", g, id)));
    return j;
}

static json_t *assignment_json(bs_rest_t *r, bs_http_req_t *req, const char *g, const char *c,
                               const rd_kafka_topic_partition_t *tp)
{
    json_t *j = json_pack(
        "{s:s,s:o,s:s,s:s,s:s,s:s,s:i}", "kind", "KafkaConsumerAssignment", "metadata",
        meta2(v3_url(r, req, "/consumer-groups/%s/consumers/%s/assignments/%s/partitions/%d", g, c,
                     tp->topic, (int)tp->partition),
              crn(r, "/consumer-group=%s/consumer=%s/assignment=%s/partition=%d", g, c, tp->topic,
                  (int)tp->partition)),
        "cluster_id", r->cluster_id, "consumer_group_id", g, "consumer_id", c, "topic_name",
        tp->topic, "partition_id", (int)tp->partition);
    json_object_set_new(
        j, "partition",
        related(v3_url(r, req, "/topics/%s/partitions/%d", tp->topic, (int)tp->partition)));
    return j;
}

/* arg: 0 group, 1 consumers, 2 consumer, 3 assignments */
static void group_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    int what = (int)(intptr_t)arg;
    if (!check_cluster(r, req))
        return;
    const char *g = bs_http_param(req, "group_id");
    const char *cid = bs_http_param(req, "consumer_id");
    const rd_kafka_ConsumerGroupDescription_t *d;
    rd_kafka_event_t *ev = describe_group(r, req, g, &d);
    if (!ev)
        return;
    json_t *out = NULL;
    if (what == 0) {
        const rd_kafka_Node_t *co = rd_kafka_ConsumerGroupDescription_coordinator(d);
        out = group_json(r, req, g, rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d),
                         rd_kafka_ConsumerGroupDescription_partition_assignor(d),
                         state_name(rd_kafka_ConsumerGroupDescription_state(d)),
                         co ? rd_kafka_Node_id(co) : -1);
    } else if (what == 1) {
        json_t *data = json_array();
        size_t n = rd_kafka_ConsumerGroupDescription_member_count(d);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                data, consumer_json(r, req, g, rd_kafka_ConsumerGroupDescription_member(d, i)));
        out = list_env(r, req, "KafkaConsumerList",
                       v3_url(r, req, "/consumer-groups/%s/consumers", g), data);
    } else {
        size_t n = rd_kafka_ConsumerGroupDescription_member_count(d);
        const rd_kafka_MemberDescription_t *m = NULL;
        for (size_t i = 0; i < n && !m; i++) {
            const rd_kafka_MemberDescription_t *x = rd_kafka_ConsumerGroupDescription_member(d, i);
            if (strcmp(rd_kafka_MemberDescription_consumer_id(x), cid) == 0)
                m = x;
        }
        if (!m) {
            rd_kafka_event_destroy(ev);
            bs_http_reply_error(req, 404, 404, "Consumer %s cannot be found.", cid);
            return;
        }
        if (what == 2) {
            out = consumer_json(r, req, g, m);
        } else {
            const rd_kafka_topic_partition_list_t *l =
                rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
            json_t *data = json_array();
            for (int i = 0; l && i < l->cnt; i++)
                json_array_append_new(data, assignment_json(r, req, g, cid, &l->elems[i]));
            out = list_env(r, req, "KafkaConsumerAssignmentList",
                           v3_url(r, req, "/consumer-groups/%s/consumers/%s/assignments", g, cid),
                           data);
        }
    }
    rd_kafka_event_destroy(ev);
    bs_http_reply_json(req, 200, out);
}

/* arg: 0 lags, 1 lag summary */
static void lag_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    bool summary = arg != NULL;
    if (!check_cluster(r, req))
        return;
    const char *g = bs_http_param(req, "group_id");
    const rd_kafka_ConsumerGroupDescription_t *d;
    rd_kafka_event_t *dev = describe_group(r, req, g, &d);
    if (!dev)
        return;
    /* committed offsets of the group */
    rd_kafka_ListConsumerGroupOffsets_t *lo = rd_kafka_ListConsumerGroupOffsets_new(g, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->rk);
    rd_kafka_AdminOptions_t *o =
        bs_rest_admin_options(r, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_ListConsumerGroupOffsets(r->rk, &lo, 1, o, q);
    rd_kafka_event_t *ev = admin_result(r, req, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ListConsumerGroupOffsets_destroy(lo);
    rd_kafka_queue_destroy(q);
    if (!ev) {
        rd_kafka_event_destroy(dev);
        return;
    }
    size_t gn = 0;
    const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(ev), &gn);
    const rd_kafka_topic_partition_list_t *offs =
        gn ? rd_kafka_group_result_partitions(gr[0]) : NULL;
    json_t *data = json_array();
    int64_t total = 0, maxlag = -1;
    json_t *maxrec = NULL;
    size_t mc = rd_kafka_ConsumerGroupDescription_member_count(d);
    for (int i = 0; offs && i < offs->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &offs->elems[i];
        if (tp->offset < 0)
            continue;
        int64_t lo_w = 0, hi_w = 0;
        if (rd_kafka_query_watermark_offsets(r->rk, tp->topic, tp->partition, &lo_w, &hi_w,
                                             r->cfg->admin_timeout_ms))
            continue;
        int64_t lag = hi_w - tp->offset;
        if (lag < 0)
            lag = 0;
        const char *cons = "", *inst = NULL, *client = "";
        for (size_t m = 0; m < mc; m++) {
            const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(d, m);
            const rd_kafka_topic_partition_list_t *a =
                rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(md));
            if (a && rd_kafka_topic_partition_list_find(a, tp->topic, tp->partition)) {
                cons = rd_kafka_MemberDescription_consumer_id(md);
                inst = rd_kafka_MemberDescription_group_instance_id(md);
                client = rd_kafka_MemberDescription_client_id(md);
            }
        }
        json_t *j =
            json_pack("{s:s,s:o,s:s,s:s,s:s,s:i,s:I,s:I,s:I,s:s,s:s?,s:s}", "kind",
                      "KafkaConsumerLag", "metadata",
                      meta2(v3_url(r, req, "/consumer-groups/%s/lags/%s/partitions/%d", g,
                                   tp->topic, (int)tp->partition),
                            crn(r, "/consumer-group=%s/lag=%s/partition=%d", g, tp->topic,
                                (int)tp->partition)),
                      "cluster_id", r->cluster_id, "consumer_group_id", g, "topic_name", tp->topic,
                      "partition_id", (int)tp->partition, "current_offset", (json_int_t)tp->offset,
                      "log_end_offset", (json_int_t)hi_w, "lag", (json_int_t)lag, "consumer_id",
                      cons, "instance_id", inst, "client_id", client);
        total += lag;
        if (lag > maxlag) {
            maxlag = lag;
            maxrec = j;
        }
        json_array_append_new(data, j);
    }
    json_t *out;
    if (!summary) {
        out = list_env(r, req, "KafkaConsumerLagList",
                       v3_url(r, req, "/consumer-groups/%s/lags", g), json_incref(data));
    } else {
        out = json_pack("{s:s,s:o,s:s,s:s,s:I,s:I}", "kind", "KafkaConsumerGroupLagSummary",
                        "metadata",
                        meta2(v3_url(r, req, "/consumer-groups/%s/lag-summary", g),
                              crn(r, "/consumer-group=%s/lag-summary", g)),
                        "cluster_id", r->cluster_id, "consumer_group_id", g, "max_lag",
                        (json_int_t)(maxlag < 0 ? 0 : maxlag), "total_lag", (json_int_t)total);
        const char *keys[] = {"consumer_id", "instance_id", "client_id", "topic_name",
                              "partition_id"};
        for (int k = 0; k < 5; k++) {
            json_t *v = maxrec ? json_object_get(maxrec, keys[k]) : NULL;
            char name[64];
            snprintf(name, sizeof name, "max_lag_%s", keys[k]);
            json_object_set(out, name, v ? v : json_null());
        }
        if (maxrec) {
            const char *mc_id = json_string_value(json_object_get(maxrec, "consumer_id"));
            json_object_set_new(
                out, "max_lag_consumer",
                related(v3_url(r, req, "/consumer-groups/%s/consumers/%s", g, mc_id)));
            json_object_set_new(
                out, "max_lag_partition",
                related(v3_url(r, req, "/topics/%s/partitions/%d",
                               json_string_value(json_object_get(maxrec, "topic_name")),
                               (int)json_integer_value(json_object_get(maxrec, "partition_id")))));
        }
    }
    json_decref(data);
    rd_kafka_event_destroy(ev);
    rd_kafka_event_destroy(dev);
    bs_http_reply_json(req, 200, out);
}

/* ------------------------------------------------------------------------
 * handlers and the route table
 * ---------------------------------------------------------------------- */

#define JOB(h, fn, arg)                                                                            \
    static void h(bs_http_req_t *req, void *ctx)                                                   \
    {                                                                                              \
        bs_rest_submit(ctx, req, fn, (void *)(arg), NULL);                                         \
    }

JOB(h_topics, topics_list_job, 0)
JOB(h_topic, topic_get_job, 0)
JOB(h_topic_delete, topic_delete_job, 0)
JOB(h_partitions, partitions_job, 0)
JOB(h_partition, partitions_job, 1)
JOB(h_brokers, brokers_job, 0)
JOB(h_groups, groups_list_job, 0)
JOB(h_group, group_job, 0)
JOB(h_group_consumers, group_job, 1)
JOB(h_group_consumer, group_job, 2)
JOB(h_group_assignments, group_job, 3)
JOB(h_lags, lag_job, 0)
JOB(h_lag_summary, lag_job, 1)

static void h_topic_create(bs_http_req_t *req, void *ctx)
{
    json_t *body;
    if (!v3_body(req, &body))
        return;
    bs_rest_submit(ctx, req, topic_create_job, body, (void (*)(void *))json_decref);
}

static void h_topic_patch(bs_http_req_t *req, void *ctx)
{
    json_t *body;
    if (!v3_body(req, &body))
        return;
    bs_rest_submit(ctx, req, topic_patch_job, body, (void (*)(void *))json_decref);
}

#define C "/v3/clusters/{cluster_id}"

const bs_http_route_t bs_rest_v3_routes[] = {
    {"GET", "/v3/clusters", h_clusters},
    {"GET", C, h_cluster},
    {"GET", C "/topics", h_topics},
    {"POST", C "/topics", h_topic_create},
    {"GET", C "/topics/{topic_name}", h_topic},
    {"PATCH", C "/topics/{topic_name}", h_topic_patch},
    {"DELETE", C "/topics/{topic_name}", h_topic_delete},
    {"GET", C "/topics/{topic_name}/configs", h_topic_configs},
    {"POST", C "/topics/{topic_name}/configs:alter", h_topic_config_alter},
    {"GET", C "/topics/{topic_name}/configs/{name}", h_topic_config},
    {"PUT", C "/topics/{topic_name}/configs/{name}", h_topic_config_put},
    {"DELETE", C "/topics/{topic_name}/configs/{name}", h_topic_config_del},
    {"GET", C "/topics/{topic_name}/partitions", h_partitions},
    {"GET", C "/topics/{topic_name}/partitions/{partition_id}", h_partition},
    {"POST", C "/topics/{topic_name}/records", bs_rest_v3_produce},
    {"GET", C "/brokers", h_brokers},
    {"GET", C "/brokers/{broker_id}", h_brokers},
    {"GET", C "/brokers/{broker_id}/configs", h_broker_configs},
    {"POST", C "/brokers/{broker_id}/configs:alter", h_broker_config_alter},
    {"GET", C "/brokers/{broker_id}/configs/{name}", h_broker_config},
    {"PUT", C "/brokers/{broker_id}/configs/{name}", h_broker_config_put},
    {"DELETE", C "/brokers/{broker_id}/configs/{name}", h_broker_config_del},
    {"GET", C "/broker-configs", h_broker_configs},
    {"POST", C "/broker-configs:alter", h_broker_config_alter},
    {"GET", C "/broker-configs/{name}", h_broker_config},
    {"PUT", C "/broker-configs/{name}", h_broker_config_put},
    {"DELETE", C "/broker-configs/{name}", h_broker_config_del},
    {"GET", C "/consumer-groups", h_groups},
    {"GET", C "/consumer-groups/{group_id}", h_group},
    {"GET", C "/consumer-groups/{group_id}/consumers", h_group_consumers},
    {"GET", C "/consumer-groups/{group_id}/consumers/{consumer_id}", h_group_consumer},
    {"GET", C "/consumer-groups/{group_id}/consumers/{consumer_id}/assignments",
     h_group_assignments},
    {"GET", C "/consumer-groups/{group_id}/lags", h_lags},
    {"GET", C "/consumer-groups/{group_id}/lag-summary", h_lag_summary},
};
const int bs_rest_v3_nroutes = (int)(sizeof bs_rest_v3_routes / sizeof bs_rest_v3_routes[0]);
