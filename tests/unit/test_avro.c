/*
 * test_avro.c — the registry's Avro schema support (src/registry/avro*.c):
 * parsing and validation errors, the canonical (Schema.toString) and
 * normalized texts, the Parsing Canonical Form and CRC-64-AVRO fingerprints
 * of the Avro specification's test vectors, logical types, references, and
 * the compatibility checker: every resolution rule in both directions from
 * tests/unit/data/avro/compat_pairs.json, the difference messages, and the
 * seven registry levels.
 *
 * Driver mode for the avsc oracle test (tests/integration/t/70_*.sh):
 *   test_avro --compat-pairs FILE   prints "<id> fwd|rev 1|0" per pair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/avro.h"

static const char *pairs_path = "tests/unit/data/avro/compat_pairs.json";

static bs_avro_schema_t *parse_ok(const char *text)
{
    char err[512];
    bs_avro_schema_t *s = bs_avro_parse(text, strlen(text), NULL, 0, err, sizeof(err));
    if (!s)
        fail_msg("parse failed for %s: %s", text, err);
    return s;
}

static void expect_error(const char *text, const char *needle)
{
    char err[512];
    bs_avro_schema_t *s = bs_avro_parse(text, strlen(text), NULL, 0, err, sizeof(err));
    if (s) {
        bs_avro_schema_free(s);
        fail_msg("expected an error containing \"%s\" for %s", needle, text);
    }
    if (!strstr(err, needle))
        fail_msg("error for %s is \"%s\", expected it to contain \"%s\"", text, err, needle);
}

static void expect_canonical(const char *text, const char *want)
{
    bs_avro_schema_t *s = parse_ok(text);
    char *c = bs_avro_canonical(s);
    if (strcmp(c, want) != 0)
        fail_msg("canonical of %s:\n got  %s\n want %s", text, c, want);
    /* the canonical text parses back to itself */
    bs_avro_schema_t *s2 = parse_ok(c);
    char *c2 = bs_avro_canonical(s2);
    assert_string_equal(c2, c);
    free(c2);
    bs_avro_schema_free(s2);
    free(c);
    bs_avro_schema_free(s);
}

static void expect_normalized(const char *text, const char *want)
{
    bs_avro_schema_t *s = parse_ok(text);
    char *c = bs_avro_normalized(s);
    if (strcmp(c, want) != 0)
        fail_msg("normalized of %s:\n got  %s\n want %s", text, c, want);
    free(c);
    bs_avro_schema_free(s);
}

/* ---------------------------------------------------------------------------
 * Parsing Canonical Form and fingerprints: the Avro specification's vectors
 * (share/test/data/schema-tests.txt in the Avro project); 0 = no fingerprint
 * given there.
 * ------------------------------------------------------------------------- */

static void test_pcf_spec_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *in, *pcf;
        int64_t fp;
        int has_fp;
    } v[] = {
        {"\"null\"", "\"null\"", 7195948357588979594LL, 1},
        {"{\"type\":\"null\"}", "\"null\"", 0, 0},
        {"\"boolean\"", "\"boolean\"", -6970731678124411036LL, 1},
        {"{\"type\":\"boolean\"}", "\"boolean\"", 0, 0},
        {"\"int\"", "\"int\"", 8247732601305521295LL, 1},
        {"\"long\"", "\"long\"", -3434872931120570953LL, 1},
        {"\"float\"", "\"float\"", 5583340709985441680LL, 1},
        {"\"double\"", "\"double\"", -8181574048448539266LL, 1},
        {"\"bytes\"", "\"bytes\"", 5746618253357095269LL, 1},
        {"\"string\"", "\"string\"", -8142146995180207161LL, 1},
        {"[  ]", "[]", -1241056759729112623LL, 1},
        {"[ \"int\"  ]", "[\"int\"]", -5232228896498058493LL, 1},
        {"[ \"int\" , {\"type\":\"boolean\"} ]", "[\"int\",\"boolean\"]", 5392556393470105090LL, 1},
        {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\"}",
         "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", -4824392279771201922LL, 1},
        {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"namespace\":\"x.y\"}",
         "{\"name\":\"x.y.foo\",\"type\":\"record\",\"fields\":[]}", 5916914534497305771LL, 1},
        {"{\"fields\":[], \"type\":\"record\", \"name\":\"a.b.foo\", \"namespace\":\"x.y\"}",
         "{\"name\":\"a.b.foo\",\"type\":\"record\",\"fields\":[]}", -4616218487480524110LL, 1},
        {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"doc\":\"Useful info\"}",
         "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", -4824392279771201922LL, 1},
        {"{\"fields\":[], \"type\":\"record\", \"name\":\"foo\", \"aliases\":[\"foo\",\"bar\"]}",
         "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[]}", -4824392279771201922LL, 1},
        {"{\"fields\":[{\"type\":{\"type\":\"boolean\"}, \"name\":\"f1\"}], \"type\":\"record\", "
         "\"name\":\"foo\"}",
         "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"}]"
         "}",
         7843277075252814651LL, 1},
        /* the spec's vector has "default":"true", which strict validation
         * rejects (see test_parse_errors); the PCF is the same either way */
        {"{ \"fields\":[{\"type\":\"boolean\", \"aliases\":[], \"name\":\"f1\", "
         "\"default\":true},\n"
         "  {\"order\":\"descending\",\"name\":\"f2\",\"doc\":\"Hello\",\"type\":\"int\"}],\n"
         "  \"type\":\"record\", \"name\":\"foo\"}",
         "{\"name\":\"foo\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":\"boolean\"},"
         "{"
         "\"name\":\"f2\",\"type\":\"int\"}]}",
         -4860222112080293046LL, 1},
        {"{\"type\":\"enum\", \"name\":\"foo\", \"symbols\":[\"A1\"]}",
         "{\"name\":\"foo\",\"type\":\"enum\",\"symbols\":[\"A1\"]}", -6342190197741309591LL, 1},
        {"{\"namespace\":\"x.y.z\", \"type\":\"enum\", \"name\":\"foo\", \"doc\":\"foo bar\", "
         "\"symbols\":[\"A1\", \"A2\"]}",
         "{\"name\":\"x.y.z.foo\",\"type\":\"enum\",\"symbols\":[\"A1\",\"A2\"]}",
         -4448647247586288245LL, 1},
        {"{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}",
         "{\"name\":\"foo\",\"type\":\"fixed\",\"size\":15}", 1756455273707447556LL, 1},
        {"{\"namespace\":\"x.y.z\", \"type\":\"fixed\", \"name\":\"foo\", \"doc\":\"foo bar\", "
         "\"size\":32}",
         "{\"name\":\"x.y.z.foo\",\"type\":\"fixed\",\"size\":32}", -3064184465700546786LL, 1},
        {"{ \"items\":{\"type\":\"null\"}, \"type\":\"array\"}",
         "{\"type\":\"array\",\"items\":\"null\"}", -589620603366471059LL, 1},
        {"{ \"values\":\"string\", \"type\":\"map\"}", "{\"type\":\"map\",\"values\":\"string\"}",
         -8732877298790414990LL, 1},
        {"{\"name\":\"PigValue\",\"type\":\"record\",\n \"fields\":[{\"name\":\"value\", "
         "\"type\":[\"null\", \"int\", \"long\", \"PigValue\"]}]}",
         "{\"name\":\"PigValue\",\"type\":\"record\",\"fields\":[{\"name\":\"value\",\"type\":["
         "\"null\",\"int\",\"long\",\"PigValue\"]}]}",
         -1759257747318642341LL, 1},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        bs_avro_schema_t *s = parse_ok(v[i].in);
        char *p = bs_avro_parsing_canonical_form(s);
        if (strcmp(p, v[i].pcf) != 0)
            fail_msg("PCF of %s: got %s want %s", v[i].in, p, v[i].pcf);
        if (v[i].has_fp)
            assert_int_equal((int64_t)bs_avro_fingerprint64(s), v[i].fp);
        assert_int_equal(bs_avro_fingerprint64(s), bs_avro_crc64(p, strlen(p)));
        free(p);
        bs_avro_schema_free(s);
    }
}

