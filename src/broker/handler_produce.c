/*
 * handler_produce.c — Produce (0), versions 3–10.
 *
 * For each partition: validate the records (v2 batches only, CRC32C,
 * max.message.bytes), append them (offsets assigned in place without
 * recomputing the CRC), wake parked fetches, and answer with the base offset.
 * acks=0 gets no response at all (clients do not read one).
 *
 * With log.flush.on.ack=true an acks!=0 request is parked until the fsync
 * worker (sync.c) has made every appended partition durable up to the last
 * appended offset; requests arriving while an fsync runs share the next one
 * (group commit).
 */
#include "broker/handler.h"

#include "base/log.h"
#include "broker/txn.h"
#include "proto/records.h"

#include <stdlib.h>
#include <string.h>

struct bs_produce_wait_s {
    bs_req_t *req;
    bs_ProduceResponse_t *rs;
    int n;
    bs_partition_t **parts;
    int64_t *need; /* durable end offset required per partition */
    bs_produce_wait_t *next;
};

/* Kafka decompresses every compressed batch on produce to validate its
 * records; so do we, so a batch whose payload does not decompress (or whose
 * records do not match its header) is refused instead of stored. */
static bs_err_t validate_compressed(const uint8_t *p, size_t len, int32_t max_bytes, char *emsg,
                                    size_t elen)
{
    size_t pos = 0;
    while (pos < len) {
        bs_batch_hdr_t h;
        int64_t bsize = bs_batch_size(p + pos, len - pos);
        if (bsize <= 0 || bs_batch_hdr_parse(p + pos, len - pos, &h) < 0)
            break; /* already checked by bs_records_validate */
        if ((h.Attributes & BS_BATCH_ATTR_CODEC_MASK) != BS_CODEC_NONE) {
            uint8_t *out = NULL;
            size_t outlen = 0;
            char err[200];
            bs_record_iter_t it;
            bs_rec_t r;
            int k;
            /* a batch may not expand to more than its limit allows (zip bombs) */
            size_t cap = (size_t)max_bytes * 16 < BS_BATCH_MAX_DECOMPRESSED
                             ? (size_t)max_bytes * 16
                             : BS_BATCH_MAX_DECOMPRESSED;
            if (bs_batch_decompress_max(p + pos, (size_t)bsize, cap, &out, &outlen, err,
                                        sizeof(err)) < 0) {
                snprintf(emsg, elen, "compressed batch at offset delta %zu: %s", pos, err);
                return BS_ERR_CORRUPT_MESSAGE;
            }
            bs_record_iter_init(&it, out, outlen, h.RecordsCount);
            int32_t prev = -1;
            while ((k = bs_record_iter_next(&it, &r, err, sizeof(err))) == 1) {
                /* inner offsets must increase within the batch's range */
                if (r.offset_delta <= prev || r.offset_delta > h.LastOffsetDelta) {
                    snprintf(err, sizeof(err), "record offset delta %d out of order",
                             r.offset_delta);
                    k = -1;
                    break;
                }
                prev = r.offset_delta;
            }
            free(out);
            if (k < 0) {
                snprintf(emsg, elen, "compressed batch records: %s", err);
                return BS_ERR_INVALID_RECORD;
            }
        }
        pos += (size_t)bsize;
    }
    return BS_ERR_NONE;
}

/* Compacted topics keep the latest record per key, so a record without a
 * key cannot be stored (Kafka's LogValidator: INVALID_RECORD "Compacted
 * topic cannot accept message without key"). Batches are already valid. */
static bs_err_t check_compacted_keys(const uint8_t *p, size_t len, char *emsg, size_t elen)
{
    bs_err_t ret = BS_ERR_NONE;
    for (size_t pos = 0; pos < len && ret == BS_ERR_NONE;) {
        bs_batch_hdr_t h;
        int64_t bsize = bs_batch_size(p + pos, len - pos);
        if (bsize <= 0 || bs_batch_hdr_parse(p + pos, len - pos, &h) < 0)
            break;
        uint8_t *out = NULL;
        size_t outlen = 0;
        if (bs_batch_decompress(p + pos, (size_t)bsize, &out, &outlen, NULL, 0) == 0) {
            bs_record_iter_t it;
            bs_rec_t r;
            bs_record_iter_init(&it, out, outlen, h.RecordsCount);
            while (bs_record_iter_next(&it, &r, NULL, 0) == 1)
                if (!r.key) {
                    snprintf(emsg, elen, "Compacted topic cannot accept message without key");
                    ret = BS_ERR_INVALID_RECORD;
                    break;
                }
        }
        free(out);
        pos += (size_t)bsize;
    }
    return ret;
}

