/*
 * pidstate.c — idempotent producer state per partition; see pidstate.h.
 *
 * Snapshot file format (Basin's own, little-endian host order is not used:
 * everything big-endian): "BSPS" magic, u32 version 1, u32 count, then per
 * producer: i64 pid, i16 epoch, i64 last_ts, i64 txn_first_offset, u8 n,
 * n x {i32 first_seq, i32 last_seq, i64 first_offset, i64 last_offset,
 * i64 timestamp}; then u32 CRC32C of everything before it. A snapshot that
 * fails the CRC is ignored (the log is replayed from its start instead).
 */
#include "broker/pidstate.h"

#include "base/arena.h"
#include "base/log.h"
#include "base/wbuf.h"
#include "net/loop.h"
#include "proto/crc32c.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_SUFFIX ".pidsnap"

void bs_pidstate_init(bs_pidstate_t *s)
{
    memset(s, 0, sizeof(*s));
    bs_hmap_init(&s->map);
}

void bs_pidstate_free(bs_pidstate_t *s)
{
    free(s->aborted);
    s->aborted = NULL;
    s->naborted = s->capaborted = s->nongoing = 0;
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&s->map, &it, &e))
        free(e->val);
    bs_hmap_free(&s->map);
}

bs_pid_entry_t *bs_pidstate_get(bs_pidstate_t *s, int64_t pid)
{
    return bs_hmap_get(&s->map, (const char *)&pid, sizeof(pid));
}

static bs_pid_entry_t *entry_get_or_new(bs_pidstate_t *s, int64_t pid)
{
    bs_pid_entry_t *e = bs_pidstate_get(s, pid);
    if (!e) {
        e = bs_xcalloc(1, sizeof(*e));
        e->pid = pid;
        e->epoch = -1;
        e->txn_first_offset = -1;
        bs_hmap_put(&s->map, (const char *)&pid, sizeof(pid), e);
    }
    return e;
}

static int32_t last_seq_of(const bs_batch_hdr_t *h)
{
    /* sequences wrap at INT32_MAX back to 0 */
    int64_t l = (int64_t)h->BaseSequence + h->LastOffsetDelta;
    return (int32_t)(l > INT32_MAX ? l - INT32_MAX - 1 : l);
}

bs_err_t bs_pidstate_check(bs_pidstate_t *s, const bs_batch_hdr_t *h, int64_t *dup_offset)
{
    bs_pid_entry_t *e = bs_pidstate_get(s, h->ProducerId);
    int32_t first = h->BaseSequence, last = last_seq_of(h);

    if (!e || e->epoch < 0)
        return BS_ERR_NONE; /* unknown producer: accepted (KIP-360) */
    if (h->ProducerEpoch < e->epoch)
        return BS_ERR_INVALID_PRODUCER_EPOCH;
    if (h->ProducerEpoch == e->epoch) {
        for (int i = 0; i < e->nbatches; i++) {
            if (e->batches[i].first_seq == first && e->batches[i].last_seq == last) {
                *dup_offset = e->batches[i].first_offset;
                return BS_ERR_DUPLICATE_SEQUENCE_NUMBER;
            }
        }
        if (e->nbatches == 0)
            return BS_ERR_NONE;
        int32_t prev = e->batches[e->nbatches - 1].last_seq;
        int32_t expect = prev == INT32_MAX ? 0 : prev + 1;
        return first == expect ? BS_ERR_NONE : BS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    }
    /* a newer epoch (the client bumped it) starts again at sequence 0 */
    return first == 0 ? BS_ERR_NONE : BS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
}

