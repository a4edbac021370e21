/*
 * up.c — `basin up`: the local platform in one command, and `basin status`.
 *
 * The supervisor runs every service as a child process of this same binary
 * (`basin broker`, `basin registry`, ...) with data and logs under one
 * directory:
 *
 *   DIR/broker/             broker log.dirs
 *   DIR/logs/<service>.log  each child's stdout and stderr (appended)
 *   DIR/up.state            supervisor and per-service state, rewritten
 *                           atomically (tmp + rename) on every change
 *   DIR/up.lock             flock()ed while a supervisor owns DIR
 *
 * Service life cycle, per service (svc_t.state), driven by step():
 *
 *   OFF --svc.after is RUNNING (svc_start)--> STARTING --probe ok (svc_probe)--> RUNNING
 *   STARTING or RUNNING --child exits (reap)--> BACKOFF --timer (svc_start)--> STARTING
 *
 * Services start in dependency order (the registry once the broker answers
 * ApiVersions), so no client spends its first second in reconnect back-off.
 *
 * A child that exits is restarted after a back-off that starts at 200 ms
 * and doubles per consecutive failure up to 30 s; it resets once the child
 * has run for 30 s. SIGINT/SIGTERM/SIGHUP stop everything: SIGTERM to each
 * child in reverse start order, SIGKILL for any still alive after 10 s.
 * Children get PR_SET_PDEATHSIG so a killed supervisor does not leave them
 * behind, and run in their own process group so a terminal's Ctrl-C reaches
 * only the supervisor, which then stops them in order.
 *
 * A service is only started if this binary has it (`basin <cmd> --help`
 * exits 0), so services that land later join `basin up` by a table entry.
 */
#include "up/up.h"

#include "base/log.h"
#include "tools/opts.h"
#include "up/health.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UP               "up"
#define BACKOFF_MIN_MS   200
#define BACKOFF_MAX_MS   30000
#define STABLE_MS        30000
#define STOP_GRACE_MS    10000
#define PROBE_TIMEOUT_MS 500
#define MAX_SVC          4
#define MAX_ARGS         24

typedef enum { SVC_OFF = 0, SVC_STARTING, SVC_RUNNING, SVC_BACKOFF } svc_state_t;
typedef enum { PROBE_KAFKA, PROBE_HTTP } probe_t;

typedef struct svc_s {
    const char *name; /* "broker" */
    const char *cmd;  /* basin subcommand */
    probe_t probe;
    int port;
    int enabled;
    int after; /* index of the service that must be healthy first, or -1 */
    svc_state_t state;
    pid_t pid;
    int restarts;
    int backoff_ms;
    long long started_ms, next_start_ms, healthy_ms;
    char endpoint[128];
    char log_path[PATH_MAX + 64];
    char *args[MAX_ARGS];
    char argbuf[MAX_ARGS][PATH_MAX + 64];
    int nargs;
} svc_t;

typedef struct up_s {
    char dir[PATH_MAX];
    char exe[PATH_MAX];
    const char *host;
    svc_t svc[MAX_SVC];
    int nsvc;
    long long t0;
} up_t;

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
    (void)sig;
    g_stop = 1;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *state_name(svc_state_t s)
{
    switch (s) {
    case SVC_STARTING:
        return "starting";
    case SVC_RUNNING:
        return "running";
    case SVC_BACKOFF:
        return "restarting";
    default:
        return "stopped";
    }
}

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void svc_arg(svc_t *s, const char *fmt, const char *a, int n)
{
    if (s->nargs >= MAX_ARGS - 1)
        return;
    char tmp[sizeof(s->argbuf[0])];
    snprintf(tmp, sizeof(tmp), fmt, a, n); /* a may point into the same up_t */
    memcpy(s->argbuf[s->nargs], tmp, sizeof(tmp));
    s->args[s->nargs] = s->argbuf[s->nargs];
    s->args[++s->nargs] = NULL;
}

