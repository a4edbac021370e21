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

const bs_handler_t bs_handlers[] = {
    [0] = {3, 10, bs_handle_produce},
    [1] = {4, 12, bs_handle_fetch},
    [2] = {1, 7, bs_handle_list_offsets},
    [3] = {0, 12, bs_handle_metadata},
    [18] = {0, 3, bs_handle_api_versions},
    [19] = {0, 4, bs_handle_create_topics},
    [20] = {0, 4, bs_handle_delete_topics},
    [21] = {0, 2, bs_handle_delete_records},
    [22] = {0, 4, bs_handle_init_producer_id},
    [23] = {2, 4, bs_handle_offset_for_leader_epoch},
    [32] = {1, 4, bs_handle_describe_configs},
    [33] = {0, 2, bs_handle_alter_configs},
    [37] = {0, 2, bs_handle_create_partitions},
    [44] = {0, 1, bs_handle_incremental_alter_configs},
    [67] = {0, -1, NULL},
};

const int bs_handlers_count = (int)(sizeof(bs_handlers) / sizeof(bs_handlers[0]));
