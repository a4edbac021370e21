/*
 * sr_client.c — Confluent Schema Registry REST client over libcurl.
 *
 * One CURL easy handle per client, reused for every request so connections
 * stay alive; `http_lock` serialises its use (the client is shared between
 * threads; cache hits never take that lock). Several base URLs: requests
 * start at the URL that last answered and fail over to the next ones on
 * transport errors (connect refused, timeouts), as Confluent's RestService
 * does; an HTTP answer, even an error, ends the attempt.
 *
 * Caches (under `cache_lock`; a miss on an id is fetched under `fetch_lock`
 * after a re-check, so racing threads send one request per id):
 *   by_id      "<id>"                    -> sr_entry_t (schema text, parsed
 *                                           Avro schema made on first use);
 *                                           never evicted: entries are handed
 *                                           out by pointer, and a registry's
 *                                           ids are few
 *   by_schema  "<subject>\n<type>\n<text>" -> id + 1 (register and lookup),
 *                                           at most cache_capacity entries;
 *                                           beyond that results go uncached
 *
 * Errors carry the registry's error_code and message (its JSON error body
 * {"error_code":40401,"message":"Subject 'x' not found."}), or a local code
 * with a message naming every URL tried.
 */
#include "serdes_int.h"

#include "base/hmap.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sr_entry_s {
    char *text;
    char *type;               /* schemaType: "AVRO" when the registry left it out */
    bs_serdes_schema_t *avro; /* parsed lazily; NULL until asked for */
} sr_entry_t;

struct bs_sr_client_s {
    char **urls;
    int nurls;
    int cur; /* index of the URL that answered last (under http_lock) */
    char *userpwd;
    long timeout_ms, connect_timeout_ms;
    size_t cache_cap;

    pthread_mutex_t http_lock;
    CURL *curl;
    struct curl_slist *hdrs;
    bs_serdes_buf_t body;

    pthread_mutex_t cache_lock;
    pthread_mutex_t fetch_lock; /* one fetch per missing id, even when racing */
    bs_hmap_t by_id;
    bs_hmap_t by_schema;
    uint64_t requests; /* __atomic */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
}

static void free_urls(char **u, int n)
{
    for (int i = 0; i < n; i++)
        free(u[i]);
    free(u);
}

bs_sr_client_t *bs_sr_client_new(const char *urls, const bs_serdes_conf_t *conf, char *err,
                                 size_t errlen)
{
    bs_serdes_conf_t defaults;
    bs_sr_client_t *c = NULL;
    char *copy = NULL;
    if (!conf) {
        bs_serdes_conf_init(&defaults);
        conf = &defaults;
    }
    if (!urls)
        urls = conf->urls;
    if (!urls || !*urls) {
        bs_serdes_fmt(err, errlen, "schema.registry.url is not set");
        return NULL;
    }
    pthread_once(&curl_once, curl_init_once);
    c = calloc(1, sizeof(*c));
    copy = strdup(urls);
    if (!c || !copy)
        goto nomem;
    c->timeout_ms = conf->request_timeout_ms;
    c->connect_timeout_ms = conf->connect_timeout_ms;
    c->cache_cap = conf->cache_capacity ? conf->cache_capacity : 1000;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t n = strlen(tok);
        while (n && (tok[n - 1] == ' ' || tok[n - 1] == '/'))
            tok[--n] = 0;
        if (!n)
            continue;
        if (strncmp(tok, "http://", 7) && strncmp(tok, "https://", 8)) {
            bs_serdes_fmt(err, errlen,
                          "schema.registry.url: '%s' is not an http:// or https:// URL", tok);
            goto fail;
        }
        char **nu = realloc(c->urls, sizeof(char *) * (size_t)(c->nurls + 1));
        if (!nu)
            goto nomem;
        c->urls = nu;
        if (!(c->urls[c->nurls] = strdup(tok)))
            goto nomem;
        c->nurls++;
    }
    if (!c->nurls) {
        bs_serdes_fmt(err, errlen, "schema.registry.url '%s' names no URL", urls);
        goto fail;
    }
    const char *src = conf->basic_auth_source;
    if (conf->basic_auth_user_info && (!src || !strcmp(src, "USER_INFO"))) {
        if (!strchr(conf->basic_auth_user_info, ':')) {
            bs_serdes_fmt(err, errlen, "basic.auth.user.info must be user:password");
            goto fail;
        }
        if (!(c->userpwd = strdup(conf->basic_auth_user_info)))
            goto nomem;
    } else if (src && !strcmp(src, "USER_INFO")) {
        bs_serdes_fmt(err, errlen,
                      "basic.auth.credentials.source=USER_INFO needs basic.auth.user.info");
        goto fail;
    }
    /* source URL: curl takes user:password from the URL itself */
    c->curl = curl_easy_init();
    if (!c->curl)
        goto nomem;
    c->hdrs = curl_slist_append(NULL, "Content-Type: application/vnd.schemaregistry.v1+json");
    c->hdrs = curl_slist_append(c->hdrs, "Accept: application/vnd.schemaregistry.v1+json, "
                                         "application/vnd.schemaregistry+json; qs=0.9, "
                                         "application/json; qs=0.5");
    pthread_mutex_init(&c->http_lock, NULL);
    pthread_mutex_init(&c->cache_lock, NULL);
    pthread_mutex_init(&c->fetch_lock, NULL);
    bs_hmap_init(&c->by_id);
    bs_hmap_init(&c->by_schema);
    bs_serdes_buf_init(&c->body);
    free(copy);
    return c;
