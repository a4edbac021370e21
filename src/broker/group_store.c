/*
 * group_store.c — committed offsets and group metadata in the internal
 * compacted topic __consumer_offsets, in Kafka's own record formats so the
 * data reads the same as a Kafka broker's:
 *
 *   key   OffsetCommitKey v1     int16 1 | group str | topic str | partition i32
 *   value OffsetCommitValue v3   int16 3 | offset i64 | leaderEpoch i32 |
 *                                metadata str | commitTimestamp i64
 *   key   GroupMetadataKey v2    int16 2 | group str
 *   value GroupMetadataValue v3  int16 3 | protocolType str | generation i32 |
 *                                protocol str? | leader str? | currentStateTimestamp i64 |
 *                                members [memberId str | groupInstanceId str? |
 *                                clientId str | clientHost str | rebalanceTimeout i32 |
 *                                sessionTimeout i32 | subscription bytes | assignment bytes]
 *   (str = int16 length; str? = nullable; bytes = int32 length; a null value is
 *   a tombstone.) The decoder also accepts every older value version and the
 *   flexible v4 forms (compact lengths and tag sections).
 *
 * A group lives in partition Utils.abs(groupId.hashCode()) % numPartitions,
 * like Kafka. Every change is one uncompressed batch appended with a single
 * write() (bs_plog_append) before it is applied in memory; the batch is
 * visible to fetchers at once. At start-up bs_gstore_replay() reads every
 * partition from its start offset and applies the records in order (later
 * records win; tombstones delete), before the broker accepts connections.
 * Offsets sent to a transaction (TxnOffsetCommit, transactional batches) are
 * applied only when their commit marker follows; still-open ones become
 * pending transactional offsets again.
 * Malformed records are logged and skipped, never fatal.
 */
#include "broker/group.h"

#include "base/log.h"
#include "broker/logscan.h"
#include "proto/codec.h"
#include "proto/records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int32_t bs_gstore_partition_for(const char *s, size_t len, int32_t n)
{
    /* Java String.hashCode over UTF-16 code units of the UTF-8 id */
    int32_t h = 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp = p[i];
        size_t extra = cp >= 0xF0 && cp < 0xF8   ? 3
                       : cp >= 0xE0 && cp < 0xF0 ? 2
                       : cp >= 0xC0 && cp < 0xE0 ? 1
                                                 : 0;
        if (cp < 0x80) {
            i++;
        } else if (extra == 0 || i + extra >= len) {
            cp = 0xFFFD; /* invalid or truncated: Java decodes U+FFFD */
            i++;
        } else {
            uint32_t v = cp & (0x3Fu >> extra);
            bool ok = true;
            for (size_t k = 1; k <= extra && ok; k++) {
                ok = (p[i + k] & 0xC0) == 0x80;
                v = (v << 6) | (p[i + k] & 0x3Fu);
            }
            cp = ok ? v : 0xFFFD;
            i += ok ? extra + 1 : 1;
        }
        if (cp >= 0x10000) {
            uint32_t c = cp - 0x10000;
            h = (int32_t)((uint32_t)h * 31u + (0xD800 + (c >> 10)));
            h = (int32_t)((uint32_t)h * 31u + (0xDC00 + (c & 0x3FF)));
        } else {
            h = (int32_t)((uint32_t)h * 31u + cp);
        }
    }
    int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h); /* Kafka's Utils.abs */
    return n > 0 ? a % n : 0;
}

bs_topic_t *bs_gstore_topic(bs_gcoord_t *co)
{
    bs_broker_t *b = co->b;
    char err[256], seg[32];
    if (co->topic)
        return co->topic;
    co->topic = bs_topics_find(b, BS_GROUP_TOPIC, strlen(BS_GROUP_TOPIC));
    if (co->topic || co->loading)
        return co->topic;
    bs_topic_overrides_t ov = {0};
    bs_topic_overrides_set(&ov, "cleanup.policy", "compact");
    snprintf(seg, sizeof(seg), "%d", b->cfg->offsets_topic_segment_bytes);
    bs_topic_overrides_set(&ov, "segment.bytes", seg);
    bs_topic_overrides_set(&ov, "compression.type", "producer");
    bs_topic_t *t = NULL;
    bs_err_t e = bs_topics_create(b, BS_GROUP_TOPIC, b->cfg->offsets_topic_num_partitions, &ov,
                                  false, err, sizeof(err), &t);
    bs_topic_overrides_free(&ov);
    if (e != BS_ERR_NONE || !t) {
        bs_log_error("group", "cannot create %s: %s", BS_GROUP_TOPIC, err);
        return NULL;
    }
    bs_log_info("group", "created %s with %d partitions (cleanup.policy=compact)", BS_GROUP_TOPIC,
                t->npart);
    co->topic = t;
    return t;
}

