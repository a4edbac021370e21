/*
 * test_plog.c — partition log: append/read across many rolls, index and
 * timestamp lookups against brute force, KIP-74 read sizes, retention by
 * size and time, DeleteRecords persisted, clean reopen, recovery from torn
 * writes / garbage / bad CRC / damaged or missing index files, slices that
 * outlive deleted segments, and bs_plog_sync racing appends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "broker/plog.h"
#include "broker/plog_int.h"
#include "proto/records.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_plog.%d/t-0", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf /tmp/test_plog.%d", (int)getpid());
    assert_int_equal(system(cmd), 0);
    bs_log_set_level(BS_LOG_ERROR);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf /tmp/test_plog.%d", (int)getpid());
    return system(cmd);
}

static void small_cfg(bs_plog_config_t *c)
{
    bs_plog_config_default(c);
    c->segment_bytes = 8192;
    c->index_interval_bytes = 300;
    c->segment_index_bytes = 4096;
    c->retention_ms = -1;
}

static bs_plog_t *open_log(const bs_plog_config_t *c, int recover)
{
    bs_plog_t *l = NULL;
    char err[256] = "";
    if (bs_plog_open(&l, g_dir, c, recover, err, sizeof(err)) != 0)
        fail_msg("open: %s", err);
    return l;
}

/* Appends one batch of n records, timestamps ts, ts+1, ... (record i of
 * every batch has value "v<offset>" for checking). */
static int64_t append_batch(bs_plog_t *l, int n, int64_t ts, int codec)
{
    bs_rec_t r[64];
    char vals[64][32];
    int64_t base = bs_plog_end_offset(l);
    memset(r, 0, sizeof(r));
    for (int i = 0; i < n; i++) {
        snprintf(vals[i], sizeof(vals[i]), "v%lld", (long long)(base + i));
        r[i].value = (const uint8_t *)vals[i];
        r[i].value_len = (int32_t)strlen(vals[i]);
        r[i].timestamp_delta = i;
    }
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    assert_int_equal(bs_batch_build(&w, r, n, ts, codec, -1, -1, -1, 0), 0);
    assert_int_equal(bs_records_validate(w.data, w.len, 0, NULL, NULL, 0), BS_ERR_NONE);
    bs_plog_append_info_t ai;
    assert_int_equal(bs_plog_append(l, w.data, w.len, ts, 0, &ai), BS_ERR_NONE);
    assert_int_equal(ai.BaseOffset, base);
    assert_int_equal(ai.LastOffset, base + n - 1);
    assert_int_equal(ai.RecordCount, n);
    assert_int_equal(ai.LogAppendTime, -1);
    bs_wbuf_free(&w);
    return base;
}

/* Reads at offset and checks the slice: whole valid batches, the first one
 * containing offset; returns the slice length. */
static int64_t check_read(bs_plog_t *l, int64_t offset, int32_t max_bytes)
{
    bs_plog_slice_t s;
    assert_int_equal(bs_plog_read(l, offset, max_bytes, &s), BS_ERR_NONE);
    if (s.len == 0) {
        s.release(s.ctx);
        return 0;
    }
    uint8_t *b = malloc((size_t)s.len);
    assert_int_equal(pread(s.fd, b, (size_t)s.len, s.file_off), s.len);
    bs_records_info_t info;
    char err[256] = "";
    if (bs_records_validate(b, (size_t)s.len, 0, &info, err, sizeof(err)) != BS_ERR_NONE)
        fail_msg("read at %lld: %s", (long long)offset, err);
    bs_batch_hdr_t h;
    bs_batch_hdr_parse(b, (size_t)s.len, &h);
    assert_true(h.BaseOffset <= offset);
    assert_true(h.BaseOffset + h.LastOffsetDelta >= offset);
    assert_int_equal(h.BaseOffset, s.base_offset);
    if (info.BatchCount > 1)
        assert_true(s.len <= max_bytes);
    /* The record at offset has value "v<offset>". */
    uint8_t *recs;
    size_t rl;
    assert_int_equal(bs_batch_decompress(b, (size_t)s.len, &recs, &rl, NULL, 0), 0);
    bs_record_iter_t it;
    bs_rec_t r;
    bs_record_iter_init(&it, recs, rl, h.RecordsCount);
    int found = 0;
    while (bs_record_iter_next(&it, &r, NULL, 0) == 1) {
        char want[32];
        snprintf(want, sizeof(want), "v%lld", (long long)(h.BaseOffset + r.offset_delta));
        assert_int_equal(r.value_len, strlen(want));
        assert_memory_equal(r.value, want, strlen(want));
        if (h.BaseOffset + r.offset_delta == offset)
            found = 1;
    }
    assert_true(found);
    free(recs);
    free(b);
    int64_t len = s.len;
    s.release(s.ctx);
    return len;
}

