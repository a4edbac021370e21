/*
 * test_crc32c.c — CRC-32C known answers, chaining, and hardware vs table
 * implementation over random lengths and alignments (covers the 3-way
 * interleaved path and its shift tables).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/crc32c.h"

static void test_known_answers(void **state)
{
    (void)state;
    assert_int_equal(bs_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(bs_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(bs_crc32c(0, "", 0), 0);
    uint8_t zeros[32] = {0}, ones[32];
    memset(ones, 0xff, sizeof(ones));
    /* RFC 3720 B.4 test vectors. */
    assert_int_equal(bs_crc32c(0, zeros, 32), 0x8A9136AAu);
    assert_int_equal(bs_crc32c(0, ones, 32), 0x62A8AB43u);
    uint8_t inc[32];
    for (int i = 0; i < 32; i++)
        inc[i] = (uint8_t)i;
    assert_int_equal(bs_crc32c(0, inc, 32), 0x46DD794Eu);
}

static void test_chaining(void **state)
{
    (void)state;
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    uint32_t whole = bs_crc32c(0, s, n);
    for (size_t cut = 0; cut <= n; cut++)
        assert_int_equal(bs_crc32c(bs_crc32c(0, s, cut), s + cut, n - cut), whole);
}

static void test_hw_vs_sw(void **state)
{
    (void)state;
    size_t cap = 200000;
    uint8_t *b = malloc(cap);
    srand(1234);
    for (size_t i = 0; i < cap; i++)
        b[i] = (uint8_t)rand();
    for (int i = 0; i < 3000; i++) {
        size_t off = (size_t)rand() % 64;
        size_t len = (size_t)rand() % (i < 2000 ? 20000 : cap - 64);
        uint32_t seed = (uint32_t)rand();
        uint32_t sw = bs_crc32c_sw(seed, b + off, len);
        assert_int_equal(bs_crc32c(seed, b + off, len), sw);
        if (bs_crc32c_hw_available())
            assert_int_equal(bs_crc32c_hw(seed, b + off, len), sw);
    }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_hw_vs_sw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
