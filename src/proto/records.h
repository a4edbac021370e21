/*
 * records.h — Kafka RecordBatch v2 (magic 2): header view, Produce-path
 * validation, in-place offset/epoch/timestamp stamping, record iteration,
 * decompression and a batch builder. Layout: CLIENT-NOTES.md §3.
 *
 * All parsers are pure functions over (const uint8_t *, size_t): they check
 * every bound and never read outside the range. Errors come back as a
 * bs_err_t (Kafka wire code where one applies) plus a message naming the
 * field and byte offset in the caller's errbuf (may be NULL).
 *
 * Ownership: nothing here keeps pointers to its input after returning, except
 * bs_record_iter_t / bs_rec_t which point into the caller's buffer.
 * bs_batch_decompress returns a malloc'd buffer the caller free()s.
 */
#ifndef BS_RECORDS_H
#define BS_RECORDS_H

#include "base/err.h"
#include "base/wbuf.h"

#include <stddef.h>
#include <stdint.h>

/* Header field offsets (bytes from the start of the batch). */
#define BS_BATCH_OFF_BASE_OFFSET       0
#define BS_BATCH_OFF_LENGTH            8
#define BS_BATCH_OFF_LEADER_EPOCH      12
#define BS_BATCH_OFF_MAGIC             16
#define BS_BATCH_OFF_CRC               17
#define BS_BATCH_OFF_ATTRIBUTES        21
#define BS_BATCH_OFF_LAST_OFFSET_DELTA 23
#define BS_BATCH_OFF_BASE_TIMESTAMP    27
#define BS_BATCH_OFF_MAX_TIMESTAMP     35
#define BS_BATCH_OFF_PRODUCER_ID       43
#define BS_BATCH_OFF_PRODUCER_EPOCH    51
#define BS_BATCH_OFF_BASE_SEQUENCE     53
#define BS_BATCH_OFF_RECORDS_COUNT     57
#define BS_BATCH_HDR_SIZE              61
/* Bytes before the batchLength-counted part (baseOffset + batchLength). */
#define BS_BATCH_LOG_OVERHEAD 12

/* Attribute bits. */
#define BS_BATCH_ATTR_CODEC_MASK      0x07
#define BS_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define BS_BATCH_ATTR_TRANSACTIONAL   0x10
#define BS_BATCH_ATTR_CONTROL         0x20
#define BS_BATCH_ATTR_DELETE_HORIZON  0x40

enum {
    BS_CODEC_NONE = 0,
    BS_CODEC_GZIP = 1,
    BS_CODEC_SNAPPY = 2,
    BS_CODEC_LZ4 = 3,
    BS_CODEC_ZSTD = 4,
};

/* Decompressed records sections larger than this are refused. */
#define BS_BATCH_MAX_DECOMPRESSED (256u << 20)

typedef struct {
    int64_t BaseOffset;
    int32_t BatchLength;
    int32_t PartitionLeaderEpoch;
    int8_t Magic;
    uint32_t Crc;
    int16_t Attributes;
    int32_t LastOffsetDelta;
    int64_t BaseTimestamp, MaxTimestamp, ProducerId;
    int16_t ProducerEpoch;
    int32_t BaseSequence;
    int32_t RecordsCount;
} bs_batch_hdr_t;

/* Decodes the 61-byte header at p. Returns 0, or -1 if len < 61. No other
 * check (magic, length, CRC) is made: see bs_records_validate. */
int bs_batch_hdr_parse(const uint8_t *p, size_t len, bs_batch_hdr_t *h);

/* Total size of the batch starting at p (batchLength + 12), or -1 if len < 12
 * or batchLength is negative. */
int64_t bs_batch_size(const uint8_t *p, size_t len);

/* Summary of a validated Produce records field. */
typedef struct bs_records_info_s {
    int32_t BatchCount;
    int64_t RecordCount;          /* sum of recordsCount */
    int64_t OffsetCount;          /* sum of (lastOffsetDelta + 1): offsets the
                                     append will consume */
    int32_t FirstLastOffsetDelta; /* lastOffsetDelta of the first batch */
    int32_t LastLastOffsetDelta;  /* lastOffsetDelta of the last batch */
    int64_t MaxTimestamp;         /* over all batches (-1 if none) */
    int64_t FirstTimestamp;       /* baseTimestamp of the first batch */
    int64_t ProducerId;           /* first batch's producer fields */
    int16_t ProducerEpoch;
    int32_t BaseSequence;
    int8_t Codec;           /* codec of the first batch */
    int8_t IsTransactional; /* first batch */
    int8_t IsControl;       /* any batch is a control batch */
} bs_records_info_t;

/* Validates a Produce request's records field: one or more complete v2
 * batches. Per batch, in order: header present and batchLength within the
 * buffer (CORRUPT_MESSAGE); magic == 2 (UNSUPPORTED_FOR_MESSAGE_FORMAT);
 * size <= max_batch_bytes (MESSAGE_TOO_LARGE; max_batch_bytes <= 0 = no
 * limit); CRC32C (CORRUPT_MESSAGE); codec 0..4 (UNSUPPORTED_COMPRESSION_TYPE);
 * recordsCount >= 0, lastOffsetDelta >= 0 and, for non-control batches,
 * recordsCount == lastOffsetDelta + 1 (INVALID_RECORD); for uncompressed
 * batches every record is walked (lengths, varints, offset deltas increasing
 * and <= lastOffsetDelta, header keys non-null) (INVALID_RECORD). Compressed
 * batches are not decompressed. An empty field is INVALID_RECORD.
 * info and errbuf may be NULL. */