/* Fills a log: batches of 1..5 records, timestamps increasing by 10 per
 * batch starting at ts0. Returns the number of batches. */
static int fill(bs_plog_t *l, int nbatches, int64_t ts0)
{
    for (int i = 0; i < nbatches; i++)
        append_batch(l, 1 + i % 5, ts0 + 10 * i, i % 7 == 3 ? BS_CODEC_GZIP : BS_CODEC_NONE);
    return nbatches;
}

static void test_roundtrip_rolls(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    bs_plog_t *l = open_log(&c, 0);
    assert_int_equal(bs_plog_end_offset(l), 0);
    assert_int_equal(bs_plog_start_offset(l), 0);
    assert_int_equal(check_read(l, 0, 1000), 0);
    fill(l, 600, 1000);
    int64_t end = bs_plog_end_offset(l);
    assert_int_equal(end, 600 / 5 * 15);
    assert_true(bs_plog_segment_count(l) > 4);
    for (int64_t o = 0; o < end; o++) {
        int64_t len = check_read(l, o, 1);
        assert_true(len > 0);
    }
    srand(7);
    for (int i = 0; i < 500; i++)
        check_read(l, rand() % end, rand() % 3000);
    /* max_bytes spanning several batches: whole batches only, within bound */
    assert_true(check_read(l, 0, 2000) <= 2000);
    assert_int_equal(check_read(l, end, 1000), 0);
    bs_plog_slice_t s;
    assert_int_equal(bs_plog_read(l, end + 1, 1000, &s), BS_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(bs_plog_read(l, -1, 1000, &s), BS_ERR_OFFSET_OUT_OF_RANGE);
    /* index files are sane */
    for (int i = 0; i < bs_plog_segment_count(l) - 1; i++) {
        struct stat st;
        assert_int_equal(stat(l->segs[i]->path_idx, &st), 0);
        assert_int_equal(st.st_size % 8, 0);
        assert_true(st.st_size > 0);
        assert_int_equal(stat(l->segs[i]->path_tidx, &st), 0);
        assert_int_equal(st.st_size % 12, 0);
    }
    assert_int_equal(bs_plog_sync(l), end);
    assert_int_equal(bs_plog_durable_offset(l), end);
    bs_plog_close(l);

    /* Clean reopen: everything is still there and appends continue. */
    l = open_log(&c, 0);
    assert_int_equal(bs_plog_end_offset(l), end);
    for (int i = 0; i < 300; i++)
        check_read(l, rand() % end, rand() % 3000);
    assert_int_equal(append_batch(l, 3, 99999, BS_CODEC_NONE), end);
    check_read(l, end + 2, 10);
    bs_plog_delete(l);
    struct stat st;
    assert_int_equal(stat(g_dir, &st), -1);
}

/* Brute force: the first offset whose record timestamp >= ts in a log made
 * by fill(): batch i has 1 + i%5 records with timestamps ts0+10i+k. */
static void brute_ts(int nb, int64_t ts0, int64_t ts, int64_t *off, int64_t *fts)
{
    int64_t o = 0;
    *off = -1;
    *fts = -1;
    for (int i = 0; i < nb; i++) {
        for (int k = 0; k < 1 + i % 5; k++, o++)
            if (ts0 + 10 * i + k >= ts) {
                *off = o;
                *fts = ts0 + 10 * i + k;
                return;
            }
    }
}

static void test_timestamps(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    bs_plog_t *l = open_log(&c, 0);
    int64_t off, ts;
    bs_plog_max_timestamp(l, &off, &ts);
    assert_int_equal(off, -1);
    assert_int_equal(ts, -1);
    int nb = fill(l, 500, 100000);
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t t = 99990; t < 100000 + 10 * nb + 20; t += 3) {
            int64_t wo, wt;
            brute_ts(nb, 100000, t, &wo, &wt);
            assert_int_equal(bs_plog_offset_for_timestamp(l, t, &off, &ts), BS_ERR_NONE);
            if (off != wo || ts != wt)
                fail_msg("ts %lld: got %lld/%lld want %lld/%lld", (long long)t, (long long)off,
                         (long long)ts, (long long)wo, (long long)wt);
        }
        bs_plog_max_timestamp(l, &off, &ts);
        /* last batch i=499 has 5 records, ts 100000+4990..+4994 */
        assert_int_equal(ts, 100000 + 4990 + 4);
        assert_int_equal(off, bs_plog_end_offset(l) - 1);
        bs_plog_close(l);
        l = open_log(&c, 0);
    }
    bs_plog_close(l);
}