static void test_pcf_strips_and_qualifies(void **state)
{
    (void)state;
    bs_avro_schema_t *s = parse_ok(
        "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"doc\":\"x\",\"fields\":["
        "{\"name\":\"t\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
        "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\"]}},"
        "{\"name\":\"e2\",\"type\":\"E\",\"default\":\"X\"}]}");
    char *p = bs_avro_parsing_canonical_form(s);
    assert_string_equal(p, "{\"name\":\"a.R\",\"type\":\"record\",\"fields\":[{\"name\":\"t\","
                           "\"type\":\"long\"},{\"name\":\"e\",\"type\":{\"name\":\"a.E\",\"type\":"
                           "\"enum\",\"symbols\":[\"X\"]}},{\"name\":\"e2\",\"type\":\"a.E\"}]}");
    free(p);
    bs_avro_schema_free(s);
}

/* ---------------------------------------------------------------------------
 * Canonical (stored) text
 * ------------------------------------------------------------------------- */

static void test_canonical(void **state)
{
    (void)state;
    /* primitives collapse; whitespace goes */
    expect_canonical(" \"string\" ", "\"string\"");
    expect_canonical("{ \"type\" : \"string\" }", "\"string\"");
    /* props are kept (identity depends on them: Confluent issue #868) */
    expect_canonical("{\"type\":\"string\",\"avro.java.string\":\"String\"}",
                     "{\"type\":\"string\",\"avro.java.string\":\"String\"}");
    /* key order: type,name,namespace,doc,fields,props,aliases */
    expect_canonical(
        "{\"aliases\":[\"Old\"],\"x-prop\":1,\"fields\":[],\"doc\":\"d\",\"namespace\":\"com.a\","
        "\"name\":\"R\",\"type\":\"record\"}",
        "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"com.a\",\"doc\":\"d\",\"fields\":[],"
        "\"x-prop\":1,\"aliases\":[\"Old\"]}");
    /* field key order: name,type,doc,default,order,aliases,props */
    expect_canonical(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"p\":true,\"aliases\":[\"b\",\"b\"],"
        "\"order\":\"descending\",\"default\":5,\"doc\":\"fd\",\"type\":\"int\",\"name\":\"a\"},"
        "{\"name\":\"c\",\"type\":\"int\",\"order\":\"ascending\"}]}",
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"doc\":"
        "\"fd\",\"default\":5,\"order\":\"descending\",\"aliases\":[\"b\"],\"p\":true},{\"name\":"
        "\"c\",\"type\":\"int\"}]}");
    /* namespaces: inherited ones are not repeated; references print short
     * names in the same namespace and full names elsewhere; a null namespace
     * inside a namespaced record is written as "" */
    expect_canonical(
        "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":["
        "{\"name\":\"x\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}},"
        "{\"name\":\"y\",\"type\":{\"type\":\"fixed\",\"name\":\"b.F\",\"size\":2}},"
        "{\"name\":\"z\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"namespace\":\"\","
        "\"symbols\":[\"A\"]}},"
        "{\"name\":\"x2\",\"type\":\"S\"},{\"name\":\"y2\",\"type\":\"b.F\"},"
        "{\"name\":\"r\",\"type\":[\"null\",\"a.R\"]}]}",
        "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":["
        "{\"name\":\"x\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}},"
        "{\"name\":\"y\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"b\",\"size\":"
        "2}},{\"name\":\"z\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"namespace\":\"\","
        "\"symbols\":[\"A\"]}},{\"name\":\"x2\",\"type\":\"S\"},{\"name\":\"y2\",\"type\":\"b.F\"},"
        "{\"name\":\"r\",\"type\":[\"null\",\"R\"]}]}");
    /* defaults print as Jackson does: doubles like Java's Double.toString,
     * objects in input order, strings with escapes */
    expect_canonical(
        "{\"type\":\"record\",\"name\":\"D\",\"fields\":["
        "{\"name\":\"a\",\"type\":\"double\",\"default\":1},"
        "{\"name\":\"b\",\"type\":\"double\",\"default\":1.0},"
        "{\"name\":\"c\",\"type\":\"double\",\"default\":1e10},"
        "{\"name\":\"d\",\"type\":\"float\",\"default\":0.001},"
        "{\"name\":\"e\",\"type\":\"double\",\"default\":-2.5e-7},"
        "{\"name\":\"f\",\"type\":\"double\",\"default\":\"NaN\"},"
        "{\"name\":\"g\",\"type\":{\"type\":\"map\",\"values\":\"int\"},\"default\":{\"z\":1,\"a\":"
        "2}},"
        "{\"name\":\"h\",\"type\":\"string\",\"default\":\"q\\\"\\\\\\n\\u0001\\/\\u00e9\"},"
        "{\"name\":\"i\",\"type\":\"double\",\"default\":123456.789},"
        "{\"name\":\"j\",\"type\":\"double\",\"default\":\"2.5\"}]}",
        "{\"type\":\"record\",\"name\":\"D\",\"fields\":["
        "{\"name\":\"a\",\"type\":\"double\",\"default\":1},"
        "{\"name\":\"b\",\"type\":\"double\",\"default\":1.0},"
        "{\"name\":\"c\",\"type\":\"double\",\"default\":1.0E10},"
        "{\"name\":\"d\",\"type\":\"float\",\"default\":0.001},"
        "{\"name\":\"e\",\"type\":\"double\",\"default\":-2.5E-7},"
        "{\"name\":\"f\",\"type\":\"double\",\"default\":\"NaN\"},"
        "{\"name\":\"g\",\"type\":{\"type\":\"map\",\"values\":\"int\"},\"default\":{\"z\":1,\"a\":"
        "2}},"
        "{\"name\":\"h\",\"type\":\"string\",\"default\":\"q\\\"\\\\\\n\\u0001/\xc3\xa9\"},"
        "{\"name\":\"i\",\"type\":\"double\",\"default\":123456.789},"
        "{\"name\":\"j\",\"type\":\"double\",\"default\":2.5}]}");
    /* enum: symbols, default, props, aliases; fixed: size; logical types
     * keep their attributes as props */
    expect_canonical(
        "{\"type\":\"enum\",\"name\":\"E\",\"default\":\"B\",\"symbols\":[\"A\",\"B\"],"
        "\"doc\":\"e\",\"x\":[1,2]}",
        "{\"type\":\"enum\",\"name\":\"E\",\"doc\":\"e\",\"symbols\":[\"A\",\"B\"],"
        "\"default\":\"B\",\"x\":[1,2]}");
    expect_canonical("{\"size\":16,\"type\":\"fixed\",\"name\":\"F\",\"logicalType\":\"decimal\","
                     "\"precision\":20,\"scale\":3}",
                     "{\"type\":\"fixed\",\"name\":\"F\",\"size\":16,\"logicalType\":\"decimal\","
                     "\"precision\":20,\"scale\":3}");
    expect_canonical("{\"type\":\"array\",\"items\":{\"type\":\"int\",\"logicalType\":\"date\"},"
                     "\"doc\":\"dropped\"}",
                     "{\"type\":\"array\",\"items\":{\"type\":\"int\",\"logicalType\":\"date\"}}");
    expect_canonical("[\"null\",{\"type\":\"map\",\"values\":\"long\"}]",
                     "[\"null\",{\"type\":\"map\",\"values\":\"long\"}]");
    /* duplicate keys: the last value wins at the first position (Jackson) */
    expect_canonical("{\"type\":\"record\",\"name\":\"A\",\"name\":\"B\",\"fields\":[]}",
                     "{\"type\":\"record\",\"name\":\"B\",\"fields\":[]}");
}

static void test_normalized(void **state)
{
    (void)state;
    expect_normalized("\"int\"", "\"int\"");
    expect_normalized(
        "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"doc\":\"d\",\"aliases\":[\"Z\","
        "\"B\"],\"zz\":1,\"aa\":2,\"fields\":[{\"name\":\"f\",\"type\":[\"null\",\"R\"],"
        "\"aliases\":[\"y\","
        "\"x\"],\"default\":null,\"doc\":\"fd\",\"order\":\"ignore\"},{\"name\":\"e\",\"type\":{"
        "\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"A\"}}]}",
        "{\"name\":\"a.R\",\"type\":\"record\",\"fields\":[{\"name\":\"f\",\"type\":[\"null\",\"a."
        "R\"],"
        "\"order\":\"ignore\",\"doc\":\"fd\",\"aliases\":[\"x\",\"y\"],\"default\":null},{\"name\":"
        "\"e\",\"type\":{\"name\":\"a.E\",\"type\":\"enum\",\"symbols\":[\"A\"],\"default\":\"A\"}}"
        "],"
        "\"aa\":2,\"zz\":1,\"doc\":\"d\",\"aliases\":[\"a.B\",\"a.Z\"]}");
    expect_normalized(
        "{\"type\":\"bytes\",\"scale\":2,\"precision\":4,\"logicalType\":\"decimal\","
        "\"b\":1,\"a\":0}",
        "{\"type\":\"bytes\",\"a\":0,\"b\":1,\"logicalType\":\"decimal\",\"precision\":4,"
        "\"scale\":2}");
    /* two spellings of one schema normalize to the same text */
    bs_avro_schema_t *a =
        parse_ok("{\"namespace\":\"n\",\"name\":\"R\",\"type\":\"record\",\"fields\":[{\"type\":"
                 "\"int\",\"name\":\"x\"}]}");
    bs_avro_schema_t *b =
        parse_ok("{\"type\":\"record\",\"name\":\"n.R\",\"fields\":[{\"name\":\"x\",\"type\":{"
                 "\"type\":\"int\"}}]}");
    char *na = bs_avro_normalized(a), *nb = bs_avro_normalized(b);
    assert_string_equal(na, nb);
    free(na);
    free(nb);
    bs_avro_schema_free(a);
    bs_avro_schema_free(b);
}

/* ---------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------- */

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("", "invalid JSON");
    expect_error("{\"type\":", "invalid JSON");
    expect_error("\"int\" x", "invalid JSON");
    expect_error("\"strin\"", "\"strin\" is not a defined name");
    expect_error("42", "42 is not a schema");
    expect_error("null", "null is not a schema");
    expect_error("{}", "has no \"type\"");
    expect_error("{\"type\":{\"type\":\"int\"}}", "\"type\" of a schema object must be a string");
    expect_error("{\"type\":\"Foo\"}", "unknown type \"Foo\"");
    /* names */
    expect_error("{\"type\":\"record\",\"fields\":[]}", "record has no \"name\"");
    expect_error("{\"type\":\"record\",\"name\":\"1abc\",\"fields\":[]}",
                 "record '1abc' is not a valid Avro name");
    expect_error("{\"type\":\"record\",\"name\":\"a-b\",\"fields\":[]}", "not a valid Avro name");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a..b\",\"fields\":[]}",
                 "namespace 'a..b'");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"9a\",\"fields\":[]}",
                 "namespace '9a'");
    expect_error("{\"type\":\"record\",\"name\":\"a.\",\"fields\":[]}", "not a valid Avro name");
    expect_error("{\"type\":\"record\",\"name\":\"int\",\"fields\":[]}", "like a primitive type");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"namespace\":5,\"fields\":[]}",
                 "\"namespace\" of record 'R' must be a string");
    expect_error(
        "[{\"type\":\"fixed\",\"name\":\"F\",\"size\":1},{\"type\":\"enum\",\"name\":\"F\","
        "\"symbols\":[]}]",
        "the name 'F' is already defined");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"S\"},"
                 "{\"name\":\"y\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}}]}",
                 "field 'x' in record 'R': \"S\" is not a defined name");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"aliases\":\"x\",\"fields\":[]}",
                 "\"aliases\" must be an array");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"aliases\":[\"b-c\"],\"fields\":[]}",
                 "alias 'b-c' is not a valid Avro name");
    /* records and fields */
    expect_error("{\"type\":\"record\",\"name\":\"R\"}", "record 'R': \"fields\" must be an array");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[1]}",
                 "field 0 is not a JSON object");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"type\":\"int\"}]}",
                 "field 0 has no \"name\"");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a b\",\"type\":\"int\"}]}",
        "field name 'a b' is not a valid Avro name");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}",
                 "field 'a' in record 'R': no \"type\"");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
        "{\"name\":\"a\",\"type\":\"long\"}]}",
        "record 'R': duplicate field 'a'");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
                 "\"order\":\"up\"}]}",
                 "\"order\" is 'up'");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
                 "\"aliases\":[1]}]}",
                 "alias 0 is not a string");
    /* defaults */
    expect_error("{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.acme\",\"fields\":[{"
                 "\"name\":\"age\",\"type\":\"int\",\"default\":\"x\"}]}",
                 "field 'age' in record 'com.acme.User': default value \"x\" is not an int");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
                 "\"default\":2147483648}]}",
                 "default value 2147483648 is not an int");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"long\","
        "\"default\":1.5}]}",
        "is not a long");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"double\","
        "\"default\":\"abc\"}]}",
        "default value \"abc\" is not a double");
    expect_error("{\"type\":\"record\",\"name\":\"foo\",\"fields\":[{\"type\":\"boolean\",\"name\":"
                 "\"f1\",\"default\":\"true\"}]}",
                 "default value \"true\" is not a boolean");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":[\"null\","
        "\"string\"],\"default\":\"x\"}]}",
        "is not a valid null (the default of a union must match its first branch)");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":"
        "\"array\",\"items\":\"int\"},\"default\":[1,\"2\"]}]}",
        "default value [1,\"2\"] is not an array of int");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":"
        "\"map\",\"values\":\"int\"},\"default\":[]}]}",
        "is not a map of int");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":"
        "\"record\",\"name\":\"S\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]},\"default\":"
        "{}}]}",
        "default value {} is not a record 'S'");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"null\","
        "\"default\":0}]}",
        "is not a null");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"r\",\"type\":\"R\","
                 "\"default\":{}}]}",
                 "record 'R' is not complete yet");
    /* enums */
    expect_error("{\"type\":\"enum\",\"name\":\"E\"}", "\"symbols\" must be an array");
    expect_error("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}",
                 "duplicate symbol 'A'");
    expect_error("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"1\"]}",
                 "symbol '1' is not a valid Avro name");
    expect_error("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",5]}",
                 "symbol 1 is not a string");
    expect_error("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"B\"}",
                 "enum 'E': the enum default 'B' is not one of its symbols");
    /* fixed, array, map */
    expect_error("{\"type\":\"fixed\",\"name\":\"F\"}", "\"size\" must be an integer");
    expect_error("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", "\"size\" must be an integer");
    expect_error("{\"type\":\"fixed\",\"name\":\"F\",\"size\":\"4\"}",
                 "\"size\" must be an integer");
    expect_error("{\"type\":\"array\"}", "array has no \"items\"");
    expect_error("{\"type\":\"map\"}", "map has no \"values\"");
    /* unions */
    expect_error("[\"int\",[\"null\"]]", "unions may not be nested");
    expect_error("[\"int\",\"string\",{\"type\":\"int\"}]", "two branches of type 'int'");
    expect_error("[{\"type\":\"array\",\"items\":\"int\"},{\"type\":\"array\",\"items\":\"long\"}]",
                 "two branches of type 'array'");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"u\",\"type\":[],"
                 "\"default\":null}]}",
                 "default value null given for an empty union");
    expect_error("[{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[]},\"E\"]",
                 "two branches of type 'E'");
    /* nesting bound */
    char deep[8000];
    size_t o = 0;
    for (int i = 0; i < 150; i++)
        o += (size_t)snprintf(deep + o, sizeof(deep) - o, "{\"type\":\"array\",\"items\":");
    o += (size_t)snprintf(deep + o, sizeof(deep) - o, "\"int\"");
    for (int i = 0; i < 150; i++)
        deep[o++] = '}';
    deep[o] = '\0';
    expect_error(deep, "nested more than");
}

