/**
 * Progress for long runs, on stderr and only when stderr is a terminal, so
 * `--json` on stdout and piped output stay clean.
 */
export interface Progress {
  /** `done` of `total` units of the named task. */
  update(task: string, done: number, total: number): void;
  /** Clear the line. */
  done(): void;
}

export const silentProgress: Progress = { update: () => undefined, done: () => undefined };

export function createProgress(stream: NodeJS.WriteStream): Progress {
  if (!stream.isTTY) return silentProgress;
  let last = 0;
  let shown = false;
  return {
    update(task, done, total) {
      const now = Date.now();
      if (now - last < 80 && done < total) return; // at most ~12 redraws a second
      last = now;
      const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
      stream.write(`\r\u001b[2K  … ${task}: ${done}/${total} (${pct} %)`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\u001b[2K');
      shown = false;
    },
  };
}
