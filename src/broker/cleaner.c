/*
 * cleaner.c — log compaction: keeps the latest record of every key of a
 * compacted partition, at its original offset. API and threading in
 * cleaner.h.
 *
 * One cleaning run over a log (Kafka's LogCleaner.doClean):
 *
 *   bs_cleaner_plan       loop thread: cleanable range = sealed segments
 *     |                   [first, upto) with upto <= active base, <= LSO,
 *     |                   before any segment younger than
 *     |                   min.compaction.lag.ms; the dirty part starts at
 *     |                   the cleaner checkpoint; references taken
 *     v
 *   bs_cleaner_build      worker thread, only pread()s immutable segments:
 *     1. markers          header scan: every transaction marker (pid,
 *                         offset, commit/abort) in the range
 *     2. offset map       dirty segments: key hash -> last offset, skipping
 *                         aborted and undecided transactional records
 *     3. copy             every segment of the range, grouped (consecutive
 *                         segments while their sizes fit segment.bytes),
 *                         into <base>.log.cleaned + .index/.timeindex.cleaned
 *     v
 *   bs_cleaner_commit     loop thread: bs_plog_clean_swap per group, then
 *                         the checkpoint moves to upto
 *
 * Retention rules in the copy pass, per record:
 *  - dropped if its key has a later offset in the map, if it has no key,
 *    or if it belongs to an aborted transaction;
 *  - a tombstone (null value) that is the latest for its key is dropped
 *    once its batch's maxTimestamp is older than delete.retention.ms;
 *  - records of a transaction whose marker is not in the range are kept
 *    untouched (and never supersede anything);
 *  - a control batch (marker) is kept while any record of its transaction
 *    remains in the log, and afterwards until delete.retention.ms has passed
 *    since it was written. Because data always precedes its marker and the
 *    copy starts at the first segment, the pass knows, per producer, whether
 *    the transaction closed by a marker still has data.
 *
 * Invariants
 *  - Offsets never change: a filtered batch keeps its baseOffset,
 *    lastOffsetDelta, baseTimestamp, producer fields and attributes, and
 *    its retained records keep their encoded bytes (bs_batch_build_raw);
 *    compressed batches are re-compressed with the same codec. A batch that
 *    loses no record is copied byte for byte; an emptied batch is dropped.
 *  - A group in which nothing changed is not rewritten (its .cleaned file is
 *    never created: the unchanged prefix of a group is copied in with
 *    copy_file_range only when the first change appears).
 *  - The active segment is never read or touched.
 *  - Key hashes are 128 bits (two independent 64-bit hashes), so a
 *    collision that would drop a live record is practically impossible.
 */
#include "broker/cleaner.h"

#include "base/arena.h"
#include "base/log.h"
#include "base/wbuf.h"
#include "proto/records.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define COMP        "cleaner"
#define READ_CHUNK  (8u << 20)
#define WRITE_CHUNK (4u << 20)

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)(v >> 32));
    wr32(p + 4, (uint32_t)v);
}

/* ---- key hashing and the offset map --------------------------------------- */

static inline uint64_t fmix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Two 64-bit hashes of the key from one walk over its bytes. */
static void key_hash(const uint8_t *k, size_t n, uint64_t *h1, uint64_t *h2)
{
    uint64_t a = 0x9e3779b97f4a7c15ULL ^ n, b = 0x6a09e667f3bcc909ULL + n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, k + i, 8);
        a = (a ^ fmix(w)) * 0x87c37b91114253d5ULL;
        a = a << 31 | a >> 33;
        b = (b + w) * 0x4cf5ad432745937fULL;
        b ^= b >> 29;
    }
    uint64_t t = 0;
    memcpy(&t, k + i, n - i);
    a = fmix(a ^ fmix(t + 0x51));
    b = fmix(b ^ t ^ (n << 3));
    *h1 = a | 1; /* 0 marks an empty slot */
    *h2 = b;
}

typedef struct {
    uint64_t h1, h2;
    int64_t off;
} omap_ent_t;

typedef struct {
    omap_ent_t *e;
    size_t cap, n; /* cap is a power of two */
} omap_t;

static void omap_init(omap_t *m, size_t cap)
{
    m->cap = 1024;
    while (m->cap < cap)
        m->cap <<= 1;
    m->e = bs_xcalloc(m->cap, sizeof(*m->e));
    m->n = 0;
}

static void omap_put(omap_t *m, uint64_t h1, uint64_t h2, int64_t off);

static void omap_grow(omap_t *m)
{
    omap_t o = *m;
    omap_init(m, o.cap * 2);
    for (size_t i = 0; i < o.cap; i++)
        if (o.e[i].h1)
            omap_put(m, o.e[i].h1, o.e[i].h2, o.e[i].off);
    free(o.e);
}

