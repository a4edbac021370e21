/*
 * handler_admin.c — topic administration: CreateTopics (19) v0–4,
 * DeleteTopics (20) v0–4, CreatePartitions (37) v0–2, DescribeConfigs (32)
 * v1–4, AlterConfigs (33) v0–2, IncrementalAlterConfigs (44) v0–1.
 *
 * Replication factor and replica assignments can only name this node: -1
 * means the broker default (accepted at every version, kafkajs sends it at
 * v3), anything but 1 gets INVALID_REPLICATION_FACTOR. Topic settings are
 * validated by topic_config.c, whose messages name the offending key.
 * Broker settings are static (server.properties); altering them is refused
 * with a message saying so.
 */
#include "broker/handler.h"

#include "base/log.h"

#include <string.h>

#define RES_TOPIC         2
#define RES_BROKER        4
#define RES_BROKER_LOGGER 8

/* ---- CreateTopics ---- */

/* Validates one CreatableTopic and, unless validate_only, begins its build
 * (*out; see bs_topics_build_begin). */
static bs_err_t create_one(bs_req_t *req, bs_CreateTopicsRequest_CreatableTopic_t *ct,
                           bool validate_only, char *emsg, size_t elen, bs_topic_t **out)
{
    bs_broker_t *b = req->b;
    char *name = bs_req_cstr(req, ct->Name);
    int32_t npart = ct->NumPartitions;
    bs_topic_overrides_t ov = {0};
    bs_err_t err;

    emsg[0] = '\0';
    if (ct->Assignments_count > 0) {
        if (npart != -1 || (ct->ReplicationFactor != -1)) {
            snprintf(emsg, elen,
                     "Both numPartitions or replicationFactor and "
                     "replicasAssignments were set. Both cannot be used at the "
                     "same time.");
            return BS_ERR_INVALID_REQUEST;
        }
        for (int i = 0; i < ct->Assignments_count; i++) {
            bs_CreateTopicsRequest_CreatableReplicaAssignment_t *a = &ct->Assignments[i];
            if (a->PartitionIndex != i) {
                snprintf(emsg, elen,
                         "Partitions should be 0-based and consecutive in the "
                         "replica assignment");
                return BS_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
            if (a->BrokerIds_count != 1 || a->BrokerIds[0] != b->node_id) {
                snprintf(emsg, elen,
                         "Replica assignment for partition %d must be [%d]: this "
                         "cluster has one broker",
                         i, b->node_id);
                return BS_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
        }
        npart = ct->Assignments_count;
    } else {
        if (npart == 0 || npart < -1) {
            snprintf(emsg, elen, "Number of partitions must be larger than 0.");
            return BS_ERR_INVALID_PARTITIONS;
        }
        int16_t rf = ct->ReplicationFactor == -1 ? b->cfg->default_replication_factor
                                                 : ct->ReplicationFactor;
        if (rf <= 0) {
            snprintf(emsg, elen, "Replication factor must be larger than 0.");
            return BS_ERR_INVALID_REPLICATION_FACTOR;
        }
        if (rf != 1) {
            snprintf(emsg, elen, "Replication factor: %d larger than available brokers: 1.", rf);
            return BS_ERR_INVALID_REPLICATION_FACTOR;
        }
    }
    for (int i = 0; i < ct->Configs_count; i++) {
        char *k = bs_req_cstr(req, ct->Configs[i].Name);
        if (ct->Configs[i].Value.len < 0) {
            snprintf(emsg, elen, "Null value not supported for topic configs: %s", k);
            bs_topic_overrides_free(&ov);
            return BS_ERR_INVALID_CONFIG;
        }
        bs_topic_overrides_set(&ov, k, bs_req_cstr(req, ct->Configs[i].Value));
    }
    err = bs_topics_build_begin(b, name, npart, &ov, validate_only, emsg, elen, out);
    if (err == BS_ERR_NONE &&
        bs_topics_fd_budget(npart > 0 ? npart : b->cfg->num_partitions, emsg, elen) < 0) {
        if (*out)
            bs_topics_build_abort(b, *out);
        *out = NULL;
        err = BS_ERR_INVALID_PARTITIONS;
    }
    bs_topic_overrides_free(&ov);
    return err;
}

/* CreateTopics and CreatePartitions in progress ("admin jobs"). Topics are
 * handled one after the other, their partitions created in slices of at
 * most ADMIN_SLICE_MS; when a slice runs out the request is parked
 * (req->parked, linked on b->create_jobs) and continues from a 0 ms timer,
 * so other connections are served in between. A job lives in the request
 * arena; if the client goes away, the topic or partitions being built are
 * abandoned (never published) and the rest of the request is dropped.
 * A CreateTopics job holds its unpublished build (j->t, invisible to every
 * other request); a CreatePartitions job holds only the topic's name and
 * finds the topic again at each slice (DeleteTopics may remove it meanwhile:
 * the grow is then abandoned by the deletion, recognised by grow_owner). */
#define ADMIN_SLICE_MS 20
typedef struct bs_create_job_s {
    bs_req_t *req;
    bool partitions; /* CreatePartitions (else CreateTopics) */
    int next;        /* next topic of the request to begin */
    bs_topic_t *t;   /* CreateTopics: build in progress (topic next - 1) */
    bool growing;    /* CreatePartitions: topic next - 1 is being grown */
    bs_CreateTopicsRequest_t crq;
    bs_CreateTopicsResponse_t crs;
    bs_CreatePartitionsRequest_t prq;
    bs_CreatePartitionsResponse_t prs;
    bs_timer_t timer;
    struct bs_create_job_s *link;
} bs_create_job_t;

static void create_result(bs_create_job_t *j, int i, bs_err_t err, const char *emsg)
{
    bs_req_t *req = j->req;
    bs_CreateTopicsRequest_CreatableTopic_t *ct = &j->crq.Topics[i];
    bs_CreateTopicsResponse_CreatableTopicResult_t *r = &j->crs.Topics[i];
    r->ErrorCode = (int16_t)err;
    r->ErrorMessage = err != BS_ERR_NONE && emsg[0] ? bs_req_str(req, emsg) : bs_req_str(req, NULL);
    if (err != BS_ERR_NONE && err != BS_ERR_TOPIC_ALREADY_EXISTS)
        bs_log_info("admin", "%s: create topic %.*s failed: %s", bs_req_peer(req),
                    (int)ct->Name.len, ct->Name.ptr, emsg);
}

/* CreateTopics: runs until done (true: response sent) or a slice ran out. */
static bool create_topics_run(bs_create_job_t *j, int64_t deadline)
{
    bs_req_t *req = j->req;
    int n = j->crs.Topics_count;
    char emsg[512];
    for (;;) {
        if (j->t) {
            emsg[0] = '\0';
            int rc = bs_topics_build_step(req->b, j->t, deadline, emsg, sizeof(emsg));
            if (rc == 0)
                return false;
            bs_err_t err = rc < 0 ? BS_ERR_KAFKA_STORAGE_ERROR
                                  : bs_topics_build_finish(req->b, j->t, emsg, sizeof(emsg));
            j->t = NULL;
            create_result(j, j->next - 1, err, emsg);
        }
        if (j->next >= n)
            break;
        int i = j->next++;
        bs_CreateTopicsRequest_CreatableTopic_t *ct = &j->crq.Topics[i];
        bool dup = false;
        for (int k = 0; k < n && !dup; k++)
            dup = k != i && j->crq.Topics[k].Name.len == ct->Name.len &&
                  memcmp(j->crq.Topics[k].Name.ptr, ct->Name.ptr, (size_t)ct->Name.len) == 0;
        emsg[0] = '\0';
        bs_err_t err;
        if (dup) {
            err = BS_ERR_INVALID_REQUEST;
            snprintf(emsg, sizeof(emsg),
                     "Create topics request from client `%.*s` contains "
                     "multiple entries for the following topics: %.*s",
                     req->hdr.ClientId.len > 0 ? (int)req->hdr.ClientId.len : 0,
                     req->hdr.ClientId.ptr ? req->hdr.ClientId.ptr : "", (int)ct->Name.len,
                     ct->Name.ptr);
        } else {
            err = create_one(req, ct, j->crq.validateOnly, emsg, sizeof(emsg), &j->t);
        }
        if (!j->t) /* refused, or validate_only */
            create_result(j, i, err, emsg);
    }
    bs_req_respond(req, CreateTopicsResponse, &j->crs);
    return true;
}

/* The topic CreatePartitions entry i is growing, if its grow is still ours. */
static bs_topic_t *grow_topic(bs_create_job_t *j, int i)
{
    bs_kstr_t nm = j->prq.Topics[i].Name;
    bs_topic_t *t = nm.len > 0 ? bs_topics_find(j->req->b, nm.ptr, (size_t)nm.len) : NULL;
    return t && t->grow_want > 0 && t->grow_owner == j ? t : NULL;
}

static void partitions_result(bs_create_job_t *j, int i, bs_err_t err, const char *emsg)
{
    bs_CreatePartitionsResponse_CreatePartitionsTopicResult_t *r = &j->prs.Results[i];
    r->ErrorCode = (int16_t)err;
    if (err != BS_ERR_NONE)
        r->ErrorMessage = bs_req_str(j->req, emsg);
}

/* Checks the replica assignments of CreatePartitions entry ct for topic t. */
static bs_err_t check_assignments(bs_broker_t *b, bs_topic_t *t,
                                  bs_CreatePartitionsRequest_CreatePartitionsTopic_t *ct,
                                  char *emsg, size_t elen)
{
    if (ct->Assignments_count < 0)
        return BS_ERR_NONE;
    if (ct->Assignments_count != ct->Count - t->npart) {
        snprintf(emsg, elen,
                 "Increasing the number of partitions by %d but "
                 "%d assignments provided.",
                 ct->Count - t->npart, ct->Assignments_count);
        return BS_ERR_INVALID_REPLICA_ASSIGNMENT;
    }
    for (int k = 0; k < ct->Assignments_count; k++) {
        if (ct->Assignments[k].BrokerIds_count != 1 ||
            ct->Assignments[k].BrokerIds[0] != b->node_id) {
            snprintf(emsg, elen, "Replica assignments must be [%d]: this cluster has one broker",
                     b->node_id);
            return BS_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
    }
    return BS_ERR_NONE;
}

/* CreatePartitions: runs until done (true: response sent) or a slice ran out. */
static bool create_partitions_run(bs_create_job_t *j, int64_t deadline)
{
    bs_req_t *req = j->req;
    bs_broker_t *b = req->b;
    int n = j->prs.Results_count;
    char emsg[512];
    for (;;) {
        if (j->growing) {
            bs_topic_t *t = grow_topic(j, j->next - 1);
            emsg[0] = '\0';
            int rc = 1;
            bs_err_t err;
            if (!t) { /* deleted meanwhile (the deletion abandoned the grow) */
                err = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                snprintf(emsg, sizeof(emsg), "The topic was deleted while partitions were added");
            } else if ((rc = bs_topics_grow_step(b, t, deadline, emsg, sizeof(emsg))) == 0) {
                return false;
            } else {
                err = rc < 0 ? BS_ERR_KAFKA_STORAGE_ERROR
                             : bs_topics_grow_finish(b, t, emsg, sizeof(emsg));
            }
            j->growing = false;
            partitions_result(j, j->next - 1, err, emsg);
        }
        if (j->next >= n)
            break;
        int i = j->next++;
        bs_CreatePartitionsRequest_CreatePartitionsTopic_t *ct = &j->prq.Topics[i];
        bs_topic_t *t =
            ct->Name.len > 0 ? bs_topics_find(b, ct->Name.ptr, (size_t)ct->Name.len) : NULL;
        emsg[0] = '\0';
        bs_err_t err = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        if (!t)
            snprintf(emsg, sizeof(emsg), "The topic '%.*s' does not exist.",
                     ct->Name.len > 0 ? (int)ct->Name.len : 0, ct->Name.ptr ? ct->Name.ptr : "");
        else if ((err = check_assignments(b, t, ct, emsg, sizeof(emsg))) == BS_ERR_NONE)
            err = bs_topics_grow_begin(b, t, ct->Count, j->prq.ValidateOnly, j, emsg, sizeof(emsg));
        if (t && err == BS_ERR_NONE && !j->prq.ValidateOnly)
            j->growing = true;
        else
            partitions_result(j, i, err, emsg);
    }
    bs_req_respond(req, CreatePartitionsResponse, &j->prs);
    return true;
}

static bool job_run(bs_create_job_t *j)
{
    int64_t deadline = bs_mono_ms() + ADMIN_SLICE_MS;
    return j->partitions ? create_partitions_run(j, deadline) : create_topics_run(j, deadline);
}

static void job_unlink(bs_broker_t *b, bs_create_job_t *j)
{
    for (bs_create_job_t **pp = &b->create_jobs; *pp; pp = &(*pp)->link) {
        if (*pp == j) {
            *pp = j->link;
            break;
        }
    }
    bs_loop_timer_cancel(b->loop, &j->timer);
}

static void job_timer_cb(bs_loop_t *loop, bs_timer_t *t)
{
    (void)loop;
    bs_create_job_t *j = t->ctx;
    if (!job_run(j)) {
        bs_loop_timer_arm(j->req->b->loop, &j->timer, 0);
        return;
    }
    job_unlink(j->req->b, j);
    bs_req_complete(j->req);
}

/* Runs the first slice from the handler; parks the request if it is not done. */
static bs_err_t job_start(bs_create_job_t *j)
{
    bs_req_t *req = j->req;
    if (job_run(j))
        return BS_ERR_NONE;
    req->parked = j;
    j->link = req->b->create_jobs;
    req->b->create_jobs = j;
    bs_timer_init(&j->timer, job_timer_cb, j);
    bs_loop_timer_arm(req->b->loop, &j->timer, 0);
    return BS_ERR__PENDING;
}

void bs_admin_abort_conn(bs_broker_t *b, bs_conn_t *c)
{
    for (bs_create_job_t **pp = &b->create_jobs; *pp;) {
        bs_create_job_t *j = *pp;
        if (j->req->conn != c) {
            pp = &j->link;
            continue;
        }
        *pp = j->link;
        bs_loop_timer_cancel(b->loop, &j->timer);
        if (j->t)
            bs_topics_build_abort(b, j->t);
        j->t = NULL;
        bs_topic_t *t = j->growing ? grow_topic(j, j->next - 1) : NULL;
        if (t)
            bs_topics_grow_abort(b, t);
        j->growing = false;
    }
}

bs_err_t bs_handle_create_topics(bs_req_t *req)
{
    bs_create_job_t *j = bs_arena_calloc(req->arena, sizeof(*j));
    j->req = req;
    bs_CreateTopicsRequest_init(&j->crq);
    if (BS_DECODE(req, CreateTopicsRequest, &j->crq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_CreateTopicsResponse_init(&j->crs);
    int n = j->crq.Topics_count > 0 ? j->crq.Topics_count : 0;
    j->crs.Topics = BS_ARR(req, bs_CreateTopicsResponse_CreatableTopicResult_t, n);
    j->crs.Topics_count = n;
    for (int i = 0; i < n; i++) {
        bs_CreateTopicsResponse_CreatableTopicResult_init(&j->crs.Topics[i]);
        j->crs.Topics[i].Name = j->crq.Topics[i].Name;
    }
    return job_start(j);
}

/* ---- DeleteTopics ---- */

bs_err_t bs_handle_delete_topics(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_DeleteTopicsRequest_t rq;
    bs_DeleteTopicsResponse_t rs;

    bs_DeleteTopicsRequest_init(&rq);
    if (BS_DECODE(req, DeleteTopicsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_DeleteTopicsResponse_init(&rs);
    int n = rq.TopicNames_count > 0 ? rq.TopicNames_count : 0;
    rs.Responses = BS_ARR(req, bs_DeleteTopicsResponse_DeletableTopicResult_t, n);
    rs.Responses_count = n;
    for (int i = 0; i < n; i++) {
        bs_DeleteTopicsResponse_DeletableTopicResult_t *r = &rs.Responses[i];
        bs_DeleteTopicsResponse_DeletableTopicResult_init(r);
        r->Name = rq.TopicNames[i];
        r->ErrorMessage = bs_req_str(req, NULL);
        bs_topic_t *t = rq.TopicNames[i].len > 0
                            ? bs_topics_find(b, rq.TopicNames[i].ptr, (size_t)rq.TopicNames[i].len)
                            : NULL;
        if (!t) {
            r->ErrorCode = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        if (t->internal) {
            r->ErrorCode = BS_ERR_TOPIC_AUTHORIZATION_FAILED;
            r->ErrorMessage = bs_req_str(req, "internal topics cannot be deleted");
            continue;
        }
        bs_log_info("admin", "%s: deleting topic %s", bs_req_peer(req), t->name);
        r->ErrorCode = (int16_t)bs_topics_delete(b, t);
    }
    bs_req_respond(req, DeleteTopicsResponse, &rs);
    return BS_ERR_NONE;
}

/* ---- CreatePartitions ---- */

bs_err_t bs_handle_create_partitions(bs_req_t *req)
{
    bs_create_job_t *j = bs_arena_calloc(req->arena, sizeof(*j));
    j->req = req;
    j->partitions = true;
    bs_CreatePartitionsRequest_init(&j->prq);
    if (BS_DECODE(req, CreatePartitionsRequest, &j->prq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_CreatePartitionsResponse_init(&j->prs);
    int n = j->prq.Topics_count > 0 ? j->prq.Topics_count : 0;
    j->prs.Results = BS_ARR(req, bs_CreatePartitionsResponse_CreatePartitionsTopicResult_t, n);
    j->prs.Results_count = n;
    for (int i = 0; i < n; i++) {
        bs_CreatePartitionsResponse_CreatePartitionsTopicResult_t *r = &j->prs.Results[i];
        bs_CreatePartitionsResponse_CreatePartitionsTopicResult_init(r);
        r->Name = j->prq.Topics[i].Name;
        r->ErrorMessage = bs_req_str(req, NULL);
    }
    return job_start(j);
}

/* ---- DescribeConfigs ---- */

typedef struct {
    bs_req_t *req;
    bs_DescribeConfigsRequest_DescribeConfigsResource_t *res;
    bs_DescribeConfigsResponse_DescribeConfigsResourceResult_t *arr;
    int n, cap;
    bool synonyms, docs;
} describe_ctx_t;

static bool key_wanted(const bs_DescribeConfigsRequest_DescribeConfigsResource_t *res,
                       const char *name)
{
    if (res->ConfigurationKeys_count < 0)
        return true;
    size_t nl = strlen(name);
    for (int i = 0; i < res->ConfigurationKeys_count; i++)
        if ((size_t)res->ConfigurationKeys[i].len == nl &&
            memcmp(res->ConfigurationKeys[i].ptr, name, nl) == 0)
            return true;
    return false;
}

static void describe_cb(void *opaque, const bs_cfg_entry_t *e)
{
    describe_ctx_t *d = opaque;
    bs_req_t *req = d->req;
    if (!key_wanted(d->res, e->name))
        return;
    if (d->n == d->cap) {
        int ncap = d->cap ? d->cap * 2 : 64;
        bs_DescribeConfigsResponse_DescribeConfigsResourceResult_t *na =
            BS_ARR(req, bs_DescribeConfigsResponse_DescribeConfigsResourceResult_t, ncap);
        if (d->n)
            memcpy(na, d->arr, sizeof(*na) * (size_t)d->n);
        d->arr = na;
        d->cap = ncap;
    }
    bs_DescribeConfigsResponse_DescribeConfigsResourceResult_t *c = &d->arr[d->n++];
    bs_DescribeConfigsResponse_DescribeConfigsResourceResult_init(c);
    c->Name = bs_req_str(req, e->name);
    c->Value = bs_req_str(req, e->value);
    c->ReadOnly = e->read_only;
    c->IsDefault = e->source == 5 /* DEFAULT_CONFIG */;
    c->ConfigSource = (int8_t)e->source;
    c->IsSensitive = e->is_sensitive;
    c->ConfigType = (int8_t)e->config_type;
    c->Documentation = d->docs ? bs_req_str(req, e->doc) : bs_req_str(req, NULL);
    int ns = d->synonyms ? e->synonyms_count : 0;
    c->Synonyms = BS_ARR(req, bs_DescribeConfigsResponse_DescribeConfigsSynonym_t, ns);
    c->Synonyms_count = ns;
    for (int i = 0; i < ns; i++) {
        bs_DescribeConfigsResponse_DescribeConfigsSynonym_init(&c->Synonyms[i]);
        c->Synonyms[i].Name = bs_req_str(req, e->synonyms[i].name);
        c->Synonyms[i].Value = bs_req_str(req, e->synonyms[i].value);
        c->Synonyms[i].Source = (int8_t)e->synonyms[i].source;
    }
}

bs_err_t bs_handle_describe_configs(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_DescribeConfigsRequest_t rq;
    bs_DescribeConfigsResponse_t rs;

    bs_DescribeConfigsRequest_init(&rq);
    if (BS_DECODE(req, DescribeConfigsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_DescribeConfigsResponse_init(&rs);
    int n = rq.Resources_count > 0 ? rq.Resources_count : 0;
    rs.Results = BS_ARR(req, bs_DescribeConfigsResponse_DescribeConfigsResult_t, n);
    rs.Results_count = n;
    for (int i = 0; i < n; i++) {
        bs_DescribeConfigsRequest_DescribeConfigsResource_t *res = &rq.Resources[i];
        bs_DescribeConfigsResponse_DescribeConfigsResult_t *r = &rs.Results[i];
        bs_DescribeConfigsResponse_DescribeConfigsResult_init(r);
        r->ResourceType = res->ResourceType;
        r->ResourceName = res->ResourceName;
        r->ErrorMessage = bs_req_str(req, NULL);
        describe_ctx_t d = {req, res, NULL, 0, 0, rq.IncludeSynonyms, rq.IncludeDocumentation};
        char *name = bs_req_cstr(req, res->ResourceName);
        if (res->ResourceType == RES_TOPIC) {
            bs_topic_t *t = bs_topics_find(b, name, strlen(name));
            if (!t) {
                r->ErrorCode = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                r->ErrorMessage = bs_req_strf(req, "Topic %s does not exist", name);
            } else {
                bs_topic_config_describe(b->cfg, &t->ov, describe_cb, &d);
            }
        } else if (res->ResourceType == RES_BROKER) {
            char nid[16];
            snprintf(nid, sizeof(nid), "%d", b->node_id);
            if (name[0] && strcmp(name, nid) != 0) {
                r->ErrorCode = BS_ERR_INVALID_REQUEST;
                r->ErrorMessage = bs_req_strf(req,
                                              "Unexpected broker id, expected %d but "
                                              "received %s",
                                              b->node_id, name);
            } else {
                bs_broker_config_describe(b->cfg, describe_cb, &d);
            }
        } else if (res->ResourceType == RES_BROKER_LOGGER) {
            r->ErrorCode = 0; /* no per-logger levels: an empty list */
        } else {
            r->ErrorCode = BS_ERR_INVALID_REQUEST;
            r->ErrorMessage = bs_req_strf(req, "Unsupported resource type %d", res->ResourceType);
        }
        r->Configs =
            d.arr ? d.arr
                  : BS_ARR(req, bs_DescribeConfigsResponse_DescribeConfigsResourceResult_t, 1);
        r->Configs_count = d.n;
    }
    bs_req_respond(req, DescribeConfigsResponse, &rs);
    return BS_ERR_NONE;
}

/* ---- AlterConfigs and IncrementalAlterConfigs ---- */

/* Common checks for a resource; returns the topic for RES_TOPIC. */
static bs_err_t alter_target(bs_req_t *req, int8_t type, bs_kstr_t rname, bs_topic_t **out,
                             bs_kstr_t *msg)
{
    bs_broker_t *b = req->b;
    char *name = bs_req_cstr(req, rname);
    *out = NULL;
    if (type == RES_TOPIC) {
        *out = bs_topics_find(b, name, strlen(name));
        if (!*out) {
            *msg = bs_req_strf(req, "Topic %s does not exist", name);
            return BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        }
        return BS_ERR_NONE;
    }
    if (type == RES_BROKER || type == RES_BROKER_LOGGER) {
        *msg = bs_req_str(req, "Basin's broker settings are static: change them in "
                               "server.properties (or --override) and restart");
        return BS_ERR_INVALID_REQUEST;
    }
    *msg = bs_req_strf(req, "Unsupported resource type %d", type);
    return BS_ERR_INVALID_REQUEST;
}

bs_err_t bs_handle_alter_configs(bs_req_t *req)
{
    bs_AlterConfigsRequest_t rq;
    bs_AlterConfigsResponse_t rs;
    char emsg[512];

    bs_AlterConfigsRequest_init(&rq);
    if (BS_DECODE(req, AlterConfigsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_AlterConfigsResponse_init(&rs);
    int n = rq.Resources_count > 0 ? rq.Resources_count : 0;
    rs.Responses = BS_ARR(req, bs_AlterConfigsResponse_AlterConfigsResourceResponse_t, n);
    rs.Responses_count = n;
    for (int i = 0; i < n; i++) {
        bs_AlterConfigsRequest_AlterConfigsResource_t *res = &rq.Resources[i];
        bs_AlterConfigsResponse_AlterConfigsResourceResponse_t *r = &rs.Responses[i];
        bs_AlterConfigsResponse_AlterConfigsResourceResponse_init(r);
        r->ResourceType = res->ResourceType;
        r->ResourceName = res->ResourceName;
        r->ErrorMessage = bs_req_str(req, NULL);
        bs_topic_t *t;
        bs_err_t err =
            alter_target(req, res->ResourceType, res->ResourceName, &t, &r->ErrorMessage);
        if (err == BS_ERR_NONE) {
            /* AlterConfigs replaces the whole set of overrides */
            bs_topic_overrides_t ov = {0};
            for (int j = 0; j < res->Configs_count; j++)
                if (res->Configs[j].Value.len >= 0)
                    bs_topic_overrides_set(&ov, bs_req_cstr(req, res->Configs[j].Name),
                                           bs_req_cstr(req, res->Configs[j].Value));
            err = bs_topics_set_overrides(req->b, t, &ov, rq.ValidateOnly, emsg, sizeof(emsg));
            if (err != BS_ERR_NONE)
                r->ErrorMessage = bs_req_str(req, emsg);
            bs_topic_overrides_free(&ov);
        }
        r->ErrorCode = (int16_t)err;
    }
    bs_req_respond(req, AlterConfigsResponse, &rs);
    return BS_ERR_NONE;
}

bs_err_t bs_handle_incremental_alter_configs(bs_req_t *req)
{
    bs_IncrementalAlterConfigsRequest_t rq;
    bs_IncrementalAlterConfigsResponse_t rs;
    char emsg[512];

    bs_IncrementalAlterConfigsRequest_init(&rq);
    if (BS_DECODE(req, IncrementalAlterConfigsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_IncrementalAlterConfigsResponse_init(&rs);
    int n = rq.Resources_count > 0 ? rq.Resources_count : 0;
    rs.Responses =
        BS_ARR(req, bs_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_t, n);
    rs.Responses_count = n;
    for (int i = 0; i < n; i++) {
        bs_IncrementalAlterConfigsRequest_AlterConfigsResource_t *res = &rq.Resources[i];
        bs_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_t *r = &rs.Responses[i];
        bs_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_init(r);
        r->ResourceType = res->ResourceType;
        r->ResourceName = res->ResourceName;
        r->ErrorMessage = bs_req_str(req, NULL);
        bs_topic_t *t;
        bs_err_t err =
            alter_target(req, res->ResourceType, res->ResourceName, &t, &r->ErrorMessage);
        if (err == BS_ERR_NONE) {
            bs_topic_overrides_t ov = {0};
            bs_topic_overrides_copy(&ov, &t->ov);
            for (int j = 0; j < res->Configs_count && err == BS_ERR_NONE; j++) {
                bs_IncrementalAlterConfigsRequest_AlterableConfig_t *c = &res->Configs[j];
                if (bs_topic_overrides_apply_incremental(
                        &ov, bs_req_cstr(req, c->Name), c->ConfigOperation,
                        c->Value.len >= 0 ? bs_req_cstr(req, c->Value) : NULL, emsg,
                        sizeof(emsg)) < 0)
                    err = BS_ERR_INVALID_CONFIG;
            }
            if (err == BS_ERR_NONE)
                err = bs_topics_set_overrides(req->b, t, &ov, rq.ValidateOnly, emsg, sizeof(emsg));
            if (err != BS_ERR_NONE)
                r->ErrorMessage = bs_req_str(req, emsg);
            bs_topic_overrides_free(&ov);
        }
        r->ErrorCode = (int16_t)err;
    }
    bs_req_respond(req, IncrementalAlterConfigsResponse, &rs);
    return BS_ERR_NONE;
}