static void test_log_append_time(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    bs_plog_t *l = open_log(&c, 0);
    bs_rec_t r[3] = {{.value = (const uint8_t *)"a", .value_len = 1},
                     {.value = (const uint8_t *)"b", .value_len = 1},
                     {.value = (const uint8_t *)"c", .value_len = 1}};
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    bs_batch_build(&w, r, 3, 5, BS_CODEC_SNAPPY, -1, -1, -1, 0);
    bs_plog_append_info_t ai;
    assert_int_equal(bs_plog_append(l, w.data, w.len, 777777, 1, &ai), BS_ERR_NONE);
    assert_int_equal(ai.LogAppendTime, 777777);
    bs_plog_slice_t s;
    assert_int_equal(bs_plog_read(l, 1, 100, &s), BS_ERR_NONE);
    uint8_t b[512];
    assert_int_equal(pread(s.fd, b, (size_t)s.len, s.file_off), s.len);
    s.release(s.ctx);
    assert_int_equal(bs_records_validate(b, (size_t)s.len, 0, NULL, NULL, 0), BS_ERR_NONE);
    bs_batch_hdr_t h;
    bs_batch_hdr_parse(b, (size_t)s.len, &h);
    assert_int_equal(h.MaxTimestamp, 777777);
    assert_true(h.Attributes & BS_BATCH_ATTR_LOG_APPEND_TIME);
    int64_t off, ts;
    bs_plog_offset_for_timestamp(l, 1000, &off, &ts);
    assert_int_equal(off, 0);
    assert_int_equal(ts, 777777);
    bs_wbuf_free(&w);
    bs_plog_close(l);
}