static void omap_put(omap_t *m, uint64_t h1, uint64_t h2, int64_t off)
{
    if ((m->n + 1) * 10 > m->cap * 7)
        omap_grow(m);
    size_t i = (size_t)h1 & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        omap_ent_t *e = &m->e[i];
        if (!e->h1) {
            e->h1 = h1;
            e->h2 = h2;
            e->off = off;
            m->n++;
            return;
        }
        if (e->h1 == h1 && e->h2 == h2) {
            if (off > e->off)
                e->off = off;
            return;
        }
    }
}

static int64_t omap_get(const omap_t *m, uint64_t h1, uint64_t h2)
{
    size_t i = (size_t)h1 & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        const omap_ent_t *e = &m->e[i];
        if (!e->h1)
            return -1;
        if (e->h1 == h1 && e->h2 == h2)
            return e->off;
    }
}

/* ---- transaction markers ----------------------------------------------------- */

typedef struct {
    int64_t pid, offset;
    int commit;
} marker_t;

enum { FATE_NONE = 0, FATE_COMMIT, FATE_ABORT, FATE_UNKNOWN };

static int cmp_marker(const void *a, const void *b)
{
    const marker_t *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Commit/abort of the transaction of pid holding offset: the first marker
 * of pid after it (sorted by pid, offset). */
static int marker_fate(const marker_t *m, int n, int64_t pid, int64_t offset)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (m[mid].pid < pid || (m[mid].pid == pid && m[mid].offset <= offset))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n && m[lo].pid == pid)
        return m[lo].commit ? FATE_COMMIT : FATE_ABORT;
    return FATE_UNKNOWN;
}

/* Control record type of a control batch (0 abort, 1 commit), -1 unknown. */
static int control_type(const uint8_t *b, size_t blen, int32_t count)
{
    uint8_t *recs = NULL;
    size_t rlen = 0;
    int ret = -1;
    if (bs_batch_decompress(b, blen, &recs, &rlen, NULL, 0) < 0)
        goto done;
    bs_record_iter_t it;
    bs_rec_t r;
    bs_record_iter_init(&it, recs, rlen, count);
    if (bs_record_iter_next(&it, &r, NULL, 0) == 1 && r.key && r.key_len >= 4)
        ret = (int)(int16_t)(r.key[2] << 8 | r.key[3]);
done:
    free(recs);
    return ret;
}

/* ---- the job ------------------------------------------------------------------- */

typedef struct {
    int first, count;
    int64_t insize;
    int written; /* a .cleaned file exists */
    int swapped;
} group_t;

struct bs_clean_job_s {
    char *dir;
    bs_plog_cseg_t *segs;
    int nsegs;
    int dirty_from; /* first dirty segment index */
    int64_t upto;   /* new checkpoint: segs[nsegs-1].next_base */
    int64_t now_ms;
    int64_t tomb_horizon; /* tombstones/markers with maxTimestamp < this go */
    int32_t index_interval;
    group_t *groups;
    int ngroups;
    atomic_int cancel;
    int built; /* bs_cleaner_build result (0 ok) */
    omap_t map;
    marker_t *markers;
    int nmarkers, capmarkers;
    int has_txn;
    bs_cleaner_stats_t st;
};

