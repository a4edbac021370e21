/*
 * plog.c — one partition's log: segments, sparse indexes, recovery,
 * retention, DeleteRecords, group-commit fsync. API in plog.h.
 *
 * On disk (Kafka's layout, readable by Kafka's DumpLogSegments):
 *   <dir>/<base:020>.log        RecordBatch v2 batches, offsets stamped
 *   <dir>/<base:020>.index      be32 (offset - base), be32 file position; an
 *                               entry at the start of a batch once more than
 *                               index_interval_bytes were written since the
 *                               previous entry (Kafka LogSegment.append)
 *   <dir>/<base:020>.timeindex  be64 max timestamp so far, be32 (offset of
 *                               that timestamp - base); appended with each
 *                               offset index entry when the max grew, and
 *                               once more when a segment is sealed
 *   <dir>/log-start-offset      decimal log start offset, written by
 *                               DeleteRecords (tmp + fsync + rename)
 *
 * Invariants
 *  - segs[] is sorted by base; segs[i+1]->base == the LEO when segs[i] was
 *    rolled, so segs[i] only holds offsets < segs[i+1]->base; the last
 *    segment is the active one and is the only one appended to.
 *  - Index entries are strictly increasing in offset, non-decreasing in
 *    position; time index entries strictly increasing in timestamp.
 *  - The active segment's index files are preallocated to
 *    segment_index_bytes and mmap'd read-write (appending an entry is a
 *    memory store); sealing (roll/close) trims them to their entries and
 *    maps them read-only. After a crash they hold trailing zeros, which the
 *    open-time sanity check rejects, so they get rebuilt.
 *  - end (LEO) is published with a release store after the write() of the
 *    data, so a concurrent bs_plog_sync that reads end and then fdatasyncs
 *    covers everything below the value it read.
 *  - Retention and DeleteRecords never touch the active segment (DeleteRecords
 *    up to the LEO rolls first). file_delete_delay_ms is accepted but not
 *    used: files are unlinked as soon as no fetch still reads them.
 *  - Segments are reference counted: the list holds one reference, every
 *    fetch slice and every in-flight sync another. A deleted segment is
 *    renamed to *.deleted at once (a restart never loads it) and its files
 *    are unlinked when the last reference drops.
 *
 * Recovery (bs_plog_open with recover=1: the last two segments, since a
 * roll may just have happened; and, always, any segment whose index files
 * are missing or fail the sanity check, or whose tail does not parse):
 * batches are read sequentially with large preads (4 MiB) and
 * checked (length within the file, magic 2, offsets increasing and inside
 * the segment, CRC32C); the file is truncated at the first bad batch with a
 * WARN naming file, position and reason, and both indexes are rebuilt from
 * the surviving batches. If a sealed segment is truncated, every later
 * segment is removed (its offsets would no longer follow).
 */
#include "broker/plog.h"

#include "base/arena.h"
#include "base/log.h"
#include "broker/plog_int.h"
#include "proto/crc32c.h"
#include "proto/records.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define COMP       "plog"
#define START_FILE "log-start-offset"
#define CLEAN_FILE "cleaner-offset-checkpoint"
#define SCAN_BUF   (4u << 20)