static void test_parse_valid(void **state)
{
    (void)state;
    static const char *ok[] = {
        "\"string\"",
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":[\"null\","
        "\"string\"],"
        "\"default\":null},{\"name\":\"b\",\"type\":[\"string\",\"null\"],\"default\":\"x\"}]}",
        /* different named types in one union */
        "[{\"type\":\"fixed\",\"name\":\"A\",\"size\":1},{\"type\":\"fixed\",\"name\":\"B\","
        "\"size\":1}]",
        /* Java only checks that enum/fixed/bytes defaults are strings */
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":{\"type\":"
        "\"enum\","
        "\"name\":\"E\",\"symbols\":[\"A\"]},\"default\":\"A\"},{\"name\":\"f\",\"type\":{\"type\":"
        "\"fixed\",\"name\":\"F\",\"size\":2},\"default\":\"\\u0000\\u00ff\"}]}",
        /* record defaults use the nested field defaults */
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"s\",\"type\":{\"type\":"
        "\"record\","
        "\"name\":\"S\",\"fields\":[{\"name\":\"x\",\"type\":\"int\",\"default\":1},{\"name\":"
        "\"y\","
        "\"type\":\"float\"}]},\"default\":{\"y\":2.5}}]}",
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"m\",\"type\":{\"type\":"
        "\"map\","
        "\"values\":{\"type\":\"array\",\"items\":\"long\"}},\"default\":{\"a\":[1,2],\"b\":[]}}]}",
        "{\"type\":\"fixed\",\"name\":\"Z\",\"size\":0}",
        "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[]}",
        "[]",
        /* the enclosing namespace is used to resolve a short reference, then
         * the null namespace */
        "{\"type\":\"record\",\"name\":\"Top\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":"
        "\"record\",\"name\":\"In\",\"namespace\":\"x\",\"fields\":[{\"name\":\"b\",\"type\":"
        "\"Top\"}]}}"
        ",{\"name\":\"c\",\"type\":\"x.In\"}]}",
        /* a type named like a primitive in another namespace is still banned
         * only by its short name; namespace components may be keywords */
        "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"record.enum\",\"fields\":[]}",
        /* error type */
        "{\"type\":\"error\",\"name\":\"Oops\",\"fields\":[{\"name\":\"msg\",\"type\":\"string\"}]"
        "}",
        /* doc that is not a string is ignored like Java does */
        "{\"type\":\"record\",\"name\":\"R\",\"doc\":5,\"fields\":[]}",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        bs_avro_schema_free(parse_ok(ok[i]));
}

static void test_model_and_logical(void **state)
{
    (void)state;
    bs_avro_schema_t *s = parse_ok(
        "{\"type\":\"record\",\"name\":\"L\",\"namespace\":\"n\",\"fields\":["
        "{\"name\":\"d\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":9,"
        "\"scale\":2}},"
        "{\"name\":\"d_bad_scale\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
        "\"precision\":2,\"scale\":3}},"
        "{\"name\":\"d_no_prec\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\"}},"
        "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"F4\",\"size\":4,\"logicalType\":"
        "\"decimal\",\"precision\":9}},"
        "{\"name\":\"fx_big\",\"type\":{\"type\":\"fixed\",\"name\":\"F4b\",\"size\":4,"
        "\"logicalType\":\"decimal\",\"precision\":10}},"
        "{\"name\":\"u\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"}},"
        "{\"name\":\"u_bad\",\"type\":{\"type\":\"int\",\"logicalType\":\"uuid\"}},"
        "{\"name\":\"date\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
        "{\"name\":\"tm\",\"type\":{\"type\":\"int\",\"logicalType\":\"time-millis\"}},"
        "{\"name\":\"tu\",\"type\":{\"type\":\"long\",\"logicalType\":\"time-micros\"}},"
        "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
        "{\"name\":\"tsu\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}},"
        "{\"name\":\"lts\",\"type\":{\"type\":\"long\",\"logicalType\":\"local-timestamp-millis\"}}"
        ","
        "{\"name\":\"ltu\",\"type\":{\"type\":\"long\",\"logicalType\":\"local-timestamp-micros\"}}"
        ","
        "{\"name\":\"ts_bad\",\"type\":{\"type\":\"int\",\"logicalType\":\"timestamp-millis\"}},"
        "{\"name\":\"dur\",\"type\":{\"type\":\"fixed\",\"name\":\"D12\",\"size\":12,"
        "\"logicalType\":"
        "\"duration\"}},"
        "{\"name\":\"unknown\",\"type\":{\"type\":\"string\",\"logicalType\":\"color\"}}]}");
    const bs_avro_node_t *r = bs_avro_root(s);
    assert_int_equal(r->type, BS_AVRO_RECORD);
    assert_string_equal(r->fullname, "n.L");
    assert_string_equal(r->name, "L");
    assert_string_equal(r->space, "n");
    static const bs_avro_logical_t want[] = {
        BS_AVRO_LT_DECIMAL,
        BS_AVRO_LT_NONE,
        BS_AVRO_LT_NONE,
        BS_AVRO_LT_DECIMAL,
        BS_AVRO_LT_NONE,
        BS_AVRO_LT_UUID,
        BS_AVRO_LT_NONE,
        BS_AVRO_LT_DATE,
        BS_AVRO_LT_TIME_MILLIS,
        BS_AVRO_LT_TIME_MICROS,
        BS_AVRO_LT_TIMESTAMP_MILLIS,
        BS_AVRO_LT_TIMESTAMP_MICROS,
        BS_AVRO_LT_LOCAL_TIMESTAMP_MILLIS,
        BS_AVRO_LT_LOCAL_TIMESTAMP_MICROS,
        BS_AVRO_LT_NONE,
        BS_AVRO_LT_DURATION,
        BS_AVRO_LT_NONE,
    };
    assert_int_equal(r->nfields, (int)(sizeof(want) / sizeof(want[0])));
    for (int i = 0; i < r->nfields; i++)
        if (r->fields[i].type->logical != want[i])
            fail_msg("field %s: logical %d, want %d", r->fields[i].name, r->fields[i].type->logical,
                     want[i]);
    assert_int_equal(r->fields[0].type->precision, 9);
    assert_int_equal(r->fields[0].type->scale, 2);
    assert_int_equal(r->fields[3].type->size, 4);
    assert_non_null(bs_avro_lookup(s, "n.F4"));
    assert_null(bs_avro_lookup(s, "F4"));
    bs_avro_schema_free(s);
}