bs_clean_job_t *bs_cleaner_plan(bs_plog_t *l, int64_t lso, int64_t now_ms, int force, double *ratio)
{
    const bs_plog_config_t *cfg = bs_plog_get_config(l);
    bs_plog_cseg_t *v = NULL;
    bs_clean_job_t *j = NULL;
    if (ratio)
        *ratio = 0;
    if (!cfg->compact && !force)
        return NULL;
    int64_t upto = bs_plog_active_base(l);
    if (lso >= 0 && lso < upto)
        upto = lso;
    int n = bs_plog_clean_segments(l, upto, &v);
    int64_t cp = bs_plog_clean_point(l);
    int d = 0;
    while (d < n && v[d].base < cp)
        d++;
    /* min.compaction.lag.ms: the first dirty segment holding a record that
     * young ends the cleanable range. */
    int keep = n;
    if (!force && cfg->min_compaction_lag_ms > 0)
        for (int i = d; i < n; i++)
            if (v[i].max_ts > now_ms - cfg->min_compaction_lag_ms) {
                keep = i;
                break;
            }
    int64_t total = 0, dirty = 0;
    for (int i = 0; i < keep; i++) {
        total += v[i].size;
        if (i >= d)
            dirty += v[i].size;
    }
    double r = total > 0 ? (double)dirty / (double)total : 0;
    if (ratio)
        *ratio = r;
    int due = d < keep && cfg->max_compaction_lag_ms < INT64_MAX && v[d].created_ms >= 0 &&
              now_ms - v[d].created_ms > cfg->max_compaction_lag_ms;
    if (keep == 0 || (d >= keep && !force) ||
        (!force && r < cfg->min_cleanable_dirty_ratio && !due))
        goto done;
    j = bs_xcalloc(1, sizeof(*j));
    j->dir = bs_xstrdup(bs_plog_dir(l));
    j->segs = v;
    j->nsegs = keep;
    j->dirty_from = d;
    j->upto = v[keep - 1].next_base;
    j->now_ms = now_ms;
    j->tomb_horizon =
        cfg->delete_retention_ms >= now_ms ? INT64_MIN : now_ms - cfg->delete_retention_ms;
    j->index_interval = cfg->index_interval_bytes;
    atomic_init(&j->cancel, 0);
    j->built = -1;
    /* Groups: consecutive segments whose sizes add up to at most
     * segment.bytes and whose offsets fit a 32-bit relative index. */
    j->groups = bs_xcalloc((size_t)keep, sizeof(*j->groups));
    for (int i = 0; i < keep;) {
        group_t *g = &j->groups[j->ngroups++];
        g->first = i;
        g->insize = v[i].size;
        g->count = 1;
        i++;
        while (i < keep && g->insize + v[i].size <= cfg->segment_bytes &&
               g->insize + v[i].size <= INT32_MAX &&
               v[i].next_base - 1 - v[g->first].base <= INT32_MAX) {
            g->insize += v[i].size;
            g->count++;
            i++;
        }
    }
    j->st.segments_in = keep;
    v = NULL;
done:
    if (v) {
        bs_plog_clean_release(v, n);
    } else if (j && keep < n) {
        /* Segments past the range: drop their references. */
        bs_plog_cseg_t *tail = bs_xcalloc((size_t)(n - keep), sizeof(*tail));
        memcpy(tail, j->segs + keep, sizeof(*tail) * (size_t)(n - keep));
        memset(j->segs + keep, 0, sizeof(*tail) * (size_t)(n - keep));
        bs_plog_clean_release(tail, n - keep);
    }
    return j;
}

/* ---- reading segments ------------------------------------------------------------ */

/* Sequential batch reader over one segment with large preads. */
typedef struct {
    int fd;
    int64_t size, pos;
    uint8_t *buf;
    size_t cap;
    int64_t win_off, win_len; /* buf holds file [win_off, win_off + win_len) */
} segrd_t;

static void segrd_init(segrd_t *r, const bs_plog_cseg_t *s, uint8_t **buf, size_t *cap)
{
    r->fd = s->fd;
    r->size = s->size;
    r->pos = 0;
    r->buf = *buf;
    r->cap = *cap;
    r->win_off = r->win_len = 0;
}

/* 1 and the batch at *pos, 0 at the end, -1 on I/O error or a bad batch.
 * The shared buffer may grow: buf/cap are written back. */
static int segrd_next(segrd_t *r, uint8_t **bufp, size_t *capp, const uint8_t **b, int64_t *bsize,
                      int64_t *posp, bs_batch_hdr_t *h)
{
    int64_t rem = r->size - r->pos;
    if (rem <= 0)
        return 0;
    if (rem < BS_BATCH_HDR_SIZE)
        return -1;
    for (int pass = 0; pass < 2; pass++) {
        int64_t have = r->win_off + r->win_len - r->pos;
        if (r->pos >= r->win_off && have >= BS_BATCH_HDR_SIZE) {
            const uint8_t *p = r->buf + (r->pos - r->win_off);
            bs_batch_hdr_parse(p, BS_BATCH_HDR_SIZE, h);
            int64_t bs = (int64_t)h->BatchLength + BS_BATCH_LOG_OVERHEAD;
            if (h->Magic != 2 || bs < BS_BATCH_HDR_SIZE || bs > rem)
                return -1;
            if (bs <= have) {
                *b = p;
                *bsize = bs;
                *posp = r->pos;
                r->pos += bs;
                return 1;
            }
            if ((size_t)bs > r->cap) {
                r->cap = (size_t)bs;
                free(r->buf);
                r->buf = bs_xmalloc(r->cap);
                *bufp = r->buf;
                *capp = r->cap;
            }
        }
        size_t want = (size_t)(rem < (int64_t)r->cap ? rem : (int64_t)r->cap);
        ssize_t n = pread(r->fd, r->buf, want, r->pos);
        if (n < BS_BATCH_HDR_SIZE)
            return -1;
        r->win_off = r->pos;
        r->win_len = n;
    }
    return -1;
}

