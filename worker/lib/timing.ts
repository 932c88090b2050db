/**
 * Opt-in per-stage durations of one request (SERVER_TIMING=on), for finding where the time
 * to first token goes: sent as a `Server-Timing` header (and, for what happens after the
 * headers, an SSE comment). Stage names and milliseconds only, never user data.
 *
 * Each `mark(stage)` records the time since the previous mark: stages are consecutive.
 * In Workers the clock only moves across I/O, so a stage that is pure CPU may read 0.
 */
export class StageTimer {
  private last: number;
  private readonly start: number;
  readonly entries: [stage: string, ms: number][] = [];

  constructor(private readonly now: () => number = () => performance.now()) {
    this.start = this.last = now();
  }

  mark(stage: string): void {
    const t = this.now();
    this.entries.push([stage, t - this.last]);
    this.last = t;
  }

  /** A branch that runs alongside the marked stages: its own entry, from now until `work` settles. */
  span<T>(stage: string, work: Promise<T>): Promise<T> {
    const t0 = this.now();
    const done = () => void this.entries.push([stage, this.now() - t0]);
    work.then(done, done);
    return work;
  }

  /** `Server-Timing` syntax: `stage;dur=ms, …, total;dur=ms` (total: since the timer started). */
  header(): string {
    const parts = this.entries.map(([s, ms]) => `${s};dur=${round(ms)}`);
    parts.push(`total;dur=${round(this.now() - this.start)}`);
    return parts.join(", ");
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