static void test_references(void **state)
{
    (void)state;
    bs_avro_ref_t refs[] = {
        {"com.acme.Address", "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"com.acme\","
                             "\"fields\":[{\"name\":"
                             "\"street\",\"type\":\"string\"}]}"},
        {"com.acme.Kind",
         "{\"type\":\"enum\",\"name\":\"com.acme.Kind\",\"symbols\":[\"A\",\"B\"]}"},
    };
    const char *main_text = "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.acme\","
                            "\"fields\":[{\"name\":\"home\",\"type\":\"Address\"},{\"name\":\"k\","
                            "\"type\":\"com.acme.Kind\",\"default\":\"A\"}]}";
    char err[512];
    bs_avro_schema_t *s = bs_avro_parse(main_text, strlen(main_text), refs, 2, err, sizeof(err));
    if (!s)
        fail_msg("%s", err);
    char *c = bs_avro_canonical(s);
    /* referenced types are written by name, as Confluent stores them */
    assert_string_equal(c, "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.acme\","
                           "\"fields\":[{\"name\":\"home\",\"type\":\"Address\"},{\"name\":\"k\","
                           "\"type\":\"Kind\",\"default\":\"A\"}]}");
    free(c);
    /* the PCF inlines them (it describes the whole schema) */
    c = bs_avro_parsing_canonical_form(s);
    assert_non_null(strstr(c, "\"symbols\":[\"A\",\"B\"]"));
    free(c);
    assert_true(bs_avro_lookup(s, "com.acme.Address")->from_ref);
    assert_false(bs_avro_root(s)->from_ref);
    bs_avro_schema_free(s);
    /* without the references the schema does not parse */
    s = bs_avro_parse(main_text, strlen(main_text), NULL, 0, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "\"Address\" is not a defined name"));
    /* an invalid reference is named in the error */
    bs_avro_ref_t bad[] = {{"com.acme.Address", "{\"type\":\"record\",\"name\":\"Address\"}"}};
    s = bs_avro_parse(main_text, strlen(main_text), bad, 1, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "reference 'com.acme.Address'"));
    /* a reference redefining a name of another reference */
    bs_avro_ref_t dup[] = {refs[0], refs[0]};
    s = bs_avro_parse(main_text, strlen(main_text), dup, 2, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "already defined"));
}

