/*
 * plog_bench.c — storage engine micro-benchmark: validate+append throughput
 * (batches of 1000 x 100-byte records, uncompressed), fetch-path reads at
 * random offsets, and recovery time of a 1 GiB segment (full CRC
 * validation). Unity build (includes the sources) so the Makefile's bench
 * rule, which links no libbasin, can build it.
 *   usage: plog_bench [dir] [GiB for recovery, default 1]
 */
#include "../src/base/arena.c"
#include "../src/base/err.c"
#include "../src/base/log.c"
#include "../src/base/wbuf.c"
#include "../src/broker/plog.c"
#include "../src/proto/crc32c.c"
#include "../src/proto/records.c"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/tmp/plog_bench";
    double gib = argc > 2 ? atof(argv[2]) : 1.0;
    char dir[512], cmd[600], err[256];
    snprintf(dir, sizeof(dir), "%s/bench-0", base);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    if (system(cmd) != 0)
        return 1;
    bs_log_set_level(BS_LOG_WARN);

    /* One batch of 1000 x 100-byte values. */
    static uint8_t val[100];
    memset(val, 'x', sizeof(val));
    bs_rec_t *r = calloc(1000, sizeof(*r));
    for (int i = 0; i < 1000; i++) {
        r[i].value = val;
        r[i].value_len = 100;
        r[i].timestamp_delta = i;
    }
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    bs_batch_build(&w, r, 1000, 1700000000000, BS_CODEC_NONE, -1, -1, -1, 0);
    printf("batch: 1000 records, %zu bytes\n", w.len);

    bs_plog_config_t c;
    bs_plog_config_default(&c);
    bs_plog_t *l;
    if (bs_plog_open(&l, dir, &c, 0, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double v0 = now_s();
    for (int i = 0; i < 2000; i++)
        if (bs_records_validate(w.data, w.len, 1 << 20, NULL, NULL, 0) != BS_ERR_NONE)
            return 1;
    printf("validate only: %.0f msgs/s\n", 2000 * 1000.0 / (now_s() - v0));
    int64_t target = (int64_t)(gib * 1073741824.0);
    int n = (int)(target / (int64_t)w.len);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        if (bs_records_validate(w.data, w.len, 1 << 20, NULL, NULL, 0) != BS_ERR_NONE ||
            bs_plog_append(l, w.data, w.len, 1700000000000 + i, 0, NULL) != BS_ERR_NONE) {
            fprintf(stderr, "append failed\n");
            return 1;
        }
    }
    double t1 = now_s();
    printf("validate+append: %d batches, %.0f msgs/s, %.0f MB/s (page cache, no fsync)\n", n,
           n * 1000.0 / (t1 - t0), n * (double)w.len / (t1 - t0) / 1e6);
    t0 = now_s();
    bs_plog_sync(l);
    printf("fdatasync of %.2f GiB: %.2f s\n", (double)bs_plog_size_bytes(l) / 1073741824.0,
           now_s() - t0);

    int64_t end = bs_plog_end_offset(l);
    srand(1);
    int reads = 200000;
    t0 = now_s();
    for (int i = 0; i < reads; i++) {
        bs_plog_slice_t s;
        int64_t o = ((int64_t)rand() * RAND_MAX + rand()) % end;
        if (bs_plog_read(l, o, 1 << 20, &s) != BS_ERR_NONE || s.len == 0) {
            fprintf(stderr, "read failed at %lld\n", (long long)o);
            return 1;
        }
        s.release(s.ctx);
    }
    t1 = now_s();
    printf("read (random offsets, 1 MiB max_bytes): %.0f reads/s, %.1f us each\n",
           reads / (t1 - t0), (t1 - t0) / reads * 1e6);
    int64_t off, ts;
    t0 = now_s();
    for (int i = 0; i < 20000; i++)
        bs_plog_offset_for_timestamp(l, 1700000000000 + rand() % n, &off, &ts);
    printf("offset_for_timestamp: %.1f us each\n", (now_s() - t0) / 20000 * 1e6);
    int segs = bs_plog_segment_count(l);
    bs_plog_close(l);

    t0 = now_s();
    if (bs_plog_open(&l, dir, &c, 0, err, sizeof(err)))
        return 1;
    printf("clean open: %.3f s (%d segments)\n", now_s() - t0, segs);
    bs_plog_close(l);
    t0 = now_s();
    if (bs_plog_open(&l, dir, &c, 1, err, sizeof(err)))
        return 1;
    t1 = now_s();
    printf("recovery open (active segment %.2f GiB validated, CRC + indexes rebuilt): %.3f s\n",
           (double)l->segs[l->nsegs - 1]->size / 1073741824.0, t1 - t0);
    if (bs_plog_end_offset(l) != end) {
        fprintf(stderr, "recovery lost data\n");
        return 1;
    }
    bs_plog_delete(l);
    bs_wbuf_free(&w);
    free(r);
    return 0;
}
