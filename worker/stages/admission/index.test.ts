/**
 * Admission stage: the bound on requests in flight, FIFO order, refusals (429 overloaded with
 * Retry-After, never a 5xx), and that every way a request ends gives its slot back: JSON
 * answer, streamed body read to the end, body cancelled by the client, stream failing,
 * handler throwing, client leaving while queued.
 */
import { env } from "cloudflare:test";
import { Hono, type MiddlewareHandler } from "hono";
import { streamSSE } from "hono/streaming";
import { describe, expect, it } from "vitest";
import { createApp } from "../../app";
import { loadConfig } from "../../env";
import { AppError } from "../../errors";
import { createSseBody, SSE_HEADERS, type SseBody } from "../../lib/sse";
import { AdmissionGate, OverloadedError, admission, admissionGauges, gateFor, releaseOnEnd } from "./index";

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Polls (bounded) until `cond` holds. */
async function until(cond: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in time: ${cond}`);
    await tick(1);
  }
}

interface Harness {
  app: Hono;
  /** Requests that reached the handler, in order, with what makes them answer. */
  entered: { n: number; finish: ReturnType<typeof deferred<void>> }[];
  running: () => number;
  maxRunning: () => number;
}

/** An app whose handler holds each request until the test finishes it (JSON answer). */
function jsonApp(mw: MiddlewareHandler): Harness {
  const app = new Hono();
  const entered: Harness["entered"] = [];
  let running = 0;
  let maxRunning = 0;
  app.post("/t", mw, async (c) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    const finish = deferred();
    entered.push({ n: Number(c.req.query("n")), finish });
    try {
      await finish.promise;
    } finally {
      running--;
    }
    return c.json({ n: Number(c.req.query("n")) });
  });
  // As app.onError does (worker/app.ts): an AppError keeps its status, headers and details.
  app.onError((err, c) => err instanceof AppError
    ? c.json({ error: { code: err.code, message: err.message, details: err.details } }, err.status as 429, err.headers)
    : c.json({ error: { code: "test_error", message: String(err) } }, 500));
  return { app, entered, running: () => running, maxRunning: () => maxRunning };
}

const post = (app: Hono, n: number, signal?: AbortSignal) => app.request(`/t?n=${n}`, { method: "POST", ...(signal ? { signal } : {}) });

describe("admission options", () => {
  it("are checked when the middleware is built", () => {
    expect(() => admission({ maxInFlight: 0, maxQueued: 1, maxWaitMs: 1 })).toThrow(/maxInFlight/);
    expect(() => admission({ maxInFlight: 1.5, maxQueued: 1, maxWaitMs: 1 })).toThrow(/maxInFlight/);
    expect(() => admission({ maxInFlight: 1, maxQueued: -1, maxWaitMs: 1 })).toThrow(/maxQueued/);
    expect(() => admission({ maxInFlight: 1, maxQueued: 1, maxWaitMs: Number.NaN })).toThrow(/maxWaitMs/);
    expect(() => admission({ maxInFlight: 1, maxQueued: 1, maxWaitMs: 1, now: 5 as unknown as () => number })).toThrow(/now/);
    expect(() => admission({ maxInFlight: 1, maxQueued: 0, maxWaitMs: 0 })).not.toThrow();
  });

  it("returns a named middleware", () => {
    expect(admission({ maxInFlight: 1, maxQueued: 1, maxWaitMs: 1 }).name).toBe("admission");
  });
});

describe("admission bound and queue", () => {
  it("runs at most maxInFlight at once and admits the others in arrival order", async () => {
    const h = jsonApp(admission({ maxInFlight: 3, maxQueued: 100, maxWaitMs: 10_000 }));
    const answers = Array.from({ length: 10 }, (_, n) => post(h.app, n));
    await until(() => h.entered.length === 3);
    await tick(5);
    expect(h.entered.length).toBe(3); // the other 7 wait
    // Finish them one at a time, oldest first: each release admits exactly the next in line.
    for (let i = 0; i < 10; i++) {
      await until(() => h.entered.length >= Math.min(10, i + 3));
      h.entered[i]!.finish.resolve();
    }
    const res = await Promise.all(answers);
    expect(res.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(h.entered.map((e) => e.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(h.maxRunning()).toBe(3);
  });

  it("refuses with 429 overloaded and Retry-After when the queue is full, without running the handler", async () => {
    const h = jsonApp(admission({ maxInFlight: 1, maxQueued: 2, maxWaitMs: 4_500 }));
    const first = post(h.app, 0);
    await until(() => h.entered.length === 1);
    const queued = [post(h.app, 1), post(h.app, 2)];
    const refused = await post(h.app, 3);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("5"); // ceil(4.5 s)
    const body = await refused.json() as { error: { code: string; message: string; details: { reason: string } } };
    expect(body.error.code).toBe("overloaded");
    expect(body.error.details.reason).toBe("queue_full");
    expect(body.error.message).toMatch(/busy/);
    for (let i = 0; i < 3; i++) {
      await until(() => h.entered.length > i);
      h.entered[i]!.finish.resolve();
    }
    expect((await Promise.all([first, ...queued])).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(h.entered.map((e) => e.n)).toEqual([0, 1, 2]); // never 3
  });

  it("refuses a request that waited longer than maxWaitMs, and the refusal holds no slot", async () => {
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 10, maxWaitMs: 30 });
    const h = jsonApp(admission({ maxInFlight: 1, maxQueued: 10, maxWaitMs: 30 }));
    const first = post(h.app, 0);
    await until(() => h.entered.length === 1);
    const late = await post(h.app, 1);
    expect(late.status).toBe(429);
    expect(((await late.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe("wait_exceeded");
    expect(late.headers.get("Retry-After")).toBe("1");
    h.entered[0]!.finish.resolve();
    expect((await first).status).toBe(200);
    // The slot is free again: the next request runs at once.
    const next = post(h.app, 2);
    await until(() => h.entered.length === 2);
    h.entered[1]!.finish.resolve();
    expect((await next).status).toBe(200);

    // Same at the gate level, with its counters.
    const held = await gate.acquire();
    await expect(gate.acquire()).rejects.toBeInstanceOf(OverloadedError);
    expect(gate.stats()).toMatchObject({ inFlight: 1, queued: 0, refusedWaitExceeded: 1 });
    held();
    held(); // releasing twice frees one slot only
    expect(gate.stats().inFlight).toBe(0);
  });

  it("with maxQueued 0 refuses at once whatever is busy", async () => {
    const gate = new AdmissionGate({ maxInFlight: 2, maxQueued: 0, maxWaitMs: 10_000 });
    const a = await gate.acquire();
    const b = await gate.acquire();
    await expect(gate.acquire()).rejects.toMatchObject({ reason: "queue_full" });
    a();
    b();
    expect(gate.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 2, refusedQueueFull: 1 });
  });

  it("measures the wait with the given clock", async () => {
    let t = 1000;
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 1, maxWaitMs: 10_000, now: () => t });
    const a = await gate.acquire();
    const waiting = gate.acquire();
    t += 750;
    a();
    (await waiting)();
    expect(gate.stats().maxWaitedMs).toBe(750);
  });

  it("takes a request out of the queue when its client goes away, without ever giving it a slot", async () => {
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 5, maxWaitMs: 10_000 });
    const a = await gate.acquire();
    const ctl = new AbortController();
    const gone = gate.acquire(ctl.signal);
    const after = gate.acquire();
    expect(gate.stats().queued).toBe(2);
    ctl.abort(new Error("client gone"));
    await expect(gone).rejects.toThrow("client gone");
    expect(gate.stats().queued).toBe(1);
    a();
    const b = await after; // the next in line got the slot, not the one that left
    expect(gate.stats()).toMatchObject({ inFlight: 1, queued: 0 });
    b();
    expect(gate.stats()).toMatchObject({ inFlight: 0, queued: 0, admitted: 2 });
    // An already-aborted signal never queues.
    const c = await gate.acquire();
    await expect(gate.acquire(AbortSignal.abort(new Error("already gone")))).rejects.toThrow("already gone");
    c();
    expect(gate.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });
});

describe("admission releases the slot whenever the request ends", () => {
  /** An app streaming SSE; the test decides when each stream writes, ends or fails. */
  function sseApp(gate: { maxInFlight: number }) {
    const app = new Hono();
    type Entry = { write: (s: string) => Promise<void>; end: ReturnType<typeof deferred<void>>; aborted: () => boolean };
    const streams: Entry[] = [];
    const byId = new Map<string, Entry>();
    app.post("/t", admission({ maxInFlight: gate.maxInFlight, maxQueued: 100, maxWaitMs: 10_000 }), (c) =>
      streamSSE(c, async (stream) => {
        let aborted = false;
        stream.onAbort(() => {
          aborted = true;
        });
        const end = deferred();
        const entry = { write: (s: string) => stream.writeSSE({ event: "delta", data: s }), end, aborted: () => aborted };
        streams.push(entry);
        byId.set(c.req.query("id") ?? "", entry);
        await end.promise;
      }, async (e, stream) => {
        await stream.writeSSE({ event: "error", data: String(e) }).catch(() => {});
      }));
    app.post("/boom", admission({ maxInFlight: 1, maxQueued: 10, maxWaitMs: 10_000 }), () => {
      throw new Error("handler failed");
    });
    app.onError((err, c) => c.json({ error: { code: "test_error", message: String(err) } }, 400));
    return { app, streams, byId };
  }

  it("holds the slot while a streamed answer is being read, frees it at the end of the body", async () => {
    const { app, streams } = sseApp({ maxInFlight: 1 });
    const first = await app.request("/t", { method: "POST" });
    expect(first.headers.get("content-type")).toMatch(/text\/event-stream/);
    await until(() => streams.length === 1);
    const second = app.request("/t", { method: "POST" });
    await tick(10);
    expect(streams.length).toBe(1); // handler returned, but the first stream still runs: the second waits
    const reader = first.body!.getReader();
    await streams[0]!.write("hello");
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("hello");
    streams[0]!.end.resolve();
    while (!(await reader.read()).done) { /* drain */ }
    await until(() => streams.length === 2); // body over: the second is admitted
    streams[1]!.end.resolve();
    expect(await (await second).text()).toBe("");
  });

  it("frees the slot once the answer is produced, even if the client never reads it (no slowloris)", async () => {
    const { app, streams } = sseApp({ maxInFlight: 1 });
    const first = await app.request("/t", { method: "POST" });
    await until(() => streams.length === 1);
    const second = app.request("/t", { method: "POST" });
    await tick(10);
    expect(streams.length).toBe(1); // the first answer is still being produced: the second waits
    await streams[0]!.write("never read");
    streams[0]!.end.resolve(); // produced; the client has not read a byte
    await until(() => streams.length === 2);
    streams[1]!.end.resolve();
    expect((await second).status).toBe(200);
    expect(await first.text()).toContain("never read"); // nothing lost for a late reader
  });

  it("frees the slot when the client cancels the stream, and the stream hears of the abort", async () => {
    const { app, streams } = sseApp({ maxInFlight: 1 });
    const first = await app.request("/t", { method: "POST" });
    await until(() => streams.length === 1);
    const second = app.request("/t", { method: "POST" });
    await tick(10);
    expect(streams.length).toBe(1);
    await first.body!.cancel(new Error("client gone"));
    await until(() => streams.length === 2);
    expect(streams[0]!.aborted()).toBe(true);
    streams[0]!.end.resolve();
    streams[1]!.end.resolve();
    expect((await second).status).toBe(200);
  });

  it("frees the slot when the handler throws (error answer)", async () => {
    const { app } = sseApp({ maxInFlight: 1 });
    for (let i = 0; i < 3; i++) {
      const res = await app.request("/boom", { method: "POST" });
      expect(res.status).toBe(400); // would hang on the second one if the first kept its slot
    }
  });

  /** An app answering with the chat routes' own SSE body (createSseBody); the test writes and ends it. */
  function sseBodyApp() {
    const app = new Hono();
    const bodies: SseBody[] = [];
    app.post("/t", admission({ maxInFlight: 1, maxQueued: 10, maxWaitMs: 10_000 }), (c) => {
      const sse = createSseBody();
      bodies.push(sse);
      return c.newResponse(sse.body, 200, SSE_HEADERS);
    });
    return { app, bodies };
  }

  it("an SSE body of the chat routes is not wrapped: the slot is freed once it is produced, unread", async () => {
    const { app, bodies } = sseBodyApp();
    const first = await app.request("/t", { method: "POST" });
    expect(first.body).toBe(bodies[0]!.body); // no second stream re-enqueueing every chunk
    const second = app.request("/t", { method: "POST" });
    await tick(10);
    expect(bodies.length).toBe(1); // the first answer is still being produced: the second waits
    bodies[0]!.write("never read");
    bodies[0]!.close(); // produced; the client has not read a byte
    await until(() => bodies.length === 2);
    bodies[1]!.close();
    expect((await second).status).toBe(200);
    expect(await first.text()).toBe("never read");
  });

  it("an SSE body of the chat routes frees the slot when the client cancels it", async () => {
    const { app, bodies } = sseBodyApp();
    const first = await app.request("/t", { method: "POST" });
    const second = app.request("/t", { method: "POST" });
    await tick(10);
    expect(bodies.length).toBe(1);
    await first.body!.cancel();
    await until(() => bodies.length === 2);
    expect(bodies[0]!.cancelled).toBe(true);
    bodies[1]!.close();
    expect(await (await second).text()).toBe("");
  });

  it("releaseOnEnd releases once when the source stream fails", async () => {
    let released = 0;
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1]));
        controller.error(new Error("upstream broke"));
      },
    });
    const reader = releaseOnEnd(source, () => released++).getReader();
    await expect((async () => {
      for (;;) if ((await reader.read()).done) break;
    })()).rejects.toThrow("upstream broke");
    expect(released).toBe(1);
  });

  it("releaseOnEnd releases once on end and not again on a later cancel", async () => {
    let released = 0;
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 0, maxWaitMs: 0 });
    const release = await gate.acquire();
    const wrapped = releaseOnEnd(new Response("abc").body!, () => {
      released++;
      release();
    });
    expect(await new Response(wrapped).text()).toBe("abc");
    await wrapped.cancel().catch(() => {});
    expect(released).toBe(1);
    expect(gate.stats().inFlight).toBe(0);
  });

  it("leaks no slot over many requests ending every way", async () => {
    const { app, streams, byId } = sseApp({ maxInFlight: 2 });
    const ends: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const way = i % 3;
      ends.push((async () => {
        if (way === 2) return (await app.request("/boom", { method: "POST" })).status;
        const res = await app.request(`/t?id=${i}`, { method: "POST" });
        expect(res.status).toBe(200);
        await until(() => byId.has(String(i)));
        if (way === 0) {
          byId.get(String(i))!.end.resolve();
          return res.text();
        }
        await res.body!.cancel();
        byId.get(String(i))!.end.resolve();
      })());
    }
    await Promise.all(ends);
    expect(streams.length).toBe(20);
    // Two more at once are admitted immediately: nothing kept a slot.
    const a = await app.request("/t?id=a", { method: "POST" });
    const b = await app.request("/t?id=b", { method: "POST" });
    await until(() => byId.has("a") && byId.has("b"));
    byId.get("a")!.end.resolve();
    byId.get("b")!.end.resolve();
    await Promise.all([a.text(), b.text()]);
  });
});

describe("isolate gate from the settings", () => {
  it("is built from ADMISSION_* and shared by every route, with gauges for /metrics", async () => {
    const config = loadConfig(env);
    expect(config.ADMISSION_MAX_IN_FLIGHT).toBeGreaterThan(0);
    const small = { ...config, ADMISSION_MAX_IN_FLIGHT: 1, ADMISSION_MAX_QUEUED: 3, ADMISSION_MAX_WAIT_MS: 10_000 };
    const gate = gateFor(small);
    expect(gateFor({ ...small })).toBe(gate); // same settings, same gate
    const r = await gate.acquire();
    const waiting = gate.acquire();
    expect(admissionGauges()).toMatchObject({ inFlight: 1, queued: 1 });
    r();
    (await waiting)();
    expect(admissionGauges()).toMatchObject({ inFlight: 0, queued: 0 });
    expect(gate.maxQueued).toBe(3);
  });
});

describe("admission on the chat routes", () => {
  it("runs first on POST /api/chat and POST /v1/chat/completions: nothing, not even auth, runs while the isolate is full", async () => {
    const app = createApp();
    const gate = gateFor(loadConfig(env));
    const held = await Promise.all(Array.from({ length: gate.maxInFlight }, () => gate.acquire()));
    const call = (path: string) => app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer not-a-token" },
      body: JSON.stringify({ message: "Bonjour" }),
    }, env);
    const answers = [call("/api/chat"), call("/v1/chat/completions")];
    const first = await Promise.race([Promise.all(answers).then(() => "answered"), tick(200).then(() => "waiting")]);
    expect(first).toBe("waiting"); // an unauthenticated request would get 401 at once otherwise
    expect(admissionGauges()).toMatchObject({ inFlight: gate.maxInFlight, queued: 2 });
    // Other routes are not admitted through the gate.
    expect((await app.request("/api/me", { headers: { authorization: "Bearer not-a-token" } }, env)).status).toBe(401);
    for (const release of held) release();
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([401, 401]);
    expect(admissionGauges()).toMatchObject({ inFlight: 0, queued: 0 });
  });
});
