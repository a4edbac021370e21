/*
 * admin — librdkafka Admin API against the broker.
 *
 * usage:
 *   admin BOOTSTRAP suite           run every check below (broker started with
 *                                   auto.create.topics.enable=false, num.partitions=2)
 *   admin BOOTSTRAP create TOPIC PARTITIONS [key=value ...]
 *   admin BOOTSTRAP config TOPIC KEY        print "<value> <source>" of a topic config
 *   admin BOOTSTRAP partitions TOPIC        print the partition count from Metadata
 *   admin BOOTSTRAP delete-records TOPIC PARTITION OFFSET   print the new low watermark
 *   admin BOOTSTRAP watermarks TOPIC PARTITION              print "low high"
 *   admin BOOTSTRAP delete-topic TOPIC
 *
 * Suite checks (PASS/FAIL rdkafka.admin.<step>): CreateTopics (configs,
 * already exists, bad replication factor, invalid config, validate_only,
 * broker-default partition count), DescribeConfigs (topic and broker,
 * sources), AlterConfigs (set semantics, invalid value), CreatePartitions,
 * watermarks, ListOffsets by timestamp, DeleteRecords, DeleteTopics.
 */
#include "itest.h"

static rd_kafka_t *rk;
static const char *bootstrap;
static int broker_id = -1;

/* Runs an admin request already issued on `q`; returns the event or NULL
 * with the reason in errstr. */
static int admin_timeouts; /* after 2, later requests are not waited for */

