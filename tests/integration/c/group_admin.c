/*
 * group_admin.c — librdkafka Admin API on consumer groups: list, describe and
 * delete groups; list, alter and delete consumer group offsets.
 *
 *   group_admin BOOTSTRAP
 *
 * Uses two groups: "ga-live" with one running high-level consumer (Stable)
 * and "ga-simple" whose offsets are only written through
 * AlterConsumerGroupOffsets (a simple, Empty group).
 */
#include <stdbool.h>

#include "itest.h"

#define TOPIC "ga3"

static rd_kafka_event_t *wait_event(rd_kafka_queue_t *q, int type, const char *what)
{
    int64_t end = itest_mono_ms() + 20000;
    while (itest_mono_ms() < end) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 200);
        if (!ev)
            continue;
        if (rd_kafka_event_type(ev) == type)
            return ev;
        rd_kafka_event_destroy(ev);
    }
    itest_die("%s: no result within 20 s", what);
}

static rd_kafka_topic_partition_list_t *parts3(int64_t o0, int64_t o1, int64_t o2)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(3);
    rd_kafka_topic_partition_list_add(l, TOPIC, 0)->offset = o0;
    rd_kafka_topic_partition_list_add(l, TOPIC, 1)->offset = o1;
    rd_kafka_topic_partition_list_add(l, TOPIC, 2)->offset = o2;
    return l;
}

/* Lists groups (optionally only those in `state`); returns a bitmask:
 * 1 = ga-live seen, 2 = ga-simple seen; *live_state gets ga-live's state. */
static int list_groups(rd_kafka_t *rk, rd_kafka_queue_t *q, int state, int *live_state)
{
    rd_kafka_AdminOptions_t *o =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    if (state >= 0) {
        rd_kafka_consumer_group_state_t st[1] = {(rd_kafka_consumer_group_state_t)state};
        rd_kafka_error_t *e = rd_kafka_AdminOptions_set_match_consumer_group_states(o, st, 1);
        if (e)
            itest_die("set_match_consumer_group_states: %s", rd_kafka_error_string(e));
    }
    rd_kafka_ListConsumerGroups(rk, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *ev =
        wait_event(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, "ListConsumerGroups");
    const rd_kafka_ListConsumerGroups_result_t *r = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t n = 0;
    const rd_kafka_ConsumerGroupListing_t **gl = rd_kafka_ListConsumerGroups_result_valid(r, &n);
    int mask = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id = rd_kafka_ConsumerGroupListing_group_id(gl[i]);
        if (!strcmp(id, "ga-live")) {
            mask |= 1;
            if (live_state)
                *live_state = rd_kafka_ConsumerGroupListing_state(gl[i]);
        }
        if (!strcmp(id, "ga-simple"))
            mask |= 2;
    }
    rd_kafka_event_destroy(ev);
    return mask;
}

