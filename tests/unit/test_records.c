/*
 * test_records.c — RecordBatch v2: builder + validator round trips for every
 * codec, each validation error class, in-place stamping keeps the CRC right,
 * decompression (incl. xerial-framed snappy) and record/header iteration,
 * varint edge cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/crc32c.h"
#include "proto/records.h"

static const bs_rec_header_t hdrs[2] = {
    {(const uint8_t *)"h1", 2, (const uint8_t *)"v1", 2},
    {(const uint8_t *)"h2", 2, NULL, -1},
};

/* n records: key "k<i>" (null for i%3==2), value "value-<i>" repeated. */
static void build(bs_wbuf_t *w, int n, int codec, int64_t base_ts)
{
    static char keys[64][16], vals[64][64];
    bs_rec_t r[64];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < n; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        snprintf(vals[i], sizeof(vals[i]), "value-%d value-%d value-%d", i, i, i);
        r[i].key = i % 3 == 2 ? NULL : (const uint8_t *)keys[i];
        r[i].key_len = (int32_t)strlen(keys[i]);
        r[i].value = (const uint8_t *)vals[i];
        r[i].value_len = (int32_t)strlen(vals[i]);
        r[i].timestamp_delta = i * 2;
        r[i].headers = i % 2 ? hdrs : NULL;
        r[i].header_count = i % 2 ? 2 : 0;
    }
    assert_int_equal(bs_batch_build(w, r, n, base_ts, codec, 77, 3, 100, 0), 0);
}

static void check_records(const uint8_t *batch, size_t len, int n)
{
    uint8_t *recs;
    size_t rlen;
    char err[256];
    bs_batch_hdr_t h;
    assert_int_equal(bs_batch_hdr_parse(batch, len, &h), 0);
    assert_int_equal(bs_batch_decompress(batch, len, &recs, &rlen, err, sizeof(err)), 0);
    bs_record_iter_t it;
    bs_rec_t r;
    bs_record_iter_init(&it, recs, rlen, h.RecordsCount);
    int i = 0, rc;
    while ((rc = bs_record_iter_next(&it, &r, err, sizeof(err))) == 1) {
        char k[16], v[64];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "value-%d value-%d value-%d", i, i, i);
        assert_int_equal(r.offset_delta, i);
        assert_int_equal(r.timestamp_delta, i * 2);
        if (i % 3 == 2) {
            assert_null(r.key);
            assert_int_equal(r.key_len, -1);
        } else {
            assert_int_equal(r.key_len, strlen(k));
            assert_memory_equal(r.key, k, strlen(k));
        }
        assert_int_equal(r.value_len, strlen(v));
        assert_memory_equal(r.value, v, strlen(v));
        assert_int_equal(r.header_count, i % 2 ? 2 : 0);
        size_t hp = 0;
        int32_t hi = 0;
        bs_rec_header_t hh;
        int hn = 0;
        while (bs_rec_headers_next(&r, &hp, &hi, &hh) == 1) {
            assert_int_equal(hh.key_len, 2);
            assert_memory_equal(hh.key, hdrs[hn].key, 2);
            assert_int_equal(hh.value_len, hdrs[hn].value_len);
            hn++;
        }
        assert_int_equal(hn, r.header_count);
        i++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(i, n);
    free(recs);
}

