/**
 * `npm run soak`: a steady rate of chats (default 10/s for 60 s) against the whole local stack.
 *
 * Memory is judged on the Worker's JS heap, read through its V8 inspector (wrangler's
 * --inspector-port): after a forced GC with the stack drained and idle, once after a warm-up
 * phase (SOAK_WARMUP_SECONDS at the same rate) and once after the 60 s run. PASS when every
 * chat streamed to `done` with exactly one usage row and that heap grew by at most
 * SOAK_MAX_HEAP_GROWTH_PCT (10) %: a leak of even 1 KB per chat would show as ~600 KB. The JS
 * heap is what a Worker owns (and what Cloudflare's 128 MB isolate limit applies to).
 *
 * VmRSS of the workerd processes is sampled every SOAK_SAMPLE_SECONDS and reported, with a
 * control: as many GET /nope (404, no I/O) as there were chats, to show the runtime's own
 * per-request growth. Locally workerd's native memory grows with every request, also for
 * that 404 and also in wrangler's proxy workerd, which runs none of our code (allocator
 * retention in the local runtime, see test/load/README.md), so RSS is not a pass criterion by
 * default; SOAK_MAX_RSS_SLOPE_PCT > 0 makes "RSS slope over the second half of the run, in %
 * of the RSS after warm-up per minute" one.
 *
 * Settings (env): SOAK_RATE 10 (chats/s; the stack costs ~50-110 ms of CPU per chat, so 20/s
 * saturates a 2-core machine), SOAK_SECONDS 60, SOAK_WARMUP_SECONDS 15 (before the measured
 * run), SOAK_SAMPLE_SECONDS 5, SOAK_USERS 20 (premium, 1000/h each), SOAK_MAX_HEAP_GROWTH_PCT 10,
 * SOAK_MAX_RSS_SLOPE_PCT 0 (report only), SOAK_MAX_INFLIGHT 400 (a send is skipped, and counted,
 * beyond it), SOAK_COOLDOWN_SECONDS 20 (idle sampling after the drain), SOAK_SNAPSHOTS 0 (1: heap
 * snapshots at both idle points and what grew per constructor; a snapshot itself costs the
 * workerd processes tens of MB of RSS), LOAD_PG_MAX_CONNS 40, LOAD_KEEP_LOGS=1. Any Worker
 * setting (e.g. GUARD_REDIS_TIMEOUT_MS) passes through the environment.
 */
import os from "node:os";
import { chat, createUsers, request, triggerHourlyCron, type ChatResult } from "./lib/client";
import { RunDb, waitUntil } from "./lib/db";
import { connectInspector, growth, type HeapSummary, type Inspector } from "./lib/inspector";
import { commOf, descendants, guardRun, rssKiB, startStack, type Stack } from "./lib/stack";
import { countBy, envInt, fmtCounts, mapLimit, percentile, sleep, slope, table } from "./lib/util";

