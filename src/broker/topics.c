/*
 * topics.c — the broker's topics: creation, deletion, partition growth,
 * configuration overrides, and their persistence.
 *
 * On disk (Kafka's layout plus one Basin file per topic):
 *   <log.dir>/<topic>-<partition>/            partition log (plog.c)
 *   <log.dir>/<topic>-<partition>/partition.metadata   "version: 0" + topic_id
 *   <first log.dir>/basin-topics/<topic>.properties    topic.id, partitions,
 *                                                       config.<key>=<value>
 * The .properties file is the commit point: it is written (atomically)
 * after the partition directories exist and removed before they are deleted,
 * so a crash leaves either a whole topic or only orphan directories, which
 * are removed when a topic of the same name is created again.
 */
#include "broker/broker.h"
#include "broker/cleaner.h"
#include "broker/group.h"

#include "base/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOPICS_DIR "basin-topics"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void uuid_to_b64(const bs_uuid_t *u, char out[23])
{
    int o = 0, bits = 0;
    unsigned int acc = 0;
    for (int i = 0; i < 16; i++) {
        acc = (acc << 8) | u->b[i];
        bits += 8;
        while (bits >= 6) {
            out[o++] = b64url[(acc >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    out[o++] = b64url[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

static int b64_to_uuid(const char *s, bs_uuid_t *u)
{
    unsigned int acc = 0;
    int bits = 0, o = 0;
    for (; *s && o < 16; s++) {
        const char *p = strchr(b64url, *s);
        if (!p || !*s)
            return -1;
        acc = (acc << 6) | (unsigned int)(p - b64url);
        bits += 6;
        if (bits >= 8) {
            u->b[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return o == 16 ? 0 : -1;
}

static void uuid_random(bs_uuid_t *u)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, u->b, 16) != 16) {
        for (int i = 0; i < 16; i++)
            u->b[i] = (uint8_t)(rand() >> 3);
    }
    if (fd >= 0)
        close(fd);
    /* never the zero uuid (clients treat it as "no topic id"), and not one
     * that starts with a '-' in base64 (Kafka avoids those too) */
    u->b[0] = (uint8_t)((u->b[0] & 0x7f) | 0x01);
}

const char *bs_topic_name_invalid(const char *name, size_t len)
{
    if (len == 0)
        return "topic name is empty";
    if (len > 249)
        return "topic name is longer than 249 characters";
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return "topic name cannot be \".\" or \"..\"";
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return "topic name contains a character other than ASCII alphanumerics, '.', '_' "
                   "and '-'";
    }
    return NULL;
}

bs_topic_t *bs_topics_find(bs_broker_t *b, const char *name, size_t len)
{
    return bs_hmap_get(&b->topics, name, len);
}

bs_partition_t *bs_topics_partition(bs_broker_t *b, bs_kstr_t topic, int32_t partition)
{
    if (topic.len <= 0)
        return NULL;
    bs_topic_t *t = bs_topics_find(b, topic.ptr, (size_t)topic.len);
    if (!t || partition < 0 || partition >= t->npart)
        return NULL;
    return t->parts[partition];
}

void bs_topics_plog_config(const bs_broker_config_t *bc, const bs_topic_config_t *tc,
                           bs_plog_config_t *pc)
{
    memset(pc, 0, sizeof(*pc));
    pc->segment_bytes = tc->segment_bytes;
    pc->segment_ms = tc->segment_ms;
    pc->retention_ms = tc->cleanup_delete ? tc->retention_ms : -1;
    pc->retention_bytes = tc->cleanup_delete ? tc->retention_bytes : -1;
    pc->flush_interval_messages = tc->flush_messages;
    pc->flush_interval_ms = tc->flush_ms;
    pc->index_interval_bytes = tc->index_interval_bytes;
    pc->segment_index_bytes = tc->segment_index_bytes;
    pc->file_delete_delay_ms = tc->file_delete_delay_ms;
    pc->compact = tc->cleanup_compact;
    pc->delete_retention_ms = tc->delete_retention_ms;
    pc->min_compaction_lag_ms = tc->min_compaction_lag_ms;
    pc->max_compaction_lag_ms = tc->max_compaction_lag_ms;
    pc->min_cleanable_dirty_ratio = tc->min_cleanable_dirty_ratio;
    (void)bc;
}

/* ---- persistence ---- */

static void topic_file_path(bs_broker_t *b, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/" TOPICS_DIR "/%s.properties", b->cfg->log_dirs[0], name);
}

static int topic_persist(bs_broker_t *b, bs_topic_t *t, char *err, size_t errlen)
{
    char path[4096], dir[4096], idb[24], np[16];
    int n = 2 + t->ov.count, rc;
    const char **keys = bs_xcalloc((size_t)n, sizeof(char *));
    const char **vals = bs_xcalloc((size_t)n, sizeof(char *));
    char **owned = bs_xcalloc((size_t)n, sizeof(char *));

    snprintf(dir, sizeof(dir), "%s/" TOPICS_DIR, b->cfg->log_dirs[0]);
    mkdir(dir, 0755);
    uuid_to_b64(&t->id, idb);
    snprintf(np, sizeof(np), "%d", t->npart);
    keys[0] = "topic.id";
    vals[0] = idb;
    keys[1] = "partitions";
    vals[1] = np;
    for (int i = 0; i < t->ov.count; i++) {
        size_t kl = strlen(t->ov.keys[i]) + 8;
        owned[i] = bs_xmalloc(kl);
        snprintf(owned[i], kl, "config.%s", t->ov.keys[i]);
        keys[2 + i] = owned[i];
        vals[2 + i] = t->ov.values[i];
    }
    topic_file_path(b, t->name, path, sizeof(path));
    rc = bs_props_write_atomic(path, keys, vals, n, err, errlen);
    for (int i = 0; i < n; i++)
        free(owned[i]);
    free(owned);
    free(keys);
    free(vals);
    return rc;
}

static int write_partition_metadata(const char *dir, const bs_uuid_t *id)
{
    char path[4096], idb[24], buf[128];
    uuid_to_b64(id, idb);
    snprintf(path, sizeof(path), "%s/partition.metadata", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int n = snprintf(buf, sizeof(buf), "version: 0\ntopic_id: %s\n", idb);
    int rc = write(fd, buf, (size_t)n) == n ? 0 : -1;
    close(fd);
    return rc;
}

static int rm_rf(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return unlink(path);
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        rm_rf(p);
    }
    closedir(d);
    return rmdir(path);
}

/* Picks the log dir holding the fewest partitions (Kafka's placement rule). */
static const char *pick_log_dir(bs_broker_t *b)
{
    const bs_broker_config_t *cfg = b->cfg;
    if (cfg->log_dirs_count == 1)
        return cfg->log_dirs[0];
    int best = 0, bestn = -1;
    for (int i = 0; i < cfg->log_dirs_count; i++) {
        int n = 0;
        size_t it = 0;
        const bs_hmap_ent_t *e;
        size_t dl = strlen(cfg->log_dirs[i]);
        while (bs_hmap_next(&b->topics, &it, &e)) {
            bs_topic_t *t = e->val;
            for (int p = 0; p < t->npart; p++)
                if (strncmp(t->parts[p]->dir, cfg->log_dirs[i], dl) == 0 &&
                    t->parts[p]->dir[dl] == '/')
                    n++;
        }
        if (bestn < 0 || n < bestn) {
            best = i;
            bestn = n;
        }
    }
    return cfg->log_dirs[best];
}

static const char *find_partition_dir(bs_broker_t *b, const char *name, int32_t p, char *out,
                                      size_t len)
{
    struct stat st;
    for (int i = 0; i < b->cfg->log_dirs_count; i++) {
        snprintf(out, len, "%s/%s-%d", b->cfg->log_dirs[i], name, p);
        if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
            return out;
    }
    return NULL;
}

static bs_partition_t *partition_open(bs_broker_t *b, bs_topic_t *t, int32_t id, bool fresh,
                                      char *err, size_t errlen)
{
    char dir[4096];
    bs_plog_config_t pc;
    bs_plog_t *log = NULL;

    if (!find_partition_dir(b, t->name, id, dir, sizeof(dir))) {
        snprintf(dir, sizeof(dir), "%s/%s-%d", pick_log_dir(b), t->name, id);
    } else if (fresh) {
        /* orphan left by a deletion interrupted by a crash */
        bs_log_warn("topics", "removing stale partition directory %s", dir);
        rm_rf(dir);
    }
    bs_topics_plog_config(b->cfg, &t->cfg, &pc);
    if (bs_plog_open(&log, dir, &pc, b->recovering ? 1 : 0, err, errlen) != 0)
        return NULL;
    if (fresh)
        write_partition_metadata(dir, &t->id);
    bs_partition_t *p = bs_xcalloc(1, sizeof(*p));
    p->topic = t;
    p->id = id;
    p->log = log;
    p->dir = bs_xstrdup(dir);
    return p;
}

bs_pidstate_t *bs_partition_pids(bs_partition_t *p)
{
    if (!p->pids_loaded) {
        bs_pidstate_init(&p->pids);
        bs_pidstate_load(&p->pids, p->dir, p->log);
        p->pids_loaded = true;
    }
    return &p->pids;
}

static void topic_free(bs_topic_t *t)
{
    for (int i = 0; i < t->npart; i++) {
        if (t->parts[i]) {
            if (t->parts[i]->pids_loaded)
                bs_pidstate_free(&t->parts[i]->pids);
            free(t->parts[i]->dir);
            free(t->parts[i]);
        }
    }
    free(t->parts);
    bs_topic_overrides_free(&t->ov);
    free(t->name);
    free(t);
}

static bs_topic_t *topic_new(const char *name, size_t len)
{
    bs_topic_t *t = bs_xcalloc(1, sizeof(*t));
    t->name = bs_xstrndup(name, len);
    t->internal = t->name[0] == '_' && t->name[1] == '_';
    return t;
}

/* Kafka forbids topics whose names differ only by '.' vs '_': true (err
 * filled) when `other` is such a name for `name` (len bytes). */
static bool collides(const char *name, size_t len, const char *other, size_t olen, char *err,
                     size_t errlen)
{
    if (olen != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((name[i] == '.' ? '_' : name[i]) != (other[i] == '.' ? '_' : other[i]))
            return false;
    snprintf(err, errlen, "Topic '%s' collides with existing topic: %.*s", name, (int)olen, other);
    return true;
}

/* Checks name against every topic, published or being built. */
static bool unacceptable_collision(bs_broker_t *b, const char *name, char *err, size_t errlen)
{
    size_t it = 0, len = strlen(name);
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&b->topics, &it, &e))
        if (collides(name, len, e->key, e->klen, err, errlen))
            return true;
    for (bs_topic_t *t = b->building; t; t = t->build_next)
        if (collides(name, len, t->name, strlen(t->name), err, errlen))
            return true;
    return false;
}

/* Every partition keeps its directory and its active segment open: log,
 * offset index and time index (4 descriptors). Refuses to add n partitions
 * when that would take the broker past its open-files limit (RLIMIT_NOFILE;
 * a quarter of it, at most 1024, is kept for connections and rolled
 * segments), so the request fails with a message naming the limit instead of
 * half-way through with "Too many open files". */
#define FDS_PER_PARTITION 4
int bs_topics_fd_budget(int64_t n, char *err, size_t errlen)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    int64_t used = 0, limit = (int64_t)rl.rlim_cur;
    int64_t reserve = limit / 4 < 1024 ? limit / 4 : 1024;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        while (readdir(d))
            used++;
        closedir(d);
        used -= 2; /* "." and ".." */
    }
    int64_t need = n * FDS_PER_PARTITION, room = limit - used - reserve;
    if (need <= room)
        return 0;
    snprintf(err, errlen,
             "Creating %lld partition(s) needs about %lld more open files, but the broker's "
             "open-files limit is %lld with %lld in use and %lld kept for connections: raise "
             "the limit (ulimit -n / LimitNOFILE) or create fewer partitions",
             (long long)n, (long long)need, (long long)limit, (long long)used, (long long)reserve);
    return -1;
}

/* Checks everything bs_topics_create would refuse; fills *tc and *npart. */
static bs_err_t create_check(bs_broker_t *b, const char *name, int32_t *npart,
                             const bs_topic_overrides_t *ov, bs_topic_config_t *tc, char *err,
                             size_t errlen)
{
    size_t len = strlen(name);
    const char *why = bs_topic_name_invalid(name, len);
    if (why) {
        snprintf(err, errlen, "%s", why);
        return BS_ERR_INVALID_TOPIC_EXCEPTION;
    }
    bool building = false;
    for (bs_topic_t *t = b->building; t && !building; t = t->build_next)
        building = strcmp(t->name, name) == 0;
    if (building || bs_topics_find(b, name, len)) {
        snprintf(err, errlen, "Topic '%s' already exists.", name);
        return BS_ERR_TOPIC_ALREADY_EXISTS;
    }
    if (unacceptable_collision(b, name, err, errlen))
        return BS_ERR_INVALID_TOPIC_EXCEPTION;
    if (*npart <= 0)
        *npart = b->cfg->num_partitions;
    if (*npart > 100000) {
        snprintf(err, errlen, "Number of partitions %d is larger than Basin allows (100000)",
                 *npart);
        return BS_ERR_INVALID_PARTITIONS;
    }
    if (bs_topic_config_resolve(b->cfg, ov, tc, err, errlen) < 0)
        return BS_ERR_INVALID_CONFIG;
    return BS_ERR_NONE;
}

bs_err_t bs_topics_build_begin(bs_broker_t *b, const char *name, int32_t npart,
                               const bs_topic_overrides_t *ov, bool validate_only, char *err,
                               size_t errlen, bs_topic_t **out)
{
    bs_topic_config_t tc;
    bs_topic_overrides_t empty = {0};
    *out = NULL;
    if (!ov)
        ov = &empty;
    bs_err_t e = create_check(b, name, &npart, ov, &tc, err, errlen);
    if (e != BS_ERR_NONE || validate_only)
        return e;
    bs_topic_t *t = topic_new(name, strlen(name));
    uuid_random(&t->id);
    t->cfg = tc;
    bs_topic_overrides_copy(&t->ov, ov);
    t->parts = bs_xcalloc((size_t)npart, sizeof(*t->parts));
    t->want = npart;
    t->build_next = b->building;
    b->building = t;
    *out = t;
    return BS_ERR_NONE;
}

static void build_unlink(bs_broker_t *b, bs_topic_t *t)
{
    for (bs_topic_t **pp = &b->building; *pp; pp = &(*pp)->build_next) {
        if (*pp == t) {
            *pp = t->build_next;
            break;
        }
    }
    t->build_next = NULL;
}

void bs_topics_build_abort(bs_broker_t *b, bs_topic_t *t)
{
    build_unlink(b, t);
    for (int32_t j = 0; j < t->npart; j++)
        bs_plog_delete(t->parts[j]->log);
    bs_log_info("topics", "creation of topic %s abandoned after %d of %d partition(s)", t->name,
                t->npart, t->want);
    topic_free(t);
}

/* Opens fresh partitions first_id + *n, ... into parts[*n ..) until *n ==
 * want (1) or the monotonic clock passes deadline_ms (0; < 0: none); -1 if
 * one cannot be created (err says why). Shared by the build and the grow. */
static int open_slice(bs_broker_t *b, bs_topic_t *t, bs_partition_t **parts, int32_t *n,
                      int32_t want, int32_t first_id, int64_t deadline_ms, char *err, size_t errlen)
{
    while (*n < want) {
        if (deadline_ms >= 0 && bs_mono_ms() >= deadline_ms)
            return 0;
        bs_partition_t *p = partition_open(b, t, first_id + *n, true, err, errlen);
        if (!p)
            return -1;
        parts[(*n)++] = p;
    }
    return 1;
}

int bs_topics_build_step(bs_broker_t *b, bs_topic_t *t, int64_t deadline_ms, char *err,
                         size_t errlen)
{
    int rc = open_slice(b, t, t->parts, &t->npart, t->want, 0, deadline_ms, err, errlen);
    if (rc < 0)
        bs_topics_build_abort(b, t);
    return rc;
}

bs_err_t bs_topics_build_finish(bs_broker_t *b, bs_topic_t *t, char *err, size_t errlen)
{
    if (topic_persist(b, t, err, errlen) < 0) {
        bs_topics_build_abort(b, t);
        return BS_ERR_KAFKA_STORAGE_ERROR;
    }
    build_unlink(b, t);
    bs_hmap_put(&b->topics, t->name, strlen(t->name), t);
    bs_log_info("topics", "created topic %s with %d partition(s)%s", t->name, t->npart,
                t->ov.count ? " and config overrides" : "");
    return BS_ERR_NONE;
}

bs_err_t bs_topics_create(bs_broker_t *b, const char *name, int32_t npart,
                          const bs_topic_overrides_t *ov, bool validate_only, char *err,
                          size_t errlen, bs_topic_t **out)
{
    bs_topic_t *t = NULL;
    if (out)
        *out = NULL;
    bs_err_t e = bs_topics_build_begin(b, name, npart, ov, validate_only, err, errlen, &t);
    if (e != BS_ERR_NONE || !t)
        return e;
    if (bs_topics_build_step(b, t, -1, err, errlen) < 0)
        return BS_ERR_KAFKA_STORAGE_ERROR;
    if ((e = bs_topics_build_finish(b, t, err, errlen)) != BS_ERR_NONE)
        return e;
    if (out)
        *out = t;
    return BS_ERR_NONE;
}

bs_err_t bs_topics_delete(bs_broker_t *b, bs_topic_t *t)
{
    char path[4096];
    topic_file_path(b, t->name, path, sizeof(path));
    if (unlink(path) < 0 && errno != ENOENT) {
        bs_log_error("topics", "cannot delete %s: %s", path, strerror(errno));
        return BS_ERR_KAFKA_STORAGE_ERROR;
    }
    bs_hmap_del(&b->topics, t->name, strlen(t->name));
    if (t->grow_want > 0) /* a CreatePartitions in progress: its job finds the topic gone */
        bs_topics_grow_abort(b, t);
    for (int i = 0; i < t->npart; i++) {
        bs_sync_forget(b, t->parts[i]);
        bs_produce_forget_partition(b, t->parts[i]);
        bs_cleaner_forget(b, t->parts[i]);
        bs_plog_delete(t->parts[i]->log);
    }
    bs_log_info("topics", "deleted topic %s", t->name);
    if (b->groups)
        bs_group_forget_topic(b->groups, t->name);
    topic_free(t);
    return BS_ERR_NONE;
}

bs_err_t bs_topics_grow_begin(bs_broker_t *b, bs_topic_t *t, int32_t total, bool validate_only,
                              const void *owner, char *err, size_t errlen)
{
    if (t->grow_want > 0) {
        snprintf(err, errlen, "Partitions are already being added to topic %s", t->name);
        return BS_ERR_REASSIGNMENT_IN_PROGRESS;
    }
    if (total <= t->npart) {
        snprintf(err, errlen,
                 "Topic currently has %d partitions, which is higher than the "
                 "requested %d.",
                 t->npart, total);
        return BS_ERR_INVALID_PARTITIONS;
    }
    if (total > 100000) {
        snprintf(err, errlen, "Number of partitions %d is larger than Basin allows (100000)",
                 total);
        return BS_ERR_INVALID_PARTITIONS;
    }
    if (bs_topics_fd_budget(total - t->npart, err, errlen) < 0)
        return BS_ERR_INVALID_PARTITIONS;
    if (validate_only)
        return BS_ERR_NONE;
    (void)b;
    t->grow_want = total - t->npart;
    t->grow_n = 0;
    t->grow_parts = bs_xcalloc((size_t)t->grow_want, sizeof(*t->grow_parts));
    t->grow_owner = owner;
    return BS_ERR_NONE;
}

void bs_topics_grow_abort(bs_broker_t *b, bs_topic_t *t)
{
    (void)b;
    for (int32_t i = 0; i < t->grow_n; i++) {
        bs_plog_delete(t->grow_parts[i]->log);
        free(t->grow_parts[i]->dir);
        free(t->grow_parts[i]);
    }
    if (t->grow_want > 0)
        bs_log_info("topics", "adding partitions to topic %s abandoned after %d of %d", t->name,
                    t->grow_n, t->grow_want);
    free(t->grow_parts);
    t->grow_parts = NULL;
    t->grow_n = t->grow_want = 0;
    t->grow_owner = NULL;
}

int bs_topics_grow_step(bs_broker_t *b, bs_topic_t *t, int64_t deadline_ms, char *err,
                        size_t errlen)
{
    int rc = open_slice(b, t, t->grow_parts, &t->grow_n, t->grow_want, t->npart, deadline_ms, err,
                        errlen);
    if (rc < 0)
        bs_topics_grow_abort(b, t);
    return rc;
}

bs_err_t bs_topics_grow_finish(bs_broker_t *b, bs_topic_t *t, char *err, size_t errlen)
{
    int32_t old = t->npart, total = old + t->grow_n;
    t->parts = bs_xrealloc(t->parts, (size_t)total * sizeof(*t->parts));
    memcpy(t->parts + old, t->grow_parts, (size_t)t->grow_n * sizeof(*t->parts));
    t->npart = total;
    if (topic_persist(b, t, err, errlen) < 0) {
        t->npart = old; /* the new partitions go again: the topic file still says old */
        bs_topics_grow_abort(b, t);
        return BS_ERR_KAFKA_STORAGE_ERROR;
    }
    free(t->grow_parts);
    t->grow_parts = NULL;
    t->grow_n = t->grow_want = 0;
    t->grow_owner = NULL;
    bs_log_info("topics", "topic %s now has %d partitions (was %d)", t->name, t->npart, old);
    return BS_ERR_NONE;
}

bs_err_t bs_topics_set_overrides(bs_broker_t *b, bs_topic_t *t, bs_topic_overrides_t *ov,
                                 bool validate_only, char *err, size_t errlen)
{
    bs_topic_config_t tc;
    bs_topic_overrides_t old;
    if (bs_topic_config_resolve(b->cfg, ov, &tc, err, errlen) < 0)
        return BS_ERR_INVALID_CONFIG;
    if (validate_only)
        return BS_ERR_NONE;
    old = t->ov;
    memset(&t->ov, 0, sizeof(t->ov));
    bs_topic_overrides_copy(&t->ov, ov);
    if (topic_persist(b, t, err, errlen) < 0) {
        bs_topic_overrides_free(&t->ov);
        t->ov = old;
        return BS_ERR_KAFKA_STORAGE_ERROR;
    }
    bs_topic_overrides_free(&old);
    t->cfg = tc;
    bs_plog_config_t pc;
    bs_topics_plog_config(b->cfg, &tc, &pc);
    for (int i = 0; i < t->npart; i++)
        bs_plog_set_config(t->parts[i]->log, &pc);
    bs_log_info("topics", "updated configuration of topic %s (%d override(s))", t->name,
                t->ov.count);
    return BS_ERR_NONE;
}

static int cmp_topic(const void *a, const void *b)
{
    return strcmp((*(bs_topic_t *const *)a)->name, (*(bs_topic_t *const *)b)->name);
}

bs_topic_t **bs_topics_sorted(bs_broker_t *b, int *count)
{
    size_t n = bs_hmap_count(&b->topics), i = 0, it = 0;
    bs_topic_t **arr = bs_xcalloc(n ? n : 1, sizeof(*arr));
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&b->topics, &it, &e))
        arr[i++] = e->val;
    qsort(arr, n, sizeof(*arr), cmp_topic);
    *count = (int)n;
    return arr;
}

