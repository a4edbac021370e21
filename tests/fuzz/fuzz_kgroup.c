/*
 * fuzz_kgroup.c — libFuzzer target for the group-membership client's
 * response handling (src/client/kgroup.c: kg_call's framing, JoinGroup v5 /
 * SyncGroup v3 / Heartbeat v3 / LeaveGroup v1 responses and what the client
 * does with them) together with the Schema Registry election callbacks that
 * parse the members' identity JSON and the leader's assignment JSON
 * (src/registry/election.c: assign_cb, assigned_cb).
 *
 * Both .c files are included (as unit tests include the .c under test,
 * STYLE.md) to reach their static functions; the library's kgroup.o and
 * election.o are then not linked. The coordinator is the other end of a
 * socketpair, pre-loaded with the response frames and shut for writing, so
 * the client never blocks: it reads the canned responses, then EOF.
 *
 * Input: flags byte, then up to four u16-length-prefixed response bodies:
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup. Flags bit 0: the bodies are
 * written raw (the client's frame-size and correlation-id checks); otherwise
 * each is framed with its size and the correlation id the client expects.
 * Flags bit 1: this member is named "m-self" in advance, so a JoinGroup
 * response naming it leader drives the assignment path. The client runs
 * join+sync, heartbeat and leave in turn, each on a fresh socketpair.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/kgroup.c"

#include "registry/election.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bs_registry_t g_reg;

static int next_body(const uint8_t **p, size_t *left, const uint8_t **b, size_t *len)
{
    if (*left < 2)
        return -1;
    size_t n = (size_t)((*p)[0] << 8 | (*p)[1]);
    *p += 2;
    *left -= 2;
    if (n > *left)
        n = *left;
    *b = *p;
    *len = n;
    *p += n;
    *left -= n;
    return 0;
}

/* Queues one response on the coordinator end: framed with the correlation
 * id of the client's next call (corr), or raw. */
static void put_frame(int fd, const uint8_t *body, size_t len, int32_t corr, int raw)
{
    uint8_t hdr[8];
    if (!raw) {
        uint32_t sz = (uint32_t)len + 4;
        hdr[0] = (uint8_t)(sz >> 24);
        hdr[1] = (uint8_t)(sz >> 16);
        hdr[2] = (uint8_t)(sz >> 8);
        hdr[3] = (uint8_t)sz;
        hdr[4] = (uint8_t)((uint32_t)corr >> 24);
        hdr[5] = (uint8_t)((uint32_t)corr >> 16);
        hdr[6] = (uint8_t)((uint32_t)corr >> 8);
        hdr[7] = (uint8_t)corr;
        if (write(fd, hdr, 8) != 8)
            abort();
    }
    if (len && write(fd, body, len) != (ssize_t)len)
        abort();
}

/* A fresh coordinator connection holding the given responses. */
static int connect_canned(bs_kgroup_t *g, const uint8_t *const *bodies, const size_t *lens, int n,
                          int raw)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    int one = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
    for (int i = 0; i < n; i++)
        put_frame(sv[1], bodies[i], lens[i], g->corr + 1 + i, raw);
    shutdown(sv[1], SHUT_WR);
    g->fd = sv[0];
    return sv[1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    char err[512];
    if (!init) {
        bs_log_set_level((bs_log_level_t)(BS_LOG_ERROR + 1));
        pthread_mutex_init(&g_reg.leader_mu, NULL);
        pthread_cond_init(&g_reg.leader_cond, NULL);
        init = 1;
    }
    if (size < 1 || size > 60000)
        return 0;
    int raw = data[0] & 1;
    const uint8_t *p = data + 1;
    size_t left = size - 1;
    const uint8_t *b[4] = {(const uint8_t *)"", (const uint8_t *)"", (const uint8_t *)"",
                           (const uint8_t *)""};
    size_t l[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        if (next_body(&p, &left, &b[i], &l[i]) < 0)
            break;

    bs_kgroup_t *g = bs_xcalloc(1, sizeof(*g));
    g->group_id = "schema-registry";
    g->ptype = "sr";
    g->pname = "v0";
    g->client_id = "fuzz";
    g->metadata = (uint8_t *)"{\"version\":1,\"host\":\"h\",\"port\":8081,"
                             "\"master_eligibility\":true,\"scheme\":\"http\"}";
    g->cfg.metadata_len = strlen((const char *)g->metadata);
    g->cfg.session_timeout_ms = 10000;
    g->cfg.rebalance_timeout_ms = 1000;
    g->cfg.assign = assign_cb;
    g->cfg.assigned = assigned_cb;
    g->cfg.opaque = &g_reg;
    g->fd = -1;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cond, NULL);
    if (data[0] & 2)
        snprintf(g->member_id, sizeof(g->member_id), "m-self");

    int peer = connect_canned(g, b, l, 2, raw);
    (void)kg_join_sync(g, err, sizeof(err));
    kg_set_fd(g, -1);
    close(peer);

    peer = connect_canned(g, b + 2, l + 2, 1, raw);
    (void)kg_heartbeat(g, err, sizeof(err));
    kg_set_fd(g, -1);
    close(peer);

    peer = connect_canned(g, b + 3, l + 3, 1, raw);
    kg_revoke(g);
    kg_leave(g);
    kg_set_fd(g, -1);
    close(peer);

    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cond);
    free(g);
    bs_reg_set_leader(&g_reg, false, NULL); /* frees the remembered leader URL */
    return 0;
}
