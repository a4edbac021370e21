/*
 * topics.c — `basin topics`: create, list, describe, alter and delete topics
 * through librdkafka's Admin API, with kafka-topics.sh's option names and
 * output format.
 *
 * One action per run (--create | --list | --describe | --alter | --delete).
 * --alter --config is incremental, as kafka-topics.sh's is: librdkafka
 * 2.0.2 only has the (replacing) AlterConfigs, so the current dynamic topic
 * configs are read with DescribeConfigs, merged with the changes, and written
 * back whole. Exit codes: 0, 1 (Kafka said no / unreachable), 2 (arguments).
 */
#include "tools/kclient.h"
#include "tools/opts.h"
#include "tools/tools.h"

#include <stdlib.h>
#include <string.h>

#define PROG "basin topics"

static const bs_opt_spec_t topic_opts[] = {
    {"create", BS_OPT_FLAG, NULL, "create a topic"},
    {"list", BS_OPT_FLAG, NULL, "list topic names"},
    {"describe", BS_OPT_FLAG, NULL, "describe topics (all, or those given with --topic)"},
    {"alter", BS_OPT_FLAG, NULL, "add partitions (--partitions) or change configs (--config)"},
    {"delete", BS_OPT_FLAG, NULL, "delete topics"},
    {"topic", BS_OPT_LIST, "TOPIC", "topic name (comma-separated list allowed)"},
    {"partitions", BS_OPT_VALUE, "N", "partition count (create) or new total (alter)"},
    {"replication-factor", BS_OPT_VALUE, "N", "replication factor (create)"},
    {"config", BS_OPT_LIST, "K=V", "topic config override"},
    {"delete-config", BS_OPT_LIST, "K", "remove a topic config override (alter)"},
    {"if-not-exists", BS_OPT_FLAG, NULL, "create: no error when the topic exists"},
    {"if-exists", BS_OPT_FLAG, NULL, "alter/delete/describe: no error when the topic is missing"},
    {"exclude-internal", BS_OPT_FLAG, NULL, "list/describe: skip internal topics (__*)"},
    BS_KCLIENT_OPTS,
};
#define N_TOPIC_OPTS (sizeof(topic_opts) / sizeof(topic_opts[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: basin topics --bootstrap-server HOST:PORT "
                 "(--create|--list|--describe|--alter|--delete) [options]\n\n"
                 "Manages topics like kafka-topics.sh.\n\noptions:\n");
    bs_opts_usage(out, topic_opts, N_TOPIC_OPTS);
}

typedef struct names_s {
    char **v;
    int n;
} names_t;

static void names_free(names_t *n)
{
    for (int i = 0; i < n->n; i++)
        free(n->v[i]);
    free(n->v);
    n->v = NULL;
    n->n = 0;
}

