/*
 * group.c — the group coordinator's state machine (Kafka's classic group
 * membership protocol) and committed offsets in memory.
 *
 * Every group is in one state; members and metadata are opaque bytes (any
 * protocol type and any client-side assignor works):
 *
 *            join (new member)                   all members rejoined, or
 *   Empty ---------------------> PreparingRebalance ---- rebalance timeout ---+
 *     ^     prepare_rebalance()       ^     |    (join_timer_cb -> complete_join)
 *     |                               |     |                                 |
 *     | complete_join() with          |     +-- no member left: Empty <-------+
 *     | no member left                |                                       v
 *     |                               +---- member joins/leaves/expires -- CompletingRebalance
 *     |                               |     (prepare_rebalance)               |
 *     |                               |                                       | leader's SyncGroup
 *     |                            Stable <-----------------------------------+ (bs_group_sync)
 *     |
 *   Dead: bs_group_delete() / offset expiry of an Empty group (the group is
 *   removed from the map right away; nobody observes Dead for long).
 *
 * Invariants:
 *  - generation increases by one at every completed join (complete_join).
 *  - In CompletingRebalance and Stable every member joined this generation;
 *    the leader (first member to join, kept across generations while it stays)
 *    got every member's metadata for the selected protocol.
 *  - A member with a parked JoinGroup (join_wait) or SyncGroup (sync_wait) is
 *    kept alive by its session timer; every other member must heartbeat
 *    (or commit) within session.timeout.ms (member_session_cb).
 *  - Responses to parked requests are written as soon as the outcome is known
 *    (wait_respond) but the requests are completed from a 0 ms timer
 *    (finish_timer_cb), so no handler runs nested inside another one.
 *  - group.initial.rebalance.delay.ms (KIP-134): a rebalance that starts from
 *    Empty waits that long after the most recent new member joined, but no
 *    longer than the largest rebalance timeout; other rebalances complete as
 *    soon as every member has rejoined or at the rebalance timeout.
 *  - Offsets and group metadata are written to __consumer_offsets before they
 *    are applied (group_store.c), so what a client was told is durable in the
 *    log and replayed at start-up.
 */
#include "broker/group.h"

#include "base/log.h"
#include "proto/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

enum { BS_ERR_GROUP_SUBSCRIBED_TO_TOPIC_ = 86 };

static const char *state_names[] = {"Empty", "PreparingRebalance", "CompletingRebalance", "Stable",
                                    "Dead"};

const char *bs_group_state_name(bs_group_state_t s)
{
    return (unsigned)s <= BS_GROUP_DEAD ? state_names[s] : "Unknown";
}

int bs_group_state_parse(const char *s, size_t len)
{
    for (int i = 0; i <= BS_GROUP_DEAD; i++)
        if (strlen(state_names[i]) == len && strncasecmp(state_names[i], s, len) == 0)
            return i;
    return -1;
}

void bs_group_set_str(char **dst, const char *s, size_t len)
{
    free(*dst);
    *dst = NULL;
    if (s) {
        *dst = bs_xmalloc(len + 1);
        memcpy(*dst, s, len);
        (*dst)[len] = '\0';
    }
}