static void produce_partition(bs_req_t *req, bs_topic_t *t,
                              bs_ProduceRequest_PartitionProduceData_t *pd,
                              bs_ProduceResponse_PartitionProduceResponse_t *pr,
                              bs_partition_t **appended)
{
    bs_broker_t *b = req->b;
    char emsg[256];
    bs_records_info_t info;
    bs_plog_append_info_t ai;

    *appended = NULL;
    pr->Index = pd->Index;
    pr->BaseOffset = -1;
    pr->LogAppendTimeMs = -1;
    pr->LogStartOffset = -1;
    if (!t || pd->Index < 0 || pd->Index >= t->npart) {
        pr->ErrorCode = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    bs_partition_t *p = t->parts[pd->Index];
    if (pd->Records.len <= 0) {
        pr->ErrorCode = BS_ERR_INVALID_RECORD;
        pr->ErrorMessage = bs_req_str(req, "produce request has no records");
        return;
    }
    bs_err_t err = bs_records_validate(pd->Records.ptr, (size_t)pd->Records.len,
                                       t->cfg.max_message_bytes, &info, emsg, sizeof(emsg));
    if (err == BS_ERR_NONE)
        err = validate_compressed(pd->Records.ptr, (size_t)pd->Records.len,
                                  t->cfg.max_message_bytes, emsg, sizeof(emsg));
    if (err == BS_ERR_NONE && t->cfg.cleanup_compact)
        err = check_compacted_keys(pd->Records.ptr, (size_t)pd->Records.len, emsg, sizeof(emsg));
    if (err == BS_ERR_NONE && info.IsControl) {
        err = BS_ERR_INVALID_RECORD;
        snprintf(emsg, sizeof(emsg), "clients may not write control batches");
    }
    if (err == BS_ERR_NONE && info.IsTransactional) {
        /* the partition must have been added to the producer's transaction */
        err = info.ProducerId < 0 ? BS_ERR_INVALID_RECORD
                                  : bs_txn_check_produce(b, info.ProducerId, info.ProducerEpoch, p);
        if (err != BS_ERR_NONE)
            snprintf(emsg, sizeof(emsg), "transactional batch from producer %lld rejected: %s",
                     (long long)info.ProducerId, bs_err_name(err));
    }
    bs_batch_hdr_t h;
    bs_pidstate_t *pids = NULL;
    if (err == BS_ERR_NONE && info.ProducerId >= 0) {
        /* idempotent producer: one batch per partition (as Kafka requires
         * for v3+), checked against the producer's cached sequences */
        int64_t dup = -1;
        if (info.BatchCount != 1) {
            err = BS_ERR_INVALID_RECORD;
            snprintf(emsg, sizeof(emsg),
                     "a produce request from an idempotent producer must contain exactly one "
                     "record batch per partition (got %d)",
                     info.BatchCount);
        } else {
            bs_batch_hdr_parse(pd->Records.ptr, (size_t)pd->Records.len, &h);
            pids = bs_partition_pids(p);
            err = bs_pidstate_check(pids, &h, &dup);
            if (err == BS_ERR_DUPLICATE_SEQUENCE_NUMBER) {
                /* a retry of a batch already written: its original offset */
                pr->ErrorCode = 0;
                pr->BaseOffset = dup;
                pr->LogStartOffset = bs_plog_start_offset(p->log);
                bs_log_debug("produce", "%s-%d: duplicate batch from producer %lld seq %d", t->name,
                             pd->Index, (long long)h.ProducerId, h.BaseSequence);
                return;
            }
            if (err != BS_ERR_NONE)
                snprintf(emsg, sizeof(emsg), "producer %lld epoch %d sequence %d rejected: %s",
                         (long long)h.ProducerId, h.ProducerEpoch, h.BaseSequence,
                         bs_err_name(err));
        }
    }
    if (err != BS_ERR_NONE) {
        pr->ErrorCode = (int16_t)err;
        pr->ErrorMessage = bs_req_str(req, emsg);
        bs_log_debug("produce", "%s: %s-%d rejected: %s", bs_req_peer(req), t->name, pd->Index,
                     emsg);
        return;
    }
    /* the records point into this connection's receive buffer, which we own:
     * offsets and the leader epoch are stamped in place before the write */
    err = bs_plog_append(p->log, (uint8_t *)pd->Records.ptr, (size_t)pd->Records.len, bs_wall_ms(),
                         t->cfg.timestamp_log_append, &ai);
    if (err != BS_ERR_NONE) {
        pr->ErrorCode = err >= 0 ? (int16_t)err : BS_ERR_KAFKA_STORAGE_ERROR;
        bs_log_error("produce", "append to %s-%d failed: %s", t->name, pd->Index, bs_err_name(err));
        return;
    }
    if (pids) {
        bs_batch_hdr_parse(pd->Records.ptr, (size_t)pd->Records.len, &h); /* offset stamped */
        bs_pidstate_update(pids, &h, bs_wall_ms());
    }
    pr->ErrorCode = 0;
    pr->BaseOffset = ai.BaseOffset;
    pr->LogAppendTimeMs = ai.LogAppendTime;
    pr->LogStartOffset = bs_plog_start_offset(p->log);
    *appended = p;
    bs_fetch_notify(b, p, pd->Records.len);
}

bs_err_t bs_handle_produce(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_ProduceRequest_t rq;
    bs_ProduceResponse_t *rs;
    int total = 0, nappended = 0;

    bs_ProduceRequest_init(&rq);
    if (BS_DECODE(req, ProduceRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    rs = BS_ARR(req, bs_ProduceResponse_t, 1);
    bs_ProduceResponse_init(rs);
    for (int i = 0; i < rq.TopicData_count; i++)
        total += rq.TopicData[i].PartitionData_count > 0 ? rq.TopicData[i].PartitionData_count : 0;
    bs_partition_t **appended = BS_ARR(req, bs_partition_t *, total);

    rs->Responses = BS_ARR(req, bs_ProduceResponse_TopicProduceResponse_t, rq.TopicData_count);
    rs->Responses_count = rq.TopicData_count > 0 ? rq.TopicData_count : 0;
    bool bad_acks = rq.Acks != 0 && rq.Acks != 1 && rq.Acks != -1;
    for (int i = 0; i < rs->Responses_count; i++) {
        bs_ProduceRequest_TopicProduceData_t *td = &rq.TopicData[i];
        bs_ProduceResponse_TopicProduceResponse_t *tr = &rs->Responses[i];
        bs_ProduceResponse_TopicProduceResponse_init(tr);
        tr->Name = td->Name;
        int np = td->PartitionData_count > 0 ? td->PartitionData_count : 0;
        tr->PartitionResponses = BS_ARR(req, bs_ProduceResponse_PartitionProduceResponse_t, np);
        tr->PartitionResponses_count = np;
        bs_err_t terr = BS_ERR_NONE;
        bs_topic_t *t = NULL;
        if (!bad_acks) {
            t = bs_topics_find(b, td->Name.ptr ? td->Name.ptr : "",
                               td->Name.len > 0 ? (size_t)td->Name.len : 0);
            if (!t)
                terr = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (t->internal)
                terr = BS_ERR_INVALID_TOPIC_EXCEPTION;
        }
        for (int j = 0; j < np; j++) {
            bs_ProduceResponse_PartitionProduceResponse_t *pr = &tr->PartitionResponses[j];
            bs_ProduceResponse_PartitionProduceResponse_init(pr);
            if (bad_acks || terr != BS_ERR_NONE) {
                pr->Index = td->PartitionData[j].Index;
                pr->ErrorCode = bad_acks ? BS_ERR_INVALID_REQUIRED_ACKS : (int16_t)terr;
                pr->BaseOffset = -1;
                pr->LogAppendTimeMs = -1;
                pr->LogStartOffset = -1;
                continue;
            }
            bs_partition_t *p;
            produce_partition(req, t, &td->PartitionData[j], pr, &p);
            if (p)
                appended[nappended++] = p;
        }
    }
    if (rq.Acks == 0)
        return BS_ERR_NONE; /* no response for acks=0 */
    if (b->cfg->log_flush_on_ack && nappended > 0) {
        bs_produce_wait_t *w = BS_ARR(req, bs_produce_wait_t, 1);
        w->req = req;
        w->rs = rs;
        w->n = nappended;
        w->parts = appended;
        w->need = BS_ARR(req, int64_t, nappended);
        for (int i = 0; i < nappended; i++) {
            w->need[i] = bs_plog_end_offset(appended[i]->log);
            bs_sync_enqueue(b, appended[i]);
        }
        w->next = b->produce_waits;
        b->produce_waits = w;
        req->parked = w;
        return BS_ERR__PENDING;
    }
    bs_req_respond(req, ProduceResponse, rs);
    return BS_ERR_NONE;
}

/* Called on the loop thread after the fsync worker finished a round. */
void bs_produce_sync_done(bs_broker_t *b)
{
    bs_produce_wait_t **pp = &b->produce_waits;
    while (*pp) {
        bs_produce_wait_t *w = *pp;
        bool done = true;
        for (int i = 0; i < w->n && done; i++)
            done = !w->parts[i] || bs_plog_durable_offset(w->parts[i]->log) >= w->need[i];
        if (!done) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        bs_req_t *req = w->req;
        bs_req_respond(req, ProduceResponse, w->rs);
        bs_req_complete(req);
        /* bs_req_complete may have parked new waits at the head; restart */
        pp = &b->produce_waits;
    }
}

void bs_produce_forget_partition(bs_broker_t *b, bs_partition_t *p)
{
    /* the partition is being deleted: nothing more to wait for there */
    for (bs_produce_wait_t *w = b->produce_waits; w; w = w->next)
        for (int i = 0; i < w->n; i++)
            if (w->parts[i] == p)
                w->parts[i] = NULL;
}

void bs_produce_abort_conn(bs_broker_t *b, bs_conn_t *c)
{
    for (bs_produce_wait_t **pp = &b->produce_waits; *pp;) {
        if ((*pp)->req->conn == c)
            *pp = (*pp)->next;
        else
            pp = &(*pp)->next;
    }
}