const RATE = envInt("SOAK_RATE", 10);
const SECONDS = envInt("SOAK_SECONDS", 60);
const WARMUP = envInt("SOAK_WARMUP_SECONDS", 15);
const SAMPLE = envInt("SOAK_SAMPLE_SECONDS", 5);
const USERS = envInt("SOAK_USERS", 20);
const MAX_HEAP_GROWTH = envInt("SOAK_MAX_HEAP_GROWTH_PCT", 10);
const MAX_RSS_SLOPE = envInt("SOAK_MAX_RSS_SLOPE_PCT", 0);
const SNAPSHOTS = envInt("SOAK_SNAPSHOTS", 0) > 0;
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
  phase: string;
  /** Live JS heap of the Worker (no forced GC), MB; NaN without the inspector. */
  heapMB: number;
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

  let inspector: Inspector | undefined;
  try {
    // A 404 wakes the isolate up so that workerd runs a pending GC / snapshot.
    inspector = await connectInspector(stack.inspectorPort, 10_000, () => request(stack!.url, "GET", "/nope"));
  } catch (e) {
    problems.push(`no inspector on port ${stack.inspectorPort} (${e instanceof Error ? e.message : e}): the JS heap cannot be checked`);
  }

  const users = await createUsers(stack.url, stack.adminToken, USERS, "premium", { concurrency: 4 });
  if (RATE * (SECONDS + WARMUP) > users.length * 1000) throw new Error(`SOAK_RATE * (SOAK_SECONDS + SOAK_WARMUP_SECONDS) exceeds what ${users.length} premium users may send in an hour (1000 each)`);
  log(`[soak] ${users.length} premium users ready; warm-up ${WARMUP} s then ${SECONDS} s at ${RATE} chats/s, RSS and heap every ${SAMPLE} s`);

  const results: { phase: string; at: number; r: ChatResult }[] = [];
  const samples: Sample[] = [];
  let inflight = 0;
  let skipped = 0;
  let sentCount = 0;
  let chatIndex = 0;
  const start = Date.now();
  const sampleNow = async (phase: string) => {
    const each = workerds.map((p) => rssKiB(p) ?? 0);
    const w = each.reduce((s, k) => s + k, 0);
    const other = wranglerTree().reduce((s, p) => s + (rssKiB(p) ?? 0), 0);
    const heap = inspector ? await inspector.heapUsage().catch(() => undefined) : undefined;
    samples.push({ t: (Date.now() - start) / 1000, phase, heapMB: heap ? heap.usedSize / 2 ** 20 : NaN, workerdKiB: w, perPid: each.map((k) => Math.round(k / 1024)).join("+"), wranglerKiB: other, inflight, sent: sentCount });
    if (w === 0) problems.push(`workerd gone at t=${((Date.now() - start) / 1000).toFixed(0)} s`);
  };

  /** Sends RATE chats/s for `seconds` (sampling every SAMPLE s), then waits for every answer. */
  const runPhase = async (phase: string, seconds: number) => {
    const pending: Promise<void>[] = [];
    const phaseStart = Date.now();
    let nextSample = phaseStart;
    const interval = 1000 / RATE;
    for (let i = 0; i < RATE * seconds; i++) {
      const wait = phaseStart + i * interval - Date.now();
      if (wait > 0) await sleep(wait);
      if (Date.now() >= nextSample) {
        void sampleNow(phase);
        while (Date.now() >= nextSample) nextSample += SAMPLE * 1000;
      }
      if (inflight >= MAX_INFLIGHT) {
        skipped++;
        continue;
      }
      inflight++;
      sentCount++;
      const at = (Date.now() - start) / 1000;
      const n = chatIndex++;
      pending.push(chat(stack!.url, users[n % users.length]!.token, `Message d'endurance ${n}.`, { timeoutMs: 60_000 }).then((r) => {
        inflight--;
        results.push({ phase, at, r });
      }));
    }
    while (Date.now() < phaseStart + seconds * 1000) await sleep(50);
    await sampleNow(phase);
    const drainStart = Date.now();
    await Promise.all(pending);
    log(`[soak] ${phase}: sent ${pending.length}; all answered ${((Date.now() - drainStart) / 1000).toFixed(1)} s after the last send`);
  };

  /** The stack idle (drained, 3 s for deferred writes), JS heap after forced GC, optionally a snapshot. */
  interface IdlePoint { name: string; t: number; heapMB: number; rssMB: number; summary?: HeapSummary; chats: number }
  const idlePoint = async (name: string, snapshot: boolean): Promise<IdlePoint> => {
    await sleep(3000);
    let heapMB = NaN;
    let summary: HeapSummary | undefined;
    if (inspector) {
      try {
        heapMB = (await inspector.heapUsage({ gc: true })).usedSize / 2 ** 20;
      } catch (e) {
        problems.push(`inspector at ${name}: ${e instanceof Error ? e.message : e}`);
      }
    }
    // RSS after the GC: V8 gives the pages of collected garbage back, the rest is what stays.
    await sleep(1000);
    const rss = workerds.reduce((s, p) => s + (rssKiB(p) ?? 0), 0) / 1024;
    if (inspector && snapshot && SNAPSHOTS) {
      try {
        summary = await inspector.snapshotSummary();
      } catch (e) {
        problems.push(`inspector snapshot at ${name}: ${e instanceof Error ? e.message : e}`);
      }
    }
    log(`[soak] idle point "${name}": JS heap after GC ${heapMB.toFixed(1)} MB, workerd RSS ${rss.toFixed(0)} MB`);
    return { name, t: (Date.now() - start) / 1000, heapMB, rssMB: rss, summary, chats: sentCount };
  };

  const cpuBefore = stack.cpuByPart();
  const cold = await idlePoint("before any chat", false);
  await runPhase("warm-up", WARMUP);
  const warm = await idlePoint("after warm-up", true);
  const mainStart = (Date.now() - start) / 1000;
  await runPhase("run", SECONDS);
  const cpuAfter = stack.cpuByPart();
  const end = await idlePoint(`after ${SECONDS} s run`, true);
  for (let waited = 0; waited < COOLDOWN; waited += SAMPLE) {
    await sleep(SAMPLE * 1000);
    await sampleNow("idle");
  }
  const idle = await idlePoint(`after ${COOLDOWN} s more idle`, false);
  // Control: the runtime's own per-request memory, with a request that runs no pipeline.
  const controlN = end.chats - warm.chats;
  await mapLimit(Array.from({ length: controlN }, (_, i) => i), 8, () => request(stack!.url, "GET", "/nope"));
  const control = await idlePoint(`after ${controlN} x GET /nope (404 control)`, false);
  inspector?.close();

  // --- answers and rows -------------------------------------------------------------------
  const outcome = (r: ChatResult) => r.status === 0 ? `no answer (${r.failure})` : r.status === 200 ? (r.done ? "200 done" : `200 ${r.errorEvent ? `error:${r.errorEvent}` : "unfinished"}`) : `${r.status} ${r.code ?? "?"}`;
  const byOutcome = countBy(results, (x) => `${x.phase}: ${outcome(x.r)}`);
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
  const runChats = end.chats - warm.chats;
  const heapGrowthPct = ((end.heapMB - warm.heapMB) / warm.heapMB) * 100;
  const retainedPerChat = ((end.heapMB - warm.heapMB) * 2 ** 20) / Math.max(1, runChats);
  const during = samples.filter((s) => s.phase === "run");
  const secondHalf = during.filter((s) => s.t >= mainStart + SECONDS / 2);
  const rssSlope = slope(secondHalf.map((s) => ({ x: s.t / 60, y: s.workerdKiB / 1024 })));
  const rssSlopePct = (rssSlope / warm.rssMB) * 100;
  if (Number.isFinite(heapGrowthPct) && heapGrowthPct > MAX_HEAP_GROWTH) problems.push(`JS heap after GC grew ${heapGrowthPct.toFixed(1)} % over the run (${retainedPerChat.toFixed(0)} bytes per chat; limit ${MAX_HEAP_GROWTH} %)`);
  const kbPerChat = ((end.rssMB - warm.rssMB) * 1024) / Math.max(1, runChats);
  const kbPer404 = ((control.rssMB - idle.rssMB) * 1024) / Math.max(1, controlN);
  if (MAX_RSS_SLOPE > 0 && rssSlopePct > MAX_RSS_SLOPE) problems.push(`workerd RSS still climbing over the second half of the run: ${rssSlope.toFixed(1)} MB/min = ${rssSlopePct.toFixed(1)} %/min of ${warm.rssMB.toFixed(0)} MB (limit ${MAX_RSS_SLOPE} %/min)`);

  // --- report -----------------------------------------------------------------------------
  log("");
  log(table("Samples (VmRSS of workerd; live JS heap without forced GC)", samples.map((s) => ({
    "t (s)": s.t.toFixed(0), phase: s.phase, "workerd MB": mb(s.workerdKiB), "per process MB": s.perPid, "JS heap MB": s.heapMB.toFixed(1), "wrangler node MB": mb(s.wranglerKiB), "sent so far": s.sent, "in flight": s.inflight,
  }))));
  log(table("Idle points (stack drained; JS heap after forced GC)", [cold, warm, end, idle, control].map((p) => ({
    point: p.name, "t (s)": p.t.toFixed(0), "chats so far": p.chats, "JS heap MB": p.heapMB.toFixed(2), "workerd RSS MB": p.rssMB.toFixed(0),
  }))));
  if (warm.summary && end.summary) {
    log(table(`JS heap: what grew between "${warm.name}" and "${end.name}" (top by bytes)`, growth(warm.summary, end.summary, 12).map((g) => ({
      "type:constructor": g.what, count: g.count, "count +": g.countDelta, "KB": (g.bytes / 1024).toFixed(0), "KB +": (g.bytesDelta / 1024).toFixed(1),
    }))));
  }
  log(table("Memory summary", [{
    "JS heap after GC, warm MB": warm.heapMB.toFixed(2), "end MB": end.heapMB.toFixed(2), "heap growth": `${heapGrowthPct.toFixed(1)} %`,
    "retained per chat": `${retainedPerChat.toFixed(0)} B`, "heap limit": `${MAX_HEAP_GROWTH} %`,
    "RSS warm MB": warm.rssMB.toFixed(0), "RSS end MB": end.rssMB.toFixed(0), [`RSS +${COOLDOWN}s idle MB`]: idle.rssMB.toFixed(0),
    "RSS slope 2nd half": `${rssSlope.toFixed(1)} MB/min (${rssSlopePct.toFixed(1)} %/min)`, "slope limit": MAX_RSS_SLOPE > 0 ? `${MAX_RSS_SLOPE} %/min` : "report only",
    "RSS per chat": `${kbPerChat.toFixed(0)} KB`, "RSS per 404 (control)": `${kbPer404.toFixed(0)} KB`,
  }]));
  log(table("Answers", Object.entries(byOutcome).map(([k, v]) => ({ outcome: k, count: v }))));
  const windows: Record<string, number>[] = [];
  const mainResults = results.filter((x) => x.phase === "run");
  for (let w = 0; w < SECONDS; w += 10) {
    const rows = mainResults.filter((x) => x.at - mainStart >= w && x.at - mainStart < w + 10);
    const lat = rows.map((x) => x.r.endAt - x.r.sentAt);
    windows.push({ "from s": w, chats: rows.length, "ms p50": percentile(lat, 50), "ms p95": percentile(lat, 95), "ms max": lat.length ? Math.max(...lat) : NaN, "not done": rows.filter((x) => !x.r.done).length });
  }
  log(table("Latency per 10 s window of the run (client side, whole stream)", windows));
  log(table("Usage rows", [{ "accepted chats": ids.length, "rows found": ids.reduce((s, id) => s + (usage.counts.get(id) ?? 0), 0), missing, duplicated: dup, statuses: fmtCounts(countBy(ids, (id) => usage.statuses.get(id) ?? "none")) }]));
  log(table("CPU used (ms per chat sent)", Object.keys(cpuAfter).map((part) => ({ part, "CPU ms per chat": ((cpuAfter[part]! - (cpuBefore[part] ?? 0)) / Math.max(1, sentCount)).toFixed(1) }))));
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
  log(`[soak] summary: ${results.length} chats (${mainResults.length} in the ${SECONDS} s run at ${RATE}/s), not done ${bad.length}, usage rows missing ${missing} / duplicated ${dup}; ` +
    `JS heap after GC ${warm.heapMB.toFixed(1)} -> ${end.heapMB.toFixed(1)} MB (${heapGrowthPct.toFixed(1)} %, ${retainedPerChat.toFixed(0)} B/chat); RSS ${warm.rssMB.toFixed(0)} -> ${end.rssMB.toFixed(0)} MB (${kbPerChat.toFixed(0)} KB per chat; control ${kbPer404.toFixed(0)} KB per 404), slope 2nd half ${rssSlopePct.toFixed(1)} %/min`);
  if (problems.length) {
    failed = true;
    log("[soak] MISS:");
    for (const p of problems) log(`  - ${p}`);
  } else {
    log(`[soak] PASS: JS heap after GC stable (growth ${heapGrowthPct.toFixed(1)} % ≤ ${MAX_HEAP_GROWTH} %${MAX_RSS_SLOPE > 0 ? `, RSS slope ≤ ${MAX_RSS_SLOPE} %/min` : ""}), every chat streamed, one usage row each`);
  }
} catch (e) {
  failed = true;
  console.error(`[soak] error: ${e instanceof Error ? e.stack : e}`);
  console.log("[soak] MISS: the run did not complete (error above)");
  if (stack) console.error(`[soak] last lines of the stack:\n${stack.tail(30)}`);
} finally {
  await stack?.stop();
  release();
}
process.exit(failed ? 1 : 0);