/* Offsets of ga-simple's three partitions into out[]. */
static int list_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q, int64_t out[3])
{
    rd_kafka_ListConsumerGroupOffsets_t *req[1] = {
        rd_kafka_ListConsumerGroupOffsets_new("ga-simple", NULL)};
    rd_kafka_ListConsumerGroupOffsets(rk, req, 1, NULL, q);
    rd_kafka_ListConsumerGroupOffsets_destroy(req[0]);
    rd_kafka_event_t *ev =
        wait_event(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, "ListConsumerGroupOffsets");
    if (rd_kafka_event_error(ev))
        itest_die("ListConsumerGroupOffsets: %s", rd_kafka_event_error_string(ev));
    size_t n = 0;
    const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    out[0] = out[1] = out[2] = -1000;
    int rc = -1;
    if (n == 1 && !rd_kafka_group_result_error(gr[0])) {
        const rd_kafka_topic_partition_list_t *p = rd_kafka_group_result_partitions(gr[0]);
        for (int i = 0; p && i < p->cnt; i++)
            if (!strcmp(p->elems[i].topic, TOPIC) && p->elems[i].partition >= 0 &&
                p->elems[i].partition < 3)
                out[p->elems[i].partition] = p->elems[i].offset;
        rc = 0;
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

static rd_kafka_resp_err_t delete_group(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *g)
{
    rd_kafka_DeleteGroup_t *d[1] = {rd_kafka_DeleteGroup_new(g)};
    rd_kafka_DeleteGroups(rk, d, 1, NULL, q);
    rd_kafka_DeleteGroup_destroy(d[0]);
    rd_kafka_event_t *ev = wait_event(q, RD_KAFKA_EVENT_DELETEGROUPS_RESULT, "DeleteGroups");
    size_t n = 0;
    const rd_kafka_group_result_t **gr =
        rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__FAIL;
    if (n == 1)
        err = rd_kafka_group_result_error(gr[0])
                  ? rd_kafka_error_code(rd_kafka_group_result_error(gr[0]))
                  : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_event_destroy(ev);
    return err;
}

/* Committed offsets of group g: *ndel entries for topic "ga-del", the
 * offset of "ga-keep" partition 0 in *keep (-1000 if absent). Returns -1 if
 * the group could not be listed. */
static int offsets_of(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *g, int *ndel, int64_t *keep)
{
    rd_kafka_ListConsumerGroupOffsets_t *req[1] = {rd_kafka_ListConsumerGroupOffsets_new(g, NULL)};
    rd_kafka_ListConsumerGroupOffsets(rk, req, 1, NULL, q);
    rd_kafka_ListConsumerGroupOffsets_destroy(req[0]);
    rd_kafka_event_t *ev =
        wait_event(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, "ListConsumerGroupOffsets");
    size_t n = 0;
    const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    int rc = -1;
    *ndel = 0;
    *keep = -1000;
    if (!rd_kafka_event_error(ev) && n == 1 && !rd_kafka_group_result_error(gr[0])) {
        const rd_kafka_topic_partition_list_t *p = rd_kafka_group_result_partitions(gr[0]);
        for (int i = 0; p && i < p->cnt; i++) {
            if (!strcmp(p->elems[i].topic, "ga-del") && p->elems[i].offset >= 0)
                (*ndel)++;
            if (!strcmp(p->elems[i].topic, "ga-keep") && p->elems[i].partition == 0)
                *keep = p->elems[i].offset;
        }
        rc = 0;
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

/* True when ListConsumerGroups lists group g. */
static bool group_listed(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *g)
{
    rd_kafka_ListConsumerGroups(rk, NULL, q);
    rd_kafka_event_t *ev =
        wait_event(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, "ListConsumerGroups");
    size_t n = 0;
    const rd_kafka_ConsumerGroupListing_t **gl =
        rd_kafka_ListConsumerGroups_result_valid(rd_kafka_event_ListConsumerGroups_result(ev), &n);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= !strcmp(rd_kafka_ConsumerGroupListing_group_id(gl[i]), g);
    rd_kafka_event_destroy(ev);
    return found;
}

/* After "ga-del" was deleted: ga-mixed keeps only its ga-keep offset and
 * ga-del-only (which had nothing else) is gone. */
static void check_deleted_topic_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *name)
{
    int ndel = -1;
    int64_t keep = -1;
    int rc = offsets_of(rk, q, "ga-mixed", &ndel, &keep);
    bool listed = group_listed(rk, q, "ga-del-only");
    if (rc == 0 && ndel == 0 && keep == 2 && !listed)
        itest_pass(name);
    else
        itest_fail(name,
                   "ga-mixed: list rc %d, %d offset(s) of the deleted topic, ga-keep offset "
                   "%lld (want 0 and 2); ga-del-only still listed: %d",
                   rc, ndel, (long long)keep, (int)listed);
}

static void alter1(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *g,
                   rd_kafka_topic_partition_list_t *l)
{
    rd_kafka_AlterConsumerGroupOffsets_t *alt[1] = {rd_kafka_AlterConsumerGroupOffsets_new(g, l)};
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_AlterConsumerGroupOffsets(rk, alt, 1, NULL, q);
    rd_kafka_AlterConsumerGroupOffsets_destroy(alt[0]);
    rd_kafka_event_destroy(wait_event(q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT,
                                      "AlterConsumerGroupOffsets"));
}

/* Kafka removes the committed offsets of a deleted topic from every group
 * (and an Empty group left without offsets). */
static void deleted_topic_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q)
{
    char err[512];
    const char *topics[2] = {"ga-del", "ga-keep"};
    for (int i = 0; i < 2; i++) {
        rd_kafka_resp_err_t e = itest_create_topic(rk, topics[i], 2, NULL, err, sizeof(err));
        if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            itest_die("create topic %s: %s", topics[i], err);
        if (itest_wait_topic(rk, topics[i], 2, 15000, err, sizeof(err)) < 0)
            itest_die("topic %s: %s", topics[i], err);
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(l, "ga-del", 0)->offset = 3;
    rd_kafka_topic_partition_list_add(l, "ga-del", 1)->offset = 3;
    alter1(rk, q, "ga-del-only", l);
    l = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(l, "ga-del", 0)->offset = 4;
    rd_kafka_topic_partition_list_add(l, "ga-keep", 0)->offset = 2;
    alter1(rk, q, "ga-mixed", l);
    int ndel = 0;
    int64_t keep = 0;
    if (offsets_of(rk, q, "ga-mixed", &ndel, &keep) != 0 || ndel != 1 || keep != 2 ||
        !group_listed(rk, q, "ga-del-only")) {
        itest_fail("group_admin.deleted_topic_offsets", "setup: ga-mixed has %d/%lld", ndel,
                   (long long)keep);
        return;
    }
    rd_kafka_DeleteTopic_t *dt[1] = {rd_kafka_DeleteTopic_new("ga-del")};
    rd_kafka_DeleteTopics(rk, dt, 1, NULL, q);
    rd_kafka_DeleteTopic_destroy(dt[0]);
    rd_kafka_event_t *ev = wait_event(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT, "DeleteTopics");
    size_t n = 0;
    const rd_kafka_topic_result_t **tr =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    bool ok = n == 1 && !rd_kafka_topic_result_error(tr[0]);
    rd_kafka_event_destroy(ev);
    if (!ok) {
        itest_fail("group_admin.deleted_topic_offsets", "DeleteTopics failed");
        return;
    }
    check_deleted_topic_offsets(rk, q, "group_admin.deleted_topic_offsets");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        itest_die("usage: group_admin BOOTSTRAP [check-deleted]");
    const char *bs = argv[1];
    char err[512];
    rd_kafka_t *rk = itest_new(RD_KAFKA_PRODUCER, itest_conf(bs));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    if (argc > 2 && !strcmp(argv[2], "check-deleted")) { /* after a broker restart */
        check_deleted_topic_offsets(rk, q, "group_admin.deleted_topic_offsets_after_restart");
        rd_kafka_queue_destroy(q);
        rd_kafka_destroy(rk);
        return itest_failures ? 1 : 0;
    }
    rd_kafka_resp_err_t e = itest_create_topic(rk, TOPIC, 3, NULL, err, sizeof(err));
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        itest_die("create topic: %s", err);
    if (itest_wait_topic(rk, TOPIC, 3, 15000, err, sizeof(err)) < 0)
        itest_die("topic: %s", err);
    for (int i = 0; i < 30; i++)
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_PARTITION(i % 3),
                          RD_KAFKA_V_VALUE("x", 1), RD_KAFKA_V_END);
    itest_flush(rk, 10000);

    /* a live member in ga-live */
    rd_kafka_conf_t *cc = itest_conf(bs);
    itest_set(cc, "group.id", "ga-live");
    itest_set(cc, "auto.offset.reset", "earliest");
    rd_kafka_t *consumer = itest_new(RD_KAFKA_CONSUMER, cc);
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, TOPIC, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    int got = 0;
    for (int64_t end = itest_mono_ms() + 20000; got < 30 && itest_mono_ms() < end;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 100);
        if (m) {
            got += !m->err;
            rd_kafka_message_destroy(m);
        }
    }
    if (got < 30)
        itest_fail("group_admin.live_member", "consumed %d of 30", got);

    /* AlterConsumerGroupOffsets on a simple group */
    rd_kafka_topic_partition_list_t *l = parts3(5, 7, 9);
    rd_kafka_AlterConsumerGroupOffsets_t *alt[1] = {
        rd_kafka_AlterConsumerGroupOffsets_new("ga-simple", l)};
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_AlterConsumerGroupOffsets(rk, alt, 1, NULL, q);
    rd_kafka_AlterConsumerGroupOffsets_destroy(alt[0]);
    rd_kafka_event_t *ev =
        wait_event(q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, "AlterConsumerGroupOffsets");
    size_t n = 0;
    const rd_kafka_group_result_t **gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    int ok = n == 1 && !rd_kafka_group_result_error(gr[0]);
    const rd_kafka_topic_partition_list_t *rp = ok ? rd_kafka_group_result_partitions(gr[0]) : NULL;
    for (int i = 0; rp && i < rp->cnt; i++)
        ok &= rp->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_event_destroy(ev);
    if (ok)
        itest_pass("group_admin.alter_offsets");
    else
        itest_fail("group_admin.alter_offsets", "AlterConsumerGroupOffsets failed");

    int64_t off[3];
    if (list_offsets(rk, q, off) == 0 && off[0] == 5 && off[1] == 7 && off[2] == 9)
        itest_pass("group_admin.list_offsets");
    else
        itest_fail("group_admin.list_offsets", "got %lld %lld %lld, want 5 7 9", (long long)off[0],
                   (long long)off[1], (long long)off[2]);

    int live_state = -1;
    int mask = list_groups(rk, q, -1, &live_state);
    if (mask == 3 && live_state == RD_KAFKA_CONSUMER_GROUP_STATE_STABLE)
        itest_pass("group_admin.list_groups");
    else
        itest_fail("group_admin.list_groups", "mask %d, ga-live state %d", mask, live_state);
    mask = list_groups(rk, q, RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY, NULL);
    if (mask == 2)
        itest_pass("group_admin.list_groups_state_filter");
    else
        itest_fail("group_admin.list_groups_state_filter", "Empty filter gave mask %d (want 2)",
                   mask);

    /* DescribeConsumerGroups */
    const char *groups[1] = {"ga-live"};
    rd_kafka_DescribeConsumerGroups(rk, groups, 1, NULL, q);
    ev = wait_event(q, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, "DescribeConsumerGroups");
    const rd_kafka_ConsumerGroupDescription_t **gd = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
    if (n == 1 && !rd_kafka_ConsumerGroupDescription_error(gd[0]) &&
        rd_kafka_ConsumerGroupDescription_state(gd[0]) == RD_KAFKA_CONSUMER_GROUP_STATE_STABLE &&
        rd_kafka_ConsumerGroupDescription_member_count(gd[0]) == 1 &&
        !strcmp(rd_kafka_ConsumerGroupDescription_partition_assignor(gd[0]), "range")) {
        const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(gd[0], 0);
        const rd_kafka_topic_partition_list_t *ap =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(md));
        if (ap && ap->cnt == 3 && strlen(rd_kafka_MemberDescription_consumer_id(md)) > 0)
            itest_pass("group_admin.describe_groups");
        else
            itest_fail("group_admin.describe_groups", "member assignment has %d partitions",
                       ap ? ap->cnt : -1);
    } else {
        itest_fail("group_admin.describe_groups", "n=%zu state=%d members=%d", n,
                   n == 1 ? (int)rd_kafka_ConsumerGroupDescription_state(gd[0]) : -1,
                   n == 1 ? (int)rd_kafka_ConsumerGroupDescription_member_count(gd[0]) : -1);
    }
    rd_kafka_event_destroy(ev);

    /* DeleteConsumerGroupOffsets of one partition */
    l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, TOPIC, 0);
    rd_kafka_DeleteConsumerGroupOffsets_t *dco[1] = {
        rd_kafka_DeleteConsumerGroupOffsets_new("ga-simple", l)};
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_DeleteConsumerGroupOffsets(rk, dco, 1, NULL, q);
    rd_kafka_DeleteConsumerGroupOffsets_destroy(dco[0]);
    ev = wait_event(q, RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT,
                    "DeleteConsumerGroupOffsets");
    gr = rd_kafka_DeleteConsumerGroupOffsets_result_groups(
        rd_kafka_event_DeleteConsumerGroupOffsets_result(ev), &n);
    ok = n == 1 && !rd_kafka_group_result_error(gr[0]);
    rd_kafka_event_destroy(ev);
    if (ok && list_offsets(rk, q, off) == 0 && off[0] < 0 && off[1] == 7 && off[2] == 9)
        itest_pass("group_admin.delete_offsets");
    else
        itest_fail("group_admin.delete_offsets", "after delete: %lld %lld %lld", (long long)off[0],
                   (long long)off[1], (long long)off[2]);

    /* DeleteGroups: a group with a member is refused; an empty one goes */
    e = delete_group(rk, q, "ga-live");
    if (e == RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP)
        itest_pass("group_admin.delete_non_empty_refused");
    else
        itest_fail("group_admin.delete_non_empty_refused", "got %s", rd_kafka_err2name(e));
    e = delete_group(rk, q, "ga-simple");
    mask = list_groups(rk, q, -1, NULL);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR && !(mask & 2))
        itest_pass("group_admin.delete_group");
    else
        itest_fail("group_admin.delete_group", "DeleteGroups: %s, still listed: %d",
                   rd_kafka_err2name(e), mask & 2);
    e = delete_group(rk, q, "ga-nonexistent");
    if (e == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND)
        itest_pass("group_admin.delete_unknown");
    else
        itest_fail("group_admin.delete_unknown", "got %s", rd_kafka_err2name(e));

    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    e = delete_group(rk, q, "ga-live");
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        itest_pass("group_admin.delete_after_leave");
    else
        itest_fail("group_admin.delete_after_leave", "got %s", rd_kafka_err2name(e));

    deleted_topic_offsets(rk, q);

    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return itest_failures ? 1 : 0;
}