/* True when this binary has subcommand cmd (`basin cmd --help` exits 0). */
static int have_command(const char *exe, const char *cmd)
{
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            dup2(nul, 2);
        }
        execl(exe, exe, cmd, "--help", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    long long deadline = now_ms() + 5000;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return 0;
        }
        usleep(5000);
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void write_state(const up_t *u, const char *supervisor_state)
{
    char tmp[PATH_MAX + 16], path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/up.state", u->dir);
    snprintf(tmp, sizeof(tmp), "%s/up.state.tmp", u->dir);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        bs_log_warn(UP, "cannot write %s: %s", tmp, strerror(errno));
        return;
    }
    fprintf(f, "# basin up state — rewritten by the supervisor; read by `basin status`\n");
    fprintf(f, "supervisor pid=%d state=%s dir=%s\n", (int)getpid(), supervisor_state, u->dir);
    for (int i = 0; i < u->nsvc; i++) {
        const svc_t *s = &u->svc[i];
        if (!s->enabled)
            continue;
        fprintf(f,
                "service name=%s pid=%d state=%s probe=%s host=%s port=%d endpoint=%s "
                "restarts=%d log=%s\n",
                s->name, (int)s->pid, state_name(s->state),
                s->probe == PROBE_KAFKA ? "kafka" : "http", u->host, s->port, s->endpoint,
                s->restarts, s->log_path);
    }
    fclose(f);
    if (rename(tmp, path) != 0)
        bs_log_warn(UP, "cannot replace %s: %s", path, strerror(errno));
}

static int svc_start(up_t *u, svc_t *s)
{
    int logfd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) {
        bs_log_error(UP, "cannot open %s: %s", s->log_path, strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        bs_log_error(UP, "cannot start %s: fork: %s", s->name, strerror(errno));
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execv(u->exe, s->args);
        fprintf(stderr, "basin up: cannot run %s: %s\n", u->exe, strerror(errno));
        _exit(127);
    }
    close(logfd);
    s->pid = pid;
    s->state = SVC_STARTING;
    s->started_ms = now_ms();
    bs_log_info(UP, "started %s (pid %d): %s %s, log %s", s->name, (int)pid, u->exe, s->cmd,
                s->log_path);
    return 0;
}

static int svc_probe(const up_t *u, const svc_t *s, char *err, size_t errlen)
{
    if (s->probe == PROBE_KAFKA)
        return bs_up_health_kafka(u->host, s->port, PROBE_TIMEOUT_MS, err, errlen);
    return bs_up_health_http(u->host, s->port, "/", PROBE_TIMEOUT_MS, err, errlen);
}

static void describe_exit(int st, char *buf, size_t len)
{
    if (WIFEXITED(st))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(buf, len, "stopped (status 0x%x)", st);
}

/* Collects exited children and schedules their restart. Returns 1 when
 * anything changed. */
static int reap(up_t *u)
{
    int changed = 0, st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (int i = 0; i < u->nsvc; i++) {
            svc_t *s = &u->svc[i];
            if (s->pid != pid)
                continue;
            char why[128];
            describe_exit(st, why, sizeof(why));
            long long ran = now_ms() - s->started_ms;
            if (ran >= STABLE_MS)
                s->backoff_ms = BACKOFF_MIN_MS;
            s->pid = 0;
            s->state = SVC_BACKOFF;
            s->next_start_ms = now_ms() + s->backoff_ms;
            bs_log_warn(UP, "%s %s after %.1f s; restarting in %.1f s (restart %d)", s->name, why,
                        (double)ran / 1000.0, (double)s->backoff_ms / 1000.0, s->restarts + 1);
            s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
            changed = 1;
        }
    }
    return changed;
}

/* One supervision step: restarts due services and probes starting ones.
 * Returns 1 when a state changed. */
static int step(up_t *u)
{
    int changed = reap(u);
    long long now = now_ms();
    for (int i = 0; i < u->nsvc; i++) {
        svc_t *s = &u->svc[i];
        if (!s->enabled)
            continue;
        if (s->state == SVC_OFF && (s->after < 0 || u->svc[s->after].state == SVC_RUNNING)) {
            /* first start, once what it depends on is healthy */
            if (svc_start(u, s) != 0) {
                s->state = SVC_BACKOFF;
                s->next_start_ms = now + s->backoff_ms;
            }
            changed = 1;
        } else if (s->state == SVC_BACKOFF && now >= s->next_start_ms) {
            s->restarts++;
            if (svc_start(u, s) != 0) {
                s->state = SVC_BACKOFF;
                s->next_start_ms = now + s->backoff_ms;
            }
            changed = 1;
        } else if (s->state == SVC_STARTING) {
            char err[256];
            if (svc_probe(u, s, err, sizeof(err)) == 0) {
                s->state = SVC_RUNNING;
                s->healthy_ms = now_ms();
                bs_log_info(UP, "%s is healthy at %s (%.2f s after its start)", s->name,
                            s->endpoint, (double)(s->healthy_ms - s->started_ms) / 1000.0);
                changed = 1;
            } else if (now - s->started_ms > 60000 && (now - s->started_ms) % 10000 < 100) {
                bs_log_warn(UP, "%s is still not healthy after %lld s: %s", s->name,
                            (now - s->started_ms) / 1000, err);
            }
        }
    }
    return changed;
}