static void pl_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pl_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static inline uint32_t pl_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t pl_rd64(const uint8_t *p)
{
    return (uint64_t)pl_rd32(p) << 32 | pl_rd32(p + 4);
}
static inline void pl_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void pl_wr64(uint8_t *p, uint64_t v)
{
    pl_wr32(p, (uint32_t)(v >> 32));
    pl_wr32(p + 4, (uint32_t)v);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bs_plog_config_default(bs_plog_config_t *c)
{
    c->segment_bytes = 1073741824;
    c->segment_ms = 604800000;
    c->retention_ms = 604800000;
    c->retention_bytes = -1;
    c->flush_interval_messages = INT64_MAX;
    c->flush_interval_ms = INT64_MAX;
    c->index_interval_bytes = 4096;
    c->segment_index_bytes = 10485760;
    c->file_delete_delay_ms = 60000;
    c->compact = 0;
    c->delete_retention_ms = 86400000;
    c->min_compaction_lag_ms = 0;
    c->max_compaction_lag_ms = INT64_MAX;
    c->min_cleanable_dirty_ratio = 0.5;
}

/* ---- segments ------------------------------------------------------------ */

static char *seg_path(const bs_plog_t *l, int64_t base, const char *ext)
{
    size_t n = strlen(l->dir) + 48;
    char *p = bs_xmalloc(n);
    snprintf(p, n, "%s/%020" PRId64 "%s", l->dir, base, ext);
    return p;
}

static int64_t idx_cap_for(const bs_plog_t *l, int64_t esz)
{
    int64_t c = l->cfg.segment_index_bytes / esz;
    return c < 2 ? 2 : c;
}

static void seg_unmap(bs_plog_seg_t *s)
{
    if (s->idx_map)
        munmap(s->idx_map, (size_t)s->idx_cap * BS_PLOG_IDX_ENTRY);
    if (s->tidx_map)
        munmap(s->tidx_map, (size_t)s->tidx_cap * BS_PLOG_TIDX_ENTRY);
    s->idx_map = s->tidx_map = NULL;
}

static void seg_free(bs_plog_seg_t *s)
{
    seg_unmap(s);
    if (s->fd >= 0)
        close(s->fd);
    if (s->idx_fd >= 0)
        close(s->idx_fd);
    if (s->tidx_fd >= 0)
        close(s->tidx_fd);
    if (s->deleted) {
        unlink(s->path_log);
        unlink(s->path_idx);
        unlink(s->path_tidx);
    }
    free(s->path_log);
    free(s->path_idx);
    free(s->path_tidx);
    free(s);
}

static void seg_keep(bs_plog_seg_t *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

static void seg_unref(bs_plog_seg_t *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        seg_free(s);
}

static void slice_release_cb(void *ctx)
{
    if (ctx)
        seg_unref(ctx);
}

/* Maps the index files: active = preallocate to capacity, RW; sealed =
 * exactly idx_n entries, RO (no map when empty). The files must hold
 * exactly idx_n/tidx_n entries (or more, for active: they get truncated
 * first by the caller). */
static int seg_map(bs_plog_t *l, bs_plog_seg_t *s, int active)
{
    seg_unmap(s);
    s->active = active;
    if (active) {
        s->idx_cap = idx_cap_for(l, BS_PLOG_IDX_ENTRY);
        s->tidx_cap = idx_cap_for(l, BS_PLOG_TIDX_ENTRY);
        if (s->idx_cap < s->idx_n)
            s->idx_cap = s->idx_n;
        if (s->tidx_cap < s->tidx_n)
            s->tidx_cap = s->tidx_n;
        if (ftruncate(s->idx_fd, s->idx_cap * BS_PLOG_IDX_ENTRY) < 0 ||
            ftruncate(s->tidx_fd, s->tidx_cap * BS_PLOG_TIDX_ENTRY) < 0)
            return -1;
        s->idx_map = mmap(NULL, (size_t)s->idx_cap * BS_PLOG_IDX_ENTRY, PROT_READ | PROT_WRITE,
                          MAP_SHARED, s->idx_fd, 0);
        if (s->idx_map == MAP_FAILED) {
            s->idx_map = NULL;
            return -1;
        }
        s->tidx_map = mmap(NULL, (size_t)s->tidx_cap * BS_PLOG_TIDX_ENTRY, PROT_READ | PROT_WRITE,
                           MAP_SHARED, s->tidx_fd, 0);
        if (s->tidx_map == MAP_FAILED) {
            s->tidx_map = NULL;
            return -1;
        }
        return 0;
    }
    s->idx_cap = s->idx_n;
    s->tidx_cap = s->tidx_n;
    if (s->idx_n) {
        s->idx_map =
            mmap(NULL, (size_t)s->idx_n * BS_PLOG_IDX_ENTRY, PROT_READ, MAP_SHARED, s->idx_fd, 0);
        if (s->idx_map == MAP_FAILED) {
            s->idx_map = NULL;
            return -1;
        }
    }
    if (s->tidx_n) {
        s->tidx_map = mmap(NULL, (size_t)s->tidx_n * BS_PLOG_TIDX_ENTRY, PROT_READ, MAP_SHARED,
                           s->tidx_fd, 0);
        if (s->tidx_map == MAP_FAILED) {
            s->tidx_map = NULL;
            return -1;
        }
    }
    return 0;
}

static inline int64_t idx_rel(const bs_plog_seg_t *s, int64_t i)
{
    return pl_rd32(s->idx_map + i * BS_PLOG_IDX_ENTRY);
}
static inline int64_t idx_pos(const bs_plog_seg_t *s, int64_t i)
{
    return pl_rd32(s->idx_map + i * BS_PLOG_IDX_ENTRY + 4);
}
static inline int64_t tidx_ts(const bs_plog_seg_t *s, int64_t i)
{
    return (int64_t)pl_rd64(s->tidx_map + i * BS_PLOG_TIDX_ENTRY);
}
static inline int64_t tidx_rel(const bs_plog_seg_t *s, int64_t i)
{
    return pl_rd32(s->tidx_map + i * BS_PLOG_TIDX_ENTRY + 8);
}

/* Position of the last index entry with relative offset <= rel (0 if none). */
static int64_t idx_lookup(const bs_plog_seg_t *s, int64_t rel)
{
    int64_t lo = 0, hi = s->idx_n - 1, best = -1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (idx_rel(s, mid) <= rel) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best < 0 ? 0 : idx_pos(s, best);
}

/* Position of the last index entry with position <= pos (0 if none). */
static int64_t idx_floor_pos(const bs_plog_seg_t *s, int64_t pos)
{
    int64_t lo = 0, hi = s->idx_n - 1, best = -1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (idx_pos(s, mid) <= pos) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best < 0 ? 0 : idx_pos(s, best);
}

/* Appends index entries for one batch (active segment only). */
static void seg_index_batch(bs_plog_t *l, bs_plog_seg_t *s, int64_t pos, int64_t bsize,
                            int64_t base_off, int64_t last_off, int64_t max_ts)
{
    if (max_ts > s->max_ts) {
        s->max_ts = max_ts;
        s->max_ts_off = last_off;
    }
    if (s->bytes_since_idx > l->cfg.index_interval_bytes) {
        if (s->idx_n < s->idx_cap) {
            uint8_t *e = s->idx_map + s->idx_n * BS_PLOG_IDX_ENTRY;
            pl_wr32(e, (uint32_t)(base_off - s->base));
            pl_wr32(e + 4, (uint32_t)pos);
            s->idx_n++;
        }
        if (s->max_ts >= 0 && s->tidx_n < s->tidx_cap &&
            (s->tidx_n == 0 || s->max_ts > tidx_ts(s, s->tidx_n - 1))) {
            uint8_t *e = s->tidx_map + s->tidx_n * BS_PLOG_TIDX_ENTRY;
            pl_wr64(e, (uint64_t)s->max_ts);
            pl_wr32(e + 8, (uint32_t)(s->max_ts_off - s->base));
            s->tidx_n++;
        }
        s->bytes_since_idx = 0;
    }
    s->bytes_since_idx += bsize;
}

/* Seals the active segment: final time index entry, trim, map read-only. */
static int seg_seal(bs_plog_t *l, bs_plog_seg_t *s)
{
    if (!s->active)
        return 0;
    if (s->max_ts >= 0 && s->tidx_n < s->tidx_cap &&
        (s->tidx_n == 0 || s->max_ts > tidx_ts(s, s->tidx_n - 1))) {
        uint8_t *e = s->tidx_map + s->tidx_n * BS_PLOG_TIDX_ENTRY;
        pl_wr64(e, (uint64_t)s->max_ts);
        pl_wr32(e + 8, (uint32_t)(s->max_ts_off - s->base));
        s->tidx_n++;
    }
    seg_unmap(s);
    s->active = 0;
    if (ftruncate(s->idx_fd, s->idx_n * BS_PLOG_IDX_ENTRY) < 0 ||
        ftruncate(s->tidx_fd, s->tidx_n * BS_PLOG_TIDX_ENTRY) < 0)
        return -1;
    return seg_map(l, s, 0);
}

static bs_plog_seg_t *seg_alloc(bs_plog_t *l, int64_t base)
{
    bs_plog_seg_t *s = bs_xcalloc(1, sizeof(*s));
    atomic_init(&s->refs, 1);
    s->base = base;
    s->fd = s->idx_fd = s->tidx_fd = -1;
    s->path_log = seg_path(l, base, ".log");
    s->path_idx = seg_path(l, base, ".index");
    s->path_tidx = seg_path(l, base, ".timeindex");
    s->max_ts = -1;
    s->max_ts_off = -1;
    s->created_ms = -1;
    return s;
}

/* Creates a fresh, empty, active segment. */
static bs_plog_seg_t *seg_create(bs_plog_t *l, int64_t base)
{
    bs_plog_seg_t *s = seg_alloc(l, base);
    s->fd = open(s->path_log, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    s->idx_fd = open(s->path_idx, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    s->tidx_fd = open(s->path_tidx, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0 || s->idx_fd < 0 || s->tidx_fd < 0 || seg_map(l, s, 1) < 0) {
        int e = errno; /* seg_free's unlinks would replace it (e.g. EMFILE by ENOENT) */
        bs_log_error(COMP, "%s: cannot create segment: %s", s->path_log, strerror(e));
        s->deleted = 1;
        seg_free(s);
        errno = e;
        return NULL;
    }
    return s;
}

/* Reads the header of the batch at pos. 0 ok, 1 no complete header before
 * s->size, -1 I/O error. */
static int seg_read_hdr(const bs_plog_seg_t *s, int64_t pos, bs_batch_hdr_t *h)
{
    uint8_t b[BS_BATCH_HDR_SIZE];
    if (pos + BS_BATCH_HDR_SIZE > s->size)
        return 1;
    ssize_t n = pread(s->fd, b, sizeof(b), pos);
    if (n < 0)
        return -1;
    if (n != (ssize_t)sizeof(b))
        return 1;
    bs_batch_hdr_parse(b, sizeof(b), h);
    return 0;
}

/* ---- list management ------------------------------------------------------ */

static void list_push(bs_plog_t *l, bs_plog_seg_t *s)
{
    pthread_mutex_lock(&l->mu);
    if (l->nsegs == l->capsegs) {
        l->capsegs = l->capsegs ? l->capsegs * 2 : 8;
        l->segs = bs_xrealloc(l->segs, sizeof(*l->segs) * (size_t)l->capsegs);
    }
    l->segs[l->nsegs++] = s;
    pthread_mutex_unlock(&l->mu);
}

static void rename_deleted(char **path)
{
    size_t n = strlen(*path) + 9;
    char *np = bs_xmalloc(n);
    snprintf(np, n, "%s.deleted", *path);
    if (rename(*path, np) < 0 && errno != ENOENT)
        bs_log_warn(COMP, "rename %s: %s", *path, strerror(errno));
    free(*path);
    *path = np;
}

/* Removes segs[i] from the list and schedules its files for deletion. */
static void list_delete_at(bs_plog_t *l, int i)
{
    bs_plog_seg_t *s = l->segs[i];
    pthread_mutex_lock(&l->mu);
    memmove(&l->segs[i], &l->segs[i + 1], sizeof(*l->segs) * (size_t)(l->nsegs - i - 1));
    l->nsegs--;
    pthread_mutex_unlock(&l->mu);
    if (s->active)
        seg_seal(l, s);
    rename_deleted(&s->path_log);
    rename_deleted(&s->path_idx);
    rename_deleted(&s->path_tidx);
    s->deleted = 1;
    bs_log_info(COMP, "%s: deleted segment %020" PRId64, l->dir, s->base);
    seg_unref(s);
}

static inline bs_plog_seg_t *active_seg(bs_plog_t *l)
{
    return l->segs[l->nsegs - 1];
}

/* Index of the last segment with base <= offset (0 if offset is below all). */
static int seg_find(bs_plog_t *l, int64_t offset)
{
    int lo = 0, hi = l->nsegs - 1, best = 0;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (l->segs[mid]->base <= offset) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

static int roll(bs_plog_t *l, int64_t now_ms)
{
    bs_plog_seg_t *old = active_seg(l);
    int64_t base = atomic_load_explicit(&l->end, memory_order_relaxed);
    bs_plog_seg_t *s = seg_create(l, base);
    if (!s)
        return -1;
    if (seg_seal(l, old) < 0)
        bs_log_warn(COMP, "%s: cannot trim index files: %s", old->path_idx, strerror(errno));
    s->created_ms = -1;
    (void)now_ms;
    list_push(l, s);
    atomic_store(&l->dir_dirty, 1);
    bs_log_debug(COMP, "%s: rolled to segment %020" PRId64, l->dir, base);
    return 0;
}

/* ---- scanning / recovery ---------------------------------------------------- */

typedef struct {
    uint8_t *data;
    size_t len, cap;
} bytes_t;

static void bytes_put(bytes_t *b, const uint8_t *p, size_t n)
{
    if (b->cap - b->len < n) {
        b->cap = b->cap ? b->cap * 2 : 4096;
        while (b->cap - b->len < n)
            b->cap *= 2;
        b->data = bs_xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static int write_all(int fd, const uint8_t *p, size_t n, off_t off)
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

/* Validates every batch of s from position 0, truncates the file at the
 * first bad one (WARN), rebuilds both index files and the in-memory state.
 * next_base is the following segment's base (INT64_MAX for the active one).
 * *nextp gets the offset after the last good batch (s->base if none).
 * Returns 1 if the file was truncated, 0 if intact, -1 on I/O error. */
static int seg_recover(bs_plog_t *l, bs_plog_seg_t *s, int64_t next_base, int64_t *nextp)
{
    int ret = -1;
    uint8_t *buf = NULL;
    size_t bufcap = SCAN_BUF;
    int64_t win_off = 0, win_len = 0; /* buffer holds file [win_off, win_off+win_len) */
    bytes_t ix = {0}, tx = {0};
    int64_t pos = 0, next = s->base, since = 0, max_ts = -1, max_ts_off = -1;
    int64_t last_tx_ts = INT64_MIN;
    const char *why = NULL;
    char whybuf[128];
    int64_t first_ts = -1;

    buf = bs_xmalloc(bufcap);
    while (pos < s->size) {
        int64_t rem = s->size - pos;
        if (rem < BS_BATCH_HDR_SIZE) {
            why = "torn batch header";
            break;
        }
        /* Make [pos, pos+61) resident. */
        if (pos < win_off || pos + BS_BATCH_HDR_SIZE > win_off + win_len) {
            size_t want = (size_t)(rem < (int64_t)bufcap ? rem : (int64_t)bufcap);
            ssize_t n = pread(s->fd, buf, want, pos);
            if (n < 0)
                goto done;
            win_off = pos;
            win_len = n;
            if (n < BS_BATCH_HDR_SIZE) {
                why = "short read";
                break;
            }
        }
        bs_batch_hdr_t h;
        bs_batch_hdr_parse(buf + (pos - win_off), BS_BATCH_HDR_SIZE, &h);
        int64_t bsize = (int64_t)h.BatchLength + BS_BATCH_LOG_OVERHEAD;
        if (h.Magic != 2) {
            snprintf(whybuf, sizeof(whybuf), "magic %d", h.Magic);
            why = whybuf;
            break;
        }
        if (h.BatchLength < BS_BATCH_HDR_SIZE - BS_BATCH_LOG_OVERHEAD) {
            snprintf(whybuf, sizeof(whybuf), "batchLength %d too small", h.BatchLength);
            why = whybuf;
            break;
        }
        if (bsize > rem) {
            snprintf(whybuf, sizeof(whybuf), "torn batch: length %" PRId64 ", %" PRId64 " left",
                     bsize, rem);
            why = whybuf;
            break;
        }
        if (h.BaseOffset < next || h.LastOffsetDelta < 0 ||
            h.BaseOffset + (int64_t)h.LastOffsetDelta >= next_base ||
            h.BaseOffset + (int64_t)h.LastOffsetDelta - s->base > INT32_MAX) {
            snprintf(whybuf, sizeof(whybuf),
                     "offsets %" PRId64 "+%d not increasing (expected >= %" PRId64 ")",
                     h.BaseOffset, h.LastOffsetDelta, next);
            why = whybuf;
            break;
        }
        /* Make the whole batch resident. */
        if (pos + bsize > win_off + win_len) {
            if ((size_t)bsize > bufcap) {
                bufcap = (size_t)bsize;
                free(buf);
                buf = bs_xmalloc(bufcap);
            }
            size_t want = (size_t)(rem < (int64_t)bufcap ? rem : (int64_t)bufcap);
            ssize_t n = pread(s->fd, buf, want, pos);
            if (n < 0)
                goto done;
            win_off = pos;
            win_len = n;
            if (n < bsize) {
                why = "short read";
                break;
            }
        }
        const uint8_t *b = buf + (pos - win_off);
        uint32_t crc =
            bs_crc32c(0, b + BS_BATCH_OFF_ATTRIBUTES, (size_t)bsize - BS_BATCH_OFF_ATTRIBUTES);
        if (crc != h.Crc) {
            snprintf(whybuf, sizeof(whybuf), "bad crc 0x%08x (computed 0x%08x)", h.Crc, crc);
            why = whybuf;
            break;
        }
        /* Good batch: index it the way append does. */
        int64_t last = h.BaseOffset + h.LastOffsetDelta;
        if (first_ts < 0)
            first_ts = h.MaxTimestamp;
        if (h.MaxTimestamp > max_ts) {
            max_ts = h.MaxTimestamp;
            max_ts_off = last;
        }
        if (since > l->cfg.index_interval_bytes) {
            uint8_t e[12];
            pl_wr32(e, (uint32_t)(h.BaseOffset - s->base));
            pl_wr32(e + 4, (uint32_t)pos);
            bytes_put(&ix, e, 8);
            if (max_ts >= 0 && max_ts > last_tx_ts) {
                pl_wr64(e, (uint64_t)max_ts);
                pl_wr32(e + 8, (uint32_t)(max_ts_off - s->base));
                bytes_put(&tx, e, 12);
                last_tx_ts = max_ts;
            }
            since = 0;
        }
        since += bsize;
        next = last + 1;
        pos += bsize;
    }
    int truncated = 0;
    if (pos < s->size) {
        bs_log_warn(COMP, "%s: truncating at position %" PRId64 " of %" PRId64 ": %s", s->path_log,
                    pos, s->size, why ? why : "invalid batch");
        if (ftruncate(s->fd, pos) < 0)
            goto done;
        s->size = pos;
        truncated = 1;
    }
    /* Rewrite the index files. */
    seg_unmap(s);
    if (ftruncate(s->idx_fd, 0) < 0 || ftruncate(s->tidx_fd, 0) < 0 ||
        (ix.len && write_all(s->idx_fd, ix.data, ix.len, 0) < 0) ||
        (tx.len && write_all(s->tidx_fd, tx.data, tx.len, 0) < 0))
        goto done;
    s->idx_n = (int64_t)(ix.len / BS_PLOG_IDX_ENTRY);
    s->tidx_n = (int64_t)(tx.len / BS_PLOG_TIDX_ENTRY);
    s->max_ts = max_ts;
    s->max_ts_off = max_ts_off;
    s->bytes_since_idx = since;
    s->created_ms = first_ts;
    *nextp = next;
    ret = truncated;
done:
    if (ret < 0)
        bs_log_error(COMP, "%s: recovery I/O error: %s", s->path_log, strerror(errno));
    free(buf);
    free(ix.data);
    free(tx.data);
    return ret;
}

/* Reads a whole index file; returns its bytes (malloc'd) or NULL (*n = 0)
 * when empty or unreadable. */
static uint8_t *read_file(int fd, size_t *n)
{
    struct stat st;
    *n = 0;
    if (fstat(fd, &st) < 0 || st.st_size <= 0)
        return NULL;
    uint8_t *b = bs_xmalloc((size_t)st.st_size);
    ssize_t r = pread(fd, b, (size_t)st.st_size, 0);
    if (r != st.st_size) {
        free(b);
        return NULL;
    }
    *n = (size_t)st.st_size;
    return b;
}

/* Sanity checks of Kafka's OffsetIndex/TimeIndex.sanityCheck plus monotony.
 * max_rel < 0 means unknown. Returns entries or -1. */
static int64_t idx_check(const uint8_t *b, size_t n, int64_t max_rel, int64_t log_size)
{
    if (n % BS_PLOG_IDX_ENTRY)
        return -1;
    int64_t prev_rel = -1, prev_pos = -1;
    for (size_t i = 0; i < n; i += BS_PLOG_IDX_ENTRY) {
        int64_t rel = (int32_t)pl_rd32(b + i), pos = (int32_t)pl_rd32(b + i + 4);
        if (rel <= prev_rel || pos < prev_pos || pos >= log_size || rel < 0 ||
            (max_rel >= 0 && rel > max_rel))
            return -1;
        prev_rel = rel;
        prev_pos = pos;
    }
    return (int64_t)(n / BS_PLOG_IDX_ENTRY);
}

static int64_t tidx_check(const uint8_t *b, size_t n, int64_t max_rel)
{
    if (n % BS_PLOG_TIDX_ENTRY)
        return -1;
    int64_t prev_ts = INT64_MIN, prev_rel = -1;
    for (size_t i = 0; i < n; i += BS_PLOG_TIDX_ENTRY) {
        int64_t ts = (int64_t)pl_rd64(b + i), rel = (int32_t)pl_rd32(b + i + 8);
        if (ts <= prev_ts || rel < prev_rel || rel < 0 || (max_rel >= 0 && rel > max_rel))
            return -1;
        prev_ts = ts;
        prev_rel = rel;
    }
    return (int64_t)(n / BS_PLOG_TIDX_ENTRY);
}

/* Header-only scan from pos to the end of the (active) segment, to find the
 * LEO and the max timestamp. Returns the next offset, or -1 if anything
 * looks wrong (the caller then runs a full recovery). */
static int64_t seg_scan_tail(bs_plog_seg_t *s, int64_t pos, int64_t *max_ts, int64_t *max_off)
{
    int64_t next = s->base;
    while (pos < s->size) {
        bs_batch_hdr_t h;
        if (seg_read_hdr(s, pos, &h) != 0)
            return -1;
        int64_t bsize = (int64_t)h.BatchLength + BS_BATCH_LOG_OVERHEAD;
        if (h.Magic != 2 || bsize < BS_BATCH_HDR_SIZE || pos + bsize > s->size ||
            h.BaseOffset < next || h.LastOffsetDelta < 0)
            return -1;
        next = h.BaseOffset + h.LastOffsetDelta + 1;
        if (h.MaxTimestamp > *max_ts) {
            *max_ts = h.MaxTimestamp;
            *max_off = next - 1;
        }
        pos += bsize;
    }
    return next;
}

/* Opens one existing segment; checks its indexes, or (validate, or any
 * doubt about the indexes) validates every batch and rebuilds them. is_last:
 * it becomes the active segment. Returns 1 if truncated, 0 ok, -1 error. */
static int seg_load(bs_plog_t *l, bs_plog_seg_t *s, int64_t next_base, int is_last, int validate,
                    int64_t *end)
{
    struct stat st;
    int ret = -1, rebuild = 0;
    uint8_t *ib = NULL, *tb = NULL;
    size_t in = 0, tn = 0;
    s->fd = open(s->path_log, O_RDWR | O_CLOEXEC);
    s->idx_fd = open(s->path_idx, O_RDWR | O_CLOEXEC);
    if (s->idx_fd < 0) {
        if (errno != ENOENT)
            goto done;
        s->idx_fd = open(s->path_idx, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        rebuild = 1;
        bs_log_warn(COMP, "%s: missing, rebuilding", s->path_idx);
    }
    s->tidx_fd = open(s->path_tidx, O_RDWR | O_CLOEXEC);
    if (s->tidx_fd < 0) {
        if (errno != ENOENT)
            goto done;
        s->tidx_fd = open(s->path_tidx, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        rebuild = 1;
        bs_log_warn(COMP, "%s: missing, rebuilding", s->path_tidx);
    }
    if (s->fd < 0 || s->idx_fd < 0 || s->tidx_fd < 0 || fstat(s->fd, &st) < 0)
        goto done;
    s->size = st.st_size;
    if (!rebuild && !validate) {
        int64_t max_rel = next_base == INT64_MAX ? -1 : next_base - 1 - s->base;
        ib = read_file(s->idx_fd, &in);
        tb = read_file(s->tidx_fd, &tn);
        int64_t ni = idx_check(ib, in, max_rel, s->size);
        int64_t nt = tidx_check(tb, tn, max_rel);
        if (ni < 0 || nt < 0) {
            bs_log_warn(COMP, "%s: index files fail the sanity check, rebuilding", s->path_log);
            rebuild = 1;
        } else {
            s->idx_n = ni;
            s->tidx_n = nt;
            if (nt > 0) {
                s->max_ts = (int64_t)pl_rd64(tb + (nt - 1) * BS_PLOG_TIDX_ENTRY);
                s->max_ts_off = s->base + pl_rd32(tb + (nt - 1) * BS_PLOG_TIDX_ENTRY + 8);
            }
            int64_t from = ni > 0 ? (int32_t)pl_rd32(ib + (ni - 1) * BS_PLOG_IDX_ENTRY + 4) : 0;
            if (is_last || nt == 0) {
                int64_t mts = s->max_ts, moff = s->max_ts_off;
                int64_t nx = seg_scan_tail(s, from, &mts, &moff);
                if (nx < 0 || nx > next_base) {
                    bs_log_warn(COMP, "%s: tail does not parse, validating the segment",
                                s->path_log);
                    rebuild = 1;
                } else {
                    s->max_ts = mts;
                    s->max_ts_off = moff;
                    if (is_last)
                        *end = nx > s->base ? nx : s->base;
                    s->bytes_since_idx = s->size - from;
                    bs_batch_hdr_t h0;
                    if (seg_read_hdr(s, 0, &h0) == 0)
                        s->created_ms = h0.MaxTimestamp;
                }
            }
        }
    }
    ret = 0;
    if (rebuild || validate) {
        int64_t nx = s->base;
        ret = seg_recover(l, s, next_base, &nx);
        if (ret < 0)
            goto done;
        if (is_last)
            *end = nx;
    }
    if (seg_map(l, s, is_last) < 0) {
        ret = -1;
        goto done;
    }
    if (!is_last && s->created_ms < 0)
        s->created_ms = s->max_ts;
done:
    free(ib);
    free(tb);
    return ret;
}

/* ---- open / close ------------------------------------------------------------ */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int mkdirs(const char *dir)
{
    char *p = bs_xstrdup(dir);
    int ret = 0;
    for (char *c = p + 1; *c; c++) {
        if (*c == '/') {
            *c = 0;
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                ret = -1;
                break;
            }
            *c = '/';
        }
    }
    if (ret == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
        ret = -1;
    free(p);
    return ret;
}

static int64_t read_num_file(bs_plog_t *l, const char *name)
{
    char path[4096], buf[64];
    snprintf(path, sizeof(path), "%s/%s", l->dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *e;
    long long v = strtoll(buf, &e, 10);
    if (e == buf || v < 0)
        return -1;
    return v;
}

static int write_num_file(bs_plog_t *l, const char *name, int64_t v)
{
    char path[4096], tmp[4200], buf[32];
    snprintf(path, sizeof(path), "%s/%s", l->dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int n = snprintf(buf, sizeof(buf), "%" PRId64 "\n", v);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int ok = write_all(fd, (const uint8_t *)buf, (size_t)n, 0) == 0 && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) < 0)
        return -1;
    fsync(l->dirfd);
    return 0;
}

/* ---- compaction swap recovery ----------------------------------------------- */

static int is_seg_name(const char *n, const char *suffix)
{
    return strlen(n) == 20 + strlen(suffix) && strspn(n, "0123456789") == 20 &&
           strcmp(n + 20, suffix) == 0;
}

/* Last offset in a .log file, by header scan (-1 if empty/unreadable). */
static int64_t file_last_offset(int dirfd, const char *name)
{
    int64_t last = -1, pos = 0;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    for (;;) {
        uint8_t b[BS_BATCH_HDR_SIZE];
        if (pread(fd, b, sizeof(b), pos) != (ssize_t)sizeof(b))
            break;
        bs_batch_hdr_t h;
        bs_batch_hdr_parse(b, sizeof(b), &h);
        if (h.Magic != 2 || h.BatchLength < BS_BATCH_HDR_SIZE - BS_BATCH_LOG_OVERHEAD)
            break;
        last = h.BaseOffset + h.LastOffsetDelta;
        pos += (int64_t)h.BatchLength + BS_BATCH_LOG_OVERHEAD;
    }
    close(fd);
    return last;
}

/* Runs at open, before segments are listed: removes *.cleaned (a cleaner
 * run that never committed), completes every swap whose .log.swap exists
 * (the commit point of bs_plog_clean_swap): segments whose base falls inside
 * the swapped range are removed, index files without a .swap are removed
 * (rebuilt, since they may describe the old file), the .swap files take
 * their final names. Index .swap files without a .log.swap predate the
 * commit point and are removed. */
static void clean_recover(bs_plog_t *l)
{
    int64_t *swaps = NULL, *logs = NULL;
    int ns = 0, nl = 0, caps = 0, capl = 0;
    DIR *d = opendir(l->dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        size_t len = strlen(n);
        if (len > 8 && strcmp(n + len - 8, ".cleaned") == 0) {
            bs_log_warn(COMP, "%s: discarding unfinished cleaner output %s", l->dir, n);
            unlinkat(l->dirfd, n, 0);
        } else if (is_seg_name(n, ".log.swap")) {
            if (ns == caps) {
                caps = caps ? caps * 2 : 4;
                swaps = bs_xrealloc(swaps, sizeof(*swaps) * (size_t)caps);
            }
            swaps[ns++] = strtoll(n, NULL, 10);
        } else if (is_seg_name(n, ".log")) {
            if (nl == capl) {
                capl = capl ? capl * 2 : 16;
                logs = bs_xrealloc(logs, sizeof(*logs) * (size_t)capl);
            }
            logs[nl++] = strtoll(n, NULL, 10);
        }
    }
    closedir(d);
    static const char *const exts[] = {".index", ".timeindex"};
    char a[64], b[64];
    for (int i = 0; i < ns; i++) {
        int64_t base = swaps[i];
        snprintf(a, sizeof(a), "%020" PRId64 ".log.swap", base);
        int64_t last = file_last_offset(l->dirfd, a);
        for (int j = 0; j < nl; j++) {
            if (logs[j] <= base || logs[j] > last)
                continue;
            bs_log_warn(COMP, "%s: removing segment %020" PRId64 " replaced by cleaned %020" PRId64,
                        l->dir, logs[j], base);
            const char *all[] = {".log", ".index", ".timeindex"};
            for (int e = 0; e < 3; e++) {
                snprintf(b, sizeof(b), "%020" PRId64 "%s", logs[j], all[e]);
                unlinkat(l->dirfd, b, 0);
            }
        }
        for (int e = 0; e < 2; e++) {
            snprintf(a, sizeof(a), "%020" PRId64 "%s.swap", base, exts[e]);
            snprintf(b, sizeof(b), "%020" PRId64 "%s", base, exts[e]);
            if (renameat(l->dirfd, a, l->dirfd, b) < 0)
                unlinkat(l->dirfd, b, 0);
        }
        snprintf(a, sizeof(a), "%020" PRId64 ".log.swap", base);
        snprintf(b, sizeof(b), "%020" PRId64 ".log", base);
        if (renameat(l->dirfd, a, l->dirfd, b) < 0)
            bs_log_error(COMP, "%s: cannot complete the swap of %s: %s", l->dir, a,
                         strerror(errno));
        else
            bs_log_warn(COMP, "%s: completed the interrupted swap of cleaned segment %020" PRId64,
                        l->dir, base);
    }
    /* Index .swap files left without their .log.swap. */
    d = opendir(l->dir);
    while (d && (de = readdir(d))) {
        const char *n = de->d_name;
        if (is_seg_name(n, ".index.swap") || is_seg_name(n, ".timeindex.swap"))
            unlinkat(l->dirfd, n, 0);
    }
    if (d)
        closedir(d);
    if (ns)
        fsync(l->dirfd);
    free(swaps);
    free(logs);
}

int bs_plog_open(bs_plog_t **out, const char *dir, const bs_plog_config_t *cfg, int recover,
                 char *err, size_t errlen)
{
    int ret = -1;
    bs_plog_t *l = bs_xcalloc(1, sizeof(*l));
    int64_t *bases = NULL;
    int nb = 0, capb = 0;
    DIR *d = NULL;
    int64_t end = 0;
    *out = NULL;
    l->dir = bs_xstrdup(dir);
    l->dirfd = -1;
    l->cfg = *cfg;
    if (l->cfg.index_interval_bytes < 0)
        l->cfg.index_interval_bytes = 0;
    pthread_mutex_init(&l->mu, NULL);
    pthread_mutex_init(&l->sync_mu, NULL);
    if (mkdirs(dir) < 0) {
        pl_seterr(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
        goto done;
    }
    l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l->dirfd >= 0)
        clean_recover(l); /* before listing: it renames files */
    d = opendir(dir);
    if (l->dirfd < 0 || !d) {
        pl_seterr(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
        goto done;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        size_t len = strlen(n);
        if (len > 8 && strcmp(n + len - 8, ".deleted") == 0) {
            unlinkat(l->dirfd, n, 0);
            continue;
        }
        if (len == 24 && strcmp(n + 20, ".log") == 0 && strspn(n, "0123456789") == 20) {
            if (nb == capb) {
                capb = capb ? capb * 2 : 16;
                bases = bs_xrealloc(bases, sizeof(*bases) * (size_t)capb);
            }
            bases[nb++] = strtoll(n, NULL, 10);
        }
    }
    if (nb > 1)
        qsort(bases, (size_t)nb, sizeof(*bases), cmp_i64);
    for (int i = 0; i < nb; i++) {
        bs_plog_seg_t *s = seg_alloc(l, bases[i]);
        int last = i == nb - 1;
        int64_t next_base = last ? INT64_MAX : bases[i + 1];
        /* After a crash, validate the active segment and the one before it
         * (a roll may have happened just before the crash, leaving the
         * previous segment's tail unflushed). */
        int r = seg_load(l, s, next_base, last, recover && i >= nb - 2, &end);
        if (r < 0) {
            pl_seterr(err, errlen, "%s: cannot load: %s", s->path_log, strerror(errno));
            seg_free(s);
            goto done;
        }
        list_push(l, s);
        if (r == 1 && !last) {
            /* A sealed segment lost its tail: later offsets no longer
             * follow. Drop everything after it (Kafka does the same). */
            bs_log_warn(COMP, "%s: removing %d segment(s) after the truncated %s", dir, nb - i - 1,
                        s->path_log);
            for (int j = i + 1; j < nb; j++) {
                bs_plog_seg_t *t = seg_alloc(l, bases[j]);
                unlink(t->path_log);
                unlink(t->path_idx);
                unlink(t->path_tidx);
                seg_free(t);
            }
            /* Reopen it as the active segment. */
            int64_t mt = -1, mo = -1;
            end = seg_scan_tail(s, 0, &mt, &mo);
            if (end < s->base)
                end = s->base;
            if (seg_map(l, s, 1) < 0) {
                pl_seterr(err, errlen, "%s: cannot map index: %s", s->path_idx, strerror(errno));
                goto done;
            }
            break;
        }
    }
    if (l->nsegs == 0) {
        int64_t st = read_num_file(l, START_FILE);
        bs_plog_seg_t *s = seg_create(l, st > 0 ? st : 0);
        if (!s) {
            pl_seterr(err, errlen, "%s: cannot create the first segment: %s", dir, strerror(errno));
            goto done;
        }
        list_push(l, s);
        end = s->base;
        atomic_store(&l->dir_dirty, 1);
    }
    atomic_store(&l->end, end);
    atomic_store(&l->durable, end);
    l->start = l->segs[0]->base;
    int64_t st = read_num_file(l, START_FILE);
    if (st > l->start)
        l->start = st;
    if (l->start > end)
        l->start = end;
    l->clean_point = read_num_file(l, CLEAN_FILE);
    if (l->clean_point < l->start || l->clean_point > end)
        l->clean_point = l->start;
    l->last_flush_ms = wall_ms();
    *out = l;
    l = NULL;
    ret = 0;
done:
    if (d)
        closedir(d);
    free(bases);
    if (l)
        bs_plog_close(l);
    return ret;
}

void bs_plog_set_config(bs_plog_t *l, const bs_plog_config_t *cfg)
{
    l->cfg = *cfg;
    if (l->cfg.index_interval_bytes < 0)
        l->cfg.index_interval_bytes = 0;
}

static void plog_free(bs_plog_t *l, int seal)
{
    for (int i = 0; i < l->nsegs; i++) {
        if (seal && l->segs[i]->active) {
            seg_seal(l, l->segs[i]);
            fsync(l->segs[i]->idx_fd);
            fsync(l->segs[i]->tidx_fd);
        }
        seg_unref(l->segs[i]);
    }
    free(l->segs);
    if (l->dirfd >= 0)
        close(l->dirfd);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->sync_mu);
    free(l->dir);
    free(l);
}

void bs_plog_close(bs_plog_t *l)
{
    if (!l)
        return;
    if (l->nsegs)
        bs_plog_sync(l);
    plog_free(l, 1);
}

void bs_plog_delete(bs_plog_t *l)
{
    if (!l)
        return;
    char *dir = bs_xstrdup(l->dir);
    for (int i = 0; i < l->nsegs; i++)
        l->segs[i]->deleted = 1;
    plog_free(l, 0);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        int dfd = dirfd(d);
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                unlinkat(dfd, de->d_name, 0);
        closedir(d);
    }
    if (rmdir(dir) < 0)
        bs_log_warn(COMP, "%s: cannot remove: %s", dir, strerror(errno));
    free(dir);
}

/* ---- append ------------------------------------------------------------------- */

bs_err_t bs_plog_append(bs_plog_t *l, uint8_t *batches, size_t len, int64_t now_ms,
                        int log_append_time, bs_plog_append_info_t *info)
{
    bs_err_t ret = BS_ERR_NONE;
    int64_t noff = 0, nrec = 0;
    size_t pos = 0;
    if (info) {
        info->BaseOffset = info->LastOffset = -1;
        info->LogAppendTime = -1;
        info->RecordCount = 0;
    }
    while (pos < len) {
        int64_t bs = bs_batch_size(batches + pos, len - pos);
        if (bs < BS_BATCH_HDR_SIZE || (uint64_t)bs > len - pos)
            return BS_ERR_CORRUPT_MESSAGE;
        bs_batch_hdr_t h;
        bs_batch_hdr_parse(batches + pos, len - pos, &h);
        if (h.LastOffsetDelta < 0)
            return BS_ERR_CORRUPT_MESSAGE;
        noff += (int64_t)h.LastOffsetDelta + 1;
        nrec += h.RecordsCount;
        pos += (size_t)bs;
    }
    if (len == 0)
        return BS_ERR_NONE;
    if (len > INT32_MAX)
        return BS_ERR_RECORD_LIST_TOO_LARGE;

    int64_t end = atomic_load_explicit(&l->end, memory_order_relaxed);
    bs_plog_seg_t *s = active_seg(l);
    if (s->size > 0 &&
        (s->size + (int64_t)len > l->cfg.segment_bytes || s->size + (int64_t)len > INT32_MAX ||
         (s->created_ms >= 0 && now_ms - s->created_ms >= l->cfg.segment_ms) ||
         end + noff - 1 - s->base > INT32_MAX || s->idx_n >= s->idx_cap ||
         s->tidx_n >= s->tidx_cap)) {
        if (roll(l, now_ms) < 0)
            return BS_ERR_KAFKA_STORAGE_ERROR;
        s = active_seg(l);
    }

    /* Stamp offsets (outside the CRC) and, if asked, LogAppendTime. */
    int64_t next = end;
    for (pos = 0; pos < len;) {
        uint8_t *b = batches + pos;
        size_t bs = (size_t)bs_batch_size(b, len - pos);
        bs_batch_set_base_offset(b, next);
        bs_batch_set_leader_epoch(b, 0);
        if (log_append_time)
            bs_batch_set_log_append_time(b, bs, now_ms);
        next += (int64_t)pl_rd32(b + BS_BATCH_OFF_LAST_OFFSET_DELTA) + 1;
        pos += bs;
    }

    if (write_all(s->fd, batches, len, s->size) < 0) {
        bs_log_error(COMP, "%s: write failed: %s", s->path_log, strerror(errno));
        if (ftruncate(s->fd, s->size) < 0)
            bs_log_error(COMP, "%s: cannot undo a partial write: %s", s->path_log, strerror(errno));
        ret = BS_ERR_KAFKA_STORAGE_ERROR;
        goto done;
    }

    /* Indexes: memory stores into the mmap'd files. */
    int64_t fpos = s->size;
    for (pos = 0; pos < len;) {
        uint8_t *b = batches + pos;
        size_t bs = (size_t)bs_batch_size(b, len - pos);
        int64_t bo = (int64_t)pl_rd64(b);
        int64_t lo = bo + (int32_t)pl_rd32(b + BS_BATCH_OFF_LAST_OFFSET_DELTA);
        int64_t mts = (int64_t)pl_rd64(b + BS_BATCH_OFF_MAX_TIMESTAMP);
        seg_index_batch(l, s, fpos + (int64_t)pos, (int64_t)bs, bo, lo, mts);
        pos += bs;
    }
    if (s->size == 0 || s->created_ms < 0)
        s->created_ms = now_ms;
    s->size += (int64_t)len;
    atomic_store_explicit(&l->end, next, memory_order_release);

    if (info) {
        info->BaseOffset = end;
        info->LastOffset = next - 1;
        info->LogAppendTime = log_append_time ? now_ms : -1;
        info->RecordCount = nrec;
    }
    l->unflushed_msgs += nrec;
    if (l->unflushed_msgs >= l->cfg.flush_interval_messages ||
        (l->cfg.flush_interval_ms != INT64_MAX &&
         now_ms - l->last_flush_ms >= l->cfg.flush_interval_ms)) {
        if (bs_plog_sync(l) < 0)
            ret = BS_ERR_KAFKA_STORAGE_ERROR;
        l->unflushed_msgs = 0;
        l->last_flush_ms = now_ms;
    }
done:
    return ret;
}

int bs_plog_maybe_roll_by_time(bs_plog_t *l, int64_t now_ms)
{
    bs_plog_seg_t *s = active_seg(l);
    if (s->size > 0 && s->created_ms >= 0 && now_ms - s->created_ms >= l->cfg.segment_ms)
        return roll(l, now_ms) == 0;
    return 0;
}

int64_t bs_plog_end_offset(bs_plog_t *l)
{
    return atomic_load(&l->end);
}
int64_t bs_plog_start_offset(bs_plog_t *l)
{
    return l->start;
}

/* ---- sync ---------------------------------------------------------------------- */

int64_t bs_plog_sync(bs_plog_t *l)
{
    int64_t ret = -1;
    bs_plog_seg_t *stack[8], **todo = stack;
    int n = 0;
    pthread_mutex_lock(&l->sync_mu);
    pthread_mutex_lock(&l->mu);
    int64_t e = atomic_load_explicit(&l->end, memory_order_acquire);
    int64_t dur = atomic_load(&l->durable);
    int dird = atomic_exchange(&l->dir_dirty, 0);
    if (e <= dur && !dird) {
        pthread_mutex_unlock(&l->mu);
        ret = dur;
        goto done;
    }
    /* Segments that may hold offsets >= dur. */
    int first = l->nsegs - 1;
    while (first > 0 && l->segs[first]->base > dur)
        first--;
    n = l->nsegs - first;
    if (n > 8)
        todo = bs_xmalloc(sizeof(*todo) * (size_t)n);
    for (int i = 0; i < n; i++) {
        todo[i] = l->segs[first + i];
        seg_keep(todo[i]);
    }
    pthread_mutex_unlock(&l->mu);
    int ok = 1;
    for (int i = 0; i < n; i++)
        if (fdatasync(todo[i]->fd) < 0) {
            bs_log_error(COMP, "%s: fdatasync: %s", todo[i]->path_log, strerror(errno));
            ok = 0;
        }
    if (dird && fsync(l->dirfd) < 0)
        ok = 0;
    for (int i = 0; i < n; i++)
        seg_unref(todo[i]);
    if (!ok) {
        atomic_store(&l->dir_dirty, dird);
        goto done;
    }
    if (e > dur)
        atomic_store(&l->durable, e);
    ret = e > dur ? e : dur;
done:
    if (todo != stack)
        free(todo);
    pthread_mutex_unlock(&l->sync_mu);
    return ret;
}

int64_t bs_plog_durable_offset(bs_plog_t *l)
{
    return atomic_load(&l->durable);
}

/* ---- read ------------------------------------------------------------------------ */

static void noop_release(void *ctx)
{
    (void)ctx;
}

/* Finds the batch containing offset, starting at segment index *si. On
 * success (0) si, posp and h describe it; 1 if no batch at or after offset. */
static int find_batch(bs_plog_t *l, int *si, int64_t offset, int64_t *posp, bs_batch_hdr_t *h)
{
    int i = *si;
    int64_t pos = idx_lookup(l->segs[i], offset - l->segs[i]->base);
    for (; i < l->nsegs; i++, pos = 0) {
        bs_plog_seg_t *s = l->segs[i];
        while (pos < s->size) {
            int r = seg_read_hdr(s, pos, h);
            if (r < 0)
                return -1;
            if (r > 0)
                break;
            int64_t bsize = (int64_t)h->BatchLength + BS_BATCH_LOG_OVERHEAD;
            if (bsize < BS_BATCH_HDR_SIZE || pos + bsize > s->size)
                break;
            if (h->BaseOffset + h->LastOffsetDelta >= offset) {
                *si = i;
                *posp = pos;
                return 0;
            }
            pos += bsize;
        }
    }
    return 1;
}

bs_err_t bs_plog_read(bs_plog_t *l, int64_t offset, int32_t max_bytes, bs_plog_slice_t *out)
{
    return bs_plog_read_bounded(l, offset, max_bytes, INT64_MAX, out);
}

bs_err_t bs_plog_read_bounded(bs_plog_t *l, int64_t offset, int32_t max_bytes, int64_t max_offset,
                              bs_plog_slice_t *out)
{
    out->fd = -1;
    out->file_off = 0;
    out->len = 0;
    out->base_offset = -1;
    out->release = noop_release;
    out->ctx = NULL;
    int64_t end = atomic_load_explicit(&l->end, memory_order_relaxed);
    if (offset < l->start || offset > end)
        return BS_ERR_OFFSET_OUT_OF_RANGE;
    if (offset == end)
        return BS_ERR_NONE;
    int si = seg_find(l, offset);
    int64_t first;
    bs_batch_hdr_t h;
    int r = find_batch(l, &si, offset, &first, &h);
    if (r < 0)
        return BS_ERR_KAFKA_STORAGE_ERROR;
    if (r > 0)
        return BS_ERR_NONE;
    bs_plog_seg_t *s = l->segs[si];
    int64_t seg_end = s->size;
    if (max_offset < end) {
        /* Stop before the batch holding max_offset (e.g. the LSO). */
        int sj = si;
        int64_t pc;
        bs_batch_hdr_t hc;
        r = find_batch(l, &sj, max_offset, &pc, &hc);
        if (r < 0)
            return BS_ERR_KAFKA_STORAGE_ERROR;
        if (r == 0 && sj == si)
            seg_end = pc;
        if (seg_end <= first)
            return BS_ERR_NONE;
    }
    int64_t endpos = first + (int64_t)h.BatchLength + BS_BATCH_LOG_OVERHEAD;
    int64_t limit = first + (max_bytes > 0 ? max_bytes : 0);
    if (limit >= seg_end) {
        endpos = seg_end;
    } else if (limit > endpos) {
        int64_t p = idx_floor_pos(s, limit);
        if (p < endpos)
            p = endpos;
        endpos = p;
        while (p < limit) {
            bs_batch_hdr_t nh;
            if (seg_read_hdr(s, p, &nh) != 0)
                break;
            int64_t bsz = (int64_t)nh.BatchLength + BS_BATCH_LOG_OVERHEAD;
            if (bsz < BS_BATCH_HDR_SIZE || p + bsz > limit)
                break;
            p += bsz;
            endpos = p;
        }
    }
    seg_keep(s);
    out->fd = s->fd;
    out->file_off = first;
    out->len = endpos - first;
    out->base_offset = h.BaseOffset;
    out->release = slice_release_cb;
    out->ctx = s;
    return BS_ERR_NONE;
}

/* ---- timestamps ------------------------------------------------------------------- */

/* In the batch at pos of s: first record with offset >= min_off and
 * timestamp >= ts. Falls back to the batch's base offset when the records
 * cannot be read. */
static void batch_find_ts(bs_plog_seg_t *s, int64_t pos, const bs_batch_hdr_t *h, int64_t ts,
                          int64_t min_off, int64_t *offset, int64_t *found_ts)
{
    uint8_t *buf = NULL, *recs = NULL;
    size_t rlen = 0;
    int64_t bsize = (int64_t)h->BatchLength + BS_BATCH_LOG_OVERHEAD;
    *offset = h->BaseOffset > min_off ? h->BaseOffset : min_off;
    *found_ts = h->MaxTimestamp;
    if (h->Attributes & BS_BATCH_ATTR_LOG_APPEND_TIME)
        goto done;
    buf = bs_xmalloc((size_t)bsize);
    if (pread(s->fd, buf, (size_t)bsize, pos) != bsize)
        goto done;
    if (bs_batch_decompress(buf, (size_t)bsize, &recs, &rlen, NULL, 0) < 0)
        goto done;
    bs_record_iter_t it;
    bs_rec_t r;
    bs_record_iter_init(&it, recs, rlen, h->RecordsCount);
    while (bs_record_iter_next(&it, &r, NULL, 0) == 1) {
        int64_t o = h->BaseOffset + r.offset_delta, t = h->BaseTimestamp + r.timestamp_delta;
        if (o >= min_off && t >= ts) {
            *offset = o;
            *found_ts = t;
            break;
        }
    }
done:
    free(buf);
    free(recs);
}

bs_err_t bs_plog_offset_for_timestamp(bs_plog_t *l, int64_t ts, int64_t *offset, int64_t *found_ts)
{
    *offset = -1;
    *found_ts = -1;
    for (int i = seg_find(l, l->start); i < l->nsegs; i++) {
        bs_plog_seg_t *s = l->segs[i];
        if (s->max_ts < ts || s->size == 0)
            continue;
        /* Last time index entry with timestamp < ts: every batch before the
         * one holding its offset has maxTimestamp < ts. */
        int64_t lo = 0, hi = s->tidx_n - 1, best = -1;
        while (lo <= hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (tidx_ts(s, mid) < ts) {
                best = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        int64_t pos = best < 0 ? 0 : idx_lookup(s, tidx_rel(s, best));
        while (pos < s->size) {
            bs_batch_hdr_t h;
            int r = seg_read_hdr(s, pos, &h);
            if (r < 0)
                return BS_ERR_KAFKA_STORAGE_ERROR;
            int64_t bsize = (int64_t)h.BatchLength + BS_BATCH_LOG_OVERHEAD;
            if (r > 0 || bsize < BS_BATCH_HDR_SIZE || pos + bsize > s->size)
                break;
            if (h.MaxTimestamp >= ts && h.BaseOffset + h.LastOffsetDelta >= l->start) {
                batch_find_ts(s, pos, &h, ts, l->start, offset, found_ts);
                return BS_ERR_NONE;
            }
            pos += bsize;
        }
    }
    return BS_ERR_NONE;
}

void bs_plog_max_timestamp(bs_plog_t *l, int64_t *offset, int64_t *ts)
{
    *offset = -1;
    *ts = -1;
    int best = -1;
    for (int i = 0; i < l->nsegs; i++)
        if (l->segs[i]->max_ts > *ts && l->segs[i]->max_ts_off >= l->start) {
            *ts = l->segs[i]->max_ts;
            best = i;
        }
    if (best < 0)
        return;
    /* Refine from "last offset of the batch" to the record carrying it. */
    bs_plog_seg_t *s = l->segs[best];
    int si = best;
    int64_t pos;
    bs_batch_hdr_t h;
    *offset = s->max_ts_off;
    if (find_batch(l, &si, s->max_ts_off, &pos, &h) == 0 && si == best) {
        int64_t fts;
        batch_find_ts(s, pos, &h, *ts, l->start, offset, &fts);
    }
}

/* ---- deletion ----------------------------------------------------------------------- */

static void advance_start(bs_plog_t *l)
{
    if (l->segs[0]->base > l->start)
        l->start = l->segs[0]->base;
}

bs_err_t bs_plog_delete_records(bs_plog_t *l, int64_t offset)
{
    int64_t end = atomic_load(&l->end);
    if (offset == -1)
        offset = end;
    if (offset < 0 || offset > end)
        return BS_ERR_OFFSET_OUT_OF_RANGE;
    if (offset <= l->start)
        return BS_ERR_NONE;
    if (write_num_file(l, START_FILE, offset) < 0) {
        bs_log_error(COMP, "%s: cannot persist the log start offset: %s", l->dir, strerror(errno));
        return BS_ERR_KAFKA_STORAGE_ERROR;
    }
    l->start = offset;
    /* Everything deleted: start a fresh segment so the old one can go. */
    if (offset == end && active_seg(l)->size > 0 && roll(l, 0) < 0)
        return BS_ERR_KAFKA_STORAGE_ERROR;
    while (l->nsegs > 1 && l->segs[1]->base <= offset)
        list_delete_at(l, 0);
    return BS_ERR_NONE;
}

int bs_plog_enforce_retention(bs_plog_t *l, int64_t now_ms)
{
    int n = 0;
    if (l->cfg.retention_ms >= 0) {
        while (l->nsegs > 1) {
            bs_plog_seg_t *s = l->segs[0];
            int64_t t = s->max_ts;
            if (t < 0) {
                struct stat st;
                t = fstat(s->fd, &st) == 0 ? (int64_t)st.st_mtime * 1000 : now_ms;
            }
            if (now_ms - t <= l->cfg.retention_ms)
                break;
            list_delete_at(l, 0);
            n++;
        }
    }
    if (l->cfg.retention_bytes >= 0) {
        int64_t total = bs_plog_size_bytes(l);
        while (l->nsegs > 1 && total - l->segs[0]->size >= l->cfg.retention_bytes) {
            total -= l->segs[0]->size;
            list_delete_at(l, 0);
            n++;
        }
    }
    if (n)
        advance_start(l);
    return n;
}

int64_t bs_plog_size_bytes(bs_plog_t *l)
{
    int64_t t = 0;
    for (int i = 0; i < l->nsegs; i++)
        t += l->segs[i]->size;
    return t;
}

int bs_plog_segment_count(bs_plog_t *l)
{
    return l->nsegs;
}

/* ---- compaction support ------------------------------------------------------------- */

const char *bs_plog_dir(bs_plog_t *l)
{
    return l->dir;
}
const bs_plog_config_t *bs_plog_get_config(bs_plog_t *l)
{
    return &l->cfg;
}
int64_t bs_plog_active_base(bs_plog_t *l)
{
    return active_seg(l)->base;
}
int64_t bs_plog_clean_point(bs_plog_t *l)
{
    return l->clean_point;
}

int bs_plog_set_clean_point(bs_plog_t *l, int64_t offset)
{
    if (offset == l->clean_point)
        return 0;
    l->clean_point = offset;
    if (write_num_file(l, CLEAN_FILE, offset) < 0) {
        bs_log_warn(COMP, "%s: cannot persist the cleaner checkpoint: %s", l->dir, strerror(errno));
        return -1;
    }
    return 0;
}

int bs_plog_clean_segments(bs_plog_t *l, int64_t upto, bs_plog_cseg_t **out)
{
    int n = 0;
    *out = NULL;
    while (n < l->nsegs - 1 && l->segs[n + 1]->base <= upto)
        n++;
    if (n == 0)
        return 0;
    bs_plog_cseg_t *v = bs_xcalloc((size_t)n, sizeof(*v));
    for (int i = 0; i < n; i++) {
        bs_plog_seg_t *s = l->segs[i];
        seg_keep(s);
        v[i].base = s->base;
        v[i].next_base = l->segs[i + 1]->base;
        v[i].size = s->size;
        v[i].max_ts = s->max_ts;
        v[i].created_ms = s->created_ms;
        v[i].fd = s->fd;
        v[i].ref = s;
    }
    *out = v;
    return n;
}

void bs_plog_clean_release(bs_plog_cseg_t *segs, int n)
{
    for (int i = 0; i < n; i++)
        if (segs[i].ref)
            seg_unref(segs[i].ref);
    free(segs);
}

static const char *const clean_exts[3] = {".index", ".timeindex", ".log"};

int bs_plog_clean_swap(bs_plog_t *l, const bs_plog_cseg_t *cs, int n)
{
    int ret = -1, i0 = -1;
    int64_t base = cs[0].base;
    char *cl[3] = {0}, *sw[3] = {0}, *fin[3] = {0};
    bs_plog_seg_t **old = NULL, *ns = NULL;
    char ext[32];
    for (int e = 0; e < 3; e++) {
        snprintf(ext, sizeof(ext), "%s.cleaned", clean_exts[e]);
        cl[e] = seg_path(l, base, ext);
        snprintf(ext, sizeof(ext), "%s.swap", clean_exts[e]);
        sw[e] = seg_path(l, base, ext);
        fin[e] = seg_path(l, base, clean_exts[e]);
    }
    for (int i = 0; i < l->nsegs - 1; i++)
        if (l->segs[i] == cs[0].ref) {
            i0 = i;
            break;
        }
    int same = i0 >= 0 && i0 + n <= l->nsegs - 1;
    for (int k = 0; same && k < n; k++)
        same = l->segs[i0 + k] == cs[k].ref;
    if (!same) {
        bs_log_info(COMP, "%s: segments changed while cleaning, dropping cleaned %020" PRId64,
                    l->dir, base);
        for (int e = 0; e < 3; e++)
            unlink(cl[e]);
        ret = 1;
        goto done;
    }
    int64_t next_base = l->segs[i0 + n]->base;
    /* .cleaned -> .swap; the .log rename (last) is the commit point. */
    for (int e = 0; e < 3; e++)
        if (rename(cl[e], sw[e]) < 0) {
            bs_log_error(COMP, "%s: cannot rename %s: %s", l->dir, cl[e], strerror(errno));
            for (int k = 0; k < 3; k++) {
                unlink(cl[k]);
                unlink(sw[k]);
            }
            goto done;
        }
    fsync(l->dirfd);
    /* Retire the old segments: readers holding them keep their fds. */
    old = bs_xcalloc((size_t)n, sizeof(*old));
    pthread_mutex_lock(&l->mu);
    for (int k = 0; k < n; k++)
        old[k] = l->segs[i0 + k];
    memmove(&l->segs[i0], &l->segs[i0 + n], sizeof(*l->segs) * (size_t)(l->nsegs - i0 - n));
    l->nsegs -= n;
    pthread_mutex_unlock(&l->mu);
    for (int k = 0; k < n; k++) {
        rename_deleted(&old[k]->path_log);
        rename_deleted(&old[k]->path_idx);
        rename_deleted(&old[k]->path_tidx);
        old[k]->deleted = 1;
    }
    for (int e = 0; e < 3; e++)
        if (rename(sw[e], fin[e]) < 0)
            bs_log_error(COMP, "%s: cannot rename %s: %s", l->dir, sw[e], strerror(errno));
    fsync(l->dirfd);
    ns = seg_alloc(l, base);
    int64_t dummy = 0;
    if (seg_load(l, ns, next_base, 0, 0, &dummy) < 0) {
        bs_log_error(COMP, "%s: cannot load cleaned segment %020" PRId64 ": %s", l->dir, base,
                     strerror(errno));
        seg_free(ns);
        goto done;
    }
    pthread_mutex_lock(&l->mu);
    if (l->nsegs == l->capsegs) {
        l->capsegs *= 2;
        l->segs = bs_xrealloc(l->segs, sizeof(*l->segs) * (size_t)l->capsegs);
    }
    memmove(&l->segs[i0 + 1], &l->segs[i0], sizeof(*l->segs) * (size_t)(l->nsegs - i0));
    l->segs[i0] = ns;
    l->nsegs++;
    pthread_mutex_unlock(&l->mu);
    bs_log_debug(COMP, "%s: swapped in cleaned segment %020" PRId64 " (%d replaced)", l->dir, base,
                 n);
    ret = 0;
done:
    if (old)
        for (int k = 0; k < n; k++)
            seg_unref(old[k]);
    free(old);
    for (int e = 0; e < 3; e++) {
        free(cl[e]);
        free(sw[e]);
        free(fin[e]);
    }
    return ret;
}