/* Splits every --topic value on ',' into names. */
static int names_from_opts(const bs_opts_t *o, names_t *out, char *err, size_t errlen)
{
    int nv;
    const char **vals = bs_opts_list(o, "topic", &nv);
    for (int i = 0; i < nv; i++) {
        char *dup = strdup(vals[i]), *save = NULL;
        for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char **nn = realloc(out->v, sizeof(*nn) * (size_t)(out->n + 1));
            if (!nn) {
                free(dup);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            out->v = nn;
            out->v[out->n++] = strdup(tok);
        }
        free(dup);
    }
    for (int i = 0; i < out->n; i++) {
        size_t len = strlen(out->v[i]);
        if (len == 0 || len > 249) {
            snprintf(err, errlen, "--topic '%s': a topic name has 1 to 249 characters", out->v[i]);
            return -1;
        }
        for (size_t j = 0; j < len; j++) {
            char c = out->v[i][j];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-')) {
                snprintf(err, errlen,
                         "--topic '%s': illegal character '%c' (allowed: ASCII letters, digits, "
                         "'.', '_', '-')",
                         out->v[i], c);
                return -1;
            }
        }
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int do_create(bs_kclient_t *kc, const names_t *names, int partitions, int rf,
                     const bs_kvlist_t *configs, int if_not_exists)
{
    char errstr[512];
    int rc = 1;
    rd_kafka_NewTopic_t **nt = calloc((size_t)names->n, sizeof(*nt));
    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao = bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_event_t *ev = NULL;
    for (int i = 0; i < names->n; i++) {
        nt[i] = rd_kafka_NewTopic_new(names->v[i], partitions, rf, errstr, sizeof(errstr));
        if (!nt[i]) {
            fprintf(stderr, PROG ": cannot create topic %s: %s\n", names->v[i], errstr);
            goto done;
        }
        for (size_t c = 0; c < configs->n; c++)
            rd_kafka_NewTopic_set_config(nt[i], configs->items[c].key, configs->items[c].val);
    }
    rd_kafka_CreateTopics(kc->rk, nt, (size_t)names->n, ao, q);
    ev = bs_kclient_admin_wait(kc, q, RD_KAFKA_EVENT_CREATETOPICS_RESULT, "CreateTopics");
    if (!ev)
        goto done;
    size_t cnt;
    const rd_kafka_topic_result_t **tr =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    rc = 0;
    for (size_t i = 0; i < cnt; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
        const char *name = rd_kafka_topic_result_name(tr[i]);
        if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && if_not_exists)
            continue;
        if (e) {
            const char *msg = rd_kafka_topic_result_error_string(tr[i]);
            fprintf(stderr, PROG ": cannot create topic %s: %s (%s)\n", name,
                    msg ? msg : rd_kafka_err2str(e), rd_kafka_err2name(e));
            rc = 1;
            continue;
        }
        printf("Created topic %s.\n", name);
    }
done:
    if (ev)
        rd_kafka_event_destroy(ev);
    for (int i = 0; i < names->n; i++)
        if (nt[i])
            rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    return rc;
}

static int do_delete(bs_kclient_t *kc, const names_t *names, int if_exists)
{
    int rc = 1;
    rd_kafka_DeleteTopic_t **dt = calloc((size_t)names->n, sizeof(*dt));
    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao = bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_DELETETOPICS);
    for (int i = 0; i < names->n; i++)
        dt[i] = rd_kafka_DeleteTopic_new(names->v[i]);
    rd_kafka_DeleteTopics(kc->rk, dt, (size_t)names->n, ao, q);
    rd_kafka_event_t *ev =
        bs_kclient_admin_wait(kc, q, RD_KAFKA_EVENT_DELETETOPICS_RESULT, "DeleteTopics");
    if (!ev)
        goto done;
    size_t cnt;
    const rd_kafka_topic_result_t **tr =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
    rc = 0;
    for (size_t i = 0; i < cnt; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
        if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && if_exists)
            continue;
        if (e) {
            fprintf(stderr, PROG ": cannot delete topic %s: %s (%s)\n",
                    rd_kafka_topic_result_name(tr[i]), rd_kafka_err2str(e), rd_kafka_err2name(e));
            rc = 1;
        }
    }
    rd_kafka_event_destroy(ev);
done:
    rd_kafka_DeleteTopic_destroy_array(dt, (size_t)names->n);
    free(dt);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* DescribeConfigs for one topic; returns the event (caller destroys) and the
 * resource through *res, or NULL with a message printed. */
static rd_kafka_event_t *describe_configs(bs_kclient_t *kc, const char *topic,
                                          const rd_kafka_ConfigResource_t **res)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao = bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_DescribeConfigs(kc->rk, &cr, 1, ao, q);
    rd_kafka_event_t *ev =
        bs_kclient_admin_wait(kc, q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, "DescribeConfigs");
    *res = NULL;
    if (ev) {
        size_t cnt;
        const rd_kafka_ConfigResource_t **rs = rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(ev), &cnt);
        if (cnt < 1 || rd_kafka_ConfigResource_error(rs[0])) {
            fprintf(stderr, PROG ": cannot describe the configs of topic %s: %s\n", topic,
                    cnt < 1 ? "empty answer" : rd_kafka_ConfigResource_error_string(rs[0]));
            rd_kafka_event_destroy(ev);
            ev = NULL;
        } else {
            *res = rs[0];
        }
    }
    rd_kafka_ConfigResource_destroy(cr);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    return ev;
}

