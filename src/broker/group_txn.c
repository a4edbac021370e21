/*
 * group_txn.c — offsets sent to a transaction (TxnOffsetCommit, 28, v0–3).
 *
 * The offsets are written at once to the group's __consumer_offsets
 * partition as a transactional batch of Kafka's OffsetCommit records (with
 * the producer's id and epoch, as Kafka does), so they are durable before
 * the transaction commits, and are held as pending in the group
 * (bs_group_txn_add). When the transaction ends, the coordinator has written
 * the commit or abort marker into that partition and calls
 * bs_group_txn_complete(): on commit the pending offsets become the group's
 * committed offsets, on abort they are dropped.
 */
#include "broker/group.h"
#include "broker/handler.h"
#include "broker/txn.h"

#include "base/log.h"
#include "proto/records.h"

#include <stdlib.h>
#include <string.h>

/* Writes the offsets as one transactional batch into the group's partition. */
static bs_err_t write_txn_offsets(bs_broker_t *b, const char *group, int64_t pid, int16_t epoch,
                                  const bs_goffset_t *offs, int n)
{
    bs_topic_t *t = bs_offsets_topic(b);
    if (!t)
        return BS_ERR_COORDINATOR_NOT_AVAILABLE;
    bs_wbuf_t kv, batch;
    bs_rec_t *recs = bs_xcalloc((size_t)n, sizeof(*recs));
    size_t *koff = bs_xcalloc((size_t)n * 4, sizeof(size_t));
    bs_err_t err = BS_ERR_KAFKA_STORAGE_ERROR;
    bs_wbuf_init(&kv);
    bs_wbuf_init(&batch);
    for (int i = 0; i < n; i++) {
        koff[4 * i] = kv.len;
        bs_gstore_enc_offset_key(&kv, group, offs[i].topic, offs[i].partition);
        koff[4 * i + 1] = kv.len;
        bs_gstore_enc_offset_value(&kv, &offs[i]);
        koff[4 * i + 2] = kv.len;
    }
    for (int i = 0; i < n; i++) {
        recs[i].key = kv.data + koff[4 * i];
        recs[i].key_len = (int32_t)(koff[4 * i + 1] - koff[4 * i]);
        recs[i].value = kv.data + koff[4 * i + 1];
        recs[i].value_len = (int32_t)(koff[4 * i + 2] - koff[4 * i + 1]);
    }
    if (bs_batch_build(&batch, recs, n, bs_wall_ms(), BS_CODEC_NONE, pid, epoch, -1,
                       BS_BATCH_ATTR_TRANSACTIONAL) == 0) {
        bs_partition_t *p = t->parts[bs_gstore_partition_for(group, strlen(group), t->npart)];
        bs_pidstate_t *ps = bs_partition_pids(p);
        bs_plog_append_info_t ai;
        err = bs_plog_append(p->log, batch.data, batch.len, bs_wall_ms(), 0, &ai);
        if (err == BS_ERR_NONE) {
            bs_batch_hdr_t h;
            bs_batch_hdr_parse(batch.data, batch.len, &h);
            bs_pidstate_update(ps, &h, bs_wall_ms());
        }
    }
    free(recs);
    free(koff);
    bs_wbuf_free(&kv);
    bs_wbuf_free(&batch);
    return err;
}

bs_err_t bs_handle_txn_offset_commit(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_TxnOffsetCommitRequest_t rq;
    bs_TxnOffsetCommitResponse_t rs;

    bs_TxnOffsetCommitRequest_init(&rq);
    if (BS_DECODE(req, TxnOffsetCommitRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_TxnOffsetCommitResponse_init(&rs);
    char *group = bs_req_cstr(req, rq.GroupId);
    bs_err_t err = rq.GroupId.len > 0
                       ? bs_txn_check_offset_commit(b, rq.TransactionalId, rq.ProducerId,
                                                    rq.ProducerEpoch, group)
                       : BS_ERR_INVALID_GROUP_ID;
    if (err == BS_ERR_NONE && req->api_version >= 3 && rq.GenerationId >= 0) {
        /* KIP-447: a fenced consumer generation cannot commit */
        bs_group_t *g = bs_group_find(b->groups, group, strlen(group));
        if (g && g->generation != rq.GenerationId)
            err = BS_ERR_ILLEGAL_GENERATION;
    }
    int total = 0;
    for (int i = 0; i < rq.Topics_count; i++)
        total += rq.Topics[i].Partitions_count > 0 ? rq.Topics[i].Partitions_count : 0;
    bs_goffset_t *offs = BS_ARR(req, bs_goffset_t, total);
    int n = 0;
    int64_t now = bs_wall_ms();
    for (int i = 0; i < rq.Topics_count && err == BS_ERR_NONE; i++) {
        bs_TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic_t *tt = &rq.Topics[i];
        for (int j = 0; j < tt->Partitions_count; j++) {
            bs_TxnOffsetCommitRequest_TxnOffsetCommitRequestPartition_t *pp = &tt->Partitions[j];
            bs_goffset_t *o = &offs[n++];
            o->topic = bs_req_cstr(req, tt->Name);
            o->partition = pp->PartitionIndex;
            o->offset = pp->CommittedOffset;
            o->leader_epoch = req->api_version >= 2 ? pp->CommittedLeaderEpoch : -1;
            o->metadata = bs_req_cstr(req, pp->CommittedMetadata);
            o->commit_ts = now;
        }
    }
    if (err == BS_ERR_NONE && n > 0) {
        /* durable now, visible when the transaction commits */
        err = write_txn_offsets(b, group, rq.ProducerId, rq.ProducerEpoch, offs, n);
        if (err == BS_ERR_NONE) {
            bs_group_t *g = bs_group_get_or_create(b->groups, group, strlen(group));
            for (int i = 0; i < n; i++)
                bs_group_txn_add(g, rq.ProducerId, offs[i].topic, offs[i].partition, offs[i].offset,
                                 offs[i].leader_epoch, offs[i].metadata);
        }
    }
    int nt = rq.Topics_count > 0 ? rq.Topics_count : 0;
    rs.Topics = BS_ARR(req, bs_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_t, nt);
    rs.Topics_count = nt;
    for (int i = 0; i < nt; i++) {
        bs_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_t *tr = &rs.Topics[i];
        bs_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_init(tr);
        tr->Name = rq.Topics[i].Name;
        int np = rq.Topics[i].Partitions_count > 0 ? rq.Topics[i].Partitions_count : 0;
        tr->Partitions =
            BS_ARR(req, bs_TxnOffsetCommitResponse_TxnOffsetCommitResponsePartition_t, np);
        tr->Partitions_count = np;
        for (int j = 0; j < np; j++) {
            bs_TxnOffsetCommitResponse_TxnOffsetCommitResponsePartition_init(&tr->Partitions[j]);
            tr->Partitions[j].PartitionIndex = rq.Topics[i].Partitions[j].PartitionIndex;
            tr->Partitions[j].ErrorCode = (int16_t)err;
        }
    }
    bs_req_respond(req, TxnOffsetCommitResponse, &rs);
    return BS_ERR_NONE;
}
