/*
 * plog.h — one partition's log, in Kafka's on-disk layout.
 *
 * Directory <log.dir>/<topic>-<partition>/ holds segments named by their
 * 20-digit base offset: NNNN.log (record batches, exactly as received,
 * offsets stamped), NNNN.index (sparse offset index: 4-byte relative offset +
 * 4-byte file position, big-endian), NNNN.timeindex (8-byte timestamp +
 * 4-byte relative offset), plus "log-start-offset" (persisted by
 * DeleteRecords) — see plog.c for the invariants.
 *
 * Threading (@locality): every function runs on one thread (the broker's
 * event loop) except bs_plog_sync and bs_plog_durable_offset, which may run
 * concurrently on a worker thread (group commit). The caller must make sure no
 * bs_plog_sync is running when calling bs_plog_close / bs_plog_delete.
 *
 * Ownership: bs_plog_t is owned by the caller of bs_plog_open and released
 * with bs_plog_close or bs_plog_delete. A bs_plog_slice_t holds a reference on
 * one segment that keeps its fd open (even after retention deleted the
 * segment) until slice.release(slice.ctx) is called; release may be called
 * on any thread and after the log itself was closed.
 */
#ifndef BS_PLOG_H
#define BS_PLOG_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct bs_plog_config_s {
    int64_t segment_bytes;           /* roll when a segment would exceed this (1 GiB) */
    int64_t segment_ms;              /* roll segments older than this (7 days) */
    int64_t retention_ms;            /* -1 = unlimited (7 days) */
    int64_t retention_bytes;         /* -1 = unlimited */
    int64_t flush_interval_messages; /* INT64_MAX = never (Kafka default) */
    int64_t flush_interval_ms;       /* INT64_MAX = never */
    int32_t index_interval_bytes;    /* 4096 */
    int64_t segment_index_bytes;     /* index file max size (10 MiB); the active
                                        segment's index files are preallocated
                                        to it, mmap'd, and trimmed on roll/close
                                        like Kafka; a full index rolls */
    int64_t file_delete_delay_ms;    /* accepted; deleted segments are renamed
                                        *.deleted and unlinked when the last
                                        reader lets go */
    /* Compaction (cleaner.c; cleanup.policy contains "compact"). */
    int compact;                      /* 0 = the cleaner leaves this log alone */
    int64_t delete_retention_ms;      /* tombstones/markers kept this long (1 day) */
    int64_t min_compaction_lag_ms;    /* records younger than this stay dirty (0) */
    int64_t max_compaction_lag_ms;    /* clean regardless of ratio after this */
    double min_cleanable_dirty_ratio; /* dirty / (clean + dirty) needed (0.5) */
} bs_plog_config_t;

/* Kafka's defaults. */
void bs_plog_config_default(bs_plog_config_t *cfg);

typedef struct bs_plog_s bs_plog_t;

typedef struct bs_plog_append_info_s {
    int64_t BaseOffset;    /* offset given to the first record */
    int64_t LastOffset;    /* offset of the last record */
    int64_t LogAppendTime; /* -1 if CreateTime */
    int64_t RecordCount;
} bs_plog_append_info_t;

/* A range of one segment file: whole batches, ready for sendfile(). */
typedef struct bs_plog_slice_s {
    int fd; /* -1 when len == 0 */
    int64_t file_off;
    int64_t len;                /* 0 at the end of the log */
    int64_t base_offset;        /* baseOffset of the first batch in the range (-1 if none) */
    void (*release)(void *ctx); /* never NULL; call exactly once */
    void *ctx;
} bs_plog_slice_t;

/* Opens (creating the directory if missing) the log in dir. recover = 1
 * after an unclean shutdown: the last two segments (and every segment whose
 * index files are missing or damaged) is validated batch by batch and
 * truncated at the first invalid or torn batch, with a WARN. Returns 0, or -1
 * with a message in err. */
int bs_plog_open(bs_plog_t **out, const char *dir, const bs_plog_config_t *cfg, int recover,
                 char *err, size_t errlen);

/* Topic config change at runtime (takes effect on the next append/roll). */
void bs_plog_set_config(bs_plog_t *l, const bs_plog_config_t *cfg);

/* Appends len bytes of batches already checked by bs_records_validate.
 * Assigns offsets in place (base offsets, leader epoch 0, LogAppendTime =
 * now_ms if log_append_time), rolls first if needed, writes with one write().
 * Returns BS_ERR_NONE, BS_ERR_KAFKA_STORAGE_ERROR on I/O failure (nothing
 * appended), BS_ERR_CORRUPT_MESSAGE if the buffer is not whole batches. */
bs_err_t bs_plog_append(bs_plog_t *l, uint8_t *batches, size_t len, int64_t now_ms,
                        int log_append_time, bs_plog_append_info_t *info);

int64_t bs_plog_end_offset(bs_plog_t *l);   /* LEO: next offset to assign */
int64_t bs_plog_start_offset(bs_plog_t *l); /* log start offset */

