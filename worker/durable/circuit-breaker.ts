/**
 * Global circuit breaker, one instance per provider (`idFromName(provider)`).
 *
 *   closed --N consecutive counting failures--> open --cool-down--> half_open (one probe)
 *   half_open --probe success--> closed;  half_open --probe counting failure--> open (new cool-down)
 *
 * - Only failures with `countsAsFailure` count (provider or our config at fault); a user's
 *   4xx or a client abort only releases its in-flight slot. A success resets the count.
 * - While open, `acquire()` refuses at once with `retryAfterMs`.
 * - Half-open lets EXACTLY ONE probe through; acquires while it is out are refused. The
 *   probe is identified by the `probeId` that `acquire()` returns and `report()` takes
 *   back, so a late result of a call made before the opening is never mistaken for the
 *   probe's. A probe that does not report within its lease (default: the cool-down) is
 *   considered lost and a new probe is allowed; its late report is then ignored.
 * - A probe ending with a non-counting failure (client abort, user 4xx) proves nothing:
 *   it frees the probe slot and the next acquire probes again.
 * - `report()` returns `opened: true` exactly once per opening from closed (the caller
 *   alerts on it); a failed probe re-opening the circuit returns `reopened: true` instead.
 *
 * The whole state is one record in the SQLite-backed synchronous KV (`ctx.storage.kv`),
 * read and written without any await, so concurrent RPCs can never interleave inside one
 * transition. It is written only when it changes: the in-flight count (diagnostics only)
 * lives in memory, so a closed circuit's acquire and success report cost no storage write
 * (a durable write per call delayed every chat's first token by about 1 ms). Every method takes an optional `now` (ms) and the caller's thresholds, so
 * tests drive the clock exactly and the object itself needs no configuration.
 */
import { DurableObject } from "cloudflare:workers";

export type BreakerState = "closed" | "open" | "half_open";

export const DEFAULT_BREAKER_THRESHOLD = 5;
export const DEFAULT_BREAKER_COOLDOWN_MS = 60_000;

/** Per-call settings; the gate passes the configured values on every call. */
export interface BreakerOptions {
  /** Consecutive counting failures that open the circuit (default 5, at least 1). */
  threshold?: number;
  /** How long the circuit stays open before one probe is let through (default 60 s). */
  cooldownMs?: number;
  /** How long an outstanding probe may stay silent before another is allowed (default: cooldownMs). */
  probeLeaseMs?: number;
  /** The clock, in ms since the epoch (default Date.now()). */
  now?: number;
}

export interface AcquireResult {
  allowed: boolean;
  /** The state after this call (half_open when this call is the probe). */
  state: BreakerState;
  /** True when this call is the single half-open probe: report it with `probeId`. */
  probe: boolean;
  /** Set when `probe` is true; pass it back to `report()`. */
  probeId?: string;
  /** When refused: how long until a probe may be allowed (at least 1 ms). */
  retryAfterMs?: number;
}

export interface ReportInput extends BreakerOptions {
  success: boolean;
  /** Whether a failure counts toward opening (default true). Ignored on success. */
  countsAsFailure?: boolean;
  /** The `probeId` that `acquire()` returned, when the call was the probe. */
  probeId?: string;
}

export interface ReportResult {
  state: BreakerState;
  consecutiveFailures: number;
  /** True exactly once per opening from closed: alert on it. */
  opened: boolean;
  /** True when a failed probe sent the circuit back to open (new cool-down). */
  reopened: boolean;
  /** True when a successful probe closed the circuit. */
  closed: boolean;
}

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  openedAt: number | null;
  inFlight: number;
  probeOutstanding: boolean;
}

interface Stored {
  state: BreakerState;
  failures: number;
  openedAt: number | null;
  inFlight: number;
  probeId: string | null;
  probeStartedAt: number | null;
  /** Ids of probes whose lease expired (their slot already released); bounded. */
  lostProbes: string[];
}

const KEY = "breaker";
const MAX_LOST_PROBES = 16;

const initial = (): Stored => ({
  state: "closed",
  failures: 0,
  openedAt: null,
  inFlight: 0,
  probeId: null,
  probeStartedAt: null,
  lostProbes: [],
});

function settings(o: BreakerOptions = {}) {
  const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  const threshold = finite(o.threshold) && o.threshold >= 1 ? Math.floor(o.threshold) : DEFAULT_BREAKER_THRESHOLD;
  const cooldownMs = finite(o.cooldownMs) && o.cooldownMs >= 0 ? o.cooldownMs : DEFAULT_BREAKER_COOLDOWN_MS;
  const probeLeaseMs = finite(o.probeLeaseMs) && o.probeLeaseMs > 0 ? o.probeLeaseMs : Math.max(cooldownMs, 1);
  const now = finite(o.now) ? o.now : Date.now();
  return { threshold, cooldownMs, probeLeaseMs, now };
}

/** What is stored: everything but the in-flight count. */
function persistedPart(s: Stored): Omit<Stored, "inFlight"> {
  const { inFlight: _memoryOnly, ...rest } = s;
  return rest;
}

