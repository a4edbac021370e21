/*
 * plog_int.h — private structures of the partition log (plog.c). Exposed
 * only so unit tests and plog_*.c helpers can look inside; nothing else may
 * include it.
 */
#ifndef BS_PLOG_INT_H
#define BS_PLOG_INT_H

#include "broker/plog.h"

#include <pthread.h>
#include <stdatomic.h>

#define BS_PLOG_IDX_ENTRY  8  /* be32 relative offset, be32 position */
#define BS_PLOG_TIDX_ENTRY 12 /* be64 timestamp, be32 relative offset */

typedef struct bs_plog_seg_s {
    atomic_int refs;                       /* the log's list holds one; each slice/sync one */
    int64_t base;                          /* base offset (file name) */
    int fd;                                /* .log, O_RDWR */
    int64_t size;                          /* valid bytes in .log (event-loop thread) */
    char *path_log, *path_idx, *path_tidx; /* current names */
    int idx_fd, tidx_fd;
    uint8_t *idx_map, *tidx_map; /* NULL when no entries (sealed) */
    int64_t idx_n, idx_cap;      /* entries used / mapped capacity */
    int64_t tidx_n, tidx_cap;
    int active; /* index files preallocated + mapped RW */
    int64_t bytes_since_idx;
    int64_t max_ts;     /* -1 if unknown / no batch */
    int64_t max_ts_off; /* last offset of the batch carrying max_ts */
    int64_t created_ms; /* time of first append (segment.ms), -1 empty */
    int deleted;        /* renamed *.deleted; unlink when refs hit 0 */
} bs_plog_seg_t;

struct bs_plog_s {
    char *dir;
    int dirfd;
    bs_plog_config_t cfg;
    pthread_mutex_t mu;      /* guards segs[]/nsegs against the sync thread */
    pthread_mutex_t sync_mu; /* serialises bs_plog_sync calls */
    bs_plog_seg_t **segs;    /* ascending base; last = active */
    int nsegs, capsegs;
    _Atomic int64_t end;     /* LEO */
    _Atomic int64_t durable; /* everything below is fdatasync'ed */
    atomic_int dir_dirty;    /* a segment file was created since last sync */
    int64_t start;           /* log start offset */
    int64_t clean_point;     /* cleaner checkpoint (first dirty offset) */
    int64_t unflushed_msgs;
    int64_t last_flush_ms;
};

#endif
