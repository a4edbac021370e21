/*
 * logscan.c — reads record batches back from a partition log through the
 * same range reads Fetch uses (bs_plog_read), decompressing as needed.
 */
#include "broker/logscan.h"

#include "base/arena.h"
#include "base/log.h"

#include <stdlib.h>
#include <unistd.h>

int bs_logscan_records(bs_plog_t *log, int64_t from, bs_logscan_record_cb cb, void *opaque)
{
    int64_t off = from, end = bs_plog_end_offset(log);
    uint8_t *buf = NULL;
    size_t cap = 0;
    char err[256];
    int rc = 0;

    if (off < bs_plog_start_offset(log))
        off = bs_plog_start_offset(log);
    while (off < end && rc == 0) {
        bs_plog_slice_t sl;
        if (bs_plog_read(log, off, 4 << 20, &sl) != BS_ERR_NONE)
            return -1;
        if (sl.len <= 0) {
            sl.release(sl.ctx);
            break;
        }
        if ((size_t)sl.len > cap) {
            cap = (size_t)sl.len;
            buf = bs_xrealloc(buf, cap);
        }
        ssize_t got = pread(sl.fd, buf, (size_t)sl.len, sl.file_off);
        sl.release(sl.ctx);
        if (got != sl.len) {
            bs_log_warn("logscan", "short read of %lld bytes at offset %lld", (long long)sl.len,
                        (long long)off);
            rc = -1;
            break;
        }
        size_t pos = 0;
        int64_t next = off;
        while (pos + BS_BATCH_HDR_SIZE <= (size_t)got) {
            bs_batch_hdr_t h;
            int64_t bsize = bs_batch_size(buf + pos, (size_t)got - pos);
            if (bsize < BS_BATCH_HDR_SIZE || pos + (size_t)bsize > (size_t)got ||
                bs_batch_hdr_parse(buf + pos, (size_t)got - pos, &h) < 0) {
                bs_log_warn("logscan", "undecodable batch at offset %lld", (long long)next);
                rc = -1;
                break;
            }
            next = h.BaseOffset + h.LastOffsetDelta + 1;
            if (next - 1 >= off) {
                uint8_t *recs = NULL;
                size_t rlen = 0;
                if (bs_batch_decompress(buf + pos, (size_t)bsize, &recs, &rlen, err, sizeof(err)) <
                    0) {
                    bs_log_warn("logscan", "batch at offset %lld: %s", (long long)h.BaseOffset,
                                err);
                    rc = -1;
                    break;
                }
                bs_record_iter_t it;
                bs_rec_t r;
                int k;
                bs_record_iter_init(&it, recs, rlen, h.RecordsCount);
                while ((k = bs_record_iter_next(&it, &r, err, sizeof(err))) == 1) {
                    int64_t ro = h.BaseOffset + r.offset_delta;
                    if (ro >= off)
                        cb(opaque, &h, &r, ro);
                }
                free(recs);
                if (k < 0) {
                    bs_log_warn("logscan", "batch at offset %lld: %s", (long long)h.BaseOffset,
                                err);
                    rc = -1;
                    break;
                }
            }
            pos += (size_t)bsize;
        }
        if (next <= off)
            break;
        off = next;
    }
    free(buf);
    return rc;
}