/* ---- encoders ---- */

static void wr_str(bs_wbuf_t *w, const char *s)
{
    bs_kstr_t k = {s, s ? (int32_t)strlen(s) : -1};
    bs_kwr_str(w, k, 0, 1);
}

void bs_gstore_enc_offset_key(bs_wbuf_t *w, const char *group, const char *topic, int32_t partition)
{
    bs_kwr_i16(w, 1);
    wr_str(w, group);
    wr_str(w, topic);
    bs_kwr_i32(w, partition);
}

void bs_gstore_enc_offset_value(bs_wbuf_t *w, const bs_goffset_t *o)
{
    bs_kwr_i16(w, 3);
    bs_kwr_i64(w, o->offset);
    bs_kwr_i32(w, o->leader_epoch);
    wr_str(w, o->metadata ? o->metadata : "");
    bs_kwr_i64(w, o->commit_ts);
}

void bs_gstore_enc_group_key(bs_wbuf_t *w, const char *group)
{
    bs_kwr_i16(w, 2);
    wr_str(w, group);
}

void bs_gstore_enc_group_value(bs_wbuf_t *w, const bs_group_t *g)
{
    bs_kwr_i16(w, 3);
    wr_str(w, g->protocol_type ? g->protocol_type : "");
    bs_kwr_i32(w, g->generation);
    wr_str(w, g->protocol);
    wr_str(w, g->leader);
    bs_kwr_i64(w, g->state_ts);
    bs_kwr_i32(w, g->nmembers);
    for (int i = 0; i < g->nmembers; i++) {
        const bs_gmember_t *m = g->members[i];
        const bs_gproto_t *sub = NULL;
        for (int k = 0; k < m->nprotos && !sub; k++)
            if (g->protocol && strcmp(m->protos[k].name, g->protocol) == 0)
                sub = &m->protos[k];
        wr_str(w, m->id);
        wr_str(w, m->instance_id);
        wr_str(w, m->client_id ? m->client_id : "");
        wr_str(w, m->client_host ? m->client_host : "");
        bs_kwr_i32(w, m->rebalance_timeout_ms);
        bs_kwr_i32(w, m->session_timeout_ms);
        bs_kbytes_t sb = {sub ? sub->meta : NULL, sub ? sub->len : 0};
        if (!sb.ptr)
            sb.len = 0;
        bs_kwr_bytes(w, sb, 0, 0);
        bs_kbytes_t ab = {m->assignment, m->assignment ? m->assignment_len : 0};
        bs_kwr_bytes(w, ab, 0, 0);
    }
}

/* ---- appends ---- */

typedef struct {
    size_t koff, klen, voff;
    int32_t vlen; /* -1 = tombstone */
} rec_span_t;

static bs_err_t append_records(bs_gcoord_t *co, const char *group_id, bs_wbuf_t *kv,
                               rec_span_t *spans, int n)
{
    bs_err_t err = BS_ERR_NONE;
    bs_wbuf_t batch;
    bs_wbuf_init(&batch);
    bs_rec_t *recs = bs_xcalloc((size_t)(n > 0 ? n : 1), sizeof(*recs));
    bs_topic_t *t = bs_gstore_topic(co);
    if (!t) {
        err = BS_ERR_COORDINATOR_NOT_AVAILABLE;
        goto done;
    }
    int32_t pi = bs_gstore_partition_for(group_id, strlen(group_id), t->npart);
    bs_partition_t *p = t->parts[pi];
    for (int i = 0; i < n; i++) {
        recs[i].key = kv->data + spans[i].koff;
        recs[i].key_len = (int32_t)spans[i].klen;
        recs[i].value = spans[i].vlen >= 0 ? kv->data + spans[i].voff : NULL;
        recs[i].value_len = spans[i].vlen;
    }
    int64_t now = bs_wall_ms();
    if (bs_batch_build(&batch, recs, n, now, BS_CODEC_NONE, -1, -1, -1, 0) < 0) {
        err = BS_ERR_COORDINATOR_NOT_AVAILABLE;
        goto done;
    }
    bs_plog_append_info_t ai;
    err = bs_plog_append(p->log, batch.data, batch.len, now, 0, &ai);
    if (err != BS_ERR_NONE) {
        bs_log_error("group", "append to %s-%d failed: %s", t->name, pi, bs_err_name(err));
        goto done;
    }
    bs_fetch_notify(co->b, p, (int64_t)batch.len);
done:
    free(recs);
    bs_wbuf_free(&batch);
    return err;
}