static void set_cstr(char **dst, const char *s)
{
    bs_group_set_str(dst, s, s ? strlen(s) : 0);
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static void set_state(bs_group_t *g, bs_group_state_t s)
{
    if (g->state != s)
        bs_log_debug("group", "group %s: %s -> %s (generation %d)", g->id,
                     bs_group_state_name(g->state), bs_group_state_name(s), g->generation);
    g->state = s;
    g->state_ts = bs_wall_ms();
}

/* ---- finishing parked requests ---- */

static void finish_timer_cb(bs_loop_t *loop, bs_timer_t *t)
{
    bs_gcoord_t *co = t->ctx;
    (void)loop;
    while (co->finish_head) {
        bs_gwait_t *w = co->finish_head;
        co->finish_head = w->next;
        if (!co->finish_head)
            co->finish_tail = NULL;
        w->next = NULL;
        if (w->finish_cb)
            w->finish_cb(w); /* may run the connection's next request */
    }
}

/* Writes the response of a parked request now; completes it from a timer. */
static void wait_respond(bs_group_t *g, bs_gwait_t *w, bs_gmember_t *m, int16_t error)
{
    bs_gcoord_t *co = g->co;
    w->respond_cb(w, g, error ? NULL : m, error);
    w->next = NULL;
    if (co->finish_tail)
        co->finish_tail->next = w;
    else
        co->finish_head = w;
    co->finish_tail = w;
    bs_loop_timer_arm(co->b->loop, &co->finish_timer, 0);
}

/* ---- groups and members ---- */

/* A group id is kept as a C string (g->id), and bs_group_remove() deletes
 * the map entry by strlen(g->id): the map key must be that same prefix, so
 * an id with an embedded NUL byte (legal on the wire) is looked up and
 * created by its part before the NUL. Otherwise the entry would outlive the
 * freed group. */
bs_group_t *bs_group_find(bs_gcoord_t *co, const char *id, size_t len)
{
    return bs_hmap_get(&co->groups, id, id ? strnlen(id, len) : 0);
}

static void join_timer_cb(bs_loop_t *loop, bs_timer_t *t);

bs_group_t *bs_group_get_or_create(bs_gcoord_t *co, const char *id, size_t len)
{
    bs_group_t *g = bs_group_find(co, id, len);
    if (g)
        return g;
    len = id ? strnlen(id, len) : 0; /* see bs_group_find */
    g = bs_xcalloc(1, sizeof(*g));
    g->co = co;
    bs_group_set_str(&g->id, id, len);
    g->state = BS_GROUP_EMPTY;
    g->state_ts = bs_wall_ms();
    bs_hmap_init(&g->offsets);
    bs_timer_init(&g->join_timer, join_timer_cb, g);
    bs_hmap_put(&co->groups, g->id, len, g);
    return g;
}

static bs_gmember_t *member_find(bs_group_t *g, const char *id)
{
    for (int i = 0; i < g->nmembers; i++)
        if (strcmp(g->members[i]->id, id) == 0)
            return g->members[i];
    return NULL;
}

static bs_gmember_t *member_find_instance(bs_group_t *g, const char *iid)
{
    if (!iid)
        return NULL;
    for (int i = 0; i < g->nmembers; i++)
        if (g->members[i]->instance_id && strcmp(g->members[i]->instance_id, iid) == 0)
            return g->members[i];
    return NULL;
}

static void member_session_cb(bs_loop_t *loop, bs_timer_t *t);

bs_gmember_t *bs_group_member_add(bs_group_t *g, const char *id)
{
    bs_gmember_t *m = bs_xcalloc(1, sizeof(*m));
    m->g = g;
    set_cstr(&m->id, id);
    bs_timer_init(&m->session_timer, member_session_cb, m);
    if (g->nmembers == g->capmembers) {
        g->capmembers = g->capmembers ? g->capmembers * 2 : 8;
        g->members = bs_xrealloc(g->members, sizeof(*g->members) * (size_t)g->capmembers);
    }
    g->members[g->nmembers++] = m;
    return m;
}

static void free_protos(bs_gmember_t *m)
{
    for (int i = 0; i < m->nprotos; i++) {
        free(m->protos[i].name);
        free(m->protos[i].meta);
    }
    free(m->protos);
    m->protos = NULL;
    m->nprotos = 0;
}

static void member_free(bs_gmember_t *m)
{
    bs_loop_timer_cancel(m->g->co->b->loop, &m->session_timer);
    free_protos(m);
    free(m->id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m->protocol_type);
    free(m->assignment);
    free(m);
}

/* Unlinks m from the members array (no state change). */
static void member_unlink(bs_group_t *g, bs_gmember_t *m)
{
    for (int i = 0; i < g->nmembers; i++)
        if (g->members[i] == m) {
            memmove(&g->members[i], &g->members[i + 1],
                    sizeof(*g->members) * (size_t)(g->nmembers - i - 1));
            g->nmembers--;
            break;
        }
    if (g->leader && strcmp(g->leader, m->id) == 0) {
        free(g->leader);
        g->leader = NULL;
    }
}

void bs_group_clear_members(bs_group_t *g)
{
    while (g->nmembers > 0) {
        bs_gmember_t *m = g->members[g->nmembers - 1];
        member_unlink(g, m);
        member_free(m);
    }
}

static void member_touch(bs_gmember_t *m)
{
    bs_loop_timer_arm(m->g->co->b->loop, &m->session_timer,
                      m->session_timeout_ms > 0 ? m->session_timeout_ms : 10000);
}

static void set_assignment(bs_gmember_t *m, const uint8_t *p, int32_t len)
{
    free(m->assignment);
    m->assignment = NULL;
    m->assignment_len = 0;
    if (p && len > 0) {
        m->assignment = bs_xmalloc((size_t)len);
        memcpy(m->assignment, p, (size_t)len);
        m->assignment_len = len;
    }
}

static void member_update(bs_gmember_t *m, const bs_gjoin_args_t *a)
{
    free_protos(m);
    m->protos = bs_xcalloc((size_t)(a->nprotos > 0 ? a->nprotos : 1), sizeof(*m->protos));
    for (int i = 0; i < a->nprotos; i++) {
        set_cstr(&m->protos[i].name, a->protos[i].name);
        if (a->protos[i].len > 0) {
            m->protos[i].meta = bs_xmalloc((size_t)a->protos[i].len);
            memcpy(m->protos[i].meta, a->protos[i].meta, (size_t)a->protos[i].len);
            m->protos[i].len = a->protos[i].len;
        }
    }
    m->nprotos = a->nprotos;
    m->session_timeout_ms = a->session_timeout_ms;
    m->rebalance_timeout_ms =
        a->rebalance_timeout_ms > 0 ? a->rebalance_timeout_ms : a->session_timeout_ms;
    set_cstr(&m->client_id, a->client_id ? a->client_id : "");
    set_cstr(&m->client_host, a->client_host ? a->client_host : "");
    set_cstr(&m->protocol_type, a->protocol_type);
    if (a->instance_id)
        set_cstr(&m->instance_id, a->instance_id);
}

static bool member_matches(const bs_gmember_t *m, const bs_gjoin_args_t *a)
{
    if (m->nprotos != a->nprotos)
        return false;
    for (int i = 0; i < a->nprotos; i++)
        if (strcmp(m->protos[i].name, a->protos[i].name) != 0 ||
            m->protos[i].len != a->protos[i].len ||
            (a->protos[i].len > 0 &&
             memcmp(m->protos[i].meta, a->protos[i].meta, (size_t)a->protos[i].len) != 0))
            return false;
    return true;
}

static bool member_supports(const bs_gmember_t *m, const char *proto)
{
    for (int i = 0; i < m->nprotos; i++)
        if (strcmp(m->protos[i].name, proto) == 0)
            return true;
    return false;
}

/* Kafka's protocol vote: among the protocols every member supports, each
 * member votes for the first one in its own preference order; most votes wins
 * (ties: the earlier one in the first member's list). */
static const char *select_protocol(bs_group_t *g)
{
    const char *best = NULL;
    int best_votes = -1;
    if (g->nmembers == 0)
        return NULL;
    bs_gmember_t *first = g->members[0];
    for (int i = 0; i < first->nprotos; i++) {
        const char *cand = first->protos[i].name;
        bool all = true;
        for (int j = 1; j < g->nmembers && all; j++)
            all = member_supports(g->members[j], cand);
        if (!all)
            continue;
        int votes = 0;
        for (int j = 0; j < g->nmembers; j++) {
            bs_gmember_t *m = g->members[j];
            for (int k = 0; k < m->nprotos; k++) {
                bool kall = true;
                for (int x = 0; x < g->nmembers && kall; x++)
                    kall = member_supports(g->members[x], m->protos[k].name);
                if (kall) { /* m's first acceptable protocol */
                    if (strcmp(m->protos[k].name, cand) == 0)
                        votes++;
                    break;
                }
            }
        }
        if (votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best;
}

/* Kafka's consistency check on JoinGroup: a new group needs a protocol type
 * and at least one protocol; otherwise the type must match and the member
 * must share at least one protocol with every other member. */
static bool protocols_ok(bs_group_t *g, const bs_gjoin_args_t *a, const bs_gmember_t *self)
{
    if (!a->protocol_type || !a->protocol_type[0] || a->nprotos <= 0)
        return false;
    int others = 0;
    for (int i = 0; i < g->nmembers; i++)
        others += g->members[i] != self;
    if (others == 0)
        return true;
    if (!str_eq(g->protocol_type, a->protocol_type))
        return false;
    for (int p = 0; p < a->nprotos; p++) {
        bool all = true;
        for (int i = 0; i < g->nmembers && all; i++)
            if (g->members[i] != self)
                all = member_supports(g->members[i], a->protos[p].name);
        if (all)
            return true;
    }
    return false;
}

static int32_t max_rebalance_timeout(bs_group_t *g)
{
    int32_t t = 0;
    for (int i = 0; i < g->nmembers; i++)
        if (g->members[i]->rebalance_timeout_ms > t)
            t = g->members[i]->rebalance_timeout_ms;
    return t > 0 ? t : 60000;
}

static void pending_expire(bs_group_t *g)
{
    int64_t now = bs_mono_ms();
    for (int i = 0; i < g->npending;) {
        if (g->pending[i].expires_ms <= now) {
            free(g->pending[i].id);
            g->pending[i] = g->pending[--g->npending];
        } else {
            i++;
        }
    }
}

static int pending_find(bs_group_t *g, const char *id)
{
    pending_expire(g);
    for (int i = 0; i < g->npending; i++)
        if (strcmp(g->pending[i].id, id) == 0)
            return i;
    return -1;
}

static void pending_add(bs_group_t *g, const char *id, int32_t timeout_ms)
{
    pending_expire(g);
    if (g->npending == g->cappending) {
        g->cappending = g->cappending ? g->cappending * 2 : 4;
        g->pending = bs_xrealloc(g->pending, sizeof(*g->pending) * (size_t)g->cappending);
    }
    g->pending[g->npending].id = bs_xstrdup(id);
    g->pending[g->npending].expires_ms = bs_mono_ms() + (timeout_ms > 0 ? timeout_ms : 10000);
    g->npending++;
}

static void pending_del(bs_group_t *g, int i)
{
    free(g->pending[i].id);
    g->pending[i] = g->pending[--g->npending];
}

static bool all_joined(bs_group_t *g)
{
    pending_expire(g);
    if (g->npending > 0)
        return false;
    for (int i = 0; i < g->nmembers; i++)
        if (!g->members[i]->join_wait)
            return false;
    return true;
}

/* In PreparingRebalance outside the initial delay: complete the join (from a
 * 0 ms timer) once every member has rejoined. */
static void maybe_complete_join(bs_group_t *g)
{
    if (g->state == BS_GROUP_PREPARING_REBALANCE && !g->initial_phase && all_joined(g))
        bs_loop_timer_arm(g->co->b->loop, &g->join_timer, 0);
}

static void prepare_rebalance(bs_group_t *g, const char *why)
{
    bs_gcoord_t *co = g->co;
    const bs_broker_config_t *cfg = co->b->cfg;
    if (g->state == BS_GROUP_PREPARING_REBALANCE || g->state == BS_GROUP_DEAD)
        return;
    if (g->state == BS_GROUP_COMPLETING_REBALANCE) {
        /* members waiting for assignments of the aborted generation rejoin */
        for (int i = 0; i < g->nmembers; i++) {
            bs_gmember_t *m = g->members[i];
            set_assignment(m, NULL, 0);
            if (m->sync_wait) {
                bs_gwait_t *w = m->sync_wait;
                m->sync_wait = NULL;
                wait_respond(g, w, m, BS_ERR_REBALANCE_IN_PROGRESS);
            }
        }
    }
    bool from_empty = g->state == BS_GROUP_EMPTY;
    co->rebalances++;
    bs_log_info("group", "group %s: preparing rebalance (generation %d, %d member(s)): %s", g->id,
                g->generation, g->nmembers, why);
    set_state(g, BS_GROUP_PREPARING_REBALANCE);
    int32_t rt = max_rebalance_timeout(g);
    int32_t delay = cfg->group_initial_rebalance_delay_ms;
    if (from_empty && delay > 0) {
        g->initial_phase = true;
        g->join_phase_end_ms = bs_mono_ms() + (rt > delay ? rt : delay);
        bs_loop_timer_arm(co->b->loop, &g->join_timer, delay);
    } else {
        g->initial_phase = false;
        bs_loop_timer_arm(co->b->loop, &g->join_timer, rt);
        maybe_complete_join(g);
    }
}

/* Removes a member that left, expired or was fenced, then moves the group on. */
static void remove_member(bs_group_t *g, bs_gmember_t *m, const char *why)
{
    bs_log_info("group", "group %s: member %s%s%s removed (%s)", g->id, m->id,
                m->instance_id ? " instance " : "", m->instance_id ? m->instance_id : "", why);
    if (m->join_wait) {
        bs_gwait_t *w = m->join_wait;
        m->join_wait = NULL;
        wait_respond(g, w, NULL, BS_ERR_UNKNOWN_MEMBER_ID);
    }
    if (m->sync_wait) {
        bs_gwait_t *w = m->sync_wait;
        m->sync_wait = NULL;
        wait_respond(g, w, NULL, BS_ERR_UNKNOWN_MEMBER_ID);
    }
    member_unlink(g, m);
    member_free(m);
    switch (g->state) {
    case BS_GROUP_STABLE:
    case BS_GROUP_COMPLETING_REBALANCE:
        prepare_rebalance(g, why);
        break;
    case BS_GROUP_PREPARING_REBALANCE:
        maybe_complete_join(g);
        break;
    default:
        break;
    }
}

static void member_session_cb(bs_loop_t *loop, bs_timer_t *t)
{
    bs_gmember_t *m = t->ctx;
    (void)loop;
    if (m->join_wait || m->sync_wait) {
        member_touch(m); /* a parked request keeps the member alive */
        return;
    }
    char why[96];
    snprintf(why, sizeof(why), "no heartbeat within session.timeout.ms=%d", m->session_timeout_ms);
    remove_member(m->g, m, why);
}

static void complete_join(bs_group_t *g)
{
    bs_gcoord_t *co = g->co;
    bs_loop_timer_cancel(co->b->loop, &g->join_timer);
    g->initial_phase = false;
    /* members that did not rejoin within the rebalance timeout are dropped */
    for (int i = g->nmembers - 1; i >= 0; i--) {
        bs_gmember_t *m = g->members[i];
        if (!m->join_wait) {
            bs_log_info("group",
                        "group %s: member %s did not rejoin within the rebalance "
                        "timeout; removed",
                        g->id, m->id);
            member_unlink(g, m);
            member_free(m);
        }
    }
    g->generation++;
    if (g->nmembers == 0) {
        free(g->protocol);
        g->protocol = NULL;
        free(g->leader);
        g->leader = NULL;
        set_state(g, BS_GROUP_EMPTY);
        bs_log_info("group", "group %s is empty (generation %d)", g->id, g->generation);
        bs_gstore_put_group(co, g, false);
        return;
    }
    const char *proto = select_protocol(g);
    set_cstr(&g->protocol, proto ? proto : g->members[0]->protos[0].name);
    set_cstr(&g->protocol_type, g->members[0]->protocol_type);
    if (!g->leader)
        set_cstr(&g->leader, g->members[0]->id);
    set_state(g, BS_GROUP_COMPLETING_REBALANCE);
    bs_log_info("group", "group %s: generation %d with %d member(s), protocol %s, leader %s", g->id,
                g->generation, g->nmembers, g->protocol, g->leader);
    for (int i = 0; i < g->nmembers; i++) {
        bs_gmember_t *m = g->members[i];
        bs_gwait_t *w = m->join_wait;
        m->join_wait = NULL;
        set_assignment(m, NULL, 0);
        member_touch(m);
        wait_respond(g, w, m, 0);
    }
}

/* Rebalance timeout, end of the initial delay (re-armed by add_and_rebalance
 * while new members arrive), or every member has rejoined (0 ms). */
static void join_timer_cb(bs_loop_t *loop, bs_timer_t *t)
{
    bs_group_t *g = t->ctx;
    (void)loop;
    if (g->state == BS_GROUP_PREPARING_REBALANCE)
        complete_join(g);
}

/* ---- JoinGroup ---- */

static void gen_member_id(bs_gcoord_t *co, const char *client_id, char *out)
{
    uint8_t r[16];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        uint64_t x = ++co->id_seq ^ (uint64_t)bs_wall_ms() * 0x9E3779B97F4A7C15ull;
        for (int i = 0; i < 16; i++)
            r[i] = (uint8_t)(x >> (8 * (i & 7))) ^ (uint8_t)i;
    }
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    snprintf(out, 256, "%.*s-%.8s-%.4s-%.4s-%.4s-%.12s", 180, client_id ? client_id : "", hex,
             hex + 8, hex + 12, hex + 16, hex + 20);
}

static bs_err_t add_and_rebalance(bs_group_t *g, bs_gmember_t *m, bs_gwait_t *w, const char *why)
{
    m->join_wait = w;
    member_touch(m);
    if (g->state == BS_GROUP_PREPARING_REBALANCE) {
        if (g->initial_phase) {
            /* KIP-134: a new member restarts the delay, up to the hard cap */
            int64_t now = bs_mono_ms();
            int64_t due = now + g->co->b->cfg->group_initial_rebalance_delay_ms;
            if (due > g->join_phase_end_ms)
                due = g->join_phase_end_ms;
            bs_loop_timer_arm(g->co->b->loop, &g->join_timer, due > now ? due - now : 0);
        } else {
            maybe_complete_join(g);
        }
    } else {
        prepare_rebalance(g, why);
    }
    return BS_ERR__PENDING;
}

static bs_err_t join_static_rejoin(bs_group_t *g, bs_gmember_t *old, const bs_gjoin_args_t *a,
                                   bs_gwait_t *w, bs_gmember_t **immediate, char *new_id)
{
    bs_log_info("group", "group %s: static member %s rejoins: member id %s replaces %s", g->id,
                a->instance_id, new_id, old->id);
    if (old->join_wait) {
        bs_gwait_t *ow = old->join_wait;
        old->join_wait = NULL;
        wait_respond(g, ow, NULL, BS_ERR_FENCED_INSTANCE_ID);
    }
    if (old->sync_wait) {
        bs_gwait_t *ow = old->sync_wait;
        old->sync_wait = NULL;
        wait_respond(g, ow, NULL, BS_ERR_FENCED_INSTANCE_ID);
    }
    bool was_leader = g->leader && strcmp(g->leader, old->id) == 0;
    bool same = member_matches(old, a);
    set_cstr(&old->id, new_id);
    if (was_leader)
        set_cstr(&g->leader, new_id);
    member_update(old, a);
    switch (g->state) {
    case BS_GROUP_STABLE:
        if (same) {
            member_touch(old);
            bs_gstore_put_group(g->co, g, false);
            *immediate = old;
            return BS_ERR_NONE;
        }
        return add_and_rebalance(g, old, w, "static member rejoined with new metadata");
    case BS_GROUP_COMPLETING_REBALANCE:
    case BS_GROUP_PREPARING_REBALANCE:
        return add_and_rebalance(g, old, w, "static member rejoined");
    default:
        return BS_ERR_UNKNOWN_MEMBER_ID;
    }
}

bs_err_t bs_group_join(bs_gcoord_t *co, const bs_gjoin_args_t *a, bs_gwait_t *w,
                       bs_gmember_t **immediate, char *new_member_id)
{
    const bs_broker_config_t *cfg = co->b->cfg;
    *immediate = NULL;
    new_member_id[0] = '\0';
    if (!a->group_id || !a->group_id[0])
        return BS_ERR_INVALID_GROUP_ID;
    if (a->session_timeout_ms < cfg->group_min_session_timeout_ms ||
        a->session_timeout_ms > cfg->group_max_session_timeout_ms)
        return BS_ERR_INVALID_SESSION_TIMEOUT;
    bool known = a->member_id && a->member_id[0];
    bs_group_t *g = bs_group_find(co, a->group_id, strlen(a->group_id));
    if (!g) {
        if (known)
            return BS_ERR_UNKNOWN_MEMBER_ID;
        if (!protocols_ok(&(bs_group_t){0}, a, NULL))
            return BS_ERR_INCONSISTENT_GROUP_PROTOCOL;
        g = bs_group_get_or_create(co, a->group_id, strlen(a->group_id));
    }
    if (g->state == BS_GROUP_DEAD)
        return BS_ERR_COORDINATOR_NOT_AVAILABLE;

    if (!known) {
        bs_gmember_t *old = member_find_instance(g, a->instance_id);
        if (!protocols_ok(g, a, old))
            return BS_ERR_INCONSISTENT_GROUP_PROTOCOL;
        gen_member_id(co, a->client_id, new_member_id);
        if (old)
            return join_static_rejoin(g, old, a, w, immediate, new_member_id);
        if (cfg->group_max_size > 0 && g->nmembers >= cfg->group_max_size)
            return BS_ERR_GROUP_MAX_SIZE_REACHED;
        if (a->require_known_member && !a->instance_id) {
            /* KIP-394: the client must come back with this id */
            pending_add(g, new_member_id, a->session_timeout_ms);
            return BS_ERR_MEMBER_ID_REQUIRED;
        }
        if (g->nmembers == 0)
            set_cstr(&g->protocol_type, a->protocol_type);
        bs_gmember_t *m = bs_group_member_add(g, new_member_id);
        member_update(m, a);
        return add_and_rebalance(g, m, w, "new member joined");
    }

    int pi = pending_find(g, a->member_id);
    if (pi >= 0) {
        if (!protocols_ok(g, a, NULL))
            return BS_ERR_INCONSISTENT_GROUP_PROTOCOL;
        if (cfg->group_max_size > 0 && g->nmembers >= cfg->group_max_size) {
            pending_del(g, pi);
            return BS_ERR_GROUP_MAX_SIZE_REACHED;
        }
        pending_del(g, pi);
        if (g->nmembers == 0)
            set_cstr(&g->protocol_type, a->protocol_type);
        bs_gmember_t *m = bs_group_member_add(g, a->member_id);
        member_update(m, a);
        return add_and_rebalance(g, m, w, "new member joined");
    }
    bs_gmember_t *m = member_find(g, a->member_id);
    if (a->instance_id) {
        bs_gmember_t *im = member_find_instance(g, a->instance_id);
        if (im && im != m)
            return BS_ERR_FENCED_INSTANCE_ID;
    }
    if (!m)
        return BS_ERR_UNKNOWN_MEMBER_ID;
    if (!protocols_ok(g, a, m))
        return BS_ERR_INCONSISTENT_GROUP_PROTOCOL;
    if (m->join_wait) { /* a second JoinGroup from another connection replaces the first */
        bs_gwait_t *ow = m->join_wait;
        m->join_wait = NULL;
        wait_respond(g, ow, NULL, BS_ERR_REBALANCE_IN_PROGRESS);
    }
    switch (g->state) {
    case BS_GROUP_PREPARING_REBALANCE:
        member_update(m, a);
        m->join_wait = w;
        member_touch(m);
        maybe_complete_join(g);
        return BS_ERR__PENDING;
    case BS_GROUP_COMPLETING_REBALANCE:
        if (member_matches(m, a)) { /* lost its JoinGroup response: same answer */
            member_touch(m);
            *immediate = m;
            return BS_ERR_NONE;
        }
        member_update(m, a);
        return add_and_rebalance(g, m, w, "member rejoined with new metadata");
    case BS_GROUP_STABLE:
        if ((g->leader && strcmp(g->leader, m->id) == 0) || !member_matches(m, a)) {
            member_update(m, a);
            return add_and_rebalance(g, m, w,
                                     g->leader && strcmp(g->leader, m->id) == 0
                                         ? "leader rejoined"
                                         : "member rejoined with new metadata");
        }
        member_touch(m);
        *immediate = m;
        return BS_ERR_NONE;
    default:
        return BS_ERR_UNKNOWN_MEMBER_ID;
    }
}

/* ---- SyncGroup, Heartbeat, LeaveGroup ---- */

/* Finds the member a request speaks for; error code or 0. */
static int16_t lookup_member(bs_group_t *g, const char *member_id, const char *instance_id,
                             bs_gmember_t **out)
{
    *out = NULL;
    if (!g)
        return BS_ERR_UNKNOWN_MEMBER_ID;
    if (g->state == BS_GROUP_DEAD)
        return BS_ERR_COORDINATOR_NOT_AVAILABLE;
    if (instance_id) {
        bs_gmember_t *im = member_find_instance(g, instance_id);
        if (im && strcmp(im->id, member_id) != 0)
            return BS_ERR_FENCED_INSTANCE_ID;
    }
    bs_gmember_t *m = member_find(g, member_id);
    if (!m)
        return BS_ERR_UNKNOWN_MEMBER_ID;
    *out = m;
    return 0;
}

bs_err_t bs_group_sync(bs_gcoord_t *co, const char *group_id, int32_t generation,
                       const char *member_id, const char *instance_id, const bs_gassign_t *assign,
                       int nassign, bs_gwait_t *w, bs_gmember_t **immediate)
{
    *immediate = NULL;
    bs_group_t *g = bs_group_find(co, group_id, strlen(group_id));
    bs_gmember_t *m;
    int16_t err = lookup_member(g, member_id, instance_id, &m);
    if (err)
        return err;
    if (generation != g->generation)
        return BS_ERR_ILLEGAL_GENERATION;
    switch (g->state) {
    case BS_GROUP_PREPARING_REBALANCE:
        return BS_ERR_REBALANCE_IN_PROGRESS;
    case BS_GROUP_STABLE:
        member_touch(m);
        *immediate = m;
        return BS_ERR_NONE;
    case BS_GROUP_COMPLETING_REBALANCE:
        break;
    default:
        return BS_ERR_UNKNOWN_MEMBER_ID;
    }
    member_touch(m);
    if (m->sync_wait) {
        bs_gwait_t *ow = m->sync_wait;
        m->sync_wait = NULL;
        wait_respond(g, ow, NULL, BS_ERR_REBALANCE_IN_PROGRESS);
    }
    if (!g->leader || strcmp(g->leader, m->id) != 0) {
        m->sync_wait = w;
        return BS_ERR__PENDING;
    }
    /* the leader's assignments: members it left out get an empty one */
    for (int i = 0; i < g->nmembers; i++)
        set_assignment(g->members[i], NULL, 0);
    for (int i = 0; i < nassign; i++) {
        bs_gmember_t *am = member_find(g, assign[i].member_id);
        if (am)
            set_assignment(am, assign[i].data, assign[i].len);
    }
    if (bs_gstore_put_group(co, g, false) != BS_ERR_NONE) {
        /* Kafka: a failed store resets the assignments and fails every sync */
        for (int i = 0; i < g->nmembers; i++) {
            bs_gmember_t *x = g->members[i];
            set_assignment(x, NULL, 0);
            if (x->sync_wait) {
                bs_gwait_t *ow = x->sync_wait;
                x->sync_wait = NULL;
                wait_respond(g, ow, NULL, BS_ERR_COORDINATOR_NOT_AVAILABLE);
            }
        }
        prepare_rebalance(g, "storing the group metadata failed");
        return BS_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    set_state(g, BS_GROUP_STABLE);
    bs_log_info("group", "group %s is stable: generation %d, %d member(s)", g->id, g->generation,
                g->nmembers);
    for (int i = 0; i < g->nmembers; i++) {
        bs_gmember_t *x = g->members[i];
        if (x->sync_wait) {
            bs_gwait_t *ow = x->sync_wait;
            x->sync_wait = NULL;
            wait_respond(g, ow, x, 0);
        }
    }
    *immediate = m;
    return BS_ERR_NONE;
}

int16_t bs_group_heartbeat(bs_gcoord_t *co, const char *group_id, int32_t generation,
                           const char *member_id, const char *instance_id)
{
    bs_group_t *g = bs_group_find(co, group_id, strlen(group_id));
    bs_gmember_t *m;
    int16_t err = lookup_member(g, member_id, instance_id, &m);
    if (err)
        return err;
    if (generation != g->generation)
        return BS_ERR_ILLEGAL_GENERATION;
    switch (g->state) {
    case BS_GROUP_EMPTY:
        return BS_ERR_UNKNOWN_MEMBER_ID;
    case BS_GROUP_PREPARING_REBALANCE:
        member_touch(m);
        return BS_ERR_REBALANCE_IN_PROGRESS; /* the member must rejoin */
    default:
        member_touch(m);
        return 0;
    }
}

int16_t bs_group_leave(bs_gcoord_t *co, const char *group_id, const char *member_id,
                       const char *instance_id)
{
    bs_group_t *g = bs_group_find(co, group_id, strlen(group_id));
    if (!g)
        return BS_ERR_UNKNOWN_MEMBER_ID;
    if (g->state == BS_GROUP_DEAD)
        return BS_ERR_COORDINATOR_NOT_AVAILABLE;
    bs_gmember_t *m;
    if (instance_id) {
        m = member_find_instance(g, instance_id);
        if (!m)
            return BS_ERR_UNKNOWN_MEMBER_ID;
        if (member_id && member_id[0] && strcmp(m->id, member_id) != 0)
            return BS_ERR_FENCED_INSTANCE_ID;
    } else {
        int pi = pending_find(g, member_id);
        if (pi >= 0) {
            pending_del(g, pi);
            return 0;
        }
        m = member_find(g, member_id);
        if (!m)
            return BS_ERR_UNKNOWN_MEMBER_ID;
    }
    remove_member(g, m, "left the group");
    return 0;
}

/* ---- offsets ---- */

static size_t offset_key(char *buf, size_t cap, const char *topic, size_t tlen, int32_t part)
{
    if (tlen + 5 > cap)
        tlen = cap - 5;
    memcpy(buf, topic, tlen);
    buf[tlen] = '\0';
    uint32_t p = (uint32_t)part;
    buf[tlen + 1] = (char)(p >> 24);
    buf[tlen + 2] = (char)(p >> 16);
    buf[tlen + 3] = (char)(p >> 8);
    buf[tlen + 4] = (char)p;
    return tlen + 5;
}

const bs_goffset_t *bs_group_offset(bs_group_t *g, const char *topic, size_t tlen,
                                    int32_t partition)
{
    char k[512];
    size_t kl = offset_key(k, sizeof(k), topic, tlen, partition);
    return bs_hmap_get(&g->offsets, k, kl);
}

static void offset_free(bs_goffset_t *o)
{
    if (!o)
        return;
    free(o->topic);
    free(o->metadata);
    free(o);
}

void bs_group_offset_set(bs_group_t *g, const char *topic, size_t tlen, int32_t partition,
                         int64_t offset, int32_t epoch, const char *meta, size_t mlen, int64_t ts)
{
    char k[512];
    size_t kl = offset_key(k, sizeof(k), topic, tlen, partition);
    bs_goffset_t *o = bs_hmap_get(&g->offsets, k, kl);
    if (!o) {
        o = bs_xcalloc(1, sizeof(*o));
        bs_group_set_str(&o->topic, topic, tlen);
        o->partition = partition;
        bs_hmap_put(&g->offsets, k, kl, o);
    }
    o->offset = offset;
    o->leader_epoch = epoch;
    bs_group_set_str(&o->metadata, meta ? meta : "", meta ? mlen : 0);
    o->commit_ts = ts;
}

void bs_group_offset_del(bs_group_t *g, const char *topic, size_t tlen, int32_t partition)
{
    char k[512];
    size_t kl = offset_key(k, sizeof(k), topic, tlen, partition);
    offset_free(bs_hmap_del(&g->offsets, k, kl));
}

int16_t bs_group_commit_check(bs_gcoord_t *co, const char *group_id, int32_t generation,
                              const char *member_id, const char *instance_id, bs_group_t **out)
{
    *out = NULL;
    if (!group_id || !group_id[0])
        return BS_ERR_INVALID_GROUP_ID;
    bs_group_t *g = bs_group_find(co, group_id, strlen(group_id));
    bool simple = generation < 0 && (!member_id || !member_id[0]) && !instance_id;
    if (!g) {
        if (!simple && generation >= 0)
            return BS_ERR_ILLEGAL_GENERATION;
        if (!simple)
            return BS_ERR_UNKNOWN_MEMBER_ID;
        /* not managed by the coordinator: commits of manually assigned consumers */
        g = bs_group_get_or_create(co, group_id, strlen(group_id));
        *out = g;
        return 0;
    }
    if (g->state == BS_GROUP_DEAD)
        return BS_ERR_COORDINATOR_NOT_AVAILABLE;
    if (simple) {
        if (g->state != BS_GROUP_EMPTY)
            return BS_ERR_UNKNOWN_MEMBER_ID;
        *out = g;
        return 0;
    }
    bs_gmember_t *m;
    int16_t err = lookup_member(g, member_id ? member_id : "", instance_id, &m);
    if (err)
        return err;
    if (generation != g->generation)
        return BS_ERR_ILLEGAL_GENERATION;
    if (g->state == BS_GROUP_COMPLETING_REBALANCE)
        return BS_ERR_REBALANCE_IN_PROGRESS;
    member_touch(m);
    *out = g;
    return 0;
}

int16_t bs_group_commit(bs_gcoord_t *co, bs_group_t *g, bs_gcommit_t *c, int n)
{
    int64_t now = bs_wall_ms();
    int cnt = 0;
    bs_goffset_t *tmp = bs_xcalloc((size_t)(n > 0 ? n : 1), sizeof(*tmp));
    const bs_goffset_t **ptrs = bs_xcalloc((size_t)(n > 0 ? n : 1), sizeof(*ptrs));
    bool *tomb = bs_xcalloc((size_t)(n > 0 ? n : 1), sizeof(*tomb));
    int16_t rc = 0;
    for (int i = 0; i < n; i++) {
        if (c[i].error)
            continue;
        bs_goffset_t *o = &tmp[cnt];
        o->topic = (char *)c[i].topic;
        o->partition = c[i].partition;
        o->offset = c[i].offset;
        o->leader_epoch = c[i].leader_epoch;
        o->metadata = (char *)(c[i].metadata ? c[i].metadata : "");
        o->commit_ts = now;
        ptrs[cnt++] = o;
    }
    if (cnt > 0) {
        bs_err_t err = bs_gstore_put_offsets(co, g->id, ptrs, tomb, cnt);
        if (err != BS_ERR_NONE) {
            rc = BS_ERR_COORDINATOR_NOT_AVAILABLE;
            for (int i = 0; i < n; i++)
                if (!c[i].error)
                    c[i].error = rc;
            goto done;
        }
        for (int i = 0; i < cnt; i++) {
            const bs_goffset_t *o = ptrs[i];
            bs_group_offset_set(g, o->topic, strlen(o->topic), o->partition, o->offset,
                                o->leader_epoch, o->metadata, strlen(o->metadata), now);
        }
        co->commits += cnt;
    }
done:
    free(tmp);
    free(ptrs);
    free(tomb);
    return rc;
}

int16_t bs_group_offset_delete(bs_gcoord_t *co, bs_group_t *g, const char *topic, int32_t partition)
{
    const bs_goffset_t *o = bs_group_offset(g, topic, strlen(topic), partition);
    if (!o)
        return 0;
    const bs_goffset_t *ptrs[1] = {o};
    bool tomb[1] = {true};
    if (bs_gstore_put_offsets(co, g->id, ptrs, tomb, 1) != BS_ERR_NONE)
        return BS_ERR_COORDINATOR_NOT_AVAILABLE;
    bs_group_offset_del(g, topic, strlen(topic), partition);
    return 0;
}

/* Tombstones the offsets of g last committed before expire_before (< 0: all
 * of them), only topic's when topic is not NULL; returns how many. */
static int tombstone_offsets(bs_gcoord_t *co, bs_group_t *g, int64_t expire_before,
                             const char *topic)
{
    size_t n = bs_hmap_count(&g->offsets), cnt = 0;
    if (n == 0)
        return 0;
    const bs_goffset_t **ptrs = bs_xcalloc(n, sizeof(*ptrs));
    bool *tomb = bs_xcalloc(n, sizeof(*tomb));
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&g->offsets, &it, &e)) {
        const bs_goffset_t *o = e->val;
        int64_t base = o->commit_ts > g->state_ts ? o->commit_ts : g->state_ts;
        if (topic && strcmp(o->topic, topic) != 0)
            continue;
        if (expire_before < 0 || base < expire_before) {
            ptrs[cnt] = o;
            tomb[cnt] = true;
            cnt++;
        }
    }
    int removed = 0;
    if (cnt > 0 && bs_gstore_put_offsets(co, g->id, ptrs, tomb, (int)cnt) == BS_ERR_NONE) {
        /* copy keys first: deleting frees the offset */
        for (size_t i = 0; i < cnt; i++) {
            bs_goffset_t *o = (bs_goffset_t *)ptrs[i];
            char *topic = bs_xstrdup(o->topic);
            bs_group_offset_del(g, topic, strlen(topic), o->partition);
            free(topic);
            removed++;
        }
    }
    free(ptrs);
    free(tomb);
    return removed;
}

static void group_free(bs_gcoord_t *co, bs_group_t *g)
{
    bs_loop_timer_cancel(co->b->loop, &g->join_timer);
    bs_group_clear_members(g);
    for (int i = 0; i < g->npending; i++)
        free(g->pending[i].id);
    free(g->pending);
    for (int i = 0; i < g->ntxn; i++) {
        free(g->txn_offs[i].topic);
        free(g->txn_offs[i].metadata);
    }
    free(g->txn_offs);
    free(g->members);
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&g->offsets, &it, &e))
        offset_free(e->val);
    bs_hmap_free(&g->offsets);
    free(g->protocol_type);
    free(g->protocol);
    free(g->leader);
    free(g->id);
    free(g);
}