/* ---------------------------------------------------------------------------
 * Compatibility
 * ------------------------------------------------------------------------- */

static bs_avro_schema_t *parse_json(const json_t *j, const char *id)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    char err[512];
    bs_avro_schema_t *s = bs_avro_parse(text, strlen(text), NULL, 0, err, sizeof(err));
    if (!s)
        fprintf(stderr, "pair %s: %s: %s\n", id, text, err);
    free(text);
    return s;
}

static json_t *load_pairs(const char *path)
{
    json_error_t je;
    json_t *pairs = json_load_file(path, 0, &je);
    if (!pairs)
        fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
    return pairs;
}

static void test_compat_pairs(void **state)
{
    (void)state;
    json_t *pairs = load_pairs(pairs_path);
    assert_non_null(pairs);
    size_t i;
    json_t *p;
    int checked = 0;
    json_array_foreach(pairs, i, p)
    {
        const char *id = json_string_value(json_object_get(p, "id"));
        bs_avro_schema_t *r = parse_json(json_object_get(p, "r"), id);
        bs_avro_schema_t *w = parse_json(json_object_get(p, "w"), id);
        assert_non_null(r);
        assert_non_null(w);
        for (int dir = 0; dir < 2; dir++) {
            int want = json_is_true(json_object_get(p, dir ? "rev" : "fwd"));
            json_t *msgs = json_array();
            int got = dir ? bs_avro_can_read(w, r, msgs) : bs_avro_can_read(r, w, msgs);
            if (got != want)
                fail_msg("pair %s %s: got %d want %d", id, dir ? "rev" : "fwd", got, want);
            /* a decision comes with messages exactly when incompatible */
            assert_int_equal(json_array_size(msgs) == 0, got);
            json_decref(msgs);
            checked++;
        }
        bs_avro_schema_free(r);
        bs_avro_schema_free(w);
    }
    assert_true(checked >= 100);
    json_decref(pairs);
}

