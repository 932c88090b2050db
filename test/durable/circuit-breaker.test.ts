/**
 * The CircuitBreaker Durable Object through its real binding, with the clock passed in
 * (`now`) so every transition is exact. Each test uses its own instance (a unique name).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { CircuitBreaker } from "../../worker/durable/circuit-breaker";

const ns = (env as unknown as { CIRCUIT_BREAKER: DurableObjectNamespace<CircuitBreaker> }).CIRCUIT_BREAKER;
const fresh = () => ns.get(ns.idFromName(`test-provider-${crypto.randomUUID()}`));
type Stub = ReturnType<typeof fresh>;

const T0 = 1_700_000_000_000;
const cfg = { threshold: 5, cooldownMs: 60_000 };
const fail = { success: false, countsAsFailure: true, ...cfg };

/** One allowed call that fails (counting), at `now`. */
async function failedCall(b: Stub, now: number) {
  const a = await b.acquire({ ...cfg, now });
  expect(a.allowed).toBe(true);
  return b.report({ ...fail, now });
}

/** Opens a fresh breaker at T0 (5 counting failures, the last at T0). */
async function opened(): Promise<Stub> {
  const b = fresh();
  for (let i = 0; i < 5; i++) await failedCall(b, T0);
  expect((await b.snapshot()).state).toBe("open");
  return b;
}

describe("closed -> open", () => {
  it("opens after 5 consecutive counting failures, reporting opened exactly once", async () => {
    const b = fresh();
    for (let i = 1; i <= 4; i++) {
      const r = await failedCall(b, T0 + i);
      expect(r).toMatchObject({ state: "closed", consecutiveFailures: i, opened: false });
    }
    const fifth = await failedCall(b, T0 + 5);
    expect(fifth).toEqual({ state: "open", consecutiveFailures: 5, opened: true, reopened: false, closed: false });
    expect(await b.snapshot()).toEqual({ state: "open", consecutiveFailures: 5, openedAt: T0 + 5, inFlight: 0, probeOutstanding: false });

    // State lives in the object's storage, one record; the in-flight count stays in memory.
    const stored = await runInDurableObject(b, (_instance: CircuitBreaker, state) => state.storage.kv.get<Record<string, unknown>>("breaker"));
    expect(stored).toMatchObject({ state: "open", failures: 5, openedAt: T0 + 5, probeId: null });
    expect(stored).not.toHaveProperty("inFlight");
  });

  it("writes storage only when the state changes: a closed circuit's acquires and success reports write nothing", async () => {
    const b = fresh();
    const writes = await runInDurableObject(b, async (instance: CircuitBreaker, state) => {
      const put = vi.spyOn(state.storage.kv, "put");
      try {
        for (let i = 0; i < 5; i++) await instance.acquire({ ...cfg, now: T0 });
        for (let i = 0; i < 5; i++) await instance.report({ ...cfg, success: true, now: T0 });
        const quiet = put.mock.calls.length;
        await instance.acquire({ ...cfg, now: T0 });
        await instance.report({ ...cfg, success: false, now: T0 }); // failures 0 -> 1: written
        await instance.acquire({ ...cfg, now: T0 });
        await instance.report({ ...cfg, success: true, now: T0 }); // back to 0: written
        return { quiet, changes: put.mock.calls.length - quiet };
      } finally {
        put.mockRestore();
      }
    });
    expect(writes).toEqual({ quiet: 0, changes: 2 });
    expect(await b.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 0, inFlight: 0 });
  });

  it("does not report opened again for late failures of calls made before the opening", async () => {
    const b = fresh();
    for (let i = 0; i < 7; i++) await b.acquire({ ...cfg, now: T0 });
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await b.report({ ...fail, now: T0 + i }));
    expect(results.map((r) => r.opened)).toEqual([false, false, false, false, true, false, false]);
    expect(await b.snapshot()).toMatchObject({ state: "open", openedAt: T0 + 4, inFlight: 0 });
  });

  it("stays closed after 4 failures, 1 success, 4 failures (a success resets the count)", async () => {
    const b = fresh();
    for (let i = 0; i < 4; i++) await failedCall(b, T0);
    await b.acquire({ ...cfg, now: T0 });
    expect(await b.report({ success: true, ...cfg, now: T0 })).toMatchObject({ state: "closed", consecutiveFailures: 0 });
    for (let i = 0; i < 4; i++) await failedCall(b, T0);
    expect(await b.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 4, inFlight: 0 });
  });

  it("does not count non-counting failures (user 4xx, client abort)", async () => {
    const b = fresh();
    for (let i = 0; i < 10; i++) {
      await b.acquire({ ...cfg, now: T0 });
      await b.report({ success: false, countsAsFailure: false, ...cfg, now: T0 });
    }
    expect(await b.snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 0, inFlight: 0 });
    // ...and they neither reset the count of counting ones.
    for (let i = 0; i < 4; i++) await failedCall(b, T0);
    await b.acquire({ ...cfg, now: T0 });
    await b.report({ success: false, countsAsFailure: false, ...cfg, now: T0 });
    expect((await failedCall(b, T0)).opened).toBe(true);
  });

  it("uses the threshold passed by the caller", async () => {
    const b = fresh();
    const two = { threshold: 2, cooldownMs: 1000 };
    await b.acquire({ ...two, now: T0 });
    expect((await b.report({ success: false, ...two, now: T0 })).state).toBe("closed");
    await b.acquire({ ...two, now: T0 });
    expect(await b.report({ success: false, ...two, now: T0 })).toMatchObject({ state: "open", opened: true });
    expect((await b.acquire({ ...two, now: T0 + 999 })).allowed).toBe(false);
    expect((await b.acquire({ ...two, now: T0 + 1000 })).probe).toBe(true);
  });
});

