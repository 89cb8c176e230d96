/*
 * qemu-oracle firmware: configure the Non-secure PL1&0 stage-1 regime with
 * the tables under test, translate every VA of the job with address
 * translation operations issued from Hyp mode, print one line per VA through
 * semihosting.
 *
 * Long-descriptor jobs: one pass of ATS1Cxx (64-bit PAR).
 * Short-descriptor jobs: pass 1 uses ATS12NSOxx (with HCR.VM=0 this is the
 * same stage-1 translation, reported in the 32-bit PAR format, which can
 * carry every short-descriptor fault including domain faults); pass 2
 * repeats ATS1Cxx for the VAs that translated, to get the 64-bit PAR with
 * PA[39:12] (the 32-bit PAR cannot hold PA[39:32] of a supersection in
 * QEMU).  ATS1Cxx is not used for faulting VAs because QEMU 7.2 aborts when
 * it has to put a domain fault into a 64-bit PAR.
 *
 * A job of version 2 may chain further jobs (oracle.h): each is run in
 * turn and prints its own BEGIN..END block.
 *
 * Output (all hex, lower case), one block per job:
 *   ORACLE-BEGIN 1 <short|lpae> <count> job=<index> mode=<m> midr=<x> sctlr=<x>
 *   <va:8> <pa:10> <par64:16> [<par32:8>]   translated (par32: short only)
 *   <va:8> FAULT <fs:2> <par:16>            fault; fs = short-descriptor FS[4:0]
 *                                           (short) or PAR.FST[5:0] (lpae)
 *   <va:8> ABORT <hsr:8>                    the walk took a synchronous
 *                                           external abort (exception)
 *   <va:8> MISMATCH <par32:16> <par64:16>   the two passes disagree (bug)
 *   ORACLE-END <count>
 */
#include "oracle.h"

typedef unsigned int u32;
typedef unsigned long long u64;

extern void ats_run(const u32 *vas, u32 n, u64 *out, u32 op);
extern void semihost_write0(const char *s);
extern void semihost_exit(u32 status) __attribute__((noreturn));

/* ---------------------------------------------------------------- */
/* Output buffer, flushed with SYS_WRITE0.                           */
/* ---------------------------------------------------------------- */
#define OBUF_SIZE 65536
static char obuf[OBUF_SIZE + 64];
static u32 olen;

static void flush(void)
{
    if (olen) {
        obuf[olen] = 0;
        semihost_write0(obuf);
        olen = 0;
    }
}

static void room(u32 n)
{
    if (olen + n > OBUF_SIZE)
        flush();
}

static void put_str(const char *s)
{
    while (*s) {
        room(1);
        obuf[olen++] = *s++;
    }
}

static void put_hex(u64 v, int digits)
{
    static const char hx[] = "0123456789abcdef";
    room(digits);
    for (int i = digits - 1; i >= 0; i--) {
        obuf[olen + i] = hx[v & 0xf];
        v >>= 4;
    }
    olen += digits;
}

static void put_ch(char c)
{
    room(1);
    obuf[olen++] = c;
}

/* ---------------------------------------------------------------- */
/* CP15 accessors (executed in Hyp mode: the PL1 registers named     */
/* here are the Non-secure PL1 copies).                              */
/* ---------------------------------------------------------------- */
#define MCR(op1, crn, crm, op2, v) \
    __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 :: "r"(v) : "memory")
#define MRC(op1, crn, crm, op2, v) \
    __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(v) :: "memory")