static void test_retention_size_and_time(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    bs_plog_t *l = open_log(&c, 0);
    fill(l, 600, 1000);
    int nseg = bs_plog_segment_count(l);
    int64_t size = bs_plog_size_bytes(l), end = bs_plog_end_offset(l);
    /* Size: keep ~3 segments' worth. */
    c.retention_bytes = 3 * 8192;
    bs_plog_set_config(l, &c);
    int del = bs_plog_enforce_retention(l, 0);
    assert_true(del > 0);
    assert_int_equal(bs_plog_segment_count(l), nseg - del);
    assert_true(bs_plog_size_bytes(l) < size);
    assert_true(bs_plog_size_bytes(l) - l->segs[0]->size < c.retention_bytes);
    int64_t start = bs_plog_start_offset(l);
    assert_int_equal(start, l->segs[0]->base);
    assert_true(start > 0);
    bs_plog_slice_t s;
    assert_int_equal(bs_plog_read(l, start - 1, 100, &s), BS_ERR_OFFSET_OUT_OF_RANGE);
    check_read(l, start, 100);
    /* Time: segments whose newest timestamp is older than retention_ms. */
    c.retention_bytes = -1;
    c.retention_ms = 1000;
    bs_plog_set_config(l, &c);
    int64_t last_ts = 1000 + 10 * 599;
    assert_int_equal(bs_plog_enforce_retention(l, l->segs[0]->max_ts + 1000), 0);
    del = bs_plog_enforce_retention(l, last_ts + 100000);
    assert_true(del > 0);
    assert_int_equal(bs_plog_segment_count(l), 1); /* the active one stays */
    assert_int_equal(bs_plog_end_offset(l), end);
    assert_int_equal(bs_plog_start_offset(l), l->segs[0]->base);
    bs_plog_close(l);
    /* No leftovers: only live segments + index files in the directory. */
    l = open_log(&c, 0);
    assert_int_equal(bs_plog_segment_count(l), 1);
    assert_int_equal(bs_plog_end_offset(l), end);
    bs_plog_close(l);
}

static void test_delete_records(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    bs_plog_t *l = open_log(&c, 0);
    fill(l, 300, 1000);
    int64_t end = bs_plog_end_offset(l);
    int nseg = bs_plog_segment_count(l);
    assert_int_equal(bs_plog_delete_records(l, end + 1), BS_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(bs_plog_delete_records(l, 400), BS_ERR_NONE);
    assert_int_equal(bs_plog_start_offset(l), 400);
    assert_true(bs_plog_segment_count(l) < nseg);
    assert_true(l->segs[0]->base <= 400);
    bs_plog_slice_t s;
    assert_int_equal(bs_plog_read(l, 399, 100, &s), BS_ERR_OFFSET_OUT_OF_RANGE);
    check_read(l, 400, 100);
    assert_int_equal(bs_plog_delete_records(l, 10), BS_ERR_NONE); /* no-op */
    assert_int_equal(bs_plog_start_offset(l), 400);
    int64_t off, ts;
    bs_plog_offset_for_timestamp(l, 0, &off, &ts);
    assert_int_equal(off, 400);
    bs_plog_close(l);
    l = open_log(&c, 0);
    assert_int_equal(bs_plog_start_offset(l), 400);
    assert_int_equal(bs_plog_end_offset(l), end);
    /* -1 = everything: one fresh segment at end */
    assert_int_equal(bs_plog_delete_records(l, -1), BS_ERR_NONE);
    assert_int_equal(bs_plog_start_offset(l), end);
    assert_int_equal(bs_plog_segment_count(l), 1);
    assert_int_equal(l->segs[0]->base, end);
    assert_int_equal(check_read(l, end, 100), 0);
    bs_plog_close(l);
    l = open_log(&c, 1);
    assert_int_equal(bs_plog_start_offset(l), end);
    assert_int_equal(bs_plog_end_offset(l), end);
    assert_int_equal(append_batch(l, 2, 5000, BS_CODEC_NONE), end);
    bs_plog_close(l);
}

static int64_t file_size(const char *p)
{
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

static char *active_log_path(bs_plog_t *l)
{
    return strdup(l->segs[l->nsegs - 1]->path_log);
}

/* Builds a log with a few segments, closes it *without* trimming
 * (simulating a crash is close enough: recovery must not care), and returns
 * the active .log path plus the end offset and last batch position. */
static void crash_setup(bs_plog_config_t *c, char **path, int64_t *end, int64_t *last_pos,
                        int64_t *last_base)
{
    small_cfg(c);
    bs_plog_t *l = open_log(c, 0);
    fill(l, 100, 1000);
    append_batch(l, 5, 9000, BS_CODEC_NONE);
    *path = active_log_path(l);
    *end = bs_plog_end_offset(l);
    *last_base = *end - 5;
    /* position of the last batch = active size before it */
    bs_plog_slice_t s;
    assert_int_equal(bs_plog_read(l, *last_base, 1, &s), BS_ERR_NONE);
    *last_pos = s.file_off;
    s.release(s.ctx);
    bs_plog_close(l);
}

static void reopen_and_check(bs_plog_config_t *c, int64_t want_end)
{
    bs_plog_t *l = open_log(c, 1);
    assert_int_equal(bs_plog_end_offset(l), want_end);
    for (int64_t o = 0; o < want_end; o += 3)
        check_read(l, o, 500);
    assert_int_equal(append_batch(l, 4, 20000, BS_CODEC_NONE), want_end);
    check_read(l, want_end + 3, 10);
    bs_plog_close(l);
    l = open_log(c, 1);
    assert_int_equal(bs_plog_end_offset(l), want_end + 4);
    bs_plog_delete(l);
}

static void test_recover_torn(void **state)
{
    (void)state;
    bs_plog_config_t c;
    char *p;
    int64_t end, lp, lb;
    crash_setup(&c, &p, &end, &lp, &lb);
    assert_int_equal(truncate(p, lp + 30), 0); /* mid-batch */
    reopen_and_check(&c, lb);
    free(p);
}

static void test_recover_torn_header(void **state)
{
    (void)state;
    bs_plog_config_t c;
    char *p;
    int64_t end, lp, lb;
    crash_setup(&c, &p, &end, &lp, &lb);
    assert_int_equal(truncate(p, lp + 7), 0);
    reopen_and_check(&c, lb);
    free(p);
}

static void test_recover_garbage(void **state)
{
    (void)state;
    bs_plog_config_t c;
    char *p;
    int64_t end, lp, lb;
    crash_setup(&c, &p, &end, &lp, &lb);
    int fd = open(p, O_WRONLY | O_APPEND);
    char junk[500];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (char)(i * 37 + 11);
    assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
    /* and zeros, like a preallocated tail */
    memset(junk, 0, sizeof(junk));
    assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
    close(fd);
    int64_t before = file_size(p);
    reopen_and_check(&c, end);
    assert_true(before > 0);
    free(p);
}

static void test_recover_bad_crc(void **state)
{
    (void)state;
    bs_plog_config_t c;
    char *p;
    int64_t end, lp, lb;
    crash_setup(&c, &p, &end, &lp, &lb);
    int fd = open(p, O_RDWR);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, lp + 70), 1);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, lp + 70), 1);
    close(fd);
    reopen_and_check(&c, lb);
    free(p);
}