static void expect_messages(const char *reader, const char *writer, const char *const *want)
{
    bs_avro_schema_t *r = parse_ok(reader), *w = parse_ok(writer);
    json_t *msgs = json_array();
    assert_int_equal(bs_avro_can_read(r, w, msgs), want[0] ? 0 : 1);
    size_t n = 0;
    while (want[n])
        n++;
    if (json_array_size(msgs) != n) {
        char *d = json_dumps(msgs, JSON_INDENT(1));
        fail_msg("reader %s writer %s: %zu messages, want %zu:\n%s", reader, writer,
                 json_array_size(msgs), n, d);
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(json_string_value(json_array_get(msgs, i)), want[i]) != 0)
            fail_msg("message %zu:\n got  %s\n want %s", i,
                     json_string_value(json_array_get(msgs, i)), want[i]);
    json_decref(msgs);
    bs_avro_schema_free(r);
    bs_avro_schema_free(w);
}

static void test_compat_messages(void **state)
{
    (void)state;
    static const char *const m1[] = {
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f' at path "
        "'/fields/1' in the new schema has no default value and is missing in the old schema', "
        "additionalInfo:'f'}",
        NULL};
    expect_messages(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
        "{\"name\":\"f\",\"type\":\"string\"}]}",
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}", m1);
    static const char *const m2[] = {
        "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in "
        "the "
        "new schema does not match with the old schema', additionalInfo:'reader type: INT not "
        "compatible with writer type: LONG'}",
        NULL};
    expect_messages(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}",
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"}]}", m2);
    static const char *const m3[] = {
        "{errorType:'NAME_MISMATCH', description:'The name of the schema has changed (path "
        "'/name')', additionalInfo:'expected: b.S'}",
        NULL};
    expect_messages("{\"type\":\"record\",\"name\":\"a.R\",\"fields\":[]}",
                    "{\"type\":\"record\",\"name\":\"b.S\",\"fields\":[]}", m3);
    static const char *const m4[] = {
        "{errorType:'FIXED_SIZE_MISMATCH', description:'The size of FIXED type field at path "
        "'/size' in the new schema does not match with the old schema', additionalInfo:'expected: "
        "16, found: 8'}",
        NULL};
    expect_messages("{\"type\":\"fixed\",\"name\":\"F\",\"size\":8}",
                    "{\"type\":\"fixed\",\"name\":\"F\",\"size\":16}", m4);
    static const char *const m5[] = {
        "{errorType:'MISSING_ENUM_SYMBOLS', description:'The new schema is missing enum symbols "
        "'[C, D]' at path '/fields/0/type/symbols' in the old schema', additionalInfo:'[C, D]'}",
        NULL};
    expect_messages("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":{"
                    "\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}}]}",
                    "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":{"
                    "\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"D\",\"A\",\"C\"]}}]}",
                    m5);
    static const char *const m6[] = {
        "{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type inside a "
        "union field at path '/fields/0/type/1' in the old schema', additionalInfo:'reader union "
        "lacking writer type: STRING'}",
        NULL};
    expect_messages(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"u\",\"type\":[\"null\","
        "\"int\"]}]}",
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"u\",\"type\":[\"null\","
        "\"string\"]}]}",
        m6);
    static const char *const m7[] = {
        "{errorType:'MISSING_UNION_BRANCH', description:'The new schema is missing a type inside a "
        "union field at path '/items' in the old schema', additionalInfo:'reader union lacking "
        "writer type: BOOLEAN'}",
        NULL};
    expect_messages("{\"type\":\"array\",\"items\":[\"int\",\"string\"]}",
                    "{\"type\":\"array\",\"items\":\"boolean\"}", m7);
    /* a writer union read by a non-union reader: one message per bad branch */
    static const char *const m8[] = {
        "{errorType:'TYPE_MISMATCH', description:'The type (path '/values') of a field in the new "
        "schema does not match with the old schema', additionalInfo:'reader type: LONG not "
        "compatible with writer type: NULL'}",
        "{errorType:'TYPE_MISMATCH', description:'The type (path '/values') of a field in the new "
        "schema does not match with the old schema', additionalInfo:'reader type: LONG not "
        "compatible with writer type: STRING'}",
        NULL};
    expect_messages("{\"type\":\"map\",\"values\":\"long\"}",
                    "{\"type\":\"map\",\"values\":[\"null\",\"int\",\"string\"]}", m8);
    static const char *const ok[] = {NULL};
    expect_messages("\"long\"", "\"int\"", ok);
    /* custom labels */
    bs_avro_schema_t *r = parse_ok("\"int\""), *w = parse_ok("\"string\"");
    json_t *msgs = json_array();
    assert_int_equal(bs_avro_can_read_ex(r, w, "old", "new", msgs), 0);
    assert_non_null(strstr(json_string_value(json_array_get(msgs, 0)),
                           "in the old schema does not match with the new schema"));
    json_decref(msgs);
    bs_avro_schema_free(r);
    bs_avro_schema_free(w);
}

static void test_compat_recursive_cross(void **state)
{
    (void)state;
    /* reader and writer recurse through different paths; terminates */
    bs_avro_schema_t *r = parse_ok(
        "{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"x\",\"type\":[\"null\",{"
        "\"type\":"
        "\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"y\",\"type\":[\"null\",\"A\"]}]}]},"
        "{\"name\":\"z\",\"type\":[\"null\",\"B\"]}]}");
    bs_avro_schema_t *w =
        parse_ok("{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"x\",\"type\":["
                 "\"null\",{\"type\":"
                 "\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"y\",\"type\":[\"null\",\"A\"]},"
                 "{\"name\":"
                 "\"extra\",\"type\":\"A\"}]}]},{\"name\":\"z\",\"type\":[\"null\",\"B\"]}]}");
    assert_int_equal(bs_avro_can_read(r, w, NULL), 1);
    assert_int_equal(bs_avro_can_read(w, r, NULL), 0);
    assert_int_equal(bs_avro_can_read(r, r, NULL), 1);
    assert_int_equal(bs_avro_can_read(w, w, NULL), 1);
    bs_avro_schema_free(r);
    bs_avro_schema_free(w);
}

static void test_compat_levels(void **state)
{
    (void)state;
    assert_int_equal(bs_avro_compat_level_parse("backward"), BS_AVRO_COMPAT_BACKWARD);
    assert_int_equal(bs_avro_compat_level_parse("FULL_TRANSITIVE"), BS_AVRO_COMPAT_FULL_TRANSITIVE);
    assert_int_equal(bs_avro_compat_level_parse("NONE"), BS_AVRO_COMPAT_NONE);
    assert_int_equal(bs_avro_compat_level_parse("sideways"), -1);
    assert_int_equal(bs_avro_compat_level_parse(NULL), -1);
    for (int l = 0; l <= BS_AVRO_COMPAT_FULL_TRANSITIVE; l++)
        assert_int_equal(bs_avro_compat_level_parse(bs_avro_compat_level_name(l)), l);
    assert_string_equal(bs_avro_compat_level_name(99), "UNKNOWN");

    /* v1: {a:int}; v2: + b:string default; v3: + c:int (no default) */
    bs_avro_schema_t *v1 = parse_ok(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}");
    bs_avro_schema_t *v2 = parse_ok("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                                    "\"a\",\"type\":\"int\"},{\"name\":"
                                    "\"b\",\"type\":\"string\",\"default\":\"\"}]}");
    bs_avro_schema_t *noa = parse_ok(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"type\":\"string\","
        "\"default\":\"\"}]}");
    bs_avro_schema_t *addc =
        parse_ok("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}"
                 ",{\"name\":"
                 "\"b\",\"type\":\"string\",\"default\":\"\"},{\"name\":\"c\",\"type\":\"int\"}]}");
    const bs_avro_schema_t *hist[] = {v1, v2};

    /* removing a (no default): backward ok; forward not (old reads new: a missing) */
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_BACKWARD, noa, hist, 2, NULL), 1);
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_FORWARD, noa, hist, 2, NULL), 0);
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_FULL, noa, hist, 2, NULL), 0);
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_NONE, noa, hist, 2, NULL), 1);
    /* adding c without default: forward ok, backward not */
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_BACKWARD, addc, hist, 2, NULL), 0);
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_FORWARD, addc, hist, 2, NULL), 1);
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_FORWARD_TRANSITIVE, addc, hist, 2, NULL), 1);
    /* v2 against v1: full */
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_FULL_TRANSITIVE, v2, hist, 1, NULL), 1);
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_BACKWARD, v1, NULL, 0, NULL), 1);

    /* transitive reaches old versions: only v1 lacks b without... build a
     * history where the latest is fine but the oldest is not */
    bs_avro_schema_t *s_int = parse_ok(
        "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}");
    bs_avro_schema_t *s_long = parse_ok(
        "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"x\",\"type\":\"long\"}]}");
    bs_avro_schema_t *s_str = parse_ok(
        "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"x\",\"type\":\"string\"}]}");
    bs_avro_schema_t *s_dbl = parse_ok(
        "{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":\"x\",\"type\":\"double\"}]}");
    const bs_avro_schema_t *h2[] = {s_str, s_int, s_long};
    int versions[] = {1, 2, 3};
    /* double reads long (latest) and int, but not string (oldest) */
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_BACKWARD, s_dbl, h2, 3, NULL), 1);
    json_t *msgs = json_array();
    int failed = 99;
    assert_int_equal(bs_avro_compatible_ex(BS_AVRO_COMPAT_BACKWARD_TRANSITIVE, s_dbl, h2, versions,
                                           3, msgs, &failed),
                     0);
    assert_int_equal(failed, 0);
    assert_int_equal(json_array_size(msgs), 4);
    assert_non_null(strstr(json_string_value(json_array_get(msgs, 0)), "TYPE_MISMATCH"));
    assert_string_equal(json_string_value(json_array_get(msgs, 1)), "{oldSchemaVersion: 1}");
    assert_string_equal(json_string_value(json_array_get(msgs, 2)),
                        "{oldSchema: '{\"type\":\"record\",\"name\":\"T\",\"fields\":[{\"name\":"
                        "\"x\",\"type\":\"string\"}]}'}");
    assert_string_equal(json_string_value(json_array_get(msgs, 3)),
                        "{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}");
    json_decref(msgs);
    /* FULL reports both directions' differences */
    msgs = json_array();
    const bs_avro_schema_t *h3[] = {s_int};
    assert_int_equal(bs_avro_compatible(BS_AVRO_COMPAT_FULL, s_long, h3, 1, msgs), 0);
    assert_int_equal(json_array_size(msgs), 3); /* forward diff + oldSchema + level */
    assert_non_null(strstr(json_string_value(json_array_get(msgs, 0)),
                           "in the old schema does not match with the new schema"));
    json_decref(msgs);
    bs_avro_schema_t *all[] = {v1, v2, noa, addc, s_int, s_long, s_str, s_dbl};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        bs_avro_schema_free(all[i]);
}

