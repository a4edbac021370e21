/*
 * groups.c — `basin groups`: kafka-consumer-groups.sh over librdkafka's
 * Admin API. Actions: --list, --describe (committed offset, log-end offset
 * and lag per partition, with the member that owns it), --reset-offsets
 * (plan printed; written only with --execute, and only while the group has
 * no active members, as Kafka requires) and --delete.
 *
 * Offsets for a reset are computed from the partition's watermarks (and,
 * for --to-datetime, ListOffsets by timestamp) and clamped to
 * [log-start, log-end], as Kafka's tool does.
 */
#include "tools/format.h"
#include "tools/kclient.h"
#include "tools/opts.h"
#include "tools/tools.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PROG "basin groups"

static const bs_opt_spec_t group_opts[] = {
    {"list", BS_OPT_FLAG, NULL, "list consumer groups"},
    {"describe", BS_OPT_FLAG, NULL, "offsets, lag and owners per partition of --group"},
    {"reset-offsets", BS_OPT_FLAG, NULL, "reset the committed offsets of --group"},
    {"delete", BS_OPT_FLAG, NULL, "delete --group"},
    {"group", BS_OPT_LIST, "GROUP", "consumer group"},
    {"all-groups", BS_OPT_FLAG, NULL, "describe: every group"},
    {"topic", BS_OPT_LIST, "TOPIC[:P,...]", "reset: topic, optionally some partitions"},
    {"all-topics", BS_OPT_FLAG, NULL, "reset: every topic the group has offsets for"},
    {"to-earliest", BS_OPT_FLAG, NULL, "reset to the log start"},
    {"to-latest", BS_OPT_FLAG, NULL, "reset to the log end"},
    {"to-offset", BS_OPT_VALUE, "N", "reset to offset N"},
    {"shift-by", BS_OPT_VALUE, "N", "move the committed offset by N (may be negative)"},
    {"to-datetime", BS_OPT_VALUE, "YYYY-MM-DDTHH:mm:SS.sss",
     "reset to the first record at or "
     "after this time"},
    {"dry-run", BS_OPT_FLAG, NULL, "reset: only print the plan (the default)"},
    {"execute", BS_OPT_FLAG, NULL, "reset: write the new offsets"},
    BS_KCLIENT_OPTS,
};
#define N_GROUP_OPTS (sizeof(group_opts) / sizeof(group_opts[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: basin groups --bootstrap-server HOST:PORT "
                 "(--list|--describe|--reset-offsets|--delete) [options]\n\n"
                 "Manages consumer groups like kafka-consumer-groups.sh.\n\noptions:\n");
    bs_opts_usage(out, group_opts, N_GROUP_OPTS);
}

typedef struct row_s {
    char *topic;
    int32_t partition;
    int64_t current; /* -1: none committed */
    int64_t lo, hi;  /* -1: unknown */
    int64_t target;
    const char *consumer_id, *host, *client_id;
} row_t;

typedef struct rows_s {
    row_t *v;
    int n;
} rows_t;

static row_t *rows_get(rows_t *r, const char *topic, int32_t partition)
{
    for (int i = 0; i < r->n; i++)
        if (r->v[i].partition == partition && strcmp(r->v[i].topic, topic) == 0)
            return &r->v[i];
    row_t *nv = realloc(r->v, sizeof(*nv) * (size_t)(r->n + 1));
    if (!nv)
        return NULL;
    r->v = nv;
    row_t *row = &r->v[r->n++];
    memset(row, 0, sizeof(*row));
    row->topic = strdup(topic);
    row->partition = partition;
    row->current = row->lo = row->hi = row->target = -1;
    return row;
}

static void rows_free(rows_t *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->v[i].topic);
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