/* ---- loading at start-up ---- */

typedef struct {
    bs_topic_t *t;
    int32_t npart;
    int have_id;
} load_ctx_t;

static int load_cb(void *opaque, const char *key, const char *value, int lineno)
{
    load_ctx_t *lc = opaque;
    (void)lineno;
    if (strcmp(key, "topic.id") == 0)
        lc->have_id = b64_to_uuid(value, &lc->t->id) == 0;
    else if (strcmp(key, "partitions") == 0)
        lc->npart = atoi(value);
    else if (strncmp(key, "config.", 7) == 0)
        bs_topic_overrides_set(&lc->t->ov, key + 7, value);
    return 0;
}

int bs_topics_load(bs_broker_t *b)
{
    char dir[4096], path[4096 + 300], err[512];
    int64_t t0 = bs_mono_ms();
    int ntopics = 0, nparts = 0;

    snprintf(dir, sizeof(dir), "%s/" TOPICS_DIR, b->cfg->log_dirs[0]);
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* no topics yet */
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl < 12 || strcmp(e->d_name + nl - 11, ".properties") != 0)
            continue;
        bs_topic_t *t = topic_new(e->d_name, nl - 11);
        load_ctx_t lc = {t, 0, 0};
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (bs_props_parse_file(path, load_cb, &lc, err, sizeof(err)) < 0 || lc.npart <= 0 ||
            !lc.have_id) {
            bs_log_error("topics", "cannot load topic from %s: %s", path,
                         lc.npart <= 0 ? "missing partitions"
                         : lc.have_id  ? err
                                       : "bad topic.id");
            topic_free(t);
            closedir(d);
            return -1;
        }
        if (bs_topic_config_resolve(b->cfg, &t->ov, &t->cfg, err, sizeof(err)) < 0) {
            bs_log_warn("topics", "topic %s: stored configuration invalid (%s); using defaults",
                        t->name, err);
            bs_topic_overrides_t none = {0};
            bs_topic_config_resolve(b->cfg, &none, &t->cfg, err, sizeof(err));
        }
        t->parts = bs_xcalloc((size_t)lc.npart, sizeof(*t->parts));
        for (int32_t i = 0; i < lc.npart; i++) {
            bool exists = find_partition_dir(b, t->name, i, path, sizeof(path)) != NULL;
            t->parts[i] = partition_open(b, t, i, false, err, sizeof(err));
            if (!t->parts[i]) {
                bs_log_error("topics", "cannot open partition %s-%d: %s", t->name, i, err);
                t->npart = i;
                topic_free(t);
                closedir(d);
                return -1;
            }
            if (!exists)
                write_partition_metadata(t->parts[i]->dir, &t->id);
            t->npart = i + 1;
        }
        bs_hmap_put(&b->topics, t->name, strlen(t->name), t);
        ntopics++;
        nparts += t->npart;
    }
    closedir(d);
    bs_log_info("topics", "loaded %d topic(s) with %d partition(s) in %lld ms", ntopics, nparts,
                (long long)(bs_mono_ms() - t0));
    return 0;
}

void bs_topics_close_all(bs_broker_t *b)
{
    while (b->building) /* unfinished CreateTopics: never published */
        bs_topics_build_abort(b, b->building);
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&b->topics, &it, &e)) {
        bs_topic_t *t = e->val;
        if (t->grow_want > 0) /* unfinished CreatePartitions */
            bs_topics_grow_abort(b, t);
        for (int i = 0; i < t->npart; i++) {
            bs_partition_t *p = t->parts[i];
            if (p->pids_loaded)
                bs_pidstate_save(&p->pids, p->dir, bs_plog_end_offset(p->log));
            bs_plog_close(p->log);
        }
        topic_free(t);
    }
    bs_hmap_free(&b->topics);
    bs_hmap_init(&b->topics);
}