void bs_group_remove(bs_gcoord_t *co, bs_group_t *g)
{
    bs_hmap_del(&co->groups, g->id, strlen(g->id));
    group_free(co, g);
}

/* Tombstones g in __consumer_offsets, logs "group <id> <why>" and removes
 * it (Dead); false, and g kept, if the tombstone could not be stored. */
static bool group_bury(bs_gcoord_t *co, bs_group_t *g, const char *why)
{
    if (bs_gstore_put_group(co, g, true) != BS_ERR_NONE)
        return false;
    bs_log_info("group", "group %s %s", g->id, why);
    set_state(g, BS_GROUP_DEAD);
    bs_group_remove(co, g);
    return true;
}

int16_t bs_group_delete(bs_gcoord_t *co, const char *group_id)
{
    bs_group_t *g = bs_group_find(co, group_id, strlen(group_id));
    if (!g || g->state == BS_GROUP_DEAD)
        return BS_ERR_GROUP_ID_NOT_FOUND;
    if (g->state != BS_GROUP_EMPTY || g->nmembers > 0)
        return BS_ERR_NON_EMPTY_GROUP;
    size_t had = bs_hmap_count(&g->offsets);
    char why[64];
    snprintf(why, sizeof(why), "deleted (%zu committed offset(s))", had);
    if ((size_t)tombstone_offsets(co, g, -1, NULL) != had || !group_bury(co, g, why))
        return BS_ERR_COORDINATOR_NOT_AVAILABLE;
    return 0;
}

