/*
 * handler_group.c — the group coordinator's Kafka APIs: FindCoordinator (10)
 * v0–2, JoinGroup (11) v0–5, SyncGroup (14) v0–3, Heartbeat (12) v0–3,
 * LeaveGroup (13) v0–3, OffsetCommit (8) v0–8, OffsetFetch (9) v0–7,
 * DescribeGroups (15) v0–5, ListGroups (16) v0–5, DeleteGroups (42) v0–2 and
 * OffsetDelete (47) v0.
 *
 * Each handler decodes with the generated codec, calls group.c, and encodes
 * the answer. JoinGroup and SyncGroup may park: their bs_gwait_t lives in the
 * request arena; group.c calls join_respond/sync_respond when the outcome is
 * known and gw_finish (bs_req_complete) from a timer. Strings in responses
 * point into group state only while bs_req_respond encodes them.
 */
#include "broker/group.h"
#include "broker/handler.h"

#include "base/log.h"

#include <stdlib.h>
#include <string.h>

enum { ERR_GROUP_SUBSCRIBED_TO_TOPIC = 86 };

#define CO(req) ((bs_gcoord_t *)(req)->b->groups)

static bs_kstr_t kstr(const char *s)
{
    bs_kstr_t k = {s, s ? (int32_t)strlen(s) : -1};
    return k;
}

/* NULL for a null wire string, else an arena copy. */
static char *opt_cstr(bs_req_t *req, bs_kstr_t s)
{
    return s.len < 0 ? NULL : bs_req_cstr(req, s);
}

/* "/127.0.0.1" from the peer "127.0.0.1:54321", as Kafka shows client hosts. */
static char *client_host(bs_req_t *req)
{
    const char *peer = bs_req_peer(req);
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    char *s = bs_arena_alloc(req->arena, n + 2);
    s[0] = '/';
    memcpy(s + 1, peer, n);
    s[n + 1] = '\0';
    return s;
}

static void gw_finish(bs_gwait_t *w)
{
    bs_req_complete(w->ctx);
}

static bs_gwait_t *gw_new(bs_req_t *req,
                          void (*respond)(bs_gwait_t *, bs_group_t *, bs_gmember_t *, int16_t),
                          const char *member_id)
{
    bs_gwait_t *w = BS_ARR(req, bs_gwait_t, 1);
    w->owner = req->conn;
    w->respond_cb = respond;
    w->finish_cb = gw_finish;
    w->ctx = req;
    w->member_id = member_id;
    return w;
}

/* ---- FindCoordinator ---- */

