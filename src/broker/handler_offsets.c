/*
 * handler_offsets.c — ListOffsets (2) v1–7, OffsetForLeaderEpoch (23) v2–4
 * and DeleteRecords (21) v0–2: the APIs that read or move a partition's
 * offsets without reading records.
 *
 * ListOffsets timestamps: -1 latest (the last stable offset for
 * read_committed), -2 earliest, -3 max timestamp (v7, KIP-734), otherwise
 * the first offset whose timestamp is >= the given one (time index).
 * Leader epochs are constantly 0 on this single-node broker.
 */
#include "broker/handler.h"

bs_err_t bs_handle_list_offsets(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_ListOffsetsRequest_t rq;
    bs_ListOffsetsResponse_t rs;

    bs_ListOffsetsRequest_init(&rq);
    if (BS_DECODE(req, ListOffsetsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_ListOffsetsResponse_init(&rs);
    int nt = rq.Topics_count > 0 ? rq.Topics_count : 0;
    rs.Topics = BS_ARR(req, bs_ListOffsetsResponse_ListOffsetsTopicResponse_t, nt);
    rs.Topics_count = nt;
    for (int i = 0; i < nt; i++) {
        bs_ListOffsetsRequest_ListOffsetsTopic_t *qt = &rq.Topics[i];
        bs_ListOffsetsResponse_ListOffsetsTopicResponse_t *tt = &rs.Topics[i];
        bs_ListOffsetsResponse_ListOffsetsTopicResponse_init(tt);
        tt->Name = qt->Name;
        int np = qt->Partitions_count > 0 ? qt->Partitions_count : 0;
        tt->Partitions = BS_ARR(req, bs_ListOffsetsResponse_ListOffsetsPartitionResponse_t, np);
        tt->Partitions_count = np;
        for (int j = 0; j < np; j++) {
            bs_ListOffsetsRequest_ListOffsetsPartition_t *qp = &qt->Partitions[j];
            bs_ListOffsetsResponse_ListOffsetsPartitionResponse_t *pp = &tt->Partitions[j];
            bs_ListOffsetsResponse_ListOffsetsPartitionResponse_init(pp);
            pp->PartitionIndex = qp->PartitionIndex;
            pp->Timestamp = -1;
            pp->Offset = -1;
            pp->LeaderEpoch = 0;
            bs_partition_t *p = bs_topics_partition(b, qt->Name, qp->PartitionIndex);
            if (!p) {
                pp->ErrorCode = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (req->api_version >= 4 && qp->CurrentLeaderEpoch > 0) {
                pp->ErrorCode = BS_ERR_UNKNOWN_LEADER_EPOCH;
                continue;
            }
            bs_plog_t *log = p->log;
            if (qp->Timestamp == -1) {
                pp->Offset = bs_plog_end_offset(log);
                if (rq.IsolationLevel == 1) /* read_committed: the last stable offset */
                    pp->Offset = bs_pidstate_lso(bs_partition_pids(p), pp->Offset);
            } else if (qp->Timestamp == -2) {
                pp->Offset = bs_plog_start_offset(log);
            } else if (qp->Timestamp == -3) {
                int64_t off, ts;
                bs_plog_max_timestamp(log, &off, &ts);
                pp->Offset = off;
                pp->Timestamp = ts;
            } else if (qp->Timestamp < 0) {
                pp->ErrorCode = BS_ERR_INVALID_REQUEST;
            } else {
                int64_t off = -1, ts = -1;
                bs_err_t err = bs_plog_offset_for_timestamp(log, qp->Timestamp, &off, &ts);
                if (err != BS_ERR_NONE)
                    pp->ErrorCode = (int16_t)(err >= 0 ? err : BS_ERR_KAFKA_STORAGE_ERROR);
                pp->Offset = off;
                pp->Timestamp = ts;
            }
        }
    }
    bs_req_respond(req, ListOffsetsResponse, &rs);
    return BS_ERR_NONE;
}

bs_err_t bs_handle_offset_for_leader_epoch(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_OffsetForLeaderEpochRequest_t rq;
    bs_OffsetForLeaderEpochResponse_t rs;

    bs_OffsetForLeaderEpochRequest_init(&rq);
    if (BS_DECODE(req, OffsetForLeaderEpochRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_OffsetForLeaderEpochResponse_init(&rs);
    int nt = rq.Topics_count > 0 ? rq.Topics_count : 0;
    rs.Topics = BS_ARR(req, bs_OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult_t, nt);
    rs.Topics_count = nt;
    for (int i = 0; i < nt; i++) {
        bs_OffsetForLeaderEpochRequest_OffsetForLeaderTopic_t *qt = &rq.Topics[i];
        bs_OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult_t *tt = &rs.Topics[i];
        bs_OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult_init(tt);
        tt->Topic = qt->Topic;
        int np = qt->Partitions_count > 0 ? qt->Partitions_count : 0;
        tt->Partitions = BS_ARR(req, bs_OffsetForLeaderEpochResponse_EpochEndOffset_t, np);
        tt->Partitions_count = np;
        for (int j = 0; j < np; j++) {
            bs_OffsetForLeaderEpochRequest_OffsetForLeaderPartition_t *qp = &qt->Partitions[j];
            bs_OffsetForLeaderEpochResponse_EpochEndOffset_t *ep = &tt->Partitions[j];
            bs_OffsetForLeaderEpochResponse_EpochEndOffset_init(ep);
            ep->Partition = qp->Partition;
            ep->LeaderEpoch = -1;
            ep->EndOffset = -1;
            bs_partition_t *p = bs_topics_partition(b, qt->Topic, qp->Partition);
            if (!p) {
                ep->ErrorCode = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else if (qp->CurrentLeaderEpoch > 0) {
                ep->ErrorCode = BS_ERR_UNKNOWN_LEADER_EPOCH;
            } else if (qp->LeaderEpoch > 0) {
                /* Kafka answers a future epoch with UNDEFINED epoch/offset */
                ep->ErrorCode = 0;
            } else {
                /* the only epoch there has ever been is 0: it ends at the LEO */
                ep->ErrorCode = 0;
                ep->LeaderEpoch = 0;
                ep->EndOffset = bs_plog_end_offset(p->log);
            }
        }
    }
    bs_req_respond(req, OffsetForLeaderEpochResponse, &rs);
    return BS_ERR_NONE;
}

bs_err_t bs_handle_delete_records(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_DeleteRecordsRequest_t rq;
    bs_DeleteRecordsResponse_t rs;

    bs_DeleteRecordsRequest_init(&rq);
    if (BS_DECODE(req, DeleteRecordsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_DeleteRecordsResponse_init(&rs);
    int nt = rq.Topics_count > 0 ? rq.Topics_count : 0;
    rs.Topics = BS_ARR(req, bs_DeleteRecordsResponse_DeleteRecordsTopicResult_t, nt);
    rs.Topics_count = nt;
    for (int i = 0; i < nt; i++) {
        bs_DeleteRecordsRequest_DeleteRecordsTopic_t *qt = &rq.Topics[i];
        bs_DeleteRecordsResponse_DeleteRecordsTopicResult_t *tt = &rs.Topics[i];
        bs_DeleteRecordsResponse_DeleteRecordsTopicResult_init(tt);
        tt->Name = qt->Name;
        int np = qt->Partitions_count > 0 ? qt->Partitions_count : 0;
        tt->Partitions = BS_ARR(req, bs_DeleteRecordsResponse_DeleteRecordsPartitionResult_t, np);
        tt->Partitions_count = np;
        for (int j = 0; j < np; j++) {
            bs_DeleteRecordsRequest_DeleteRecordsPartition_t *qp = &qt->Partitions[j];
            bs_DeleteRecordsResponse_DeleteRecordsPartitionResult_t *pr = &tt->Partitions[j];
            bs_DeleteRecordsResponse_DeleteRecordsPartitionResult_init(pr);
            pr->PartitionIndex = qp->PartitionIndex;
            pr->LowWatermark = -1;
            bs_partition_t *p = bs_topics_partition(b, qt->Name, qp->PartitionIndex);
            if (!p) {
                pr->ErrorCode = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (qp->Offset < -1) {
                pr->ErrorCode = BS_ERR_OFFSET_OUT_OF_RANGE;
                continue;
            }
            bs_err_t err = bs_plog_delete_records(p->log, qp->Offset);
            pr->ErrorCode = (int16_t)(err >= 0 ? err : BS_ERR_KAFKA_STORAGE_ERROR);
            pr->LowWatermark = bs_plog_start_offset(p->log);
        }
    }
    bs_req_respond(req, DeleteRecordsResponse, &rs);
    return BS_ERR_NONE;
}