/* Pass 1: every transaction marker in the range (header scan). */
static int scan_markers(bs_clean_job_t *j)
{
    uint8_t *cb = NULL;
    int ret = -1;
    for (int i = 0; i < j->nsegs; i++) {
        const bs_plog_cseg_t *s = &j->segs[i];
        for (int64_t pos = 0; pos < s->size;) {
            uint8_t hb[BS_BATCH_HDR_SIZE];
            bs_batch_hdr_t h;
            if (pread(s->fd, hb, sizeof(hb), pos) != (ssize_t)sizeof(hb))
                goto done;
            bs_batch_hdr_parse(hb, sizeof(hb), &h);
            int64_t bs = (int64_t)h.BatchLength + BS_BATCH_LOG_OVERHEAD;
            if (h.Magic != 2 || bs < BS_BATCH_HDR_SIZE || pos + bs > s->size)
                goto done;
            if (h.Attributes & BS_BATCH_ATTR_TRANSACTIONAL)
                j->has_txn = 1;
            if (h.Attributes & BS_BATCH_ATTR_CONTROL) {
                cb = bs_xrealloc(cb, (size_t)bs);
                if (pread(s->fd, cb, (size_t)bs, pos) != bs)
                    goto done;
                int t = control_type(cb, (size_t)bs, h.RecordsCount);
                if (t == 0 || t == 1) {
                    if (j->nmarkers == j->capmarkers) {
                        j->capmarkers = j->capmarkers ? j->capmarkers * 2 : 64;
                        j->markers =
                            bs_xrealloc(j->markers, sizeof(*j->markers) * (size_t)j->capmarkers);
                    }
                    j->markers[j->nmarkers++] =
                        (marker_t){.pid = h.ProducerId, .offset = h.BaseOffset, .commit = t};
                }
            }
            pos += bs;
        }
        if (atomic_load_explicit(&j->cancel, memory_order_relaxed))
            goto done;
    }
    if (j->nmarkers > 1)
        qsort(j->markers, (size_t)j->nmarkers, sizeof(*j->markers), cmp_marker);
    ret = 0;
done:
    free(cb);
    return ret;
}

static int batch_fate(const bs_clean_job_t *j, const bs_batch_hdr_t *h)
{
    if (!(h->Attributes & BS_BATCH_ATTR_TRANSACTIONAL) || (h->Attributes & BS_BATCH_ATTR_CONTROL))
        return FATE_NONE;
    return marker_fate(j->markers, j->nmarkers, h->ProducerId, h->BaseOffset);
}

/* The records section of a batch: points into b for uncompressed batches,
 * else a malloc'd copy in *owned. Returns 0 or -1. */
static int batch_records(const uint8_t *b, int64_t bsize, const bs_batch_hdr_t *h,
                         const uint8_t **recs, size_t *rlen, uint8_t **owned)
{
    *owned = NULL;
    if ((h->Attributes & BS_BATCH_ATTR_CODEC_MASK) == BS_CODEC_NONE) {
        *recs = b + BS_BATCH_HDR_SIZE;
        *rlen = (size_t)bsize - BS_BATCH_HDR_SIZE;
        return 0;
    }
    if ((h->Attributes & BS_BATCH_ATTR_CODEC_MASK) == BS_CODEC_ZSTD) {
        /* Fast path: one reused context per thread and a single-shot
         * decompression when the frame records its size (bs_batch_decompress
         * sets up a new stream per batch, which dominates for small ones). */
        static _Thread_local ZSTD_DCtx *dctx;
        const uint8_t *src = b + BS_BATCH_HDR_SIZE;
        size_t srclen = (size_t)bsize - BS_BATCH_HDR_SIZE;
        unsigned long long sz = ZSTD_getFrameContentSize(src, srclen);
        if (!dctx)
            dctx = ZSTD_createDCtx();
        if (dctx && sz != ZSTD_CONTENTSIZE_UNKNOWN && sz != ZSTD_CONTENTSIZE_ERROR &&
            sz <= BS_BATCH_MAX_DECOMPRESSED) {
            uint8_t *out = bs_xmalloc(sz ? (size_t)sz : 1);
            size_t r = ZSTD_decompressDCtx(dctx, out, (size_t)sz, src, srclen);
            if (!ZSTD_isError(r) && r == sz) {
                *owned = out;
                *recs = out;
                *rlen = r;
                return 0;
            }
            free(out);
        }
    }
    if (bs_batch_decompress(b, (size_t)bsize, owned, rlen, NULL, 0) < 0)
        return -1;
    *recs = *owned;
    return 0;
}

