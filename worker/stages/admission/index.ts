/**
 * Admission stage: bounds how many chat requests run the pipeline at once in this isolate.
 *
 * Why: a Worker isolate runs on ONE thread. Past a few dozen chats at once, every request's
 * CPU slices interleave and each one's fail-closed deadlines (GUARD_REDIS_TIMEOUT_MS,
 * MODERATION_TIMEOUT_MS, the provider idle timeout) expire while the event loop is busy with
 * the others: a burst then turns into 503s. Requests beyond ADMISSION_MAX_IN_FLIGHT wait in a
 * FIFO queue before ANY stage runs, so their deadlines only start once they are admitted
 * (each waiter polls for its turn: see `acquire`).
 *
 * A request holds its slot until its response is over: the end of a streamed (SSE) body
 * (produced, not necessarily read: see releaseOnEnd and onSseBodyEnd), its cancellation
 * (client gone) or its error; a JSON answer gives the slot back as soon as
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
import { AppError } from "../../errors";
import { onSseBodyEnd } from "../../lib/sse";

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
  /** Arrival number: how far a waiter is from the head decides how often it looks. */
  seq: number;
  settled: boolean;
}

/**
 * How long a waiter sleeps before looking again, by its distance from the head of the queue:
 * the head looks every millisecond, the tail rarely (1,000 waiters cost ~12,000 cheap timer
 * callbacks per second in all).
 */
export const pollDelayMs = (ahead: number) => (ahead <= 0 ? 1 : Math.min(100, 2 * ahead));

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
  private seq = 0;
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
    const w: Waiter = { seq: this.seq++, settled: false };
    this.queue.push(w);
    this.waiting++;
    // Each waiter polls with its own timer instead of being woken by the request that frees
    // a slot: workerd forbids one request from touching another's I/O objects (timers,
    // signals, and the promise machinery behind them), so the hand-off stays inside the
    // waiting request. A release only decrements the count.
    return new Promise<() => void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = () => {
        w.settled = true;
        this.waiting--;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.compact();
      };
      const onAbort = () => {
        if (w.settled) return;
        leave();
        reject(signal!.reason ?? new Error("aborted"));
      };
      const look = () => {
        if (w.settled) return;
        this.compact();
        if (this.running < this.maxInFlight && this.queue[this.head] === w) {
          leave();
          this.running++;
          this.counters.admitted++;
          this.counters.maxWaitedMs = Math.max(this.counters.maxWaitedMs, this.now() - enqueuedAt);
          resolve(this.releaser());
          return;
        }
        if (this.now() - enqueuedAt >= this.maxWaitMs) {
          this.counters.refusedWaitExceeded++;
          leave();
          reject(new OverloadedError("wait_exceeded", this.retryAfterSeconds));
          return;
        }
        timer = setTimeout(look, pollDelayMs(w.seq - (this.queue[this.head]?.seq ?? w.seq)));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(look, pollDelayMs(w.seq - (this.queue[this.head]?.seq ?? w.seq)));
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
    };
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


/**
 * Wraps a streamed body so `release` runs exactly once when the answer has been produced:
 * the inner stream ended, failed, or the client cancelled it. The inner stream is drained
 * eagerly into the outer one's queue (an answer is bounded by the model's output tokens),
 * so a slot is never held by a client that reads slowly or not at all: a slow reader must
 * not be able to stall the isolate's admissions (slowloris).
 */
export function releaseOnEnd(body: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      void (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            if (!cancelled) controller.enqueue(value);
          }
          release();
          if (!cancelled) controller.close();
        } catch (e) {
          release();
          if (!cancelled) controller.error(e);
        }
      })();
    },
    async cancel(reason) {
      cancelled = true;
      release();
      await reader.cancel(reason).catch(() => {});
    },
  });
}

/** A load-shedding refusal: 429 `overloaded`, mapped by app.onError like every other refusal. */
function refusal(e: OverloadedError): AppError {
  return new AppError("overloaded", undefined, { cause: e, headers: { "Retry-After": String(e.retryAfterSeconds) }, details: { reason: e.reason } });
}

function middlewareOf(gateOf: (c: Context) => AdmissionGate): MiddlewareHandler {
  return async function admission(c, next) {
    const gate = gateOf(c);
    let release: () => void;
    try {
      release = await gate.acquire(c.req.raw.signal);
    } catch (e) {
      if (e instanceof OverloadedError) throw refusal(e);
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
      // The chat routes' own SSE body tells when it is over; any other stream gets a wrapper.
      if (!onSseBodyEnd(res.body, release)) c.res = new Response(releaseOnEnd(res.body, release), res);
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

/** Prometheus text of this isolate's admission gauges (per isolate, like the breaker gauges). */
export function renderAdmissionMetrics(): string {
  const s = admissionGauges();
  return [
    "# HELP admission_in_flight Chat requests running the pipeline in the isolate that answered this scrape.",
    "# TYPE admission_in_flight gauge",
    `admission_in_flight ${s.inFlight}`,
    "# HELP admission_queued Chat requests waiting for a slot in the isolate that answered this scrape.",
    "# TYPE admission_queued gauge",
    `admission_queued ${s.queued}`,
    "# HELP admission_refused_total Load-shedding refusals (429 overloaded) by this isolate since it started, by reason.",
    "# TYPE admission_refused_total counter",
    `admission_refused_total{reason="queue_full"} ${s.refusedQueueFull}`,
    `admission_refused_total{reason="wait_exceeded"} ${s.refusedWaitExceeded}`,
    "",
  ].join("\n");
}
