/*
 * kgroup.c — group membership over the Kafka protocol on blocking sockets
 * (see kgroup.h). Requests are encoded and responses decoded with Basin's
 * generated codec; this file only frames them (size prefix, RequestHeader
 * v1, ResponseHeader v0).
 *
 * State machine (kg_main, one thread):
 *
 *   DISCOVER --FindCoordinator ok--> JOIN --JoinGroup ok--> SYNC
 *      ^  (any bootstrap broker)       |  MEMBER_ID_REQUIRED: retry with id
 *      |                               |  (leader: assign() before SyncGroup)
 *      |                               v
 *      |                             SYNC --ok--> assigned(a) --> STABLE
 *      |                                                          |
 *      |   heartbeat every interval:  REBALANCE_IN_PROGRESS ------+--> JOIN
 *      |                              UNKNOWN_MEMBER / ILLEGAL_GEN -> JOIN
 *      +---- NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, I/O error ----+
 *
 * Every exit from STABLE calls assigned(NULL) first. Back-off between failed
 * attempts is 200 ms doubling to 2 s. bs_kgroup_stop() sets `stop`, wakes the
 * thread (condition variable, or shutdown() of a socket blocked in a
 * JoinGroup) and joins it; the thread sends LeaveGroup when it is a member.
 */
#include "client/kgroup.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "base/arena.h"
#include "base/log.h"
#include "base/wbuf.h"
#include "proto/codec.h"

enum {
    KG_FIND_COORDINATOR = 10,
    KG_JOIN_GROUP = 11,
    KG_HEARTBEAT = 12,
    KG_LEAVE_GROUP = 13,
    KG_SYNC_GROUP = 14,
};
enum {
    KE_COORDINATOR_LOAD = 14,
    KE_COORDINATOR_NOT_AVAILABLE = 15,
    KE_NOT_COORDINATOR = 16,
    KE_ILLEGAL_GENERATION = 22,
    KE_UNKNOWN_MEMBER_ID = 25,
    KE_REBALANCE_IN_PROGRESS = 27,
    KE_MEMBER_ID_REQUIRED = 79,
};

struct bs_kgroup_s {
    bs_kgroup_cfg_t cfg; /* strings below are owned copies */
    char *bootstrap, *group_id, *ptype, *pname, *client_id;
    uint8_t *metadata;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop;
    bool started;
    int fd; /* coordinator connection, -1 none (under mu for stop's shutdown) */
    int32_t corr;
    char member_id[256];
    int32_t generation;
    bool member; /* holds an assignment (STABLE) */
};

/* ---- sockets ------------------------------------------------------------ */