static void test_double_format(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } v[] = {
        {"0.0", "0.0"},
        {"-0.0", "-0.0"},
        {"1e7", "1.0E7"},
        {"9999999.0", "9999999.0"},
        {"0.001", "0.001"},
        {"0.0009", "9.0E-4"},
        {"3.14159", "3.14159"},
        {"1e-300", "1.0E-300"},
        {"1.7976931348623157e308", "1.7976931348623157E308"},
        {"100.5", "100.5"},
        {"0.1", "0.1"},
        {"123456789.123", "1.23456789123E8"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char text[256], want[256];
        snprintf(
            text, sizeof(text),
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"d\",\"type\":\"double\","
            "\"default\":%s}]}",
            v[i].in);
        snprintf(
            want, sizeof(want),
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"d\",\"type\":\"double\","
            "\"default\":%s}]}",
            v[i].out);
        expect_canonical(text, want);
    }
}

/* ---------------------------------------------------------------------------
 * Oracle driver mode
 * ------------------------------------------------------------------------- */

static int print_pairs(const char *path)
{
    json_t *pairs = load_pairs(path);
    if (!pairs)
        return 2;
    size_t i;
    json_t *p;
    json_array_foreach(pairs, i, p)
    {
        const char *id = json_string_value(json_object_get(p, "id"));
        bs_avro_schema_t *r = parse_json(json_object_get(p, "r"), id);
        bs_avro_schema_t *w = parse_json(json_object_get(p, "w"), id);
        if (r && w) {
            printf("%s fwd %d\n", id, bs_avro_can_read(r, w, NULL));
            printf("%s rev %d\n", id, bs_avro_can_read(w, r, NULL));
        } else {
            printf("%s fwd E\n%s rev E\n", id, id);
        }
        bs_avro_schema_free(r);
        bs_avro_schema_free(w);
    }
    json_decref(pairs);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--compat-pairs") == 0)
        return print_pairs(argv[2]);
    const char *env = getenv("BASIN_AVRO_PAIRS");
    if (env)
        pairs_path = env;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcf_spec_vectors),
        cmocka_unit_test(test_pcf_strips_and_qualifies),
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_normalized),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_model_and_logical),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_compat_pairs),
        cmocka_unit_test(test_compat_messages),
        cmocka_unit_test(test_compat_recursive_cross),
        cmocka_unit_test(test_compat_levels),
        cmocka_unit_test(test_double_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