nomem:
    bs_serdes_fmt(err, errlen, "out of memory creating the schema registry client");
fail:
    free(copy);
    if (c) {
        free_urls(c->urls, c->nurls);
        free(c->userpwd);
        if (c->curl)
            curl_easy_cleanup(c->curl);
        free(c);
    }
    return NULL;
}

void bs_sr_client_destroy(bs_sr_client_t *c)
{
    if (!c)
        return;
    const bs_hmap_ent_t *e;
    for (size_t i = 0; bs_hmap_next(&c->by_id, &i, &e);) {
        sr_entry_t *en = e->val;
        free(en->text);
        free(en->type);
        bs_serdes_schema_destroy(en->avro);
        free(en);
    }
    bs_hmap_free(&c->by_id);
    bs_hmap_free(&c->by_schema);
    curl_slist_free_all(c->hdrs);
    curl_easy_cleanup(c->curl);
    bs_serdes_buf_free(&c->body);
    pthread_mutex_destroy(&c->http_lock);
    pthread_mutex_destroy(&c->cache_lock);
    pthread_mutex_destroy(&c->fetch_lock);
    free_urls(c->urls, c->nurls);
    free(c->userpwd);
    free(c);
}

uint64_t bs_sr_client_requests(bs_sr_client_t *c)
{
    return __atomic_load_n(&c->requests, __ATOMIC_RELAXED);
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    bs_serdes_buf_t *b = ud;
    size_t len = sz * n;
    if (b->len + len > (64u << 20) || bs_serdes_buf_reserve(b, len + 1))
        return 0; /* aborts the transfer: answers are small JSON */
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = 0; /* room reserved above: error messages print it */
    return len;
}

/* Prints a URL without its user:password part (URL-sourced credentials). */
static void redact(const char *url, char *out, size_t outlen)
{
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
    if (at && (!slash || at < slash))
        snprintf(out, outlen, "%.*s***@%s", (int)(scheme + 3 - url), url, at + 1);
    else
        snprintf(out, outlen, "%s", url);
}

/* Sends one request (body NULL = GET). On 2xx *resp gets the parsed JSON.
 * Otherwise e is filled and -1 returned. */
