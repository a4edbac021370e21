/*
 * txn.c — the transaction coordinator; see txn.h for the state machine.
 *
 * __transaction_state records (Kafka's formats, non-flexible v0):
 *   key   = int16 version 0, string TransactionalId
 *   value = int16 version 0, int64 ProducerId, int16 ProducerEpoch,
 *           int32 TransactionTimeoutMs, int8 TransactionStatus,
 *           [string Topic, [int32 PartitionIds]] TransactionPartitions,
 *           int64 TransactionLastUpdateTimestampMs,
 *           int64 TransactionStartTimestampMs
 * The partition of a transactional id is abs(javaHashCode(id)) % N, as in
 * Kafka, so a __transaction_state written by Basin has Kafka's shape.
 */
#include "broker/txn.h"

#include "broker/group.h"

#include "base/log.h"
#include "broker/handler.h"
#include "broker/logscan.h"
#include "proto/records.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TXN_TOPIC "__transaction_state"
#define COMP      "txn"

static const char *state_names[] = {
    "Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead"};

const char *bs_txn_state_name(int state)
{
    return state >= 0 && state <= BS_TXN_DEAD ? state_names[state] : "Unknown";
}

/* ---- in-memory state ---- */

static void txn_free(bs_txn_t *t)
{
    for (int i = 0; i < t->nparts; i++)
        free(t->parts[i].topic);
    free(t->parts);
    for (int i = 0; i < t->ngroups; i++)
        free(t->groups[i]);
    free(t->groups);
    free(t->id);
    free(t);
}

static void txn_clear_parts(bs_txn_t *t)
{
    for (int i = 0; i < t->nparts; i++)
        free(t->parts[i].topic);
    t->nparts = 0;
    for (int i = 0; i < t->ngroups; i++)
        free(t->groups[i]);
    t->ngroups = 0;
}

static bool txn_has_part(const bs_txn_t *t, const char *topic, int32_t p)
{
    for (int i = 0; i < t->nparts; i++)
        if (t->parts[i].partition == p && strcmp(t->parts[i].topic, topic) == 0)
            return true;
    return false;
}

static void txn_add_part(bs_txn_t *t, const char *topic, int32_t p)
{
    if (txn_has_part(t, topic, p))
        return;
    if (t->nparts == t->capparts) {
        t->capparts = t->capparts ? t->capparts * 2 : 8;
        t->parts = bs_xrealloc(t->parts, (size_t)t->capparts * sizeof(*t->parts));
    }
    t->parts[t->nparts].topic = bs_xstrdup(topic);
    t->parts[t->nparts].partition = p;
    t->nparts++;
}

static void txn_index_pid(bs_broker_t *b, bs_txn_t *t, int64_t old_pid)
{
    if (old_pid >= 0 && old_pid != t->pid &&
        bs_hmap_get(&b->txn_pids, (const char *)&old_pid, sizeof(old_pid)) == t)
        bs_hmap_del(&b->txn_pids, (const char *)&old_pid, sizeof(old_pid));
    if (t->pid >= 0)
        bs_hmap_put(&b->txn_pids, (const char *)&t->pid, sizeof(t->pid), t);
}

bs_txn_t *bs_txn_find(bs_broker_t *b, bs_kstr_t id)
{
    if (id.len < 0)
        return NULL;
    return bs_hmap_get(&b->txns, id.ptr ? id.ptr : "", (size_t)id.len);
}

bs_txn_t *bs_txn_by_pid(bs_broker_t *b, int64_t pid)
{
    return bs_hmap_get(&b->txn_pids, (const char *)&pid, sizeof(pid));
}

/* ---- persistence ---- */

static bs_topic_t *txn_topic(bs_broker_t *b)
{
    bs_topic_t *t = bs_topics_find(b, TXN_TOPIC, strlen(TXN_TOPIC));
    if (t)
        return t;
    char err[256];
    bs_topic_overrides_t ov = {0};
    bs_topic_overrides_set(&ov, "cleanup.policy", "compact");
    char seg[32];
    snprintf(seg, sizeof(seg), "%d", b->cfg->transaction_state_log_segment_bytes);
    bs_topic_overrides_set(&ov, "segment.bytes", seg);
    if (bs_topics_create(b, TXN_TOPIC, b->cfg->transaction_state_log_num_partitions, &ov, false,
                         err, sizeof(err), &t) != BS_ERR_NONE) {
        bs_log_error(COMP, "cannot create %s: %s", TXN_TOPIC, err);
        t = NULL;
    }
    bs_topic_overrides_free(&ov);
    return t;
}

static void put16(bs_wbuf_t *w, int16_t v)
{
    bs_wbuf_be16(w, (uint16_t)v);
}
static void putstr(bs_wbuf_t *w, const char *s)
{
    size_t n = strlen(s);
    put16(w, (int16_t)n);
    bs_wbuf_put(w, s, n);
}