/* Stops one child: SIGTERM, up to STOP_GRACE_MS, then SIGKILL. */
static void svc_stop(svc_t *s)
{
    int st = 0;
    if (s->pid <= 0)
        return;
    bs_log_info(UP, "stopping %s (pid %d)", s->name, (int)s->pid);
    kill(s->pid, SIGTERM);
    long long deadline = now_ms() + STOP_GRACE_MS;
    for (;;) {
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        if (r == s->pid || (r < 0 && errno == ECHILD)) {
            char why[128];
            describe_exit(st, why, sizeof(why));
            bs_log_info(UP, "%s %s", s->name, r == s->pid ? why : "is gone");
            break;
        }
        if (now_ms() > deadline) {
            bs_log_warn(UP, "%s did not stop within %d s; killing it", s->name,
                        STOP_GRACE_MS / 1000);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &st, 0);
            break;
        }
        usleep(10000);
    }
    s->pid = 0;
    s->state = SVC_OFF;
}

/* Stops services in reverse start order: clients of the broker first. */
static void stop_all(up_t *u)
{
    for (int i = u->nsvc - 1; i >= 0; i--)
        svc_stop(&u->svc[i]);
}

static const bs_opt_spec_t up_opts[] = {
    {"data-dir", BS_OPT_VALUE, "DIR", "data and logs directory (default ./data)"},
    {"host", BS_OPT_VALUE, "ADDR", "IPv4 address the services listen on (default 127.0.0.1)"},
    {"broker-port", BS_OPT_VALUE, "PORT", "Kafka listener port (default 9092)"},
    {"registry-port", BS_OPT_VALUE, "PORT", "Schema Registry port (default 8081)"},
    {"no-registry", BS_OPT_FLAG, NULL, "do not start the Schema Registry"},
    {"rest-port", BS_OPT_VALUE, "PORT", "REST Proxy port (default 8082)"},
    {"no-rest", BS_OPT_FLAG, NULL, "do not start the REST Proxy"},
    {"broker-override", BS_OPT_LIST, "K=V", "extra broker setting (basin broker --override)"},
    {"help", BS_OPT_FLAG, NULL, "print this help"},
};
#define N_UP_OPTS (sizeof(up_opts) / sizeof(up_opts[0]))