static void test_recover_sealed_tail(void **state)
{
    (void)state;
    /* Crash right after a roll: the previous segment lost its tail. */
    bs_plog_config_t c;
    small_cfg(&c);
    c.segment_ms = 1000;
    bs_plog_t *l = open_log(&c, 0);
    fill(l, 100, 1000);
    append_batch(l, 5, 9000, BS_CODEC_NONE);
    int64_t end = bs_plog_end_offset(l), lb = end - 5;
    bs_plog_slice_t s;
    assert_int_equal(bs_plog_read(l, lb, 1, &s), BS_ERR_NONE);
    int64_t lp = s.file_off;
    s.release(s.ctx);
    char *p = active_log_path(l);
    assert_int_equal(bs_plog_maybe_roll_by_time(l, 999999), 1);
    int nseg = bs_plog_segment_count(l);
    bs_plog_close(l);
    assert_int_equal(truncate(p, lp + 20), 0);
    l = open_log(&c, 1);
    assert_int_equal(bs_plog_end_offset(l), lb);
    assert_int_equal(bs_plog_segment_count(l), nseg - 1);
    bs_plog_close(l);
    reopen_and_check(&c, lb);
    free(p);
}

static void test_recover_zero_tail_clean_flag(void **state)
{
    (void)state;
    /* Even when the caller claims a clean shutdown, a tail that does not
     * parse is validated and truncated. */
    bs_plog_config_t c;
    char *p;
    int64_t end, lp, lb;
    crash_setup(&c, &p, &end, &lp, &lb);
    assert_int_equal(truncate(p, lp + 30), 0);
    bs_plog_t *l = open_log(&c, 0);
    assert_int_equal(bs_plog_end_offset(l), lb);
    bs_plog_close(l);
    free(p);
}