export class CircuitBreaker extends DurableObject {
  async ping(): Promise<"pong"> {
    return "pong";
  }

  /** Calls allowed and not yet reported, since this instance started (lost on eviction). */
  private inFlight = 0;
  /** The persisted record as last read or written, to skip writes that change nothing. */
  private persisted?: string;

  private load(): Stored {
    const stored = this.ctx.storage.kv.get<Stored>(KEY);
    const s = { ...initial(), ...(stored ?? {}), inFlight: this.inFlight };
    this.persisted = JSON.stringify(persistedPart(s));
    return s;
  }

  private save(s: Stored): void {
    this.inFlight = s.inFlight;
    const record = persistedPart(s);
    const json = JSON.stringify(record);
    if (json === this.persisted) return;
    this.ctx.storage.kv.put(KEY, record);
    this.persisted = json;
  }

  /** Asks to call the provider. When allowed, the caller MUST report exactly once. */
  async acquire(options: BreakerOptions = {}): Promise<AcquireResult> {
    const { cooldownMs, probeLeaseMs, now } = settings(options);
    const s = this.load();

    if (s.state === "closed") {
      s.inFlight += 1;
      this.save(s);
      return { allowed: true, state: "closed", probe: false };
    }

    if (s.state === "open") {
      const openedAt = s.openedAt ?? now;
      const readyAt = openedAt + cooldownMs;
      if (now < readyAt) return { allowed: false, state: "open", probe: false, retryAfterMs: Math.max(1, readyAt - now) };
      return this.startProbe(s, now);
    }

    // half_open
    if (s.probeId !== null) {
      const expiresAt = (s.probeStartedAt ?? now) + probeLeaseMs;
      if (now < expiresAt) return { allowed: false, state: "half_open", probe: false, retryAfterMs: Math.max(1, expiresAt - now) };
      // The probe never reported (isolate evicted, lost RPC): release its slot and remember
      // its id so that a late report neither decrements twice nor decides the state.
      s.inFlight = Math.max(0, s.inFlight - 1);
      s.lostProbes = [...s.lostProbes, s.probeId].slice(-MAX_LOST_PROBES);
    }
    return this.startProbe(s, now);
  }

  private startProbe(s: Stored, now: number): AcquireResult {
    const probeId = crypto.randomUUID();
    s.state = "half_open";
    s.probeId = probeId;
    s.probeStartedAt = now;
    s.inFlight += 1;
    this.save(s);
    return { allowed: true, state: "half_open", probe: true, probeId };
  }

  /** Reports the outcome of an allowed call (exactly once per allowed acquire). */
  async report(input: ReportInput): Promise<ReportResult> {
    const { threshold, now } = settings(input);
    const s = this.load();
    const result = (flags: Partial<Pick<ReportResult, "opened" | "reopened" | "closed">> = {}): ReportResult => ({
      state: s.state,
      consecutiveFailures: s.failures,
      opened: false,
      reopened: false,
      closed: false,
      ...flags,
    });
    const counting = !input.success && input.countsAsFailure !== false;

    if (input.probeId !== undefined && s.lostProbes.includes(input.probeId)) {
      // A probe reported after its lease expired: its slot was already released.
      s.lostProbes = s.lostProbes.filter((id) => id !== input.probeId);
      this.save(s);
      return result();
    }

    s.inFlight = Math.max(0, s.inFlight - 1);

    if (input.probeId !== undefined && s.state === "half_open" && input.probeId === s.probeId) {
      s.probeId = null;
      s.probeStartedAt = null;
      if (input.success) {
        s.state = "closed";
        s.failures = 0;
        s.openedAt = null;
        this.save(s);
        return result({ closed: true });
      }
      if (counting) {
        s.state = "open";
        s.openedAt = now;
        s.failures += 1;
        this.save(s);
        return result({ reopened: true });
      }
      // A probe that proves nothing (client abort, user 4xx): free the slot, stay half-open.
      this.save(s);
      return result();
    }

    if (s.state === "closed") {
      if (input.success) s.failures = 0;
      else if (counting) {
        s.failures += 1;
        if (s.failures >= threshold) {
          s.state = "open";
          s.openedAt = now;
          this.save(s);
          return result({ opened: true });
        }
      }
    }
    // open / half_open without the current probe's id: a late result of a call made before
    // the opening (or of a stale probe). It only releases its slot.
    this.save(s);
    return result();
  }

  async snapshot(): Promise<BreakerSnapshot> {
    const s = this.load();
    return {
      state: s.state,
      consecutiveFailures: s.failures,
      openedAt: s.openedAt,
      inFlight: s.inFlight,
      probeOutstanding: s.probeId !== null,
    };
  }

  /** Back to closed with nothing counted (admin action, tests). */
  async reset(): Promise<BreakerSnapshot> {
    this.persisted = undefined; // written even when equal: a reset always leaves a record
    this.save(initial());
    return this.snapshot();
  }
}