bs_err_t bs_records_validate(const uint8_t *p, size_t len, int32_t max_batch_bytes,
                             bs_records_info_t *info, char *errbuf, size_t errlen);

/* In-place stamping; p points at a batch of at least 61 bytes. These fields
 * are outside the CRC, so the CRC is not touched. */
void bs_batch_set_base_offset(uint8_t *p, int64_t base);
void bs_batch_set_leader_epoch(uint8_t *p, int32_t epoch);
/* Kafka's LogAppendTime stamping (DefaultRecordBatch.setMaxTimestamp): sets
 * the timestamp-type attribute bit and maxTimestamp = ts, leaves
 * baseTimestamp and the records alone (readers use maxTimestamp for every
 * record of a LogAppendTime batch), and recomputes the CRC over [21, len).
 * len is the batch's full size. */
void bs_batch_set_log_append_time(uint8_t *p, size_t len, int64_t ts);
/* Recomputes and stores the CRC of a whole batch of len bytes. */
void bs_batch_update_crc(uint8_t *p, size_t len);

/* One record header (key is never null; value_len -1 = null). */
typedef struct bs_rec_header_s {
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
} bs_rec_header_t;

/* One record. For bs_batch_build, fill timestamp_delta (relative to base_ts),
 * key/value (len -1 = null), headers/header_count; offset_delta is ignored
 * (records get deltas 0..n-1). From bs_record_iter_next, everything is set and
 * headers is NULL: the encoded headers are in headers_raw (walk them with
 * bs_rec_headers_next). */
typedef struct bs_rec_s {
    int64_t timestamp_delta;
    int32_t offset_delta;
    int8_t attributes;
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
    int32_t header_count;
    const bs_rec_header_t *headers;
    const uint8_t *headers_raw;
    size_t headers_raw_len;
} bs_rec_t;

/* Iterates over a records section (the bytes after recordsCount, already
 * decompressed), checking every bound. */
typedef struct bs_record_iter_s {
    const uint8_t *p;
    size_t len;
    size_t pos;
    int32_t count; /* records announced */
    int32_t index; /* records returned so far */
} bs_record_iter_t;

void bs_record_iter_init(bs_record_iter_t *it, const uint8_t *records, size_t len, int32_t count);
/* Returns 1 and fills r, 0 at the end (after `count` records; trailing bytes
 * are an error), or -1 with a message in err. */
int bs_record_iter_next(bs_record_iter_t *it, bs_rec_t *r, char *err, size_t errlen);

/* Walks encoded headers: *pos is the cursor into r->headers_raw (start at 0).
 * Returns 1 with h filled, 0 when all header_count headers were read, -1 on
 * malformed input. */
int bs_rec_headers_next(const bs_rec_t *r, size_t *pos, int32_t *index, bs_rec_header_t *h);

/* Produces the records section (bytes after recordsCount) of the batch at
 * [batch, batch+len) into a malloc'd *out (free() it; for an uncompressed
 * batch it is a copy). Handles gzip, snappy (raw and xerial-framed), lz4
 * (frame format) and zstd. Returns 0, or -1 with a message in err. The output
 * is capped at BS_BATCH_MAX_DECOMPRESSED (max_out if using the _max form). */
int bs_batch_decompress(const uint8_t *batch, size_t len, uint8_t **out, size_t *outlen, char *err,
                        size_t errlen);
int bs_batch_decompress_max(const uint8_t *batch, size_t len, size_t max_out, uint8_t **out,
                            size_t *outlen, char *err, size_t errlen);

/* Appends a complete v2 batch (baseOffset 0, leader epoch 0, correct CRC) of
 * n records to w. codec is BS_CODEC_*; attributes_extra is OR'ed into the
 * attributes (e.g. BS_BATCH_ATTR_TRANSACTIONAL | BS_BATCH_ATTR_CONTROL).
 * MaxTimestamp = base_ts + the largest timestamp_delta. Returns 0, or -1 if
 * the codec is unknown or compression failed (w is then unchanged). */
int bs_batch_build(bs_wbuf_t *w, const bs_rec_t *recs, int n, int64_t base_ts, int codec,
                   int64_t pid, int16_t epoch, int32_t base_seq, int attributes_extra);

/* Appends a v2 batch that keeps hdr's baseOffset, leader epoch, attributes
 * (codec included), lastOffsetDelta, baseTimestamp and producer fields, whose
 * records section is `count` records given as their encoded bytes
 * [records, records+len) (as in a decompressed records section; offset and
 * timestamp deltas are kept as they are), compressed with hdr's codec;
 * maxTimestamp = max_ts, CRC computed. For the log cleaner. Returns 0, or -1
 * if compression failed (w is then unchanged). */
int bs_batch_build_raw(bs_wbuf_t *w, const bs_batch_hdr_t *hdr, const uint8_t *records, size_t len,
                       int32_t count, int64_t max_ts);

/* Zig-zag varint helpers as used inside records. Return bytes consumed, or 0
 * if the varint is truncated or longer than allowed. */
size_t bs_varint_dec32(const uint8_t *p, size_t len, int32_t *v);
size_t bs_varint_dec64(const uint8_t *p, size_t len, int64_t *v);
/* Encode into p (>= 5 / 10 bytes); return bytes written. */
size_t bs_varint_enc32(uint8_t *p, int32_t v);
size_t bs_varint_enc64(uint8_t *p, int64_t v);

#endif