static void test_rebuild_indexes(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    bs_plog_t *l = open_log(&c, 0);
    int nb = fill(l, 400, 100000);
    int64_t end = bs_plog_end_offset(l);
    assert_true(bs_plog_segment_count(l) >= 5);
    char *idx1 = strdup(l->segs[1]->path_idx), *tidx2 = strdup(l->segs[2]->path_tidx);
    char *idx3 = strdup(l->segs[3]->path_idx), *tidx4 = strdup(l->segs[4]->path_tidx);
    char *aidx = strdup(l->segs[l->nsegs - 1]->path_idx);
    bs_plog_close(l);
    /* 1: garbage index; 2: deleted time index; 3: truncated to odd size;
     * 4: time index with a non-monotonic entry; active: deleted index. */
    int fd = open(idx1, O_WRONLY);
    assert_int_equal(pwrite(fd, "\x7f\xff\xff\xff\x00\x00\x00\x01", 8, 0), 8);
    close(fd);
    assert_int_equal(unlink(tidx2), 0);
    assert_int_equal(truncate(idx3, file_size(idx3) - 3), 0);
    fd = open(tidx4, O_WRONLY);
    assert_int_equal(pwrite(fd, "\x7f\x00\x00\x00\x00\x00\x00\x00", 8, 0), 8);
    close(fd);
    assert_int_equal(unlink(aidx), 0);
    l = open_log(&c, 0);
    assert_int_equal(bs_plog_end_offset(l), end);
    for (int64_t o = 0; o < end; o++)
        check_read(l, o, 200);
    for (int64_t t = 100000; t < 100000 + 10 * nb; t += 7) {
        int64_t wo, wt, off, ts;
        brute_ts(nb, 100000, t, &wo, &wt);
        bs_plog_offset_for_timestamp(l, t, &off, &ts);
        assert_int_equal(off, wo);
        assert_int_equal(ts, wt);
    }
    assert_int_equal(file_size(idx1) % 8, 0);
    assert_true(file_size(tidx2) > 0);
    bs_plog_close(l);
    free(idx1);
    free(tidx2);
    free(idx3);
    free(tidx4);
    free(aidx);
}

static void test_slice_outlives_segment(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    bs_plog_t *l = open_log(&c, 0);
    fill(l, 200, 1000);
    bs_plog_slice_t s;
    assert_int_equal(bs_plog_read(l, 0, 100000, &s), BS_ERR_NONE);
    char *path = strdup(l->segs[0]->path_log);
    char deleted[600];
    snprintf(deleted, sizeof(deleted), "%s.deleted", path);
    assert_int_equal(bs_plog_delete_records(l, l->segs[1]->base), BS_ERR_NONE);
    struct stat st;
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(stat(deleted, &st), 0); /* still referenced */
    uint8_t *b = malloc((size_t)s.len);
    assert_int_equal(pread(s.fd, b, (size_t)s.len, s.file_off), s.len);
    assert_int_equal(bs_records_validate(b, (size_t)s.len, 0, NULL, NULL, 0), BS_ERR_NONE);
    free(b);
    bs_plog_close(l); /* the slice may outlive the log too */
    assert_int_equal(stat(deleted, &st), 0);
    s.release(s.ctx);
    assert_int_equal(stat(deleted, &st), -1);
    free(path);
}

typedef struct {
    bs_plog_t *l;
    atomic_int stop;
    int64_t last;
    int bad;
} syncer_t;

static void *sync_thread(void *arg)
{
    syncer_t *sy = arg;
    while (!atomic_load(&sy->stop)) {
        int64_t d = bs_plog_sync(sy->l);
        if (d < sy->last)
            sy->bad = 1;
        sy->last = d;
    }
    return NULL;
}

