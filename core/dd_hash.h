/*
 * dd_hash — hashing for the in-memory maps (fast, NOT keyed: only for
 * lookups) and SipHash-2-4 (keyed) for pseudonymising person ids: psn_no is
 * replaced by the hex of SipHash-2-4(key, psn_no) before it is stored or
 * logged, so ids cannot be reversed without the key and stay stable for
 * linking readmissions of one person.
 */
#ifndef DD_HASH_H
#define DD_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit hash of bytes (FNV-1a with a final avalanche mix). */
uint64_t dd_hash_bytes(const void *p, size_t n);
/* Combine a running hash with another 64-bit value. */
uint64_t dd_hash_mix(uint64_t h, uint64_t v);

/* SipHash-2-4 with a 16-byte key. */
uint64_t dd_siphash24(const uint8_t key[16], const void *p, size_t n);

#endif
