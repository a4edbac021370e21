/*
 * logscan.h — reading a partition log back: batch headers (producer state
 * replay) or every record (replay of internal topics such as
 * __transaction_state and __consumer_offsets at start-up).
 * @locality: loop thread (uses bs_plog_read).
 */
#ifndef BS_LOGSCAN_H
#define BS_LOGSCAN_H

#include "broker/plog.h"
#include "proto/records.h"

/* Called for every record of every batch whose last offset >= from, in
 * order. batch: the whole batch bytes (header + records, decompressed
 * records are not in it); offset: the record's absolute offset. */
typedef void (*bs_logscan_record_cb)(void *opaque, const bs_batch_hdr_t *h, const bs_rec_t *rec,
                                     int64_t offset);

/* Returns 0, or -1 (with a WARN logged) if a batch cannot be read or
 * decoded; records before the bad batch have been delivered. */
int bs_logscan_records(bs_plog_t *log, int64_t from, bs_logscan_record_cb cb, void *opaque);

#endif