static void test_sync_concurrent(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    c.segment_bytes = 16384;
    bs_plog_t *l = open_log(&c, 0);
    syncer_t sy = {.l = l, .last = 0};
    atomic_init(&sy.stop, 0);
    pthread_t th;
    pthread_create(&th, NULL, sync_thread, &sy);
    for (int i = 0; i < 1500; i++) {
        append_batch(l, 1 + i % 5, 1000 + i, BS_CODEC_NONE);
        assert_true(bs_plog_durable_offset(l) <= bs_plog_end_offset(l));
        if (i % 100 == 99) {
            c.retention_bytes = 40000;
            bs_plog_set_config(l, &c);
            bs_plog_enforce_retention(l, 0);
        }
    }
    atomic_store(&sy.stop, 1);
    pthread_join(th, NULL);
    assert_int_equal(sy.bad, 0);
    assert_int_equal(bs_plog_sync(l), bs_plog_end_offset(l));
    bs_plog_close(l);
}

static void test_flush_interval(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    c.flush_interval_messages = 10;
    bs_plog_t *l = open_log(&c, 0);
    append_batch(l, 5, 1, BS_CODEC_NONE);
    assert_int_equal(bs_plog_durable_offset(l), 0);
    append_batch(l, 5, 2, BS_CODEC_NONE);
    assert_int_equal(bs_plog_durable_offset(l), 10);
    bs_plog_close(l);
}

static void test_roll_by_time_and_offsets(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    c.segment_bytes = 1 << 30;
    c.segment_ms = 1000;
    bs_plog_t *l = open_log(&c, 0);
    append_batch(l, 2, 10000, BS_CODEC_NONE);
    append_batch(l, 2, 10500, BS_CODEC_NONE);
    assert_int_equal(bs_plog_segment_count(l), 1);
    append_batch(l, 2, 11000, BS_CODEC_NONE); /* 1000 ms after the first append */
    assert_int_equal(bs_plog_segment_count(l), 2);
    assert_int_equal(l->segs[1]->base, 4);
    assert_int_equal(bs_plog_maybe_roll_by_time(l, 11500), 0);
    assert_int_equal(bs_plog_maybe_roll_by_time(l, 12000), 1);
    assert_int_equal(bs_plog_segment_count(l), 3);
    assert_int_equal(bs_plog_maybe_roll_by_time(l, 99999), 0); /* empty: no roll */
    /* segment file names are 20-digit base offsets */
    char want[600];
    snprintf(want, sizeof(want), "%s/00000000000000000006.log", g_dir);
    struct stat st;
    assert_int_equal(stat(want, &st), 0);
    bs_plog_close(l);
}

static void write_file(const char *path, const uint8_t *b, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, n), (ssize_t)n);
    close(fd);
}