/* Appends one record (value NULL = tombstone) to the id's partition. */
static bs_err_t txn_persist(bs_broker_t *b, bs_txn_t *t, bool tombstone)
{
    bs_topic_t *tp = txn_topic(b);
    bs_wbuf_t k, v, batch;
    bs_err_t err = BS_ERR_KAFKA_STORAGE_ERROR;
    if (!tp)
        return err;
    bs_wbuf_init(&k);
    bs_wbuf_init(&v);
    bs_wbuf_init(&batch);
    put16(&k, 0);
    putstr(&k, t->id);
    if (!tombstone) {
        put16(&v, 0);
        bs_wbuf_be64(&v, (uint64_t)t->pid);
        put16(&v, t->epoch);
        bs_wbuf_be32(&v, (uint32_t)t->timeout_ms);
        bs_wbuf_u8(&v, (uint8_t)t->state);
        /* partitions grouped by topic */
        size_t cntpos = v.len;
        bs_wbuf_be32(&v, 0);
        int ntopics = 0;
        for (int i = 0; i < t->nparts; i++) {
            bool seen = false;
            for (int j = 0; j < i && !seen; j++)
                seen = strcmp(t->parts[j].topic, t->parts[i].topic) == 0;
            if (seen)
                continue;
            ntopics++;
            putstr(&v, t->parts[i].topic);
            size_t np = v.len;
            bs_wbuf_be32(&v, 0);
            int n = 0;
            for (int j = i; j < t->nparts; j++)
                if (strcmp(t->parts[j].topic, t->parts[i].topic) == 0) {
                    bs_wbuf_be32(&v, (uint32_t)t->parts[j].partition);
                    n++;
                }
            bs_wbuf_patch_be32(&v, np, (uint32_t)n);
        }
        bs_wbuf_patch_be32(&v, cntpos, (uint32_t)ntopics);
        bs_wbuf_be64(&v, (uint64_t)t->update_ms);
        bs_wbuf_be64(&v, (uint64_t)t->start_ms);
    }
    bs_rec_t rec = {0};
    rec.key = k.data;
    rec.key_len = (int32_t)k.len;
    rec.value = tombstone ? NULL : v.data;
    rec.value_len = tombstone ? -1 : (int32_t)v.len;
    if (bs_batch_build(&batch, &rec, 1, bs_wall_ms(), BS_CODEC_NONE, -1, -1, -1, 0) == 0) {
        int32_t pi = bs_gstore_partition_for(t->id, strlen(t->id), tp->npart);
        bs_plog_append_info_t ai;
        err = bs_plog_append(tp->parts[pi]->log, batch.data, batch.len, bs_wall_ms(), 0, &ai);
    }
    if (err != BS_ERR_NONE)
        bs_log_error(COMP, "cannot persist transaction %s: %s", t->id, bs_err_name(err));
    bs_wbuf_free(&k);
    bs_wbuf_free(&v);
    bs_wbuf_free(&batch);
    return err;
}

/* ---- markers ---- */

bs_err_t bs_txn_write_marker(bs_broker_t *b, bs_partition_t *p, int64_t pid, int16_t epoch,
                             bool commit)
{
    uint8_t key[4] = {0, 0, 0, (uint8_t)(commit ? 1 : 0)};
    uint8_t val[6] = {0, 0, 0, 0, 0, 0}; /* version 0, coordinator epoch 0 */
    bs_rec_t rec = {0};
    bs_wbuf_t w;
    bs_plog_append_info_t ai;
    bs_err_t err = BS_ERR_KAFKA_STORAGE_ERROR;

    rec.key = key;
    rec.key_len = 4;
    rec.value = val;
    rec.value_len = 6;
    bs_wbuf_init(&w);
    if (bs_batch_build(&w, &rec, 1, bs_wall_ms(), BS_CODEC_NONE, pid, epoch, -1,
                       BS_BATCH_ATTR_TRANSACTIONAL | BS_BATCH_ATTR_CONTROL) == 0) {
        bs_pidstate_t *ps = bs_partition_pids(p);
        err = bs_plog_append(p->log, w.data, w.len, bs_wall_ms(), 0, &ai);
        if (err == BS_ERR_NONE) {
            bs_pidstate_marker(ps, pid, commit, ai.BaseOffset);
            bs_pid_entry_t *e = bs_pidstate_get(ps, pid);
            if (e && epoch > e->epoch) {
                e->epoch = epoch; /* the marker fences older epochs */
                e->nbatches = 0;
            }
            bs_fetch_notify(b, p, (int64_t)w.len);
        }
    }
    bs_wbuf_free(&w);
    return err;
}

