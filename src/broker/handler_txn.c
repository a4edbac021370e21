/*
 * handler_txn.c — producer ids: InitProducerId (22) v0–4.
 *
 * Producer ids are never reused, also across restarts: they are handed out
 * from blocks of 1000 whose upper bound is persisted (written and fsynced)
 * in <first log dir>/basin-producer-ids before any id of the block is used
 * (Kafka's AllocateProducerIds does the same with blocks of 1000).
 *
 * Idempotent-only producers (null TransactionalId) get a fresh id with epoch
 * 0; with v3+ a producer that names its current id and epoch gets the epoch
 * bumped (KIP-360), or a fresh id when the epoch would overflow.
 */
#include "broker/handler.h"
#include "broker/txn.h"

#include "base/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PID_BLOCK 1000
#define PID_FILE  "basin-producer-ids"

static int pid_cb(void *opaque, const char *key, const char *value, int lineno)
{
    (void)lineno;
    if (strcmp(key, "next.block.start") == 0)
        *(int64_t *)opaque = strtoll(value, NULL, 10);
    return 0;
}

int64_t bs_producer_id_next(bs_broker_t *b)
{
    char path[4096], err[256], v[32];
    snprintf(path, sizeof(path), "%s/" PID_FILE, b->cfg->log_dirs[0]);
    if (b->pid_limit == 0) {
        int64_t start = 0;
        bs_props_parse_file(path, pid_cb, &start, err, sizeof(err)); /* absent: 0 */
        b->pid_next = b->pid_limit = start;
    }
    if (b->pid_next >= b->pid_limit) {
        int64_t limit = b->pid_limit + PID_BLOCK;
        const char *k[] = {"next.block.start"};
        const char *vals[] = {v};
        snprintf(v, sizeof(v), "%" PRId64, limit);
        if (bs_props_write_atomic(path, k, vals, 1, err, sizeof(err)) < 0) {
            bs_log_error("producer-ids", "cannot persist %s: %s", path, err);
            return -1;
        }
        b->pid_next = b->pid_limit;
        b->pid_limit = limit;
    }
    return b->pid_next++;
}

bs_err_t bs_handle_init_producer_id(bs_req_t *req)
{
    bs_InitProducerIdRequest_t rq;
    bs_InitProducerIdResponse_t rs;

    bs_InitProducerIdRequest_init(&rq);
    if (BS_DECODE(req, InitProducerIdRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_InitProducerIdResponse_init(&rs);
    rs.ThrottleTimeMs = 0;
    rs.ProducerId = -1;
    rs.ProducerEpoch = -1;
    if (rq.TransactionalId.len >= 0) {
        rs.ErrorCode = (int16_t)bs_txn_init_producer(req, &rq, &rs);
    } else if (req->api_version >= 3 && rq.ProducerId >= 0 && rq.ProducerEpoch >= 0 &&
               rq.ProducerEpoch < INT16_MAX - 1 && rq.ProducerId < req->b->pid_next) {
        rs.ErrorCode = 0;
        rs.ProducerId = rq.ProducerId;
        rs.ProducerEpoch = (int16_t)(rq.ProducerEpoch + 1);
    } else {
        int64_t pid = bs_producer_id_next(req->b);
        rs.ErrorCode = pid < 0 ? BS_ERR_KAFKA_STORAGE_ERROR : 0;
        rs.ProducerId = pid;
        rs.ProducerEpoch = pid < 0 ? -1 : 0;
    }
    bs_req_respond(req, InitProducerIdResponse, &rs);
    return BS_ERR_NONE;
}
