/*
 * handler_meta.c — ApiVersions (18) and Metadata (3).
 *
 * ApiVersions is built from the dispatch table (dispatch.c), so what we
 * advertise is exactly what we handle. An unsupported ApiVersions version
 * is answered in the v0 body format with UNSUPPORTED_VERSION (KIP-511); the
 * response header of ApiVersions is always v0 (CLIENT-NOTES §5.1).
 *
 * Metadata: null topics (v1+) or an empty list at v0 mean all topics; missing
 * topics are auto-created when auto.create.topics.enable and the request
 * allows it (v4+ AllowAutoTopicCreation). Leader epoch is constantly 0;
 * controller id is this node (admin clients send CreateTopics there).
 */
#include "broker/handler.h"

#include "base/log.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

bs_err_t bs_handle_api_versions(bs_req_t *req)
{
    bs_ApiVersionsRequest_t rq;
    bs_ApiVersionsResponse_t rs;
    const bs_handler_t *self = &bs_handlers[18];
    bool unsupported = req->api_version < self->min_ver || req->api_version > self->max_ver;

    bs_ApiVersionsResponse_init(&rs);
    if (unsupported) {
        /* answer in v0 so any client version can read it */
        req->api_version = 0;
        rs.ErrorCode = BS_ERR_UNSUPPORTED_VERSION;
    } else {
        bs_ApiVersionsRequest_init(&rq);
        if (BS_DECODE(req, ApiVersionsRequest, &rq) != BS_ERR_NONE)
            return BS_ERR__PARSE;
    }
    int n = 0;
    for (int k = 0; k < bs_handlers_count; k++)
        if (bs_handlers[k].fn && bs_handlers[k].max_ver >= 0)
            n++;
    rs.ApiKeys = BS_ARR(req, bs_ApiVersionsResponse_ApiVersion_t, n);
    rs.ApiKeys_count = 0;
    for (int k = 0; k < bs_handlers_count; k++) {
        if (!bs_handlers[k].fn || bs_handlers[k].max_ver < 0)
            continue;
        bs_ApiVersionsResponse_ApiVersion_t *a = &rs.ApiKeys[rs.ApiKeys_count++];
        bs_ApiVersionsResponse_ApiVersion_init(a);
        a->ApiKey = (int16_t)k;
        a->MinVersion = bs_handlers[k].min_ver;
        a->MaxVersion = bs_handlers[k].max_ver;
    }
    rs.ThrottleTimeMs = 0;
    bs_req_respond(req, ApiVersionsResponse, &rs);
    return BS_ERR_NONE;
}

bs_topic_t *bs_topic_get_or_autocreate(bs_broker_t *b, bs_kstr_t name, bool allow_auto,
                                       bs_err_t *err)
{
    *err = BS_ERR_NONE;
    if (name.len <= 0 || bs_topic_name_invalid(name.ptr, (size_t)name.len)) {
        *err = BS_ERR_INVALID_TOPIC_EXCEPTION;
        return NULL;
    }
    bs_topic_t *t = bs_topics_find(b, name.ptr, (size_t)name.len);
    if (t)
        return t;
    if (!allow_auto || !b->cfg->auto_create_topics_enable) {
        *err = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return NULL;
    }
    char nm[256], emsg[256];
    snprintf(nm, sizeof(nm), "%.*s", (int)name.len, name.ptr);
    bs_err_t e = bs_topics_create(b, nm, -1, NULL, false, emsg, sizeof(emsg), &t);
    if (e != BS_ERR_NONE) {
        if (e != BS_ERR_TOPIC_ALREADY_EXISTS) /* else: being created (CreateTopics) */
            bs_log_warn("topics", "auto-creating topic %s failed: %s", nm, emsg);
        *err = e == BS_ERR_INVALID_TOPIC_EXCEPTION ? e : BS_ERR_LEADER_NOT_AVAILABLE;
        return NULL;
    }
    return t;
}

/* Kafka's AclOperation codes; without ACLs every operation is allowed. */
#define TOPIC_OPS                                                                                  \
    ((1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11))
#define CLUSTER_OPS                                                                                \
    ((1 << 4) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12))