/* Writes markers to every partition of t, completes the group offsets and
 * moves t to Complete{Commit,Abort}. */
static bs_err_t txn_end(bs_broker_t *b, bs_txn_t *t, bool commit)
{
    bs_err_t err;
    t->state = commit ? BS_TXN_PREPARE_COMMIT : BS_TXN_PREPARE_ABORT;
    t->update_ms = bs_wall_ms();
    err = txn_persist(b, t, false);
    if (err != BS_ERR_NONE)
        return err;
    for (int i = 0; i < t->nparts; i++) {
        bs_topic_t *tp = bs_topics_find(b, t->parts[i].topic, strlen(t->parts[i].topic));
        if (!tp || t->parts[i].partition >= tp->npart)
            continue; /* deleted meanwhile */
        err = bs_txn_write_marker(b, tp->parts[t->parts[i].partition], t->pid, t->epoch, commit);
        if (err != BS_ERR_NONE)
            return err;
    }
    for (int i = 0; i < t->ngroups; i++)
        bs_group_txn_complete(b, t->groups[i], t->pid, commit);
    bs_log_debug(COMP, "transaction %s (producer %" PRId64 ", epoch %d) %s on %d partition(s)",
                 t->id, t->pid, t->epoch, commit ? "committed" : "aborted", t->nparts);
    txn_clear_parts(t);
    t->state = commit ? BS_TXN_COMPLETE_COMMIT : BS_TXN_COMPLETE_ABORT;
    t->update_ms = bs_wall_ms();
    return txn_persist(b, t, false);
}

/* Fences the current producer (epoch + 1) and aborts its open transaction. */
static bs_err_t txn_fence_abort(bs_broker_t *b, bs_txn_t *t)
{
    if (t->epoch >= INT16_MAX - 1) {
        int64_t old = t->pid;
        t->pid = bs_producer_id_next(b);
        t->epoch = 0;
        txn_index_pid(b, t, old);
    } else {
        t->epoch++;
    }
    return txn_end(b, t, false);
}

void bs_txn_expire(bs_broker_t *b, int64_t now_ms)
{
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&b->txns, &it, &e)) {
        bs_txn_t *t = e->val;
        if (t->state == BS_TXN_ONGOING && now_ms - t->start_ms > t->timeout_ms) {
            bs_log_info(COMP, "transaction %s timed out after %d ms: aborting", t->id,
                        t->timeout_ms);
            txn_fence_abort(b, t);
        }
    }
}

bs_err_t bs_txn_check_produce(bs_broker_t *b, int64_t pid, int16_t epoch, bs_partition_t *p)
{
    bs_txn_t *t = bs_txn_by_pid(b, pid);
    if (!t)
        return BS_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (epoch < t->epoch)
        return BS_ERR_INVALID_PRODUCER_EPOCH;
    if (t->state != BS_TXN_ONGOING || !txn_has_part(t, p->topic->name, p->id))
        return BS_ERR_INVALID_TXN_STATE;
    return BS_ERR_NONE;
}

/* ---- loading ---- */

typedef struct {
    bs_broker_t *b;
    int n;
} load_ctx_t;

static int rd16(const uint8_t *p, size_t len, size_t *o, int16_t *v)
{
    if (len - *o < 2)
        return -1;
    *v = (int16_t)((p[*o] << 8) | p[*o + 1]);
    *o += 2;
    return 0;
}
static int rdn(const uint8_t *p, size_t len, size_t *o, int n, int64_t *v)
{
    if (len - *o < (size_t)n)
        return -1;
    uint64_t x = 0;
    for (int i = 0; i < n; i++)
        x = (x << 8) | p[*o + (size_t)i];
    *o += (size_t)n;
    if (n == 4)
        *v = (int32_t)(uint32_t)x;
    else
        *v = (int64_t)x;
    return 0;
}
static int rdstr(const uint8_t *p, size_t len, size_t *o, const char **s, int16_t *sl)
{
    if (rd16(p, len, o, sl) < 0 || *sl < 0 || len - *o < (size_t)*sl)
        return -1;
    *s = (const char *)p + *o;
    *o += (size_t)*sl;
    return 0;
}