describe("open", () => {
  it("refuses at once without counting anything in flight", async () => {
    const b = await opened();
    const r = await b.acquire({ ...cfg, now: T0 + 1 });
    expect(r).toEqual({ allowed: false, state: "open", probe: false, retryAfterMs: 59_999 });
    expect((await b.snapshot()).inFlight).toBe(0);
  });

  it("still refuses at +59,999 ms; at +60,000 ms lets exactly one probe through", async () => {
    const b = await opened();
    expect(await b.acquire({ ...cfg, now: T0 + 59_999 })).toMatchObject({ allowed: false, state: "open", retryAfterMs: 1 });

    const concurrent = await Promise.all([b.acquire({ ...cfg, now: T0 + 60_000 }), b.acquire({ ...cfg, now: T0 + 60_000 })]);
    const probes = concurrent.filter((r) => r.allowed);
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ allowed: true, state: "half_open", probe: true });
    expect(probes[0]!.probeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(concurrent.find((r) => !r.allowed)).toMatchObject({ allowed: false, state: "half_open", probe: false, retryAfterMs: 60_000 });

    // Many more while the probe is out: all refused.
    const more = await Promise.all(Array.from({ length: 10 }, (_, i) => b.acquire({ ...cfg, now: T0 + 60_001 + i })));
    expect(more.every((r) => !r.allowed)).toBe(true);
    expect(await b.snapshot()).toMatchObject({ state: "half_open", inFlight: 1, probeOutstanding: true });
  });

  it("closes on probe success", async () => {
    const b = await opened();
    const probe = await b.acquire({ ...cfg, now: T0 + 60_000 });
    const r = await b.report({ success: true, probeId: probe.probeId, ...cfg, now: T0 + 60_500 });
    expect(r).toEqual({ state: "closed", consecutiveFailures: 0, opened: false, reopened: false, closed: true });
    expect(await b.snapshot()).toEqual({ state: "closed", consecutiveFailures: 0, openedAt: null, inFlight: 0, probeOutstanding: false });
    const next = await Promise.all([b.acquire({ ...cfg, now: T0 + 60_501 }), b.acquire({ ...cfg, now: T0 + 60_501 })]);
    expect(next.every((a) => a.allowed && !a.probe && a.state === "closed")).toBe(true);
  });

  it("re-opens on probe failure with a fresh cool-down (reopened, not opened)", async () => {
    const b = await opened();
    const t1 = T0 + 60_000;
    const probe = await b.acquire({ ...cfg, now: t1 });
    const r = await b.report({ ...fail, probeId: probe.probeId, now: t1 + 2_000 });
    expect(r).toMatchObject({ state: "open", opened: false, reopened: true, closed: false });
    expect(await b.snapshot()).toMatchObject({ state: "open", openedAt: t1 + 2_000, inFlight: 0, probeOutstanding: false });
    expect(await b.acquire({ ...cfg, now: t1 + 2_000 + 59_999 })).toMatchObject({ allowed: false, retryAfterMs: 1 });
    const again = await b.acquire({ ...cfg, now: t1 + 2_000 + 60_000 });
    expect(again).toMatchObject({ allowed: true, probe: true });
    expect(again.probeId).not.toBe(probe.probeId);
  });

  it("frees the probe slot when the probe proves nothing (non-counting failure)", async () => {
    const b = await opened();
    const probe = await b.acquire({ ...cfg, now: T0 + 60_000 });
    const r = await b.report({ success: false, countsAsFailure: false, probeId: probe.probeId, ...cfg, now: T0 + 60_100 });
    expect(r).toMatchObject({ state: "half_open", opened: false, reopened: false, closed: false });
    expect(await b.snapshot()).toMatchObject({ state: "half_open", inFlight: 0, probeOutstanding: false });
    expect(await b.acquire({ ...cfg, now: T0 + 60_101 })).toMatchObject({ allowed: true, probe: true });
  });

  it("lets late results of calls made before the opening only release their slot", async () => {
    const b = fresh();
    for (let i = 0; i < 7; i++) await b.acquire({ ...cfg, now: T0 });
    for (let i = 0; i < 5; i++) await b.report({ ...fail, now: T0 });
    expect(await b.snapshot()).toMatchObject({ state: "open", inFlight: 2 });
    // A late success while open does not close it.
    expect((await b.report({ success: true, ...cfg, now: T0 + 10 })).state).toBe("open");
    const probe = await b.acquire({ ...cfg, now: T0 + 60_000 });
    expect(probe.probe).toBe(true);
    // A late failure without the probe's id does not decide the probe.
    expect((await b.report({ ...fail, now: T0 + 60_001 })).state).toBe("half_open");
    expect(await b.snapshot()).toMatchObject({ state: "half_open", inFlight: 1, probeOutstanding: true });
    // A wrong probe id does not either.
    expect((await b.report({ success: true, probeId: crypto.randomUUID(), ...cfg, now: T0 + 60_002 })).state).toBe("half_open");
    expect(await b.report({ success: true, probeId: probe.probeId, ...cfg, now: T0 + 60_003 })).toMatchObject({ state: "closed", closed: true });
    expect((await b.snapshot()).inFlight).toBe(0);
  });
});

