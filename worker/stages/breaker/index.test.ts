/**
 * The breaker gate against the real CircuitBreaker binding. Each test uses providers with
 * unique names (cast to ProviderName) so the Durable Object instances never interfere.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CircuitBreaker } from "../../durable/circuit-breaker";
import { AppError } from "../../errors";
import { createLogger } from "../../lib/log";
import type { ModelConfig, ProviderName } from "../../providers/models";
import { ProviderError } from "../../providers/types";
import { createBreakerGate, outcomeOf, retryAfterSeconds } from "./index";

const ns = (env as unknown as { CIRCUIT_BREAKER: DurableObjectNamespace<CircuitBreaker> }).CIRCUIT_BREAKER;
const snapshot = (provider: string) => ns.get(ns.idFromName(provider)).snapshot();

const T0 = 1_700_000_000_000;
const COOLDOWN = 30_000;

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, "debug", (l) => lines.push(JSON.parse(l)));
  return { lines, log };
}

function models() {
  const p = `prov-${crypto.randomUUID()}`;
  const q = `prov-${crypto.randomUUID()}`;
  const mk = (id: string, provider: string, fallback?: string): ModelConfig => ({
    id,
    provider: provider as ProviderName,
    upstream: id,
    inputEurPerMillion: 1,
    outputEurPerMillion: 1,
    maxOutputTokens: 100,
    ...(fallback ? { fallback } : {}),
  });
  const primary = mk("primary", p, "backup");
  const backup = mk("backup", q);
  const noFallback = mk("lonely", p);
  const sameProvider = mk("sibling", p, "primary-twin");
  const twin = mk("primary-twin", p);
  const dangling = mk("dangling", p, "does-not-exist");
  const registry = new Map([primary, backup, noFallback, sameProvider, twin, dangling].map((m) => [m.id, m]));
  return { p, q, primary, backup, noFallback, sameProvider, dangling, registry };
}

async function openCircuit(gate: ReturnType<typeof createBreakerGate>, provider: string, now: number, n = 3) {
  let last;
  for (let i = 0; i < n; i++) {
    const d = await gate.acquire(provider, now);
    expect(d.allowed).toBe(true);
    last = await gate.report(provider, { success: false, countsAsFailure: true, now });
  }
  expect(last).toMatchObject({ state: "open", opened: true });
}

const gateFor = (log = capture().log) => createBreakerGate({ namespace: ns, threshold: 3, cooldownMs: COOLDOWN, log });

async function expectUnavailable(p: Promise<unknown>, retryAfter: string) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect(err).toMatchObject({ code: "provider_unavailable", status: 503, headers: { "Retry-After": retryAfter } });
}

describe("chooseModel", () => {
  it("returns the primary while its circuit is closed, and the lease releases the slot", async () => {
    const m = models();
    const gate = gateFor();
    const { model, lease } = await gate.chooseModel(m.primary, m.registry, T0);
    expect(model).toBe(m.primary);
    expect(lease).toMatchObject({ provider: m.p, modelId: "primary", failover: false, probe: false, degraded: false, state: "closed" });
    expect((await snapshot(m.p)).inFlight).toBe(1);
    expect(await lease.report({ success: true }, T0)).toMatchObject({ state: "closed", opened: false });
    expect((await snapshot(m.p)).inFlight).toBe(0);
    // Reporting twice is a no-op: the slot is not released twice.
    await gate.acquire(m.p, T0);
    expect(await lease.report({ success: true }, T0)).toBeUndefined();
    expect((await snapshot(m.p)).inFlight).toBe(1);
  });

  it("opens after the configured threshold of counting failures reported through leases", async () => {
    const m = models();
    const gate = gateFor();
    const results = [];
    for (let i = 0; i < 3; i++) {
      const { lease } = await gate.chooseModel(m.primary, m.registry, T0);
      results.push(await lease.report(outcomeOf(new ProviderError({ kind: "upstream_5xx", provider: "openai", status: 502 })), T0));
    }
    expect(results.map((r) => r?.opened)).toEqual([false, false, true]);
    expect(await snapshot(m.p)).toMatchObject({ state: "open", openedAt: T0, inFlight: 0 });
  });

  it("does not count user errors and client aborts", async () => {
    const m = models();
    const gate = gateFor();
    for (const kind of ["bad_request", "aborted", "bad_request", "aborted"] as const) {
      const { lease } = await gate.chooseModel(m.primary, m.registry, T0);
      await lease.report(outcomeOf(new ProviderError({ kind, provider: "openai" })), T0);
    }
    expect(await snapshot(m.p)).toMatchObject({ state: "closed", consecutiveFailures: 0, inFlight: 0 });
  });

  it("fails over to the fallback model while the primary's circuit is open, without touching the primary", async () => {
    const m = models();
    const gate = gateFor();
    await openCircuit(gate, m.p, T0);
    const { model, lease } = await gate.chooseModel(m.primary, m.registry, T0 + 1000);
    expect(model).toBe(m.backup);
    expect(lease).toMatchObject({ provider: m.q, modelId: "backup", failover: true, probe: false });
    expect((await snapshot(m.p)).inFlight).toBe(0);
    expect((await snapshot(m.q)).inFlight).toBe(1);
    await lease.report({ success: true }, T0 + 1001);
    expect((await snapshot(m.q)).inFlight).toBe(0);
  });

  it("refuses with 503 and Retry-After when the circuit is open and no fallback is configured", async () => {
    const m = models();
    const gate = gateFor();
    await openCircuit(gate, m.p, T0);
    await expectUnavailable(gate.chooseModel(m.noFallback, m.registry, T0 + 1), "30"); // 29.999 s -> 30
    await expectUnavailable(gate.chooseModel(m.noFallback, m.registry, T0 + 29_500), "1");
    expect((await snapshot(m.p)).inFlight).toBe(0);
  });

  it("refuses with the shorter wait when both the primary and the fallback are open", async () => {
    const m = models();
    const gate = gateFor();
    await openCircuit(gate, m.p, T0);
    await openCircuit(gate, m.q, T0 + 10_000);
    // primary ready at T0+30s, fallback at T0+40s: at T0+12s the shorter wait is 18 s.
    await expectUnavailable(gate.chooseModel(m.primary, m.registry, T0 + 12_000), "18");
  });

  it("does not fail over to a fallback behind the same provider, nor to an unknown model", async () => {
    const m = models();
    const { lines, log } = capture();
    const gate = gateFor(log);
    await openCircuit(gate, m.p, T0);
    await expectUnavailable(gate.chooseModel(m.sameProvider, m.registry, T0 + 1), "30");
    await expectUnavailable(gate.chooseModel(m.dangling, m.registry, T0 + 1), "30");
    expect(lines.some((l) => l.msg === "fallback model not in the allowlist" && l.fallback === "does-not-exist")).toBe(true);
  });

  it("lets exactly one probe through after the cool-down; concurrent requests fail over; probe success closes", async () => {
    const m = models();
    const gate = gateFor();
    await openCircuit(gate, m.p, T0);
    const t = T0 + COOLDOWN;
    const [a, b] = await Promise.all([gate.chooseModel(m.primary, m.registry, t), gate.chooseModel(m.primary, m.registry, t)]);
    const probe = [a, b].find((x) => x.lease.probe)!;
    const other = [a, b].find((x) => !x.lease.probe)!;
    expect(probe.model).toBe(m.primary);
    expect(probe.lease).toMatchObject({ failover: false, state: "half_open" });
    expect(probe.lease.probeId).toBeTruthy();
    expect(other.model).toBe(m.backup);
    expect(other.lease.failover).toBe(true);
    await expectUnavailable(gate.chooseModel(m.noFallback, m.registry, t + 1), String(retryAfterSeconds(COOLDOWN - 1)));

    expect(await probe.lease.report({ success: true }, t + 500)).toMatchObject({ state: "closed", closed: true });
    expect((await gate.chooseModel(m.primary, m.registry, t + 501)).model).toBe(m.primary);
  });

  it("re-opens when the probe fails", async () => {
    const m = models();
    const gate = gateFor();
    await openCircuit(gate, m.p, T0);
    const t = T0 + COOLDOWN;
    const { lease } = await gate.chooseModel(m.noFallback, m.registry, t);
    expect(lease.probe).toBe(true);
    expect(await lease.report({ success: false, countsAsFailure: true }, t + 100)).toMatchObject({ state: "open", reopened: true, opened: false });
    await expectUnavailable(gate.chooseModel(m.noFallback, m.registry, t + 101), "30");
  });
});

describe("outcomeOf", () => {
  it("counts provider faults only", () => {
    const pe = (kind: ConstructorParameters<typeof ProviderError>[0]["kind"]) => outcomeOf(new ProviderError({ kind, provider: "openai" }));
    for (const kind of ["timeout", "idle_timeout", "upstream_5xx", "rate_limited", "auth", "network", "cut"] as const) {
      expect(pe(kind)).toEqual({ success: false, countsAsFailure: true });
    }
    expect(pe("bad_request")).toEqual({ success: false, countsAsFailure: false });
    expect(pe("aborted")).toEqual({ success: false, countsAsFailure: false });
    expect(outcomeOf(new ProviderError({ kind: "upstream_5xx", provider: "openai", countsAsFailure: false }))).toEqual({ success: false, countsAsFailure: false });
    expect(outcomeOf(new TypeError("our bug"))).toEqual({ success: false, countsAsFailure: false });
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
  });
});

describe("fail open when the Durable Object is unreachable", () => {
  const throwing = {
    idFromName: () => ({}) as DurableObjectId,
    get: () => ({
      acquire: () => Promise.reject(new Error("Durable Object unavailable")),
      report: () => Promise.reject(new Error("Durable Object unavailable")),
    }),
  } as unknown as DurableObjectNamespace;
  const hanging = {
    idFromName: () => ({}) as DurableObjectId,
    get: () => ({ acquire: () => new Promise(() => {}), report: () => new Promise(() => {}) }),
  } as unknown as DurableObjectNamespace;
  const exploding = {
    idFromName: () => {
      throw new Error("binding broken");
    },
  } as unknown as DurableObjectNamespace;

  for (const [name, namespace] of [["rejects", throwing], ["hangs", hanging], ["throws synchronously", exploding]] as const) {
    it(`allows the call (degraded) and logs an error when the object ${name}`, async () => {
      const m = models();
      const { lines, log } = capture();
      const gate = createBreakerGate({ namespace, threshold: 3, cooldownMs: COOLDOWN, timeoutMs: 50, log });
      const { model, lease } = await gate.chooseModel(m.primary, m.registry, T0);
      expect(model).toBe(m.primary);
      expect(lease).toMatchObject({ degraded: true, failover: false, probe: false, state: "unknown" });
      expect(lines.some((l) => l.level === "error" && l.msg === "circuit breaker unreachable, failing open" && l.provider === m.p)).toBe(true);
      // The outcome of a degraded call is not reported (nothing was counted in flight).
      expect(await lease.report({ success: false, countsAsFailure: true })).toBeUndefined();
      // A direct report that fails is logged and swallowed.
      expect(await gate.report(m.p, { success: true })).toBeUndefined();
      expect(lines.some((l) => l.level === "error" && l.msg === "circuit breaker report failed")).toBe(true);
    });
  }

  it("hands back the slot of an acquire that is granted after the timeout", async () => {
    const m = models();
    const slow = {
      idFromName: (name: string) => ns.idFromName(name),
      get: (id: DurableObjectId) => {
        const real = ns.get(id);
        return {
          acquire: async (o: Parameters<typeof real.acquire>[0]) => {
            await new Promise((r) => setTimeout(r, 150));
            return real.acquire(o);
          },
          report: (o: Parameters<typeof real.report>[0]) => real.report(o),
        };
      },
    } as unknown as DurableObjectNamespace;
    const gate = createBreakerGate({ namespace: slow, threshold: 3, cooldownMs: COOLDOWN, timeoutMs: 50, log: capture().log });
    const { lease } = await gate.chooseModel(m.primary, m.registry, T0);
    expect(lease.degraded).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    expect(await snapshot(m.p)).toMatchObject({ state: "closed", consecutiveFailures: 0, inFlight: 0 });
  });
});
