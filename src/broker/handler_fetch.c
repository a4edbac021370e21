/*
 * handler_fetch.c — Fetch (1), versions 4–12, with long polling.
 *
 * fetch_build() assembles a response from each partition's log as file
 * ranges (sent later with sendfile): at most PartitionMaxBytes per partition
 * and MaxBytes in all, but always at least one whole batch for the first
 * partition that has data (KIP-74), so a large batch never stalls a
 * consumer. If fewer than MinBytes are available and MaxWaitMs > 0, the
 * request is parked:
 *
 *   bs_handle_fetch --(not enough data)--> parked (timer armed)
 *        parked --(bs_fetch_notify adds enough bytes)--> complete_soon (0 ms)
 *        parked --(timer)--> fetch_finish: build again, respond, complete
 *
 * Completion always runs from a timer, never inside the producer's handler,
 * so handlers do not nest. Records are never null (librdkafka 2.0.2 cannot
 * parse a null records field), preferred read replica is -1 and the session
 * id is 0 (no fetch sessions).
 */
#include "broker/handler.h"

#include "base/log.h"

#include <string.h>

struct bs_fetch_wait_s {
    bs_req_t *req;
    bs_FetchRequest_t *rq;
    int64_t bytes; /* appended to watched partitions since parking */
    bs_timer_t timer;
    bs_fetch_wait_t *next;
};

static void release_slices(bs_FetchResponse_t *rs)
{
    for (int i = 0; i < rs->Responses_count; i++)
        for (int j = 0; j < rs->Responses[i].Partitions_count; j++) {
            bs_krecords_t *r = &rs->Responses[i].Partitions[j].Records;
            if (r->has_file && r->release)
                r->release(r->ctx);
            r->has_file = 0;
        }
}

/* Builds the response; returns the number of record bytes in it. */
static int64_t fetch_build(bs_req_t *req, bs_FetchRequest_t *rq, bs_FetchResponse_t *rs)
{
    bs_broker_t *b = req->b;
    int64_t total = 0;
    int32_t max_total = req->api_version >= 3 && rq->MaxBytes > 0 ? rq->MaxBytes : INT32_MAX;

    bs_FetchResponse_init(rs);
    rs->ThrottleTimeMs = 0;
    rs->ErrorCode = 0;
    rs->SessionId = 0;
    int nt = rq->Topics_count > 0 ? rq->Topics_count : 0;
    rs->Responses = BS_ARR(req, bs_FetchResponse_FetchableTopicResponse_t, nt);
    rs->Responses_count = nt;
    for (int i = 0; i < nt; i++) {
        bs_FetchRequest_FetchTopic_t *ft = &rq->Topics[i];
        bs_FetchResponse_FetchableTopicResponse_t *tr = &rs->Responses[i];
        bs_FetchResponse_FetchableTopicResponse_init(tr);
        tr->Topic = ft->Topic;
        int np = ft->Partitions_count > 0 ? ft->Partitions_count : 0;
        tr->Partitions = BS_ARR(req, bs_FetchResponse_PartitionData_t, np);
        tr->Partitions_count = np;
        bs_topic_t *t =
            ft->Topic.len > 0 ? bs_topics_find(b, ft->Topic.ptr, (size_t)ft->Topic.len) : NULL;
        for (int j = 0; j < np; j++) {
            bs_FetchRequest_FetchPartition_t *fp = &ft->Partitions[j];
            bs_FetchResponse_PartitionData_t *pd = &tr->Partitions[j];
            bs_FetchResponse_PartitionData_init(pd);
            pd->PartitionIndex = fp->Partition;
            pd->PreferredReadReplica = -1;
            pd->Records.ptr = NULL;
            pd->Records.len = 0; /* never null */
            pd->AbortedTransactions = NULL;
            pd->AbortedTransactions_count = rq->IsolationLevel == 1 ? 0 : -1;
            if (!t || fp->Partition < 0 || fp->Partition >= t->npart) {
                pd->ErrorCode = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                pd->HighWatermark = pd->LastStableOffset = pd->LogStartOffset = -1;
                continue;
            }
            bs_partition_t *part = t->parts[fp->Partition];
            bs_plog_t *log = part->log;
            bs_pidstate_t *ps = bs_partition_pids(part);
            int64_t hwm = bs_plog_end_offset(log), start = bs_plog_start_offset(log);
            int64_t lso = bs_pidstate_lso(ps, hwm);
            pd->HighWatermark = hwm;
            pd->LastStableOffset = lso;
            pd->LogStartOffset = start;
            if (req->api_version >= 9 && fp->CurrentLeaderEpoch > 0) {
                pd->ErrorCode = BS_ERR_UNKNOWN_LEADER_EPOCH;
                continue;
            }
            if (fp->FetchOffset < start || fp->FetchOffset > hwm) {
                pd->ErrorCode = BS_ERR_OFFSET_OUT_OF_RANGE;
                continue;
            }
            int64_t limit = rq->IsolationLevel == 1 ? lso : hwm;
            if (fp->FetchOffset >= limit)
                continue;
            int32_t room = fp->PartitionMaxBytes;
            if ((int64_t)room > max_total - total)
                room = (int32_t)(max_total - total);
            if (room <= 0) {
                if (total > 0)
                    continue;
                room = 1; /* KIP-74: the first data always gets one whole batch */
            }
            bs_plog_slice_t sl;
            /* read_committed stops before the last stable offset */
            bs_err_t err = limit < hwm
                               ? bs_plog_read_bounded(log, fp->FetchOffset, room, limit, &sl)
                               : bs_plog_read(log, fp->FetchOffset, room, &sl);
            if (err != BS_ERR_NONE) {
                pd->ErrorCode = (int16_t)(err >= 0 ? err : BS_ERR_KAFKA_STORAGE_ERROR);
                continue;
            }
            if (total > 0 && sl.len > room) {
                sl.release(sl.ctx); /* would exceed MaxBytes: next fetch */
                continue;
            }
            if (rq->IsolationLevel == 1 && sl.len > 0) {
                int na;
                const bs_aborted_txn_t *ab = bs_pidstate_aborted(ps, fp->FetchOffset, limit, &na);
                pd->AbortedTransactions = BS_ARR(req, bs_FetchResponse_AbortedTransaction_t, na);
                pd->AbortedTransactions_count = 0;
                for (int k = 0; k < na; k++) {
                    if (ab[k].first >= limit)
                        continue;
                    bs_FetchResponse_AbortedTransaction_t *at =
                        &pd->AbortedTransactions[pd->AbortedTransactions_count++];
                    bs_FetchResponse_AbortedTransaction_init(at);
                    at->ProducerId = ab[k].pid;
                    at->FirstOffset = ab[k].first;
                }
            }
            if (sl.len <= 0) {
                sl.release(sl.ctx);
                continue;
            }
            pd->Records.len = (int32_t)sl.len;
            pd->Records.has_file = 1;
            pd->Records.fd = sl.fd;
            pd->Records.file_off = sl.file_off;
            pd->Records.release = sl.release;
            pd->Records.ctx = sl.ctx;
            total += sl.len;
        }
    }
    return total;
}