static void test_open_garbage(void **state)
{
    (void)state;
    /* Random segment and index files: open must never crash, whichever
     * mode, and must leave a usable log. */
    bs_plog_config_t c;
    small_cfg(&c);
    srand(99);
    uint8_t *b = malloc(20000);
    for (int round = 0; round < 40; round++) {
        char cmd[600], path[600];
        snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s", g_dir, g_dir);
        assert_int_equal(system(cmd), 0);
        /* A valid prefix in segment 0, then garbage; segment 1000 all garbage. */
        bs_plog_t *l = open_log(&c, 0);
        fill(l, 20, 1000);
        bs_plog_close(l);
        snprintf(path, sizeof(path), "%s/00000000000000000000.log", g_dir);
        int fd = open(path, O_WRONLY | O_APPEND);
        size_t n = (size_t)rand() % 3000;
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)rand();
        if (round % 3 == 0 && n > 20) {
            memset(b, 0, 12);
            b[11] = 60; /* plausible length */
            b[16] = 2;
        }
        assert_int_equal(write(fd, b, n), (ssize_t)n);
        close(fd);
        const char *ext[] = {".index", ".timeindex", ".log"};
        for (int k = 0; k < 3; k++) {
            if (rand() % 2 == 0)
                continue;
            n = (size_t)rand() % 200;
            for (size_t i = 0; i < n; i++)
                b[i] = (uint8_t)rand();
            snprintf(path, sizeof(path), "%s/00000000000000001000%s", g_dir, ext[k]);
            write_file(path, b, n);
            if (k < 2 && rand() % 2) {
                snprintf(path, sizeof(path), "%s/00000000000000000000%s", g_dir, ext[k]);
                write_file(path, b, n);
            }
        }
        for (int recover = 0; recover < 2; recover++) {
            l = open_log(&c, recover);
            int64_t end = bs_plog_end_offset(l);
            assert_true(end >= bs_plog_start_offset(l));
            for (int64_t o = bs_plog_start_offset(l); o < end && o < 2000; o++) {
                bs_plog_slice_t s;
                if (bs_plog_read(l, o, 100, &s) == BS_ERR_NONE)
                    s.release(s.ctx);
            }
            int64_t off, ts;
            bs_plog_offset_for_timestamp(l, 1050, &off, &ts);
            bs_plog_max_timestamp(l, &off, &ts);
            bs_plog_close(l);
        }
        /* After recovery, appending works and reads back. */
        l = open_log(&c, 1);
        int64_t end = bs_plog_end_offset(l);
        assert_int_equal(append_batch(l, 3, 50000, BS_CODEC_NONE), end);
        check_read(l, end + 1, 100);
        bs_plog_close(l);
    }
    free(b);
}

static void test_read_bounded(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    bs_plog_t *l = open_log(&c, 0);
    for (int i = 0; i < 20; i++)
        append_batch(l, 2, 1000 + i, BS_CODEC_NONE); /* batch i = offsets 2i, 2i+1 */
    bs_plog_slice_t s;
    assert_int_equal(bs_plog_read_bounded(l, 0, 1 << 20, 10, &s), BS_ERR_NONE);
    uint8_t buf[8192];
    assert_true(s.len > 0 && s.len <= (int64_t)sizeof(buf));
    assert_int_equal(pread(s.fd, buf, (size_t)s.len, s.file_off), s.len);
    bs_records_info_t info;
    assert_int_equal(bs_records_validate(buf, (size_t)s.len, 0, &info, NULL, 0), BS_ERR_NONE);
    assert_int_equal(info.RecordCount, 10); /* offsets 0..9 */
    s.release(s.ctx);
    assert_int_equal(bs_plog_read_bounded(l, 10, 1 << 20, 10, &s), BS_ERR_NONE);
    assert_int_equal(s.len, 0);
    s.release(s.ctx);
    assert_int_equal(bs_plog_read_bounded(l, 9, 1 << 20, 10, &s), BS_ERR_NONE);
    assert_true(s.len > 0);
    assert_int_equal(s.base_offset, 8);
    s.release(s.ctx);
    /* bound at the end = unbounded */
    assert_int_equal(bs_plog_read_bounded(l, 0, 1 << 20, 40, &s), BS_ERR_NONE);
    int64_t all = s.len;
    s.release(s.ctx);
    assert_int_equal(bs_plog_read(l, 0, 1 << 20, &s), BS_ERR_NONE);
    assert_int_equal(s.len, all);
    s.release(s.ctx);
    bs_plog_close(l);
}

static void test_bad_append(void **state)
{
    (void)state;
    bs_plog_config_t c;
    small_cfg(&c);
    bs_plog_t *l = open_log(&c, 0);
    uint8_t junk[100] = {0};
    junk[11] = 200; /* batchLength beyond the buffer */
    assert_int_equal(bs_plog_append(l, junk, sizeof(junk), 0, 0, NULL), BS_ERR_CORRUPT_MESSAGE);
    assert_int_equal(bs_plog_end_offset(l), 0);
    bs_plog_close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_rolls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_append_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_size_and_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_torn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_torn_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_bad_crc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_sealed_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_zero_tail_clean_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slice_outlives_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roll_by_time_and_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_garbage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
