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

const bs_http_route_t bs_rest_v3_routes[] = {
    {"GET", "/v3/clusters", h_clusters},
    {"GET", "/v3/clusters/{cluster_id}", h_cluster},
    {"POST", "/v3/clusters/{cluster_id}/topics/{topic_name}/records", bs_rest_v3_produce},
};
const int bs_rest_v3_nroutes = (int)(sizeof bs_rest_v3_routes / sizeof bs_rest_v3_routes[0]);