/* Pass 2: key -> last offset over the dirty segments. */
static int build_map(bs_clean_job_t *j, uint8_t **buf, size_t *cap)
{
    int64_t dbytes = 0;
    for (int i = j->dirty_from; i < j->nsegs; i++)
        dbytes += j->segs[i].size;
    omap_init(&j->map, (size_t)(dbytes / 64) + 1024);
    for (int i = j->dirty_from; i < j->nsegs; i++) {
        segrd_t r;
        segrd_init(&r, &j->segs[i], buf, cap);
        const uint8_t *b;
        int64_t bs, pos;
        bs_batch_hdr_t h;
        int rc;
        while ((rc = segrd_next(&r, buf, cap, &b, &bs, &pos, &h)) == 1) {
            if (h.Attributes & BS_BATCH_ATTR_CONTROL)
                continue;
            int fate = j->has_txn ? batch_fate(j, &h) : FATE_NONE;
            if (fate == FATE_ABORT || fate == FATE_UNKNOWN)
                continue;
            const uint8_t *recs;
            size_t rlen;
            uint8_t *owned;
            if (batch_records(b, bs, &h, &recs, &rlen, &owned) < 0) {
                bs_log_warn(COMP,
                            "%s: cannot decompress batch at offset %" PRId64
                            ", its keys stay uncompacted",
                            j->dir, h.BaseOffset);
                continue;
            }
            bs_record_iter_t it;
            bs_rec_t rec;
            bs_record_iter_init(&it, recs, rlen, h.RecordsCount);
            while (bs_record_iter_next(&it, &rec, NULL, 0) == 1) {
                if (!rec.key)
                    continue;
                uint64_t h1, h2;
                key_hash(rec.key, (size_t)rec.key_len, &h1, &h2);
                omap_put(&j->map, h1, h2, h.BaseOffset + rec.offset_delta);
            }
            free(owned);
        }
        if (rc < 0) {
            bs_log_error(COMP, "%s: cannot read segment %020" PRId64, j->dir, j->segs[i].base);
            return -1;
        }
        if (atomic_load_explicit(&j->cancel, memory_order_relaxed))
            return -2;
    }
    j->st.map_keys = (int64_t)j->map.n;
    return 0;
}

/* ---- pass 3: copy --------------------------------------------------------------- */

typedef struct {
    bs_clean_job_t *j;
    group_t *g;
    int64_t base;
    int changed;
    int fd;          /* .log.cleaned, -1 until the first change */
    int64_t out_pos; /* logical size of the output so far */
    int64_t file_pos;
    bs_wbuf_t wb; /* output not yet written */
    bs_wbuf_t idx, tidx;
    int64_t since, max_ts, max_ts_off, last_tidx_ts;
} out_t;

static char *cleaned_path(const bs_clean_job_t *j, int64_t base, const char *ext)
{
    size_t n = strlen(j->dir) + 64;
    char *p = bs_xmalloc(n);
    snprintf(p, n, "%s/%020" PRId64 "%s.cleaned", j->dir, base, ext);
    return p;
}

static int write_all(int fd, const uint8_t *p, size_t n, int64_t off)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

static int out_flush(out_t *o)
{
    if (!o->wb.len)
        return 0;
    if (write_all(o->fd, o->wb.data, o->wb.len, o->file_pos) < 0)
        return -1;
    o->file_pos += (int64_t)o->wb.len;
    o->wb.len = 0;
    return 0;
}

/* Copies [0, len) of in_fd to the output file at file_pos. */
static int out_copy_from(out_t *o, int in_fd, int64_t len)
{
    loff_t in_off = 0, out_off = o->file_pos;
    while (len > 0) {
        ssize_t n = copy_file_range(in_fd, &in_off, o->fd, &out_off, (size_t)len, 0);
        if (n <= 0)
            break;
        len -= n;
    }
    if (len > 0) { /* fallback: pread/pwrite */
        uint8_t *tmp = bs_xmalloc(1u << 20);
        while (len > 0) {
            size_t want = len < (1 << 20) ? (size_t)len : (1u << 20);
            ssize_t n = pread(in_fd, tmp, want, in_off);
            if (n <= 0 || write_all(o->fd, tmp, (size_t)n, out_off) < 0) {
                free(tmp);
                return -1;
            }
            in_off += n;
            out_off += n;
            len -= n;
        }
        free(tmp);
    }
    o->file_pos = out_off;
    return 0;
}

/* First change in the group: create the output and copy in the unchanged
 * prefix (segments first..k-1 whole, segment k up to pos). */