int bs_group_expire(bs_gcoord_t *co, int64_t now_ms)
{
    int64_t retention = (int64_t)co->b->cfg->offsets_retention_minutes * 60000;
    int removed = 0, ng = 0;
    size_t n = bs_hmap_count(&co->groups);
    if (n == 0)
        return 0;
    bs_group_t **dead = bs_xcalloc(n, sizeof(*dead));
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&co->groups, &it, &e)) {
        bs_group_t *g = e->val;
        /* Kafka (KIP-211): offsets of a group expire only once it is Empty */
        if (g->state != BS_GROUP_EMPTY || g->nmembers > 0)
            continue;
        removed += tombstone_offsets(co, g, now_ms - retention, NULL);
        if (bs_hmap_count(&g->offsets) == 0 && g->state_ts < now_ms - retention)
            dead[ng++] = g;
    }
    char why[96];
    snprintf(why, sizeof(why), "expired (empty for offsets.retention.minutes=%d)",
             co->b->cfg->offsets_retention_minutes);
    for (int i = 0; i < ng; i++)
        group_bury(co, dead[i], why);
    free(dead);
    if (removed > 0)
        bs_log_info("group", "expired %d committed offset(s)", removed);
    return removed;
}

int bs_group_forget_topic(bs_gcoord_t *co, const char *topic)
{
    int removed = 0, ng = 0;
    size_t n = bs_hmap_count(&co->groups);
    if (n == 0)
        return 0;
    bs_group_t **dead = bs_xcalloc(n, sizeof(*dead));
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&co->groups, &it, &e)) {
        bs_group_t *g = e->val;
        int k = 0, here = tombstone_offsets(co, g, -1, topic);
        /* pending transactional offsets of the topic are dropped too: their
         * commit marker must not bring the topic's offsets back */
        for (int i = 0; i < g->ntxn; i++) {
            if (strcmp(g->txn_offs[i].topic, topic) == 0) {
                free(g->txn_offs[i].topic);
                free(g->txn_offs[i].metadata);
                here++;
            } else {
                g->txn_offs[k++] = g->txn_offs[i];
            }
        }
        g->ntxn = k;
        removed += here;
        /* like Kafka: an Empty group left without offsets is gone */
        if (here > 0 && g->state == BS_GROUP_EMPTY && g->nmembers == 0 && g->ntxn == 0 &&
            bs_hmap_count(&g->offsets) == 0)
            dead[ng++] = g;
    }
    char why[320];
    snprintf(why, sizeof(why), "removed: its only offsets were for deleted topic %s", topic);
    for (int i = 0; i < ng; i++)
        group_bury(co, dead[i], why);
    free(dead);
    if (removed > 0)
        bs_log_info("group", "removed %d committed offset(s) of deleted topic %s", removed, topic);
    return removed;
}