static int is_override(const rd_kafka_ConfigEntry_t *e)
{
    return rd_kafka_ConfigEntry_source(e) == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG;
}

static void print_configs(bs_kclient_t *kc, const char *topic)
{
    const rd_kafka_ConfigResource_t *res;
    rd_kafka_event_t *ev = describe_configs(kc, topic, &res);
    if (!ev)
        return;
    size_t cnt;
    const rd_kafka_ConfigEntry_t **ents = rd_kafka_ConfigResource_configs(res, &cnt);
    int first = 1;
    for (size_t i = 0; i < cnt; i++) {
        if (!is_override(ents[i]))
            continue;
        const char *v = rd_kafka_ConfigEntry_value(ents[i]);
        printf("%s%s=%s", first ? "" : ",", rd_kafka_ConfigEntry_name(ents[i]),
               rd_kafka_ConfigEntry_is_sensitive(ents[i]) ? "(sensitive)"
               : v                                        ? v
                                                          : "");
        first = 0;
    }
    rd_kafka_event_destroy(ev);
}

static void print_ids(const int32_t *ids, int n)
{
    for (int i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", ids[i]);
}

static int do_describe(bs_kclient_t *kc, const struct rd_kafka_metadata *md, const names_t *names,
                       int if_exists, int exclude_internal)
{
    int rc = 0;
    const rd_kafka_metadata_topic_t **sel = calloc((size_t)md->topic_cnt + 1, sizeof(*sel));
    int nsel = 0;
    if (names->n > 0) {
        for (int i = 0; i < names->n; i++) {
            const rd_kafka_metadata_topic_t *t = bs_kclient_md_topic(md, names->v[i]);
            if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                if (!if_exists) {
                    fprintf(stderr, PROG ": topic '%s' does not exist\n", names->v[i]);
                    rc = 1;
                }
                continue;
            }
            sel[nsel++] = t;
        }
    } else {
        for (int i = 0; i < md->topic_cnt; i++)
            if (!(exclude_internal && strncmp(md->topics[i].topic, "__", 2) == 0))
                sel[nsel++] = &md->topics[i];
        /* sorted by name, as kafka-topics.sh prints them */
        for (int i = 1; i < nsel; i++)
            for (int j = i; j > 0 && strcmp(sel[j - 1]->topic, sel[j]->topic) > 0; j--) {
                const rd_kafka_metadata_topic_t *tmp = sel[j];
                sel[j] = sel[j - 1];
                sel[j - 1] = tmp;
            }
    }
    for (int i = 0; i < nsel; i++) {
        const rd_kafka_metadata_topic_t *t = sel[i];
        int rf = t->partition_cnt > 0 ? t->partitions[0].replica_cnt : 0;
        printf("Topic: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: ", t->topic,
               t->partition_cnt, rf);
        print_configs(kc, t->topic);
        printf("\n");
        /* partitions in id order */
        for (int p = 0; p < t->partition_cnt; p++) {
            const rd_kafka_metadata_partition_t *mp = NULL;
            for (int k = 0; k < t->partition_cnt; k++)
                if (t->partitions[k].id == p)
                    mp = &t->partitions[k];
            if (!mp)
                continue;
            printf("\tTopic: %s\tPartition: %d\tLeader: %d\tReplicas: ", t->topic, mp->id,
                   mp->leader);
            print_ids(mp->replicas, mp->replica_cnt);
            printf("\tIsr: ");
            print_ids(mp->isrs, mp->isr_cnt);
            printf("\n");
        }
    }
    free(sel);
    return rc;
}

static int do_list(const struct rd_kafka_metadata *md, int exclude_internal)
{
    const char **v = calloc((size_t)md->topic_cnt + 1, sizeof(*v));
    int n = 0;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!(exclude_internal && strncmp(md->topics[i].topic, "__", 2) == 0))
            v[n++] = md->topics[i].topic;
    qsort(v, (size_t)n, sizeof(*v), cmp_str);
    for (int i = 0; i < n; i++)
        printf("%s\n", v[i]);
    free(v);
    return 0;
}

