/*
 * config.c — .properties reading/writing and the typed setting-table layer.
 *
 * Properties parsing follows java.util.Properties.load(): a file is split
 * into natural lines (\n, \r or \r\n); a natural line ending in an odd
 * number of backslashes continues on the next one (whose leading
 * whitespace is dropped) to form a logical line; logical lines that are
 * blank or whose first non-blank character is '#' or '!' are comments. The
 * key runs to the first unescaped '=', ':' or whitespace; then whitespace,
 * at most one '=' or ':', and whitespace again are skipped; the rest is the
 * value. Unlike Java, trailing unescaped whitespace of the value is trimmed
 * (Kafka's ConfigDef trims every value anyway, so the result is the same).
 *
 * Table layer invariants: a def's member type is fixed by def->type (plus
 * BS_CFG_F_INLINE / BS_CFG_F_I64), see config.h; bs_cfg_store() never leaves
 * a member half-written: it validates first, then assigns.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"

/* ---------------------------------------------------------------------------
 * .properties parsing
 * ------------------------------------------------------------------------- */

static int props_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static int props_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends code point cp as UTF-8. */
static size_t props_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Reads the 4 hex digits of a \u escape at s[0..4). Returns -1 if bad. */
static long props_hex4(const char *s)
{
    long cp = 0;
    for (int k = 0; k < 4; k++) {
        int h = props_hex(s[k]);
        if (h < 0)
            return -1;
        cp = cp * 16 + h;
    }
    return cp;
}

/* Unescapes s[0..len) into out (which has room for len+1 bytes: no escape
 * expands). Returns the output length, or -1 on a malformed \u escape. */
static long props_unescape(const char *s, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c != '\\' || i + 1 >= len) {
            if (c != '\\')
                out[o++] = c;
            continue;
        }
        c = s[++i];
        switch (c) {
        case 't':
            out[o++] = '\t';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'u': {
            if (len - i - 1 < 4)
                return -1;
            long cp = props_hex4(s + i + 1);
            if (cp < 0)
                return -1;
            i += 4;
            /* a UTF-16 surrogate pair (\uD83D\uDE00) is one code point */
            if (cp >= 0xD800 && cp <= 0xDBFF && len - i - 1 >= 6 && s[i + 1] == '\\' &&
                s[i + 2] == 'u') {
                long lo = props_hex4(s + i + 3);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            /* 6 input bytes give at most 3 output bytes, 12 give 4 */
            o += props_utf8(out + o, (unsigned)cp);
            break;
        }
        default:
            out[o++] = c;
            break;
        }
    }
    out[o] = '\0';
    return (long)o;
}

/* Handles one logical line (continuations already joined, leading
 * whitespace removed, not a comment). */
static int props_line(const char *line, size_t len, const char *name, int lineno, bs_props_cb_t cb,
                      void *opaque, char *err, size_t errlen)
{
    int rc = -1;
    char *key = NULL, *val = NULL;
    size_t k = 0;

    /* key: up to the first unescaped separator */
    while (k < len) {
        char c = line[k];
        if (c == '\\' && k + 1 < len) {
            k += 2;
            continue;
        }
        if (c == '=' || c == ':' || props_is_ws(c))
            break;
        k++;
    }
    size_t v = k;
    while (v < len && props_is_ws(line[v]))
        v++;
    if (v < len && (line[v] == '=' || line[v] == ':')) {
        v++;
        while (v < len && props_is_ws(line[v]))
            v++;
    }
    /* trim trailing unescaped whitespace of the value */
    size_t vend = len;
    while (vend > v && props_is_ws(line[vend - 1]) && !(vend - 1 > v && line[vend - 2] == '\\'))
        vend--;

    key = bs_xmalloc(k + 1);
    val = bs_xmalloc(vend - v + 1);
    if (props_unescape(line, k, key) < 0 || props_unescape(line + v, vend - v, val) < 0) {
        snprintf(err, errlen, "%s:%d: malformed \\uXXXX escape", name, lineno);
        goto done;
    }
    if (cb(opaque, key, val, lineno) != 0) {
        if (err && errlen && err[0] == '\0')
            snprintf(err, errlen, "%s:%d: setting '%s' rejected", name, lineno, key);
        goto done;
    }
    rc = 0;
done:
    free(key);
    free(val);
    return rc;
}