bool bs_group_subscribed(bs_group_t *g, const char *topic)
{
    size_t tl = strlen(topic);
    bool found = false;
    bs_arena_t arena;
    bs_arena_init(&arena, 4096);
    for (int i = 0; i < g->nmembers && !found; i++) {
        bs_gmember_t *m = g->members[i];
        for (int k = 0; k < m->nprotos && !found; k++) {
            if (g->protocol && strcmp(m->protos[k].name, g->protocol) != 0)
                continue;
            bs_krd_t rd;
            int16_t ver;
            bs_krd_init(&rd, m->protos[k].meta, (size_t)m->protos[k].len);
            if (bs_krd_i16(&rd, &ver) < 0 || ver < 0)
                continue;
            bs_ConsumerProtocolSubscription_t s;
            bs_ConsumerProtocolSubscription_init(&s);
            if (bs_ConsumerProtocolSubscription_decode(&s, &rd, ver > 3 ? 3 : ver, &arena) < 0)
                continue;
            for (int t = 0; t < s.Topics_count && !found; t++)
                found = s.Topics[t].len == (int32_t)tl && memcmp(s.Topics[t].ptr, topic, tl) == 0;
        }
    }
    bs_arena_destroy(&arena);
    return found;
}

/* ---- coordinator ---- */