static int sr_http(bs_sr_client_t *c, const char *method, const char *path, const char *body,
                   json_t **resp, bs_sr_error_t *e)
{
    int rc = -1;
    char tried[400] = "";
    size_t tl = 0;
    *resp = NULL;
    pthread_mutex_lock(&c->http_lock);
    for (int k = 0; k < c->nurls; k++) {
        int ui = (c->cur + k) % c->nurls;
        size_t ulen = strlen(c->urls[ui]) + strlen(path) + 1;
        char *url = malloc(ulen);
        if (!url) {
            bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
            goto done;
        }
        snprintf(url, ulen, "%s%s", c->urls[ui], path);
        CURL *h = c->curl;
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->body);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "basin-serdes/1");
        if (c->userpwd) {
            curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
            curl_easy_setopt(h, CURLOPT_USERPWD, c->userpwd);
        }
        if (body) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        }
        if (strcmp(method, body ? "POST" : "GET"))
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        c->body.len = 0;
        __atomic_add_fetch(&c->requests, 1, __ATOMIC_RELAXED);
        CURLcode cc = curl_easy_perform(h);
        char shown[256];
        redact(url, shown, sizeof(shown));
        free(url);
        if (cc != CURLE_OK) {
            int w = snprintf(tried + tl, sizeof(tried) - tl, "%s%s: %s", tl ? "; " : "", shown,
                             curl_easy_strerror(cc));
            if (w > 0)
                tl = tl + (size_t)w < sizeof(tried) ? tl + (size_t)w : sizeof(tried) - 1;
            continue;
        }
        c->cur = ui;
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        json_error_t je;
        json_t *j = json_loadb((const char *)c->body.data, c->body.len, JSON_DECODE_ANY, &je);
        if (status >= 200 && status < 300) {
            if (!j) {
                bs_sr_seterr(e, BS_SR_ERR_PROTOCOL, (int)status,
                             "schema registry %s answered %s %s with invalid JSON: %s", shown,
                             method, path, je.text);
                goto done;
            }
            *resp = j;
            rc = 0;
            goto done;
        }
        json_t *code = j ? json_object_get(j, "error_code") : NULL;
        const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
        if (json_is_integer(code))
            bs_sr_seterr(e, (int)json_integer_value(code), (int)status,
                         "schema registry error %d (HTTP %ld): %s", (int)json_integer_value(code),
                         status, msg ? msg : "(no message)");
        else
            bs_sr_seterr(e, (int)status, (int)status,
                         "schema registry %s answered HTTP %ld to %s %s: %.200s", shown, status,
                         method, path, c->body.len ? (const char *)c->body.data : "");
        json_decref(j);
        goto done;
    }
    bs_sr_seterr(e, BS_SR_ERR_TRANSPORT, 0, "schema registry unreachable: %s", tried);
done:
    /* body buffer data is not NUL-terminated; keep the size modest */
    if (c->body.cap > (1u << 20)) {
        bs_serdes_buf_free(&c->body);
    }
    pthread_mutex_unlock(&c->http_lock);
    return rc;
}

/* "/subjects/<escaped subject><suffix>" */
static char *subject_path(bs_sr_client_t *c, const char *subject, const char *suffix)
{
    (void)c;
    char *esc = curl_easy_escape(NULL, subject, 0);
    if (!esc)
        return NULL;
    size_t n = strlen(esc) + strlen(suffix) + 16;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "/subjects/%s%s", esc, suffix);
    curl_free(esc);
    return p;
}

static char *schema_body(const char *schema_text, const char *schema_type)
{
    json_t *o = json_object();
    json_object_set_new(o, "schema", json_string(schema_text));
    if (schema_type && strcmp(schema_type, "AVRO"))
        json_object_set_new(o, "schemaType", json_string(schema_type));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static char *schema_key(const char *subject, const char *type, const char *text, size_t *klen)
{
    const char *t = type ? type : "AVRO";
    size_t n = strlen(subject) + strlen(t) + strlen(text) + 3;
    char *k = malloc(n);
    if (k)
        *klen = (size_t)snprintf(k, n, "%s\n%s\n%s", subject, t, text);
    return k;
}

static int cache_schema_id(bs_sr_client_t *c, const char *key, size_t klen)
{
    pthread_mutex_lock(&c->cache_lock);
    void *v = bs_hmap_get(&c->by_schema, key, klen);
    pthread_mutex_unlock(&c->cache_lock);
    return v ? (int)((intptr_t)v - 1) : -1;
}

static void cache_put_schema_id(bs_sr_client_t *c, const char *key, size_t klen, int id)
{
    pthread_mutex_lock(&c->cache_lock);
    if (bs_hmap_count(&c->by_schema) < c->cache_cap)
        bs_hmap_put(&c->by_schema, key, klen, (void *)((intptr_t)id + 1));
    pthread_mutex_unlock(&c->cache_lock);
}

static int check_args(const char *subject, const char *text, bs_sr_error_t *e)
{
    if (!subject || !*subject || !text) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "subject and schema must be given");
        return -1;
    }
    return 0;
}

