/*
 * pidstate.h — idempotent producer state of one partition (Kafka's
 * ProducerStateManager): per producer id, the current epoch and the last
 * five batches' sequence ranges and offsets, so a retried batch is answered
 * with its original offset instead of being written twice.
 *
 * Rules applied by bs_pidstate_check (CLIENT-NOTES §4), in order:
 *   epoch < stored            -> INVALID_PRODUCER_EPOCH
 *   same epoch, seq range of one of the cached batches -> duplicate
 *   epoch > stored            -> first sequence must be 0 (epoch bump)
 *   same epoch                -> first sequence must be last + 1 (wrapping)
 *   unknown producer          -> accepted (KIP-360)
 *
 * Persistence: bs_pidstate_save writes "<LEO>.pidsnap" in the partition
 * directory (on clean close); bs_pidstate_load reads the newest snapshot not
 * beyond the log end and replays batch headers from there, so the state is
 * right after a crash too. @locality: loop thread.
 */
#ifndef BS_PIDSTATE_H
#define BS_PIDSTATE_H

#include "base/err.h"
#include "base/hmap.h"
#include "broker/plog.h"
#include "proto/records.h"

#include <stdbool.h>
#include <stdint.h>

#define BS_PID_CACHED_BATCHES 5

typedef struct bs_pid_batch_s {
    int32_t first_seq, last_seq;
    int64_t first_offset, last_offset;
    int64_t timestamp;
} bs_pid_batch_t;

typedef struct bs_pid_entry_s {
    int64_t pid;
    int16_t epoch;
    int nbatches; /* newest last */
    bs_pid_batch_t batches[BS_PID_CACHED_BATCHES];
    int64_t last_ts_ms;       /* wall clock of the last append, for expiry */
    int64_t txn_first_offset; /* first offset of the open transaction, -1 if none */
} bs_pid_entry_t;

/* A transaction that was aborted: its data in [first, last] must be skipped
 * by read_committed consumers (last is the offset of the abort marker). */
typedef struct bs_aborted_txn_s {
    int64_t pid, first, last;
} bs_aborted_txn_t;

typedef struct bs_pidstate_s {
    bs_hmap_t map;             /* pid as 8 raw bytes -> bs_pid_entry_t* */
    int nongoing;              /* producers with an open transaction here */
    bs_aborted_txn_t *aborted; /* ascending by last */
    int naborted, capaborted;
} bs_pidstate_t;

void bs_pidstate_init(bs_pidstate_t *s);
void bs_pidstate_free(bs_pidstate_t *s);
bs_pid_entry_t *bs_pidstate_get(bs_pidstate_t *s, int64_t pid);

/* Checks a batch. BS_ERR_NONE: append it. BS_ERR_DUPLICATE_SEQUENCE_NUMBER:
 * a retry of a cached batch, *dup_offset is its original base offset. Other
 * values are the Kafka error to return. */
bs_err_t bs_pidstate_check(bs_pidstate_t *s, const bs_batch_hdr_t *h, int64_t *dup_offset);

/* Records an appended batch (base offset stamped) for its producer. */
void bs_pidstate_update(bs_pidstate_t *s, const bs_batch_hdr_t *h, int64_t now_ms);

/* A transaction marker (control batch) for pid was appended at offset. */
void bs_pidstate_marker(bs_pidstate_t *s, int64_t pid, bool commit, int64_t offset);

/* Last stable offset: the first offset of the oldest open transaction, or
 * hwm when none is open. */
int64_t bs_pidstate_lso(const bs_pidstate_t *s, int64_t hwm);

/* Aborted transactions overlapping [from, upto): pointer into the list and
 * count (valid until the next change). */
const bs_aborted_txn_t *bs_pidstate_aborted(const bs_pidstate_t *s, int64_t from, int64_t upto,
                                            int *count);

/* Forgets aborted transactions that ended before the log start offset. */
void bs_pidstate_trim(bs_pidstate_t *s, int64_t log_start);

/* Drops producers idle for longer than expiration_ms. Returns how many. */
int bs_pidstate_expire(bs_pidstate_t *s, int64_t now_ms, int64_t expiration_ms);

/* Writes <dir>/<end_offset>.pidsnap and removes older snapshots. */
int bs_pidstate_save(bs_pidstate_t *s, const char *dir, int64_t end_offset);

/* Parses a snapshot's bytes (the format in pidstate.c) into s, which should
 * be freshly initialised. Returns 0, or -1 with a message naming the problem
 * and byte offset in err (s then holds a partial state: free it). Used by
 * bs_pidstate_load and tests/fuzz/fuzz_pidsnap.c. */
int bs_pidstate_parse_snapshot(bs_pidstate_t *s, const uint8_t *buf, size_t n, char *err,
                               size_t errlen);

/* Loads the newest usable snapshot of dir and replays the log after it. */
int bs_pidstate_load(bs_pidstate_t *s, const char *dir, bs_plog_t *log);

/* Calls cb for the header of every batch whose last offset is >= from.
 * Returns 0, or -1 on a read error. */
int bs_plog_scan_headers(bs_plog_t *log, int64_t from,
                         void (*cb)(void *opaque, const bs_batch_hdr_t *h, int fd,
                                    int64_t file_off),
                         void *opaque);

/* Reads the type of the control record of the control batch at (fd, off):
 * 1 commit, 0 abort, -1 unreadable. */
int bs_control_batch_type(int fd, int64_t off, const bs_batch_hdr_t *h);

#endif
