/*
 * format.c — console producer line parsing and consumer record printing
 * (see format.h for the formats). Pure functions over caller-owned buffers:
 * parsing never copies, and a malformed line yields a message, never a crash.
 */
#include "tools/format.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const bs_prod_fmt_props[] = {
    "parse.key",         "key.separator",     "parse.headers",
    "headers.delimiter", "headers.separator", "headers.key.separator",
    "null.marker",       "ignore.error",      NULL};

const char *const bs_cons_fmt_props[] = {
    "print.key",         "print.value",           "print.timestamp", "print.offset",
    "print.partition",   "print.headers",         "key.separator",   "line.separator",
    "headers.separator", "headers.key.separator", "null.literal",    NULL};

static int sep_prop(const bs_kvlist_t *props, const char *name, const char *def, char **out,
                    char *err, size_t errlen)
{
    const char *v = bs_kvlist_get(props, name);
    *out = bs_opts_unescape(v ? v : def);
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int bool_prop(const bs_kvlist_t *props, const char *name, int def, int *out, char *err,
                     size_t errlen)
{
    const char *v = bs_kvlist_get(props, name);
    *out = def;
    if (!v)
        return 0;
    char what[96];
    snprintf(what, sizeof(what), "--property %s", name);
    return bs_opts_bool(v, out, what, err, errlen);
}

int bs_prod_fmt_init(bs_prod_fmt_t *f, const bs_kvlist_t *props, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    if (bool_prop(props, "parse.key", 0, &f->parse_key, err, errlen) ||
        bool_prop(props, "parse.headers", 0, &f->parse_headers, err, errlen) ||
        bool_prop(props, "ignore.error", 0, &f->ignore_error, err, errlen) ||
        sep_prop(props, "key.separator", "\t", &f->key_sep, err, errlen) ||
        sep_prop(props, "headers.delimiter", "\t", &f->headers_delim, err, errlen) ||
        sep_prop(props, "headers.separator", ",", &f->headers_sep, err, errlen) ||
        sep_prop(props, "headers.key.separator", ":", &f->headers_key_sep, err, errlen))
        return -1;
    const char *seps[4] = {f->key_sep, f->headers_delim, f->headers_sep, f->headers_key_sep};
    static const char *names[4] = {"key.separator", "headers.delimiter", "headers.separator",
                                   "headers.key.separator"};
    for (int i = 0; i < 4; i++)
        if (seps[i][0] == '\0') {
            snprintf(err, errlen, "--property %s must not be empty", names[i]);
            return -1;
        }
    const char *nm = bs_kvlist_get(props, "null.marker");
    if (nm && !(f->null_marker = strdup(nm))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void bs_prod_fmt_free(bs_prod_fmt_t *f)
{
    free(f->key_sep);
    free(f->headers_delim);
    free(f->headers_sep);
    free(f->headers_key_sep);
    free(f->null_marker);
    memset(f, 0, sizeof(*f));
}

/* First occurrence of sep in [p, p+len), or NULL. */
static const char *find_sep(const char *p, size_t len, const char *sep)
{
    size_t sl = strlen(sep);
    if (sl == 0 || sl > len)
        return NULL;
    for (size_t i = 0; i + sl <= len; i++)
        if (p[i] == sep[0] && memcmp(p + i, sep, sl) == 0)
            return p + i;
    return NULL;
}

static bs_field_t field(const bs_prod_fmt_t *f, const char *p, size_t len)
{
    bs_field_t fl = {p, len};
    if (f->null_marker && strlen(f->null_marker) == len && memcmp(p, f->null_marker, len) == 0)
        fl.ptr = NULL, fl.len = 0;
    return fl;
}

static int parse_headers(const bs_prod_fmt_t *f, const char *p, size_t len, bs_prod_rec_t *rec,
                         char *err, size_t errlen)
{
    size_t hsl = strlen(f->headers_sep), ksl = strlen(f->headers_key_sep);
    rec->nhdrs = 0;
    if (len == 0)
        return 0;
    while (1) {
        const char *end = find_sep(p, len, f->headers_sep);
        size_t hl = end ? (size_t)(end - p) : len;
        if (rec->nhdrs == BS_FMT_MAX_HEADERS) {
            snprintf(err, errlen, "more than %d headers", BS_FMT_MAX_HEADERS);
            return -1;
        }
        const char *ks = find_sep(p, hl, f->headers_key_sep);
        int h = rec->nhdrs++;
        if (ks) {
            rec->hkey[h] = (bs_field_t){p, (size_t)(ks - p)};
            rec->hval[h] = field(f, ks + ksl, hl - (size_t)(ks - p) - ksl);
        } else {
            rec->hkey[h] = (bs_field_t){p, hl};
            rec->hval[h] = (bs_field_t){NULL, 0};
        }
        if (rec->hkey[h].len == 0) {
            snprintf(err, errlen, "header %d has an empty key", h + 1);
            return -1;
        }
        if (!end)
            break;
        p = end + hsl;
        len -= hl + hsl;
    }
    return 0;
}

int bs_prod_parse_line(const bs_prod_fmt_t *f, const char *line, size_t len, bs_prod_rec_t *rec,
                       char *err, size_t errlen)
{
    const char *p = line;
    rec->nhdrs = 0;
    rec->key = (bs_field_t){NULL, 0};
    if (f->parse_headers) {
        const char *d = find_sep(p, len, f->headers_delim);
        if (!d) {
            if (!f->ignore_error) {
                snprintf(err, errlen, "no headers delimiter found (headers.delimiter)");
                return -1;
            }
        } else {
            if (parse_headers(f, p, (size_t)(d - p), rec, err, errlen) != 0)
                return -1;
            size_t skip = (size_t)(d - p) + strlen(f->headers_delim);
            p += skip;
            len -= skip;
        }
    }
    if (f->parse_key) {
        const char *s = find_sep(p, len, f->key_sep);
        if (!s) {
            if (!f->ignore_error) {
                snprintf(err, errlen, "no key separator found (key.separator)");
                return -1;
            }
        } else {
            rec->key = field(f, p, (size_t)(s - p));
            size_t skip = (size_t)(s - p) + strlen(f->key_sep);
            p += skip;
            len -= skip;
        }
    }
    rec->value = field(f, p, len);
    return 0;
}

int bs_cons_fmt_init(bs_cons_fmt_t *f, const bs_kvlist_t *props, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    if (bool_prop(props, "print.key", 0, &f->print_key, err, errlen) ||
        bool_prop(props, "print.value", 1, &f->print_value, err, errlen) ||
        bool_prop(props, "print.timestamp", 0, &f->print_timestamp, err, errlen) ||
        bool_prop(props, "print.offset", 0, &f->print_offset, err, errlen) ||
        bool_prop(props, "print.partition", 0, &f->print_partition, err, errlen) ||
        bool_prop(props, "print.headers", 0, &f->print_headers, err, errlen) ||
        sep_prop(props, "key.separator", "\t", &f->key_sep, err, errlen) ||
        sep_prop(props, "line.separator", "\n", &f->line_sep, err, errlen) ||
        sep_prop(props, "headers.separator", ",", &f->headers_sep, err, errlen) ||
        sep_prop(props, "headers.key.separator", ":", &f->headers_key_sep, err, errlen) ||
        sep_prop(props, "null.literal", "null", &f->null_literal, err, errlen))
        return -1;
    return 0;
}

void bs_cons_fmt_free(bs_cons_fmt_t *f)
{
    free(f->key_sep);
    free(f->line_sep);
    free(f->headers_sep);
    free(f->headers_key_sep);
    free(f->null_literal);
    memset(f, 0, sizeof(*f));
}

static void put_field(const bs_cons_fmt_t *f, const bs_field_t *fl, FILE *out)
{
    if (fl->ptr)
        fwrite(fl->ptr, 1, fl->len, out);
    else
        fputs(f->null_literal, out);
}

int bs_cons_write(const bs_cons_fmt_t *f, const bs_cons_rec_t *r, FILE *out)
{
    if (f->print_timestamp) {
        if (r->timestamp < 0)
            fputs("NO_TIMESTAMP", out);
        else
            fprintf(out, "%s:%lld", r->timestamp_type == 2 ? "LogAppendTime" : "CreateTime",
                    (long long)r->timestamp);
        fputs(f->key_sep, out);
    }
    if (f->print_partition) {
        fprintf(out, "Partition:%d", (int)r->partition);
        fputs(f->key_sep, out);
    }
    if (f->print_offset) {
        fprintf(out, "Offset:%lld", (long long)r->offset);
        fputs(f->key_sep, out);
    }
    if (f->print_headers) {
        if (r->nhdrs == 0)
            fputs("NO_HEADERS", out);
        for (int i = 0; i < r->nhdrs; i++) {
            if (i)
                fputs(f->headers_sep, out);
            put_field(f, &r->hkey[i], out);
            fputs(f->headers_key_sep, out);
            put_field(f, &r->hval[i], out);
        }
        fputs(f->key_sep, out);
    }
    if (f->print_key) {
        put_field(f, &r->key, out);
        fputs(f->key_sep, out);
    }
    if (f->print_value)
        put_field(f, &r->value, out);
    fputs(f->line_sep, out);
    return ferror(out) ? -1 : 0;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

int bs_parse_datetime(const char *s, int64_t *ms)
{
    int Y, M, D, h, m, sec, frac = 0;
    const char *p = s;
    if (digits(&p, 4, &Y) || expect(&p, '-') || digits(&p, 2, &M) || expect(&p, '-') ||
        digits(&p, 2, &D) || expect(&p, 'T') || digits(&p, 2, &h) || expect(&p, ':') ||
        digits(&p, 2, &m) || expect(&p, ':') || digits(&p, 2, &sec))
        return -1;
    if (*p == '.') {
        p++;
        if (digits(&p, 3, &frac))
            return -1;
    }
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return -1;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t;
    if (*p == '\0') {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    } else {
        int off = 0;
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om;
            p++;
            if (digits(&p, 2, &oh) || expect(&p, ':') || digits(&p, 2, &om) || oh > 23 || om > 59)
                return -1;
            off = sign * (oh * 3600 + om * 60);
        } else {
            return -1;
        }
        if (*p != '\0')
            return -1;
        t = timegm(&tm) - off;
    }
    if (t == (time_t)-1 && !(Y == 1969 && M == 12 && D == 31))
        return -1;
    *ms = (int64_t)t * 1000 + frac;
    return 0;
}
