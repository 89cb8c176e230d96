/**
 * The timing model of a master's traffic through the SMMU (docs/timing.md):
 * an in-order master whose port has two stages, translation and data.
 *
 * - Access i asks for translation at `tStart = max(tEnd[i-1], dStart[i-1],
 *   issue[i])`: translations are in order, one request ahead of the data
 *   (a request buffer of one), and, when the stream is paced at a requested
 *   bandwidth, not before the master issues it (`issue[i]` = bytes before it
 *   ÷ requested bytes per cycle).
 * - Its translation takes the latency the hierarchy reports: micro-TLB
 *   lookup, main-TLB lookup on a micro miss, on a main miss one walk-cache
 *   lookup per span probed and `memoryAccess` per descriptor read. A miss
 *   needs a walk slot: with `maxWalks` 1 it waits while a prefetch walk still
 *   holds the walker. An access that hits an entry a prefetch is still
 *   walking waits until the prefetch is done.
 * - Its data starts at `dStart = max(tDone, dEnd[i-1])` and takes
 *   ⌈bytes ÷ busBytesPerCycle⌉ cycles. The stall of the access is the wait
 *   translation added: `dStart − max(dEnd[i-1], issue[i])`.
 * - A prefetch walk starts when the access that caused it is translated and
 *   takes its own walk latency, in a second walk slot when `maxWalks` ≥ 2.
 *
 * The stream's cycles are the last access's `dEnd`. With every latency 0 and
 * no bus width, everything is 0 (an untimed SMMU).
 */

/** Histogram buckets of translation time: [0], then [2^(k−1), 2^k − 1] for k = 1 … 15, then ≥ 2^15. */
export const HISTOGRAM_BUCKETS = 17;

/** One bucket of a translation-time histogram: accesses whose translation took `min` … `max` cycles. */
export interface HistogramBucket {
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

/** The bucket of a translation time in cycles. */
function bucketOf(cycles: number): number {
  if (cycles <= 0) return 0;
  if (cycles >= 32768) return HISTOGRAM_BUCKETS - 1;
  return 32 - Math.clz32(cycles);
}

/** One master's stream through the two stages. Numbers only; nothing allocated per access. */
export class Timeline {
  /** Cycles to move one byte on the data port (0: data costs nothing). */
  private readonly cyclesPerBusByte: number;
  private readonly bus: number;
  private readonly oneWalker: boolean;
  /** Cycles per requested byte (0: not paced). */
  private readonly pace: number;
  private tEnd = 0;
  private dStart = 0;
  private dEnd = 0;
  private bytesIssued = 0;
  private prefetchBase = 0;
  private prefetchEnd = 0;
  private prefetchReady = 0;
  private walkerBusyUntil = 0;
  /** When the last access asked for translation (the start of its walk reads, for an observer). */
  lastTranslationStart = 0;
  stallCycles = 0;
  maxTranslationCycles = 0;
  readonly histogram = new Float64Array(HISTOGRAM_BUCKETS);

  constructor(busBytesPerCycle: number, maxWalks: number, cyclesPerRequestedByte: number) {
    this.bus = busBytesPerCycle;
    this.cyclesPerBusByte = busBytesPerCycle > 0 ? 1 / busBytesPerCycle : 0;
    this.oneWalker = maxWalks <= 1;
    this.pace = cyclesPerRequestedByte;
  }

  /** Cycles so far: when the last access's data is done. */
  get cycles(): number {
    return this.dEnd;
  }

  /**
   * One access of `bytes` at `va` whose translation took `latency` cycles
   * (`walked`: it missed every TLB and walked). Returns the cycle its data starts.
   */
  access(va: number, bytes: number, latency: number, walked: boolean): number {
    const issue = this.pace > 0 ? this.bytesIssued * this.pace : 0;
    let tStart = this.tEnd > this.dStart ? this.tEnd : this.dStart;
    if (issue > tStart) tStart = issue;
    this.lastTranslationStart = tStart;
    let tDone = tStart + latency;
    if (walked) {
      // The one walker is still busy with a prefetch: the miss waits for it.
      if (this.oneWalker && this.walkerBusyUntil > tStart) tDone = this.walkerBusyUntil + latency;
    } else if (va >= this.prefetchBase && va < this.prefetchEnd && this.prefetchReady > tDone) {
      // A hit on an entry a prefetch is still walking.
      tDone = this.prefetchReady;
    }
    this.tEnd = tDone;
    const ready = this.dEnd > issue ? this.dEnd : issue;
    const dStart = tDone > this.dEnd ? tDone : this.dEnd;
    this.stallCycles += dStart - ready > 0 ? dStart - ready : 0;
    this.dStart = dStart;
    this.dEnd = dStart + (this.bus > 0 ? Math.ceil(bytes * this.cyclesPerBusByte) : 0);
    this.bytesIssued += bytes;
    this.histogramAdd(tDone - tStart);
    return dStart;
  }

  /**
   * A repeated hit in the entry the last access used: `access(va, bytes,
   * latency, false)` with the latency, the bucket and a full burst's data
   * cycles worked out once per stream (`setHit`) — the stream loop's hot path.
   */
  hit(va: number, bytes: number): number {
    let tStart = this.tEnd > this.dStart ? this.tEnd : this.dStart;
    const issue = this.pace > 0 ? this.bytesIssued * this.pace : 0;
    if (issue > tStart) tStart = issue;
    let tDone = tStart + this.hitLatency;
    if (this.prefetchReady > tDone && va >= this.prefetchBase && va < this.prefetchEnd) tDone = this.prefetchReady;
    this.tEnd = tDone;
    const ready = this.dEnd > issue ? this.dEnd : issue;
    const dStart = tDone > this.dEnd ? tDone : this.dEnd;
    if (dStart > ready) this.stallCycles += dStart - ready;
    this.dStart = dStart;
    this.dEnd = dStart + (bytes === this.hitBytes ? this.hitBeat : this.bus > 0 ? Math.ceil(bytes * this.cyclesPerBusByte) : 0);
    this.bytesIssued += bytes;
    if (tDone - tStart === this.hitLatency) this.hitCount++;
    else this.histogramAdd(tDone - tStart);
    return dStart;
  }