bs_err_t bs_gstore_put_offsets(bs_gcoord_t *co, const char *group_id,
                               const bs_goffset_t *const *offs, const bool *tombstone, int n)
{
    bs_wbuf_t kv;
    bs_wbuf_init(&kv);
    rec_span_t *spans = bs_xcalloc((size_t)(n > 0 ? n : 1), sizeof(*spans));
    for (int i = 0; i < n; i++) {
        spans[i].koff = kv.len;
        bs_gstore_enc_offset_key(&kv, group_id, offs[i]->topic, offs[i]->partition);
        spans[i].klen = kv.len - spans[i].koff;
        if (tombstone && tombstone[i]) {
            spans[i].vlen = -1;
        } else {
            spans[i].voff = kv.len;
            bs_gstore_enc_offset_value(&kv, offs[i]);
            spans[i].vlen = (int32_t)(kv.len - spans[i].voff);
        }
    }
    bs_err_t err = append_records(co, group_id, &kv, spans, n);
    free(spans);
    bs_wbuf_free(&kv);
    return err;
}

bs_err_t bs_gstore_put_group(bs_gcoord_t *co, bs_group_t *g, bool tombstone)
{
    bs_wbuf_t kv;
    rec_span_t span = {0};
    bs_wbuf_init(&kv);
    bs_gstore_enc_group_key(&kv, g->id);
    span.klen = kv.len;
    if (tombstone) {
        span.vlen = -1;
    } else {
        span.voff = kv.len;
        bs_gstore_enc_group_value(&kv, g);
        span.vlen = (int32_t)(kv.len - span.voff);
    }
    bs_err_t err = append_records(co, g->id, &kv, &span, 1);
    bs_wbuf_free(&kv);
    return err;
}

/* ---- decoding and replay ---- */

static int rd_str(bs_krd_t *rd, bs_kstr_t *s, int flex, int nullable)
{
    return bs_krd_str(rd, s, flex, nullable);
}

static int apply_offset(bs_gcoord_t *co, bs_krd_t *kr, const uint8_t *val, int32_t vlen,
                        int64_t txn_pid, char *err, size_t errlen)
{
    bs_kstr_t group, topic;
    int32_t partition;
    if (rd_str(kr, &group, 0, 0) < 0 || rd_str(kr, &topic, 0, 0) < 0 ||
        bs_krd_i32(kr, &partition) < 0) {
        snprintf(err, errlen, "offset commit key: %s", kr->err);
        return -1;
    }
    if (!val) {
        bs_group_t *g = bs_group_find(co, group.ptr, (size_t)group.len);
        if (g) {
            bs_group_offset_del(g, topic.ptr, (size_t)topic.len, partition);
            if (g->nmembers == 0 && !g->protocol_type && bs_hmap_count(&g->offsets) == 0)
                bs_group_remove(co, g);
        }
        return 0;
    }
    bs_krd_t rd;
    int16_t ver;
    int64_t offset, ts, expire;
    int32_t epoch = -1;
    bs_kstr_t meta;
    bs_krd_init(&rd, val, (size_t)vlen);
    if (bs_krd_i16(&rd, &ver) < 0 || ver < 0 || ver > 4)
        goto bad;
    int flex = ver >= 4;
    if (bs_krd_i64(&rd, &offset) < 0)
        goto bad;
    if (ver >= 3 && bs_krd_i32(&rd, &epoch) < 0)
        goto bad;
    if (rd_str(&rd, &meta, flex, 0) < 0 || bs_krd_i64(&rd, &ts) < 0)
        goto bad;
    if (ver == 1 && bs_krd_i64(&rd, &expire) < 0)
        goto bad;
    if (flex && bs_krd_skip_tags(&rd) < 0)
        goto bad;
    if (group.len <= 0 || memchr(group.ptr, 0, (size_t)group.len))
        goto bad; /* group ids are C strings in memory (see bs_group_find) */
    bs_group_t *g = bs_group_get_or_create(co, group.ptr, (size_t)group.len);
    if (txn_pid >= 0) {
        /* an offset sent to a transaction that is still open: pending */
        char *tn = bs_xstrndup(topic.ptr, (size_t)topic.len);
        char *mn = bs_xstrndup(meta.ptr ? meta.ptr : "", meta.len > 0 ? (size_t)meta.len : 0);
        bs_group_txn_add(g, txn_pid, tn, partition, offset, epoch, mn);
        free(tn);
        free(mn);
        return 0;
    }
    bs_group_offset_set(g, topic.ptr, (size_t)topic.len, partition, offset, epoch, meta.ptr,
                        (size_t)meta.len, ts);
    return 0;
bad:
    snprintf(err, errlen, "offset commit value (version %d) for group %.*s: %s", ver, group.len,
             group.ptr, rd.err[0] ? rd.err : "bad version, or empty group id or NUL byte in it");
    return -1;
}