static void test_roundtrip_codecs(void **state)
{
    (void)state;
    for (int codec = 0; codec <= 4; codec++) {
        bs_wbuf_t w;
        bs_wbuf_init(&w);
        build(&w, 20, codec, 1700000000000);
        bs_records_info_t info;
        char err[256] = "";
        assert_int_equal(bs_records_validate(w.data, w.len, 1 << 20, &info, err, sizeof(err)),
                         BS_ERR_NONE);
        assert_int_equal(info.BatchCount, 1);
        assert_int_equal(info.RecordCount, 20);
        assert_int_equal(info.OffsetCount, 20);
        assert_int_equal(info.FirstLastOffsetDelta, 19);
        assert_int_equal(info.MaxTimestamp, 1700000000000 + 38);
        assert_int_equal(info.ProducerId, 77);
        assert_int_equal(info.ProducerEpoch, 3);
        assert_int_equal(info.BaseSequence, 100);
        assert_int_equal(info.Codec, codec);
        assert_int_equal(info.IsTransactional, 0);
        assert_int_equal(info.IsControl, 0);
        bs_batch_hdr_t h;
        assert_int_equal(bs_batch_hdr_parse(w.data, w.len, &h), 0);
        assert_int_equal(h.Magic, 2);
        assert_int_equal(h.BatchLength, (int32_t)w.len - 12);
        assert_int_equal(bs_batch_size(w.data, w.len), (int64_t)w.len);
        check_records(w.data, w.len, 20);
        bs_wbuf_free(&w);
    }
}

static void test_multi_batch_and_control(void **state)
{
    (void)state;
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    build(&w, 5, BS_CODEC_NONE, 1000);
    build(&w, 7, BS_CODEC_ZSTD, 5000);
    uint8_t ck[4] = {0, 0, 0, 1}, cv[6] = {0, 0, 0, 0, 0, 5};
    bs_rec_t c = {.key = ck, .key_len = 4, .value = cv, .value_len = 6};
    assert_int_equal(bs_batch_build(&w, &c, 1, 9000, 0, 5, 0, -1,
                                    BS_BATCH_ATTR_CONTROL | BS_BATCH_ATTR_TRANSACTIONAL),
                     0);
    bs_records_info_t info;
    assert_int_equal(bs_records_validate(w.data, w.len, 0, &info, NULL, 0), BS_ERR_NONE);
    assert_int_equal(info.BatchCount, 3);
    assert_int_equal(info.RecordCount, 13);
    assert_int_equal(info.OffsetCount, 13);
    assert_int_equal(info.MaxTimestamp, 9000);
    assert_int_equal(info.IsControl, 1);
    bs_wbuf_free(&w);
}

/* Mutates a copy of a valid batch and expects err. */
static void expect_err(const bs_wbuf_t *w, size_t len, void (*mut)(uint8_t *, size_t), int fix_crc,
                       int32_t maxb, bs_err_t want)
{
    uint8_t *b = malloc(w->len);
    memcpy(b, w->data, w->len);
    if (mut)
        mut(b, w->len);
    if (fix_crc)
        bs_batch_update_crc(b, w->len);
    char err[256] = "";
    bs_err_t got = bs_records_validate(b, len, maxb, NULL, err, sizeof(err));
    if (got != want)
        fail_msg("want %d got %d (%s)", want, got, err);
    assert_true(err[0] != 0);
    free(b);
}

static void m_magic(uint8_t *b, size_t n)
{
    (void)n;
    b[16] = 1;
}
static void m_payload(uint8_t *b, size_t n)
{
    b[n - 3] ^= 0x40;
}
static void m_codec(uint8_t *b, size_t n)
{
    (void)n;
    b[22] = (uint8_t)((b[22] & ~7) | 6);
}
static void m_count(uint8_t *b, size_t n)
{
    (void)n;
    b[60] += 1;
}
static void m_lod(uint8_t *b, size_t n)
{
    (void)n;
    b[26] += 1;
}
static void m_neg(uint8_t *b, size_t n)
{
    (void)n;
    b[57] = 0xff;
}
static void m_len_small(uint8_t *b, size_t n)
{
    (void)n;
    b[8] = b[9] = b[10] = 0;
    b[11] = 10;
}
static void m_len_big(uint8_t *b, size_t n)
{
    (void)n;
    b[9] = 0x7f;
}
static void m_reclen(uint8_t *b, size_t n)
{
    (void)n;
    b[61] = 0x7e;
} /* first record length */
static void m_keylen(uint8_t *b, size_t n)
{
    (void)n;
    b[65] = 0x7d;
} /* key varint */