static void expire_timer_cb(bs_loop_t *loop, bs_timer_t *t)
{
    bs_gcoord_t *co = t->ctx;
    bs_group_expire(co, bs_wall_ms());
    bs_loop_timer_arm(loop, t, co->b->cfg->offsets_retention_check_interval_ms);
}

int bs_group_init(bs_broker_t *b)
{
    bs_gcoord_t *co = bs_xcalloc(1, sizeof(*co));
    co->b = b;
    bs_hmap_init(&co->groups);
    bs_timer_init(&co->finish_timer, finish_timer_cb, co);
    bs_timer_init(&co->expire_timer, expire_timer_cb, co);
    b->groups = co;
    int64_t t0 = bs_mono_ms();
    co->loading = true;
    if (bs_gstore_replay(co) < 0) {
        co->loading = false;
        return -1;
    }
    co->loading = false;
    if (co->topic)
        bs_log_info("group", "loaded %zu group(s) from %s in %lld ms", bs_hmap_count(&co->groups),
                    BS_GROUP_TOPIC, (long long)(bs_mono_ms() - t0));
    bs_loop_timer_arm(b->loop, &co->expire_timer, b->cfg->offsets_retention_check_interval_ms);
    return 0;
}

void bs_group_shutdown(bs_broker_t *b)
{
    bs_gcoord_t *co = b->groups;
    if (!co)
        return;
    bs_loop_timer_cancel(b->loop, &co->expire_timer);
    bs_loop_timer_cancel(b->loop, &co->finish_timer);
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&co->groups, &it, &e)) {
        bs_group_t *g = e->val;
        for (int i = 0; i < g->nmembers; i++)
            g->members[i]->join_wait = g->members[i]->sync_wait = NULL;
        group_free(co, g);
    }
    bs_hmap_free(&co->groups);
    free(co);
    b->groups = NULL;
}