static int apply_group(bs_gcoord_t *co, bs_krd_t *kr, const uint8_t *val, int32_t vlen, char *err,
                       size_t errlen)
{
    bs_kstr_t group, ptype, proto, leader;
    int16_t ver = -1;
    int32_t gen, n;
    int64_t state_ts = -1;
    bs_krd_t rd;
    bs_group_t *g = NULL;
    if (rd_str(kr, &group, 0, 0) < 0 || group.len <= 0 || memchr(group.ptr, 0, (size_t)group.len)) {
        snprintf(err, errlen, "group metadata key: %s",
                 kr->err[0] ? kr->err : "empty group id or NUL byte in it");
        return -1;
    }
    g = bs_group_find(co, group.ptr, (size_t)group.len);
    if (!val) {
        if (g) {
            bs_group_clear_members(g);
            bs_group_remove(co, g);
        }
        return 0;
    }
    bs_krd_init(&rd, val, (size_t)vlen);
    if (bs_krd_i16(&rd, &ver) < 0 || ver < 0 || ver > 4)
        goto bad;
    int flex = ver >= 4;
    if (rd_str(&rd, &ptype, flex, 0) < 0 || bs_krd_i32(&rd, &gen) < 0 ||
        rd_str(&rd, &proto, flex, 1) < 0 || rd_str(&rd, &leader, flex, 1) < 0)
        goto bad;
    if (ver >= 2 && bs_krd_i64(&rd, &state_ts) < 0)
        goto bad;
    if (bs_krd_arrlen(&rd, &n, flex, 0, 4) < 0)
        goto bad;
    g = bs_group_get_or_create(co, group.ptr, (size_t)group.len);
    bs_group_clear_members(g);
    bs_group_set_str(&g->protocol_type, ptype.len > 0 ? ptype.ptr : NULL, (size_t)ptype.len);
    g->generation = gen;
    bs_group_set_str(&g->protocol, proto.ptr, proto.len > 0 ? (size_t)proto.len : 0);
    if (proto.len < 0)
        bs_group_set_str(&g->protocol, NULL, 0);
    bs_group_set_str(&g->leader, leader.len >= 0 ? leader.ptr : NULL,
                     leader.len > 0 ? (size_t)leader.len : 0);
    for (int32_t i = 0; i < n; i++) {
        bs_kstr_t mid, iid = {NULL, -1}, cid, chost;
        int32_t rt = -1, st;
        bs_kbytes_t sub, asg;
        if (rd_str(&rd, &mid, flex, 0) < 0)
            goto bad;
        if (ver >= 3 && rd_str(&rd, &iid, flex, 1) < 0)
            goto bad;
        if (rd_str(&rd, &cid, flex, 0) < 0 || rd_str(&rd, &chost, flex, 0) < 0)
            goto bad;
        if (ver >= 1 && bs_krd_i32(&rd, &rt) < 0)
            goto bad;
        if (bs_krd_i32(&rd, &st) < 0 || bs_krd_bytes(&rd, &sub, flex, 0) < 0 ||
            bs_krd_bytes(&rd, &asg, flex, 0) < 0)
            goto bad;
        if (flex && bs_krd_skip_tags(&rd) < 0)
            goto bad;
        char *id = NULL;
        bs_group_set_str(&id, mid.ptr, (size_t)mid.len);
        bs_gmember_t *m = bs_group_member_add(g, id);
        free(id);
        if (iid.len >= 0)
            bs_group_set_str(&m->instance_id, iid.ptr, (size_t)iid.len);
        bs_group_set_str(&m->client_id, cid.ptr, (size_t)cid.len);
        bs_group_set_str(&m->client_host, chost.ptr, (size_t)chost.len);
        bs_group_set_str(&m->protocol_type, g->protocol_type,
                         g->protocol_type ? strlen(g->protocol_type) : 0);
        m->session_timeout_ms = st;
        m->rebalance_timeout_ms = rt > 0 ? rt : st;
        m->protos = bs_xcalloc(1, sizeof(*m->protos));
        m->nprotos = 1;
        bs_group_set_str(&m->protos[0].name, g->protocol ? g->protocol : "",
                         g->protocol ? strlen(g->protocol) : 0);
        if (sub.len > 0) {
            m->protos[0].meta = bs_xmalloc((size_t)sub.len);
            memcpy(m->protos[0].meta, sub.ptr, (size_t)sub.len);
            m->protos[0].len = sub.len;
        }
        if (asg.len > 0) {
            m->assignment = bs_xmalloc((size_t)asg.len);
            memcpy(m->assignment, asg.ptr, (size_t)asg.len);
            m->assignment_len = asg.len;
        }
    }
    if (flex && bs_krd_skip_tags(&rd) < 0)
        goto bad;
    /* a group with members comes back Stable: its members keep heartbeating
     * with the same generation; those that do not expire (bs_group_init arms
     * their session timers) */
    g->state = g->nmembers > 0 && g->protocol ? BS_GROUP_STABLE : BS_GROUP_EMPTY;
    g->state_ts = state_ts > 0 ? state_ts : bs_wall_ms();
    return 0;
bad:
    snprintf(err, errlen, "group metadata value (version %d) for group %.*s: %s", ver, group.len,
             group.ptr, rd.err[0] ? rd.err : "unsupported version");
    if (g)
        bs_group_clear_members(g);
    return -1;
}

