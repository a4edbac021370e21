/*
 * v2_meta.c — API v2 metadata resources: GET /topics, /topics/{t},
 * /topics/{t}/partitions[/{p}], /topics/{t}/partitions/{p}/offsets and
 * /brokers. Every handler hands its request to a worker (metadata requests
 * block); the worker replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "rest/rest_int.h"

static const rd_kafka_metadata_topic_t *md_topic(const struct rd_kafka_metadata *md,
                                                 const char *name)
{
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, name) == 0)
            return md->topics[i].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? NULL
                                                                                : &md->topics[i];
    return NULL;
}

static json_t *partition_json(const rd_kafka_metadata_partition_t *p)
{
    json_t *reps = json_array();
    for (int i = 0; i < p->replica_cnt; i++) {
        bool isr = false;
        for (int k = 0; k < p->isr_cnt; k++)
            isr |= p->isrs[k] == p->replicas[i];
        json_array_append_new(reps,
                              json_pack("{s:i,s:b,s:b}", "broker", (int)p->replicas[i], "leader",
                                        p->replicas[i] == p->leader, "in_sync", isr));
    }
    return json_pack("{s:i,s:i,s:o}", "partition", (int)p->id, "leader", (int)p->leader, "replicas",
                     reps);
}

static const rd_kafka_metadata_partition_t *md_partition(const rd_kafka_metadata_topic_t *t,
                                                         int32_t id)
{
    for (int i = 0; i < t->partition_cnt; i++)
        if (t->partitions[i].id == id)
            return &t->partitions[i];
    return NULL;
}

/* Fetches metadata and finds the path's topic; replies on failure. */
static const struct rd_kafka_metadata *md_for(bs_rest_t *r, bs_http_req_t *req,
                                              const rd_kafka_metadata_topic_t **t)
{
    char err[512];
    const struct rd_kafka_metadata *md = bs_rest_metadata(r, err, sizeof err);
    if (!md) {
        bs_http_reply_error(req, 500, 50002, "%s", err);
        return NULL;
    }
    if (t) {
        const char *name = bs_http_param(req, "topic");
        *t = md_topic(md, name);
        if (!*t) {
            bs_http_reply_error(req, 404, 40401, "Topic %s not found.", name);
            rd_kafka_metadata_destroy(md);
            return NULL;
        }
    }
    return md;
}

static void topics_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    const struct rd_kafka_metadata *md = md_for(r, req, NULL);
    if (!md)
        return;
    json_t *a = json_array();
    for (int i = 0; i < md->topic_cnt; i++)
        if (!md->topics[i].err && !bs_rest_topic_internal(md->topics[i].topic))
            json_array_append_new(a, json_string(md->topics[i].topic));
    rd_kafka_metadata_destroy(md);
    bs_http_reply_json(req, 200, a);
}

/* Topic configs through DescribeConfigs: {name: value}; NULL on failure. */
json_t *bs_rest_topic_configs(bs_rest_t *r, const char *topic, rd_kafka_resp_err_t *err, char *msg,
                              size_t msglen);
json_t *bs_rest_topic_configs(bs_rest_t *r, const char *topic, rd_kafka_resp_err_t *err, char *msg,
                              size_t msglen)
{
    json_t *out = NULL;
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->rk);
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_AdminOptions_t *o = bs_rest_admin_options(r, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_DescribeConfigs(r->rk, &res, 1, o, q);
    rd_kafka_event_t *ev = bs_rest_admin_wait(r, q);
    *err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    snprintf(msg, msglen, "DescribeConfigs timed out");
    if (!ev)
        goto done;
    *err = rd_kafka_event_error(ev);
    if (*err) {
        snprintf(msg, msglen, "%s", rd_kafka_event_error_string(ev));
        goto done;
    }
    const rd_kafka_DescribeConfigs_result_t *dr = rd_kafka_event_DescribeConfigs_result(ev);
    size_t n = 0;
    const rd_kafka_ConfigResource_t **rs = rd_kafka_DescribeConfigs_result_resources(dr, &n);
    if (n < 1) {
        *err = RD_KAFKA_RESP_ERR__BAD_MSG;
        snprintf(msg, msglen, "DescribeConfigs returned no resource");
        goto done;
    }
    *err = rd_kafka_ConfigResource_error(rs[0]);
    if (*err) {
        snprintf(msg, msglen, "%s", rd_kafka_ConfigResource_error_string(rs[0]));
        goto done;
    }
    size_t cn = 0;
    const rd_kafka_ConfigEntry_t **ce = rd_kafka_ConfigResource_configs(rs[0], &cn);
    out = json_object();
    for (size_t i = 0; i < cn; i++) {
        const char *v = rd_kafka_ConfigEntry_value(ce[i]);
        json_object_set_new(out, rd_kafka_ConfigEntry_name(ce[i]),
                            v && !rd_kafka_ConfigEntry_is_sensitive(ce[i]) ? json_string(v)
                                                                           : json_null());
    }
done:
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_queue_destroy(q);
    return out;
}