void bs_pidstate_update(bs_pidstate_t *s, const bs_batch_hdr_t *h, int64_t now_ms)
{
    bs_pid_entry_t *e = entry_get_or_new(s, h->ProducerId);
    if (h->ProducerEpoch != e->epoch) {
        e->epoch = h->ProducerEpoch;
        e->nbatches = 0;
    }
    if (e->nbatches == BS_PID_CACHED_BATCHES) {
        memmove(&e->batches[0], &e->batches[1],
                sizeof(e->batches[0]) * (BS_PID_CACHED_BATCHES - 1));
        e->nbatches--;
    }
    if ((h->Attributes & BS_BATCH_ATTR_TRANSACTIONAL) && e->txn_first_offset < 0) {
        e->txn_first_offset = h->BaseOffset;
        s->nongoing++;
    }
    bs_pid_batch_t *b = &e->batches[e->nbatches++];
    b->first_seq = h->BaseSequence;
    b->last_seq = last_seq_of(h);
    b->first_offset = h->BaseOffset;
    b->last_offset = h->BaseOffset + h->LastOffsetDelta;
    b->timestamp = h->MaxTimestamp;
    e->last_ts_ms = now_ms;
}

void bs_pidstate_marker(bs_pidstate_t *s, int64_t pid, bool commit, int64_t offset)
{
    bs_pid_entry_t *e = bs_pidstate_get(s, pid);
    if (!e || e->txn_first_offset < 0)
        return;
    if (!commit) {
        if (s->naborted == s->capaborted) {
            s->capaborted = s->capaborted ? s->capaborted * 2 : 16;
            s->aborted = bs_xrealloc(s->aborted, (size_t)s->capaborted * sizeof(*s->aborted));
        }
        s->aborted[s->naborted++] = (bs_aborted_txn_t){pid, e->txn_first_offset, offset};
    }
    e->txn_first_offset = -1;
    s->nongoing--;
}

int64_t bs_pidstate_lso(const bs_pidstate_t *s, int64_t hwm)
{
    if (s->nongoing <= 0)
        return hwm;
    int64_t lso = hwm;
    size_t it = 0;
    const bs_hmap_ent_t *he;
    while (bs_hmap_next(&s->map, &it, &he)) {
        const bs_pid_entry_t *e = he->val;
        if (e->txn_first_offset >= 0 && e->txn_first_offset < lso)
            lso = e->txn_first_offset;
    }
    return lso;
}

const bs_aborted_txn_t *bs_pidstate_aborted(const bs_pidstate_t *s, int64_t from, int64_t upto,
                                            int *count)
{
    /* the list is ascending by last: skip those that ended before from */
    int lo = 0, hi = s->naborted;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->aborted[mid].last < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    int n = 0;
    for (int i = lo; i < s->naborted; i++) {
        if (s->aborted[i].first >= upto)
            continue; /* later ones may still start earlier: keep scanning */
        n = i - lo + 1;
    }
    *count = n;
    return s->aborted ? s->aborted + lo : NULL; /* NULL + 0 is undefined in C */
}

void bs_pidstate_trim(bs_pidstate_t *s, int64_t log_start)
{
    int k = 0;
    while (k < s->naborted && s->aborted[k].last < log_start)
        k++;
    if (k > 0) {
        memmove(s->aborted, s->aborted + k, sizeof(*s->aborted) * (size_t)(s->naborted - k));
        s->naborted -= k;
    }
}

int bs_pidstate_expire(bs_pidstate_t *s, int64_t now_ms, int64_t expiration_ms)
{
    int n = 0;
    size_t it = 0;
    const bs_hmap_ent_t *he;
    int64_t *dead = NULL;
    int nd = 0, cap = 0;
    while (bs_hmap_next(&s->map, &it, &he)) {
        bs_pid_entry_t *e = he->val;
        /* last_ts_ms may come from a snapshot with any value: subtract in
         * unsigned arithmetic, only when it is in the past */
        if (e->txn_first_offset < 0 && now_ms > e->last_ts_ms &&
            (uint64_t)now_ms - (uint64_t)e->last_ts_ms > (uint64_t)expiration_ms) {
            if (nd == cap) {
                cap = cap ? cap * 2 : 16;
                dead = bs_xrealloc(dead, (size_t)cap * sizeof(*dead));
            }
            dead[nd++] = e->pid;
        }
    }
    for (int i = 0; i < nd; i++) {
        free(bs_hmap_del(&s->map, (const char *)&dead[i], sizeof(dead[i])));
        n++;
    }
    free(dead);
    return n;
}