static int port_opt(const bs_opts_t *o, const char *name, int def, int *out, char *err,
                    size_t errlen)
{
    long long v = def;
    char what[64];
    snprintf(what, sizeof(what), "--%s", name);
    if (bs_opts_get(o, name) &&
        bs_opts_int(bs_opts_get(o, name), 1, 65535, &v, what, err, errlen) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

static int resolve_dir(const char *d, char *out, size_t len, int create)
{
    if (create && mkdir_p(d) != 0)
        return -1;
    if (!realpath(d, out)) {
        if (create)
            return -1;
        snprintf(out, len, "%s", d);
    }
    return 0;
}

int bs_up_main(int argc, char **argv)
{
    bs_opts_t o;
    static up_t u; /* large (argument buffers); one per process */
    char err[512];
    int rc = 2, lockfd = -1, broker_port, registry_port, rest_port;

    memset(&u, 0, sizeof(u));
    if (bs_opts_parse(&o, up_opts, N_UP_OPTS, argc, argv, err, sizeof(err)) != 0)
        goto bad;
    if (bs_opts_has(&o, "help")) {
        printf("usage: basin up [options]\n\nStarts the local Basin platform (broker, Schema "
               "Registry, ...) as supervised\nchild processes, waits until each is healthy, "
               "prints the endpoints, restarts\ncrashed services, and stops everything on "
               "Ctrl-C or SIGTERM.\n\noptions:\n");
        bs_opts_usage(stdout, up_opts, N_UP_OPTS);
        rc = 0;
        goto done;
    }
    if (port_opt(&o, "broker-port", 9092, &broker_port, err, sizeof(err)) ||
        port_opt(&o, "registry-port", 8081, &registry_port, err, sizeof(err)) ||
        port_opt(&o, "rest-port", 8082, &rest_port, err, sizeof(err)))
        goto bad;
    if (rest_port == broker_port || rest_port == registry_port) {
        snprintf(err, sizeof(err), "--rest-port %d is also the %s port", rest_port,
                 rest_port == broker_port ? "broker" : "registry");
        goto bad;
    }
    if (broker_port == registry_port) {
        snprintf(err, sizeof(err), "--broker-port and --registry-port are both %d", broker_port);
        goto bad;
    }
    u.host = bs_opts_get(&o, "host") ? bs_opts_get(&o, "host") : "127.0.0.1";
    {
        unsigned a, b, c, d;
        char extra;
        if (sscanf(u.host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a > 255 || b > 255 ||
            c > 255 || d > 255) {
            snprintf(err, sizeof(err), "--host '%s' is not an IPv4 address", u.host);
            goto bad;
        }
    }
    int nov;
    const char **ov = bs_opts_list(&o, "broker-override", &nov);
    for (int i = 0; i < nov; i++)
        if (!strchr(ov[i], '=')) {
            snprintf(err, sizeof(err), "--broker-override '%s' is not of the form key=value",
                     ov[i]);
            goto bad;
        }

    rc = 1;
    u.t0 = now_ms();
    const char *dir = bs_opts_get(&o, "data-dir") ? bs_opts_get(&o, "data-dir") : "./data";
    if (resolve_dir(dir, u.dir, sizeof(u.dir), 1) != 0) {
        fprintf(stderr, "basin up: cannot create the data directory %s: %s\n", dir,
                strerror(errno));
        goto done;
    }
    ssize_t n = readlink("/proc/self/exe", u.exe, sizeof(u.exe) - 1);
    if (n <= 0) {
        fprintf(stderr, "basin up: cannot find its own executable: %s\n", strerror(errno));
        goto done;
    }
    u.exe[n] = '\0';
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/logs", u.dir);
    if (mkdir_p(path) != 0) {
        fprintf(stderr, "basin up: cannot create %s: %s\n", path, strerror(errno));
        goto done;
    }
    snprintf(path, sizeof(path), "%s/up.lock", u.dir);
    lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr,
                "basin up: another `basin up` is already running with data directory %s "
                "(see basin status --data-dir %s)\n",
                u.dir, u.dir);
        goto done;
    }

    /* the service table: one entry per service basin up knows */
    svc_t *b = &u.svc[u.nsvc++];
    b->name = "broker";
    b->cmd = "broker";
    b->probe = PROBE_KAFKA;
    b->port = broker_port;
    b->enabled = 1;
    b->after = -1;
    snprintf(b->endpoint, sizeof(b->endpoint), "%s:%d", u.host, broker_port);
    svc_arg(b, "%s", u.exe, 0);
    svc_arg(b, "%s", "broker", 0);
    svc_arg(b, "%s", "--override", 0);
    svc_arg(b, "listeners=PLAINTEXT://%s:%d", u.host, broker_port);
    svc_arg(b, "%s", "--override", 0);
    svc_arg(b, "log.dirs=%s/broker", u.dir, 0);
    /* a local platform: groups (the registry's leader election, consumers)
     * form at once instead of after Kafka's 3 s production default, as in
     * Confluent's local development setups; --broker-override can change it */
    svc_arg(b, "%s", "--override", 0);
    svc_arg(b, "%s", "group.initial.rebalance.delay.ms=0", 0);
    for (int i = 0; i < nov; i++) {
        svc_arg(b, "%s", "--override", 0);
        svc_arg(b, "%s", ov[i], 0);
    }

    svc_t *r = &u.svc[u.nsvc++];
    r->name = "schema-registry";
    r->cmd = "registry";
    r->probe = PROBE_HTTP;
    r->port = registry_port;
    r->enabled = !bs_opts_has(&o, "no-registry") && have_command(u.exe, "registry");
    r->after = 0; /* its store is the broker: starting it earlier only adds reconnect back-off */
    snprintf(r->endpoint, sizeof(r->endpoint), "http://%s:%d", u.host, registry_port);
    svc_arg(r, "%s", u.exe, 0);
    svc_arg(r, "%s", "registry", 0);
    svc_arg(r, "%s", "--override", 0);
    svc_arg(r, "listeners=http://%s:%d", u.host, registry_port);
    svc_arg(r, "%s", "--override", 0);
    svc_arg(r, "kafkastore.bootstrap.servers=%s:%d", u.host, broker_port);
    svc_arg(r, "%s", "--override", 0);
    svc_arg(r, "%s", "kafkastore.topic.replication.factor=1", 0);

    svc_t *rp = &u.svc[u.nsvc++];
    rp->name = "rest-proxy";
    rp->cmd = "rest";
    rp->probe = PROBE_HTTP;
    rp->port = rest_port;
    rp->enabled = !bs_opts_has(&o, "no-rest") && have_command(u.exe, "rest");
    rp->after = 0; /* a client of the broker, like the registry */
    snprintf(rp->endpoint, sizeof(rp->endpoint), "http://%s:%d", u.host, rest_port);
    svc_arg(rp, "%s", u.exe, 0);
    svc_arg(rp, "%s", "rest", 0);
    svc_arg(rp, "%s", "--override", 0);
    svc_arg(rp, "listeners=http://%s:%d", u.host, rest_port);
    svc_arg(rp, "%s", "--override", 0);
    svc_arg(rp, "bootstrap.servers=%s:%d", u.host, broker_port);
    svc_arg(rp, "%s", "--override", 0);
    svc_arg(rp, "schema.registry.url=http://%s:%d", u.host, registry_port);

    for (int i = 0; i < u.nsvc; i++) {
        svc_t *s = &u.svc[i];
        char lp[sizeof(s->log_path)];
        snprintf(lp, sizeof(lp), "%s/logs/%s.log", u.dir, s->name); /* u.dir is in u too */
        memcpy(s->log_path, lp, sizeof(lp));
        s->backoff_ms = BACKOFF_MIN_MS;
        if (s->enabled && bs_up_port_in_use(u.host, s->port)) {
            fprintf(stderr,
                    "basin up: port %d (%s) on %s is already in use; stop what listens there or "
                    "pass --%s-port\n",
                    s->port, s->name, u.host,
                    i == 0   ? "broker"
                    : i == 1 ? "registry"
                             : "rest");
            goto done;
        }
    }

    bs_log_info(UP, "basin up: data directory %s, executable %s", u.dir, u.exe);
    for (int i = 0; i < u.nsvc; i++)
        bs_log_info(
            UP, "service %s: %s (%s)", u.svc[i].name,
            u.svc[i].enabled ? u.svc[i].endpoint : "not started",
            u.svc[i].enabled ? u.svc[i].log_path
            : i == 2 ? (bs_opts_has(&o, "no-rest") ? "--no-rest" : "this build has no `basin rest`")
                     : (bs_opts_has(&o, "no-registry") ? "--no-registry"
                                                       : "this build has no `basin registry`"));

    struct sigaction sa = {0};
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    write_state(&u, "starting");
    int announced = 0;
    while (!g_stop) {
        int changed = step(&u);
        int all = 1;
        for (int i = 0; i < u.nsvc; i++)
            if (u.svc[i].enabled && u.svc[i].state != SVC_RUNNING)
                all = 0;
        if (all && !announced) {
            announced = 1;
            printf("Basin is up in %.2f s (data in %s):\n", (double)(now_ms() - u.t0) / 1000.0,
                   u.dir);
            for (int i = 0; i < u.nsvc; i++)
                if (u.svc[i].enabled)
                    printf("  %-16s %-28s log %s\n", u.svc[i].name, u.svc[i].endpoint,
                           u.svc[i].log_path);
            printf("Try: basin topics --bootstrap-server %s --list\n"
                   "Stop with Ctrl-C; basin status --data-dir %s reports on it.\n",
                   u.svc[0].endpoint, u.dir);
            fflush(stdout);
        }
        if (changed)
            write_state(&u, all ? "running" : "starting");
        usleep(announced ? 100000 : 20000);
    }
    bs_log_info(UP, "stopping the platform");
    write_state(&u, "stopping");
    stop_all(&u);
    write_state(&u, "stopped");
    bs_log_info(UP, "all services stopped");
    rc = 0;
    goto done;
bad:
    fprintf(stderr, "basin up: %s (see basin up --help)\n", err);
    rc = 2;
done:
    if (lockfd >= 0)
        close(lockfd);
    bs_opts_free(&o);
    return rc;
}

/* ---- basin status ---- */

static const bs_opt_spec_t status_opts[] = {
    {"data-dir", BS_OPT_VALUE, "DIR", "data directory of the `basin up` to report on"},
    {"help", BS_OPT_FLAG, NULL, "print this help"},
};

/* Value of key in a "k=v k2=v2" line, copied to out. */
static int field_get(const char *line, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    for (const char *p = line; (p = strstr(p, key)) != NULL; p += kl) {
        if ((p == line || p[-1] == ' ') && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t n = strcspn(v, " \n");
            if (n >= len)
                n = len - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
    }
    out[0] = '\0';
    return -1;
}

static int pid_alive(int pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

int bs_up_status_main(int argc, char **argv)
{
    bs_opts_t o;
    char err[512], dir[PATH_MAX], path[PATH_MAX + 32];
    int rc = 2;
    FILE *f = NULL;
    if (bs_opts_parse(&o, status_opts, 2, argc, argv, err, sizeof(err)) != 0) {
        fprintf(stderr, "basin status: %s (see basin status --help)\n", err);
        goto done;
    }
    if (bs_opts_has(&o, "help")) {
        printf("usage: basin status [--data-dir DIR]\n\nReports each service started by "
               "`basin up` with that data directory:\nstate, pid, endpoint and a live health "
               "check. Exit 0 when all are healthy,\n1 when some are not, 3 when `basin up` is "
               "not running.\n\noptions:\n");
        bs_opts_usage(stdout, status_opts, 2);
        rc = 0;
        goto done;
    }
    resolve_dir(bs_opts_get(&o, "data-dir") ? bs_opts_get(&o, "data-dir") : "./data", dir,
                sizeof(dir), 0);
    snprintf(path, sizeof(path), "%s/up.state", dir);
    f = fopen(path, "r");
    if (!f) {
        printf("basin up is not running with data directory %s (no %s)\n", dir, path);
        rc = 3;
        goto done;
    }
    char line[2048], v[PATH_MAX];
    int sup_alive = 0, all_ok = 1;
    printf("%-16s %-8s %-8s %-28s %s\n", "SERVICE", "STATE", "PID", "ENDPOINT", "HEALTH");
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "supervisor ", 11) == 0) {
            field_get(line, "pid", v, sizeof(v));
            int pid = atoi(v);
            char st[32];
            field_get(line, "state", st, sizeof(st));
            sup_alive = pid_alive(pid) && strcmp(st, "stopped") != 0;
            printf("%-16s %-8s %-8d %-28s %s\n", "supervisor", sup_alive ? st : "stopped", pid, dir,
                   sup_alive ? "-" : "not running");
            continue;
        }
        if (strncmp(line, "service ", 8) != 0)
            continue;
        char name[64], host[64], ep[160], probe[16], st[32];
        field_get(line, "name", name, sizeof(name));
        field_get(line, "host", host, sizeof(host));
        field_get(line, "endpoint", ep, sizeof(ep));
        field_get(line, "probe", probe, sizeof(probe));
        field_get(line, "state", st, sizeof(st));
        field_get(line, "pid", v, sizeof(v));
        int pid = atoi(v);
        field_get(line, "port", v, sizeof(v));
        int port = atoi(v);
        int alive = sup_alive && pid_alive(pid);
        char health[300] = "-";
        if (alive) {
            char perr[256];
            int ok = strcmp(probe, "kafka") == 0
                         ? bs_up_health_kafka(host, port, PROBE_TIMEOUT_MS, perr, sizeof(perr))
                         : bs_up_health_http(host, port, "/", PROBE_TIMEOUT_MS, perr, sizeof(perr));
            snprintf(health, sizeof(health), "%s", ok == 0 ? "healthy" : perr);
            if (ok != 0)
                all_ok = 0;
        } else {
            all_ok = 0;
        }
        printf("%-16s %-8s %-8d %-28s %s\n", name, alive ? st : "stopped", alive ? pid : 0, ep,
               health);
    }
    rc = !sup_alive ? 3 : all_ok ? 0 : 1;
done:
    if (f)
        fclose(f);
    bs_opts_free(&o);
    return rc;
}