void bs_group_abort_conn(bs_broker_t *b, bs_conn_t *c)
{
    bs_gcoord_t *co = b->groups;
    if (!co)
        return;
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&co->groups, &it, &e)) {
        bs_group_t *g = e->val;
        for (int i = 0; i < g->nmembers; i++) {
            bs_gmember_t *m = g->members[i];
            if (m->join_wait && m->join_wait->owner == c)
                m->join_wait = NULL;
            if (m->sync_wait && m->sync_wait->owner == c)
                m->sync_wait = NULL;
        }
    }
    bs_gwait_t *prev = NULL;
    for (bs_gwait_t *w = co->finish_head; w;) {
        bs_gwait_t *next = w->next;
        if (w->owner == c) {
            if (prev)
                prev->next = next;
            else
                co->finish_head = next;
            if (co->finish_tail == w)
                co->finish_tail = prev;
        } else {
            prev = w;
        }
        w = next;
    }
}

/* ---- transactional offsets ---- */

void bs_group_txn_add(bs_group_t *g, int64_t pid, const char *topic, int32_t partition,
                      int64_t offset, int32_t leader_epoch, const char *metadata)
{
    bs_gtxnoff_t *o = NULL;
    for (int i = 0; i < g->ntxn && !o; i++)
        if (g->txn_offs[i].pid == pid && g->txn_offs[i].partition == partition &&
            strcmp(g->txn_offs[i].topic, topic) == 0)
            o = &g->txn_offs[i];
    if (!o) {
        if (g->ntxn == g->captxn) {
            g->captxn = g->captxn ? g->captxn * 2 : 8;
            g->txn_offs = bs_xrealloc(g->txn_offs, sizeof(*g->txn_offs) * (size_t)g->captxn);
        }
        o = &g->txn_offs[g->ntxn++];
        memset(o, 0, sizeof(*o));
        o->pid = pid;
        set_cstr(&o->topic, topic);
        o->partition = partition;
    }
    o->offset = offset;
    o->leader_epoch = leader_epoch;
    set_cstr(&o->metadata, metadata ? metadata : "");
}