/* ---- snapshots ---- */

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static int64_t snap_offset(const char *name)
{
    size_t n = strlen(name), sl = strlen(SNAP_SUFFIX);
    if (n != 20 + sl || strcmp(name + 20, SNAP_SUFFIX) != 0)
        return -1;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

int bs_pidstate_save(bs_pidstate_t *s, const char *dir, int64_t end_offset)
{
    bs_wbuf_t w;
    char path[4096], tmp[4200];
    int rc = -1, fd = -1;
    uint8_t hdr[12];

    bs_wbuf_init(&w);
    memcpy(hdr, "BSPS", 4);
    put_be(hdr + 4, 1, 4);
    put_be(hdr + 8, bs_hmap_count(&s->map), 4);
    bs_wbuf_put(&w, hdr, sizeof(hdr));
    size_t it = 0;
    const bs_hmap_ent_t *he;
    while (bs_hmap_next(&s->map, &it, &he)) {
        const bs_pid_entry_t *e = he->val;
        uint8_t *p = bs_wbuf_reserve(&w, 8 + 2 + 8 + 8 + 1);
        put_be(p, (uint64_t)e->pid, 8);
        put_be(p + 8, (uint16_t)e->epoch, 2);
        put_be(p + 10, (uint64_t)e->last_ts_ms, 8);
        put_be(p + 18, (uint64_t)e->txn_first_offset, 8);
        p[26] = (uint8_t)e->nbatches;
        for (int i = 0; i < e->nbatches; i++) {
            const bs_pid_batch_t *b = &e->batches[i];
            p = bs_wbuf_reserve(&w, 4 + 4 + 8 + 8 + 8);
            put_be(p, (uint32_t)b->first_seq, 4);
            put_be(p + 4, (uint32_t)b->last_seq, 4);
            put_be(p + 8, (uint64_t)b->first_offset, 8);
            put_be(p + 16, (uint64_t)b->last_offset, 8);
            put_be(p + 24, (uint64_t)b->timestamp, 8);
        }
    }
    bs_wbuf_be32(&w, (uint32_t)s->naborted);
    for (int i = 0; i < s->naborted; i++) {
        bs_wbuf_be64(&w, (uint64_t)s->aborted[i].pid);
        bs_wbuf_be64(&w, (uint64_t)s->aborted[i].first);
        bs_wbuf_be64(&w, (uint64_t)s->aborted[i].last);
    }
    bs_wbuf_be32(&w, bs_crc32c(0, w.data, w.len));

    snprintf(path, sizeof(path), "%s/%020" PRId64 SNAP_SUFFIX, dir, end_offset);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, w.data, w.len) != (ssize_t)w.len || fsync(fd) < 0)
        goto done;
    close(fd);
    fd = -1;
    if (rename(tmp, path) < 0)
        goto done;
    /* older snapshots are no longer needed */
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            int64_t o = snap_offset(de->d_name);
            if (o >= 0 && o != end_offset) {
                snprintf(tmp, sizeof(tmp), "%s/%s", dir, de->d_name);
                unlink(tmp);
            }
        }
        closedir(d);
    }
    rc = 0;
done:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    if (rc < 0)
        bs_log_warn("pidstate", "cannot write producer snapshot %s: %s", path, strerror(errno));
    bs_wbuf_free(&w);
    return rc;
}

