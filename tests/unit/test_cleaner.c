/*
 * test_cleaner.c — log compaction on a real plog: many versions per key and
 * tombstones over many segments, every codec, checked against a model
 * (latest value of every live key at its original offset, no expired
 * tombstone); reads at every offset and timestamp lookups after cleaning;
 * reopen (clean and recovering); crash safety of the swap (leftover
 * .cleaned discarded, a committed .swap completed); transactional batches
 * and markers (aborted data dropped, committed kept, undecided untouched);
 * dirty ratio and min.compaction.lag.ms; records_build_raw round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/wbuf.h"
#include "broker/cleaner.h"
#include "broker/plog.h"
#include "proto/crc32c.h"
#include "proto/records.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_cleaner.%d/t-0", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf /tmp/test_cleaner.%d", (int)getpid());
    assert_int_equal(system(cmd), 0);
    bs_log_set_level(BS_LOG_ERROR);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf /tmp/test_cleaner.%d", (int)getpid());
    return system(cmd);
}

static void cfg_small(bs_plog_config_t *c)
{
    bs_plog_config_default(c);
    c->segment_bytes = 4096;
    c->index_interval_bytes = 200;
    c->segment_index_bytes = 4096;
    c->retention_ms = -1;
    c->compact = 1;
    c->delete_retention_ms = 1000;
}

static bs_plog_t *open_log(const bs_plog_config_t *c, int recover)
{
    bs_plog_t *l = NULL;
    char err[256] = "";
    if (bs_plog_open(&l, g_dir, c, recover, err, sizeof(err)) != 0)
        fail_msg("open: %s", err);
    return l;
}

/* ---- model ---- */

#define MAXREC 20000
typedef struct {
    int key;  /* -1 = control batch record */
    int tomb; /* null value */
    int64_t ts;
    int txn; /* 0 none, 1 committed, 2 aborted, 3 undecided */
    int control;
} mrec_t;

static mrec_t g_m[MAXREC];
static int64_t g_n;

static void reset_model(void)
{
    g_n = 0;
}

/* Appends one batch of n records with keys from keys[], tombstone flags. */
static void append_kv(bs_plog_t *l, int n, const int *keys, const int *tomb, int64_t ts, int codec,
                      int64_t pid, int txn_state, int64_t now)
{
    bs_rec_t r[64];
    char kb[64][16], vb[64][32];
    int64_t base = bs_plog_end_offset(l);
    memset(r, 0, sizeof(r));
    for (int i = 0; i < n; i++) {
        snprintf(kb[i], sizeof(kb[i]), "k%d", keys[i]);
        snprintf(vb[i], sizeof(vb[i]), "v%lld", (long long)(base + i));
        r[i].key = (const uint8_t *)kb[i];
        r[i].key_len = (int32_t)strlen(kb[i]);
        if (!tomb[i]) {
            r[i].value = (const uint8_t *)vb[i];
            r[i].value_len = (int32_t)strlen(vb[i]);
        } else {
            r[i].value_len = -1;
        }
        r[i].timestamp_delta = i;
        g_m[base + i] = (mrec_t){.key = keys[i], .tomb = tomb[i], .ts = ts + i, .txn = txn_state};
    }
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    assert_int_equal(bs_batch_build(&w, r, n, ts, codec, pid, pid >= 0 ? 0 : -1, pid >= 0 ? 0 : -1,
                                    txn_state ? BS_BATCH_ATTR_TRANSACTIONAL : 0),
                     0);
    assert_int_equal(bs_plog_append(l, w.data, w.len, now, 0, NULL), BS_ERR_NONE);
    bs_wbuf_free(&w);
    g_n = bs_plog_end_offset(l);
}

