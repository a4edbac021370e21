/*
 * dispatch.c — the one table of Kafka APIs this broker serves:
 * [ApiKey] = {advertised min version, max version, handler}. Request routing
 * (server.c) and the ApiVersions response (handler_meta.c) both come from
 * it, so nothing is advertised that is not handled. Version choices follow
 * ../shared/kafka-protocol/CLIENT-NOTES.md §1.
 */
#include "broker/broker.h"

bs_err_t bs_handle_produce(bs_req_t *req);
bs_err_t bs_handle_fetch(bs_req_t *req);
bs_err_t bs_handle_list_offsets(bs_req_t *req);
bs_err_t bs_handle_metadata(bs_req_t *req);
bs_err_t bs_handle_api_versions(bs_req_t *req);
bs_err_t bs_handle_create_topics(bs_req_t *req);
bs_err_t bs_handle_delete_topics(bs_req_t *req);
bs_err_t bs_handle_delete_records(bs_req_t *req);
bs_err_t bs_handle_offset_for_leader_epoch(bs_req_t *req);
bs_err_t bs_handle_describe_configs(bs_req_t *req);
bs_err_t bs_handle_alter_configs(bs_req_t *req);
bs_err_t bs_handle_create_partitions(bs_req_t *req);
bs_err_t bs_handle_incremental_alter_configs(bs_req_t *req);
bs_err_t bs_handle_init_producer_id(bs_req_t *req);
bs_err_t bs_handle_add_partitions_to_txn(bs_req_t *req);
bs_err_t bs_handle_add_offsets_to_txn(bs_req_t *req);
bs_err_t bs_handle_end_txn(bs_req_t *req);
bs_err_t bs_handle_txn_offset_commit(bs_req_t *req);
bs_err_t bs_handle_describe_producers(bs_req_t *req);
bs_err_t bs_handle_describe_transactions(bs_req_t *req);
bs_err_t bs_handle_list_transactions(bs_req_t *req);
bs_err_t bs_handle_find_coordinator(bs_req_t *req);
bs_err_t bs_handle_join_group(bs_req_t *req);
bs_err_t bs_handle_sync_group(bs_req_t *req);
bs_err_t bs_handle_heartbeat(bs_req_t *req);
bs_err_t bs_handle_leave_group(bs_req_t *req);
bs_err_t bs_handle_offset_commit(bs_req_t *req);
bs_err_t bs_handle_offset_fetch(bs_req_t *req);
bs_err_t bs_handle_describe_groups(bs_req_t *req);
bs_err_t bs_handle_list_groups(bs_req_t *req);
bs_err_t bs_handle_delete_groups(bs_req_t *req);
bs_err_t bs_handle_offset_delete(bs_req_t *req);

const bs_handler_t bs_handlers[] = {
    /* Produce from v0: librdkafka 2.0.2 enables gzip/snappy/lz4 only when the
     * broker's Produce range includes v0 (its feature table); clients still
     * pick v3+ (v7 for librdkafka/kafkajs), and a MessageSet v0/v1 sent at an
     * old version is refused with UNSUPPORTED_FOR_MESSAGE_FORMAT. */
    [0] = {0, 10, bs_handle_produce},
    [1] = {4, 12, bs_handle_fetch},
    [2] = {1, 7, bs_handle_list_offsets},
    [3] = {0, 12, bs_handle_metadata},
    [8] = {0, 8, bs_handle_offset_commit},
    [9] = {0, 7, bs_handle_offset_fetch},
    [10] = {0, 2, bs_handle_find_coordinator},
    [11] = {0, 5, bs_handle_join_group},
    [12] = {0, 3, bs_handle_heartbeat},
    [13] = {0, 3, bs_handle_leave_group},
    [14] = {0, 3, bs_handle_sync_group},
    [15] = {0, 5, bs_handle_describe_groups},
    [16] = {0, 5, bs_handle_list_groups},
    [18] = {0, 3, bs_handle_api_versions},
    [19] = {0, 4, bs_handle_create_topics},
    [20] = {0, 4, bs_handle_delete_topics},
    [21] = {0, 2, bs_handle_delete_records},
    [22] = {0, 4, bs_handle_init_producer_id},
    [23] = {2, 4, bs_handle_offset_for_leader_epoch},
    [24] = {0, 3, bs_handle_add_partitions_to_txn},
    [25] = {0, 3, bs_handle_add_offsets_to_txn},
    [26] = {0, 3, bs_handle_end_txn},
    [28] = {0, 3, bs_handle_txn_offset_commit},
    [32] = {1, 4, bs_handle_describe_configs},
    [33] = {0, 2, bs_handle_alter_configs},
    [37] = {0, 2, bs_handle_create_partitions},
    [42] = {0, 2, bs_handle_delete_groups},
    [44] = {0, 1, bs_handle_incremental_alter_configs},
    [47] = {0, 0, bs_handle_offset_delete},
    [61] = {0, 0, bs_handle_describe_producers},
    [65] = {0, 0, bs_handle_describe_transactions},
    [66] = {0, 0, bs_handle_list_transactions},
    [67] = {0, -1, NULL},
};

const int bs_handlers_count = (int)(sizeof(bs_handlers) / sizeof(bs_handlers[0]));