int bs_sr_register(bs_sr_client_t *c, const char *subject, const char *schema_text,
                   const char *schema_type, int *id_out, bs_sr_error_t *e)
{
    int rc = -1;
    size_t klen = 0;
    char *key = NULL, *path = NULL, *body = NULL;
    json_t *r = NULL;
    if (check_args(subject, schema_text, e))
        return -1;
    key = schema_key(subject, schema_type, schema_text, &klen);
    path = subject_path(c, subject, "/versions");
    body = schema_body(schema_text, schema_type);
    if (!key || !path || !body) {
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    int id = cache_schema_id(c, key, klen);
    if (id >= 0) {
        *id_out = id;
        rc = 0;
        goto done;
    }
    if (sr_http(c, "POST", path, body, &r, e))
        goto done;
    json_t *jid = json_object_get(r, "id");
    if (!json_is_integer(jid)) {
        bs_sr_seterr(e, BS_SR_ERR_PROTOCOL, 200,
                     "schema registry answered the registration under '%s' without an id", subject);
        goto done;
    }
    *id_out = (int)json_integer_value(jid);
    cache_put_schema_id(c, key, klen, *id_out);
    rc = 0;
done:
    json_decref(r);
    free(key);
    free(path);
    free(body);
    return rc;
}

int bs_sr_lookup(bs_sr_client_t *c, const char *subject, const char *schema_text,
                 const char *schema_type, int *id_out, int *version_out, bs_sr_error_t *e)
{
    int rc = -1;
    size_t klen = 0;
    char *key = NULL, *path = NULL, *body = NULL;
    json_t *r = NULL;
    if (check_args(subject, schema_text, e))
        return -1;
    key = schema_key(subject, schema_type, schema_text, &klen);
    path = subject_path(c, subject, "");
    body = schema_body(schema_text, schema_type);
    if (!key || !path || !body) {
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    int id = version_out ? -1 : cache_schema_id(c, key, klen);
    if (id >= 0) {
        *id_out = id;
        rc = 0;
        goto done;
    }
    if (sr_http(c, "POST", path, body, &r, e))
        goto done;
    json_t *jid = json_object_get(r, "id");
    if (!json_is_integer(jid)) {
        bs_sr_seterr(e, BS_SR_ERR_PROTOCOL, 200,
                     "schema registry answered the lookup under '%s' without an id", subject);
        goto done;
    }
    *id_out = (int)json_integer_value(jid);
    if (version_out)
        *version_out = (int)json_integer_value(json_object_get(r, "version"));
    cache_put_schema_id(c, key, klen, *id_out);
    rc = 0;
done:
    json_decref(r);
    free(key);
    free(path);
    free(body);
    return rc;
}

int bs_sr_latest(bs_sr_client_t *c, const char *subject, int *id_out, int *version_out,
                 char **schema_out, bs_sr_error_t *e)
{
    int rc = -1;
    json_t *r = NULL;
    char *path = NULL;
    if (!subject || !*subject) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "subject must be given");
        return -1;
    }
    if (!(path = subject_path(c, subject, "/versions/latest"))) {
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    if (sr_http(c, "GET", path, NULL, &r, e))
        goto done;
    json_t *jid = json_object_get(r, "id");
    const char *text = json_string_value(json_object_get(r, "schema"));
    if (!json_is_integer(jid) || !text) {
        bs_sr_seterr(e, BS_SR_ERR_PROTOCOL, 200,
                     "schema registry answered the latest version of '%s' without id or schema",
                     subject);
        goto done;
    }
    if (id_out)
        *id_out = (int)json_integer_value(jid);
    if (version_out)
        *version_out = (int)json_integer_value(json_object_get(r, "version"));
    if (schema_out && !(*schema_out = strdup(text))) {
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    rc = 0;
done:
    json_decref(r);
    free(path);
    return rc;
}

/* Returns the cache entry for id, fetching it if needed. The entry stays
 * valid for the client's lifetime (entries are never evicted). */
static sr_entry_t *fetch_by_id(bs_sr_client_t *c, int id, const char *key, size_t klen,
                               bs_sr_error_t *e);

static sr_entry_t *entry_by_id(bs_sr_client_t *c, int id, bs_sr_error_t *e)
{
    char key[16];
    size_t klen = (size_t)snprintf(key, sizeof(key), "%d", id);
    sr_entry_t *en;
    pthread_mutex_lock(&c->cache_lock);
    en = bs_hmap_get(&c->by_id, key, klen);
    pthread_mutex_unlock(&c->cache_lock);
    if (en)
        return en;
    /* miss: fetch under fetch_lock, re-checking first, so that threads
     * missing the same id at once send one request */
    pthread_mutex_lock(&c->fetch_lock);
    pthread_mutex_lock(&c->cache_lock);
    en = bs_hmap_get(&c->by_id, key, klen);
    pthread_mutex_unlock(&c->cache_lock);
    if (!en)
        en = fetch_by_id(c, id, key, klen, e);
    pthread_mutex_unlock(&c->fetch_lock);
    return en;
}

static sr_entry_t *fetch_by_id(bs_sr_client_t *c, int id, const char *key, size_t klen,
                               bs_sr_error_t *e)
{
    json_t *r = NULL;
    sr_entry_t *en;
    char path[48];
    snprintf(path, sizeof(path), "/schemas/ids/%d", id);
    if (sr_http(c, "GET", path, NULL, &r, e))
        return NULL;
    const char *text = json_string_value(json_object_get(r, "schema"));
    if (!text) {
        bs_sr_seterr(e, BS_SR_ERR_PROTOCOL, 200,
                     "schema registry answered schema id %d without a schema", id);
        json_decref(r);
        return NULL;
    }
    const char *type = json_string_value(json_object_get(r, "schemaType"));
    en = calloc(1, sizeof(*en));
    if (!en || !(en->text = strdup(text)) || !(en->type = strdup(type ? type : "AVRO"))) {
        if (en)
            free(en->text);
        free(en);
        json_decref(r);
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    json_decref(r);
    pthread_mutex_lock(&c->cache_lock);
    sr_entry_t *other = bs_hmap_get(&c->by_id, key, klen);
    if (other) { /* another thread won the race */
        free(en->text);
        free(en->type);
        free(en);
        en = other;
    } else {
        bs_hmap_put(&c->by_id, key, klen, en);
    }
    pthread_mutex_unlock(&c->cache_lock);
    return en;
}

int bs_sr_get_by_id(bs_sr_client_t *c, int id, char **schema_out, bs_sr_error_t *e)
{
    sr_entry_t *en = entry_by_id(c, id, e);
    if (!en)
        return -1;
    if (!(*schema_out = strdup(en->text))) {
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    return 0;
}

int bs_sr_get_by_id_type(bs_sr_client_t *c, int id, char **schema_out, char **type_out,
                         bs_sr_error_t *e)
{
    sr_entry_t *en = entry_by_id(c, id, e);
    if (!en)
        return -1;
    *schema_out = strdup(en->text);
    *type_out = strdup(en->type);
    if (!*schema_out || !*type_out) {
        free(*schema_out);
        free(*type_out);
        *schema_out = *type_out = NULL;
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    return 0;
}

int bs_sr_get_version(bs_sr_client_t *c, const char *subject, int version, int *id_out,
                      int *version_out, char **schema_out, char **type_out, bs_sr_error_t *e)
{
    int rc = -1;
    json_t *r = NULL;
    char *path = NULL, suffix[40];
    *schema_out = *type_out = NULL;
    if (!subject || !*subject) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "subject must be given");
        return -1;
    }
    if (version > 0)
        snprintf(suffix, sizeof(suffix), "/versions/%d", version);
    else
        snprintf(suffix, sizeof(suffix), "/versions/latest");
    if (!(path = subject_path(c, subject, suffix))) {
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
        return -1;
    }
    if (sr_http(c, "GET", path, NULL, &r, e))
        goto done;
    json_t *jid = json_object_get(r, "id");
    const char *text = json_string_value(json_object_get(r, "schema"));
    const char *type = json_string_value(json_object_get(r, "schemaType"));
    if (!json_is_integer(jid) || !text) {
        bs_sr_seterr(e, BS_SR_ERR_PROTOCOL, 200,
                     "schema registry answered version %s of '%s' without id or schema",
                     suffix + 10, subject);
        goto done;
    }
    *id_out = (int)json_integer_value(jid);
    *version_out = (int)json_integer_value(json_object_get(r, "version"));
    *schema_out = strdup(text);
    *type_out = strdup(type ? type : "AVRO");
    if (!*schema_out || !*type_out) {
        free(*schema_out);
        free(*type_out);
        *schema_out = *type_out = NULL;
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    rc = 0;
done:
    json_decref(r);
    free(path);
    return rc;
}

bs_serdes_schema_t *bs_sr_schema_by_id(bs_sr_client_t *c, int id, bs_sr_error_t *e)
{
    sr_entry_t *en = entry_by_id(c, id, e);
    bs_serdes_schema_t *s = NULL;
    if (!en)
        return NULL;
    pthread_mutex_lock(&c->cache_lock);
    s = bs_serdes_schema_keep(en->avro);
    pthread_mutex_unlock(&c->cache_lock);
    if (s)
        return s;
    char err[400];
    s = bs_serdes_schema_new(en->text, (size_t)-1, err, sizeof(err));
    if (!s) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "schema id %d is not a usable Avro schema: %s", id,
                     err);
        return NULL;
    }
    pthread_mutex_lock(&c->cache_lock);
    if (!en->avro) {
        en->avro = bs_serdes_schema_keep(s);
    } else {
        bs_serdes_schema_destroy(s);
        s = bs_serdes_schema_keep(en->avro);
    }
    pthread_mutex_unlock(&c->cache_lock);
    return s;
}
