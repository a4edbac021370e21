/*
 * test_tools_format.c — the console tools' pure parts: option tables
 * (opts.c), k=v lists, producer line parsing and consumer record printing
 * (format.c), --to-datetime parsing, and the health probes against a
 * closed port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/format.h"
#include "tools/opts.h"
#include "up/health.h"

static const bs_opt_spec_t specs[] = {
    {"topic", BS_OPT_VALUE, "TOPIC", "topic"},
    {"config", BS_OPT_LIST, "K=V", "config"},
    {"list", BS_OPT_FLAG, NULL, "list"},
};

static int parse(bs_opts_t *o, char *err, size_t errlen, int argc, ...)
{
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    return bs_opts_parse(o, specs, 3, argc, argv, err, errlen);
}

static void test_opts_ok(void **state)
{
    (void)state;
    bs_opts_t o;
    char err[256];
    assert_int_equal(
        parse(&o, err, sizeof err, 5, "--topic", "t1", "--config=a=1", "--config", "b=2"), 0);
    assert_string_equal(bs_opts_get(&o, "topic"), "t1");
    int n;
    const char **v = bs_opts_list(&o, "config", &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[0], "a=1");
    assert_string_equal(v[1], "b=2");
    assert_false(bs_opts_has(&o, "list"));
    assert_null(bs_opts_get(&o, "list"));
    bs_opts_free(&o);
}

static void test_opts_errors(void **state)
{
    (void)state;
    bs_opts_t o;
    char err[256];
    assert_int_equal(parse(&o, err, sizeof err, 1, "--nope"), -1);
    assert_string_equal(err, "unknown option --nope");
    bs_opts_free(&o);
    assert_int_equal(parse(&o, err, sizeof err, 1, "--topic"), -1);
    assert_string_equal(err, "option --topic needs a value (TOPIC)");
    bs_opts_free(&o);
    assert_int_equal(parse(&o, err, sizeof err, 4, "--topic", "a", "--topic", "b"), -1);
    assert_string_equal(err, "option --topic given more than once");
    bs_opts_free(&o);
    assert_int_equal(parse(&o, err, sizeof err, 1, "--list=1"), -1);
    assert_string_equal(err, "option --list takes no value");
    bs_opts_free(&o);
    assert_int_equal(parse(&o, err, sizeof err, 1, "stray"), -1);
    assert_non_null(strstr(err, "unexpected argument 'stray'"));
    bs_opts_free(&o);
    assert_int_equal(parse(&o, err, sizeof err, 1, "--"), -1);
    bs_opts_free(&o);
}

static void test_opts_numbers(void **state)
{
    (void)state;
    long long v;
    char err[256];
    assert_int_equal(bs_opts_int("42", 1, 100, &v, "--n", err, sizeof err), 0);
    assert_int_equal(v, 42);
    assert_int_equal(bs_opts_int("0", 1, 100, &v, "--n", err, sizeof err), -1);
    assert_string_equal(err, "--n must be an integer in 1..100, got '0'");
    assert_int_equal(bs_opts_int("", 1, 100, &v, "--n", err, sizeof err), -1);
    assert_int_equal(bs_opts_int("12x", 1, 100, &v, "--n", err, sizeof err), -1);
    assert_int_equal(bs_opts_int("99999999999999999999", 1, 100, &v, "--n", err, sizeof err), -1);
    int b;
    assert_int_equal(bs_opts_bool("TRUE", &b, "x", err, sizeof err), 0);
    assert_int_equal(b, 1);
    assert_int_equal(bs_opts_bool("1", &b, "x", err, sizeof err), -1);
}

static void test_kvlist(void **state)
{
    (void)state;
    bs_kvlist_t l = {0};
    char err[512];
    const char *vals[] = {"a=1", "b=x=y", "a=2", "c="};
    assert_int_equal(bs_kvlist_add(&l, vals, 4, "--config", err, sizeof err), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(bs_kvlist_get(&l, "a"), "2");
    assert_string_equal(bs_kvlist_get(&l, "b"), "x=y");
    assert_string_equal(bs_kvlist_get(&l, "c"), "");
    assert_null(bs_kvlist_get(&l, "d"));
    const char *bad[] = {"novalue"};
    assert_int_equal(bs_kvlist_add(&l, bad, 1, "--config", err, sizeof err), -1);
    assert_string_equal(err, "--config 'novalue' is not of the form key=value");
    const char *bad2[] = {"=v"};
    assert_int_equal(bs_kvlist_add(&l, bad2, 1, "--config", err, sizeof err), -1);
    static const char *const known[] = {"a", "b", NULL};
    assert_int_equal(bs_kvlist_check(&l, known, "--property", err, sizeof err), -1);
    assert_string_equal(err, "unknown --property 'c' (known: a b)");
    bs_kvlist_free(&l);
    char *u = bs_opts_unescape("a\\tb\\n\\\\\\x");
    assert_string_equal(u, "a\tb\n\\\\x");
    free(u);
}

static void prod_fmt(bs_prod_fmt_t *f, int n, ...)
{
    bs_kvlist_t l = {0};
    char err[256];
    const char *vals[8];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        vals[i] = va_arg(ap, const char *);
    va_end(ap);
    assert_int_equal(bs_kvlist_add(&l, vals, n, "--property", err, sizeof err), 0);
    assert_int_equal(bs_prod_fmt_init(f, &l, err, sizeof err), 0);
    bs_kvlist_free(&l);
}

#define assert_field(fl, s)                                                                        \
    do {                                                                                           \
        assert_non_null((fl).ptr);                                                                 \
        assert_int_equal((fl).len, strlen(s));                                                     \
        assert_memory_equal((fl).ptr, s, strlen(s));                                               \
    } while (0)

static void test_prod_plain(void **state)
{
    (void)state;
    bs_prod_fmt_t f;
    bs_prod_rec_t r;
    char err[256];
    prod_fmt(&f, 0);
    const char *line = "hello:world";
    assert_int_equal(bs_prod_parse_line(&f, line, strlen(line), &r, err, sizeof err), 0);
    assert_null(r.key.ptr);
    assert_field(r.value, "hello:world");
    assert_int_equal(r.nhdrs, 0);
    assert_int_equal(bs_prod_parse_line(&f, "", 0, &r, err, sizeof err), 0);
    assert_int_equal(r.value.len, 0);
    bs_prod_fmt_free(&f);
}

static void test_prod_key_headers(void **state)
{
    (void)state;
    bs_prod_fmt_t f;
    bs_prod_rec_t r;
    char err[256];
    prod_fmt(&f, 4, "parse.key=true", "key.separator=::", "parse.headers=true",
             "null.marker=<null>");
    const char *line = "h1:v1,h2,h3:<null>\tk::v::w";
    assert_int_equal(bs_prod_parse_line(&f, line, strlen(line), &r, err, sizeof err), 0);
    assert_int_equal(r.nhdrs, 3);
    assert_field(r.hkey[0], "h1");
    assert_field(r.hval[0], "v1");
    assert_field(r.hkey[1], "h2");
    assert_null(r.hval[1].ptr);
    assert_field(r.hkey[2], "h3");
    assert_null(r.hval[2].ptr);
    assert_field(r.key, "k");
    assert_field(r.value, "v::w");

    line = "\t<null>::x";
    assert_int_equal(bs_prod_parse_line(&f, line, strlen(line), &r, err, sizeof err), 0);
    assert_int_equal(r.nhdrs, 0);
    assert_null(r.key.ptr);
    assert_field(r.value, "x");

    line = "no headers here";
    assert_int_equal(bs_prod_parse_line(&f, line, strlen(line), &r, err, sizeof err), -1);
    assert_string_equal(err, "no headers delimiter found (headers.delimiter)");
    line = "h:v\tno key";
    assert_int_equal(bs_prod_parse_line(&f, line, strlen(line), &r, err, sizeof err), -1);
    assert_string_equal(err, "no key separator found (key.separator)");
    line = ",x\tk::v";
    assert_int_equal(bs_prod_parse_line(&f, line, strlen(line), &r, err, sizeof err), -1);
    assert_string_equal(err, "header 1 has an empty key");
    bs_prod_fmt_free(&f);

    prod_fmt(&f, 2, "parse.key=true", "ignore.error=true");
    line = "just a value";
    assert_int_equal(bs_prod_parse_line(&f, line, strlen(line), &r, err, sizeof err), 0);
    assert_null(r.key.ptr);
    assert_field(r.value, "just a value");
    bs_prod_fmt_free(&f);
}

static void test_prod_too_many_headers(void **state)
{
    (void)state;
    bs_prod_fmt_t f;
    bs_prod_rec_t r;
    char err[256], line[1024];
    prod_fmt(&f, 1, "parse.headers=true");
    size_t off = 0;
    for (int i = 0; i < BS_FMT_MAX_HEADERS + 1; i++)
        off += (size_t)snprintf(line + off, sizeof line - off, "%sh%d:v", i ? "," : "", i);
    off += (size_t)snprintf(line + off, sizeof line - off, "\tvalue");
    assert_int_equal(bs_prod_parse_line(&f, line, off, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than"));
    bs_prod_fmt_free(&f);
}

static void test_prod_bad_props(void **state)
{
    (void)state;
    bs_prod_fmt_t f;
    bs_kvlist_t l = {0};
    char err[256];
    const char *v1[] = {"parse.key=yes"};
    bs_kvlist_add(&l, v1, 1, "--property", err, sizeof err);
    assert_int_equal(bs_prod_fmt_init(&f, &l, err, sizeof err), -1);
    assert_string_equal(err, "--property parse.key must be true or false, got 'yes'");
    bs_prod_fmt_free(&f);
    bs_kvlist_free(&l);
    const char *v2[] = {"key.separator="};
    bs_kvlist_add(&l, v2, 1, "--property", err, sizeof err);
    assert_int_equal(bs_prod_fmt_init(&f, &l, err, sizeof err), -1);
    assert_string_equal(err, "--property key.separator must not be empty");
    bs_prod_fmt_free(&f);
    bs_kvlist_free(&l);
}

static char *cons_print(int n, const char **props, const bs_cons_rec_t *r)
{
    bs_cons_fmt_t f;
    bs_kvlist_t l = {0};
    char err[256];
    assert_int_equal(bs_kvlist_add(&l, props, n, "--property", err, sizeof err), 0);
    assert_int_equal(bs_cons_fmt_init(&f, &l, err, sizeof err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(bs_cons_write(&f, r, out), 0);
    fclose(out);
    bs_cons_fmt_free(&f);
    bs_kvlist_free(&l);
    return buf;
}

static void test_cons_write(void **state)
{
    (void)state;
    bs_field_t hk[2] = {{"a", 1}, {"b", 1}}, hv[2] = {{"1", 1}, {NULL, 0}};
    bs_cons_rec_t r = {.timestamp = 1700000000123,
                       .timestamp_type = 1,
                       .partition = 2,
                       .offset = 42,
                       .key = {"k", 1},
                       .value = {"v", 1},
                       .hkey = hk,
                       .hval = hv,
                       .nhdrs = 2};
    char *s = cons_print(0, NULL, &r);
    assert_string_equal(s, "v\n");
    free(s);
    const char *all[] = {"print.key=true",       "print.timestamp=true", "print.offset=true",
                         "print.partition=true", "print.headers=true",   "key.separator=|"};
    s = cons_print(6, all, &r);
    assert_string_equal(s, "CreateTime:1700000000123|Partition:2|Offset:42|a:1,b:null|k|v\n");
    free(s);
    r.nhdrs = 0;
    r.key.ptr = NULL;
    r.timestamp = -1;
    s = cons_print(6, all, &r);
    assert_string_equal(s, "NO_TIMESTAMP|Partition:2|Offset:42|NO_HEADERS|null|v\n");
    free(s);
    const char *other[] = {"print.key=true", "print.value=false", "line.separator=;"};
    r.key = (bs_field_t){"key", 3};
    r.timestamp_type = 2;
    s = cons_print(3, other, &r);
    assert_string_equal(s, "key\t;");
    free(s);
}

static void test_datetime(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(bs_parse_datetime("1970-01-01T00:00:01.500Z", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(bs_parse_datetime("2020-02-29T12:00:00+02:00", &ms), 0);
    assert_int_equal(ms, 1582970400000LL);
    assert_int_equal(bs_parse_datetime("2020-02-29T12:00:00.001-01:30", &ms), 0);
    assert_int_equal(ms, 1582983000001LL);
    setenv("TZ", "UTC", 1);
    assert_int_equal(bs_parse_datetime("2000-01-01T00:00:00.000", &ms), 0);
    assert_int_equal(ms, 946684800000LL);
    assert_int_equal(bs_parse_datetime("2000-01-01", &ms), -1);
    assert_int_equal(bs_parse_datetime("2000-13-01T00:00:00", &ms), -1);
    assert_int_equal(bs_parse_datetime("2000-01-01T00:00:00.5", &ms), -1);
    assert_int_equal(bs_parse_datetime("2000-01-01T00:00:00Zjunk", &ms), -1);
    assert_int_equal(bs_parse_datetime("", &ms), -1);
}

static void test_health_closed_port(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(bs_up_health_kafka("127.0.0.1", 1, 300, err, sizeof err), -1);
    assert_non_null(strstr(err, "127.0.0.1:1"));
    assert_int_equal(bs_up_health_http("127.0.0.1", 1, "/", 300, err, sizeof err), -1);
    assert_int_equal(bs_up_health_kafka("not-an-ip", 1, 300, err, sizeof err), -1);
    assert_string_equal(err, "'not-an-ip' is not an IPv4 address");
    assert_int_equal(bs_up_port_in_use("127.0.0.1", 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts_ok),
        cmocka_unit_test(test_opts_errors),
        cmocka_unit_test(test_opts_numbers),
        cmocka_unit_test(test_kvlist),
        cmocka_unit_test(test_prod_plain),
        cmocka_unit_test(test_prod_key_headers),
        cmocka_unit_test(test_prod_too_many_headers),
        cmocka_unit_test(test_prod_bad_props),
        cmocka_unit_test(test_cons_write),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_health_closed_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