static void topic_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    const rd_kafka_metadata_topic_t *t;
    const struct rd_kafka_metadata *md = md_for(r, req, &t);
    if (!md)
        return;
    json_t *parts = json_array();
    for (int i = 0; i < t->partition_cnt; i++)
        json_array_append_new(parts, partition_json(&t->partitions[i]));
    char name[512];
    snprintf(name, sizeof name, "%s", t->topic);
    rd_kafka_metadata_destroy(md);
    rd_kafka_resp_err_t e;
    char msg[512];
    json_t *cfg = bs_rest_topic_configs(r, name, &e, msg, sizeof msg);
    if (!cfg) {
        json_decref(parts);
        bs_rest_reply_kafka_error(req, e, msg);
        return;
    }
    bs_http_reply_json(
        req, 200, json_pack("{s:s,s:o,s:o}", "name", name, "configs", cfg, "partitions", parts));
}

static void partitions_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    const rd_kafka_metadata_topic_t *t;
    const struct rd_kafka_metadata *md = md_for(r, req, &t);
    if (!md)
        return;
    json_t *parts = json_array();
    for (int i = 0; i < t->partition_cnt; i++)
        json_array_append_new(parts, partition_json(&t->partitions[i]));
    rd_kafka_metadata_destroy(md);
    bs_http_reply_json(req, 200, parts);
}

static void partition_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    const rd_kafka_metadata_topic_t *t;
    const struct rd_kafka_metadata *md = md_for(r, req, &t);
    if (!md)
        return;
    const rd_kafka_metadata_partition_t *p =
        md_partition(t, bs_rest_parse_i32(bs_http_param(req, "partition")));
    if (!p) {
        rd_kafka_metadata_destroy(md);
        bs_http_reply_error(req, 404, 40402, "Partition not found.");
        return;
    }
    json_t *j = partition_json(p);
    rd_kafka_metadata_destroy(md);
    bs_http_reply_json(req, 200, j);
}

static void offsets_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    const rd_kafka_metadata_topic_t *t;
    const struct rd_kafka_metadata *md = md_for(r, req, &t);
    if (!md)
        return;
    int32_t pid = bs_rest_parse_i32(bs_http_param(req, "partition"));
    bool found = md_partition(t, pid) != NULL;
    char topic[512];
    snprintf(topic, sizeof topic, "%s", t->topic);
    rd_kafka_metadata_destroy(md);
    if (!found) {
        bs_http_reply_error(req, 404, 40402, "Partition not found.");
        return;
    }
    int64_t lo = 0, hi = 0;
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(r->rk, topic, pid, &lo, &hi, r->cfg->admin_timeout_ms);
    if (e) {
        bs_rest_reply_kafka_error(req, e, NULL);
        return;
    }
    bs_http_reply_json(
        req, 200,
        json_pack("{s:I,s:I}", "beginning_offset", (json_int_t)lo, "end_offset", (json_int_t)hi));
}

static void brokers_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)arg;
    const struct rd_kafka_metadata *md = md_for(r, req, NULL);
    if (!md)
        return;
    json_t *a = json_array();
    for (int i = 0; i < md->broker_cnt; i++)
        json_array_append_new(a, json_integer(md->brokers[i].id));
    rd_kafka_metadata_destroy(md);
    bs_http_reply_json(req, 200, json_pack("{s:o}", "brokers", a));
}

#define SUBMITTER(name, job)                                                                       \
    void name(bs_http_req_t *req, void *ctx);                                                      \
    void name(bs_http_req_t *req, void *ctx)                                                       \
    {                                                                                              \
        bs_rest_submit(ctx, req, job, NULL, NULL);                                                 \
    }

SUBMITTER(bs_rest_v2_topics, topics_job)
SUBMITTER(bs_rest_v2_topic, topic_job)
SUBMITTER(bs_rest_v2_partitions, partitions_job)
SUBMITTER(bs_rest_v2_partition, partition_job)
SUBMITTER(bs_rest_v2_offsets, offsets_job)
SUBMITTER(bs_rest_v2_brokers, brokers_job)
