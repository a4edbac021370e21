/*
 * opts.c — command-line option tables for the console tools (see opts.h).
 *
 * Invariants: bs_opts_t values are pointers into the caller's argv (never
 * copied); the per-option value arrays are owned by bs_opts_t. bs_kvlist_t
 * owns its key and value strings. Nothing here prints or exits: every error
 * is returned as a message naming the option or argument at fault.
 */
#include "tools/opts.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int spec_find(const bs_opt_spec_t *specs, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

static int opt_push(bs_opts_t *o, int idx, const char *val)
{
    const char **nv = realloc(o->vals[idx], sizeof(*nv) * (size_t)(o->count[idx] + 1));
    if (!nv)
        return -1;
    nv[o->count[idx]++] = val;
    o->vals[idx] = nv;
    return 0;
}

int bs_opts_parse(bs_opts_t *o, const bs_opt_spec_t *specs, size_t nspecs, int argc, char **argv,
                  char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    o->specs = specs;
    o->nspecs = nspecs < BS_OPTS_MAX ? nspecs : BS_OPTS_MAX;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            snprintf(err, errlen, "unexpected argument '%s' (options start with --)", a);
            return -1;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int idx = spec_find(specs, o->nspecs, name, len);
        if (idx < 0) {
            snprintf(err, errlen, "unknown option --%.*s", (int)len, name);
            return -1;
        }
        const bs_opt_spec_t *s = &specs[idx];
        const char *val = NULL;
        if (s->kind == BS_OPT_FLAG) {
            if (eq) {
                snprintf(err, errlen, "option --%s takes no value", s->name);
                return -1;
            }
            val = "";
        } else if (eq) {
            val = eq + 1;
        } else {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "option --%s needs a value (%s)", s->name,
                         s->arg ? s->arg : "VALUE");
                return -1;
            }
            val = argv[++i];
        }
        if (s->kind != BS_OPT_LIST && o->count[idx] > 0) {
            snprintf(err, errlen, "option --%s given more than once", s->name);
            return -1;
        }
        if (opt_push(o, idx, val) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

void bs_opts_free(bs_opts_t *o)
{
    for (size_t i = 0; i < BS_OPTS_MAX; i++) {
        free(o->vals[i]);
        o->vals[i] = NULL;
        o->count[i] = 0;
    }
}

static int opt_index(const bs_opts_t *o, const char *name)
{
    return spec_find(o->specs, o->nspecs, name, strlen(name));
}

int bs_opts_has(const bs_opts_t *o, const char *name)
{
    int i = opt_index(o, name);
    return i >= 0 && o->count[i] > 0;
}

const char *bs_opts_get(const bs_opts_t *o, const char *name)
{
    int i = opt_index(o, name);
    if (i < 0 || o->count[i] == 0)
        return NULL;
    return o->vals[i][o->count[i] - 1];
}

const char **bs_opts_list(const bs_opts_t *o, const char *name, int *n)
{
    int i = opt_index(o, name);
    *n = i < 0 ? 0 : o->count[i];
    return *n ? o->vals[i] : NULL;
}

void bs_opts_usage(FILE *out, const bs_opt_spec_t *specs, size_t nspecs)
{
    for (size_t i = 0; i < nspecs; i++) {
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", specs[i].name, specs[i].arg ? " " : "",
                 specs[i].arg ? specs[i].arg : "");
        fprintf(out, "  %-34s %s%s\n", left, specs[i].help,
                specs[i].kind == BS_OPT_LIST ? " (repeatable)" : "");
    }
}

int bs_opts_int(const char *s, long long min, long long max, long long *out, const char *what,
                char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    long long v = s && *s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || errno != 0 || *end != '\0' || v < min || v > max) {
        snprintf(err, errlen, "%s must be an integer in %lld..%lld, got '%s'", what, min, max,
                 s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

int bs_opts_bool(const char *s, int *out, const char *what, char *err, size_t errlen)
{
    if (s && strcasecmp(s, "true") == 0) {
        *out = 1;
        return 0;
    }
    if (s && strcasecmp(s, "false") == 0) {
        *out = 0;
        return 0;
    }
    snprintf(err, errlen, "%s must be true or false, got '%s'", what, s ? s : "");
    return -1;
}

int bs_kvlist_add(bs_kvlist_t *list, const char **vals, int n, const char *what, char *err,
                  size_t errlen)
{
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(vals[i], '=');
        if (!eq || eq == vals[i]) {
            snprintf(err, errlen, "%s '%s' is not of the form key=value", what, vals[i]);
            return -1;
        }
        char *key = strndup(vals[i], (size_t)(eq - vals[i]));
        char *val = strdup(eq + 1);
        if (!key || !val) {
            free(key);
            free(val);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        size_t j;
        for (j = 0; j < list->n; j++)
            if (strcmp(list->items[j].key, key) == 0)
                break;
        if (j < list->n) {
            free(list->items[j].val);
            free(key);
            list->items[j].val = val;
            continue;
        }
        bs_kv_t *ni = realloc(list->items, sizeof(*ni) * (list->n + 1));
        if (!ni) {
            free(key);
            free(val);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        list->items = ni;
        list->items[list->n].key = key;
        list->items[list->n].val = val;
        list->n++;
    }
    return 0;
}

const char *bs_kvlist_get(const bs_kvlist_t *list, const char *key)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->items[i].key, key) == 0)
            return list->items[i].val;
    return NULL;
}

int bs_kvlist_check(const bs_kvlist_t *list, const char *const *known, const char *what, char *err,
                    size_t errlen)
{
    for (size_t i = 0; i < list->n; i++) {
        const char *const *k;
        for (k = known; *k; k++)
            if (strcmp(*k, list->items[i].key) == 0)
                break;
        if (!*k) {
            size_t off =
                (size_t)snprintf(err, errlen, "unknown %s '%s' (known:", what, list->items[i].key);
            for (k = known; *k && off < errlen; k++)
                off += (size_t)snprintf(err + off, errlen - off, " %s", *k);
            if (off < errlen)
                snprintf(err + off, errlen - off, ")");
            return -1;
        }
    }
    return 0;
}

void bs_kvlist_free(bs_kvlist_t *list)
{
    for (size_t i = 0; i < list->n; i++) {
        free(list->items[i].key);
        free(list->items[i].val);
    }
    free(list->items);
    list->items = NULL;
    list->n = 0;
}

char *bs_opts_unescape(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char c = s[i + 1];
            char r = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == '\\' ? '\\' : 0;
            if (r) {
                out[j++] = r;
                i++;
                continue;
            }
        }
        out[j++] = s[i];
    }
    out[j] = '\0';
    return out;
}