int bs_txn_apply_record(bs_broker_t *b, const uint8_t *key, int32_t klen, const uint8_t *val,
                        int32_t vlen, int64_t offset)
{
    size_t o = 0;
    int16_t ver, sl;
    const char *id;
    if (!key || klen < 0 || rd16(key, (size_t)klen, &o, &ver) < 0 || ver != 0 ||
        rdstr(key, (size_t)klen, &o, &id, &sl) < 0) {
        bs_log_warn(COMP, "%s: skipping undecodable key at offset %" PRId64, TXN_TOPIC, offset);
        return 0;
    }
    bs_txn_t *t = bs_hmap_get(&b->txns, id, (size_t)sl);
    if (vlen < 0) { /* tombstone */
        if (t) {
            bs_hmap_del(&b->txns, id, (size_t)sl);
            if (bs_hmap_get(&b->txn_pids, (const char *)&t->pid, 8) == t)
                bs_hmap_del(&b->txn_pids, (const char *)&t->pid, 8);
            txn_free(t);
        }
        return 1;
    }
    const uint8_t *v = val ? val : (const uint8_t *)"";
    size_t vl = val ? (size_t)vlen : 0;
    int64_t pid, tmo, st, ntop, upd, start;
    int16_t epoch;
    o = 0;
    if (rd16(v, vl, &o, &ver) < 0 || ver < 0 || ver > 1 || rdn(v, vl, &o, 8, &pid) < 0 ||
        rd16(v, vl, &o, &epoch) < 0 || rdn(v, vl, &o, 4, &tmo) < 0 || rdn(v, vl, &o, 1, &st) < 0 ||
        rdn(v, vl, &o, 4, &ntop) < 0 || st < 0 || st > BS_TXN_DEAD) {
        bs_log_warn(COMP, "%s: skipping undecodable value at offset %" PRId64, TXN_TOPIC, offset);
        return 0;
    }
    if (ver == 1) {
        bs_log_warn(COMP,
                    "%s: flexible (v1) transaction records are not read yet (offset %" PRId64 ")",
                    TXN_TOPIC, offset);
        return 0;
    }
    if (!t) {
        t = bs_xcalloc(1, sizeof(*t));
        t->id = bs_xstrndup(id, (size_t)sl);
        t->pid = -1;
        bs_hmap_put(&b->txns, t->id, (size_t)sl, t);
    }
    int64_t oldpid = t->pid;
    t->pid = pid;
    t->epoch = epoch;
    t->timeout_ms = (int32_t)tmo;
    t->state = (int)st;
    txn_clear_parts(t);
    for (int64_t i = 0; i < ntop; i++) {
        const char *tn;
        int16_t tl;
        int64_t np;
        if (rdstr(v, vl, &o, &tn, &tl) < 0 || rdn(v, vl, &o, 4, &np) < 0)
            break;
        char *topic = bs_xstrndup(tn, (size_t)tl);
        for (int64_t j = 0; j < np; j++) {
            int64_t pi;
            if (rdn(v, vl, &o, 4, &pi) < 0)
                break;
            txn_add_part(t, topic, (int32_t)pi);
        }
        free(topic);
    }
    if (rdn(v, vl, &o, 8, &upd) == 0 && rdn(v, vl, &o, 8, &start) == 0) {
        t->update_ms = upd;
        t->start_ms = start;
    }
    txn_index_pid(b, t, oldpid);
    return 1;
}

static void load_cb(void *opaque, const bs_batch_hdr_t *h, const bs_rec_t *r, int64_t offset)
{
    load_ctx_t *lc = opaque;
    (void)h;
    lc->n += bs_txn_apply_record(lc->b, r->key, r->key_len, r->value, r->value_len, offset);
}

int bs_txn_load(bs_broker_t *b)
{
    load_ctx_t lc = {b, 0};
    bs_hmap_init(&b->txns);
    bs_hmap_init(&b->txn_pids);
    bs_topic_t *tp = bs_topics_find(b, TXN_TOPIC, strlen(TXN_TOPIC));
    if (!tp)
        return 0;
    int64_t t0 = bs_mono_ms();
    for (int i = 0; i < tp->npart; i++)
        bs_logscan_records(tp->parts[i]->log, 0, load_cb, &lc);
    /* finish what a crash interrupted; open transactions time out normally */
    size_t it = 0;
    const bs_hmap_ent_t *e;
    int completed = 0;
    while (bs_hmap_next(&b->txns, &it, &e)) {
        bs_txn_t *t = e->val;
        if (t->state == BS_TXN_PREPARE_COMMIT || t->state == BS_TXN_PREPARE_ABORT) {
            txn_end(b, t, t->state == BS_TXN_PREPARE_COMMIT);
            completed++;
        }
        if (t->state == BS_TXN_ONGOING && t->start_ms == 0)
            t->start_ms = bs_wall_ms();
    }
    bs_log_info(COMP, "loaded %zu transactional id(s) from %s in %lld ms (%d completed)",
                bs_hmap_count(&b->txns), TXN_TOPIC, (long long)(bs_mono_ms() - t0), completed);
    return 0;
}

void bs_txn_shutdown(bs_broker_t *b)
{
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&b->txns, &it, &e))
        txn_free(e->val);
    bs_hmap_free(&b->txns);
    bs_hmap_free(&b->txn_pids);
}

