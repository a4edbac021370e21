/*
 * crc32c.h — CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of Kafka RecordBatch v2 (CLIENT-NOTES.md §3).
 *
 * bs_crc32c(0, buf, len) is the standard CRC-32C of the bytes
 * ("123456789" -> 0xE3069283). Chaining works: bs_crc32c(bs_crc32c(0, a, n),
 * b, m) == CRC of a||b. Uses SSE4.2 crc32 instructions with three interleaved
 * streams when the CPU has them (chosen once at start-up via cpuid), a
 * slicing-by-8 table otherwise. Thread-safe, no allocation.
 */
#ifndef BS_CRC32C_H
#define BS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t bs_crc32c(uint32_t crc, const void *buf, size_t len);

/* The portable table implementation (always available; used by tests to
 * cross-check the hardware path). Same semantics as bs_crc32c. */
uint32_t bs_crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* The hardware implementation; only call when bs_crc32c_hw_available(). */
uint32_t bs_crc32c_hw(uint32_t crc, const void *buf, size_t len);
int bs_crc32c_hw_available(void);

#endif