#define MCRR(op1, crm, lo, hi) \
    __asm__ volatile("mcrr p15, " #op1 ", %0, %1, " #crm :: "r"(lo), "r"(hi) : "memory")

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb(void) { __asm__ volatile("dsb" ::: "memory"); }

static u32 cpsr_mode(void)
{
    u32 v;
    __asm__ volatile("mrs %0, cpsr" : "=r"(v));
    return v & 0x1f;
}

/* ---------------------------------------------------------------- */

void oracle_fatal(u32 vec, u32 hsr, u32 elr, u32 hdfar)
{
    static const char *names[] = {
        "reserved", "undef", "hvc", "prefetch-abort",
        "data-abort", "hyp-trap", "irq", "fiq",
    };
    put_str("\nORACLE-ERROR exception ");
    put_str(vec < 8 ? names[vec] : "?");
    put_str(" hsr=");
    put_hex(hsr, 8);
    put_str(" elr=");
    put_hex(elr, 8);
    put_str(" hdfar=");
    put_hex(hdfar, 8);
    put_ch('\n');
    flush();
    semihost_exit(4);
}

static int fail(const char *msg)
{
    put_str("ORACLE-ERROR ");
    put_str(msg);
    put_ch('\n');
    flush();
    return 2;
}

/* Check one job header; 0 if usable, else the reason. */
static const char *check_job(const volatile struct oracle_job *job, u32 off)
{
    if (job->magic != ORACLE_JOB_MAGIC)
        return "bad job magic (no job loaded at 0xff100000?)";
    if (job->version != 1u && job->version != ORACLE_JOB_VERSION)
        return "unsupported job version";
    if (job->format > 1 || job->op > 3)
        return "bad format or op";
    if (job->count > ORACLE_MAX_VAS)
        return "too many VAs";
    if (((job->ttbcr >> 31) & 1) != job->format)
        return "TTBCR.EAE does not match the format";
    if (job->vas_off < sizeof(struct oracle_job) || (job->vas_off & 3) ||
        (unsigned long long)ORACLE_JOB_BASE + off + job->vas_off + 4ull * job->count > ORACLE_SCRATCH_BASE)
        return "bad VA array offset";
    if (job->version == ORACLE_JOB_VERSION && job->next != 0 &&
        (job->next <= off || (job->next & 3) ||
         ORACLE_JOB_BASE + (unsigned long long)job->next + sizeof(struct oracle_job) > ORACLE_SCRATCH_BASE))
        return "bad next-job offset (must point further into the job area)";
    return 0;
}

/* Install one job's registers, translate its VAs, print its block. */
static void run_job(const volatile struct oracle_job *job, u32 index, u32 mode, u32 midr)
{
    u64 *out = (u64 *)ORACLE_RESULT_BASE;

    /* No stage 2, no trapping, no TGE/DC. */
    MCR(4, c1, c1, 0, 0u);                          /* HCR */
    isb();

    /* Install the regime under test (NS PL1&0 stage 1). */
    u32 sctlr;
    MRC(0, c1, c0, 0, sctlr);
    sctlr &= ~1u;                                   /* M off while we set up */
    MCR(0, c1, c0, 0, sctlr);
    isb();

    u32 ttbcr = job->ttbcr;
    MCR(0, c2, c0, 2, ttbcr);                       /* TTBCR */
    isb();
    MCRR(0, c2, job->ttbr0_lo, job->ttbr0_hi);      /* TTBR0 (64-bit view) */
    MCRR(1, c2, job->ttbr1_lo, job->ttbr1_hi);      /* TTBR1 (64-bit view) */
    MCR(0, c3, c0, 0, job->dacr);                   /* DACR */
    if (job->format == 1) {
        MCR(0, c10, c2, 0, job->mair0);             /* MAIR0 */
        MCR(0, c10, c2, 1, job->mair1);             /* MAIR1 */
    }

    sctlr |= 1u;                                    /* M: MMU on */
    sctlr &= ~((1u << 29) | (1u << 28));            /* AFE, TRE */
    if (job->flags & ORACLE_FLAG_AFE)
        sctlr |= 1u << 29;
    if (job->flags & ORACLE_FLAG_TRE)
        sctlr |= 1u << 28;
    sctlr &= ~((1u << 2) | (1u << 12));             /* caches stay off */
    MCR(0, c1, c0, 0, sctlr);
    isb();
    MCR(4, c8, c7, 4, 0u);                          /* TLBIALLNSNH */
    dsb();
    isb();

    const u32 *vas = (const u32 *)((const volatile char *)job + job->vas_off);
    u32 n = job->count;
    u32 op = job->op;
    u64 *out2 = (u64 *)ORACLE_RESULT2_BASE;
    u32 *vas2 = (u32 *)ORACLE_SCRATCH_BASE;

    if (job->format == 0) {
        ats_run(vas, n, out, op + 4);               /* ATS12NSOxx: 32-bit PAR */
        u32 m = 0;
        for (u32 i = 0; i < n; i++) {
            u32 lo = (u32)out[i], hi = (u32)(out[i] >> 32);
            if (hi != 0xffffffffu && !(lo & 1))
                vas2[m++] = vas[i];
        }
        ats_run(vas2, m, out2, op);                 /* ATS1Cxx: 64-bit PAR */
    } else {
        ats_run(vas, n, out, op);                   /* ATS1Cxx: 64-bit PAR */
    }

    put_str("ORACLE-BEGIN 1 ");
    put_str(job->format ? "lpae " : "short ");
    put_hex(n, 8);
    put_str(" job=");
    put_hex(index, 4);
    put_str(" mode=");
    put_hex(mode, 2);
    put_str(" midr=");
    put_hex(midr, 8);
    put_str(" sctlr=");
    put_hex(sctlr, 8);
    put_ch('\n');

    u32 j = 0;
    for (u32 i = 0; i < n; i++) {
        u32 va = vas[i];
        u64 par = out[i];
        u32 lo = (u32)par, hi = (u32)(par >> 32);
        put_hex(va, 8);
        put_ch(' ');
        if (hi == 0xffffffffu) {
            put_str("ABORT ");
            put_hex(lo, 8);
        } else if (lo & 1) {
            u32 fs = job->format ? (lo >> 1) & 0x3f
                                 : ((lo >> 1) & 0xf) | (((lo >> 5) & 1) << 4);
            put_str("FAULT ");
            put_hex(fs, 2);
            put_ch(' ');
            put_hex(par, 16);
        } else if (job->format) {
            u64 pa = (par & 0xFFFFFFF000ull) | (va & 0xfffu);
            put_hex(pa, 10);
            put_ch(' ');
            put_hex(par, 16);
        } else {
            u64 p64 = out2[j++];
            u32 l64 = (u32)p64, h64 = (u32)(p64 >> 32);
            /* The 32-bit PAR holds PA[31:12], or PA[31:24] with SS = 1. */
            u32 mask = (lo & 2) ? 0xff000000u : 0xfffff000u;
            if (h64 == 0xffffffffu || (l64 & 1) || ((l64 ^ lo) & mask)) {
                put_str("MISMATCH ");
                put_hex(par, 16);
                put_ch(' ');
                put_hex(p64, 16);
            } else {
                u64 pa = (p64 & 0xFFFFFFF000ull) | (va & 0xfffu);
                put_hex(pa, 10);
                put_ch(' ');
                put_hex(p64, 16);
                put_ch(' ');
                put_hex(lo, 8);
            }
        }
        put_ch('\n');
    }
    put_str("ORACLE-END ");
    put_hex(n, 8);
    put_ch('\n');
}

int oracle_main(void)
{
    u32 mode = cpsr_mode();
    u32 midr;
    MRC(0, c0, c0, 0, midr);

    /*
     * Walk the chain once to check every header first, so a bad chain
     * prints nothing but the error.
     */
    u32 off = 0, jobs = 0;
    for (;;) {
        const volatile struct oracle_job *job =
            (const volatile struct oracle_job *)(ORACLE_JOB_BASE + off);
        const char *why = check_job(job, off);
        if (why)
            return fail(why);
        jobs++;
        if (job->version == 1u || job->next == 0)
            break;
        off = job->next;
    }

    off = 0;
    for (u32 i = 0; i < jobs; i++) {
        const volatile struct oracle_job *job =
            (const volatile struct oracle_job *)(ORACLE_JOB_BASE + off);
        run_job(job, i, mode, midr);
        off = job->next;
    }
    flush();
    return 0;
}

/* The compiler may emit calls to these. */
void *memset(void *d, int c, unsigned n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}