void bs_group_txn_end(bs_gcoord_t *co, bs_group_t *g, int64_t pid, bool commit)
{
    /* The offsets are already in __consumer_offsets as a transactional batch
     * (group_txn.c) and the commit or abort marker has just been written
     * after them, so replay reaches the same result: apply or drop here. */
    (void)co;
    int64_t now = bs_wall_ms();
    for (int i = 0; i < g->ntxn;) {
        bs_gtxnoff_t *o = &g->txn_offs[i];
        if (o->pid != pid) {
            i++;
            continue;
        }
        if (commit) {
            const char *meta = o->metadata ? o->metadata : "";
            bs_group_offset_set(g, o->topic, strlen(o->topic), o->partition, o->offset,
                                o->leader_epoch, meta, strlen(meta), now);
        }
        free(o->topic);
        free(o->metadata);
        g->txn_offs[i] = g->txn_offs[--g->ntxn];
    }
}

bool bs_group_txn_pending(bs_group_t *g, const char *topic, size_t tlen, int32_t partition)
{
    for (int i = 0; i < g->ntxn; i++)
        if (g->txn_offs[i].partition == partition && strlen(g->txn_offs[i].topic) == tlen &&
            memcmp(g->txn_offs[i].topic, topic, tlen) == 0)
            return true;
    return false;
}

/* ---- hooks for the transaction coordinator (txn.c) ---- */

bs_topic_t *bs_offsets_topic(bs_broker_t *b)
{
    return b->groups ? bs_gstore_topic(b->groups) : NULL;
}

void bs_group_txn_complete(bs_broker_t *b, const char *group, int64_t pid, bool commit)
{
    bs_gcoord_t *co = b->groups;
    bs_group_t *g = co ? bs_group_find(co, group, strlen(group)) : NULL;
    if (!g)
        return;
    bs_group_txn_end(co, g, pid, commit);
}