static void append_marker(bs_plog_t *l, int64_t pid, int commit, int64_t ts, int64_t now)
{
    uint8_t key[4] = {0, 0, 0, (uint8_t)commit}, val[6] = {0};
    bs_rec_t r;
    memset(&r, 0, sizeof(r));
    r.key = key;
    r.key_len = 4;
    r.value = val;
    r.value_len = 6;
    int64_t base = bs_plog_end_offset(l);
    g_m[base] = (mrec_t){.key = -1, .ts = ts, .control = 1};
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    assert_int_equal(bs_batch_build(&w, &r, 1, ts, BS_CODEC_NONE, pid, 0, -1,
                                    BS_BATCH_ATTR_TRANSACTIONAL | BS_BATCH_ATTR_CONTROL),
                     0);
    assert_int_equal(bs_plog_append(l, w.data, w.len, now, 0, NULL), BS_ERR_NONE);
    bs_wbuf_free(&w);
    g_n = bs_plog_end_offset(l);
}

/* What the log must hold after cleaning everything below upto at time now
 * with delete.retention.ms dr: 1 if record at offset o survives. */
static int expect_kept(int64_t o, int64_t upto, int64_t now, int64_t dr, int64_t batch_max_ts)
{
    const mrec_t *m = &g_m[o];
    if (o >= upto || m->control)
        return 1; /* markers checked separately */
    if (m->txn == 2)
        return 0;
    if (m->txn == 3)
        return 1;
    for (int64_t p = o + 1; p < g_n; p++)
        if (!g_m[p].control && g_m[p].key == m->key && g_m[p].txn != 2 && g_m[p].txn != 3 &&
            p < upto)
            return 0;
    if (m->tomb && batch_max_ts < now - dr)
        return 0;
    return 1;
}

/* Reads the whole log: for each record, its offset, key, tombstone flag,
 * timestamp; checks the value is "v<offset>". Returns count. */
typedef struct {
    int64_t off, ts, batch_max_ts;
    int key, tomb, control;
} got_t;

static int read_all(bs_plog_t *l, got_t *out, int max)
{
    int n = 0;
    int64_t off = bs_plog_start_offset(l);
    while (off < bs_plog_end_offset(l)) {
        bs_plog_slice_t s;
        assert_int_equal(bs_plog_read(l, off, 1 << 20, &s), BS_ERR_NONE);
        if (s.len == 0) {
            s.release(s.ctx);
            break;
        }
        uint8_t *buf = malloc((size_t)s.len);
        assert_int_equal(pread(s.fd, buf, (size_t)s.len, s.file_off), s.len);
        s.release(s.ctx);
        int64_t pos = 0;
        while (pos < s.len) {
            bs_batch_hdr_t h;
            bs_batch_hdr_parse(buf + pos, (size_t)(s.len - pos), &h);
            int64_t bs = h.BatchLength + 12;
            assert_int_equal(h.Magic, 2);
            assert_int_equal(bs_crc32c(0, buf + pos + 21, (size_t)bs - 21), h.Crc);
            uint8_t *recs;
            size_t rlen;
            assert_int_equal(bs_batch_decompress(buf + pos, (size_t)bs, &recs, &rlen, NULL, 0), 0);
            bs_record_iter_t it;
            bs_rec_t r;
            bs_record_iter_init(&it, recs, rlen, h.RecordsCount);
            while (bs_record_iter_next(&it, &r, NULL, 0) == 1) {
                int64_t o = h.BaseOffset + r.offset_delta;
                assert_true(n < max);
                got_t *g = &out[n++];
                g->off = o;
                g->ts = h.BaseTimestamp + r.timestamp_delta;
                g->batch_max_ts = h.MaxTimestamp;
                g->control = (h.Attributes & BS_BATCH_ATTR_CONTROL) != 0;
                g->tomb = r.value == NULL;
                g->key = -1;
                if (!g->control) {
                    assert_non_null(r.key);
                    g->key = atoi((const char *)r.key + 1);
                    if (r.value) {
                        char want[32];
                        snprintf(want, sizeof(want), "v%lld", (long long)o);
                        assert_int_equal(r.value_len, (int)strlen(want));
                        assert_memory_equal(r.value, want, strlen(want));
                    }
                }
                if (n > 1)
                    assert_true(out[n - 2].off < o);
            }
            free(recs);
            off = h.BaseOffset + h.LastOffsetDelta + 1;
            pos += bs;
        }
        free(buf);
    }
    return n;
}