int bs_props_parse_string(const char *text, size_t len, const char *name, bs_props_cb_t cb,
                          void *opaque, char *err, size_t errlen)
{
    int rc = -1;
    char *logical = bs_xmalloc(len + 1); /* joined lines never exceed the input */
    size_t pos = 0;
    int lineno = 0;

    if (err && errlen)
        err[0] = '\0';
    while (pos < len) {
        size_t ll = 0;
        int start_line = lineno + 1;
        int first = 1;
        int continued;
        do {
            /* one natural line */
            size_t s = pos, e = pos;
            while (e < len && text[e] != '\n' && text[e] != '\r')
                e++;
            pos = e;
            if (pos < len && text[pos] == '\r') {
                pos++;
                if (pos < len && text[pos] == '\n')
                    pos++;
            } else if (pos < len && text[pos] == '\n') {
                pos++;
            }
            lineno++;
            while (s < e && props_is_ws(text[s]))
                s++;
            if (first && (s == e || text[s] == '#' || text[s] == '!')) {
                continued = 0; /* blank or comment: never continued */
                break;
            }
            first = 0;
            size_t nbs = 0;
            while (nbs < e - s && text[e - 1 - nbs] == '\\')
                nbs++;
            continued = (nbs % 2) == 1;
            size_t n = e - s - (continued ? 1 : 0);
            memcpy(logical + ll, text + s, n);
            ll += n;
        } while (continued && pos < len);
        if (first)
            continue;
        if (props_line(logical, ll, name, start_line, cb, opaque, err, errlen) != 0)
            goto done;
    }
    rc = 0;
done:
    free(logical);
    return rc;
}

int bs_props_parse_file(const char *path, bs_props_cb_t cb, void *opaque, char *err, size_t errlen)
{
    int rc = -1;
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;

    if (err && errlen)
        err[0] = '\0';
    f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            buf = bs_xrealloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
                goto done;
            }
            break;
        }
    }
    rc = bs_props_parse_string(buf ? buf : "", len, path, cb, opaque, err, errlen);
done:
    if (f)
        fclose(f);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------------------
 * .properties writing
 * ------------------------------------------------------------------------- */

static void props_write_escaped(FILE *f, const char *s, int is_key)
{
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        switch (c) {
        case '\\':
            fputs("\\\\", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\f':
            fputs("\\f", f);
            break;
        case '=':
        case ':':
            if (is_key)
                fputc('\\', f);
            fputc(c, f);
            break;
        case '#':
        case '!':
            if (i == 0)
                fputc('\\', f);
            fputc(c, f);
            break;
        case ' ':
            /* keys: every space; values: leading and trailing spaces */
            if (is_key || i == 0 || s[i + 1] == '\0')
                fputc('\\', f);
            fputc(c, f);
            break;
        default:
            fputc(c, f);
            break;
        }
    }
}