static int out_change(out_t *o, int k, int64_t pos)
{
    if (o->changed)
        return 0;
    o->changed = 1;
    char *p = cleaned_path(o->j, o->base, ".log");
    o->fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o->fd < 0) {
        bs_log_error(COMP, "%s: cannot create: %s", p, strerror(errno));
        free(p);
        return -1;
    }
    free(p);
    o->g->written = 1;
    for (int i = o->g->first; i < k; i++)
        if (out_copy_from(o, o->j->segs[i].fd, o->j->segs[i].size) < 0)
            return -1;
    if (pos > 0 && out_copy_from(o, o->j->segs[k].fd, pos) < 0)
        return -1;
    return 0;
}

static void out_tidx_entry(out_t *o)
{
    if (o->max_ts >= 0 && o->max_ts > o->last_tidx_ts) {
        uint8_t e[12];
        wr64(e, (uint64_t)o->max_ts);
        wr32(e + 8, (uint32_t)(o->max_ts_off - o->base));
        bs_wbuf_put(&o->tidx, e, 12);
        o->last_tidx_ts = o->max_ts;
    }
}

/* Appends one output batch (indexes as plog's append does). verbatim: an
 * input batch copied as is (nothing to write while the group is unchanged);
 * in_wb: the batch was already built at the end of o->wb. */
static int out_batch_ex(out_t *o, const uint8_t *b, int64_t bsize, int verbatim, int in_wb)
{
    int64_t base_off = (int64_t)((uint64_t)rd32(b) << 32 | rd32(b + 4));
    int64_t last = base_off + (int32_t)rd32(b + BS_BATCH_OFF_LAST_OFFSET_DELTA);
    int64_t mts = (int64_t)((uint64_t)rd32(b + BS_BATCH_OFF_MAX_TIMESTAMP) << 32 |
                            rd32(b + BS_BATCH_OFF_MAX_TIMESTAMP + 4));
    if (mts > o->max_ts) {
        o->max_ts = mts;
        o->max_ts_off = last;
    }
    if (o->since > o->j->index_interval) {
        uint8_t e[8];
        wr32(e, (uint32_t)(base_off - o->base));
        wr32(e + 4, (uint32_t)o->out_pos);
        bs_wbuf_put(&o->idx, e, 8);
        out_tidx_entry(o);
        o->since = 0;
    }
    o->since += bsize;
    o->out_pos += bsize;
    o->j->st.bytes_written += bsize;
    if (verbatim && !o->changed)
        return 0;
    if (!in_wb)
        bs_wbuf_put(&o->wb, b, (size_t)bsize);
    return o->wb.len >= WRITE_CHUNK ? out_flush(o) : 0;
}

static int out_batch(out_t *o, const uint8_t *b, int64_t bsize, int verbatim)
{
    return out_batch_ex(o, b, bsize, verbatim, 0);
}

static int write_file(const char *path, const bs_wbuf_t *w)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int ok = (w->len == 0 || write_all(fd, w->data, w->len, 0) == 0) && fdatasync(fd) == 0;
    close(fd);
    return ok ? 0 : -1;
}

/* Group done: flush, write the index files, make everything durable. */
static int out_finish(out_t *o)
{
    int ret = -1;
    char *pi = NULL, *pt = NULL;
    if (!o->changed)
        return 0;
    out_tidx_entry(o);
    if (out_flush(o) < 0 || fdatasync(o->fd) < 0)
        goto done;
    pi = cleaned_path(o->j, o->base, ".index");
    pt = cleaned_path(o->j, o->base, ".timeindex");
    if (write_file(pi, &o->idx) < 0 || write_file(pt, &o->tidx) < 0)
        goto done;
    o->j->st.segments_out++;
    ret = 0;
done:
    if (ret < 0)
        bs_log_error(COMP, "%s: cannot write cleaned segment %020" PRId64 ": %s", o->j->dir,
                     o->base, strerror(errno));
    free(pi);
    free(pt);
    return ret;
}

/* Per-producer "the open transaction still has data" flags, for markers. */
static int64_t *txn_flag(omap_t *m, int64_t pid)
{
    uint64_t h1 = fmix((uint64_t)pid) | 1, h2 = (uint64_t)pid;
    int64_t off = omap_get(m, h1, h2);
    if (off < 0)
        omap_put(m, h1, h2, 0);
    size_t i = (size_t)h1 & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1))
        if (m->e[i].h1 == h1 && m->e[i].h2 == h2)
            return &m->e[i].off;
}

typedef struct {
    size_t start, end;
} span_t;