static int kg_connect(const char *host, int port, int timeout_ms, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    char ps[16];
    int fd = -1;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "%s:%d: %s", host, port, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
            struct pollfd p = {fd, POLLOUT, 0};
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (poll(&p, 1, timeout_ms) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
                fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                break;
            }
            snprintf(err, errlen, "%s:%d: %s", host, port,
                     soerr ? strerror(soerr) : "connect timed out");
        } else {
            snprintf(err, errlen, "%s:%d: %s", host, port, strerror(errno));
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void kg_set_timeout(int fd, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int kg_io(int fd, void *buf, size_t n, bool wr)
{
    size_t off = 0;
    while (off < n) {
        ssize_t r = wr ? send(fd, (char *)buf + off, n - off, MSG_NOSIGNAL)
                       : recv(fd, (char *)buf + off, n - off, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        off += (size_t)r;
    }
    return 0;
}

/* Sends one request (body already encoded into `body`) and reads the
 * response frame into *resp (malloc'd, positioned after the response
 * header). Returns 0 or -1 with err. */
static int kg_call(bs_kgroup_t *g, int fd, int16_t key, int16_t ver, bs_wbuf_t *body,
                   int timeout_ms, uint8_t **resp, size_t *resp_len, char *err, size_t errlen)
{
    bs_wbuf_t w;
    int rc = -1;
    uint8_t *frame = NULL;
    bs_wbuf_init(&w);
    bs_RequestHeader_t h;
    bs_RequestHeader_init(&h);
    h.RequestApiKey = key;
    h.RequestApiVersion = ver;
    h.CorrelationId = ++g->corr;
    h.ClientId = bs_kstr(g->client_id);
    bs_wbuf_be32(&w, 0);
    bs_RequestHeader_encode(&h, &w, 1);
    bs_wbuf_put(&w, body->data, body->len);
    bs_wbuf_patch_be32(&w, 0, (uint32_t)(w.len - 4));
    kg_set_timeout(fd, timeout_ms);
    if (kg_io(fd, w.data, w.len, true) != 0) {
        snprintf(err, errlen, "sending API %d: %s", key, strerror(errno));
        goto done;
    }
    uint8_t szb[4];
    if (kg_io(fd, szb, 4, false) != 0) {
        snprintf(err, errlen, "reading the response to API %d: %s", key,
                 errno ? strerror(errno) : "connection closed");
        goto done;
    }
    uint32_t sz = (uint32_t)szb[0] << 24 | (uint32_t)szb[1] << 16 | (uint32_t)szb[2] << 8 | szb[3];
    if (sz < 4 || sz > (64u << 20)) {
        snprintf(err, errlen, "response to API %d: bad frame size %u", key, sz);
        goto done;
    }
    frame = bs_xmalloc(sz);
    if (kg_io(fd, frame, sz, false) != 0) {
        snprintf(err, errlen, "reading the response to API %d: %s", key,
                 errno ? strerror(errno) : "connection closed");
        goto done;
    }
    int32_t corr = (int32_t)((uint32_t)frame[0] << 24 | (uint32_t)frame[1] << 16 |
                             (uint32_t)frame[2] << 8 | frame[3]);
    if (corr != h.CorrelationId) {
        snprintf(err, errlen, "response to API %d: correlation id %d, expected %d", key, corr,
                 h.CorrelationId);
        goto done;
    }
    *resp = frame;
    *resp_len = sz;
    frame = NULL;
    rc = 0;
done:
    free(frame);
    bs_wbuf_free(&w);
    return rc;
}

/* ---- helpers ------------------------------------------------------------ */

static char *kg_strdup_k(bs_kstr_t s, char *buf, size_t len)
{
    size_t n = s.len > 0 ? (size_t)s.len : 0;
    if (n >= len)
        n = len - 1;
    memcpy(buf, s.ptr ? s.ptr : "", n);
    buf[n] = '\0';
    return buf;
}

/* Waits up to ms or until stop; returns true if stopping. */
static bool kg_sleep(bs_kgroup_t *g, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g->mu);
    while (!g->stop && pthread_cond_timedwait(&g->cond, &g->mu, &ts) != ETIMEDOUT)
        ;
    bool s = g->stop;
    pthread_mutex_unlock(&g->mu);
    return s;
}

static bool kg_stopping(bs_kgroup_t *g)
{
    pthread_mutex_lock(&g->mu);
    bool s = g->stop;
    pthread_mutex_unlock(&g->mu);
    return s;
}

static void kg_set_fd(bs_kgroup_t *g, int fd)
{
    pthread_mutex_lock(&g->mu);
    if (g->fd >= 0 && g->fd != fd)
        close(g->fd);
    g->fd = fd;
    pthread_mutex_unlock(&g->mu);
}

static void kg_revoke(bs_kgroup_t *g)
{
    if (g->member) {
        g->member = false;
        g->cfg.assigned(g->cfg.opaque, NULL, 0, g->member_id, g->generation);
    }
}

/* ---- protocol steps ----------------------------------------------------- */

/* Finds the coordinator through any bootstrap broker; connects to it. */
static int kg_discover(bs_kgroup_t *g, char *err, size_t errlen)
{
    char *list = bs_xstrdup(g->bootstrap), *save = NULL;
    int cfd = -1;
    for (char *tok = strtok_r(list, ",", &save); tok && cfd < 0; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        char *p = strstr(tok, "://");
        if (p)
            tok = p + 3;
        char *colon = strrchr(tok, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *host = tok;
        if (host[0] == '[') {
            host++;
            host[strlen(host) - 1] = '\0';
        }
        int fd = kg_connect(host, atoi(colon + 1), 5000, err, errlen);
        if (fd < 0)
            continue;
        bs_wbuf_t w;
        bs_wbuf_init(&w);
        bs_FindCoordinatorRequest_t rq;
        bs_FindCoordinatorRequest_init(&rq);
        rq.Key = bs_kstr(g->group_id);
        rq.KeyType = 0;
        bs_FindCoordinatorRequest_encode(&rq, &w, 1);
        uint8_t *resp = NULL;
        size_t rlen = 0;
        int rc = kg_call(g, fd, KG_FIND_COORDINATOR, 1, &w, 10000, &resp, &rlen, err, errlen);
        bs_wbuf_free(&w);
        close(fd);
        if (rc != 0)
            continue;
        bs_arena_t ar;
        bs_arena_init(&ar, 1024);
        bs_krd_t rd;
        bs_krd_init(&rd, resp + 4, rlen - 4);
        bs_FindCoordinatorResponse_t fr;
        if (bs_FindCoordinatorResponse_decode(&fr, &rd, 1, &ar) != 0) {
            snprintf(err, errlen, "FindCoordinator response: %s", rd.err);
        } else if (fr.ErrorCode) {
            snprintf(err, errlen, "FindCoordinator: error %d", fr.ErrorCode);
        } else {
            char h[256];
            kg_strdup_k(fr.Host, h, sizeof h);
            cfd = kg_connect(h, fr.Port, 5000, err, errlen);
        }
        bs_arena_destroy(&ar);
        free(resp);
    }
    free(list);
    if (cfd >= 0)
        kg_set_fd(g, cfd);
    return cfd >= 0 ? 0 : -1;
}

/* JoinGroup then SyncGroup. Returns 0 (member), 1 (retry join at once),
 * -1 (rediscover). */
static int kg_join_sync(bs_kgroup_t *g, char *err, size_t errlen)
{
    int rc = -1;
    bs_arena_t ar;
    bs_wbuf_t w;
    uint8_t *resp = NULL;
    size_t rlen = 0;
    uint8_t **outs = NULL;
    size_t *outlens = NULL;
    bs_kgroup_member_t *mem = NULL;
    int nmem = 0;
    bs_arena_init(&ar, 4096);
    bs_wbuf_init(&w);

    bs_JoinGroupRequest_t jq;
    bs_JoinGroupRequest_init(&jq);
    bs_JoinGroupRequest_JoinGroupRequestProtocol_t proto = {
        bs_kstr(g->pname), {g->metadata, (int32_t)g->cfg.metadata_len}};
    jq.GroupId = bs_kstr(g->group_id);
    jq.SessionTimeoutMs = g->cfg.session_timeout_ms;
    jq.RebalanceTimeoutMs = g->cfg.rebalance_timeout_ms;
    jq.MemberId = bs_kstr(g->member_id);
    jq.GroupInstanceId = bs_kstrn(NULL, -1);
    jq.ProtocolType = bs_kstr(g->ptype);
    jq.Protocols = &proto;
    jq.Protocols_count = 1;
    bs_JoinGroupRequest_encode(&jq, &w, 5);
    if (kg_call(g, g->fd, KG_JOIN_GROUP, 5, &w, g->cfg.rebalance_timeout_ms + 5000, &resp, &rlen,
                err, errlen) != 0)
        goto done;
    bs_krd_t rd;
    bs_krd_init(&rd, resp + 4, rlen - 4);
    bs_JoinGroupResponse_t jr;
    if (bs_JoinGroupResponse_decode(&jr, &rd, 5, &ar) != 0) {
        snprintf(err, errlen, "JoinGroup response: %s", rd.err);
        goto done;
    }
    if (jr.ErrorCode == KE_MEMBER_ID_REQUIRED) {
        kg_strdup_k(jr.MemberId, g->member_id, sizeof g->member_id);
        rc = 1;
        goto done;
    }
    if (jr.ErrorCode == KE_UNKNOWN_MEMBER_ID || jr.ErrorCode == KE_ILLEGAL_GENERATION ||
        jr.ErrorCode == KE_REBALANCE_IN_PROGRESS) {
        if (jr.ErrorCode == KE_UNKNOWN_MEMBER_ID)
            g->member_id[0] = '\0';
        rc = 1;
        goto done;
    }
    if (jr.ErrorCode) {
        snprintf(err, errlen, "JoinGroup: error %d", jr.ErrorCode);
        goto done;
    }
    kg_strdup_k(jr.MemberId, g->member_id, sizeof g->member_id);
    g->generation = jr.GenerationId;
    bool leader = jr.Leader.len == (int32_t)strlen(g->member_id) &&
                  memcmp(jr.Leader.ptr, g->member_id, (size_t)jr.Leader.len) == 0;

    bs_SyncGroupRequest_t sq;
    bs_SyncGroupRequest_init(&sq);
    sq.GroupId = bs_kstr(g->group_id);
    sq.GenerationId = g->generation;
    sq.MemberId = bs_kstr(g->member_id);
    sq.GroupInstanceId = bs_kstrn(NULL, -1);
    sq.Assignments_count = 0;
    bs_SyncGroupRequest_SyncGroupRequestAssignment_t *asg = NULL;
    if (leader && jr.Members_count > 0) {
        nmem = jr.Members_count;
        mem = bs_xcalloc((size_t)nmem, sizeof *mem);
        outs = bs_xcalloc((size_t)nmem, sizeof *outs);
        outlens = bs_xcalloc((size_t)nmem, sizeof *outlens);
        asg = bs_arena_calloc(&ar, sizeof *asg * (size_t)nmem);
        for (int i = 0; i < nmem; i++) {
            mem[i].member_id = bs_kstr_dup(jr.Members[i].MemberId, &ar);
            mem[i].metadata = jr.Members[i].Metadata.ptr;
            mem[i].metadata_len =
                jr.Members[i].Metadata.len > 0 ? (size_t)jr.Members[i].Metadata.len : 0;
        }
        g->cfg.assign(g->cfg.opaque, mem, nmem, outs, outlens);
        for (int i = 0; i < nmem; i++) {
            asg[i].MemberId = bs_kstr(mem[i].member_id);
            asg[i].Assignment.ptr = outs[i];
            asg[i].Assignment.len = (int32_t)outlens[i];
        }
        sq.Assignments = asg;
        sq.Assignments_count = nmem;
    }
    bs_wbuf_reset(&w);
    bs_SyncGroupRequest_encode(&sq, &w, 3);
    free(resp);
    resp = NULL;
    if (kg_call(g, g->fd, KG_SYNC_GROUP, 3, &w, g->cfg.rebalance_timeout_ms + 5000, &resp, &rlen,
                err, errlen) != 0)
        goto done;
    bs_krd_init(&rd, resp + 4, rlen - 4);
    bs_SyncGroupResponse_t sr;
    if (bs_SyncGroupResponse_decode(&sr, &rd, 3, &ar) != 0) {
        snprintf(err, errlen, "SyncGroup response: %s", rd.err);
        goto done;
    }
    if (sr.ErrorCode == KE_REBALANCE_IN_PROGRESS || sr.ErrorCode == KE_ILLEGAL_GENERATION ||
        sr.ErrorCode == KE_UNKNOWN_MEMBER_ID) {
        if (sr.ErrorCode == KE_UNKNOWN_MEMBER_ID)
            g->member_id[0] = '\0';
        rc = 1;
        goto done;
    }
    if (sr.ErrorCode) {
        snprintf(err, errlen, "SyncGroup: error %d", sr.ErrorCode);
        goto done;
    }
    g->member = true;
    g->cfg.assigned(g->cfg.opaque, sr.Assignment.ptr,
                    sr.Assignment.len > 0 ? (size_t)sr.Assignment.len : 0, g->member_id,
                    g->generation);
    rc = 0;
done:
    for (int i = 0; outs && i < nmem; i++)
        free(outs[i]);
    free(outs);
    free(outlens);
    free(mem);
    free(resp);
    bs_wbuf_free(&w);
    bs_arena_destroy(&ar);
    return rc;
}

/* One heartbeat: 0 ok, 1 rejoin, -1 rediscover. */
static int kg_heartbeat(bs_kgroup_t *g, char *err, size_t errlen)
{
    bs_wbuf_t w;
    uint8_t *resp = NULL;
    size_t rlen = 0;
    int rc = -1;
    bs_wbuf_init(&w);
    bs_HeartbeatRequest_t hq;
    bs_HeartbeatRequest_init(&hq);
    hq.GroupId = bs_kstr(g->group_id);
    hq.GenerationId = g->generation;
    hq.MemberId = bs_kstr(g->member_id);
    hq.GroupInstanceId = bs_kstrn(NULL, -1);
    bs_HeartbeatRequest_encode(&hq, &w, 3);
    if (kg_call(g, g->fd, KG_HEARTBEAT, 3, &w, 10000, &resp, &rlen, err, errlen) == 0) {
        bs_krd_t rd;
        bs_krd_init(&rd, resp + 4, rlen - 4);
        int32_t throttle;
        int16_t ec;
        if (bs_krd_i32(&rd, &throttle) != 0 || bs_krd_i16(&rd, &ec) != 0) {
            snprintf(err, errlen, "Heartbeat response: %s", rd.err);
        } else if (ec == 0) {
            rc = 0;
        } else if (ec == KE_REBALANCE_IN_PROGRESS || ec == KE_ILLEGAL_GENERATION ||
                   ec == KE_UNKNOWN_MEMBER_ID) {
            if (ec == KE_UNKNOWN_MEMBER_ID)
                g->member_id[0] = '\0';
            rc = 1;
        } else {
            snprintf(err, errlen, "Heartbeat: error %d", ec);
        }
    }
    free(resp);
    bs_wbuf_free(&w);
    return rc;
}

static void kg_leave(bs_kgroup_t *g)
{
    char err[256];
    bs_wbuf_t w;
    uint8_t *resp = NULL;
    size_t rlen = 0;
    if (g->fd < 0 || !g->member_id[0])
        return;
    bs_wbuf_init(&w);
    bs_LeaveGroupRequest_t lq;
    bs_LeaveGroupRequest_init(&lq);
    lq.GroupId = bs_kstr(g->group_id);
    lq.MemberId = bs_kstr(g->member_id);
    bs_LeaveGroupRequest_encode(&lq, &w, 1);
    kg_call(g, g->fd, KG_LEAVE_GROUP, 1, &w, 3000, &resp, &rlen, err, sizeof err);
    free(resp);
    bs_wbuf_free(&w);
}

static void *kg_main(void *arg)
{
    bs_kgroup_t *g = arg;
    char err[512];
    int backoff = 200;
    bool logged = false;
    while (!kg_stopping(g)) {
        if (g->fd < 0 && kg_discover(g, err, sizeof err) != 0) {
            if (!logged)
                bs_log_warn("kgroup", "group %s: no coordinator yet: %s", g->group_id, err);
            logged = true;
            if (kg_sleep(g, backoff))
                break;
            backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
            continue;
        }
        int r = kg_join_sync(g, err, sizeof err);
        if (r == 1)
            continue;
        if (r < 0) {
            if (!kg_stopping(g))
                bs_log_warn("kgroup", "group %s: %s; finding the coordinator again", g->group_id,
                            err);
            kg_set_fd(g, -1);
            if (kg_sleep(g, backoff))
                break;
            backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
            continue;
        }
        backoff = 200;
        logged = false;
        /* STABLE */
        for (;;) {
            if (kg_sleep(g, g->cfg.heartbeat_interval_ms))
                goto out;
            int h = kg_heartbeat(g, err, sizeof err);
            if (h == 0)
                continue;
            kg_revoke(g);
            if (h < 0) {
                bs_log_warn("kgroup", "group %s: %s; finding the coordinator again", g->group_id,
                            err);
                kg_set_fd(g, -1);
            }
            break;
        }
    }
out:
    kg_revoke(g);
    kg_leave(g);
    kg_set_fd(g, -1);
    return NULL;
}

bs_kgroup_t *bs_kgroup_start(const bs_kgroup_cfg_t *cfg, char *err, size_t errlen)
{
    if (!cfg->bootstrap || !cfg->group_id || !cfg->protocol_type || !cfg->protocol_name ||
        !cfg->assign || !cfg->assigned) {
        snprintf(err, errlen,
                 "group client: bootstrap, group id, protocol and callbacks are "
                 "required");
        return NULL;
    }
    bs_kgroup_t *g = bs_xcalloc(1, sizeof *g);
    g->cfg = *cfg;
    g->bootstrap = bs_xstrdup(cfg->bootstrap);
    g->group_id = bs_xstrdup(cfg->group_id);
    g->ptype = bs_xstrdup(cfg->protocol_type);
    g->pname = bs_xstrdup(cfg->protocol_name);
    g->client_id = bs_xstrdup(cfg->client_id ? cfg->client_id : "basin-kgroup");
    g->metadata = bs_xmalloc(cfg->metadata_len + 1);
    memcpy(g->metadata, cfg->metadata, cfg->metadata_len);
    if (g->cfg.session_timeout_ms <= 0)
        g->cfg.session_timeout_ms = 10000;
    if (g->cfg.rebalance_timeout_ms <= 0)
        g->cfg.rebalance_timeout_ms = 60000;
    if (g->cfg.heartbeat_interval_ms <= 0)
        g->cfg.heartbeat_interval_ms = g->cfg.session_timeout_ms / 3;
    g->fd = -1;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cond, NULL);
    if (pthread_create(&g->thread, NULL, kg_main, g) != 0) {
        snprintf(err, errlen, "group client: pthread_create: %s", strerror(errno));
        bs_kgroup_stop(g);
        return NULL;
    }
    g->started = true;
    return g;
}

void bs_kgroup_stop(bs_kgroup_t *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = true;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->mu);
    if (g->started) {
        /* a JoinGroup may block for a whole rebalance: give the thread 3 s
         * to leave cleanly, then unblock its socket */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 3;
        if (pthread_timedjoin_np(g->thread, NULL, &ts) != 0) {
            pthread_mutex_lock(&g->mu);
            if (g->fd >= 0)
                shutdown(g->fd, SHUT_RDWR);
            pthread_mutex_unlock(&g->mu);
            pthread_join(g->thread, NULL);
        }
    }
    if (g->fd >= 0)
        close(g->fd);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cond);
    free(g->bootstrap);
    free(g->group_id);
    free(g->ptype);
    free(g->pname);
    free(g->client_id);
    free(g->metadata);
    free(g);
}