int bs_pidstate_parse_snapshot(bs_pidstate_t *s, const uint8_t *buf, size_t n, char *err,
                               size_t errlen)
{
    const char *why = NULL;
    size_t off = 12, end;
    if (n < 16) {
        why = "shorter than header and CRC";
        goto done;
    }
    end = n - 4;
    if (memcmp(buf, "BSPS", 4) != 0 || get_be(buf + 4, 4) != 1) {
        why = "bad magic or version";
        goto done;
    }
    if (bs_crc32c(0, buf, n - 4) != (uint32_t)get_be(buf + n - 4, 4)) {
        why = "CRC mismatch";
        goto done;
    }
    uint32_t count = (uint32_t)get_be(buf + 8, 4);
    for (uint32_t i = 0; i < count; i++) {
        if (end - off < 27) {
            why = "producer entry truncated";
            goto done;
        }
        const uint8_t *p = buf + off;
        int nb = p[26];
        if (nb > BS_PID_CACHED_BATCHES || end - off - 27 < (size_t)nb * 32) {
            why = "producer entry batch count out of range or truncated";
            goto done;
        }
        bs_pid_entry_t *e = entry_get_or_new(s, (int64_t)get_be(p, 8));
        e->epoch = (int16_t)get_be(p + 8, 2);
        e->last_ts_ms = (int64_t)get_be(p + 10, 8);
        if (e->txn_first_offset >= 0)
            s->nongoing--; /* a repeated pid replaces its earlier entry */
        e->txn_first_offset = (int64_t)get_be(p + 18, 8);
        if (e->txn_first_offset >= 0)
            s->nongoing++;
        e->nbatches = nb;
        off += 27;
        for (int j = 0; j < e->nbatches; j++) {
            p = buf + off;
            e->batches[j].first_seq = (int32_t)get_be(p, 4);
            e->batches[j].last_seq = (int32_t)get_be(p + 4, 4);
            e->batches[j].first_offset = (int64_t)get_be(p + 8, 8);
            e->batches[j].last_offset = (int64_t)get_be(p + 16, 8);
            e->batches[j].timestamp = (int64_t)get_be(p + 24, 8);
            off += 32;
        }
    }
    if (end - off < 4) {
        why = "aborted transaction count truncated";
        goto done;
    }
    uint32_t na = (uint32_t)get_be(buf + off, 4);
    off += 4;
    if ((end - off) / 24 < na) {
        why = "aborted transaction list truncated";
        goto done;
    }
    for (uint32_t i = 0; i < na; i++, off += 24) {
        if (s->naborted == s->capaborted) {
            s->capaborted = s->capaborted ? s->capaborted * 2 : 16;
            s->aborted = bs_xrealloc(s->aborted, (size_t)s->capaborted * sizeof(*s->aborted));
        }
        s->aborted[s->naborted++] =
            (bs_aborted_txn_t){(int64_t)get_be(buf + off, 8), (int64_t)get_be(buf + off + 8, 8),
                               (int64_t)get_be(buf + off + 16, 8)};
    }
done:
    if (why)
        snprintf(err, errlen, "producer snapshot at byte %zu: %s", off, why);
    return why ? -1 : 0;
}

static int snap_read(bs_pidstate_t *s, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    uint8_t *buf = NULL;
    int rc = -1;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        goto done;
    }
    if (st.st_size > (1 << 30)) {
        snprintf(err, errlen, "larger than 1 GiB");
        goto done;
    }
    size_t n = (size_t)st.st_size;
    buf = bs_xmalloc(n ? n : 1);
    if (pread(fd, buf, n, 0) != (ssize_t)n) {
        snprintf(err, errlen, "short read");
        goto done;
    }
    rc = bs_pidstate_parse_snapshot(s, buf, n, err, errlen);
done:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