/* Filters one data batch into o. */
static int copy_data_batch(out_t *o, omap_t *txns, int k, int64_t pos, const uint8_t *b, int64_t bs,
                           const bs_batch_hdr_t *h, span_t **spans, int *capspans, bs_wbuf_t *raw)
{
    bs_clean_job_t *j = o->j;
    int fate = j->has_txn ? batch_fate(j, h) : FATE_NONE;
    int txnl = (h->Attributes & BS_BATCH_ATTR_TRANSACTIONAL) != 0;
    j->st.records_read += h->RecordsCount;
    if (fate == FATE_ABORT)
        return out_change(o, k, pos); /* aborted: drop the whole batch */
    if (fate == FATE_UNKNOWN) {
        *txn_flag(txns, h->ProducerId) = 1;
        j->st.records_kept += h->RecordsCount;
        return out_batch(o, b, bs, 1);
    }
    const uint8_t *recs;
    size_t rlen;
    uint8_t *owned;
    if (batch_records(b, bs, h, &recs, &rlen, &owned) < 0) {
        bs_log_warn(COMP, "%s: cannot decompress batch at offset %" PRId64 ", kept as is", j->dir,
                    h->BaseOffset);
        j->st.records_kept += h->RecordsCount;
        return out_batch(o, b, bs, 1);
    }
    int ret = -1, n = 0, all = 1;
    int64_t max_ts = -1;
    int log_append = (h->Attributes & BS_BATCH_ATTR_LOG_APPEND_TIME) != 0;
    int tomb_ok = h->MaxTimestamp >= j->tomb_horizon;
    bs_record_iter_t it;
    bs_rec_t rec;
    bs_record_iter_init(&it, recs, rlen, h->RecordsCount);
    for (;;) {
        size_t start = it.pos;
        int r = bs_record_iter_next(&it, &rec, NULL, 0);
        if (r == 0)
            break;
        if (r < 0) { /* unparsable: keep the batch untouched */
            all = 1;
            n = -1;
            break;
        }
        int keep = rec.key != NULL;
        if (keep) {
            uint64_t h1, h2;
            key_hash(rec.key, (size_t)rec.key_len, &h1, &h2);
            int64_t latest = omap_get(&j->map, h1, h2);
            keep = latest < 0 || h->BaseOffset + rec.offset_delta >= latest;
            if (keep && !rec.value && !tomb_ok)
                keep = 0;
        }
        if (!keep) {
            all = 0;
            continue;
        }
        if (n == *capspans) {
            *capspans = *capspans ? *capspans * 2 : 256;
            *spans = bs_xrealloc(*spans, sizeof(**spans) * (size_t)*capspans);
        }
        (*spans)[n++] = (span_t){start, it.pos};
        int64_t ts = h->BaseTimestamp + rec.timestamp_delta;
        if (ts > max_ts)
            max_ts = ts;
    }
    if (n < 0) {
        j->st.records_kept += h->RecordsCount;
        ret = out_batch(o, b, bs, 1);
        goto done;
    }
    if (all) {
        if (txnl && n > 0)
            *txn_flag(txns, h->ProducerId) = 1;
        j->st.records_kept += n;
        ret = out_batch(o, b, bs, 1);
        goto done;
    }
    if (out_change(o, k, pos) < 0)
        goto done;
    if (n == 0) {
        ret = 0;
        goto done;
    }
    if (txnl)
        *txn_flag(txns, h->ProducerId) = 1;
    j->st.records_kept += n;
    raw->len = 0;
    size_t rawlen = 0;
    for (int i = 0; i < n; i++)
        rawlen += (*spans)[i].end - (*spans)[i].start;
    uint8_t *dst = bs_wbuf_reserve(raw, rawlen);
    for (int i = 0; i < n; i++) {
        size_t l = (*spans)[i].end - (*spans)[i].start;
        memcpy(dst, recs + (*spans)[i].start, l);
        dst += l;
    }
    size_t at = o->wb.len;
    if (bs_batch_build_raw(&o->wb, h, raw->data, rawlen, n, log_append ? h->MaxTimestamp : max_ts) <
        0) {
        bs_log_error(COMP, "%s: cannot rebuild batch at offset %" PRId64, j->dir, h->BaseOffset);
        goto done;
    }
    j->st.batches_rebuilt++;
    ret = out_batch_ex(o, o->wb.data + at, (int64_t)(o->wb.len - at), 0, 1);
done:
    free(owned);
    return ret;
}