static int gstore_apply(bs_gcoord_t *co, const uint8_t *key, int32_t klen, const uint8_t *val,
                        int32_t vlen, int64_t txn_pid, char *err, size_t errlen)
{
    bs_krd_t kr;
    int16_t kver;
    if (!key || klen < 2) {
        snprintf(err, errlen, "record without a key");
        return -1;
    }
    bs_krd_init(&kr, key, (size_t)klen);
    bs_krd_i16(&kr, &kver);
    if (vlen < 0)
        val = NULL;
    if (kver == 0 || kver == 1)
        return apply_offset(co, &kr, val, vlen, txn_pid, err, errlen);
    if (kver == 2 && txn_pid < 0)
        return apply_group(co, &kr, val, vlen, err, errlen);
    snprintf(err, errlen, "unknown key version %d", kver);
    return -1;
}

int bs_gstore_apply(bs_gcoord_t *co, const uint8_t *key, int32_t klen, const uint8_t *val,
                    int32_t vlen, char *err, size_t errlen)
{
    return gstore_apply(co, key, klen, val, vlen, -1, err, errlen);
}

/* Records of transactional batches (TxnOffsetCommit) wait here, per
 * producer, for their transaction marker: commit applies them, abort drops
 * them; those still open at the end of the partition become the group's
 * pending transactional offsets again (the transaction coordinator, loaded
 * next, completes or times them out). */
typedef struct txn_rec_s {
    uint8_t *key, *val;
    int32_t klen, vlen;
    int64_t offset;
} txn_rec_t;

typedef struct txn_pending_s {
    int64_t pid;
    txn_rec_t *recs;
    int n, cap;
} txn_pending_t;

typedef struct replay_ctx_s {
    bs_gcoord_t *co;
    bs_topic_t *t;
    bs_partition_t *p;
    int64_t *nrec;
    txn_pending_t *pend;
    int npend;
} replay_ctx_t;

static uint8_t *memdup(const uint8_t *p, size_t n)
{
    uint8_t *d = bs_xmalloc(n);
    memcpy(d, p, n);
    return d;
}