static int alter_partitions(bs_kclient_t *kc, const char *topic, int partitions)
{
    char errstr[512];
    int rc = 1;
    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao = bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
    rd_kafka_NewPartitions_t *np =
        rd_kafka_NewPartitions_new(topic, (size_t)partitions, errstr, sizeof(errstr));
    rd_kafka_event_t *ev = NULL;
    if (!np) {
        fprintf(stderr, PROG ": cannot add partitions to %s: %s\n", topic, errstr);
        goto done;
    }
    rd_kafka_CreatePartitions(kc->rk, &np, 1, ao, q);
    ev = bs_kclient_admin_wait(kc, q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, "CreatePartitions");
    if (!ev)
        goto done;
    size_t cnt;
    const rd_kafka_topic_result_t **tr =
        rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &cnt);
    rc = 0;
    for (size_t i = 0; i < cnt; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
        if (e) {
            const char *msg = rd_kafka_topic_result_error_string(tr[i]);
            fprintf(stderr, PROG ": cannot change the partition count of %s to %d: %s (%s)\n",
                    topic, partitions, msg ? msg : rd_kafka_err2str(e), rd_kafka_err2name(e));
            rc = 1;
        }
    }
done:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (np)
        rd_kafka_NewPartitions_destroy(np);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    return rc;
}