static void test_reject(void **state)
{
    (void)state;
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    build(&w, 4, BS_CODEC_NONE, 1000);
    assert_int_equal(bs_records_validate(w.data, w.len, 0, NULL, NULL, 0), BS_ERR_NONE);
    expect_err(&w, w.len, m_magic, 0, 0, BS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT);
    expect_err(&w, w.len, m_payload, 0, 0, BS_ERR_CORRUPT_MESSAGE);
    expect_err(&w, w.len - 1, NULL, 0, 0, BS_ERR_CORRUPT_MESSAGE);
    expect_err(&w, 30, NULL, 0, 0, BS_ERR_CORRUPT_MESSAGE);
    expect_err(&w, w.len, m_len_small, 0, 0, BS_ERR_CORRUPT_MESSAGE);
    expect_err(&w, w.len, m_len_big, 0, 0, BS_ERR_CORRUPT_MESSAGE);
    expect_err(&w, w.len, NULL, 0, (int32_t)w.len - 1, BS_ERR_MESSAGE_TOO_LARGE);
    expect_err(&w, w.len, m_codec, 1, 0, BS_ERR_UNSUPPORTED_COMPRESSION_TYPE);
    expect_err(&w, w.len, m_count, 1, 0, BS_ERR_INVALID_RECORD);
    expect_err(&w, w.len, m_lod, 1, 0, BS_ERR_INVALID_RECORD);
    expect_err(&w, w.len, m_neg, 1, 0, BS_ERR_INVALID_RECORD);
    expect_err(&w, w.len, m_reclen, 1, 0, BS_ERR_INVALID_RECORD);
    expect_err(&w, w.len, m_keylen, 1, 0, BS_ERR_INVALID_RECORD);
    expect_err(&w, 0, NULL, 0, 0, BS_ERR_INVALID_RECORD);
    /* A good batch followed by garbage. */
    bs_wbuf_t w2;
    bs_wbuf_init(&w2);
    bs_wbuf_put(&w2, w.data, w.len);
    bs_wbuf_put(&w2, "garbage garbage garbage garbage garbage garbage garbage garbage", 64);
    assert_int_equal(bs_records_validate(w2.data, w2.len, 0, NULL, NULL, 0),
                     BS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT);
    bs_wbuf_free(&w2);
    bs_wbuf_free(&w);
}

static void test_stamping(void **state)
{
    (void)state;
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    build(&w, 10, BS_CODEC_LZ4, 1000);
    uint32_t crc0 = bs_crc32c(0, w.data + 21, w.len - 21);
    bs_batch_set_base_offset(w.data, 123456789012345);
    bs_batch_set_leader_epoch(w.data, 7);
    assert_int_equal(bs_records_validate(w.data, w.len, 0, NULL, NULL, 0), BS_ERR_NONE);
    bs_batch_hdr_t h;
    bs_batch_hdr_parse(w.data, w.len, &h);
    assert_int_equal(h.BaseOffset, 123456789012345);
    assert_int_equal(h.PartitionLeaderEpoch, 7);
    assert_int_equal(h.Crc, crc0);
    bs_batch_set_log_append_time(w.data, w.len, 555555);
    assert_int_equal(bs_records_validate(w.data, w.len, 0, NULL, NULL, 0), BS_ERR_NONE);
    bs_batch_hdr_parse(w.data, w.len, &h);
    assert_true(h.Attributes & BS_BATCH_ATTR_LOG_APPEND_TIME);
    assert_int_equal(h.Attributes & 7, BS_CODEC_LZ4);
    assert_int_equal(h.MaxTimestamp, 555555);
    assert_int_equal(h.BaseTimestamp, 1000);
    bs_wbuf_free(&w);
}