static got_t g_got[MAXREC];

/* Full check of the log against the model. */
static void check_log(bs_plog_t *l, int64_t upto, int64_t now, int64_t dr)
{
    int n = read_all(l, g_got, MAXREC);
    int gi = 0;
    for (int i = 0; i < n; i++) {
        const got_t *g = &g_got[i];
        const mrec_t *m = &g_m[g->off];
        assert_int_equal(g->control, m->control);
        if (g->control)
            continue;
        assert_int_equal(g->key, m->key);
        assert_int_equal(g->tomb, m->tomb);
        assert_int_equal(g->ts, m->ts);
        assert_true(expect_kept(g->off, upto, now, dr, g->batch_max_ts));
    }
    /* Nothing that must survive is missing. */
    for (int64_t o = bs_plog_start_offset(l); o < g_n; o++) {
        if (g_m[o].control)
            continue;
        while (gi < n && g_got[gi].off < o)
            gi++;
        int present = gi < n && g_got[gi].off == o;
        /* (a dropped tombstone's batch maxTimestamp is within 20 ms of its
         * own timestamp; the tests keep far from the horizon) */
        if (!present && expect_kept(o, upto, now, dr, g_m[o].ts))
            fail_msg("offset %lld (key %d) missing", (long long)o, g_m[o].key);
    }
    /* Reads at every offset start at the right batch. */
    for (int64_t o = bs_plog_start_offset(l); o < g_n; o++) {
        bs_plog_slice_t s;
        assert_int_equal(bs_plog_read(l, o, 1, &s), BS_ERR_NONE);
        int64_t first_after = -1;
        for (int i = 0; i < n; i++)
            if (g_got[i].off >= o) {
                first_after = g_got[i].off;
                break;
            }
        if (first_after < 0) {
            s.release(s.ctx);
            continue;
        }
        assert_true(s.len > 0);
        uint8_t hb[61];
        assert_int_equal(pread(s.fd, hb, 61, s.file_off), 61);
        s.release(s.ctx);
        bs_batch_hdr_t h;
        bs_batch_hdr_parse(hb, 61, &h);
        assert_true(h.BaseOffset + h.LastOffsetDelta >= o);
        assert_true(h.BaseOffset <= first_after);
    }
    /* Timestamp lookups (timestamps increase with offsets). */
    for (int i = 0; i < n; i += 7) {
        int64_t off, fts;
        assert_int_equal(bs_plog_offset_for_timestamp(l, g_got[i].ts, &off, &fts), BS_ERR_NONE);
        assert_int_equal(off, g_got[i].off);
        assert_int_equal(fts, g_got[i].ts);
    }
}

static uint32_t g_rng = 12345;
static uint32_t rnd(void)
{
    g_rng = g_rng * 1103515245u + 12345u;
    return g_rng >> 8;
}

/* Fills a log: nb batches of up to 20 records over 40 keys, 10% tombstones,
 * codecs rotating. Timestamps: batch b starts at ts0 + b*100. */
static void fill(bs_plog_t *l, int nb, int64_t ts0, int64_t now)
{
    for (int b = 0; b < nb; b++) {
        int n = 1 + (int)(rnd() % 20), keys[64], tomb[64];
        for (int i = 0; i < n; i++) {
            keys[i] = (int)(rnd() % 40);
            tomb[i] = rnd() % 10 == 0;
        }
        append_kv(l, n, keys, tomb, ts0 + b * 100, b % 5, -1, 0, now);
    }
}