static int alter_configs(bs_kclient_t *kc, const char *topic, const bs_kvlist_t *set,
                         const char **del, int ndel)
{
    int rc = 1;
    const rd_kafka_ConfigResource_t *cur;
    rd_kafka_event_t *dev = describe_configs(kc, topic, &cur);
    if (!dev)
        return 1;
    rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    size_t cnt;
    const rd_kafka_ConfigEntry_t **ents = rd_kafka_ConfigResource_configs(cur, &cnt);
    for (size_t i = 0; i < cnt; i++) {
        const char *name = rd_kafka_ConfigEntry_name(ents[i]);
        if (!is_override(ents[i]) || bs_kvlist_get(set, name))
            continue;
        int deleted = 0;
        for (int d = 0; d < ndel; d++)
            deleted |= strcmp(del[d], name) == 0;
        if (!deleted)
            rd_kafka_ConfigResource_set_config(cr, name, rd_kafka_ConfigEntry_value(ents[i]));
    }
    for (size_t i = 0; i < set->n; i++)
        rd_kafka_ConfigResource_set_config(cr, set->items[i].key, set->items[i].val);
    rd_kafka_event_destroy(dev);

    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao = bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
    rd_kafka_AlterConfigs(kc->rk, &cr, 1, ao, q);
    rd_kafka_event_t *ev =
        bs_kclient_admin_wait(kc, q, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, "AlterConfigs");
    if (ev) {
        const rd_kafka_ConfigResource_t **rs =
            rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &cnt);
        if (cnt >= 1 && rd_kafka_ConfigResource_error(rs[0])) {
            fprintf(stderr, PROG ": cannot change the configs of topic %s: %s (%s)\n", topic,
                    rd_kafka_ConfigResource_error_string(rs[0]),
                    rd_kafka_err2name(rd_kafka_ConfigResource_error(rs[0])));
        } else {
            rc = 0;
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_ConfigResource_destroy(cr);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    return rc;
}

int bs_tools_topics_main(int argc, char **argv)
{
    bs_opts_t o;
    bs_kvlist_t props = {0}, configs = {0};
    names_t names = {0};
    bs_kclient_t kc = {0};
    const struct rd_kafka_metadata *md = NULL;
    char err[512];
    int rc = 2;
    const char *bootstrap;
    int timeout_ms;
    long long partitions = -1, rf = -1;

    if (bs_opts_parse(&o, topic_opts, N_TOPIC_OPTS, argc, argv, err, sizeof(err)) != 0)
        goto bad;
    if (bs_opts_has(&o, "help")) {
        usage(stdout);
        rc = 0;
        goto done;
    }
    static const char *const actions[] = {"create", "list", "describe", "alter", "delete"};
    const char *action = NULL;
    for (size_t i = 0; i < 5; i++) {
        if (!bs_opts_has(&o, actions[i]))
            continue;
        if (action) {
            snprintf(err, sizeof(err),
                     "give exactly one of --create, --list, --describe, "
                     "--alter, --delete (got --%s and --%s)",
                     action, actions[i]);
            goto bad;
        }
        action = actions[i];
    }
    if (!action) {
        snprintf(err, sizeof(err), "give one of --create, --list, --describe, --alter, --delete");
        goto bad;
    }
    if (bs_kclient_common(&o, &bootstrap, &timeout_ms, &props, err, sizeof(err)) != 0)
        goto bad;
    if (names_from_opts(&o, &names, err, sizeof(err)) != 0)
        goto bad;
    int ncfg;
    const char **cfgv = bs_opts_list(&o, "config", &ncfg);
    if (bs_kvlist_add(&configs, cfgv, ncfg, "--config", err, sizeof(err)) != 0)
        goto bad;
    if (bs_opts_get(&o, "partitions") &&
        bs_opts_int(bs_opts_get(&o, "partitions"), 1, 1000000, &partitions, "--partitions", err,
                    sizeof(err)) != 0)
        goto bad;
    if (bs_opts_get(&o, "replication-factor") &&
        bs_opts_int(bs_opts_get(&o, "replication-factor"), 1, 32767, &rf, "--replication-factor",
                    err, sizeof(err)) != 0)
        goto bad;
    int ndel;
    const char **delv = bs_opts_list(&o, "delete-config", &ndel);
    int need_topic = strcmp(action, "list") != 0 && strcmp(action, "describe") != 0;
    if (need_topic && names.n == 0) {
        snprintf(err, sizeof(err), "--%s needs --topic", action);
        goto bad;
    }
    if (strcmp(action, "alter") == 0 && partitions < 0 && configs.n == 0 && ndel == 0) {
        snprintf(err, sizeof(err), "--alter needs --partitions, --config or --delete-config");
        goto bad;
    }
    if (strcmp(action, "create") != 0 && strcmp(action, "alter") != 0 &&
        (configs.n > 0 || partitions > 0)) {
        snprintf(err, sizeof(err), "--config and --partitions go with --create or --alter");
        goto bad;
    }

    rc = 1;
    if (bs_kclient_init(&kc, RD_KAFKA_PRODUCER, PROG, bootstrap, timeout_ms, NULL, &props, NULL) !=
        0)
        goto done;
    if (bs_kclient_metadata(&kc, NULL, &md) != 0)
        goto done;
    if (strcmp(action, "create") == 0) {
        rc = do_create(&kc, &names, (int)partitions, (int)rf, &configs,
                       bs_opts_has(&o, "if-not-exists"));
    } else if (strcmp(action, "list") == 0) {
        rc = do_list(md, bs_opts_has(&o, "exclude-internal"));
    } else if (strcmp(action, "describe") == 0) {
        rc = do_describe(&kc, md, &names, bs_opts_has(&o, "if-exists"),
                         bs_opts_has(&o, "exclude-internal"));
    } else if (strcmp(action, "delete") == 0) {
        rc = do_delete(&kc, &names, bs_opts_has(&o, "if-exists"));
    } else {
        rc = 0;
        for (int i = 0; i < names.n && rc == 0; i++) {
            const rd_kafka_metadata_topic_t *t = bs_kclient_md_topic(md, names.v[i]);
            if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                if (!bs_opts_has(&o, "if-exists")) {
                    fprintf(stderr, PROG ": topic '%s' does not exist\n", names.v[i]);
                    rc = 1;
                }
                continue;
            }
            if (partitions > 0)
                rc = alter_partitions(&kc, names.v[i], (int)partitions);
            if (rc == 0 && (configs.n > 0 || ndel > 0))
                rc = alter_configs(&kc, names.v[i], &configs, delv, ndel);
        }
    }
    goto done;
bad:
    fprintf(stderr, PROG ": %s (see basin topics --help)\n", err);
    rc = 2;
done:
    if (md)
        rd_kafka_metadata_destroy(md);
    bs_kclient_destroy(&kc);
    names_free(&names);
    bs_kvlist_free(&props);
    bs_kvlist_free(&configs);
    bs_opts_free(&o);
    return rc;
}