int bs_control_batch_type(int fd, int64_t off, const bs_batch_hdr_t *h)
{
    uint8_t buf[256];
    int64_t size = (int64_t)h->BatchLength + BS_BATCH_LOG_OVERHEAD;
    if (size > (int64_t)sizeof(buf) || size < BS_BATCH_HDR_SIZE ||
        pread(fd, buf, (size_t)size, off) != (ssize_t)size)
        return -1;
    bs_record_iter_t it;
    bs_rec_t r;
    char err[128];
    bs_record_iter_init(&it, buf + BS_BATCH_HDR_SIZE, (size_t)size - BS_BATCH_HDR_SIZE,
                        h->RecordsCount);
    if (bs_record_iter_next(&it, &r, err, sizeof(err)) != 1 || r.key_len < 4)
        return -1;
    int type = (r.key[2] << 8) | r.key[3];
    return type == 1 ? 1 : type == 0 ? 0 : -1;
}

int bs_plog_scan_headers(bs_plog_t *log, int64_t from,
                         void (*cb)(void *opaque, const bs_batch_hdr_t *h, int fd,
                                    int64_t file_off),
                         void *opaque)
{
    int64_t off = from, end = bs_plog_end_offset(log);
    if (off < bs_plog_start_offset(log))
        off = bs_plog_start_offset(log);
    while (off < end) {
        bs_plog_slice_t sl;
        if (bs_plog_read(log, off, 8 << 20, &sl) != BS_ERR_NONE)
            return -1;
        if (sl.len <= 0) {
            sl.release(sl.ctx);
            break;
        }
        int64_t pos = 0, next = off;
        while (pos + BS_BATCH_HDR_SIZE <= sl.len) {
            uint8_t hb[BS_BATCH_HDR_SIZE];
            bs_batch_hdr_t h;
            if (pread(sl.fd, hb, sizeof(hb), sl.file_off + pos) != (ssize_t)sizeof(hb) ||
                bs_batch_hdr_parse(hb, sizeof(hb), &h) < 0 || h.BatchLength <= 0) {
                sl.release(sl.ctx);
                return -1;
            }
            if (h.BaseOffset + h.LastOffsetDelta >= off)
                cb(opaque, &h, sl.fd, sl.file_off + pos);
            next = h.BaseOffset + h.LastOffsetDelta + 1;
            pos += (int64_t)h.BatchLength + BS_BATCH_LOG_OVERHEAD;
        }
        sl.release(sl.ctx);
        if (next <= off)
            break; /* no progress: never loop forever */
        off = next;
    }
    return 0;
}

static void replay_cb(void *opaque, const bs_batch_hdr_t *h, int fd, int64_t file_off)
{
    bs_pidstate_t *s = opaque;
    if (h->ProducerId < 0)
        return;
    if (h->Attributes & BS_BATCH_ATTR_CONTROL) {
        int type = bs_control_batch_type(fd, file_off, h);
        if (type >= 0)
            bs_pidstate_marker(s, h->ProducerId, type == 1, h->BaseOffset);
        return;
    }
    bs_pidstate_update(s, h, bs_wall_ms());
}

int bs_pidstate_load(bs_pidstate_t *s, const char *dir, bs_plog_t *log)
{
    int64_t leo = bs_plog_end_offset(log), best = -1;
    char path[4096];
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            int64_t o = snap_offset(de->d_name);
            if (o >= 0 && o <= leo && o > best)
                best = o;
        }
        closedir(d);
    }
    int64_t from = bs_plog_start_offset(log);
    if (best >= 0) {
        snprintf(path, sizeof(path), "%s/%020" PRId64 SNAP_SUFFIX, dir, best);
        char err[256];
        if (snap_read(s, path, err, sizeof(err)) == 0) {
            from = best;
        } else {
            bs_log_warn("pidstate", "ignoring damaged producer snapshot %s: %s", path, err);
            bs_pidstate_free(s);
            bs_pidstate_init(s);
        }
    }
    if (from < leo && bs_plog_scan_headers(log, from, replay_cb, s) < 0) {
        bs_log_warn("pidstate", "%s: cannot replay producer state from offset %" PRId64, dir, from);
        return -1;
    }
    return 0;
}