int bs_props_write_atomic(const char *path, const char *const *keys, const char *const *values,
                          int n, char *err, size_t errlen)
{
    int rc = -1;
    char *tmp = NULL, *dir = NULL;
    FILE *f = NULL;
    int dfd = -1;
    size_t plen = strlen(path);

    tmp = bs_xmalloc(plen + 5);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        goto done;
    }
    for (int i = 0; i < n; i++) {
        props_write_escaped(f, keys[i], 1);
        fputc('=', f);
        props_write_escaped(f, values[i] ? values[i] : "", 0);
        fputc('\n', f);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        snprintf(err, errlen, "%s: write failed: %s", tmp, strerror(errno));
        goto done;
    }
    if (fclose(f) != 0) {
        f = NULL;
        snprintf(err, errlen, "%s: close failed: %s", tmp, strerror(errno));
        goto done;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "rename %s -> %s failed: %s", tmp, path, strerror(errno));
        goto done;
    }
    /* fsync the directory so the rename itself is durable */
    dir = bs_xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0 || fsync(dfd) != 0) {
        snprintf(err, errlen, "%s: directory fsync failed: %s", dir, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    if (f) {
        fclose(f);
        unlink(tmp);
    }
    if (dfd >= 0)
        close(dfd);
    free(tmp);
    free(dir);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Typed tables
 * ------------------------------------------------------------------------- */

int bs_cfg_find(const bs_cfg_def_t *defs, int n, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(defs[i].name, name) == 0)
            return i;
    return -1;
}

const char *bs_cfg_type_name(bs_cfg_type_t t)
{
    switch (t) {
    case BS_CFG_BOOLEAN:
        return "boolean";
    case BS_CFG_STRING:
        return "string";
    case BS_CFG_INT:
        return "int";
    case BS_CFG_SHORT:
        return "short";
    case BS_CFG_LONG:
        return "long";
    case BS_CFG_DOUBLE:
        return "double";
    case BS_CFG_LIST:
        return "list";
    case BS_CFG_CLASS:
        return "class";
    case BS_CFG_PASSWORD:
        return "password";
    }
    return "unknown";
}

const char *bs_cfg_importance_name(bs_cfg_importance_t i)
{
    return i == BS_CFG_HIGH ? "high" : i == BS_CFG_MEDIUM ? "medium" : "low";
}

const char *bs_cfg_update_name(bs_cfg_update_t u)
{
    switch (u) {
    case BS_CFG_READ_ONLY:
        return "read-only";
    case BS_CFG_PER_BROKER:
        return "per-broker";
    case BS_CFG_CLUSTER_WIDE:
        return "cluster-wide";
    case BS_CFG_PER_TOPIC:
        return "per-topic";
    }
    return "read-only";
}

static int cfg_no_max(double max)
{
    return max >= 9.2e18;
}

static void cfg_fmt_num(double v, int is_double, char *buf, size_t len)
{
    if (is_double)
        snprintf(buf, len, "%g", v);
    else
        snprintf(buf, len, "%.0f", v);
}

const char *bs_cfg_valid_desc(const bs_cfg_def_t *def, char *buf, size_t len)
{
    char a[40], b[40];
    buf[0] = '\0';
    if (def->valid_set) {
        size_t o = 0;
        o += (size_t)snprintf(buf + o, len - o, "[");
        for (const char *p = def->valid_set; *p && o < len; p++)
            o += (size_t)snprintf(buf + o, len - o, *p == ',' ? ", " : "%c", *p);
        if (o < len)
            snprintf(buf + o, len - o, "]");
    } else if (def->flags & BS_CFG_F_RANGE) {
        int dbl = def->type == BS_CFG_DOUBLE;
        cfg_fmt_num(def->min, dbl, a, sizeof a);
        if (cfg_no_max(def->max)) {
            snprintf(buf, len, "[%s,...]", a);
        } else {
            cfg_fmt_num(def->max, dbl, b, sizeof b);
            snprintf(buf, len, "[%s,...,%s]", a, b);
        }
    }
    return buf;
}

/* Copies s without leading/trailing whitespace into a new heap string. */
static char *cfg_trim_dup(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return bs_xstrndup(s, n);
}

/* Is item (length n) one of the comma-separated words in set? */
static int cfg_in_set(const char *set, const char *item, size_t n)
{
    const char *p = set;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && strncmp(p, item, n) == 0)
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static void cfg_err_bad(const bs_cfg_def_t *def, const char *value, const char *why, char *err,
                        size_t errlen)
{
    char vd[256];
    bs_cfg_valid_desc(def, vd, sizeof vd);
    snprintf(err, errlen, "Invalid value '%s' for configuration %s: %s%s%s", value, def->name, why,
             vd[0] ? "; allowed: " : "", vd);
}

int bs_cfg_parse_int64(const bs_cfg_def_t *def, const char *value, int64_t *out, char *err,
                       size_t errlen)
{
    int rc = -1;
    char *t = cfg_trim_dup(value ? value : "");
    char *end = NULL;
    long long v;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    const char *tname = def->type == BS_CFG_SHORT ? "short"
                        : def->type == BS_CFG_INT ? "int"
                                                  : "long";

    if (def->type == BS_CFG_INT) {
        lo = INT32_MIN;
        hi = INT32_MAX;
    } else if (def->type == BS_CFG_SHORT) {
        lo = INT16_MIN;
        hi = INT16_MAX;
    }
    errno = 0;
    v = strtoll(t, &end, 10);
    if (t[0] == '\0' || *end != '\0') {
        char why[64];
        snprintf(why, sizeof why, "not a number of type %s", tname);
        cfg_err_bad(def, value ? value : "null", why, err, errlen);
        goto done;
    }
    if (errno == ERANGE || v < lo || v > hi) {
        char why[64];
        snprintf(why, sizeof why, "out of range for type %s", tname);
        cfg_err_bad(def, value, why, err, errlen);
        goto done;
    }
    if ((def->flags & BS_CFG_F_RANGE) &&
        ((double)v < def->min || (!cfg_no_max(def->max) && (double)v > def->max))) {
        cfg_err_bad(def, value, "value out of range", err, errlen);
        goto done;
    }
    *out = (int64_t)v;
    rc = 0;
done:
    free(t);
    return rc;
}

/* Parses value per def into the union-ish outputs; returns 0 or -1. */
static int cfg_parse(const bs_cfg_def_t *def, const char *value, int64_t *iv, double *dv, char **sv,
                     char *err, size_t errlen)
{
    int rc = -1;
    char *t = NULL;

    if (!value) {
        if (def->type == BS_CFG_STRING || def->type == BS_CFG_LIST || def->type == BS_CFG_CLASS ||
            def->type == BS_CFG_PASSWORD) {
            *sv = NULL;
            return 0;
        }
        snprintf(err, errlen, "Invalid value null for configuration %s: a %s value is required",
                 def->name, bs_cfg_type_name(def->type));
        return -1;
    }
    switch (def->type) {
    case BS_CFG_BOOLEAN:
        t = cfg_trim_dup(value);
        if (strcasecmp(t, "true") == 0)
            *iv = 1;
        else if (strcasecmp(t, "false") == 0)
            *iv = 0;
        else {
            cfg_err_bad(def, value, "expected true or false", err, errlen);
            goto done;
        }
        break;
    case BS_CFG_INT:
    case BS_CFG_SHORT:
    case BS_CFG_LONG:
        if (bs_cfg_parse_int64(def, value, iv, err, errlen) != 0)
            goto done;
        break;
    case BS_CFG_DOUBLE: {
        char *end = NULL;
        t = cfg_trim_dup(value);
        errno = 0;
        double d = strtod(t, &end);
        if (t[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(d)) {
            cfg_err_bad(def, value, "not a number of type double", err, errlen);
            goto done;
        }
        if ((def->flags & BS_CFG_F_RANGE) &&
            (d < def->min || (!cfg_no_max(def->max) && d > def->max))) {
            cfg_err_bad(def, value, "value out of range", err, errlen);
            goto done;
        }
        *dv = d;
        break;
    }
    case BS_CFG_LIST: {
        /* normalise: trim items, drop empty ones, check against the set */
        t = bs_xstrdup(value);
        size_t cap = strlen(value) + 1, o = 0;
        char *norm = bs_xmalloc(cap);
        norm[0] = '\0';
        char *save = NULL;
        for (char *tok = strtok_r(t, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char *item = cfg_trim_dup(tok);
            size_t n = strlen(item);
            if (n == 0) {
                free(item);
                continue;
            }
            if (def->valid_set && !cfg_in_set(def->valid_set, item, n)) {
                char why[160];
                snprintf(why, sizeof why, "'%s' is not an allowed list item", item);
                cfg_err_bad(def, value, why, err, errlen);
                free(item);
                free(norm);
                goto done;
            }
            o += (size_t)snprintf(norm + o, cap - o, "%s%s", o ? "," : "", item);
            free(item);
        }
        *sv = norm;
        break;
    }
    case BS_CFG_STRING:
    case BS_CFG_CLASS:
    case BS_CFG_PASSWORD:
        t = cfg_trim_dup(value);
        if (def->valid_set && !cfg_in_set(def->valid_set, t, strlen(t))) {
            cfg_err_bad(def, value, "not an allowed value", err, errlen);
            goto done;
        }
        *sv = t;
        t = NULL;
        break;
    }
    if ((def->flags & BS_CFG_F_INLINE) && *sv && strlen(*sv) >= BS_CFG_INLINE_MAX) {
        cfg_err_bad(def, value, "value too long", err, errlen);
        free(*sv);
        *sv = NULL;
        goto done;
    }
    rc = 0;
done:
    free(t);
    return rc;
}

int bs_cfg_validate(const bs_cfg_def_t *def, const char *value, char *err, size_t errlen)
{
    int64_t iv = 0;
    double dv = 0;
    char *sv = NULL;
    int rc = cfg_parse(def, value, &iv, &dv, &sv, err, errlen);
    free(sv);
    return rc;
}

int bs_cfg_store(const bs_cfg_def_t *def, void *base, const char *value, char *err, size_t errlen)
{
    int64_t iv = 0;
    double dv = 0;
    char *sv = NULL;

    if (cfg_parse(def, value, &iv, &dv, &sv, err, errlen) != 0)
        return -1;
    if (def->offset == BS_CFG_NO_MEMBER) {
        free(sv);
        return 0;
    }
    char *m = (char *)base + def->offset;
    switch (def->type) {
    case BS_CFG_BOOLEAN:
        *(bool *)m = iv != 0;
        break;
    case BS_CFG_INT:
        if (def->flags & BS_CFG_F_I64)
            *(int64_t *)m = iv;
        else
            *(int32_t *)m = (int32_t)iv;
        break;
    case BS_CFG_SHORT:
        *(int16_t *)m = (int16_t)iv;
        break;
    case BS_CFG_LONG:
        *(int64_t *)m = iv;
        break;
    case BS_CFG_DOUBLE:
        *(double *)m = dv;
        break;
    case BS_CFG_STRING:
    case BS_CFG_LIST:
    case BS_CFG_CLASS:
    case BS_CFG_PASSWORD:
        if (def->flags & BS_CFG_F_INLINE) {
            snprintf(m, BS_CFG_INLINE_MAX, "%s", sv ? sv : "");
            free(sv);
        } else {
            free(*(char **)m);
            *(char **)m = sv;
        }
        break;
    }
    return 0;
}

const char *bs_cfg_format(const bs_cfg_def_t *def, const void *base, char *buf, size_t len)
{
    if (def->offset == BS_CFG_NO_MEMBER)
        return NULL;
    const char *m = (const char *)base + def->offset;
    switch (def->type) {
    case BS_CFG_BOOLEAN:
        snprintf(buf, len, "%s", *(const bool *)m ? "true" : "false");
        break;
    case BS_CFG_INT:
        if (def->flags & BS_CFG_F_I64)
            snprintf(buf, len, "%lld", (long long)*(const int64_t *)m);
        else
            snprintf(buf, len, "%d", (int)*(const int32_t *)m);
        break;
    case BS_CFG_SHORT:
        snprintf(buf, len, "%d", (int)*(const int16_t *)m);
        break;
    case BS_CFG_LONG:
        snprintf(buf, len, "%lld", (long long)*(const int64_t *)m);
        break;
    case BS_CFG_DOUBLE:
        snprintf(buf, len, "%.15g", *(const double *)m);
        break;
    case BS_CFG_STRING:
    case BS_CFG_LIST:
    case BS_CFG_CLASS:
    case BS_CFG_PASSWORD:
        if (def->flags & BS_CFG_F_INLINE)
            return m;
        return *(char *const *)m;
    }
    return buf;
}

void bs_cfg_free_members(const bs_cfg_def_t *defs, int n, void *base)
{
    for (int i = 0; i < n; i++) {
        const bs_cfg_def_t *d = &defs[i];
        if (d->offset == BS_CFG_NO_MEMBER || (d->flags & BS_CFG_F_INLINE))
            continue;
        if (d->type == BS_CFG_STRING || d->type == BS_CFG_LIST || d->type == BS_CFG_CLASS ||
            d->type == BS_CFG_PASSWORD) {
            char **m = (char **)((char *)base + d->offset);
            free(*m);
            *m = NULL;
        }
    }
}

int *bs_cfg_sorted_index(const bs_cfg_def_t *defs, int n)
{
    int *idx = bs_xmalloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++)
        idx[i] = i;
    /* insertion sort: tables are small, and qsort would need a global
     * context pointer to reach defs */
    for (int i = 1; i < n; i++) {
        int v = idx[i], j = i - 1;
        while (j >= 0 && strcmp(defs[idx[j]].name, defs[v].name) > 0) {
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = v;
    }
    return idx;
}

/* Writes s with markdown table metacharacters escaped. */
static void md_cell(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

void bs_cfg_print_markdown(FILE *out, const bs_cfg_def_t *defs, int n, int topic)
{
    int *idx = bs_cfg_sorted_index(defs, n);
    char vd[256];

    fprintf(out,
            "| Name | Type | Default | Valid values | Importance | Update mode | %s | "
            "Description |\n",
            topic ? "Broker default from" : "Synonym of");
    fprintf(out, "|---|---|---|---|---|---|---|---|\n");
    for (int k = 0; k < n; k++) {
        const bs_cfg_def_t *d = &defs[idx[k]];
        fprintf(out, "| `%s` | %s | ", d->name, bs_cfg_type_name(d->type));
        if (d->dflt && d->dflt[0])
            fprintf(out, "`%s`", d->dflt);
        else
            fputs(d->dflt ? "\"\"" : "null", out);
        fputs(" | ", out);
        md_cell(out, bs_cfg_valid_desc(d, vd, sizeof vd));
        fprintf(out, " | %s | %s | ", bs_cfg_importance_name(d->importance),
                bs_cfg_update_name(d->update));
        if (d->synonym_of)
            fprintf(out, "`%s`", d->synonym_of);
        fputs(" | ", out);
        md_cell(out, d->doc);
        if (d->flags & BS_CFG_F_BASIN)
            fputs(" *(Basin-specific.)*", out);
        if (d->flags & BS_CFG_F_NOEFFECT)
            fputs(" *Accepted for compatibility; no effect on a single-node Basin broker.*", out);
        if (d->note) {
            fputs(" **Basin:** ", out);
            md_cell(out, d->note);
        }
        fputs(" |\n", out);
    }
    free(idx);
}

/* ---- the services' command line ---- */

typedef struct load_file_ctx_s {
    bs_cfg_set_fn set;
    void *cfg;
    const char *path;
    char *err;
    size_t errlen;
} load_file_ctx_t;

static int load_file_cb(void *opaque, const char *key, const char *value, int lineno)
{
    load_file_ctx_t *x = opaque;
    char e[512];
    if (x->set(x->cfg, key, value, e, sizeof e) != 0) {
        snprintf(x->err, x->errlen, "%s:%d: %s", x->path, lineno, e);
        return -1;
    }
    return 0;
}

int bs_cfg_load_args(const char *service, int argc, char **argv, bs_cfg_set_fn set, void *cfg,
                     char *err, size_t errlen)
{
    const char *file = NULL;
    char e[512];

    if (err && errlen)
        err[0] = '\0';
    /* pass 1: find the properties file and check the syntax of the rest */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--override") == 0) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "--override needs an argument: --override key=value");
                return -1;
            }
            i++;
            continue;
        }
        if (strncmp(a, "--override=", 11) == 0 || strcmp(a, "--print-config-docs") == 0 ||
            strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            continue;
        if (a[0] == '-') {
            snprintf(err, errlen, "unknown option '%s' (see basin %s --help)", a, service);
            return -1;
        }
        if (file) {
            snprintf(err, errlen,
                     "more than one properties file given ('%s' and '%s'); use --override "
                     "key=value for single settings",
                     file, a);
            return -1;
        }
        file = a;
    }
    if (file) {
        load_file_ctx_t x = {set, cfg, file, err, errlen};
        if (bs_props_parse_file(file, load_file_cb, &x, err, errlen) != 0)
            return -1;
    }
    /* pass 2: overrides in order, after the file */
    for (int i = 0; i < argc; i++) {
        const char *kv;
        if (strcmp(argv[i], "--override") == 0)
            kv = argv[++i];
        else if (strncmp(argv[i], "--override=", 11) == 0)
            kv = argv[i] + 11;
        else
            continue;
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            snprintf(err, errlen, "--override '%s': expected key=value", kv);
            return -1;
        }
        char *key = bs_xstrndup(kv, (size_t)(eq - kv));
        int r = set(cfg, key, eq + 1, e, sizeof e);
        free(key);
        if (r != 0) {
            snprintf(err, errlen, "--override %s: %s", kv, e);
            return -1;
        }
    }
    return 0;
}

void bs_cfg_kv_set(char ***kv, int *n, const char *name, const char *value)
{
    char **a = *kv;
    for (int i = 0; i < *n; i++) {
        if (strcmp(a[2 * i], name) == 0) {
            free(a[2 * i + 1]);
            a[2 * i + 1] = bs_xstrdup(value);
            return;
        }
    }
    a = bs_xrealloc(a, sizeof(char *) * 2 * (size_t)(*n + 1));
    a[2 * *n] = bs_xstrdup(name);
    a[2 * *n + 1] = bs_xstrdup(value);
    (*n)++;
    *kv = a;
}
