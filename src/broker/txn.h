/*
 * txn.h — the transaction coordinator (single node).
 *
 * State per transactional id lives in memory and in the compacted internal
 * topic __transaction_state (Kafka's TransactionLogKey v0 / Value v0
 * records), replayed at start-up. Because every partition is local, ending
 * a transaction is synchronous:
 *
 *   Empty/Complete* --AddPartitions/AddOffsets--> Ongoing
 *   Ongoing --EndTxn(commit)--> PrepareCommit --markers--> CompleteCommit
 *   Ongoing --EndTxn(abort) / timeout / fencing--> PrepareAbort --markers-->
 *           CompleteAbort                                (bs_txn_end)
 *
 * A Prepare* state found at start-up (crash between the two records) is
 * completed by writing the markers again (markers are idempotent for
 * readers: a second marker for a closed transaction changes nothing).
 * @locality: loop thread.
 */
#ifndef BS_TXN_H
#define BS_TXN_H

#include "broker/broker.h"

enum {
    BS_TXN_EMPTY = 0,
    BS_TXN_ONGOING = 1,
    BS_TXN_PREPARE_COMMIT = 2,
    BS_TXN_PREPARE_ABORT = 3,
    BS_TXN_COMPLETE_COMMIT = 4,
    BS_TXN_COMPLETE_ABORT = 5,
    BS_TXN_DEAD = 6,
};

typedef struct bs_txn_part_s {
    char *topic;
    int32_t partition;
} bs_txn_part_t;

typedef struct bs_txn_s {
    char *id;
    int64_t pid;
    int16_t epoch;
    int32_t timeout_ms;
    int state;
    bs_txn_part_t *parts;
    int nparts, capparts;
    char **groups; /* consumer groups whose offsets are in the transaction */
    int ngroups;
    int64_t start_ms, update_ms;
} bs_txn_t;

int bs_txn_load(bs_broker_t *b);
void bs_txn_shutdown(bs_broker_t *b);
/* Applies one __transaction_state record (key, value; value NULL or vlen < 0
 * is a tombstone) to b->txns as the start-up replay does; offset is only
 * used in log messages. Returns 1 if applied, 0 if skipped as undecodable
 * (logged). Also the entry point of tests/fuzz/fuzz_txn_records.c. */
int bs_txn_apply_record(bs_broker_t *b, const uint8_t *key, int32_t klen, const uint8_t *val,
                        int32_t vlen, int64_t offset);
/* Aborts transactions older than their timeout (called periodically). */
void bs_txn_expire(bs_broker_t *b, int64_t now_ms);

bs_txn_t *bs_txn_find(bs_broker_t *b, bs_kstr_t id);
bs_txn_t *bs_txn_by_pid(bs_broker_t *b, int64_t pid);
const char *bs_txn_state_name(int state);

/* Checks that a transactional batch from (pid, epoch) may go to p. */
bs_err_t bs_txn_check_produce(bs_broker_t *b, int64_t pid, int16_t epoch, bs_partition_t *p);

/* Writes a transaction marker for (pid, epoch) into p and updates the
 * partition's transaction state. */
bs_err_t bs_txn_write_marker(bs_broker_t *b, bs_partition_t *p, int64_t pid, int16_t epoch,
                             bool commit);

/* InitProducerId for a transactional id (handler_txn.c). */
bs_err_t bs_txn_init_producer(bs_req_t *req, bs_InitProducerIdRequest_t *rq,
                              bs_InitProducerIdResponse_t *rs);
/* TxnOffsetCommit: is (pid, epoch) the owner of txn_id, with group in it? */
bs_err_t bs_txn_check_offset_commit(bs_broker_t *b, bs_kstr_t txn_id, int64_t pid, int16_t epoch,
                                    const char *group);

#endif
