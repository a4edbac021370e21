/*
 * fuzz_records.c — libFuzzer target for the record batch decoders: header
 * parse, bs_records_validate, decompression (output capped at 1 MiB to keep
 * the fuzzer fast) and record + header iteration of every batch found by
 * walking batchLength, whether or not validation accepted it. Also checks
 * that stamping a validated buffer keeps it valid.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void iterate(const uint8_t *b, size_t len)
{
    bs_batch_hdr_t h;
    uint8_t *recs = NULL;
    size_t rl = 0;
    char err[256];
    if (bs_batch_hdr_parse(b, len, &h) < 0)
        return;
    if (bs_batch_decompress_max(b, len, 1u << 20, &recs, &rl, err, sizeof(err)) < 0)
        return;
    bs_record_iter_t it;
    bs_rec_t r;
    bs_record_iter_init(&it, recs, rl, h.RecordsCount);
    int n = 0;
    while (n++ < 100000 && bs_record_iter_next(&it, &r, err, sizeof(err)) == 1) {
        size_t pos = 0;
        int32_t idx = 0;
        bs_rec_header_t hh;
        volatile size_t sink = 0;
        while (bs_rec_headers_next(&r, &pos, &idx, &hh) == 1)
            sink += (size_t)hh.key_len;
        if (r.key_len > 0)
            sink += r.key[r.key_len - 1];
        if (r.value_len > 0)
            sink += r.value[r.value_len - 1];
        (void)sink;
    }
    free(recs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    bs_records_info_t info;
    bs_err_t e = bs_records_validate(data, size, 1 << 20, &info, err, sizeof(err));

    /* Walk batches by length regardless of the verdict. */
    size_t off = 0;
    while (off < size) {
        int64_t bs = bs_batch_size(data + off, size - off);
        if (bs < BS_BATCH_HDR_SIZE || (uint64_t)bs > size - off)
            break;
        iterate(data + off, (size_t)bs);
        off += (size_t)bs;
    }

    if (e == BS_ERR_NONE) {
        /* Stamping must keep a valid buffer valid. */
        uint8_t *copy = malloc(size);
        memcpy(copy, data, size);
        off = 0;
        while (off < size) {
            size_t bs = (size_t)bs_batch_size(copy + off, size - off);
            bs_batch_set_base_offset(copy + off, 1234567);
            bs_batch_set_leader_epoch(copy + off, 3);
            bs_batch_set_log_append_time(copy + off, bs, 99);
            off += bs;
        }
        if (bs_records_validate(copy, size, 1 << 20, NULL, NULL, 0) != BS_ERR_NONE)
            abort();
        free(copy);
    }
    return 0;
}