bs_err_t bs_handle_find_coordinator(bs_req_t *req)
{
    bs_FindCoordinatorRequest_t rq;
    bs_FindCoordinatorResponse_t rs;
    bs_FindCoordinatorRequest_init(&rq);
    if (BS_DECODE(req, FindCoordinatorRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_FindCoordinatorResponse_init(&rs);
    const bs_listen_t *l = bs_req_listener(req);
    rs.ErrorMessage = kstr(NULL);
    rs.NodeId = -1;
    rs.Host = kstr("");
    rs.Port = -1;
    if (req->api_version >= 1 && rq.KeyType != 0 && rq.KeyType != 1) {
        rs.ErrorCode = BS_ERR_INVALID_REQUEST;
        rs.ErrorMessage = bs_req_strf(req, "unknown key type %d", rq.KeyType);
    } else if ((req->api_version < 1 || rq.KeyType == 0) && !bs_gstore_topic(CO(req))) {
        rs.ErrorCode = BS_ERR_COORDINATOR_NOT_AVAILABLE;
        rs.ErrorMessage = kstr("the __consumer_offsets topic cannot be created");
    } else {
        /* a single node coordinates every group (and transaction) */
        rs.NodeId = req->b->node_id;
        rs.Host = kstr(l->adv_host);
        rs.Port = l->adv_port;
    }
    bs_req_respond(req, FindCoordinatorResponse, &rs);
    return BS_ERR_NONE;
}

/* ---- JoinGroup ---- */

static void join_respond(bs_gwait_t *w, bs_group_t *g, bs_gmember_t *m, int16_t error)
{
    bs_req_t *req = w->ctx;
    bs_JoinGroupResponse_t rs;
    bs_JoinGroupResponse_init(&rs);
    rs.ErrorCode = error;
    rs.GenerationId = -1;
    rs.ProtocolType = kstr(NULL);
    rs.ProtocolName = kstr(req->api_version >= 7 ? NULL : "");
    rs.Leader = kstr("");
    rs.MemberId = kstr(w->member_id ? w->member_id : "");
    rs.Members = NULL;
    rs.Members_count = 0;
    if (!error && g && m) {
        rs.GenerationId = g->generation;
        rs.ProtocolType = kstr(g->protocol_type);
        rs.ProtocolName = kstr(g->protocol ? g->protocol : "");
        rs.Leader = kstr(g->leader ? g->leader : "");
        rs.MemberId = kstr(m->id);
        if (g->leader && strcmp(g->leader, m->id) == 0) {
            rs.Members = BS_ARR(req, bs_JoinGroupResponse_JoinGroupResponseMember_t, g->nmembers);
            rs.Members_count = g->nmembers;
            for (int i = 0; i < g->nmembers; i++) {
                bs_gmember_t *x = g->members[i];
                bs_JoinGroupResponse_JoinGroupResponseMember_t *o = &rs.Members[i];
                bs_JoinGroupResponse_JoinGroupResponseMember_init(o);
                o->MemberId = kstr(x->id);
                o->GroupInstanceId = kstr(x->instance_id);
                o->Metadata.ptr = NULL;
                o->Metadata.len = 0;
                for (int k = 0; k < x->nprotos; k++)
                    if (g->protocol && strcmp(x->protos[k].name, g->protocol) == 0) {
                        o->Metadata.ptr = x->protos[k].meta;
                        o->Metadata.len = x->protos[k].meta ? x->protos[k].len : 0;
                    }
            }
        }
    }
    bs_req_respond(req, JoinGroupResponse, &rs);
}

bs_err_t bs_handle_join_group(bs_req_t *req)
{
    bs_JoinGroupRequest_t rq;
    bs_JoinGroupRequest_init(&rq);
    if (BS_DECODE(req, JoinGroupRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    int np = rq.Protocols_count > 0 ? rq.Protocols_count : 0;
    bs_gproto_t *protos = BS_ARR(req, bs_gproto_t, np);
    for (int i = 0; i < np; i++) {
        protos[i].name = bs_req_cstr(req, rq.Protocols[i].Name);
        protos[i].meta = (uint8_t *)rq.Protocols[i].Metadata.ptr;
        protos[i].len = rq.Protocols[i].Metadata.len > 0 ? rq.Protocols[i].Metadata.len : 0;
    }
    bs_gjoin_args_t a = {
        .group_id = bs_req_cstr(req, rq.GroupId),
        .member_id = bs_req_cstr(req, rq.MemberId),
        .instance_id = req->api_version >= 5 ? opt_cstr(req, rq.GroupInstanceId) : NULL,
        .client_id = bs_req_cstr(req, req->hdr.ClientId),
        .client_host = client_host(req),
        .protocol_type = bs_req_cstr(req, rq.ProtocolType),
        .session_timeout_ms = rq.SessionTimeoutMs,
        .rebalance_timeout_ms = req->api_version >= 1 ? rq.RebalanceTimeoutMs : rq.SessionTimeoutMs,
        .protos = protos,
        .nprotos = np,
        .require_known_member = req->api_version >= 4,
    };
    char *new_id = bs_arena_calloc(req->arena, 256);
    bs_gwait_t *w = gw_new(req, join_respond, a.member_id);
    bs_gmember_t *imm = NULL;
    bs_err_t err = bs_group_join(CO(req), &a, w, &imm, new_id);
    if (err == BS_ERR__PENDING) {
        req->parked = w;
        return BS_ERR__PENDING;
    }
    if (err == BS_ERR_MEMBER_ID_REQUIRED)
        w->member_id = new_id;
    if (err != BS_ERR_NONE && err != BS_ERR_MEMBER_ID_REQUIRED)
        bs_log_debug("group", "JoinGroup %s from %s: %s", a.group_id, bs_req_peer(req),
                     bs_err_name(err));
    join_respond(w, imm ? imm->g : NULL, imm, (int16_t)(imm ? 0 : err));
    return BS_ERR_NONE;
}

/* ---- SyncGroup ---- */

static void sync_respond(bs_gwait_t *w, bs_group_t *g, bs_gmember_t *m, int16_t error)
{
    bs_req_t *req = w->ctx;
    bs_SyncGroupResponse_t rs;
    bs_SyncGroupResponse_init(&rs);
    rs.ErrorCode = error;
    rs.Assignment.ptr = NULL;
    rs.Assignment.len = 0;
    if (!error && g && m) {
        rs.ProtocolType = kstr(g->protocol_type);
        rs.ProtocolName = kstr(g->protocol);
        rs.Assignment.ptr = m->assignment;
        rs.Assignment.len = m->assignment ? m->assignment_len : 0;
    }
    bs_req_respond(req, SyncGroupResponse, &rs);
}

bs_err_t bs_handle_sync_group(bs_req_t *req)
{
    bs_SyncGroupRequest_t rq;
    bs_SyncGroupRequest_init(&rq);
    if (BS_DECODE(req, SyncGroupRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    int na = rq.Assignments_count > 0 ? rq.Assignments_count : 0;
    bs_gassign_t *as = BS_ARR(req, bs_gassign_t, na);
    for (int i = 0; i < na; i++) {
        as[i].member_id = bs_req_cstr(req, rq.Assignments[i].MemberId);
        as[i].data = rq.Assignments[i].Assignment.ptr;
        as[i].len = rq.Assignments[i].Assignment.len > 0 ? rq.Assignments[i].Assignment.len : 0;
    }
    const char *member_id = bs_req_cstr(req, rq.MemberId);
    bs_gwait_t *w = gw_new(req, sync_respond, member_id);
    bs_gmember_t *imm = NULL;
    bs_err_t err = bs_group_sync(CO(req), bs_req_cstr(req, rq.GroupId), rq.GenerationId, member_id,
                                 req->api_version >= 3 ? opt_cstr(req, rq.GroupInstanceId) : NULL,
                                 as, na, w, &imm);
    if (err == BS_ERR__PENDING) {
        req->parked = w;
        return BS_ERR__PENDING;
    }
    sync_respond(w, imm ? imm->g : NULL, imm, (int16_t)(imm ? 0 : err));
    return BS_ERR_NONE;
}

/* ---- Heartbeat, LeaveGroup ---- */

bs_err_t bs_handle_heartbeat(bs_req_t *req)
{
    bs_HeartbeatRequest_t rq;
    bs_HeartbeatResponse_t rs;
    bs_HeartbeatRequest_init(&rq);
    if (BS_DECODE(req, HeartbeatRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_HeartbeatResponse_init(&rs);
    rs.ErrorCode = bs_group_heartbeat(
        CO(req), bs_req_cstr(req, rq.GroupId), rq.GenerationId, bs_req_cstr(req, rq.MemberId),
        req->api_version >= 3 ? opt_cstr(req, rq.GroupInstanceId) : NULL);
    bs_req_respond(req, HeartbeatResponse, &rs);
    return BS_ERR_NONE;
}

bs_err_t bs_handle_leave_group(bs_req_t *req)
{
    bs_LeaveGroupRequest_t rq;
    bs_LeaveGroupResponse_t rs;
    bs_LeaveGroupRequest_init(&rq);
    if (BS_DECODE(req, LeaveGroupRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_LeaveGroupResponse_init(&rs);
    const char *gid = bs_req_cstr(req, rq.GroupId);
    if (req->api_version < 3) {
        rs.ErrorCode = bs_group_leave(CO(req), gid, bs_req_cstr(req, rq.MemberId), NULL);
        bs_req_respond(req, LeaveGroupResponse, &rs);
        return BS_ERR_NONE;
    }
    int n = rq.Members_count > 0 ? rq.Members_count : 0;
    rs.Members = BS_ARR(req, bs_LeaveGroupResponse_MemberResponse_t, n);
    rs.Members_count = n;
    if (!bs_group_find(CO(req), gid, strlen(gid)))
        rs.ErrorCode = BS_ERR_UNKNOWN_MEMBER_ID;
    for (int i = 0; i < n; i++) {
        bs_LeaveGroupResponse_MemberResponse_t *o = &rs.Members[i];
        bs_LeaveGroupResponse_MemberResponse_init(o);
        o->MemberId = rq.Members[i].MemberId;
        o->GroupInstanceId = rq.Members[i].GroupInstanceId;
        o->ErrorCode = bs_group_leave(CO(req), gid, bs_req_cstr(req, rq.Members[i].MemberId),
                                      opt_cstr(req, rq.Members[i].GroupInstanceId));
    }
    bs_req_respond(req, LeaveGroupResponse, &rs);
    return BS_ERR_NONE;
}

/* ---- OffsetCommit, OffsetFetch ---- */

bs_err_t bs_handle_offset_commit(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_OffsetCommitRequest_t rq;
    bs_OffsetCommitResponse_t rs;
    bs_OffsetCommitRequest_init(&rq);
    if (BS_DECODE(req, OffsetCommitRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_OffsetCommitResponse_init(&rs);
    int nt = rq.Topics_count > 0 ? rq.Topics_count : 0, total = 0;
    for (int i = 0; i < nt; i++)
        total += rq.Topics[i].Partitions_count > 0 ? rq.Topics[i].Partitions_count : 0;
    bs_gcommit_t *c = BS_ARR(req, bs_gcommit_t, total);
    bs_group_t *g = NULL;
    int16_t gerr = bs_group_commit_check(
        CO(req), bs_req_cstr(req, rq.GroupId),
        req->api_version >= 1 ? rq.GenerationIdOrMemberEpoch : -1, bs_req_cstr(req, rq.MemberId),
        req->api_version >= 7 ? opt_cstr(req, rq.GroupInstanceId) : NULL, &g);
    int k = 0;
    for (int i = 0; i < nt; i++) {
        bs_OffsetCommitRequest_OffsetCommitRequestTopic_t *qt = &rq.Topics[i];
        bs_topic_t *t =
            qt->Name.len > 0 ? bs_topics_find(b, qt->Name.ptr, (size_t)qt->Name.len) : NULL;
        const char *tname = bs_req_cstr(req, qt->Name);
        for (int j = 0; j < (qt->Partitions_count > 0 ? qt->Partitions_count : 0); j++, k++) {
            bs_OffsetCommitRequest_OffsetCommitRequestPartition_t *qp = &qt->Partitions[j];
            c[k].topic = tname;
            c[k].partition = qp->PartitionIndex;
            c[k].offset = qp->CommittedOffset;
            c[k].leader_epoch = req->api_version >= 6 ? qp->CommittedLeaderEpoch : -1;
            c[k].metadata = bs_req_cstr(req, qp->CommittedMetadata);
            if (gerr)
                c[k].error = gerr;
            else if (!t || qp->PartitionIndex < 0 || qp->PartitionIndex >= t->npart)
                c[k].error = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (qp->CommittedMetadata.len > b->cfg->offset_metadata_max_bytes)
                c[k].error = BS_ERR_OFFSET_METADATA_TOO_LARGE;
        }
    }
    if (!gerr && g)
        bs_group_commit(CO(req), g, c, total);
    rs.Topics = BS_ARR(req, bs_OffsetCommitResponse_OffsetCommitResponseTopic_t, nt);
    rs.Topics_count = nt;
    k = 0;
    for (int i = 0; i < nt; i++) {
        bs_OffsetCommitRequest_OffsetCommitRequestTopic_t *qt = &rq.Topics[i];
        bs_OffsetCommitResponse_OffsetCommitResponseTopic_t *tt = &rs.Topics[i];
        bs_OffsetCommitResponse_OffsetCommitResponseTopic_init(tt);
        tt->Name = qt->Name;
        int np = qt->Partitions_count > 0 ? qt->Partitions_count : 0;
        tt->Partitions = BS_ARR(req, bs_OffsetCommitResponse_OffsetCommitResponsePartition_t, np);
        tt->Partitions_count = np;
        for (int j = 0; j < np; j++, k++) {
            bs_OffsetCommitResponse_OffsetCommitResponsePartition_init(&tt->Partitions[j]);
            tt->Partitions[j].PartitionIndex = c[k].partition;
            tt->Partitions[j].ErrorCode = c[k].error;
        }
    }
    bs_req_respond(req, OffsetCommitResponse, &rs);
    return BS_ERR_NONE;
}

static void fill_fetch_part(bs_OffsetFetchResponse_OffsetFetchResponsePartition_t *pp, int32_t part,
                            const bs_goffset_t *o)
{
    bs_OffsetFetchResponse_OffsetFetchResponsePartition_init(pp);
    pp->PartitionIndex = part;
    pp->CommittedOffset = o ? o->offset : -1;
    pp->CommittedLeaderEpoch = o ? o->leader_epoch : -1;
    pp->Metadata = kstr(o && o->metadata ? o->metadata : "");
    pp->ErrorCode = 0;
}

static int cmp_offsets(const void *a, const void *b)
{
    const bs_goffset_t *x = *(const bs_goffset_t *const *)a, *y = *(const bs_goffset_t *const *)b;
    int c = strcmp(x->topic, y->topic);
    if (c)
        return c;
    return x->partition < y->partition ? -1 : x->partition > y->partition;
}

bs_err_t bs_handle_offset_fetch(bs_req_t *req)
{
    bs_OffsetFetchRequest_t rq;
    bs_OffsetFetchResponse_t rs;
    bs_OffsetFetchRequest_init(&rq);
    if (BS_DECODE(req, OffsetFetchRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_OffsetFetchResponse_init(&rs);
    const char *gid = bs_req_cstr(req, rq.GroupId);
    bs_group_t *g = bs_group_find(CO(req), gid, strlen(gid));
    rs.ErrorCode = 0;
    if (rq.Topics_count >= 0) {
        int nt = rq.Topics_count;
        rs.Topics = BS_ARR(req, bs_OffsetFetchResponse_OffsetFetchResponseTopic_t, nt);
        rs.Topics_count = nt;
        for (int i = 0; i < nt; i++) {
            bs_OffsetFetchRequest_OffsetFetchRequestTopic_t *qt = &rq.Topics[i];
            bs_OffsetFetchResponse_OffsetFetchResponseTopic_t *tt = &rs.Topics[i];
            bs_OffsetFetchResponse_OffsetFetchResponseTopic_init(tt);
            tt->Name = qt->Name;
            int np = qt->PartitionIndexes_count > 0 ? qt->PartitionIndexes_count : 0;
            tt->Partitions = BS_ARR(req, bs_OffsetFetchResponse_OffsetFetchResponsePartition_t, np);
            tt->Partitions_count = np;
            for (int j = 0; j < np; j++) {
                int32_t part = qt->PartitionIndexes[j];
                const bs_goffset_t *o =
                    g && qt->Name.len >= 0
                        ? bs_group_offset(g, qt->Name.ptr, (size_t)qt->Name.len, part)
                        : NULL;
                fill_fetch_part(&tt->Partitions[j], part, o);
                if (g && rq.RequireStable && qt->Name.len >= 0 &&
                    bs_group_txn_pending(g, qt->Name.ptr, (size_t)qt->Name.len, part))
                    tt->Partitions[j].ErrorCode = BS_ERR_UNSTABLE_OFFSET_COMMIT;
            }
        }
    } else {
        /* null topics (v2+): every committed offset of the group */
        size_t n = g ? bs_hmap_count(&g->offsets) : 0, k = 0;
        const bs_goffset_t **all = BS_ARR(req, const bs_goffset_t *, n);
        size_t it = 0;
        const bs_hmap_ent_t *e;
        while (g && bs_hmap_next(&g->offsets, &it, &e) && k < n)
            all[k++] = e->val;
        qsort(all, k, sizeof(*all), cmp_offsets);
        int nt = 0;
        for (size_t i = 0; i < k; i++)
            nt += i == 0 || strcmp(all[i]->topic, all[i - 1]->topic) != 0;
        rs.Topics = BS_ARR(req, bs_OffsetFetchResponse_OffsetFetchResponseTopic_t, nt);
        rs.Topics_count = nt;
        int ti = -1;
        for (size_t i = 0; i < k;) {
            size_t j = i;
            while (j < k && strcmp(all[j]->topic, all[i]->topic) == 0)
                j++;
            bs_OffsetFetchResponse_OffsetFetchResponseTopic_t *tt = &rs.Topics[++ti];
            bs_OffsetFetchResponse_OffsetFetchResponseTopic_init(tt);
            tt->Name = kstr(all[i]->topic);
            tt->Partitions =
                BS_ARR(req, bs_OffsetFetchResponse_OffsetFetchResponsePartition_t, (int)(j - i));
            tt->Partitions_count = (int32_t)(j - i);
            for (size_t x = i; x < j; x++)
                fill_fetch_part(&tt->Partitions[x - i], all[x]->partition, all[x]);
            i = j;
        }
    }
    bs_req_respond(req, OffsetFetchResponse, &rs);
    return BS_ERR_NONE;
}

/* ---- DescribeGroups, ListGroups, DeleteGroups, OffsetDelete ---- */

bs_err_t bs_handle_describe_groups(bs_req_t *req)
{
    bs_DescribeGroupsRequest_t rq;
    bs_DescribeGroupsResponse_t rs;
    bs_DescribeGroupsRequest_init(&rq);
    if (BS_DECODE(req, DescribeGroupsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_DescribeGroupsResponse_init(&rs);
    int n = rq.Groups_count > 0 ? rq.Groups_count : 0;
    rs.Groups = BS_ARR(req, bs_DescribeGroupsResponse_DescribedGroup_t, n);
    rs.Groups_count = n;
    for (int i = 0; i < n; i++) {
        bs_DescribeGroupsResponse_DescribedGroup_t *o = &rs.Groups[i];
        bs_DescribeGroupsResponse_DescribedGroup_init(o);
        o->GroupId = rq.Groups[i];
        o->AuthorizedOperations =
            rq.IncludeAuthorizedOperations ? (1 << 3) | (1 << 6) | (1 << 8) : INT32_MIN;
        const char *gid = bs_req_cstr(req, rq.Groups[i]);
        bs_group_t *g = bs_group_find(CO(req), gid, strlen(gid));
        o->ProtocolType = kstr("");
        o->ProtocolData = kstr("");
        o->Members_count = 0;
        if (!g) {
            o->GroupState = kstr("Dead");
            continue;
        }
        o->GroupState = kstr(bs_group_state_name(g->state));
        o->ProtocolType = kstr(g->protocol_type ? g->protocol_type : "");
        bool stable = g->state == BS_GROUP_STABLE;
        o->ProtocolData = kstr(stable && g->protocol ? g->protocol : "");
        o->Members = BS_ARR(req, bs_DescribeGroupsResponse_DescribedGroupMember_t, g->nmembers);
        o->Members_count = g->nmembers;
        for (int j = 0; j < g->nmembers; j++) {
            bs_gmember_t *m = g->members[j];
            bs_DescribeGroupsResponse_DescribedGroupMember_t *om = &o->Members[j];
            bs_DescribeGroupsResponse_DescribedGroupMember_init(om);
            om->MemberId = kstr(m->id);
            om->GroupInstanceId = kstr(m->instance_id);
            om->ClientId = kstr(m->client_id ? m->client_id : "");
            om->ClientHost = kstr(m->client_host ? m->client_host : "");
            om->MemberMetadata.ptr = NULL;
            om->MemberMetadata.len = 0;
            om->MemberAssignment.ptr = NULL;
            om->MemberAssignment.len = 0;
            if (!stable)
                continue; /* Kafka shows metadata and assignments of Stable groups only */
            for (int k = 0; k < m->nprotos; k++)
                if (g->protocol && strcmp(m->protos[k].name, g->protocol) == 0 &&
                    m->protos[k].meta) {
                    om->MemberMetadata.ptr = m->protos[k].meta;
                    om->MemberMetadata.len = m->protos[k].len;
                }
            if (m->assignment) {
                om->MemberAssignment.ptr = m->assignment;
                om->MemberAssignment.len = m->assignment_len;
            }
        }
    }
    bs_req_respond(req, DescribeGroupsResponse, &rs);
    return BS_ERR_NONE;
}

static bool filter_has(const bs_kstr_t *arr, int32_t n, const char *s)
{
    for (int32_t i = 0; i < n; i++)
        if (arr[i].len == (int32_t)strlen(s) && strncasecmp(arr[i].ptr, s, strlen(s)) == 0)
            return true;
    return false;
}

bs_err_t bs_handle_list_groups(bs_req_t *req)
{
    bs_ListGroupsRequest_t rq;
    bs_ListGroupsResponse_t rs;
    bs_gcoord_t *co = CO(req);
    bs_ListGroupsRequest_init(&rq);
    if (BS_DECODE(req, ListGroupsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_ListGroupsResponse_init(&rs);
    size_t n = bs_hmap_count(&co->groups);
    rs.Groups = BS_ARR(req, bs_ListGroupsResponse_ListedGroup_t, n);
    int k = 0;
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&co->groups, &it, &e) && (size_t)k < n) {
        bs_group_t *g = e->val;
        const char *state = bs_group_state_name(g->state);
        if (g->state == BS_GROUP_DEAD)
            continue;
        if (req->api_version >= 4 && rq.StatesFilter_count > 0 &&
            !filter_has(rq.StatesFilter, rq.StatesFilter_count, state))
            continue;
        if (req->api_version >= 5 && rq.TypesFilter_count > 0 &&
            !filter_has(rq.TypesFilter, rq.TypesFilter_count, "classic"))
            continue;
        bs_ListGroupsResponse_ListedGroup_t *o = &rs.Groups[k++];
        bs_ListGroupsResponse_ListedGroup_init(o);
        o->GroupId = kstr(g->id);
        o->ProtocolType = kstr(g->protocol_type ? g->protocol_type : "");
        o->GroupState = kstr(state);
        o->GroupType = kstr("classic");
    }
    rs.Groups_count = k;
    bs_req_respond(req, ListGroupsResponse, &rs);
    return BS_ERR_NONE;
}

bs_err_t bs_handle_delete_groups(bs_req_t *req)
{
    bs_DeleteGroupsRequest_t rq;
    bs_DeleteGroupsResponse_t rs;
    bs_DeleteGroupsRequest_init(&rq);
    if (BS_DECODE(req, DeleteGroupsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_DeleteGroupsResponse_init(&rs);
    int n = rq.GroupsNames_count > 0 ? rq.GroupsNames_count : 0;
    rs.Results = BS_ARR(req, bs_DeleteGroupsResponse_DeletableGroupResult_t, n);
    rs.Results_count = n;
    for (int i = 0; i < n; i++) {
        bs_DeleteGroupsResponse_DeletableGroupResult_t *o = &rs.Results[i];
        bs_DeleteGroupsResponse_DeletableGroupResult_init(o);
        o->GroupId = rq.GroupsNames[i];
        const char *gid = bs_req_cstr(req, rq.GroupsNames[i]);
        o->ErrorCode = gid[0] ? bs_group_delete(CO(req), gid) : BS_ERR_INVALID_GROUP_ID;
    }
    bs_req_respond(req, DeleteGroupsResponse, &rs);
    return BS_ERR_NONE;
}

bs_err_t bs_handle_offset_delete(bs_req_t *req)
{
    bs_OffsetDeleteRequest_t rq;
    bs_OffsetDeleteResponse_t rs;
    bs_OffsetDeleteRequest_init(&rq);
    if (BS_DECODE(req, OffsetDeleteRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_OffsetDeleteResponse_init(&rs);
    const char *gid = bs_req_cstr(req, rq.GroupId);
    bs_group_t *g = bs_group_find(CO(req), gid, strlen(gid));
    int nt = rq.Topics_count > 0 ? rq.Topics_count : 0;
    if (!gid[0]) {
        rs.ErrorCode = BS_ERR_INVALID_GROUP_ID;
        nt = 0;
    } else if (!g) {
        rs.ErrorCode = BS_ERR_GROUP_ID_NOT_FOUND;
        nt = 0;
    }
    rs.Topics = BS_ARR(req, bs_OffsetDeleteResponse_OffsetDeleteResponseTopic_t, nt);
    rs.Topics_count = nt;
    for (int i = 0; i < nt; i++) {
        bs_OffsetDeleteRequest_OffsetDeleteRequestTopic_t *qt = &rq.Topics[i];
        bs_OffsetDeleteResponse_OffsetDeleteResponseTopic_t *tt = &rs.Topics[i];
        bs_OffsetDeleteResponse_OffsetDeleteResponseTopic_init(tt);
        tt->Name = qt->Name;
        const char *tname = bs_req_cstr(req, qt->Name);
        bs_topic_t *t = bs_topics_find(req->b, tname, strlen(tname));
        bool subscribed = g->nmembers > 0 && bs_group_subscribed(g, tname);
        int np = qt->Partitions_count > 0 ? qt->Partitions_count : 0;
        tt->Partitions = BS_ARR(req, bs_OffsetDeleteResponse_OffsetDeleteResponsePartition_t, np);
        tt->Partitions_count = np;
        for (int j = 0; j < np; j++) {
            bs_OffsetDeleteResponse_OffsetDeleteResponsePartition_t *pp = &tt->Partitions[j];
            bs_OffsetDeleteResponse_OffsetDeleteResponsePartition_init(pp);
            int32_t part = qt->Partitions[j].PartitionIndex;
            pp->PartitionIndex = part;
            if (!t || part < 0 || part >= t->npart)
                pp->ErrorCode = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (subscribed)
                pp->ErrorCode = ERR_GROUP_SUBSCRIBED_TO_TOPIC;
            else
                pp->ErrorCode = bs_group_offset_delete(CO(req), g, tname, part);
        }
    }
    bs_req_respond(req, OffsetDeleteResponse, &rs);
    return BS_ERR_NONE;
}
