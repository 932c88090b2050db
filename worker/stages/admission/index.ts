/**
 * Admission stage: bounds how many chat requests run the pipeline at once in this isolate.
 *
 * Why: a Worker isolate runs on ONE thread. Past a few dozen chats at once, every request's
 * CPU slices interleave and each one's fail-closed deadlines (GUARD_REDIS_TIMEOUT_MS,
 * MODERATION_TIMEOUT_MS, the provider idle timeout) expire while the event loop is busy with
 * the others: a burst then turns into 503s. Requests beyond ADMISSION_MAX_IN_FLIGHT wait in a
 * FIFO queue before ANY stage runs, so their deadlines only start once they are admitted.
 *
 * A request holds its slot until its response is over: the end of a streamed (SSE) body,
 * its cancellation (client gone) or its error; a JSON answer gives the slot back as soon as
 * the handler has returned (the pipeline is done by then). Release is idempotent.
 *
 * Refusal (load shedding): when the queue is full (ADMISSION_MAX_QUEUED) or a request waited
 * longer than ADMISSION_MAX_WAIT_MS, 429 with code `overloaded` and Retry-After. It is a 4xx
 * on purpose: the service is up and refuses work it cannot do in time, like a rate limit, and
 * the client should retry later; a 5xx would count as an outage.
 *
 * The bound is per isolate: Cloudflare runs many isolates, each with its own queue. The
 * isolate-wide gate built from the settings is shared by every route that mounts
 * `admissionFromConfig()` (POST /api/chat and POST /v1/chat/completions), and its counts are
 * read by `admissionGauges()` for /metrics.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Config } from "../../env";

export interface AdmissionOptions {
  /** Requests running the pipeline at once. */
  maxInFlight: number;
  /** Requests waiting for a slot; one more is refused at once. 0 = no queue. */
  maxQueued: number;
  /** Longest wait for a slot (ms); past it the request is refused. */
  maxWaitMs: number;
  /** Clock (ms) for the waits measured; Date.now by default. */
  now?: () => number;
}

export type RefusalReason = "queue_full" | "wait_exceeded";

export class OverloadedError extends Error {
  constructor(readonly reason: RefusalReason, readonly retryAfterSeconds: number) {
    super(reason === "queue_full" ? "admission queue full" : "admission wait exceeded");
    this.name = "OverloadedError";
  }
}

export interface AdmissionStats {
  inFlight: number;
  queued: number;
  /** Since the isolate started. */
  admitted: number;
  refusedQueueFull: number;
  refusedWaitExceeded: number;
  /** Longest wait of an admitted request so far (ms). */
  maxWaitedMs: number;
}

interface Waiter {
  admit: () => void;
  refuse: (e: OverloadedError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
}

const LIMITS = { maxInFlight: 100_000, maxQueued: 1_000_000, maxWaitMs: 3_600_000 } as const;

function checkOptions(o: AdmissionOptions): void {
  const bad: string[] = [];
  const intIn = (name: keyof typeof LIMITS, min: number) => {
    const v = o[name];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > LIMITS[name]) bad.push(`${name} must be an integer in [${min}, ${LIMITS[name]}]`);
  };
  intIn("maxInFlight", 1);
  intIn("maxQueued", 0);
  intIn("maxWaitMs", 0);
  if (o.now !== undefined && typeof o.now !== "function") bad.push("now must be a function");
  if (bad.length) throw new TypeError(`admission: ${bad.join("; ")}`);
}

/** A counting semaphore with a bounded FIFO queue and a bounded wait. */
export class AdmissionGate {
  readonly maxInFlight: number;
  readonly maxQueued: number;
  readonly maxWaitMs: number;
  private readonly now: () => number;
  private running = 0;
  private readonly queue: Waiter[] = [];
  private head = 0; // index of the first live entry of `queue` (amortised O(1) shift)
  private waiting = 0;
  private counters = { admitted: 0, refusedQueueFull: 0, refusedWaitExceeded: 0, maxWaitedMs: 0 };

  constructor(opts: AdmissionOptions) {
    checkOptions(opts);
    this.maxInFlight = opts.maxInFlight;
    this.maxQueued = opts.maxQueued;
    this.maxWaitMs = opts.maxWaitMs;
    this.now = opts.now ?? Date.now;
  }

  stats(): AdmissionStats {
    return { inFlight: this.running, queued: this.waiting, ...this.counters };
  }