static int copy_group(bs_clean_job_t *j, group_t *g, omap_t *txns, uint8_t **buf, size_t *cap)
{
    int ret = -1;
    span_t *spans = NULL;
    int capspans = 0;
    bs_wbuf_t raw;
    out_t o;
    memset(&o, 0, sizeof(o));
    o.j = j;
    o.g = g;
    o.base = j->segs[g->first].base;
    o.fd = -1;
    o.max_ts = o.max_ts_off = -1;
    o.last_tidx_ts = INT64_MIN;
    bs_wbuf_init(&o.wb);
    bs_wbuf_init(&o.idx);
    bs_wbuf_init(&o.tidx);
    bs_wbuf_init(&raw);
    for (int k = g->first; k < g->first + g->count; k++) {
        segrd_t r;
        segrd_init(&r, &j->segs[k], buf, cap);
        const uint8_t *b;
        int64_t bs, pos;
        bs_batch_hdr_t h;
        int rc;
        j->st.bytes_read += j->segs[k].size;
        while ((rc = segrd_next(&r, buf, cap, &b, &bs, &pos, &h)) == 1) {
            int rr;
            if (h.Attributes & BS_BATCH_ATTR_CONTROL) {
                int64_t *f = txn_flag(txns, h.ProducerId);
                int keep = *f || h.MaxTimestamp >= j->tomb_horizon;
                *f = 0;
                rr = keep ? out_batch(&o, b, bs, 1) : out_change(&o, k, pos);
            } else {
                rr = copy_data_batch(&o, txns, k, pos, b, bs, &h, &spans, &capspans, &raw);
            }
            if (rr < 0)
                goto done;
        }
        if (rc < 0) {
            bs_log_error(COMP, "%s: cannot read segment %020" PRId64, j->dir, j->segs[k].base);
            goto done;
        }
        if (atomic_load_explicit(&j->cancel, memory_order_relaxed)) {
            ret = -2;
            goto done;
        }
    }
    ret = out_finish(&o);
done:
    if (o.fd >= 0)
        close(o.fd);
    if (!o.changed)
        j->st.bytes_written -= o.out_pos; /* nothing rewritten */
    bs_wbuf_free(&o.wb);
    bs_wbuf_free(&o.idx);
    bs_wbuf_free(&o.tidx);
    bs_wbuf_free(&raw);
    free(spans);
    return ret;
}

int bs_cleaner_build(bs_clean_job_t *j)
{
    int ret = -1;
    size_t cap = READ_CHUNK;
    uint8_t *buf = bs_xmalloc(cap);
    omap_t txns = {0};
    if (scan_markers(j) < 0) {
        bs_log_error(COMP, "%s: cannot scan for transaction markers", j->dir);
        goto done;
    }
    ret = build_map(j, &buf, &cap);
    if (ret < 0)
        goto done;
    omap_init(&txns, 64);
    for (int i = 0; i < j->ngroups; i++) {
        ret = copy_group(j, &j->groups[i], &txns, &buf, &cap);
        if (ret < 0)
            goto done;
    }
    ret = 0;
done:
    if (atomic_load(&j->cancel) && ret < 0)
        ret = -2;
    j->built = ret;
    free(txns.e);
    free(buf);
    return ret;
}

void bs_cleaner_cancel(bs_clean_job_t *j)
{
    atomic_store(&j->cancel, 1);
}

int bs_cleaner_commit(bs_plog_t *l, bs_clean_job_t *j, bs_cleaner_stats_t *st)
{
    int ret = 0;
    if (j->built != 0)
        return -1;
    for (int i = 0; i < j->ngroups; i++) {
        group_t *g = &j->groups[i];
        if (!g->written)
            continue;
        int r = bs_plog_clean_swap(l, j->segs + g->first, g->count);
        if (r < 0)
            ret = -1;
        g->swapped = 1; /* swap consumed or removed the files either way */
    }
    if (ret == 0 && j->upto > bs_plog_clean_point(l))
        bs_plog_set_clean_point(l, j->upto);
    if (st)
        *st = j->st;
    return ret;
}

void bs_cleaner_job_free(bs_clean_job_t *j)
{
    if (!j)
        return;
    static const char *const exts[] = {".log", ".index", ".timeindex"};
    for (int i = 0; i < j->ngroups; i++) {
        group_t *g = &j->groups[i];
        if (!g->written || g->swapped)
            continue;
        for (int e = 0; e < 3; e++) {
            char *p = cleaned_path(j, j->segs[g->first].base, exts[e]);
            unlink(p);
            free(p);
        }
    }
    bs_plog_clean_release(j->segs, j->nsegs);
    free(j->groups);
    free(j->map.e);
    free(j->markers);
    free(j->dir);
    free(j);
}

int bs_cleaner_clean_now(bs_plog_t *l, int64_t lso, int64_t now_ms, int force,
                         bs_cleaner_stats_t *st)
{
    int ret = 0;
    bs_clean_job_t *j = bs_cleaner_plan(l, lso, now_ms, force, NULL);
    if (st)
        memset(st, 0, sizeof(*st));
    if (!j)
        return 0;
    ret = bs_cleaner_build(j) == 0 && bs_cleaner_commit(l, j, st) == 0 ? 1 : -1;
    bs_cleaner_job_free(j);
    return ret;
}