describe("in-flight counting", () => {
  it("counts allowed acquires, releases on every report, never goes negative", async () => {
    const b = fresh();
    for (let i = 0; i < 3; i++) await b.acquire({ ...cfg, now: T0 });
    expect((await b.snapshot()).inFlight).toBe(3);
    await b.report({ success: true, ...cfg, now: T0 });
    await b.report({ success: false, countsAsFailure: false, ...cfg, now: T0 });
    expect((await b.snapshot()).inFlight).toBe(1);
    await b.report({ ...fail, now: T0 });
    expect((await b.snapshot()).inFlight).toBe(0);
    // A report too many (a caller's bug) does not go below zero.
    await b.report({ success: true, ...cfg, now: T0 });
    expect((await b.snapshot()).inFlight).toBe(0);
  });

  it("counts concurrent acquires exactly", async () => {
    const b = fresh();
    await Promise.all(Array.from({ length: 20 }, () => b.acquire({ ...cfg, now: T0 })));
    expect((await b.snapshot()).inFlight).toBe(20);
    await Promise.all(Array.from({ length: 20 }, () => b.report({ success: true, ...cfg, now: T0 })));
    expect((await b.snapshot()).inFlight).toBe(0);
  });
});

describe("probe lease", () => {
  it("allows a new probe when the outstanding one never reports within the lease, and ignores its late report", async () => {
    const b = await opened();
    const t1 = T0 + 60_000;
    const lost = await b.acquire({ ...cfg, now: t1 });
    expect(lost.probe).toBe(true);
    expect(await b.acquire({ ...cfg, now: t1 + 59_999 })).toMatchObject({ allowed: false, retryAfterMs: 1 });

    const second = await b.acquire({ ...cfg, now: t1 + 60_000 });
    expect(second).toMatchObject({ allowed: true, state: "half_open", probe: true });
    expect(second.probeId).not.toBe(lost.probeId);
    // The lost probe's slot was released: one call in flight, not two.
    expect(await b.snapshot()).toMatchObject({ state: "half_open", inFlight: 1, probeOutstanding: true });

    // The lost probe finally reports: ignored (no double release, no decision).
    expect(await b.report({ success: true, probeId: lost.probeId, ...cfg, now: t1 + 60_001 })).toMatchObject({ state: "half_open", closed: false });
    expect(await b.snapshot()).toMatchObject({ state: "half_open", inFlight: 1, probeOutstanding: true });

    expect(await b.report({ ...fail, probeId: second.probeId, now: t1 + 60_002 })).toMatchObject({ state: "open", reopened: true });
    expect(await b.snapshot()).toMatchObject({ state: "open", inFlight: 0, openedAt: t1 + 60_002 });
  });

  it("honours a probe lease shorter than the cool-down", async () => {
    const b = await opened();
    const lost = await b.acquire({ ...cfg, probeLeaseMs: 5_000, now: T0 + 60_000 });
    expect(await b.acquire({ ...cfg, probeLeaseMs: 5_000, now: T0 + 64_999 })).toMatchObject({ allowed: false, retryAfterMs: 1 });
    const next = await b.acquire({ ...cfg, probeLeaseMs: 5_000, now: T0 + 65_000 });
    expect(next.probe).toBe(true);
    expect(next.probeId).not.toBe(lost.probeId);
  });
});

describe("reset and ping", () => {
  it("reset returns to closed with nothing counted; ping still answers", async () => {
    const b = await opened();
    expect(await b.reset()).toEqual({ state: "closed", consecutiveFailures: 0, openedAt: null, inFlight: 0, probeOutstanding: false });
    expect((await b.acquire({ ...cfg, now: T0 + 1 })).allowed).toBe(true);
    expect(await b.ping()).toBe("pong");
  });

  it("starts closed and uses defaults (5, 60 s) when the caller passes none", async () => {
    const b = fresh();
    expect(await b.snapshot()).toEqual({ state: "closed", consecutiveFailures: 0, openedAt: null, inFlight: 0, probeOutstanding: false });
    for (let i = 0; i < 5; i++) {
      await b.acquire({ now: T0 });
      await b.report({ success: false, now: T0 });
    }
    expect((await b.snapshot()).state).toBe("open");
    expect(await b.acquire({ now: T0 + 59_999 })).toMatchObject({ allowed: false });
    expect(await b.acquire({ now: T0 + 60_000 })).toMatchObject({ allowed: true, probe: true });
  });
});
