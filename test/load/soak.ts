/**
 * `npm run soak`: a steady rate of chats (default 10/s for 60 s) against the whole local stack,
 * sampling the memory (VmRSS from /proc/<pid>/status) of the workerd process under wrangler
 * every 5 s. Passes when every chat streamed to `done`, each has exactly one usage row, and
 * the RSS grew by at most SOAK_MAX_GROWTH_PCT (30) % between the end of the warm-up and the end.
 *
 * Settings (env): SOAK_RATE 10 (chats/s; the stack costs ~50-110 ms of CPU per chat, so 20/s
 * saturates a 2-core machine), SOAK_SECONDS 60, SOAK_WARMUP_SECONDS 15,
 * SOAK_SAMPLE_SECONDS 5, SOAK_USERS 20 (premium, 1000/h each), SOAK_MAX_GROWTH_PCT 30,
 * SOAK_MAX_INFLIGHT 400 (a send is skipped, and counted, beyond it), SOAK_COOLDOWN_SECONDS 20
 * (idle sampling after the drain), LOAD_PG_MAX_CONNS 40,
 * LOAD_KEEP_LOGS=1. Any Worker setting (e.g. GUARD_REDIS_TIMEOUT_MS) passes through the environment.
 */
import os from "node:os";
import { chat, createUsers, triggerHourlyCron, type ChatResult } from "./lib/client";
import { RunDb, waitUntil } from "./lib/db";
import { commOf, descendants, guardRun, rssKiB, startStack, type Stack } from "./lib/stack";
import { countBy, envInt, fmtCounts, percentile, sleep, slope, table } from "./lib/util";

const RATE = envInt("SOAK_RATE", 10);
const SECONDS = envInt("SOAK_SECONDS", 60);
const WARMUP = envInt("SOAK_WARMUP_SECONDS", 15);
const SAMPLE = envInt("SOAK_SAMPLE_SECONDS", 5);
const USERS = envInt("SOAK_USERS", 20);
const MAX_GROWTH = envInt("SOAK_MAX_GROWTH_PCT", 30);
const MAX_INFLIGHT = envInt("SOAK_MAX_INFLIGHT", 400);
const PG_MAX = envInt("LOAD_PG_MAX_CONNS", 40);
/** Idle seconds sampled after the drain: does the memory come back down? */
const COOLDOWN = envInt("SOAK_COOLDOWN_SECONDS", 20);

const log = (l: string) => console.log(l);
let stack: Stack | undefined;
const release = guardRun("soak", 15 * 60_000 + SECONDS * 1000, async () => {
  await stack?.stop();
});

interface Sample {
  t: number;
  workerdKiB: number;
  perPid: string;
  wranglerKiB: number;
  inflight: number;
  sent: number;
}

