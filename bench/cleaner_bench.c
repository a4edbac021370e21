/*
 * cleaner_bench.c — log cleaner throughput: MB/s of log compacted
 * (bytes of the cleaned range / wall time of plan + build + commit).
 *
 * Workload: batches of 100 records, 100-byte values, keys drawn uniformly
 * from 200,000 (so most records are superseded), 2% tombstones; 128 MiB
 * segments. Per codec (none, lz4, zstd): write MB of log, one warm-up
 * clean (it also writes fresh page cache: the first write to fresh memory
 * is slow on this VM), then the same amount again and a measured clean of
 * the whole log (clean section re-copied + new dirty section, as Kafka does).
 * Links build/libbasin.a (the Makefile's bench rule).
 *   usage: cleaner_bench [dir] [MB per fill, default 256]
 */
#include "base/log.h"
#include "base/wbuf.h"
#include "broker/cleaner.h"
#include "broker/plog.h"
#include "proto/records.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEYS      200000
#define PER_BATCH 100

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t g_rng = 88172645463325252ULL;
static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)g_rng;
}

/* Appends about mb MiB of batches. */
static int fill(bs_plog_t *l, double mb, int codec, int64_t ts0)
{
    bs_rec_t r[PER_BATCH];
    char keys[PER_BATCH][24], vals[PER_BATCH][100];
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    int64_t target = bs_plog_size_bytes(l) + (int64_t)(mb * 1048576.0);
    int64_t ts = ts0;
    while (bs_plog_size_bytes(l) < target) {
        memset(r, 0, sizeof(r));
        for (int i = 0; i < PER_BATCH; i++) {
            int k = (int)(rnd() % KEYS);
            r[i].key_len = snprintf(keys[i], sizeof(keys[i]), "key-%08d", k);
            r[i].key = (const uint8_t *)keys[i];
            if (rnd() % 50 == 0) {
                r[i].value_len = -1;
            } else {
                for (int j = 0; j < 100; j++)
                    vals[i][j] = (char)('a' + (rnd() % 16));
                r[i].value = (const uint8_t *)vals[i];
                r[i].value_len = 100;
            }
            r[i].timestamp_delta = i;
        }
        w.len = 0;
        if (bs_batch_build(&w, r, PER_BATCH, ts, codec, -1, -1, -1, 0) < 0 ||
            bs_plog_append(l, w.data, w.len, ts, 0, NULL) != BS_ERR_NONE) {
            bs_wbuf_free(&w);
            return -1;
        }
        ts += PER_BATCH;
    }
    bs_wbuf_free(&w);
    return 0;
}

static int clean(bs_plog_t *l, int64_t now, const char *what, double *mbps)
{
    bs_cleaner_stats_t st;
    double t0 = now_s();
    int r = bs_cleaner_clean_now(l, bs_plog_end_offset(l), now, 1, &st);
    double dt = now_s() - t0;
    if (r != 1) {
        fprintf(stderr, "clean failed (%d)\n", r);
        return -1;
    }
    *mbps = (double)st.bytes_read / 1048576.0 / dt;
    printf("  %-8s %7.1f MiB in %6.2f s = %7.1f MiB/s  (out %.1f MiB, %" PRId64 "/%" PRId64
           " records kept, %" PRId64 " keys in map, %" PRId64 " batches rebuilt, %d->%d segs)\n",
           what, (double)st.bytes_read / 1048576.0, dt, *mbps, st.bytes_written / 1048576.0,
           st.records_kept, st.records_read, st.map_keys, st.batches_rebuilt, st.segments_in,
           st.segments_out);
    return 0;
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/tmp/cleaner_bench";
    double mb = argc > 2 ? atof(argv[2]) : 256;
    const int codecs[] = {BS_CODEC_NONE, BS_CODEC_LZ4, BS_CODEC_ZSTD};
    const char *names[] = {"none", "lz4", "zstd"};
    char dir[512], cmd[600], err[256];
    int rc = 1;
    bs_log_set_level(BS_LOG_WARN);
    printf("cleaner_bench: %.0f MiB per fill, %d keys, %d records/batch, 100-byte values\n", mb,
           KEYS, PER_BATCH);
    for (int c = 0; c < 3; c++) {
        snprintf(dir, sizeof(dir), "%s/bench-%s", base, names[c]);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
        if (system(cmd) != 0)
            return 1;
        bs_plog_config_t cfg;
        bs_plog_config_default(&cfg);
        cfg.segment_bytes = 128 << 20;
        cfg.retention_ms = -1;
        cfg.compact = 1;
        cfg.delete_retention_ms = 86400000;
        bs_plog_t *l = NULL;
        if (bs_plog_open(&l, dir, &cfg, 0, err, sizeof(err)) != 0) {
            fprintf(stderr, "open: %s\n", err);
            return 1;
        }
        int64_t now = 1700000000000;
        double t0 = now_s(), w1, w2, m;
        printf("codec %s:\n", names[c]);
        if (fill(l, mb, codecs[c], now - 3600000) < 0)
            goto done;
        w1 = now_s() - t0;
        if (clean(l, now, "warm-up", &m) < 0)
            goto done;
        t0 = now_s();
        if (fill(l, mb, codecs[c], now - 1800000) < 0)
            goto done;
        w2 = now_s() - t0;
        printf("  (fills: %.1f s, %.1f s)\n", w1, w2);
        if (clean(l, now, "measured", &m) < 0)
            goto done;
        bs_plog_close(l);
        l = NULL;
        continue;
    done:
        bs_plog_close(l);
        goto out;
    }
    rc = 0;
out:
    snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