static void test_xerial_snappy(void **state)
{
    (void)state;
    bs_wbuf_t raw, w;
    bs_wbuf_init(&raw);
    bs_wbuf_init(&w);
    build(&raw, 12, BS_CODEC_NONE, 1000);
    /* Re-encode the records section as xerial frames of 50 bytes. */
    const uint8_t *recs = raw.data + 61;
    size_t rlen = raw.len - 61;
    bs_wbuf_put(&w, raw.data, 61);
    static const uint8_t hdr[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    bs_wbuf_put(&w, hdr, 16);
    for (size_t off = 0; off < rlen; off += 50) {
        size_t n = rlen - off < 50 ? rlen - off : 50;
        char out[256];
        size_t ol = sizeof(out);
        assert_int_equal(snappy_compress((const char *)recs + off, n, out, &ol), SNAPPY_OK);
        bs_wbuf_be32(&w, (uint32_t)ol);
        bs_wbuf_put(&w, out, ol);
    }
    w.data[22] = (uint8_t)((w.data[22] & ~7) | BS_CODEC_SNAPPY);
    bs_wbuf_patch_be32(&w, 8, (uint32_t)(w.len - 12));
    bs_batch_update_crc(w.data, w.len);
    assert_int_equal(bs_records_validate(w.data, w.len, 0, NULL, NULL, 0), BS_ERR_NONE);
    check_records(w.data, w.len, 12);
    bs_wbuf_free(&raw);
    bs_wbuf_free(&w);
}

static void test_decompress_errors(void **state)
{
    (void)state;
    for (int codec = 1; codec <= 4; codec++) {
        bs_wbuf_t w;
        bs_wbuf_init(&w);
        build(&w, 30, codec, 1000);
        uint8_t *out = NULL;
        size_t ol;
        char err[256] = "";
        /* Output cap. */
        assert_int_equal(bs_batch_decompress_max(w.data, w.len, 64, &out, &ol, err, sizeof(err)),
                         -1);
        assert_null(out);
        assert_true(err[0]);
        /* Truncated payload (batchLength adjusted so the header is consistent). */
        size_t cut = w.len - 5;
        bs_wbuf_patch_be32(&w, 8, (uint32_t)(cut - 12));
        err[0] = 0;
        int r = bs_batch_decompress(w.data, cut, &out, &ol, err, sizeof(err));
        if (r == 0) {
            /* Some codecs cannot tell; then the records must not parse. */
            bs_record_iter_t it;
            bs_rec_t rec;
            bs_record_iter_init(&it, out, ol, 30);
            int rc;
            while ((rc = bs_record_iter_next(&it, &rec, NULL, 0)) == 1)
                ;
            assert_int_equal(rc, -1);
            free(out);
        } else {
            assert_true(err[0]);
        }
        /* Corrupted payload. */
        memset(w.data + 61, 0xA5, 8);
        r = bs_batch_decompress(w.data, cut, &out, &ol, NULL, 0);
        if (r == 0)
            free(out);
        bs_wbuf_free(&w);
    }
}

static void test_varints(void **state)
{
    (void)state;
    int64_t v64[] = {0, 1, -1, 63, -64, 64, 300, -300, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(v64) / sizeof(v64[0]); i++) {
        uint8_t b[10];
        int64_t o;
        size_t n = bs_varint_enc64(b, v64[i]);
        assert_int_equal(bs_varint_dec64(b, n, &o), n);
        assert_int_equal(o, v64[i]);
        assert_int_equal(bs_varint_dec64(b, n - 1, &o), 0); /* truncated */
        if (v64[i] >= INT32_MIN && v64[i] <= INT32_MAX) {
            int32_t o32;
            n = bs_varint_enc32(b, (int32_t)v64[i]);
            assert_int_equal(bs_varint_dec32(b, n, &o32), n);
            assert_int_equal(o32, v64[i]);
        }
    }
    uint8_t over[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    int32_t o32;
    assert_int_equal(bs_varint_dec32(over, 6, &o32), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_codecs), cmocka_unit_test(test_multi_batch_and_control),
        cmocka_unit_test(test_reject),           cmocka_unit_test(test_stamping),
        cmocka_unit_test(test_xerial_snappy),    cmocka_unit_test(test_decompress_errors),
        cmocka_unit_test(test_varints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