static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, const char *what, char *errstr,
                                    size_t errsize)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, admin_timeouts >= 2 ? 2000 : 15000);
    if (!ev) {
        snprintf(errstr, errsize, "%s: %s", what,
                 admin_timeouts >= 2 ? "not waited for: earlier admin requests timed out"
                                     : "no result within 15 s");
        admin_timeouts++;
        return NULL;
    }
    if (rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR__TIMED_OUT)
        admin_timeouts++;
    if (rd_kafka_event_error(ev)) {
        snprintf(errstr, errsize, "%s: %s (%s)", what, rd_kafka_err2name(rd_kafka_event_error(ev)),
                 rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static rd_kafka_AdminOptions_t *admin_opts(rd_kafka_admin_op_t op)
{
    char err[256];
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
    rd_kafka_AdminOptions_set_request_timeout(o, admin_timeouts >= 2 ? 1500 : 10000, err,
                                              sizeof(err));
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
        op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS)
        rd_kafka_AdminOptions_set_operation_timeout(o, 8000, err, sizeof(err));
    return o;
}

/* CreateTopics for one topic; returns the per-topic error code. */
static rd_kafka_resp_err_t create(const char *topic, int parts, int rf, const char **configs,
                                  int validate_only, char *errstr, size_t errsize)
{
    char err[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, rf, err, sizeof(err));
    if (!nt) {
        snprintf(errstr, errsize, "NewTopic: %s", err);
        return RD_KAFKA_RESP_ERR__INVALID_ARG;
    }
    for (int i = 0; configs && configs[i]; i += 2)
        rd_kafka_NewTopic_set_config(nt, configs[i], configs[i + 1]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = admin_opts(RD_KAFKA_ADMIN_OP_CREATETOPICS);
    if (validate_only)
        rd_kafka_AdminOptions_set_validate_only(o, 1, err, sizeof(err));
    rd_kafka_CreateTopics(rk, &nt, 1, o, q);
    rd_kafka_resp_err_t ret = RD_KAFKA_RESP_ERR__FAIL;
    rd_kafka_event_t *ev = admin_wait(q, "CreateTopics", errstr, errsize);
    if (ev) {
        size_t n;
        const rd_kafka_topic_result_t **r =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        if (n != 1) {
            snprintf(errstr, errsize, "CreateTopics: %zu results for 1 topic", n);
        } else {
            ret = rd_kafka_topic_result_error(r[0]);
            snprintf(errstr, errsize, "CreateTopics %s: %s %s", topic, rd_kafka_err2name(ret),
                     rd_kafka_topic_result_error_string(r[0])
                         ? rd_kafka_topic_result_error_string(r[0])
                         : "");
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    return ret;
}

/* Metadata for one topic: partition count, or -err on a topic error. */
static int partition_count(const char *topic, char *errstr, size_t errsize)
{
    const struct rd_kafka_metadata *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (err) {
        snprintf(errstr, errsize, "Metadata: %s", rd_kafka_err2name(err));
        return -100000;
    }
    int ret;
    if (md->topic_cnt != 1) {
        snprintf(errstr, errsize, "Metadata returned %d topics for 1", md->topic_cnt);
        ret = -100000;
    } else if (md->topics[0].err) {
        snprintf(errstr, errsize, "Metadata %s: %s", topic, rd_kafka_err2name(md->topics[0].err));
        ret = -(int)md->topics[0].err;
    } else {
        ret = md->topics[0].partition_cnt;
        snprintf(errstr, errsize, "%d partitions", ret);
    }
    rd_kafka_metadata_destroy(md);
    return ret;
}

/* Waits up to 10 s for partition_count(topic) == want. */
static int wait_partitions(const char *topic, int want, char *errstr, size_t errsize)
{
    int64_t deadline = itest_mono_ms() + 10000;
    int got = 0;
    while (itest_mono_ms() < deadline) {
        got = partition_count(topic, errstr, errsize);
        if (got == want)
            return 0;
        usleep(100000);
    }
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s", errstr);
    snprintf(errstr, errsize, "after 10 s: %s (wanted %d)", tmp, want);
    return -1;
}

struct cfg {
    char value[256];
    int found, is_null;
    rd_kafka_ConfigSource_t source;
};

/* DescribeConfigs of one resource; looks up `n` keys into out[]. */
static int describe(rd_kafka_ResourceType_t type, const char *name, const char **keys,
                    struct cfg *out, int n, char *errstr, size_t errsize)
{
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(type, name);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = admin_opts(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_DescribeConfigs(rk, &res, 1, o, q);
    int ret = -1;
    memset(out, 0, sizeof(*out) * (size_t)n);
    rd_kafka_event_t *ev = admin_wait(q, "DescribeConfigs", errstr, errsize);
    if (ev) {
        size_t rn, cn;
        const rd_kafka_ConfigResource_t **r = rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(ev), &rn);
        if (rn != 1) {
            snprintf(errstr, errsize, "DescribeConfigs: %zu resources for 1", rn);
        } else if (rd_kafka_ConfigResource_error(r[0])) {
            snprintf(errstr, errsize, "DescribeConfigs %s: %s %s", name,
                     rd_kafka_err2name(rd_kafka_ConfigResource_error(r[0])),
                     rd_kafka_ConfigResource_error_string(r[0])
                         ? rd_kafka_ConfigResource_error_string(r[0])
                         : "");
        } else {
            const rd_kafka_ConfigEntry_t **e = rd_kafka_ConfigResource_configs(r[0], &cn);
            for (size_t i = 0; i < cn; i++)
                for (int k = 0; k < n; k++)
                    if (!strcmp(rd_kafka_ConfigEntry_name(e[i]), keys[k])) {
                        const char *v = rd_kafka_ConfigEntry_value(e[i]);
                        out[k].found = 1;
                        out[k].is_null = v == NULL;
                        snprintf(out[k].value, sizeof(out[k].value), "%s", v ? v : "(null)");
                        out[k].source = rd_kafka_ConfigEntry_source(e[i]);
                    }
            ret = 0;
            if (cn < 5) {
                snprintf(errstr, errsize, "DescribeConfigs %s returned only %zu entries", name, cn);
                ret = -1;
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_queue_destroy(q);
    return ret;
}

/* Checks one described entry; returns 0 if value (unless NULL) and source
 * (unless < 0) match. */
static int cfg_is(const struct cfg *c, const char *key, const char *value, int source, char *errstr,
                  size_t errsize)
{
    if (!c->found) {
        snprintf(errstr, errsize, "config %s missing from DescribeConfigs", key);
        return -1;
    }
    if (value && strcmp(c->value, value)) {
        snprintf(errstr, errsize, "config %s = %s, expected %s", key, c->value, value);
        return -1;
    }
    if (source >= 0 && (int)c->source != source) {
        snprintf(errstr, errsize, "config %s source %s, expected %s", key,
                 rd_kafka_ConfigSource_name(c->source),
                 rd_kafka_ConfigSource_name((rd_kafka_ConfigSource_t)source));
        return -1;
    }
    return 0;
}

/* AlterConfigs (replace semantics) on a topic; returns the resource error. */
static rd_kafka_resp_err_t alter(const char *topic, const char **kv, char *errstr, size_t errsize)
{
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    for (int i = 0; kv[i]; i += 2)
        rd_kafka_ConfigResource_set_config(res, kv[i], kv[i + 1]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = admin_opts(RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
    rd_kafka_AlterConfigs(rk, &res, 1, o, q);
    rd_kafka_resp_err_t ret = RD_KAFKA_RESP_ERR__FAIL;
    rd_kafka_event_t *ev = admin_wait(q, "AlterConfigs", errstr, errsize);
    if (ev) {
        size_t rn;
        const rd_kafka_ConfigResource_t **r =
            rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &rn);
        if (rn != 1) {
            snprintf(errstr, errsize, "AlterConfigs: %zu resources for 1", rn);
        } else {
            ret = rd_kafka_ConfigResource_error(r[0]);
            snprintf(errstr, errsize, "AlterConfigs %s: %s %s", topic, rd_kafka_err2name(ret),
                     rd_kafka_ConfigResource_error_string(r[0])
                         ? rd_kafka_ConfigResource_error_string(r[0])
                         : "");
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_queue_destroy(q);
    return ret;
}

static rd_kafka_resp_err_t create_partitions(const char *topic, int total, char *errstr,
                                             size_t errsize)
{
    char err[256];
    rd_kafka_NewPartitions_t *np =
        rd_kafka_NewPartitions_new(topic, (size_t)total, err, sizeof(err));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = admin_opts(RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
    rd_kafka_CreatePartitions(rk, &np, 1, o, q);
    rd_kafka_resp_err_t ret = RD_KAFKA_RESP_ERR__FAIL;
    rd_kafka_event_t *ev = admin_wait(q, "CreatePartitions", errstr, errsize);
    if (ev) {
        size_t n;
        const rd_kafka_topic_result_t **r =
            rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
        if (n != 1) {
            snprintf(errstr, errsize, "CreatePartitions: %zu results", n);
        } else {
            ret = rd_kafka_topic_result_error(r[0]);
            snprintf(errstr, errsize, "CreatePartitions %s to %d: %s %s", topic, total,
                     rd_kafka_err2name(ret),
                     rd_kafka_topic_result_error_string(r[0])
                         ? rd_kafka_topic_result_error_string(r[0])
                         : "");
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewPartitions_destroy(np);
    rd_kafka_queue_destroy(q);
    return ret;
}

static rd_kafka_resp_err_t delete_topic(const char *topic, char *errstr, size_t errsize)
{
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = admin_opts(RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_DeleteTopics(rk, &dt, 1, o, q);
    rd_kafka_resp_err_t ret = RD_KAFKA_RESP_ERR__FAIL;
    rd_kafka_event_t *ev = admin_wait(q, "DeleteTopics", errstr, errsize);
    if (ev) {
        size_t n;
        const rd_kafka_topic_result_t **r =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
        if (n != 1) {
            snprintf(errstr, errsize, "DeleteTopics: %zu results", n);
        } else {
            ret = rd_kafka_topic_result_error(r[0]);
            snprintf(errstr, errsize, "DeleteTopics %s: %s", topic, rd_kafka_err2name(ret));
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_queue_destroy(q);
    return ret;
}

/* DeleteRecords before `offset` on topic[partition]; returns the partition
 * error, and the new low watermark in *low. */
static rd_kafka_resp_err_t delete_records(const char *topic, int partition, int64_t offset,
                                          int64_t *low, char *errstr, size_t errsize)
{
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, topic, partition)->offset = offset;
    rd_kafka_DeleteRecords_t *dr = rd_kafka_DeleteRecords_new(tp);
    rd_kafka_topic_partition_list_destroy(tp);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = admin_opts(RD_KAFKA_ADMIN_OP_DELETERECORDS);
    rd_kafka_DeleteRecords(rk, &dr, 1, o, q);
    rd_kafka_resp_err_t ret = RD_KAFKA_RESP_ERR__FAIL;
    rd_kafka_event_t *ev = admin_wait(q, "DeleteRecords", errstr, errsize);
    if (ev) {
        const rd_kafka_topic_partition_list_t *r =
            rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
        if (!r || r->cnt != 1) {
            snprintf(errstr, errsize, "DeleteRecords: %d results", r ? r->cnt : -1);
        } else {
            ret = r->elems[0].err;
            *low = r->elems[0].offset;
            snprintf(errstr, errsize,
                     "DeleteRecords %s[%d] before %" PRId64 ": %s, low watermark %" PRId64, topic,
                     partition, offset, rd_kafka_err2name(ret), *low);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_DeleteRecords_destroy(dr);
    rd_kafka_queue_destroy(q);
    return ret;
}

static int64_t offset_for_time(const char *topic, int partition, int64_t ts, char *errstr,
                               size_t errsize)
{
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, topic, partition)->offset = ts;
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, tp, 10000);
    int64_t ret = -1000000;
    if (err)
        snprintf(errstr, errsize, "offsets_for_times: %s", rd_kafka_err2name(err));
    else if (tp->elems[0].err)
        snprintf(errstr, errsize, "offsets_for_times %s[%d]: %s", topic, partition,
                 rd_kafka_err2name(tp->elems[0].err));
    else
        ret = tp->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(tp);
    return ret;
}

static int dr_errors;
static void dr_cb(rd_kafka_t *r, const rd_kafka_message_t *m, void *opaque)
{
    (void)r, (void)opaque;
    if (m->err)
        dr_errors++;
}

#define STEP_OK(name)        itest_pass("rdkafka.admin." name)
#define STEP_FAIL(name, ...) itest_fail("rdkafka.admin." name, __VA_ARGS__)

static int suite(void)
{
    char e[1024];
    rd_kafka_resp_err_t err;
    struct cfg c[4];

    /* Broker id from metadata. */
    const struct rd_kafka_metadata *md;
    if ((err = rd_kafka_metadata(rk, 0, NULL, &md, 10000)) != 0) {
        STEP_FAIL("metadata", "Metadata (all topics): %s", rd_kafka_err2str(err));
        return 1;
    }
    if (md->broker_cnt != 1)
        STEP_FAIL("metadata", "%d brokers in Metadata, expected 1", md->broker_cnt);
    else if (md->orig_broker_id != md->brokers[0].id)
        STEP_FAIL("metadata", "answering broker id %d differs from listed broker %d",
                  md->orig_broker_id, md->brokers[0].id);
    else
        STEP_OK("metadata");
    broker_id = md->broker_cnt ? md->brokers[0].id : 0;
    rd_kafka_metadata_destroy(md);

    /* CreateTopics with configs. */
    const char *cfgs[] = {
        "retention.ms", "3600000", "segment.bytes", "1048576", "max.message.bytes", "200000", NULL};
    err = create("adm-a", 3, 1, cfgs, 0, e, sizeof(e));
    if (err)
        STEP_FAIL("create_topics", "%s", e);
    else if (wait_partitions("adm-a", 3, e, sizeof(e)))
        STEP_FAIL("create_topics", "created topic adm-a: %s", e);
    else
        STEP_OK("create_topics");

    err = create("adm-a", 3, 1, NULL, 0, e, sizeof(e));
    if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        STEP_FAIL("create_topics_exists", "expected TOPIC_ALREADY_EXISTS, got %s", e);
    else
        STEP_OK("create_topics_exists");

    err = create("adm-rf", 1, 3, NULL, 0, e, sizeof(e));
    if (err != RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR)
        STEP_FAIL("create_topics_bad_rf",
                  "replication factor 3 on one broker: expected INVALID_REPLICATION_FACTOR, "
                  "got %s",
                  e);
    else
        STEP_OK("create_topics_bad_rf");

    const char *badcfg[] = {"retention.ms", "not-a-number", NULL};
    err = create("adm-badcfg", 1, 1, badcfg, 0, e, sizeof(e));
    if (err != RD_KAFKA_RESP_ERR_INVALID_CONFIG)
        STEP_FAIL("create_topics_bad_config",
                  "retention.ms=not-a-number: expected INVALID_CONFIG, got %s", e);
    else if (partition_count("adm-badcfg", e, sizeof(e)) >= 0)
        STEP_FAIL("create_topics_bad_config", "topic adm-badcfg exists after a failed create");
    else
        STEP_OK("create_topics_bad_config");

    err = create("adm-v", 4, 1, NULL, 1, e, sizeof(e));
    if (err)
        STEP_FAIL("create_topics_validate_only", "%s", e);
    else if (partition_count("adm-v", e, sizeof(e)) != -RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        STEP_FAIL("create_topics_validate_only",
                  "after validate_only create, Metadata for adm-v: %s (expected "
                  "UNKNOWN_TOPIC_OR_PART)",
                  e);
    else
        STEP_OK("create_topics_validate_only");

    err = create("adm-d", -1, -1, NULL, 0, e, sizeof(e));
    if (err)
        STEP_FAIL("create_topics_broker_defaults", "partitions=-1 replication=-1: %s", e);
    else if (wait_partitions("adm-d", 2, e, sizeof(e)))
        STEP_FAIL("create_topics_broker_defaults", "expected num.partitions=2 partitions: %s", e);
    else
        STEP_OK("create_topics_broker_defaults");

    /* DescribeConfigs: topic. */
    const char *tkeys[] = {"retention.ms", "segment.bytes", "cleanup.policy", "max.message.bytes"};
    if (describe(RD_KAFKA_RESOURCE_TOPIC, "adm-a", tkeys, c, 4, e, sizeof(e)) ||
        cfg_is(&c[0], tkeys[0], "3600000", RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG, e,
               sizeof(e)) ||
        cfg_is(&c[1], tkeys[1], "1048576", RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG, e,
               sizeof(e)) ||
        cfg_is(&c[2], tkeys[2], "delete", -1, e, sizeof(e)) ||
        cfg_is(&c[3], tkeys[3], "200000", RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG, e,
               sizeof(e)))
        STEP_FAIL("describe_configs_topic", "%s", e);
    else if (c[2].source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
        STEP_FAIL("describe_configs_topic",
                  "cleanup.policy was not set but has source DYNAMIC_TOPIC_CONFIG");
    else
        STEP_OK("describe_configs_topic");

    /* DescribeConfigs: broker. */
    char bid[32];
    snprintf(bid, sizeof(bid), "%d", broker_id);
    const char *bkeys[] = {"num.partitions", "log.segment.bytes", "message.max.bytes",
                           "auto.create.topics.enable"};
    if (describe(RD_KAFKA_RESOURCE_BROKER, bid, bkeys, c, 4, e, sizeof(e)) ||
        cfg_is(&c[0], bkeys[0], "2", RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG, e, sizeof(e)) ||
        cfg_is(&c[1], bkeys[1], NULL, -1, e, sizeof(e)) ||
        cfg_is(&c[2], bkeys[2], NULL, -1, e, sizeof(e)) ||
        cfg_is(&c[3], bkeys[3], "false", RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG, e, sizeof(e)))
        STEP_FAIL("describe_configs_broker", "broker %s: %s", bid, e);
    else
        STEP_OK("describe_configs_broker");

    /* AlterConfigs: replaces the topic's whole dynamic config set. */
    const char *alt[] = {"retention.ms", "7200000", "max.message.bytes", "300000", NULL};
    if ((err = alter("adm-a", alt, e, sizeof(e))) != 0)
        STEP_FAIL("alter_configs", "%s", e);
    else if (describe(RD_KAFKA_RESOURCE_TOPIC, "adm-a", tkeys, c, 4, e, sizeof(e)) ||
             cfg_is(&c[0], tkeys[0], "7200000", RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG, e,
                    sizeof(e)) ||
             cfg_is(&c[3], tkeys[3], "300000", RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG, e,
                    sizeof(e)))
        STEP_FAIL("alter_configs", "after AlterConfigs: %s", e);
    else {
        STEP_OK("alter_configs");
        if (c[1].source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
            STEP_FAIL("alter_configs_replaces",
                      "segment.bytes still a topic override (%s) after an AlterConfigs "
                      "that did not name it (AlterConfigs replaces the whole set)",
                      c[1].value);
        else
            STEP_OK("alter_configs_replaces");
    }
    const char *badalt[] = {"retention.ms", "soon", NULL};
    err = alter("adm-a", badalt, e, sizeof(e));
    if (err != RD_KAFKA_RESP_ERR_INVALID_CONFIG)
        STEP_FAIL("alter_configs_invalid", "retention.ms=soon: expected INVALID_CONFIG, got %s", e);
    else if (describe(RD_KAFKA_RESOURCE_TOPIC, "adm-a", tkeys, c, 1, e, sizeof(e)) ||
             cfg_is(&c[0], tkeys[0], "7200000", -1, e, sizeof(e)))
        STEP_FAIL("alter_configs_invalid", "after a rejected AlterConfigs: %s", e);
    else
        STEP_OK("alter_configs_invalid");

    /* CreatePartitions. */
    if ((err = create_partitions("adm-a", 5, e, sizeof(e))) != 0)
        STEP_FAIL("create_partitions", "%s", e);
    else if (wait_partitions("adm-a", 5, e, sizeof(e)))
        STEP_FAIL("create_partitions", "%s", e);
    else
        STEP_OK("create_partitions");
    err = create_partitions("adm-a", 2, e, sizeof(e));
    if (err != RD_KAFKA_RESP_ERR_INVALID_PARTITIONS)
        STEP_FAIL("create_partitions_shrink",
                  "5 -> 2 partitions: expected INVALID_PARTITIONS, got %s", e);
    else
        STEP_OK("create_partitions_shrink");

    /* Produce 10 messages with timestamps T0 + i s to adm-a[0]. */
    rd_kafka_conf_t *pconf = itest_conf(bootstrap);
    itest_set(pconf, "linger.ms", "0");
    rd_kafka_conf_set_dr_msg_cb(pconf, dr_cb);
    rd_kafka_t *prod = itest_new(RD_KAFKA_PRODUCER, pconf);
    int64_t t0 = itest_now_ms() - 3600 * 1000;
    for (int i = 0; i < 10; i++) {
        char v[32];
        snprintf(v, sizeof(v), "ts-%d", i);
        rd_kafka_producev(prod, RD_KAFKA_V_TOPIC("adm-a"), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_VALUE(v, strlen(v)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_TIMESTAMP(t0 + i * 1000), RD_KAFKA_V_END);
        /* One batch per message so the time index sees several batches. */
        rd_kafka_flush(prod, 10000);
    }
    if (itest_flush(prod, 10000) || dr_errors)
        STEP_FAIL("produce_timestamps",
                  "producing 10 messages to adm-a[0] failed (%d delivery errors)", dr_errors);
    else
        STEP_OK("produce_timestamps");
    rd_kafka_destroy(prod);

    int64_t lo = -1, hi = -1;
    err = rd_kafka_query_watermark_offsets(rk, "adm-a", 0, &lo, &hi, 10000);
    if (err || lo != 0 || hi != 10)
        STEP_FAIL("watermarks", "adm-a[0]: %s low %" PRId64 " high %" PRId64 ", expected 0 and 10",
                  rd_kafka_err2name(err), lo, hi);
    else
        STEP_OK("watermarks");
    err = rd_kafka_query_watermark_offsets(rk, "adm-a", 4, &lo, &hi, 10000);
    if (err || lo != 0 || hi != 0)
        STEP_FAIL("watermarks_new_partition",
                  "adm-a[4] (added by CreatePartitions): %s low %" PRId64 " high %" PRId64
                  ", expected 0 and 0",
                  rd_kafka_err2name(err), lo, hi);
    else
        STEP_OK("watermarks_new_partition");

    /* ListOffsets by timestamp. */
    struct {
        int64_t ts, want;
    } q[] = {{t0 - 100000, 0}, {t0, 0}, {t0 + 3500, 4}, {t0 + 9000, 9}, {t0 + 60000, -1}};
    int ok = 1;
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]) && ok; i++) {
        int64_t got = offset_for_time("adm-a", 0, q[i].ts, e, sizeof(e));
        if (got != q[i].want) {
            ok = 0;
            if (got == -1000000)
                STEP_FAIL("offsets_for_times", "timestamp T0%+" PRId64 " ms: %s", q[i].ts - t0, e);
            else
                STEP_FAIL("offsets_for_times",
                          "timestamp T0%+" PRId64 " ms: offset %" PRId64 ", expected %" PRId64,
                          q[i].ts - t0, got, q[i].want);
        }
    }
    if (ok)
        STEP_OK("offsets_for_times");

    /* DeleteRecords. */
    int64_t low = -1;
    err = delete_records("adm-a", 0, 4, &low, e, sizeof(e));
    if (err || low != 4)
        STEP_FAIL("delete_records", "%s (expected NO_ERROR, 4)", e);
    else if ((err = rd_kafka_query_watermark_offsets(rk, "adm-a", 0, &lo, &hi, 10000)) || lo != 4 ||
             hi != 10)
        STEP_FAIL("delete_records",
                  "watermarks after DeleteRecords: %s low %" PRId64 " high %" PRId64
                  ", expected 4 and 10",
                  rd_kafka_err2name(err), lo, hi);
    else {
        /* Consuming from the beginning must start at the new log start. */
        struct itest_consumer cons;
        itest_consumer_start(&cons, bootstrap, "adm-a", 1, NULL, NULL);
        int64_t first = -1;
        int64_t deadline = itest_mono_ms() + 15000;
        while (first < 0 && itest_mono_ms() < deadline) {
            rd_kafka_message_t *m = itest_consumer_poll(&cons, 200);
            if (!m)
                continue;
            if (!m->err)
                first = m->offset;
            rd_kafka_message_destroy(m);
        }
        itest_consumer_stop(&cons);
        if (first != 4)
            STEP_FAIL("delete_records",
                      "first consumed offset after DeleteRecords is %" PRId64 ", expected 4",
                      first);
        else
            STEP_OK("delete_records");
    }
    err = delete_records("adm-a", 0, 100, &low, e, sizeof(e));
    if (err != RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
        STEP_FAIL("delete_records_out_of_range",
                  "offset 100 > high watermark 10: expected OFFSET_OUT_OF_RANGE, got %s", e);
    else
        STEP_OK("delete_records_out_of_range");

    /* DeleteTopics. */
    if ((err = delete_topic("adm-a", e, sizeof(e))) != 0)
        STEP_FAIL("delete_topics", "%s", e);
    else {
        int64_t deadline = itest_mono_ms() + 10000;
        int n = 0;
        while (itest_mono_ms() < deadline && (n = partition_count("adm-a", e, sizeof(e))) !=
                                                 -RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            usleep(100000);
        if (n != -RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            STEP_FAIL("delete_topics", "adm-a still in Metadata 10 s after DeleteTopics: %s", e);
        else
            STEP_OK("delete_topics");
    }
    err = delete_topic("adm-missing", e, sizeof(e));
    if (err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        STEP_FAIL("delete_topics_unknown", "expected UNKNOWN_TOPIC_OR_PART, got %s", e);
    else
        STEP_OK("delete_topics_unknown");

    /* A re-created topic starts empty, with default configs. */
    err = create("adm-a", 1, 1, NULL, 0, e, sizeof(e));
    if (err)
        STEP_FAIL("recreate_topic", "%s", e);
    else if (wait_partitions("adm-a", 1, e, sizeof(e)))
        STEP_FAIL("recreate_topic", "%s", e);
    else if ((err = rd_kafka_query_watermark_offsets(rk, "adm-a", 0, &lo, &hi, 10000)) || lo != 0 ||
             hi != 0)
        STEP_FAIL("recreate_topic",
                  "re-created adm-a[0]: %s low %" PRId64 " high %" PRId64 ", expected 0 and 0",
                  rd_kafka_err2name(err), lo, hi);
    else if (describe(RD_KAFKA_RESOURCE_TOPIC, "adm-a", tkeys, c, 1, e, sizeof(e)) ||
             c[0].source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
        STEP_FAIL("recreate_topic",
                  "re-created adm-a kept the deleted topic's retention.ms override %s", c[0].value);
    else
        STEP_OK("recreate_topic");
    return itest_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        itest_die("usage: admin BOOTSTRAP suite|create|config|partitions ...");
    bootstrap = argv[1];
    rd_kafka_conf_t *conf = itest_conf(bootstrap);
    /* A consumer handle: its Metadata requests never auto-create topics
     * (librdkafka 2.0.2 producers always ask for auto-creation). */
    itest_set(conf, "allow.auto.create.topics", "false");
    rk = itest_new(RD_KAFKA_CONSUMER, conf);
    char e[1024];
    int rc = 0;
    if (!strcmp(argv[2], "suite")) {
        rc = suite();
    } else if (!strcmp(argv[2], "create") && argc >= 5) {
        const char *cfgs[65] = {0};
        int n = 0;
        for (int i = 5; i < argc && n < 64; i++) {
            char *eq = strchr(argv[i], '=');
            if (!eq)
                itest_die("config %s: expected key=value", argv[i]);
            *eq = '\0';
            cfgs[n++] = argv[i];
            cfgs[n++] = eq + 1;
        }
        rd_kafka_resp_err_t err = create(argv[3], atoi(argv[4]), 1, cfgs, 0, e, sizeof(e));
        if (err) {
            fprintf(stderr, "%s\n", e);
            rc = 1;
        } else if (wait_partitions(argv[3], atoi(argv[4]), e, sizeof(e))) {
            fprintf(stderr, "created %s: %s\n", argv[3], e);
            rc = 1;
        }
    } else if (!strcmp(argv[2], "config") && argc == 5) {
        struct cfg c;
        const char *keys[] = {argv[4]};
        if (describe(RD_KAFKA_RESOURCE_TOPIC, argv[3], keys, &c, 1, e, sizeof(e)) ||
            cfg_is(&c, argv[4], NULL, -1, e, sizeof(e))) {
            fprintf(stderr, "%s\n", e);
            rc = 1;
        } else {
            printf("%s %s\n", c.value, rd_kafka_ConfigSource_name(c.source));
        }
    } else if (!strcmp(argv[2], "delete-records") && argc == 6) {
        int64_t low = -1;
        rd_kafka_resp_err_t err =
            delete_records(argv[3], atoi(argv[4]), atoll(argv[5]), &low, e, sizeof(e));
        if (err) {
            fprintf(stderr, "%s\n", e);
            rc = 1;
        } else {
            printf("%" PRId64 "\n", low);
        }
    } else if (!strcmp(argv[2], "delete-topic") && argc == 4) {
        if (delete_topic(argv[3], e, sizeof(e))) {
            fprintf(stderr, "%s\n", e);
            rc = 1;
        }
    } else if (!strcmp(argv[2], "watermarks") && argc == 5) {
        int64_t lo = -1, hi = -1;
        rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk, argv[3], atoi(argv[4]), &lo, &hi, 10000);
        if (err) {
            fprintf(stderr, "watermarks %s[%s]: %s\n", argv[3], argv[4], rd_kafka_err2str(err));
            rc = 1;
        } else {
            printf("%" PRId64 " %" PRId64 "\n", lo, hi);
        }
    } else if (!strcmp(argv[2], "partitions") && argc == 4) {
        int n = partition_count(argv[3], e, sizeof(e));
        if (n < 0) {
            fprintf(stderr, "%s\n", e);
            rc = 1;
        } else {
            printf("%d\n", n);
        }
    } else {
        itest_die("unknown command %s (or wrong argument count)", argv[2]);
    }
    rd_kafka_destroy(rk);
    return rc;
}