  /**
   * `n` such hits in a row, the last of `lastBytes` (the others of the
   * `setHit` size): the same recurrence, in closed form for unpaced full
   * bursts. No prefetch wait can apply — the entry was reached by an
   * `access` that already waited.
   */
  hits(n: number, lastBytes: number): void {
    if (n <= 0) return;
    if (this.pace === 0) {
      // Unpaced: the full bursts in closed form, a short last one step by step.
      const runs = lastBytes === this.hitBytes ? n : n - 1;
      if (runs > 0) this.fullHits(runs);
      if (runs < n) this.stepHits(1, lastBytes);
    } else {
      this.stepHits(n, lastBytes);
    }
    this.hitCount += n;
  }

  /**
   * `n` unpaced hits of full bursts in closed form: the first starts
   * translating when the data before it starts (or its translation ends);
   * after it the pipeline is in its steady state — each later hit starts
   * translating when the one before starts its data, so data starts
   * max(L, B) apart and each waits max(0, L − B).
   */
  private fullHits(n: number): void {
    const L = this.hitLatency;
    const B = this.hitBeat;
    const ts = this.tEnd > this.dStart ? this.tEnd : this.dStart;
    const td = ts + L;
    const dE0 = this.dEnd;
    const ds = td > dE0 ? td : dE0;
    const M = L > B ? L : B;
    const dS = ds + (n - 1) * M;
    this.stallCycles += (ds > dE0 ? ds - dE0 : 0) + (L > B ? (n - 1) * (L - B) : 0);
    this.dStart = dS;
    this.dEnd = dS + B;
    this.tEnd = n > 1 ? dS - M + L : td;
    this.bytesIssued += n * this.hitBytes;
  }

  /** `n` hits one by one (paced, or a short last burst), the last of `lastBytes`: `hit`'s recurrence in locals. */
  private stepHits(n: number, lastBytes: number): void {
    const L = this.hitLatency;
    const B = this.hitBeat;
    const full = this.hitBytes;
    const pace = this.pace;
    let tEnd = this.tEnd;
    let dS = this.dStart;
    let dE = this.dEnd;
    let stall = this.stallCycles;
    let issued = this.bytesIssued;
    for (let i = 0; i < n; i++) {
      const bytes = i === n - 1 ? lastBytes : full;
      const issue = pace > 0 ? issued * pace : 0;
      let ts = tEnd > dS ? tEnd : dS;
      if (issue > ts) ts = issue;
      const td = ts + L;
      const ready = dE > issue ? dE : issue;
      const ds = td > dE ? td : dE;
      if (ds > ready) stall += ds - ready;
      dS = ds;
      dE = ds + (bytes === full ? B : this.bus > 0 ? Math.ceil(bytes * this.cyclesPerBusByte) : 0);
      tEnd = td;
      issued += bytes;
    }
    this.tEnd = tEnd;
    this.dStart = dS;
    this.dEnd = dE;
    this.stallCycles = stall;
    this.bytesIssued = issued;
  }

  private hitLatency = 0;
  private hitBytes = 0;
  private hitBeat = 0;
  /** Hits counted at `hitLatency` by `hit`, folded into the histogram by `buckets()`. */
  private hitCount = 0;

  /** What `hit` charges: the front TLB's hit latency, for accesses of `bytes`. */
  setHit(latency: number, bytes: number): void {
    this.flushHits();
    this.hitLatency = latency;
    this.hitBytes = bytes;
    this.hitBeat = this.bus > 0 ? Math.ceil(bytes * this.cyclesPerBusByte) : 0;
  }

  private flushHits(): void {
    if (this.hitCount === 0) return;
    this.histogram[bucketOf(this.hitLatency)]! += this.hitCount;
    if (this.hitLatency > this.maxTranslationCycles) this.maxTranslationCycles = this.hitLatency;
    this.hitCount = 0;
  }

  private histogramAdd(t: number): void {
    this.histogram[bucketOf(t)]!++;
    if (t > this.maxTranslationCycles) this.maxTranslationCycles = t;
  }

  /** The access just timed also prefetched [base, end) with a walk of `latency` cycles. */
  prefetched(base: number, end: number, latency: number): void {
    const start = this.oneWalker && this.walkerBusyUntil > this.tEnd ? this.walkerBusyUntil : this.tEnd;
    this.prefetchBase = base;
    this.prefetchEnd = end;
    this.prefetchReady = start + latency;
    if (this.oneWalker) this.walkerBusyUntil = this.prefetchReady;
  }

  /** The non-empty buckets, in order (the last one's `max` is the longest translation seen). */
  buckets(): HistogramBucket[] {
    this.flushHits();
    const out: HistogramBucket[] = [];
    for (let k = 0; k < HISTOGRAM_BUCKETS; k++) {
      const count = this.histogram[k]!;
      if (count === 0) continue;
      const min = k === 0 ? 0 : 2 ** (k - 1);
      const max = k === 0 ? 0 : k === HISTOGRAM_BUCKETS - 1 ? this.maxTranslationCycles : 2 ** k - 1;
      out.push({ min, max, count });
    }
    return out;
  }
}
