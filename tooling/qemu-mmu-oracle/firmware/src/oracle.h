/*
 * Memory layout and job format shared by the firmware and qemu-oracle.mjs
 * (the runner repeats these numbers; keep both in step).
 *
 *   0xFF00_0000 .. 0xFF0F_FFFF  firmware: code, data, bss, stack
 *   0xFF10_0000 .. 0xFF4F_FFFF  job blob (64-byte header + VA array)
 *   0xFF50_0000 .. 0xFF7F_FFFF  scratch (VA list for the second pass)
 *   0xFF80_0000 .. 0xFFBF_FFFF  results of pass 1: one PAR (64 bits) per VA
 *   0xFFC0_0000 .. 0xFFFF_FFFF  results of pass 2 (short format only)
 *
 * Everything below 0xFF00_0000 is free for the images under test.
 */
#ifndef ORACLE_H
#define ORACLE_H

#define ORACLE_FW_BASE      0xFF000000u
#define ORACLE_JOB_BASE     0xFF100000u
#define ORACLE_SCRATCH_BASE 0xFF500000u
#define ORACLE_RESULT_BASE  0xFF800000u
#define ORACLE_RESULT2_BASE 0xFFC00000u
#define ORACLE_MAX_VAS      (1u << 19)

#define ORACLE_JOB_MAGIC    0x4C43524Fu     /* "ORCL" little-endian */
#define ORACLE_JOB_VERSION  2u          /* 1: one job; 2: a chain of jobs */

/* flags */
#define ORACLE_FLAG_AFE     (1u << 0)       /* set SCTLR.AFE */
#define ORACLE_FLAG_TRE     (1u << 1)       /* set SCTLR.TRE */

/*
 * Header: 16 little-endian 32-bit words. The first header is at
 * ORACLE_JOB_BASE; with version 2, `next` chains further headers, so that
 * one QEMU run translates under many register configurations over the same
 * memory images (starting QEMU costs far more than translating).
 */
struct oracle_job {
    unsigned magic;      /* ORACLE_JOB_MAGIC */
    unsigned version;    /* ORACLE_JOB_VERSION */
    unsigned format;     /* 0 short-descriptor, 1 long-descriptor (LPAE) */
    unsigned op;         /* 0 ATS1CPR, 1 ATS1CPW, 2 ATS1CUR, 3 ATS1CUW */
    unsigned ttbcr;      /* written to TTBCR as is (EAE must match format) */
    unsigned ttbr0_lo, ttbr0_hi;
    unsigned ttbr1_lo, ttbr1_hi;
    unsigned dacr;
    unsigned flags;
    unsigned mair0, mair1;   /* LPAE only (PRRR/NMRR are left alone) */
    unsigned count;      /* number of VAs */
    unsigned vas_off;    /* byte offset of the VA array from this header */
    unsigned next;       /* version 2: byte offset of the next header from
                            ORACLE_JOB_BASE, above this one; 0 = last.
                            Version 1: reserved, the only job. */
};

#endif
