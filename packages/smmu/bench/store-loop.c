/*
 * The C reference for bulk mapping: the short-descriptor level-2 stores of
 * mapping 256 MiB as 4 KiB pages (65,536 descriptors into 256 tables of
 * 1 KiB, each table's descriptors one after another, as mapRange writes
 * them), and the LPAE level-3 stores of the same range (two 32-bit words a
 * page into 128 tables of 4 KiB). Nothing else: no checks, no table
 * allocation. bench/formats.ts compiles it with `gcc -O2` when gcc is on
 * the PATH and prints its figures beside the model's.
 *
 * Output: one line per figure, `<name> <best ns per descriptor>`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PTES 65536u
#define RUNS 50

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Small-page descriptors for pa, pa + 4 KiB, ...: base [31:12] | attribute and type bits. */
__attribute__((noinline)) static void store_short(uint32_t *tables, uint32_t pa, uint32_t bits) {
  for (uint32_t t = 0; t < PTES / 256; t++) {
    uint32_t *view = tables + t * 256;
    uint32_t desc = ((pa + t * 0x100000u) & 0xfffff000u) | bits;
    for (uint32_t j = 0; j < 256; j++) {
      view[j] = desc;
      desc += 0x1000u;
    }
  }
}

/* LPAE level-3 pages: low word OA[31:12] | attributes | 0b11, high word attributes | OA[39:32]. */
__attribute__((noinline)) static void store_lpae(uint32_t *tables, uint64_t pa, uint32_t lo_bits, uint32_t hi_bits) {
  for (uint32_t t = 0; t < PTES / 512; t++) {
    uint32_t *view = tables + t * 1024;
    uint64_t out = pa + (uint64_t)t * 0x200000u;
    for (uint32_t k = 0; k < 512; k++) {
      view[2 * k] = ((uint32_t)out & 0xfffff000u) | lo_bits;
      view[2 * k + 1] = hi_bits | (uint32_t)(out >> 32);
      out += 0x1000u;
    }
  }
}

int main(void) {
  uint32_t *tables = aligned_alloc(4096, PTES * 8u);
  if (tables == NULL) return 1;
  uint64_t sink = 0;
  double best_short = 1e30, best_lpae = 1e30;
  for (int r = 0; r < RUNS; r++) {
    double t0 = now_ns();
    store_short(tables, 0x80001000u, 0xc7eu);
    double t1 = now_ns();
    sink += tables[PTES - 1];
    store_lpae(tables, 0x80001000u, 0xf67u, 0x00600000u);
    double t2 = now_ns();
    sink += tables[2 * PTES - 1];
    if (t1 - t0 < best_short) best_short = t1 - t0;
    if (t2 - t1 < best_lpae) best_lpae = t2 - t1;
  }
  printf("c-store-loop-ns-per-pte %.3f\n", best_short / PTES);
  printf("c-lpae-store-loop-ns-per-pte %.3f\n", best_lpae / PTES);
  fprintf(stderr, "checksum %llu\n", (unsigned long long)sink);
  free(tables);
  return 0;
}
