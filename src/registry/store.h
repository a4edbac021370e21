/*
 * store.h — the Schema Registry's durable store: the `_schemas` topic
 * (kafkastore.topic) through librdkafka.
 *
 * bs_reg_store_open() makes sure the topic exists (one partition,
 * cleanup.policy=compact; created with replication factor min(configured,
 * live brokers)), then starts a consumer thread that reads partition 0 from
 * offset 0 for ever and applies every record to the model
 * (bs_reg_model_apply, under the model's write lock).
 *
 * Writes are read-your-writes: bs_reg_store_write() produces one record
 * (acks=all, idempotent), waits for its delivery report, then waits until
 * the consumer thread has applied that exact offset, so a caller that
 * returns success can answer from the model.
 *
 * Threads: open/close on the main thread; write/sync/caught_up from any
 * thread (they block). Ownership: the store owns its librdkafka handles and
 * threads; it does not own the model or the config, which must outlive it.
 */
#ifndef BS_REGISTRY_STORE_H
#define BS_REGISTRY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "registry/model.h"
#include "registry/registry_config.h"

typedef struct bs_reg_store_s bs_reg_store_t;

/* Store error results (negative) */
#define BS_REG_STORE_ERR     -1 /* Kafka error: 50001 */
#define BS_REG_STORE_TIMEOUT -2 /* not stored/read back in time: 50002 */

bs_reg_store_t *bs_reg_store_open(const bs_reg_config_t *c, bs_reg_model_t *m, char *err,
                                  size_t errlen);
void bs_reg_store_close(bs_reg_store_t *st);

/* Produces key/value (value NULL = tombstone) and waits until it has been
 * applied to the model. Returns 0 (offset in *offset if not NULL), or
 * BS_REG_STORE_ERR / BS_REG_STORE_TIMEOUT with a message in err. */
int bs_reg_store_write(bs_reg_store_t *st, const char *key, const char *value, int timeout_ms,
                       int64_t *offset, char *err, size_t errlen);

/* Writes a NOOP record and waits until it is read back: afterwards the model
 * holds everything written to the topic before the call. */
int bs_reg_store_sync(bs_reg_store_t *st, int timeout_ms, char *err, size_t errlen);

/* Waits until the consumer has read up to the partition's current high
 * watermark (without writing). Returns 0, or a negative store error. */
int bs_reg_store_caught_up(bs_reg_store_t *st, int timeout_ms, char *err, size_t errlen);

/* librdkafka producer handle (used by the leader election client for the
 * bootstrap list and by tests); owned by the store. */
int64_t bs_reg_store_position(bs_reg_store_t *st);

#endif
