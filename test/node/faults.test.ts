/**
 * Fault policies against the whole local stack (dev/start.ts, as `npm run dev` runs it):
 * provider 500 / hang / very slow / stream cut / down + circuit breaker, client aborts,
 * PostgreSQL cut and restored (outbox), Redis stopped (refused within a bound, never held
 * until Redis comes back) and killed (fail closed), a client-chosen X-Request-Id (ignored).
 * Short versions of `npm run faults` (test/load/faults.ts); the scenarios live in
 * test/load/lib/scenarios.ts. One stack for the file: free ports, a private redis-server,
 * a throwaway database behind a cuttable TCP proxy, a snapshot of the sources.
 *
 * Needs redis-server on PATH (as .ci/run provides) and the local PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  breakerCase, detailLines, duplicateRequestIdProbe, faultStackEnv, pgOutage, providerCase, PROVIDER_CASES, redisOutage, redisRefusalBoundMs, setUpFaultCtx,
  type FaultCtx, type ScenarioResult,
} from "../load/lib/scenarios";
import { startStack, type Stack } from "../load/lib/stack";
import { freePort } from "../load/lib/util";

let stack: Stack | undefined;
let ctx: FaultCtx | undefined;
const lines: string[] = [];

/** Deadlines loose enough for a busy CI machine (other test files run meanwhile); the policies stay the same. */
const CI_GUARD_REDIS_TIMEOUT_MS = 4000;

beforeAll(async () => {
  stack = await startStack({
    kind: "faultsci",
    env: faultStackEnv(await freePort(), CI_GUARD_REDIS_TIMEOUT_MS),
    pgProxy: { maxConnections: 20 },
  });
  ctx = await setUpFaultCtx(stack, (l) => lines.push(l), 6);
}, 240_000);

afterAll(async () => {
  await ctx?.db.end();
  await stack?.stop();
}, 60_000);

const explain = (r: ScenarioResult & { table?: string }) =>
  `${r.name}: ${JSON.stringify(r.outcomes)} usage ${r.usageExpected}/${r.usageFound}\n${detailLines(r)}\n${r.table ?? ""}${r.violations.join("\n")}\n${stack?.tail(15) ?? ""}`;

describe("provider faults and client aborts (one usage row per call, nothing lost)", () => {
  for (const c of PROVIDER_CASES(2)) {
    it(`${c.name}: every request "${c.want}", usage rows "${c.usageStatus}"`, async () => {
      const r = await providerCase(ctx!, c);
      expect(r.violations, explain(r)).toEqual([]);
      expect(r.usageFound).toBe(r.usageExpected);
      expect(r.outcomes).toEqual({ [c.want]: r.sent });
    }, 90_000);
  }

  it("provider down: 5 failures open the circuit, then 503 provider_unavailable without calling it, and an alert", async () => {
    const r = await breakerCase(ctx!);
    expect(r.violations, explain(r)).toEqual([]);
    expect(r.outcomes).toEqual({ "503 provider_unavailable": r.sent });
    expect(r.usageFound).toBe(5);
  }, 90_000);
});

describe("a client-chosen X-Request-Id", () => {
  it("is ignored: fresh request ids, one usage row per chat and one audit row per refused injection", async () => {
    const r = await duplicateRequestIdProbe(ctx!);
    expect(r.violations, explain(r)).toEqual([]);
    expect(r.usageFound).toBe(3);
    expect(r.auditFound).toBe(3);
  }, 60_000);
});

describe("PostgreSQL cut mid-run", () => {
  it("chats still stream; after the restore the outbox writes every usage, message and audit row exactly once", async () => {
    const r = await pgOutage(ctx!, { rate: 3, durationMs: 14_000, cutAt: 3000, restoreAt: 9000, injectionEvery: 4, flushTimeoutMs: 90_000 });
    expect(r.violations, explain(r)).toEqual([]);
    expect(r.usageFound).toBe(r.usageExpected);
    expect(r.auditFound).toBe(r.auditExpected);
    expect(Number(r.extra["chats during cut"])).toBeGreaterThan(0);
  }, 180_000);
});

describe("Redis stopped mid-run (SIGSTOP, then SIGKILL and restart)", () => {
  let result: (ScenarioResult & { table: string }) | undefined;
  const deadlineViolation = (v: string) => /waited for Redis to come back|no 503 during the outage|want a 503 within|early enough in the outage/.test(v);
  const bound = redisRefusalBoundMs(CI_GUARD_REDIS_TIMEOUT_MS);
  // The pause outlasts the bound by 2.5 s, so the first ~7 requests of the pause can only be
  // answered right by a prompt 503: a request stuck until Redis comes back is caught.
  const resumeAt = 3000 + bound + 2500;

  it("no 5xx but 503 service_unavailable, nothing accepted while Redis is down, every accepted chat has its usage row and every scored injection its audit row, recovery", async () => {
    result = await redisOutage(ctx!, {
      rate: 3, durationMs: resumeAt + 12_000, refusalBoundMs: bound, injectionEvery: 5,
      pause: { at: 3000, resumeAt }, kill: { at: resumeAt + 2000, restartAt: resumeAt + 6000 },
    });
    console.info(`${detailLines(result)}\n${result.table}`);
    expect(result.violations.filter((v) => !deadlineViolation(v)), explain(result)).toEqual([]);
    expect(result.usageFound).toBe(result.usageExpected);
    expect(result.auditFound).toBe(result.auditExpected);
  }, 240_000);

  // Every Redis call has a deadline (worker/lib/redis.ts: cache reads and writes, and the
  // client's per-call deadline), so while Redis does not answer the request reaches the
  // fail-closed guard and is refused within the bound instead of waiting for Redis.
  it("refuses promptly (503 within the refusal bound) while Redis is down", () => {
    expect(result, "the Redis scenario did not run").toBeDefined();
    expect(result!.violations.filter(deadlineViolation), explain(result!)).toEqual([]);
  });
});
