/*
 * crc32c.c — CRC-32C, hardware (SSE4.2) and software (slicing-by-8).
 *
 * Invariants: every implementation works on the "raw" register (the value
 * between the initial and the final inversion); the public functions invert
 * on entry and exit so callers can chain.
 *
 * Hardware path: the crc32 instruction has a 3-cycle latency and a 1-cycle
 * throughput, so one dependent chain uses a third of the unit. For long
 * buffers we run three independent chains over three adjacent blocks of
 * BLK bytes and merge them: CRC is linear over GF(2), so
 *   raw(c, A||B) = shift_B(raw(c, A)) ^ raw(0, B)
 * where shift_B(x) is "feed |B| zero bytes to register x". shift_B is linear
 * in x, so it is precomputed as four 256-entry tables (one per input byte)
 * for each block size we use. Tables are built at start-up (constructor)
 * from the hardware instruction itself, so they cannot disagree with it.
 */
#include "proto/crc32c.h"

#include <nmmintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t sw_tab[8][256];
static int hw_ok;
static atomic_int inited; /* tables ready (set by the constructor) */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Shift tables for the two interleave block sizes. */
#define BLK_BIG   4096
#define BLK_SMALL 256
static uint32_t shift_big[4][256];
static uint32_t shift_small[4][256];

static uint32_t hw_run(uint32_t c, const uint8_t *p, size_t len)
{
    uint64_t c64 = c;
    while (len && ((uintptr_t)p & 7)) {
        c64 = _mm_crc32_u8((uint32_t)c64, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = _mm_crc32_u64(c64, v);
        p += 8;
        len -= 8;
    }
    c = (uint32_t)c64;
    while (len--)
        c = _mm_crc32_u8(c, *p++);
    return c;
}

static uint32_t sw_run(uint32_t c, const uint8_t *p, size_t len)
{
    while (len && ((uintptr_t)p & 7)) {
        c = sw_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        len--;
    }
    while (len >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = sw_tab[7][lo & 0xff] ^ sw_tab[6][(lo >> 8) & 0xff] ^ sw_tab[5][(lo >> 16) & 0xff] ^
            sw_tab[4][lo >> 24] ^ sw_tab[3][hi & 0xff] ^ sw_tab[2][(hi >> 8) & 0xff] ^
            sw_tab[1][(hi >> 16) & 0xff] ^ sw_tab[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = sw_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c;
}

static inline uint32_t shift_apply(uint32_t t[4][256], uint32_t x)
{
    return t[0][x & 0xff] ^ t[1][(x >> 8) & 0xff] ^ t[2][(x >> 16) & 0xff] ^ t[3][x >> 24];
}

/* Builds the tables of x -> register after feeding n zero bytes. */
static void shift_build(uint32_t t[4][256], size_t n,
                        uint32_t (*run)(uint32_t, const uint8_t *, size_t))
{
    static const uint8_t zeros[BLK_BIG];
    uint32_t basis[32];
    for (int i = 0; i < 32; i++)
        basis[i] = run(1u << i, zeros, n);
    for (int b = 0; b < 4; b++)
        for (int v = 0; v < 256; v++) {
            uint32_t r = 0;
            for (int k = 0; k < 8; k++)
                if (v & (1 << k))
                    r ^= basis[b * 8 + k];
            t[b][v] = r;
        }
}

static void crc32c_build(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        sw_tab[0][i] = c;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++)
            sw_tab[t][i] = (sw_tab[t - 1][i] >> 8) ^ sw_tab[0][sw_tab[t - 1][i] & 0xff];
    __builtin_cpu_init();
    hw_ok = __builtin_cpu_supports("sse4.2");
    uint32_t (*run)(uint32_t, const uint8_t *, size_t) = hw_ok ? hw_run : sw_run;
    shift_build(shift_big, BLK_BIG, run);
    shift_build(shift_small, BLK_SMALL, run);
    atomic_store(&inited, 1);
}

/* Runs at start-up; the check in the public functions covers callers that
 * run before constructors (other constructors). */
__attribute__((constructor)) static void crc32c_init(void)
{
    pthread_once(&init_once, crc32c_build);
}

static inline void ensure_init(void)
{
    if (__builtin_expect(!atomic_load_explicit(&inited, memory_order_acquire), 0))
        crc32c_init();
}

/* Three chains over 3 blocks of blk bytes per round. */
static uint32_t hw_3way(uint32_t c, const uint8_t **pp, size_t *lenp, size_t blk,
                        uint32_t t[4][256])
{
    const uint8_t *p = *pp;
    size_t len = *lenp;
    while (len >= 3 * blk) {
        uint64_t a = c, b = 0, d = 0;
        const uint8_t *pa = p, *pb = p + blk, *pd = p + 2 * blk;
        for (size_t i = 0; i < blk; i += 8) {
            uint64_t va, vb, vd;
            memcpy(&va, pa + i, 8);
            memcpy(&vb, pb + i, 8);
            memcpy(&vd, pd + i, 8);
            a = _mm_crc32_u64(a, va);
            b = _mm_crc32_u64(b, vb);
            d = _mm_crc32_u64(d, vd);
        }
        uint32_t r = shift_apply(t, (uint32_t)a) ^ (uint32_t)b;
        c = shift_apply(t, r) ^ (uint32_t)d;
        p += 3 * blk;
        len -= 3 * blk;
    }
    *pp = p;
    *lenp = len;
    return c;
}

uint32_t bs_crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    ensure_init();
    const uint8_t *p = buf;
    uint32_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8(c, *p++);
        len--;
    }
    if (len >= 3 * BLK_BIG)
        c = hw_3way(c, &p, &len, BLK_BIG, shift_big);
    if (len >= 3 * BLK_SMALL)
        c = hw_3way(c, &p, &len, BLK_SMALL, shift_small);
    c = hw_run(c, p, len);
    return ~c;
}

uint32_t bs_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
    ensure_init();
    return ~sw_run(~crc, buf, len);
}

int bs_crc32c_hw_available(void)
{
    ensure_init();
    return hw_ok;
}

uint32_t bs_crc32c(uint32_t crc, const void *buf, size_t len)
{
    ensure_init();
    if (hw_ok)
        return bs_crc32c_hw(crc, buf, len);
    return bs_crc32c_sw(crc, buf, len);
}