/* ---- handlers ---- */

/* Validates (pid, epoch) against t: KIP-360/588 error codes. */
static bs_err_t txn_check_producer(const bs_txn_t *t, int64_t pid, int16_t epoch)
{
    if (!t)
        return BS_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (t->pid != pid)
        return BS_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (epoch < t->epoch)
        return BS_ERR_PRODUCER_FENCED;
    if (epoch > t->epoch)
        return BS_ERR_INVALID_PRODUCER_EPOCH;
    return BS_ERR_NONE;
}

/* InitProducerId with a transactional id. */
bs_err_t bs_txn_init_producer(bs_req_t *req, bs_InitProducerIdRequest_t *rq,
                              bs_InitProducerIdResponse_t *rs)
{
    bs_broker_t *b = req->b;
    bs_txn_t *t = bs_txn_find(b, rq->TransactionalId);
    if (rq->TransactionTimeoutMs <= 0 ||
        rq->TransactionTimeoutMs > b->cfg->transaction_max_timeout_ms)
        return BS_ERR_INVALID_TRANSACTION_TIMEOUT;
    if (rq->TransactionalId.len == 0)
        return BS_ERR_INVALID_REQUEST;
    if (!t) {
        t = bs_xcalloc(1, sizeof(*t));
        t->id = bs_xstrndup(rq->TransactionalId.ptr, (size_t)rq->TransactionalId.len);
        t->pid = bs_producer_id_next(b);
        if (t->pid < 0) {
            txn_free(t);
            return BS_ERR_KAFKA_STORAGE_ERROR;
        }
        t->epoch = 0;
        t->state = BS_TXN_EMPTY;
        bs_hmap_put(&b->txns, t->id, strlen(t->id), t);
        txn_index_pid(b, t, -1);
    } else {
        if (req->api_version >= 3 && rq->ProducerId >= 0 &&
            (rq->ProducerId != t->pid || rq->ProducerEpoch != t->epoch) &&
            !(rq->ProducerId == t->pid && rq->ProducerEpoch == t->epoch - 1))
            return rq->ProducerId != t->pid ? BS_ERR_INVALID_PRODUCER_ID_MAPPING
                                            : BS_ERR_PRODUCER_FENCED;
        if (t->state == BS_TXN_ONGOING) {
            bs_err_t e = txn_fence_abort(b, t); /* bumps the epoch */
            if (e != BS_ERR_NONE)
                return e;
        } else if (t->epoch >= INT16_MAX - 1) {
            int64_t old = t->pid;
            t->pid = bs_producer_id_next(b);
            t->epoch = 0;
            txn_index_pid(b, t, old);
        } else {
            t->epoch++;
        }
        if (t->state != BS_TXN_COMPLETE_ABORT && t->state != BS_TXN_COMPLETE_COMMIT)
            t->state = BS_TXN_EMPTY;
    }
    t->timeout_ms = rq->TransactionTimeoutMs;
    t->update_ms = bs_wall_ms();
    bs_err_t e = txn_persist(b, t, false);
    if (e != BS_ERR_NONE)
        return e;
    rs->ProducerId = t->pid;
    rs->ProducerEpoch = t->epoch;
    return BS_ERR_NONE;
}

/* Common prologue of AddPartitions/AddOffsets: the txn may take new work. */
static bs_err_t txn_can_add(bs_txn_t *t, int64_t pid, int16_t epoch)
{
    bs_err_t e = txn_check_producer(t, pid, epoch);
    if (e != BS_ERR_NONE)
        return e;
    if (t->state == BS_TXN_PREPARE_ABORT || t->state == BS_TXN_PREPARE_COMMIT)
        return BS_ERR_CONCURRENT_TRANSACTIONS;
    return BS_ERR_NONE;
}

static void txn_begin(bs_txn_t *t)
{
    if (t->state != BS_TXN_ONGOING) {
        t->state = BS_TXN_ONGOING;
        t->start_ms = bs_wall_ms();
    }
    t->update_ms = bs_wall_ms();
}