static int row_cmp(const void *a, const void *b)
{
    const row_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static int do_list(bs_kclient_t *kc)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao =
        bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_ListConsumerGroups(kc->rk, ao, q);
    rd_kafka_event_t *ev =
        bs_kclient_admin_wait(kc, q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, "ListGroups");
    int rc = 1;
    if (ev) {
        const rd_kafka_ListConsumerGroups_result_t *res =
            rd_kafka_event_ListConsumerGroups_result(ev);
        size_t n, ne;
        const rd_kafka_ConsumerGroupListing_t **l =
            rd_kafka_ListConsumerGroups_result_valid(res, &n);
        const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &ne);
        const char **names = calloc(n + 1, sizeof(*names));
        for (size_t i = 0; i < n; i++)
            names[i] = rd_kafka_ConsumerGroupListing_group_id(l[i]);
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                const char *t = names[j];
                names[j] = names[j - 1];
                names[j - 1] = t;
            }
        for (size_t i = 0; i < n; i++)
            printf("%s\n", names[i]);
        free(names);
        rc = 0;
        for (size_t i = 0; i < ne; i++) {
            fprintf(stderr, PROG ": listing groups: %s\n", rd_kafka_error_string(errs[i]));
            rc = 1;
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* Describes one group; returns the event (caller destroys) and the
 * description, or NULL with a message printed. */
static rd_kafka_event_t *describe_group(bs_kclient_t *kc, const char *group,
                                        const rd_kafka_ConsumerGroupDescription_t **desc)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao =
        bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    const char *groups[1] = {group};
    rd_kafka_DescribeConsumerGroups(kc->rk, groups, 1, ao, q);
    rd_kafka_event_t *ev = bs_kclient_admin_wait(
        kc, q, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, "DescribeGroups");
    *desc = NULL;
    if (ev) {
        size_t n;
        const rd_kafka_ConsumerGroupDescription_t **d =
            rd_kafka_DescribeConsumerGroups_result_groups(
                rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
        const rd_kafka_error_t *e = n ? rd_kafka_ConsumerGroupDescription_error(d[0]) : NULL;
        if (n < 1 || e) {
            fprintf(stderr, PROG ": cannot describe group '%s': %s\n", group,
                    e ? rd_kafka_error_string(e) : "empty answer");
            rd_kafka_event_destroy(ev);
            ev = NULL;
        } else {
            *desc = d[0];
        }
    }
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    return ev;
}

/* Adds the group's committed offsets to rows. 0 or -1 (message printed). */
static int committed_offsets(bs_kclient_t *kc, const char *group, rows_t *rows)
{
    int rc = -1;
    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao =
        bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_ListConsumerGroupOffsets_t *lo = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
    rd_kafka_ListConsumerGroupOffsets(kc->rk, &lo, 1, ao, q);
    rd_kafka_event_t *ev =
        bs_kclient_admin_wait(kc, q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, "OffsetFetch");
    if (ev) {
        size_t n;
        const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
        const rd_kafka_error_t *e = n ? rd_kafka_group_result_error(gr[0]) : NULL;
        if (n < 1 || e) {
            fprintf(stderr, PROG ": cannot read the offsets of group '%s': %s\n", group,
                    e ? rd_kafka_error_string(e) : "empty answer");
        } else {
            const rd_kafka_topic_partition_list_t *l = rd_kafka_group_result_partitions(gr[0]);
            rc = 0;
            for (int i = 0; l && i < l->cnt; i++) {
                if (l->elems[i].err || l->elems[i].offset < 0)
                    continue;
                row_t *r = rows_get(rows, l->elems[i].topic, l->elems[i].partition);
                if (!r) {
                    rc = -1;
                    break;
                }
                r->current = l->elems[i].offset;
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_ListConsumerGroupOffsets_destroy(lo);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    return rc;
}

static void watermarks(bs_kclient_t *kc, rows_t *rows)
{
    for (int i = 0; i < rows->n; i++) {
        row_t *r = &rows->v[i];
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(kc->rk, r->topic, r->partition, &lo, &hi,
                                             kc->timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            r->lo = lo;
            r->hi = hi;
        }
    }
}

static const char *dash(const char *s)
{
    return s && *s ? s : "-";
}

static void fmt_off(char *buf, size_t len, int64_t v)
{
    if (v < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%lld", (long long)v);
}

static int describe_one(bs_kclient_t *kc, const char *group)
{
    rows_t rows = {0};
    const rd_kafka_ConsumerGroupDescription_t *d;
    rd_kafka_event_t *ev = describe_group(kc, group, &d);
    int rc = 1;
    if (!ev)
        return 1;
    if (committed_offsets(kc, group, &rows) != 0)
        goto done;
    rd_kafka_consumer_group_state_t st = rd_kafka_ConsumerGroupDescription_state(d);
    size_t nm = rd_kafka_ConsumerGroupDescription_member_count(d);
    if (st == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD && rows.n == 0) {
        fprintf(stderr, PROG ": consumer group '%s' does not exist\n", group);
        goto done;
    }
    for (size_t m = 0; m < nm; m++) {
        const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(d, m);
        const rd_kafka_topic_partition_list_t *a =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(md));
        for (int i = 0; a && i < a->cnt; i++) {
            row_t *r = rows_get(&rows, a->elems[i].topic, a->elems[i].partition);
            if (!r)
                goto done;
            r->consumer_id = rd_kafka_MemberDescription_consumer_id(md);
            r->host = rd_kafka_MemberDescription_host(md);
            r->client_id = rd_kafka_MemberDescription_client_id(md);
        }
    }
    watermarks(kc, &rows);
    qsort(rows.v, (size_t)rows.n, sizeof(row_t), row_cmp);
    if (nm == 0)
        printf("\nConsumer group '%s' has no active members.\n", group);
    /* column widths as wide as the widest cell, like Kafka's tool */
    static const char *hdr[9] = {"GROUP",          "TOPIC",          "PARTITION",
                                 "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                                 "CONSUMER-ID",    "HOST",           "CLIENT-ID"};
    char cells[9][256];
    size_t w[9];
    for (int c = 0; c < 9; c++)
        w[c] = strlen(hdr[c]);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            printf("\n");
            for (int c = 0; c < 9; c++)
                printf("%-*s%s", c < 8 ? (int)w[c] : 0, hdr[c], c < 8 ? " " : "\n");
        }
        for (int i = 0; i < rows.n; i++) {
            row_t *r = &rows.v[i];
            snprintf(cells[0], sizeof(cells[0]), "%s", group);
            snprintf(cells[1], sizeof(cells[1]), "%s", r->topic);
            snprintf(cells[2], sizeof(cells[2]), "%d", (int)r->partition);
            fmt_off(cells[3], sizeof(cells[3]), r->current);
            fmt_off(cells[4], sizeof(cells[4]), r->hi);
            fmt_off(cells[5], sizeof(cells[5]),
                    r->current >= 0 && r->hi >= 0 ? (r->hi > r->current ? r->hi - r->current : 0)
                                                  : -1);
            snprintf(cells[6], sizeof(cells[6]), "%s", dash(r->consumer_id));
            snprintf(cells[7], sizeof(cells[7]), "%s", dash(r->host));
            snprintf(cells[8], sizeof(cells[8]), "%s", dash(r->client_id));
            for (int c = 0; c < 9; c++) {
                if (pass == 0 && strlen(cells[c]) > w[c])
                    w[c] = strlen(cells[c]);
                if (pass == 1)
                    printf("%-*s%s", c < 8 ? (int)w[c] : 0, cells[c], c < 8 ? " " : "\n");
            }
        }
    }
    rc = 0;
done:
    rows_free(&rows);
    rd_kafka_event_destroy(ev);
    return rc;
}

/* Fills rows with the partitions a reset applies to. */
static int reset_scope(bs_kclient_t *kc, const bs_opts_t *o, const struct rd_kafka_metadata *md,
                       rows_t *rows, rows_t *committed)
{
    if (bs_opts_has(o, "all-topics")) {
        for (int i = 0; i < committed->n; i++)
            if (!rows_get(rows, committed->v[i].topic, committed->v[i].partition))
                return -1;
        return 0;
    }
    int nt;
    const char **tv = bs_opts_list(o, "topic", &nt);
    for (int i = 0; i < nt; i++) {
        char *spec = strdup(tv[i]);
        char *colon = strchr(spec, ':');
        if (colon)
            *colon = '\0';
        const rd_kafka_metadata_topic_t *t = bs_kclient_md_topic(md, spec);
        if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            fprintf(stderr, PROG ": topic '%s' does not exist\n", spec);
            free(spec);
            return -1;
        }
        if (!colon) {
            for (int p = 0; p < t->partition_cnt; p++)
                rows_get(rows, spec, t->partitions[p].id);
        } else {
            char *save = NULL;
            for (char *tok = strtok_r(colon + 1, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save)) {
                long long p;
                char err[256];
                if (bs_opts_int(tok, 0, t->partition_cnt - 1, &p, "--topic partition", err,
                                sizeof(err)) != 0) {
                    fprintf(stderr, PROG ": %s (topic %s has %d partitions)\n", err, spec,
                            t->partition_cnt);
                    free(spec);
                    return -1;
                }
                rows_get(rows, spec, (int32_t)p);
            }
        }
        free(spec);
    }
    (void)kc;
    return 0;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int reset_one(bs_kclient_t *kc, const bs_opts_t *o, const char *group,
                     const struct rd_kafka_metadata *md)
{
    rows_t rows = {0}, committed = {0};
    const rd_kafka_ConsumerGroupDescription_t *d;
    rd_kafka_event_t *ev = describe_group(kc, group, &d);
    int rc = 1, execute = bs_opts_has(o, "execute");
    if (!ev)
        return 1;
    rd_kafka_consumer_group_state_t st = rd_kafka_ConsumerGroupDescription_state(d);
    if (execute && st != RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY &&
        st != RD_KAFKA_CONSUMER_GROUP_STATE_DEAD) {
        fprintf(stderr,
                PROG ": assignments can only be reset if the group '%s' is inactive, but the "
                     "current state is %s\n",
                group, rd_kafka_consumer_group_state_name(st));
        goto done;
    }
    if (committed_offsets(kc, group, &committed) != 0)
        goto done;
    if (reset_scope(kc, o, md, &rows, &committed) != 0)
        goto done;
    for (int i = 0; i < rows.n; i++) {
        row_t *c = rows_get(&committed, rows.v[i].topic, rows.v[i].partition);
        rows.v[i].current = c ? c->current : -1;
    }
    watermarks(kc, &rows);
    long long shift = 0, to = 0;
    int64_t ts = 0;
    if (bs_opts_get(o, "shift-by"))
        shift = strtoll(bs_opts_get(o, "shift-by"), NULL, 10);
    if (bs_opts_get(o, "to-offset"))
        to = strtoll(bs_opts_get(o, "to-offset"), NULL, 10);
    if (bs_opts_get(o, "to-datetime")) {
        bs_parse_datetime(bs_opts_get(o, "to-datetime"), &ts);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(rows.n);
        for (int i = 0; i < rows.n; i++)
            rd_kafka_topic_partition_list_add(l, rows.v[i].topic, rows.v[i].partition)->offset = ts;
        rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(kc->rk, l, kc->timeout_ms);
        if (e) {
            fprintf(stderr, PROG ": looking up offsets by time: %s\n", rd_kafka_err2str(e));
            rd_kafka_topic_partition_list_destroy(l);
            goto done;
        }
        for (int i = 0; i < l->cnt; i++) {
            row_t *r = rows_get(&rows, l->elems[i].topic, l->elems[i].partition);
            r->target = l->elems[i].err || l->elems[i].offset < 0 ? r->hi : l->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(l);
    }
    for (int i = 0; i < rows.n; i++) {
        row_t *r = &rows.v[i];
        if (r->lo < 0 || r->hi < 0) {
            fprintf(stderr, PROG ": cannot read the offsets of %s-%d\n", r->topic, r->partition);
            goto done;
        }
        if (bs_opts_has(o, "to-earliest"))
            r->target = r->lo;
        else if (bs_opts_has(o, "to-latest"))
            r->target = r->hi;
        else if (bs_opts_get(o, "to-offset"))
            r->target = clamp(to, r->lo, r->hi);
        else if (bs_opts_get(o, "shift-by")) {
            if (r->current < 0) {
                fprintf(stderr,
                        PROG ": cannot shift the offset of %s-%d: group '%s' has no committed "
                             "offset there\n",
                        r->topic, r->partition, group);
                goto done;
            }
            r->target = clamp(r->current + shift, r->lo, r->hi);
        }
    }
    qsort(rows.v, (size_t)rows.n, sizeof(row_t), row_cmp);
    printf("\n%-20s %-30s %-10s %s\n", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
    for (int i = 0; i < rows.n; i++)
        printf("%-20s %-30s %-10d %lld\n", group, rows.v[i].topic, rows.v[i].partition,
               (long long)rows.v[i].target);
    if (!execute) {
        rc = 0;
        goto done;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(rows.n);
    for (int i = 0; i < rows.n; i++)
        rd_kafka_topic_partition_list_add(l, rows.v[i].topic, rows.v[i].partition)->offset =
            rows.v[i].target;
    rd_kafka_AlterConsumerGroupOffsets_t *ac = rd_kafka_AlterConsumerGroupOffsets_new(group, l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao =
        bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
    rd_kafka_AlterConsumerGroupOffsets(kc->rk, &ac, 1, ao, q);
    rd_kafka_event_t *aev = bs_kclient_admin_wait(
        kc, q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, "OffsetCommit");
    if (aev) {
        size_t n;
        const rd_kafka_group_result_t **gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(
            rd_kafka_event_AlterConsumerGroupOffsets_result(aev), &n);
        const rd_kafka_error_t *e = n ? rd_kafka_group_result_error(gr[0]) : NULL;
        rc = 0;
        if (n < 1 || e) {
            fprintf(stderr, PROG ": cannot write the offsets of group '%s': %s\n", group,
                    e ? rd_kafka_error_string(e) : "empty answer");
            rc = 1;
        } else {
            const rd_kafka_topic_partition_list_t *pl = rd_kafka_group_result_partitions(gr[0]);
            for (int i = 0; pl && i < pl->cnt; i++)
                if (pl->elems[i].err) {
                    fprintf(stderr, PROG ": cannot write the offset of %s-%d: %s\n",
                            pl->elems[i].topic, pl->elems[i].partition,
                            rd_kafka_err2str(pl->elems[i].err));
                    rc = 1;
                }
        }
        rd_kafka_event_destroy(aev);
    }
    rd_kafka_AlterConsumerGroupOffsets_destroy(ac);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
done:
    rows_free(&rows);
    rows_free(&committed);
    rd_kafka_event_destroy(ev);
    return rc;
}

static int do_delete(bs_kclient_t *kc, const char **groups, int n)
{
    int rc = 1;
    rd_kafka_DeleteGroup_t **dg = calloc((size_t)n, sizeof(*dg));
    for (int i = 0; i < n; i++)
        dg[i] = rd_kafka_DeleteGroup_new(groups[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao = bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_DELETEGROUPS);
    rd_kafka_DeleteGroups(kc->rk, dg, (size_t)n, ao, q);
    rd_kafka_event_t *ev =
        bs_kclient_admin_wait(kc, q, RD_KAFKA_EVENT_DELETEGROUPS_RESULT, "DeleteGroups");
    if (ev) {
        size_t cnt;
        const rd_kafka_group_result_t **gr =
            rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &cnt);
        rc = 0;
        for (size_t i = 0; i < cnt; i++) {
            const rd_kafka_error_t *e = rd_kafka_group_result_error(gr[i]);
            if (e) {
                fprintf(stderr, PROG ": group '%s' could not be deleted: %s (%s)\n",
                        rd_kafka_group_result_name(gr[i]), rd_kafka_error_string(e),
                        rd_kafka_error_name(e));
                rc = 1;
            } else {
                printf("Deletion of requested consumer group ('%s') was successful.\n",
                       rd_kafka_group_result_name(gr[i]));
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_DeleteGroup_destroy_array(dg, (size_t)n);
    free(dg);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* The group ids for --describe --all-groups. */
static int all_group_ids(bs_kclient_t *kc, char ***out, int *n)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(kc->rk);
    rd_kafka_AdminOptions_t *ao =
        bs_kclient_admin_options(kc, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_ListConsumerGroups(kc->rk, ao, q);
    rd_kafka_event_t *ev =
        bs_kclient_admin_wait(kc, q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, "ListGroups");
    int rc = -1;
    *out = NULL;
    *n = 0;
    if (ev) {
        size_t cnt;
        const rd_kafka_ConsumerGroupListing_t **l = rd_kafka_ListConsumerGroups_result_valid(
            rd_kafka_event_ListConsumerGroups_result(ev), &cnt);
        *out = calloc(cnt + 1, sizeof(char *));
        for (size_t i = 0; i < cnt; i++)
            (*out)[(*n)++] = strdup(rd_kafka_ConsumerGroupListing_group_id(l[i]));
        rd_kafka_event_destroy(ev);
        rc = 0;
    }
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    return rc;
}

static int check_reset_args(const bs_opts_t *o, char *err, size_t errlen)
{
    static const char *const how[] = {"to-earliest", "to-latest", "to-offset", "shift-by",
                                      "to-datetime"};
    int nhow = 0;
    for (int i = 0; i < 5; i++)
        nhow += bs_opts_has(o, how[i]);
    if (nhow != 1) {
        snprintf(err, errlen,
                 "--reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, "
                 "--shift-by, --to-datetime");
        return -1;
    }
    long long v;
    if (bs_opts_get(o, "to-offset") &&
        bs_opts_int(bs_opts_get(o, "to-offset"), 0, INT64_MAX, &v, "--to-offset", err, errlen))
        return -1;
    if (bs_opts_get(o, "shift-by") && bs_opts_int(bs_opts_get(o, "shift-by"), INT64_MIN / 2,
                                                  INT64_MAX / 2, &v, "--shift-by", err, errlen))
        return -1;
    int64_t ts;
    if (bs_opts_get(o, "to-datetime") && bs_parse_datetime(bs_opts_get(o, "to-datetime"), &ts)) {
        snprintf(err, errlen, "--to-datetime '%s' is not of the form YYYY-MM-DDTHH:mm:SS.sss",
                 bs_opts_get(o, "to-datetime"));
        return -1;
    }
    if (bs_opts_has(o, "all-topics") == bs_opts_has(o, "topic")) {
        snprintf(err, errlen, "--reset-offsets needs either --topic or --all-topics");
        return -1;
    }
    if (bs_opts_has(o, "dry-run") && bs_opts_has(o, "execute")) {
        snprintf(err, errlen, "--dry-run and --execute cannot be used together");
        return -1;
    }
    return 0;
}

int bs_tools_groups_main(int argc, char **argv)
{
    bs_opts_t o;
    bs_kvlist_t props = {0};
    bs_kclient_t kc = {0};
    const struct rd_kafka_metadata *md = NULL;
    char err[1024];
    int rc = 2;
    const char *bootstrap;
    int timeout_ms;
    char **all = NULL;
    int nall = 0;

    if (bs_opts_parse(&o, group_opts, N_GROUP_OPTS, argc, argv, err, sizeof(err)) != 0)
        goto bad;
    if (bs_opts_has(&o, "help")) {
        usage(stdout);
        rc = 0;
        goto done;
    }
    static const char *const actions[] = {"list", "describe", "reset-offsets", "delete"};
    const char *action = NULL;
    for (size_t i = 0; i < 4; i++) {
        if (!bs_opts_has(&o, actions[i]))
            continue;
        if (action) {
            snprintf(err, sizeof(err),
                     "give exactly one of --list, --describe, --reset-offsets, --delete (got "
                     "--%s and --%s)",
                     action, actions[i]);
            goto bad;
        }
        action = actions[i];
    }
    if (!action) {
        snprintf(err, sizeof(err), "give one of --list, --describe, --reset-offsets, --delete");
        goto bad;
    }
    if (bs_kclient_common(&o, &bootstrap, &timeout_ms, &props, err, sizeof(err)) != 0)
        goto bad;
    int ng;
    const char **groups = bs_opts_list(&o, "group", &ng);
    int need_group = strcmp(action, "list") != 0 &&
                     !(strcmp(action, "describe") == 0 && bs_opts_has(&o, "all-groups"));
    if (need_group && ng == 0) {
        snprintf(err, sizeof(err), "--%s needs --group", action);
        goto bad;
    }
    if (strcmp(action, "reset-offsets") == 0 && check_reset_args(&o, err, sizeof(err)) != 0)
        goto bad;

    rc = 1;
    if (bs_kclient_init(&kc, RD_KAFKA_PRODUCER, PROG, bootstrap, timeout_ms, NULL, &props, NULL) !=
        0)
        goto done;
    if (bs_kclient_metadata(&kc, NULL, &md) != 0)
        goto done;
    if (strcmp(action, "list") == 0) {
        rc = do_list(&kc);
    } else if (strcmp(action, "delete") == 0) {
        rc = do_delete(&kc, groups, ng);
    } else if (strcmp(action, "describe") == 0) {
        if (bs_opts_has(&o, "all-groups")) {
            if (all_group_ids(&kc, &all, &nall) != 0)
                goto done;
            groups = (const char **)all;
            ng = nall;
        }
        rc = 0;
        for (int i = 0; i < ng; i++)
            rc |= describe_one(&kc, groups[i]);
    } else {
        if (!bs_opts_has(&o, "execute") && !bs_opts_has(&o, "dry-run"))
            fprintf(stderr, "WARN: No action will be performed as the --execute option is "
                            "missing. In a future major release, the default behavior of this "
                            "command will be to prompt the user before executing the reset "
                            "rather than doing a dry run. You should add the --dry-run option "
                            "explicitly if you are scripting this command and want to keep the "
                            "current default behavior without prompting.\n");
        rc = 0;
        for (int i = 0; i < ng; i++)
            rc |= reset_one(&kc, &o, groups[i], md);
    }
    goto done;
bad:
    fprintf(stderr, PROG ": %s (see basin groups --help)\n", err);
    rc = 2;
done:
    for (int i = 0; i < nall; i++)
        free(all[i]);
    free(all);
    if (md)
        rd_kafka_metadata_destroy(md);
    bs_kclient_destroy(&kc);
    bs_kvlist_free(&props);
    bs_opts_free(&o);
    return rc;
}