static void fill_topic(bs_req_t *req, bs_MetadataResponse_MetadataResponseTopic_t *mt,
                       bs_topic_t *t, bool with_ops)
{
    bs_broker_t *b = req->b;
    mt->ErrorCode = 0;
    mt->Name.ptr = t->name;
    mt->Name.len = (int32_t)strlen(t->name);
    mt->TopicId = t->id;
    mt->IsInternal = t->internal;
    mt->TopicAuthorizedOperations = with_ops ? TOPIC_OPS : INT32_MIN;
    mt->Partitions = BS_ARR(req, bs_MetadataResponse_MetadataResponsePartition_t, t->npart);
    mt->Partitions_count = t->npart;
    int32_t *node = BS_ARR(req, int32_t, 1);
    *node = b->node_id;
    for (int i = 0; i < t->npart; i++) {
        bs_MetadataResponse_MetadataResponsePartition_t *p = &mt->Partitions[i];
        bs_MetadataResponse_MetadataResponsePartition_init(p);
        p->ErrorCode = 0;
        p->PartitionIndex = i;
        p->LeaderId = b->node_id;
        p->LeaderEpoch = 0;
        p->ReplicaNodes = node;
        p->ReplicaNodes_count = 1;
        p->IsrNodes = node;
        p->IsrNodes_count = 1;
        p->OfflineReplicas = NULL;
        p->OfflineReplicas_count = 0;
    }
}

static bs_topic_t *find_by_id(bs_broker_t *b, const bs_uuid_t *id)
{
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&b->topics, &it, &e)) {
        bs_topic_t *t = e->val;
        if (memcmp(t->id.b, id->b, 16) == 0)
            return t;
    }
    return NULL;
}

bs_err_t bs_handle_metadata(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_MetadataRequest_t rq;
    bs_MetadataResponse_t rs;
    const bs_listen_t *l = NULL;

    bs_MetadataRequest_init(&rq);
    if (BS_DECODE(req, MetadataRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_MetadataResponse_init(&rs);
    rs.ThrottleTimeMs = 0;

    /* the endpoint of the listener this request arrived on */
    l = bs_req_listener(req);
    rs.Brokers = BS_ARR(req, bs_MetadataResponse_MetadataResponseBroker_t, 1);
    rs.Brokers_count = 1;
    bs_MetadataResponse_MetadataResponseBroker_init(&rs.Brokers[0]);
    rs.Brokers[0].NodeId = b->node_id;
    rs.Brokers[0].Host = bs_req_str(req, l->adv_host);
    rs.Brokers[0].Port = l->adv_port;
    rs.Brokers[0].Rack.ptr = NULL;
    rs.Brokers[0].Rack.len = -1;
    rs.ClusterId = bs_req_str(req, b->cluster_id);
    rs.ControllerId = b->node_id;
    rs.ClusterAuthorizedOperations =
        rq.IncludeClusterAuthorizedOperations ? CLUSTER_OPS : INT32_MIN;

    bool all = rq.Topics_count < 0 || (req->api_version == 0 && rq.Topics_count == 0);
    bool allow_auto = req->api_version < 4 ? true : rq.AllowAutoTopicCreation;
    if (all) {
        int n;
        bs_topic_t **ts = bs_topics_sorted(b, &n);
        rs.Topics = BS_ARR(req, bs_MetadataResponse_MetadataResponseTopic_t, n);
        rs.Topics_count = n;
        for (int i = 0; i < n; i++) {
            bs_MetadataResponse_MetadataResponseTopic_init(&rs.Topics[i]);
            fill_topic(req, &rs.Topics[i], ts[i], rq.IncludeTopicAuthorizedOperations);
        }
        free(ts);
    } else {
        rs.Topics = BS_ARR(req, bs_MetadataResponse_MetadataResponseTopic_t, rq.Topics_count);
        rs.Topics_count = rq.Topics_count;
        for (int i = 0; i < rq.Topics_count; i++) {
            bs_MetadataResponse_MetadataResponseTopic_t *mt = &rs.Topics[i];
            bs_MetadataRequest_MetadataRequestTopic_t *qt = &rq.Topics[i];
            bs_MetadataResponse_MetadataResponseTopic_init(mt);
            bs_topic_t *t = NULL;
            bs_err_t err = BS_ERR_NONE;
            static const bs_uuid_t zero;
            if (qt->Name.len < 0 && memcmp(qt->TopicId.b, zero.b, 16) != 0) {
                t = find_by_id(b, &qt->TopicId);
                if (!t)
                    err = BS_ERR_UNKNOWN_TOPIC_ID;
            } else {
                t = bs_topic_get_or_autocreate(b, qt->Name, allow_auto, &err);
            }
            if (t) {
                fill_topic(req, mt, t, rq.IncludeTopicAuthorizedOperations);
            } else {
                mt->ErrorCode = (int16_t)err;
                mt->Name = qt->Name;
                mt->TopicId = qt->TopicId;
                mt->Partitions_count = 0;
                mt->TopicAuthorizedOperations = INT32_MIN;
            }
        }
    }
    bs_req_respond(req, MetadataResponse, &rs);
    return BS_ERR_NONE;
}