static txn_pending_t *pending_for(replay_ctx_t *rc, int64_t pid, bool create)
{
    for (int i = 0; i < rc->npend; i++)
        if (rc->pend[i].pid == pid)
            return &rc->pend[i];
    if (!create)
        return NULL;
    rc->pend = bs_xrealloc(rc->pend, sizeof(*rc->pend) * (size_t)(rc->npend + 1));
    txn_pending_t *tp = &rc->pend[rc->npend++];
    memset(tp, 0, sizeof(*tp));
    tp->pid = pid;
    return tp;
}

static void pending_drop(replay_ctx_t *rc, txn_pending_t *tp)
{
    for (int i = 0; i < tp->n; i++) {
        free(tp->recs[i].key);
        free(tp->recs[i].val);
    }
    free(tp->recs);
    *tp = rc->pend[--rc->npend];
}

static void replay_apply(replay_ctx_t *rc, const uint8_t *key, int32_t klen, const uint8_t *val,
                         int32_t vlen, int64_t offset, int64_t txn_pid)
{
    char err[256];
    if (gstore_apply(rc->co, key, klen, val, vlen, txn_pid, err, sizeof(err)) < 0)
        bs_log_warn("group", "%s-%d: record at offset %lld skipped: %s", rc->t->name, rc->p->id,
                    (long long)offset, err);
    (*rc->nrec)++;
}

static void replay_cb(void *opaque, const bs_batch_hdr_t *h, const bs_rec_t *r, int64_t offset)
{
    replay_ctx_t *rc = opaque;
    if (h->Attributes & BS_BATCH_ATTR_CONTROL) {
        /* marker key: int16 version, int16 type (0 abort, 1 commit) */
        txn_pending_t *tp = pending_for(rc, h->ProducerId, false);
        if (!tp || r->key_len < 4)
            return;
        if (r->key[3] == 1)
            for (int i = 0; i < tp->n; i++)
                replay_apply(rc, tp->recs[i].key, tp->recs[i].klen, tp->recs[i].val,
                             tp->recs[i].vlen, tp->recs[i].offset, -1);
        pending_drop(rc, tp);
        return;
    }
    if (h->Attributes & BS_BATCH_ATTR_TRANSACTIONAL) {
        txn_pending_t *tp = pending_for(rc, h->ProducerId, true);
        if (tp->n == tp->cap) {
            tp->cap = tp->cap ? tp->cap * 2 : 8;
            tp->recs = bs_xrealloc(tp->recs, sizeof(*tp->recs) * (size_t)tp->cap);
        }
        txn_rec_t *tr = &tp->recs[tp->n++];
        tr->klen = r->key_len;
        tr->vlen = r->value_len;
        tr->key = r->key_len > 0 ? memdup(r->key, (size_t)r->key_len) : NULL;
        tr->val = r->value_len > 0 ? memdup(r->value, (size_t)r->value_len) : NULL;
        tr->offset = offset;
        return;
    }
    replay_apply(rc, r->key, r->key_len, r->value, r->value_len, offset, -1);
}

/* Applies one partition's records in order (see txn_pending_t). */
static int replay_partition(bs_gcoord_t *co, bs_topic_t *t, bs_partition_t *p, int64_t *nrec)
{
    replay_ctx_t rc = {co, t, p, nrec, NULL, 0};
    int r = bs_logscan_records(p->log, 0, replay_cb, &rc);
    while (rc.npend > 0) {
        txn_pending_t *tp = &rc.pend[0];
        for (int i = 0; i < tp->n; i++)
            replay_apply(&rc, tp->recs[i].key, tp->recs[i].klen, tp->recs[i].val, tp->recs[i].vlen,
                         tp->recs[i].offset, tp->pid);
        pending_drop(&rc, tp);
    }
    free(rc.pend);
    if (r < 0)
        bs_log_warn("group", "%s-%d: replay stopped early at an unreadable batch", t->name, p->id);
    return 0;
}

int bs_gstore_replay(bs_gcoord_t *co)
{
    bs_topic_t *t = bs_topics_find(co->b, BS_GROUP_TOPIC, strlen(BS_GROUP_TOPIC));
    int64_t nrec = 0;
    co->topic = t;
    if (!t)
        return 0;
    for (int i = 0; i < t->npart; i++)
        if (replay_partition(co, t, t->parts[i], &nrec) < 0)
            return -1;
    bs_log_info("group", "replayed %lld record(s) from %s", (long long)nrec, BS_GROUP_TOPIC);
    return 0;
}
