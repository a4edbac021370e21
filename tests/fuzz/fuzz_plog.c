/*
 * fuzz_plog.c — libFuzzer target for the on-disk log reader: what
 * bs_plog_open (src/broker/plog.c) finds in a partition directory after a
 * crash or a disk error — segment files, their offset and time indexes, the
 * log-start-offset file — decoded and recovered.
 *
 * Input: flags byte, then u16-length-prefixed file bodies, in this order:
 *   00000000000000000000.log, .index, .timeindex,
 *   00000000000000000100.log, .index, .timeindex, log-start-offset
 * (a missing body means no such file; an empty one, an empty file). Flags
 * bit 0 selects recover=1 (unclean shutdown). The files are written into a
 * fresh temporary directory and the log is opened; if that succeeds, it is
 * used the way the broker uses it: read from every offset boundary, scan
 * the batch headers, look up timestamps, append a valid batch, apply
 * DeleteRecords and retention, then close. Nothing may crash; every read
 * must return whole batches inside the file.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "broker/pidstate.h"
#include "broker/plog.h"
#include "proto/crc32c.h"
#include "proto/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const g_files[] = {
    "00000000000000000000.log", "00000000000000000000.index", "00000000000000000000.timeindex",
    "00000000000000000100.log", "00000000000000000100.index", "00000000000000000100.timeindex",
    "log-start-offset",
};

/* One valid uncompressed batch of one record (key "k", value "v"). */
static const uint8_t g_batch[] = {
    0,    0,    0,    0,    0,    0,    0,    0,       /* baseOffset */
    0,    0,    0,    0x3a,                            /* batchLength 58 */
    0,    0,    0,    0,                               /* leaderEpoch */
    2,                                                 /* magic */
    0,    0,    0,    0,                               /* crc (set below) */
    0,    0,                                           /* attributes */
    0,    0,    0,    0,                               /* lastOffsetDelta */
    0,    0,    1,    0x8b, 0xcf, 0xe5, 0x68, 0,       /* firstTimestamp */
    0,    0,    1,    0x8b, 0xcf, 0xe5, 0x68, 0,       /* maxTimestamp */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,    /* producerId -1 */
    0xff, 0xff,                                        /* producerEpoch */
    0xff, 0xff, 0xff, 0xff,                            /* baseSequence */
    0,    0,    0,    1,                               /* records */
    0x10, 0,    0,    0,    2,    'k',  2,    'v',  0, /* the record */
};

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void hdr_cb(void *opaque, const bs_batch_hdr_t *h, int fd, int64_t file_off)
{
    int64_t *n = opaque;
    (void)fd;
    (void)file_off;
    *n += h->RecordsCount >= 0;
}

static void exercise(bs_plog_t *l)
{
    int64_t start = bs_plog_start_offset(l), end = bs_plog_end_offset(l), n = 0;
    int steps = 0;
    for (int64_t off = start; off < end && steps < 200; steps++) {
        bs_plog_slice_t sl;
        if (bs_plog_read(l, off, 1 << 20, &sl) != BS_ERR_NONE)
            break;
        int64_t next = off;
        if (sl.len > 0) {
            uint8_t hb[BS_BATCH_HDR_SIZE];
            bs_batch_hdr_t h;
            if (sl.len < BS_BATCH_HDR_SIZE ||
                pread(sl.fd, hb, sizeof(hb), sl.file_off) != (ssize_t)sizeof(hb) ||
                bs_batch_hdr_parse(hb, sizeof(hb), &h) < 0) {
                fprintf(stderr, "bs_plog_read returned a range that is not whole batches\n");
                abort();
            }
            next = h.BaseOffset + h.LastOffsetDelta + 1;
        }
        sl.release(sl.ctx);
        if (next <= off)
            break;
        off = next;
    }
    (void)bs_plog_scan_headers(l, start, hdr_cb, &n);
    int64_t o, ts;
    (void)bs_plog_offset_for_timestamp(l, 0, &o, &ts);
    (void)bs_plog_offset_for_timestamp(l, 1700000000000, &o, &ts);
    bs_plog_max_timestamp(l, &o, &ts);

    uint8_t batch[sizeof(g_batch)];
    bs_plog_append_info_t info;
    memcpy(batch, g_batch, sizeof(batch));
    uint32_t crc = bs_crc32c(0, batch + 21, sizeof(batch) - 21); /* attributes..end */
    batch[17] = (uint8_t)(crc >> 24);
    batch[18] = (uint8_t)(crc >> 16);
    batch[19] = (uint8_t)(crc >> 8);
    batch[20] = (uint8_t)crc;
    if (bs_records_validate(batch, sizeof(batch), 1 << 20, NULL, NULL, 0) != BS_ERR_NONE)
        abort(); /* the target's own batch must be valid */
    (void)bs_plog_append(l, batch, sizeof(batch), 1700000000000, 0, &info);
    (void)bs_plog_delete_records(l, start + (end - start) / 2);
    (void)bs_plog_enforce_retention(l, 1700000000000);
    (void)bs_plog_sync(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    static char dir[128];
    char path[256], err[512];
    bs_plog_config_t cfg;
    if (!init) {
        bs_log_set_level((bs_log_level_t)(BS_LOG_ERROR + 1));
        snprintf(dir, sizeof(dir), "/tmp/fuzz_plog.%d", (int)getpid());
        init = 1;
    }
    if (size < 1)
        return 0;
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    if (mkdir(dir, 0755) != 0)
        abort();
    const uint8_t *p = data + 1;
    size_t left = size - 1;
    for (size_t i = 0; i < sizeof(g_files) / sizeof(g_files[0]) && left >= 2; i++) {
        size_t n = (size_t)(p[0] << 8 | p[1]);
        p += 2;
        left -= 2;
        if (n == 0xFFFF)
            continue; /* no such file */
        if (n > left)
            n = left;
        snprintf(path, sizeof(path), "%s/%s", dir, g_files[i]);
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
            abort();
        close(fd);
        p += n;
        left -= n;
    }
    bs_plog_config_default(&cfg);
    cfg.segment_index_bytes = 4096; /* small preallocated index files */
    cfg.segment_bytes = 1 << 20;
    bs_plog_t *l = NULL;
    if (bs_plog_open(&l, dir, &cfg, data[0] & 1, err, sizeof(err)) == 0 && l) {
        exercise(l);
        bs_plog_close(l);
    }
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
