/**
 * `npm run faults`: scripted failures against the whole local stack (dev/start.ts), with
 * counts per scenario and the policy each must follow:
 *   (a) Redis stopped mid-run (SIGSTOP then SIGCONT, and SIGKILL then restart) on a PRIVATE
 *       redis-server: 503 service_unavailable meanwhile (fail closed) within a bound, never
 *       held until Redis is back, no other 5xx, no lost usage row for accepted chats nor audit
 *       row for scored prompt injections, recovery afterwards;
 *   (b) PostgreSQL cut mid-run (a TCP proxy of this run between the Neon proxy and the
 *       shared server, cut and restored): chats go on (200 streamed), and after the outbox
 *       flush usage rows = accepted chats exactly, audit and message rows all there;
 *   (c) provider 500 / hang (short idle timeout) / very slow / stream cut / down + breaker;
 *   (d) clients aborting mid-stream;
 *   and a client-chosen X-Request-Id sent with several chats and refused injections: ignored,
 *   every usage and audit row there under the Worker's own ids.
 *
 * Settings (env): FAULTS_ONLY=provider,redis,pg,dup (default all); FAULTS_RATE chats/s of the
 * steady streams (default 3: the stack costs ~110 ms of CPU per chat and the machine has 2
 * shared cores); FAULTS_REDIS_S / FAULTS_PG_S stream lengths (30 / 28); LOAD_KEEP_LOGS=1 keeps
 * the stack's log; any Worker setting passes through the environment, except those the
 * scenarios set (faultStackEnv; GUARD_REDIS_TIMEOUT_MS is honoured and sizes the Redis pause).
 * Exit code 0 only when every policy held.
 */
import os from "node:os";
import { request } from "./lib/client";
import {
  breakerCase, detailLines, duplicateRequestIdProbe, faultStackEnv, GUARD_REDIS_TIMEOUT_MS, pgOutage, providerCase, PROVIDER_CASES, redisOutage,
  redisRefusalBoundMs, scenarioTable, setUpFaultCtx, type ScenarioResult,
} from "./lib/scenarios";
import { guardRun, startStack, type Stack } from "./lib/stack";
import { envInt, freePort } from "./lib/util";

const only = new Set((process.env.FAULTS_ONLY ?? "provider,redis,pg,dup").split(",").map((s) => s.trim()).filter(Boolean));
const rate = envInt("FAULTS_RATE", 3);
const redisS = envInt("FAULTS_REDIS_S", 30);
const pgS = envInt("FAULTS_PG_S", 28);
const guardMs = envInt("GUARD_REDIS_TIMEOUT_MS", GUARD_REDIS_TIMEOUT_MS);
const log = (l: string) => console.log(l);

let stack: Stack | undefined;
const release = guardRun("faults", 15 * 60_000, async () => {
  await stack?.stop();
});

const results: ScenarioResult[] = [];
let failed = false;
try {
  const t0 = Date.now();
  log("[faults] starting the stack (private Redis, PostgreSQL behind a cuttable proxy)…");
  stack = await startStack({ kind: "faults", env: faultStackEnv(await freePort(), guardMs), pgProxy: { maxConnections: 40 } });
  log(`[faults] stack ready in ${((Date.now() - t0) / 1000).toFixed(0)} s at ${stack.url} (db ${stack.dbName}, redis :${stack.redis.port}, pg proxy :${stack.pgProxy!.port})`);
  const ctx = await setUpFaultCtx(stack, log, 8);
  log(`[faults] ${ctx.users.length} premium users ready`);

  if (only.has("provider")) {
    log("\n[faults] (c)/(d) provider faults and client aborts");
    for (const c of PROVIDER_CASES(4)) {
      const r = await providerCase(ctx, c);
      log(`  ${r.name}: ${r.violations.length ? "FAIL" : "ok"}`);
      results.push(r);
    }
    const b = await breakerCase(ctx);
    log(`  ${b.name}: ${b.violations.length ? "FAIL" : "ok"}`);
    results.push(b);
  }

  if (only.has("pg")) {
    log(`\n[faults] (b) PostgreSQL cut mid-run: ${rate} req/s for ${pgS} s, cut at 6 s, restored at ${Math.round(pgS * 0.6)} s`);
    const r = await pgOutage(ctx, { rate, durationMs: pgS * 1000, cutAt: 6000, restoreAt: Math.round(pgS * 600), injectionEvery: 5, flushTimeoutMs: 120_000 });
    log(r.table);
    results.push(r);
  }

  if (only.has("redis")) {
    const pauseAt = 4000;
    const bound = redisRefusalBoundMs(guardMs);
    // The pause outlasts the refusal bound, so a request stuck until Redis comes back shows.
    const resumeAt = pauseAt + Math.max(Math.round(redisS * 200), bound + 3000);
    const killAt = resumeAt + 4000;
    const durationMs = Math.max(redisS * 1000, killAt + 12_000);
    const restartAt = Math.min(killAt + Math.round(redisS * 200), durationMs - 6000);
    log(`\n[faults] (a) Redis stopped mid-run: ${rate} req/s for ${durationMs / 1000} s; SIGSTOP ${pauseAt / 1000}-${resumeAt / 1000} s, SIGKILL at ${killAt / 1000} s, restart at ${restartAt / 1000} s; refusal bound ${bound} ms (GUARD_REDIS_TIMEOUT_MS ${guardMs})`);
    const r = await redisOutage(ctx, { rate, durationMs, refusalBoundMs: bound, injectionEvery: 5, pause: { at: pauseAt, resumeAt }, kill: { at: killAt, restartAt } });
    log(r.table);
    results.push(r);
  }

  if (only.has("dup")) {
    log("\n[faults] one X-Request-Id chosen by the client for 3 chats (2 users) and 3 refused injections");
    const r = await duplicateRequestIdProbe(ctx);
    log(`  ${r.name}: ${r.violations.length ? "FAIL" : "ok"}`);
    results.push(r);
  }

  log(`[faults] machine load average: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} (${os.cpus().length} CPUs)`);
  const health = await request(stack.url, "GET", "/health").catch(() => undefined);
  log(`\n[faults] /health at the end: ${health?.status ?? "no answer"}`);
  log("");
  log(scenarioTable(results));
  for (const r of results) log(detailLines(r));
  const violations = results.flatMap((r) => r.violations);
  const lostLog = stack.grepLog(/rows lost|row lost|unhandled error/i);
  if (lostLog.length) {
    log(`\n[faults] the stack logged ${lostLog.length} line(s) about lost rows / unhandled errors, e.g.:`);
    for (const l of lostLog.slice(0, 5)) log(`  ${l.slice(0, 300)}`);
  }
  if (violations.length) {
    failed = true;
    log(`\n[faults] ${violations.length} policy violation(s):`);
    for (const v of violations.slice(0, 60)) log(`  - ${v}`);
    if (violations.length > 60) log(`  … and ${violations.length - 60} more`);
  } else {
    log("\n[faults] every policy held");
  }
  await ctx.db.end();
} catch (e) {
  failed = true;
  console.error(`[faults] error: ${e instanceof Error ? e.stack : e}`);
  if (stack) console.error(`[faults] last lines of the stack:\n${stack.tail(30)}`);
} finally {
  await stack?.stop();
  release();
}
process.exit(failed ? 1 : 0);