bs_err_t bs_handle_add_partitions_to_txn(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_AddPartitionsToTxnRequest_t rq;
    bs_AddPartitionsToTxnResponse_t rs;

    bs_AddPartitionsToTxnRequest_init(&rq);
    if (BS_DECODE(req, AddPartitionsToTxnRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_AddPartitionsToTxnResponse_init(&rs);
    bs_txn_t *t = bs_txn_find(b, rq.V3AndBelowTransactionalId);
    bs_err_t terr = txn_can_add(t, rq.V3AndBelowProducerId, rq.V3AndBelowProducerEpoch);
    bool any_unknown = false;
    int nt = rq.V3AndBelowTopics_count > 0 ? rq.V3AndBelowTopics_count : 0;
    for (int i = 0; i < nt && terr == BS_ERR_NONE; i++) {
        bs_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_t *tt = &rq.V3AndBelowTopics[i];
        for (int j = 0; j < tt->Partitions_count; j++)
            if (!bs_topics_partition(b, tt->Name, tt->Partitions[j]))
                any_unknown = true;
    }
    rs.ResultsByTopicV3AndBelow =
        BS_ARR(req, bs_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_t, nt);
    rs.ResultsByTopicV3AndBelow_count = nt;
    if (terr == BS_ERR_NONE && !any_unknown) {
        txn_begin(t);
        for (int i = 0; i < nt; i++) {
            bs_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_t *tt = &rq.V3AndBelowTopics[i];
            char *name = bs_req_cstr(req, tt->Name);
            for (int j = 0; j < tt->Partitions_count; j++)
                txn_add_part(t, name, tt->Partitions[j]);
        }
        terr = txn_persist(b, t, false);
    }
    for (int i = 0; i < nt; i++) {
        bs_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_t *tt = &rq.V3AndBelowTopics[i];
        bs_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_t *r =
            &rs.ResultsByTopicV3AndBelow[i];
        bs_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_init(r);
        r->Name = tt->Name;
        int np = tt->Partitions_count > 0 ? tt->Partitions_count : 0;
        r->ResultsByPartition =
            BS_ARR(req, bs_AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult_t, np);
        r->ResultsByPartition_count = np;
        for (int j = 0; j < np; j++) {
            bs_AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult_t *pr =
                &r->ResultsByPartition[j];
            bs_AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult_init(pr);
            pr->PartitionIndex = tt->Partitions[j];
            if (terr != BS_ERR_NONE)
                pr->PartitionErrorCode = (int16_t)terr;
            else if (any_unknown)
                pr->PartitionErrorCode = bs_topics_partition(b, tt->Name, tt->Partitions[j])
                                             ? BS_ERR_OPERATION_NOT_ATTEMPTED
                                             : BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        }
    }
    bs_req_respond(req, AddPartitionsToTxnResponse, &rs);
    return BS_ERR_NONE;
}

bs_err_t bs_handle_add_offsets_to_txn(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_AddOffsetsToTxnRequest_t rq;
    bs_AddOffsetsToTxnResponse_t rs;

    bs_AddOffsetsToTxnRequest_init(&rq);
    if (BS_DECODE(req, AddOffsetsToTxnRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_AddOffsetsToTxnResponse_init(&rs);
    bs_txn_t *t = bs_txn_find(b, rq.TransactionalId);
    bs_err_t err = txn_can_add(t, rq.ProducerId, rq.ProducerEpoch);
    if (err == BS_ERR_NONE && rq.GroupId.len <= 0)
        err = BS_ERR_INVALID_GROUP_ID;
    bs_topic_t *ot = err == BS_ERR_NONE ? bs_offsets_topic(b) : NULL;
    if (err == BS_ERR_NONE && !ot)
        err = BS_ERR_COORDINATOR_NOT_AVAILABLE;
    if (err == BS_ERR_NONE) {
        txn_begin(t);
        char *g = bs_req_cstr(req, rq.GroupId);
        txn_add_part(t, ot->name, bs_gstore_partition_for(g, strlen(g), ot->npart));
        bool have = false;
        for (int i = 0; i < t->ngroups && !have; i++)
            have = strcmp(t->groups[i], g) == 0;
        if (!have) {
            t->groups = bs_xrealloc(t->groups, sizeof(char *) * (size_t)(t->ngroups + 1));
            t->groups[t->ngroups++] = bs_xstrdup(g);
        }
        err = txn_persist(b, t, false);
    }
    rs.ErrorCode = (int16_t)err;
    bs_req_respond(req, AddOffsetsToTxnResponse, &rs);
    return BS_ERR_NONE;
}

/* Checks a TxnOffsetCommit against the transaction (for the group module). */
bs_err_t bs_txn_check_offset_commit(bs_broker_t *b, bs_kstr_t txn_id, int64_t pid, int16_t epoch,
                                    const char *group)
{
    bs_txn_t *t = bs_txn_find(b, txn_id);
    bs_err_t err = txn_check_producer(t, pid, epoch);
    if (err != BS_ERR_NONE)
        return err;
    for (int i = 0; i < t->ngroups; i++)
        if (strcmp(t->groups[i], group) == 0)
            return t->state == BS_TXN_ONGOING ? BS_ERR_NONE : BS_ERR_INVALID_TXN_STATE;
    return BS_ERR_INVALID_TXN_STATE;
}

bs_err_t bs_handle_end_txn(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_EndTxnRequest_t rq;
    bs_EndTxnResponse_t rs;

    bs_EndTxnRequest_init(&rq);
    if (BS_DECODE(req, EndTxnRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_EndTxnResponse_init(&rs);
    bs_txn_t *t = bs_txn_find(b, rq.TransactionalId);
    bs_err_t err = txn_check_producer(t, rq.ProducerId, rq.ProducerEpoch);
    if (err == BS_ERR_NONE) {
        if (t->state == BS_TXN_ONGOING)
            err = txn_end(b, t, rq.Committed);
        else if ((t->state == BS_TXN_COMPLETE_COMMIT && rq.Committed) ||
                 (t->state == BS_TXN_COMPLETE_ABORT && !rq.Committed))
            err = BS_ERR_NONE; /* a retry of the last EndTxn */
        else if (t->state == BS_TXN_EMPTY && !rq.Committed)
            err = BS_ERR_NONE; /* nothing to abort */
        else
            err = BS_ERR_INVALID_TXN_STATE;
    }
    rs.ErrorCode = (int16_t)err;
    if (t) {
        rs.ProducerId = t->pid;
        rs.ProducerEpoch = t->epoch;
    }
    bs_req_respond(req, EndTxnResponse, &rs);
    return BS_ERR_NONE;
}

static void fill_state(bs_req_t *req, bs_DescribeTransactionsResponse_TransactionState_t *s,
                       const bs_txn_t *t)
{
    s->TransactionState = bs_req_str(req, bs_txn_state_name(t->state));
    s->TransactionTimeoutMs = t->timeout_ms;
    s->TransactionStartTimeMs = t->state == BS_TXN_ONGOING ? t->start_ms : -1;
    s->ProducerId = t->pid;
    s->ProducerEpoch = t->epoch;
    /* one entry per topic */
    int nt = 0;
    s->Topics = BS_ARR(req, bs_DescribeTransactionsResponse_TopicData_t, t->nparts);
    for (int i = 0; i < t->nparts; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(t->parts[j].topic, t->parts[i].topic) == 0;
        if (seen)
            continue;
        bs_DescribeTransactionsResponse_TopicData_t *td = &s->Topics[nt++];
        bs_DescribeTransactionsResponse_TopicData_init(td);
        td->Topic = bs_req_str(req, t->parts[i].topic);
        td->Partitions = BS_ARR(req, int32_t, t->nparts);
        td->Partitions_count = 0;
        for (int j = i; j < t->nparts; j++)
            if (strcmp(t->parts[j].topic, t->parts[i].topic) == 0)
                td->Partitions[td->Partitions_count++] = t->parts[j].partition;
    }
    s->Topics_count = nt;
}

bs_err_t bs_handle_describe_transactions(bs_req_t *req)
{
    bs_DescribeTransactionsRequest_t rq;
    bs_DescribeTransactionsResponse_t rs;

    bs_DescribeTransactionsRequest_init(&rq);
    if (BS_DECODE(req, DescribeTransactionsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_DescribeTransactionsResponse_init(&rs);
    int n = rq.TransactionalIds_count > 0 ? rq.TransactionalIds_count : 0;
    rs.TransactionStates = BS_ARR(req, bs_DescribeTransactionsResponse_TransactionState_t, n);
    rs.TransactionStates_count = n;
    for (int i = 0; i < n; i++) {
        bs_DescribeTransactionsResponse_TransactionState_t *s = &rs.TransactionStates[i];
        bs_DescribeTransactionsResponse_TransactionState_init(s);
        s->TransactionalId = rq.TransactionalIds[i];
        bs_txn_t *t = bs_txn_find(req->b, rq.TransactionalIds[i]);
        if (!t) {
            s->ErrorCode = BS_ERR_TRANSACTIONAL_ID_NOT_FOUND;
            s->TransactionState = bs_req_str(req, "");
            s->Topics_count = 0;
            continue;
        }
        fill_state(req, s, t);
    }
    bs_req_respond(req, DescribeTransactionsResponse, &rs);
    return BS_ERR_NONE;
}

bs_err_t bs_handle_list_transactions(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_ListTransactionsRequest_t rq;
    bs_ListTransactionsResponse_t rs;

    bs_ListTransactionsRequest_init(&rq);
    if (BS_DECODE(req, ListTransactionsRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_ListTransactionsResponse_init(&rs);
    int nsf = rq.StateFilters_count > 0 ? rq.StateFilters_count : 0;
    rs.UnknownStateFilters = BS_ARR(req, bs_kstr_t, nsf);
    rs.UnknownStateFilters_count = 0;
    for (int i = 0; i < nsf; i++) {
        bool known = false;
        for (int s = 0; s <= BS_TXN_DEAD && !known; s++)
            known = bs_kstr_eq(rq.StateFilters[i], state_names[s]);
        if (!known)
            rs.UnknownStateFilters[rs.UnknownStateFilters_count++] = rq.StateFilters[i];
    }
    rs.TransactionStates =
        BS_ARR(req, bs_ListTransactionsResponse_TransactionState_t, (int)bs_hmap_count(&b->txns));
    rs.TransactionStates_count = 0;
    size_t it = 0;
    const bs_hmap_ent_t *e;
    int64_t now = bs_wall_ms();
    while (bs_hmap_next(&b->txns, &it, &e)) {
        bs_txn_t *t = e->val;
        bool ok = nsf == 0;
        for (int i = 0; i < nsf && !ok; i++)
            ok = bs_kstr_eq(rq.StateFilters[i], bs_txn_state_name(t->state));
        if (ok && rq.ProducerIdFilters_count > 0) {
            ok = false;
            for (int i = 0; i < rq.ProducerIdFilters_count && !ok; i++)
                ok = rq.ProducerIdFilters[i] == t->pid;
        }
        if (ok && req->api_version >= 1 && rq.DurationFilter >= 0)
            ok = t->state == BS_TXN_ONGOING && now - t->start_ms >= rq.DurationFilter;
        if (!ok)
            continue;
        bs_ListTransactionsResponse_TransactionState_t *s =
            &rs.TransactionStates[rs.TransactionStates_count++];
        bs_ListTransactionsResponse_TransactionState_init(s);
        s->TransactionalId = bs_req_str(req, t->id);
        s->ProducerId = t->pid;
        s->TransactionState = bs_req_str(req, bs_txn_state_name(t->state));
    }
    bs_req_respond(req, ListTransactionsResponse, &rs);
    return BS_ERR_NONE;
}

bs_err_t bs_handle_describe_producers(bs_req_t *req)
{
    bs_broker_t *b = req->b;
    bs_DescribeProducersRequest_t rq;
    bs_DescribeProducersResponse_t rs;

    bs_DescribeProducersRequest_init(&rq);
    if (BS_DECODE(req, DescribeProducersRequest, &rq) != BS_ERR_NONE)
        return BS_ERR__PARSE;
    bs_DescribeProducersResponse_init(&rs);
    int nt = rq.Topics_count > 0 ? rq.Topics_count : 0;
    rs.Topics = BS_ARR(req, bs_DescribeProducersResponse_TopicResponse_t, nt);
    rs.Topics_count = nt;
    for (int i = 0; i < nt; i++) {
        bs_DescribeProducersRequest_TopicRequest_t *qt = &rq.Topics[i];
        bs_DescribeProducersResponse_TopicResponse_t *tr = &rs.Topics[i];
        bs_DescribeProducersResponse_TopicResponse_init(tr);
        tr->Name = qt->Name;
        int np = qt->PartitionIndexes_count > 0 ? qt->PartitionIndexes_count : 0;
        tr->Partitions = BS_ARR(req, bs_DescribeProducersResponse_PartitionResponse_t, np);
        tr->Partitions_count = np;
        for (int j = 0; j < np; j++) {
            bs_DescribeProducersResponse_PartitionResponse_t *pr = &tr->Partitions[j];
            bs_DescribeProducersResponse_PartitionResponse_init(pr);
            pr->PartitionIndex = qt->PartitionIndexes[j];
            pr->ErrorMessage = bs_req_str(req, NULL);
            bs_partition_t *p = bs_topics_partition(b, qt->Name, qt->PartitionIndexes[j]);
            if (!p) {
                pr->ErrorCode = BS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                pr->ActiveProducers_count = 0;
                continue;
            }
            bs_pidstate_t *ps = bs_partition_pids(p);
            pr->ActiveProducers = BS_ARR(req, bs_DescribeProducersResponse_ProducerState_t,
                                         (int)bs_hmap_count(&ps->map));
            pr->ActiveProducers_count = 0;
            size_t it = 0;
            const bs_hmap_ent_t *e;
            while (bs_hmap_next(&ps->map, &it, &e)) {
                const bs_pid_entry_t *pe = e->val;
                bs_DescribeProducersResponse_ProducerState_t *s =
                    &pr->ActiveProducers[pr->ActiveProducers_count++];
                bs_DescribeProducersResponse_ProducerState_init(s);
                s->ProducerId = pe->pid;
                s->ProducerEpoch = pe->epoch;
                s->LastSequence = pe->nbatches ? pe->batches[pe->nbatches - 1].last_seq : -1;
                s->LastTimestamp = pe->nbatches ? pe->batches[pe->nbatches - 1].timestamp : -1;
                s->CoordinatorEpoch = 0;
                s->CurrentTxnStartOffset = pe->txn_first_offset;
            }
        }
    }
    bs_req_respond(req, DescribeProducersResponse, &rs);
    return BS_ERR_NONE;
}