/* Whole batches from the segment containing offset: starts at the batch that
 * contains offset, up to max_bytes but always at least one batch (KIP-74).
 * len 0 at the end of the log. BS_ERR_OFFSET_OUT_OF_RANGE outside
 * [start, end]. On BS_ERR_NONE, out->release(out->ctx) must be called. */
bs_err_t bs_plog_read(bs_plog_t *l, int64_t offset, int32_t max_bytes, bs_plog_slice_t *out);

/* Same, but only batches that start before max_offset (read_committed
 * fetches pass the LSO): the range stops before the batch holding
 * max_offset, and is empty if the first batch already holds it. */
bs_err_t bs_plog_read_bounded(bs_plog_t *l, int64_t offset, int32_t max_bytes, int64_t max_offset,
                              bs_plog_slice_t *out);

/* ListOffsets by timestamp: first offset whose record timestamp >= ts (exact
 * record, decompressing the batch if needed), and that record's timestamp
 * (the batch's maxTimestamp for LogAppendTime batches). *offset = -1 and
 * *found_ts = -1 when no record qualifies. */
bs_err_t bs_plog_offset_for_timestamp(bs_plog_t *l, int64_t ts, int64_t *offset, int64_t *found_ts);

/* ListOffsets -3 (MAX_TIMESTAMP): the highest timestamp in the log and the
 * offset of the (first) record carrying it; -1/-1 for an empty log. */
void bs_plog_max_timestamp(bs_plog_t *l, int64_t *offset, int64_t *ts);

/* DeleteRecords: moves the log start offset to offset (-1 = end offset),
 * persists it, and deletes the segments entirely below it.
 * BS_ERR_OFFSET_OUT_OF_RANGE if offset > end offset; a smaller offset than
 * the current start is a no-op. */
bs_err_t bs_plog_delete_records(bs_plog_t *l, int64_t offset);

/* Time and size retention; never deletes the active segment. Returns the
 * number of segments deleted. */
int bs_plog_enforce_retention(bs_plog_t *l, int64_t now_ms);

/* Rolls the active segment if it is non-empty and older than segment_ms.
 * Returns 1 if it rolled. */
int bs_plog_maybe_roll_by_time(bs_plog_t *l, int64_t now_ms);

/* fdatasync of everything appended so far. Thread-safe against a concurrent
 * bs_plog_append. Returns the offset (exclusive) up to which data is durable,
 * or -1 on an I/O error. */
int64_t bs_plog_sync(bs_plog_t *l);
int64_t bs_plog_durable_offset(bs_plog_t *l); /* thread-safe */

int64_t bs_plog_size_bytes(bs_plog_t *l); /* sum of .log sizes */
int bs_plog_segment_count(bs_plog_t *l);

/* ---- compaction support (used by cleaner.c) ----
 * Segments are immutable once rolled, so a cleaner thread may pread them
 * while the loop thread appends; it writes a cleaned copy of a run of
 * segments to <dir>/<base>.{log,index,timeindex}.cleaned, and the loop
 * thread swaps it in with bs_plog_clean_swap. Crash safety of the swap: the
 * .cleaned files become .swap (the commit point is the rename of the .log),
 * the old segments are renamed *.deleted, then the .swap files take their
 * final names; bs_plog_open discards *.cleaned and completes any .swap. */
typedef struct bs_plog_cseg_s {
    int64_t base;       /* base offset */
    int64_t next_base;  /* base offset of the following segment */
    int64_t size;       /* bytes in .log */
    int64_t max_ts;     /* largest timestamp (-1 if unknown) */
    int64_t created_ms; /* first batch's timestamp (-1 if unknown) */
    int fd;             /* .log, for pread; valid while the reference is held */
    void *ref;          /* the segment (one reference) */
} bs_plog_cseg_t;

/* @locality loop thread. The sealed segments holding only offsets below
 * upto, oldest first, each with a reference; *out is malloc'd. Returns the
 * count. Release with bs_plog_clean_release (any thread). */
int bs_plog_clean_segments(bs_plog_t *l, int64_t upto, bs_plog_cseg_t **out);
void bs_plog_clean_release(bs_plog_cseg_t *segs, int n);

/* @locality loop thread. Replaces segs[0..n) (still contiguous, sealed
 * segments of l) by the cleaned files of base segs[0].base. Returns 0,
 * 1 if the segments changed meanwhile (the cleaned files are removed), or
 * -1 on an I/O error (logged). */
int bs_plog_clean_swap(bs_plog_t *l, const bs_plog_cseg_t *segs, int n);

/* First offset not yet cleaned (Kafka's cleaner checkpoint), persisted in
 * <dir>/cleaner-offset-checkpoint. */
int64_t bs_plog_clean_point(bs_plog_t *l);
int bs_plog_set_clean_point(bs_plog_t *l, int64_t offset);

const char *bs_plog_dir(bs_plog_t *l);
const bs_plog_config_t *bs_plog_get_config(bs_plog_t *l);
int64_t bs_plog_active_base(bs_plog_t *l); /* base offset of the active segment */

void bs_plog_close(bs_plog_t *l);  /* flushes, trims index files, closes; NULL ok */
void bs_plog_delete(bs_plog_t *l); /* closes and removes the directory; NULL ok */

#endif