let failed = false;
const problems: string[] = [];
try {
  const t0 = Date.now();
  log("[soak] starting the stack…");
  stack = await startStack({ kind: "soak", pgProxy: PG_MAX > 0 ? { maxConnections: PG_MAX } : undefined });
  log(`[soak] stack ready in ${((Date.now() - t0) / 1000).toFixed(0)} s at ${stack.url} (db ${stack.dbName})`);
  const wrangler = stack.wranglerPid();
  const workerds = stack.workerdPids();
  if (!wrangler || workerds.length === 0) throw new Error(`cannot find the workerd process (wrangler pid ${wrangler}, workerd ${workerds.join(",") || "none"})`);
  const wranglerTree = () => [wrangler, ...descendants(wrangler).filter((p) => commOf(p) !== "workerd")];
  log(`[soak] wrangler pid ${wrangler}, workerd pid(s) ${workerds.join(", ")}`);
  const db = new RunDb(stack.databaseUrl);

  const users = await createUsers(stack.url, stack.adminToken, USERS, "premium", { concurrency: 4 });
  if (RATE * SECONDS > users.length * 1000) throw new Error(`SOAK_RATE * SOAK_SECONDS exceeds what ${users.length} premium users may send in an hour (1000 each)`);
  log(`[soak] ${users.length} premium users ready; ${RATE} chats/s for ${SECONDS} s (${RATE * SECONDS} chats), RSS every ${SAMPLE} s, warm-up ${WARMUP} s`);

  const results: { at: number; r: ChatResult }[] = [];
  const pending: Promise<void>[] = [];
  const samples: Sample[] = [];
  let inflight = 0;
  let skipped = 0;
  let sentCount = 0;
  const cpuBefore = stack.cpuByPart();
  const start = Date.now();
  const sampleNow = () => {
    const each = workerds.map((p) => rssKiB(p) ?? 0);
    const w = each.reduce((s, k) => s + k, 0);
    const other = wranglerTree().reduce((s, p) => s + (rssKiB(p) ?? 0), 0);
    samples.push({ t: (Date.now() - start) / 1000, workerdKiB: w, perPid: each.map((k) => Math.round(k / 1024)).join("+"), wranglerKiB: other, inflight, sent: sentCount });
    if (w === 0) problems.push(`workerd gone at t=${((Date.now() - start) / 1000).toFixed(0)} s`);
  };
  sampleNow();
  let nextSample = start + SAMPLE * 1000;
  const interval = 1000 / RATE;
  for (let i = 0; i < RATE * SECONDS; i++) {
    const due = start + i * interval;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    while (Date.now() >= nextSample) {
      sampleNow();
      nextSample += SAMPLE * 1000;
    }
    if (inflight >= MAX_INFLIGHT) {
      skipped++;
      continue;
    }
    inflight++;
    sentCount++;
    const at = (Date.now() - start) / 1000;
    pending.push(chat(stack.url, users[i % users.length]!.token, `Message d'endurance ${i}.`, { timeoutMs: 60_000 }).then((r) => {
      inflight--;
      results.push({ at, r });
    }));
  }
  while (Date.now() < start + SECONDS * 1000) await sleep(50);
  sampleNow();
  const drainStart = Date.now();
  await Promise.all(pending);
  log(`[soak] sent ${sentCount} (skipped ${skipped} beyond ${MAX_INFLIGHT} in flight); all answered ${((Date.now() - drainStart) / 1000).toFixed(1)} s after the last send`);
  const cpuAfter = stack.cpuByPart();
  for (let waited = 0; waited < COOLDOWN; waited += SAMPLE) {
    await sleep(SAMPLE * 1000);
    sampleNow();
  }

  // --- answers and rows -------------------------------------------------------------------
  const outcome = (r: ChatResult) => r.status === 0 ? `no answer (${r.failure})` : r.status === 200 ? (r.done ? "200 done" : `200 ${r.errorEvent ? `error:${r.errorEvent}` : "unfinished"}`) : `${r.status} ${r.code ?? "?"}`;
  const byOutcome = countBy(results, (x) => outcome(x.r));
  const bad = results.filter((x) => !x.r.done);
  if (bad.length) problems.push(`${bad.length} chat(s) did not stream to done: ${fmtCounts(countBy(bad, (x) => outcome(x.r)))}`);
  if (skipped) problems.push(`${skipped} send(s) skipped: more than ${MAX_INFLIGHT} chats in flight (the stack does not keep up with ${RATE}/s)`);
  const ids = results.filter((x) => x.r.status === 200 && x.r.requestId).map((x) => x.r.requestId!);
  const waitStart = Date.now();
  let usage = await db.usage(ids);
  let lastCron = 0;
  await waitUntil(async () => {
    usage = await db.usage(ids);
    return ids.every((id) => usage.counts.get(id) === 1);
  }, {
    timeoutMs: 120_000, intervalMs: 2000,
    tick: async () => {
      if (Date.now() - waitStart > 10_000 && Date.now() - lastCron > 10_000) {
        lastCron = Date.now();
        await triggerHourlyCron(stack!.url);
      }
    },
  });
  const missing = ids.filter((id) => (usage.counts.get(id) ?? 0) === 0).length;
  const dup = ids.filter((id) => (usage.counts.get(id) ?? 0) > 1).length;
  if (missing) problems.push(`${missing} accepted chat(s) without a usage row`);
  if (dup) problems.push(`${dup} accepted chat(s) with several usage rows`);

  // --- memory -----------------------------------------------------------------------------
  const mb = (k: number) => Math.round(k / 102.4) / 10;
  const during = samples.filter((s) => s.t <= SECONDS + 0.5);
  const afterWarm = during.filter((s) => s.t >= WARMUP);
  const base = afterWarm[0] ?? during[0]!;
  const last = during[during.length - 1]!;
  const max = Math.max(...during.map((s) => s.workerdKiB));
  const growthPct = ((last.workerdKiB - base.workerdKiB) / base.workerdKiB) * 100;
  const slopeMBperMin = slope(afterWarm.map((s) => ({ x: s.t / 60, y: s.workerdKiB / 1024 })));
  if (growthPct > MAX_GROWTH) problems.push(`workerd RSS grew ${growthPct.toFixed(1)} % after the warm-up (limit ${MAX_GROWTH} %)`);

  // --- report -----------------------------------------------------------------------------
  log("");
  log(table("workerd memory (VmRSS)", samples.map((s) => ({
    "t (s)": s.t.toFixed(0), "workerd MB": mb(s.workerdKiB), "per process MB": s.perPid, "wrangler node MB": mb(s.wranglerKiB), "sent so far": s.sent, "in flight": s.inflight,
  }))));
  log(table("Memory summary (workerd)", [{
    "first MB": mb(samples[0]!.workerdKiB), [`at warm-up end (t=${base.t.toFixed(0)} s) MB`]: mb(base.workerdKiB), "last MB": mb(last.workerdKiB),
    "max MB": mb(max), "growth after warm-up": `${growthPct.toFixed(1)} %`, "slope after warm-up": `${slopeMBperMin.toFixed(2)} MB/min`,
    [`after ${COOLDOWN} s idle MB`]: mb(samples[samples.length - 1]!.workerdKiB), "limit": `${MAX_GROWTH} %`,
  }]));
  log(table("Answers", Object.entries(byOutcome).map(([k, v]) => ({ outcome: k, count: v }))));
  const windows: Record<string, number>[] = [];
  for (let w = 0; w < SECONDS; w += 10) {
    const rows = results.filter((x) => x.at >= w && x.at < w + 10);
    const lat = rows.map((x) => x.r.endAt - x.r.sentAt);
    windows.push({ "from s": w, chats: rows.length, "ms p50": percentile(lat, 50), "ms p95": percentile(lat, 95), "ms max": lat.length ? Math.max(...lat) : NaN, "not done": rows.filter((x) => !x.r.done).length });
  }
  log(table("Latency per 10 s window (client side, whole stream)", windows));
  log(table("Usage rows", [{ "accepted chats": ids.length, "rows found": ids.reduce((s, id) => s + (usage.counts.get(id) ?? 0), 0), missing, duplicated: dup, statuses: fmtCounts(countBy(ids, (id) => usage.statuses.get(id) ?? "none")) }]));
  log(table("CPU used during the run (ms per chat sent)", Object.keys(cpuAfter).map((part) => ({ part, "CPU ms per chat": ((cpuAfter[part]! - (cpuBefore[part] ?? 0)) / Math.max(1, sentCount)).toFixed(1) }))));
  log(`  machine load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} (${os.cpus().length} CPUs)`);
  const proxy = stack.pgProxy?.stats;
  const grep = (re: RegExp) => stack!.grepLog(re).length;
  log(table("Stack", [{
    "pg peak asked / open": proxy ? `${proxy.peakDemand} / ${proxy.peakOpen}` : "-", "pg waited": proxy?.queued ?? "-",
    "too many clients": grep(/too many clients/i), "sent to outbox": grep(/sent to outbox/), "rows lost": grep(/rows lost|row lost/),
    "Uncaught": grep(/Uncaught/), "worker reloads": grep(/Reloading local server/),
  }]));
  const failedIds = results.filter((x) => x.r.status >= 500 && x.r.requestId).map((x) => x.r.requestId!);
  if (failedIds.length) log(table("Why the Worker answered 5xx (its log)", Object.entries(stack.failureCauses(failedIds)).map(([cause, n]) => ({ cause, count: n }))));
  await db.end();
  if (problems.length) {
    failed = true;
    log("[soak] FAILED:");
    for (const p of problems) log(`  - ${p}`);
  } else {
    log(`[soak] OK: ${results.length} chats at ${RATE}/s, all streamed, one usage row each; workerd RSS ${mb(base.workerdKiB)} -> ${mb(last.workerdKiB)} MB after warm-up (${growthPct.toFixed(1)} %)`);
  }
} catch (e) {
  failed = true;
  console.error(`[soak] error: ${e instanceof Error ? e.stack : e}`);
  if (stack) console.error(`[soak] last lines of the stack:\n${stack.tail(30)}`);
} finally {
  await stack?.stop();
  release();
}
process.exit(failed ? 1 : 0);