static void fetch_respond(bs_req_t *req, bs_FetchRequest_t *rq)
{
    bs_FetchResponse_t rs;
    fetch_build(req, rq, &rs);
    bs_req_respond(req, FetchResponse, &rs); /* splices now owned by the output */
}

static void wait_unlink(bs_broker_t *b, bs_fetch_wait_t *w)
{
    for (bs_fetch_wait_t **pp = &b->fetch_waits; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            return;
        }
}

static void wait_timer_cb(bs_loop_t *loop, bs_timer_t *t)
{
    bs_fetch_wait_t *w = t->ctx;
    bs_req_t *req = w->req;
    (void)loop;
    wait_unlink(req->b, w);
    fetch_respond(req, w->rq);
    bs_req_complete(req); /* frees w (request arena) */
}

bs_err_t bs_handle_fetch(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_FetchRequest_t *rq = BS_ARR(req, bs_FetchRequest_t, 1);
    bs_FetchResponse_t rs;

    bs_FetchRequest_init(rq);
    if (BS_DECODE(req, FetchRequest, rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    int64_t bytes = fetch_build(req, rq, &rs);
    if (rq->MaxWaitMs <= 0 || bytes >= (rq->MinBytes > 0 ? rq->MinBytes : 1) ||
        rq->Topics_count <= 0) {
        bs_req_respond(req, FetchResponse, &rs);
        return BS_ERR_NONE;
    }
    /* not enough data yet: park until enough is appended or the wait ends */
    release_slices(&rs);
    bs_fetch_wait_t *w = BS_ARR(req, bs_fetch_wait_t, 1);
    w->req = req;
    w->rq = rq;
    w->bytes = bytes;
    bs_timer_init(&w->timer, wait_timer_cb, w);
    bs_loop_timer_arm(b->loop, &w->timer, rq->MaxWaitMs);
    w->next = b->fetch_waits;
    b->fetch_waits = w;
    req->parked = w;
    return BS_ERR__PENDING;
}

void bs_fetch_notify(bs_broker_t *b, bs_partition_t *p, int64_t bytes)
{
    for (bs_fetch_wait_t *w = b->fetch_waits; w; w = w->next) {
        bs_FetchRequest_t *rq = w->rq;
        bool watched = false;
        for (int i = 0; i < rq->Topics_count && !watched; i++) {
            bs_FetchRequest_FetchTopic_t *ft = &rq->Topics[i];
            if (ft->Topic.len != (int32_t)strlen(p->topic->name) ||
                memcmp(ft->Topic.ptr, p->topic->name, (size_t)ft->Topic.len) != 0)
                continue;
            for (int j = 0; j < ft->Partitions_count && !watched; j++)
                watched = ft->Partitions[j].Partition == p->id;
        }
        if (!watched)
            continue;
        w->bytes += bytes;
        if (w->bytes >= (rq->MinBytes > 0 ? rq->MinBytes : 1))
            bs_loop_timer_arm(b->loop, &w->timer, 0); /* answer after this handler */
    }
}

void bs_fetch_abort_conn(bs_broker_t *b, bs_conn_t *c)
{
    for (bs_fetch_wait_t **pp = &b->fetch_waits; *pp;) {
        bs_fetch_wait_t *w = *pp;
        if (w->req->conn == c) {
            bs_loop_timer_cancel(b->loop, &w->timer);
            *pp = w->next;
        } else {
            pp = &w->next;
        }
    }
}