static int count_files(const char *suffix)
{
    DIR *d = opendir(g_dir);
    int n = 0;
    struct dirent *de;
    size_t sl = strlen(suffix);
    while (d && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len > sl && strcmp(de->d_name + len - sl, suffix) == 0)
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

static void test_compact_basic(void **state)
{
    (void)state;
    bs_plog_config_t c;
    cfg_small(&c);
    reset_model();
    bs_plog_t *l = open_log(&c, 0);
    int64_t now = 1000000;
    fill(l, 300, 10000, now);
    int64_t upto = bs_plog_active_base(l);
    int nseg = bs_plog_segment_count(l);
    assert_true(nseg > 10);
    bs_cleaner_stats_t st;
    /* Tombstones younger than delete.retention.ms (ts up to 40000, now
     * 1000000, dr 1000: all old) -> removed. */
    assert_int_equal(bs_cleaner_clean_now(l, bs_plog_end_offset(l), now, 0, &st), 1);
    assert_true(st.records_kept < st.records_read);
    assert_int_equal(bs_plog_clean_point(l), upto);
    assert_int_equal(count_files(".cleaned"), 0);
    assert_int_equal(count_files(".swap"), 0);
    check_log(l, upto, now, c.delete_retention_ms);
    /* Nothing dirty: no second run. */
    assert_int_equal(bs_cleaner_clean_now(l, bs_plog_end_offset(l), now, 0, &st), 0);
    /* More data, clean again (dirty section = the new segments only). */
    fill(l, 200, 40000, now);
    upto = bs_plog_active_base(l);
    nseg = bs_plog_segment_count(l);
    assert_int_equal(bs_cleaner_clean_now(l, bs_plog_end_offset(l), now, 1, &st), 1);
    check_log(l, upto, now, c.delete_retention_ms);
    /* Segments that shrank were grouped into fewer. */
    assert_true(bs_plog_segment_count(l) < nseg);
    bs_plog_close(l);
    l = open_log(&c, 0);
    check_log(l, upto, now, c.delete_retention_ms);
    assert_int_equal(bs_plog_clean_point(l), upto);
    bs_plog_close(l);
    l = open_log(&c, 1);
    check_log(l, upto, now, c.delete_retention_ms);
    bs_plog_close(l);
}

static void test_tombstones_kept_until_retention(void **state)
{
    (void)state;
    bs_plog_config_t c;
    cfg_small(&c);
    c.delete_retention_ms = 1000000000;
    reset_model();
    bs_plog_t *l = open_log(&c, 0);
    int64_t now = 1000000;
    fill(l, 200, 10000, now);
    int64_t upto = bs_plog_active_base(l);
    assert_int_equal(bs_cleaner_clean_now(l, bs_plog_end_offset(l), now, 1, NULL), 1);
    check_log(l, upto, now, c.delete_retention_ms);
    int tombs = 0;
    int n = read_all(l, g_got, MAXREC);
    for (int i = 0; i < n; i++)
        tombs += g_got[i].tomb;
    assert_true(tombs > 0);
    /* Later: retention passed, tombstones go. */
    c.delete_retention_ms = 1000;
    bs_plog_set_config(l, &c);
    assert_int_equal(bs_cleaner_clean_now(l, bs_plog_end_offset(l), now, 1, NULL), 1);
    check_log(l, upto, now, c.delete_retention_ms);
    n = read_all(l, g_got, MAXREC);
    for (int i = 0; i < n; i++)
        assert_false(g_got[i].tomb && g_got[i].off < upto);
    bs_plog_close(l);
}

static void test_policy(void **state)
{
    (void)state;
    bs_plog_config_t c;
    cfg_small(&c);
    reset_model();
    bs_plog_t *l = open_log(&c, 0);
    int64_t now = 1000000;
    fill(l, 100, 10000, now);
    double r;
    /* Not compacted: nothing. */
    c.compact = 0;
    bs_plog_set_config(l, &c);
    assert_null(bs_cleaner_plan(l, bs_plog_end_offset(l), now, 0, &r));
    c.compact = 1;
    /* min.compaction.lag.ms larger than the age of everything: nothing. */
    c.min_compaction_lag_ms = now;
    bs_plog_set_config(l, &c);
    assert_null(bs_cleaner_plan(l, bs_plog_end_offset(l), now, 0, &r));
    c.min_compaction_lag_ms = 0;
    /* LSO at the log start: nothing cleanable. */
    bs_plog_set_config(l, &c);
    assert_null(bs_cleaner_plan(l, 0, now, 0, &r));
    assert_int_equal(bs_cleaner_clean_now(l, bs_plog_end_offset(l), now, 0, NULL), 1);
    /* A little more data: ratio below 0.5 -> nothing; max lag -> cleans. */
    fill(l, 10, 20000, now);
    fill(l, 1, 30000, now); /* roll is by size: make sure a new segment is sealed */
    bs_clean_job_t *j = bs_cleaner_plan(l, bs_plog_end_offset(l), now, 0, &r);
    if (j) { /* only if the new data filled a whole segment */
        assert_true(r >= 0.5);
        bs_cleaner_job_free(j);
    }
    c.min_cleanable_dirty_ratio = 0.99;
    c.max_compaction_lag_ms = 1;
    bs_plog_set_config(l, &c);
    j = bs_cleaner_plan(l, bs_plog_end_offset(l), now + 10, 0, &r);
    if (bs_plog_clean_point(l) < bs_plog_active_base(l))
        assert_non_null(j);
    bs_cleaner_job_free(j);
    bs_plog_close(l);
}

static void test_crash_swap(void **state)
{
    (void)state;
    bs_plog_config_t c;
    cfg_small(&c);
    reset_model();
    bs_plog_t *l = open_log(&c, 0);
    int64_t now = 1000000;
    fill(l, 300, 10000, now);
    int64_t upto = bs_plog_active_base(l);
    /* 1. Build, then "crash" before the commit: .cleaned discarded. */
    bs_clean_job_t *j = bs_cleaner_plan(l, bs_plog_end_offset(l), now, 1, NULL);
    assert_non_null(j);
    assert_int_equal(bs_cleaner_build(j), 0);
    assert_true(count_files(".log.cleaned") > 0);
    bs_plog_close(l);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s.keep && cp %s/*.cleaned %s.keep/", g_dir, g_dir, g_dir);
    assert_int_equal(system(cmd), 0);
    bs_cleaner_job_free(j); /* after close: references outlive the log */
    snprintf(cmd, sizeof(cmd), "cp %s.keep/*.cleaned %s/", g_dir, g_dir);
    assert_int_equal(system(cmd), 0);
    l = open_log(&c, 1);
    assert_int_equal(count_files(".cleaned"), 0);
    check_log(l, 0, now, c.delete_retention_ms); /* nothing cleaned */
    bs_plog_close(l);
    /* 2. Crash after the commit point: the .swap files are completed. */
    snprintf(cmd, sizeof(cmd),
             "cd %s.keep && for f in *.cleaned; do cp $f %s/${f%%.cleaned}.swap; done", g_dir,
             g_dir);
    assert_int_equal(system(cmd), 0);
    l = open_log(&c, 1);
    assert_int_equal(count_files(".swap"), 0);
    check_log(l, upto, now, c.delete_retention_ms);
    bs_plog_close(l);
    snprintf(cmd, sizeof(cmd), "rm -rf %s.keep", g_dir);
    assert_int_equal(system(cmd), 0);
}

static void test_transactions(void **state)
{
    (void)state;
    bs_plog_config_t c;
    cfg_small(&c);
    c.delete_retention_ms = 0;
    reset_model();
    bs_plog_t *l = open_log(&c, 0);
    int64_t now = 1000000;
    int k1[] = {1, 2, 3}, k2[] = {1, 4}, k3[] = {2}, t0[] = {0, 0, 0};
    fill(l, 20, 1000, now);
    /* pid 7: committed txn writing keys 1,2,3 */
    append_kv(l, 3, k1, t0, 5000, BS_CODEC_LZ4, 7, 1, now);
    /* pid 8: aborted txn writing keys 1,4 (interleaved) */
    append_kv(l, 2, k2, t0, 5010, BS_CODEC_NONE, 8, 2, now);
    append_marker(l, 7, 1, 5020, now);
    append_marker(l, 8, 0, 5030, now);
    /* pid 9: txn whose marker comes after the cleanable range */
    append_kv(l, 1, k3, t0, 5040, BS_CODEC_NONE, 9, 3, now);
    fill(l, 40, 6000, now); /* rolls several segments */
    int64_t upto = bs_plog_active_base(l);
    append_marker(l, 9, 1, 99000, now);
    assert_int_equal(bs_cleaner_clean_now(l, bs_plog_end_offset(l), now, 1, NULL), 1);
    check_log(l, upto, now, c.delete_retention_ms);
    int n = read_all(l, g_got, MAXREC), markers = 0;
    for (int i = 0; i < n; i++) {
        assert_true(g_m[g_got[i].off].txn != 2); /* aborted data gone */
        markers += g_got[i].control;
    }
    /* pid 9's marker (active segment) stays; pid 8's abort marker goes
     * (no data left, retention 0); pid 7's stays while its data does. */
    int has7 = 0;
    for (int i = 0; i < n; i++)
        if (g_m[g_got[i].off].txn == 1)
            has7 = 1;
    assert_int_equal(markers, 1 + has7);
    bs_plog_close(l);
}

static void test_build_raw(void **state)
{
    (void)state;
    bs_rec_t r[3];
    memset(r, 0, sizeof(r));
    const char *k[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        r[i].key = (const uint8_t *)k[i];
        r[i].key_len = 1;
        r[i].value = (const uint8_t *)k[i];
        r[i].value_len = 1;
        r[i].timestamp_delta = i * 10;
    }
    for (int codec = 0; codec <= 4; codec++) {
        bs_wbuf_t w, o;
        bs_wbuf_init(&w);
        bs_wbuf_init(&o);
        assert_int_equal(bs_batch_build(&w, r, 3, 500, codec, 42, 3, 17, 0), 0);
        bs_batch_set_base_offset(w.data, 100);
        bs_batch_hdr_t h;
        bs_batch_hdr_parse(w.data, w.len, &h);
        uint8_t *recs;
        size_t rlen;
        assert_int_equal(bs_batch_decompress(w.data, w.len, &recs, &rlen, NULL, 0), 0);
        /* keep only the last record */
        bs_record_iter_t it;
        bs_rec_t x;
        bs_record_iter_init(&it, recs, rlen, 3);
        size_t s2 = 0;
        for (int i = 0; i < 2; i++) {
            assert_int_equal(bs_record_iter_next(&it, &x, NULL, 0), 1);
            s2 = it.pos;
        }
        assert_int_equal(bs_batch_build_raw(&o, &h, recs + s2, rlen - s2, 1, 520), 0);
        assert_int_equal(bs_records_validate(o.data, o.len, 0, NULL, NULL, 0) != BS_ERR_NONE, 1);
        /* (validate rejects recordsCount != lastOffsetDelta+1: a compacted
         * batch is a log batch, not a produce batch) */
        bs_batch_hdr_t h2;
        bs_batch_hdr_parse(o.data, o.len, &h2);
        assert_int_equal(h2.BaseOffset, 100);
        assert_int_equal(h2.LastOffsetDelta, 2);
        assert_int_equal(h2.RecordsCount, 1);
        assert_int_equal(h2.ProducerId, 42);
        assert_int_equal(h2.BaseSequence, 17);
        assert_int_equal(h2.MaxTimestamp, 520);
        assert_int_equal(h2.Attributes & 7, codec);
        uint8_t *r2;
        size_t r2len;
        assert_int_equal(bs_batch_decompress(o.data, o.len, &r2, &r2len, NULL, 0), 0);
        bs_record_iter_init(&it, r2, r2len, 1);
        assert_int_equal(bs_record_iter_next(&it, &x, NULL, 0), 1);
        assert_int_equal(x.offset_delta, 2);
        assert_int_equal(x.timestamp_delta, 20);
        assert_memory_equal(x.key, "c", 1);
        free(r2);
        free(recs);
        bs_wbuf_free(&w);
        bs_wbuf_free(&o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_build_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tombstones_kept_until_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