  /** Seconds a refused client should wait: about one maximum wait, at least 1 s. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.maxWaitMs / 1000));
  }

  /**
   * Resolves with a release function once a slot is free (at once when one is), or rejects
   * with OverloadedError. `signal` (the client going away) takes a waiting request out of
   * the queue without ever holding a slot.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.running < this.maxInFlight && this.waiting === 0) {
      this.running++;
      this.counters.admitted++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting >= this.maxQueued) {
      this.counters.refusedQueueFull++;
      return Promise.reject(new OverloadedError("queue_full", this.retryAfterSeconds));
    }
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    const enqueuedAt = this.now();
    return new Promise<() => void>((resolve, reject) => {
      const w: Waiter = { settled: false, timer: undefined, admit: () => {}, refuse: () => {} };
      const leave = () => {
        w.settled = true;
        this.waiting--;
        if (w.timer !== undefined) clearTimeout(w.timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        if (w.settled) return;
        leave();
        this.compact();
        reject(signal!.reason ?? new Error("aborted"));
      };
      w.admit = () => {
        leave();
        this.running++;
        this.counters.admitted++;
        this.counters.maxWaitedMs = Math.max(this.counters.maxWaitedMs, this.now() - enqueuedAt);
        resolve(this.releaser());
      };
      w.refuse = (e) => {
        leave();
        reject(e);
      };
      w.timer = setTimeout(() => {
        if (w.settled) return;
        this.counters.refusedWaitExceeded++;
        w.refuse(new OverloadedError("wait_exceeded", this.retryAfterSeconds));
        this.compact();
      }, this.maxWaitMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(w);
      this.waiting++;
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.pump();
    };
  }

  /** Admits waiters in arrival order while slots are free. */
  private pump(): void {
    while (this.running < this.maxInFlight && this.head < this.queue.length) {
      const w = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Waiter; // let it be collected
      if (!w.settled) w.admit();
    }
    this.compact();
  }

  /** Drops settled entries at the head; resets the array when it is drained. */
  private compact(): void {
    while (this.head < this.queue.length && (this.queue[this.head] === undefined || this.queue[this.head]!.settled)) this.head++;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

const REFUSAL_MESSAGE = "The service is busy. Please try again in a moment.";

/**
 * Wraps a streamed body so `release` runs exactly once when it ends: read to the end,
 * cancelled by the client, or failed.
 */
export function releaseOnEnd(body: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else controller.enqueue(value);
      } catch (e) {
        release();
        controller.error(e);
      }
    },
    async cancel(reason) {
      release();
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}

function refusal(c: Context, gate: AdmissionGate, e: OverloadedError): Response {
  const requestId = c.get("requestId") ?? "unknown";
  return c.json({ error: { code: "overloaded", message: REFUSAL_MESSAGE, requestId, details: { reason: e.reason } } }, 429, {
    "Retry-After": String(e.retryAfterSeconds),
  });
}

function middlewareOf(gateOf: (c: Context) => AdmissionGate): MiddlewareHandler {
  return async function admission(c, next) {
    const gate = gateOf(c);
    let release: () => void;
    try {
      release = await gate.acquire(c.req.raw.signal);
    } catch (e) {
      if (e instanceof OverloadedError) return refusal(c, gate, e);
      throw e; // the client went away while waiting: nothing to answer
    }
    try {
      await next();
    } catch (e) {
      release();
      throw e;
    }
    const res = c.res;
    // Only a streamed answer still runs the pipeline (model call, filters) after the handler
    // returned; any other answer is complete.
    if (res.body && (res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
      c.res = new Response(releaseOnEnd(res.body, release), res);
    } else {
      release();
    }
  };
}

/** Middleware bounding the requests through it with a gate of its own (options checked now). */
export function admission(opts: AdmissionOptions): MiddlewareHandler {
  const gate = new AdmissionGate(opts);
  return middlewareOf(() => gate);
}

// One gate per isolate, built from the settings on first use (rebuilt only if they change,
// as in tests; a gate being replaced keeps serving the requests it admitted).
let shared: { key: string; gate: AdmissionGate } | undefined;
const retired = new Set<AdmissionGate>();

export function gateFor(config: Pick<Config, "ADMISSION_MAX_IN_FLIGHT" | "ADMISSION_MAX_QUEUED" | "ADMISSION_MAX_WAIT_MS">): AdmissionGate {
  const key = `${config.ADMISSION_MAX_IN_FLIGHT}/${config.ADMISSION_MAX_QUEUED}/${config.ADMISSION_MAX_WAIT_MS}`;
  if (shared?.key !== key) {
    if (shared) retired.add(shared.gate);
    for (const g of retired) if (g.stats().inFlight === 0 && g.stats().queued === 0) retired.delete(g);
    shared = {
      key,
      gate: new AdmissionGate({ maxInFlight: config.ADMISSION_MAX_IN_FLIGHT, maxQueued: config.ADMISSION_MAX_QUEUED, maxWaitMs: config.ADMISSION_MAX_WAIT_MS }),
    };
  }
  return shared.gate;
}

/** The chat routes' admission: the isolate's gate from ADMISSION_MAX_IN_FLIGHT / _QUEUED / _WAIT_MS. */
export function admissionFromConfig(): MiddlewareHandler {
  return middlewareOf((c) => gateFor(c.get("config")));
}

/** In-flight and queued chat requests of this isolate (and counters since it started), for /metrics. */
export function admissionGauges(): AdmissionStats {
  const out: AdmissionStats = shared ? shared.gate.stats() : { inFlight: 0, queued: 0, admitted: 0, refusedQueueFull: 0, refusedWaitExceeded: 0, maxWaitedMs: 0 };
  for (const g of retired) {
    const s = g.stats();
    out.inFlight += s.inFlight;
    out.queued += s.queued;
  }
  return out;
}
