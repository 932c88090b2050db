/**
 * `npm run bench`: what the guards cost and what the gateway adds, measured on this machine.
 *
 *   1. Guard cost inside workerd (bench/guards-worker.ts): µs per message of 100, 1,000 and
 *      10,000 characters for each guard and for all of them together.
 *   2. Added latency: the same streamed chat sent directly to the model upstream (A) and
 *      through the Worker with every guard on, real Redis and PostgreSQL (B), alternating,
 *      at concurrency 1, 16 and 64: time to first token and total time, and B - A.
 *   3. Throughput: streamed chats per second through the Worker at which >= 99.9% succeed.
 *   trips (--only=trips, also run with latency/throughput): round trips one chat costs, counted
 *      by the local servers (Upstash bridge requests and Redis commands, PostgreSQL connections
 *      and queries through the Neon proxy, upstream chat and moderation calls).
 *
 * Flags: --quick (a smoke run of a few seconds per part), --only=guards,latency,throughput,
 * --users=N, --client=undici|fetch. Writes bench/results/<timestamp>.json and latest.json.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { maskPii } from "../worker/stages/pii";
import { buildPrompt, newCanary } from "../worker/stages/prompt";
import { sanitize } from "../worker/stages/sanitize";
import { snapshot, usageBetween, type CpuUsage } from "./cpu";
import { runGuards, GUARD_CASES, GUARD_SIZES, type GuardsResult } from "./guards";
import { chatOnce, clientName, closeClient, closedLoop, initClient, openLoop, type ChatResult, type RateStep, type Target } from "./load";
import { profileWhile, summarizeProfile, type ProfileSummary } from "./profile";
import { BENCH_MODEL_ID, startStack, type Stack } from "./stack";
import { percentile, round, sleep, summarize, type Summary } from "./stats";
import { userMessage } from "./texts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS = path.join(ROOT, "bench", "results");

// ---------------------------------------------------------------------------------------
// Options

const USAGE = `usage: npm run bench -- [--quick] [--only=guards,latency,throughput,trips] [--profile] [--users=N]
                        [--client=undici|fetch] [--set=KEY=VALUE ...] [--stack-logs]
  --quick        smoke run, a few seconds per part
  --only=…       parts to run (default guards,latency,throughput; trips runs with latency or throughput)
  --profile      also take a CPU profile of the Worker under load (c=16) and list its hot spots
  --users=N      enterprise users to sign up (default 32, quick 8)
  --client=…     load generator transport (default undici.request with a keep-alive Agent)
  --set=K=V      override a Worker setting of the bench stack (e.g. --set=MODERATION_PROVIDER=off)
  --stack-logs   keep the Worker's own logs (LOG_LEVEL=info) in bench/results/stack-*.log`;
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
for (const a of argv) {
  if (!/^--(quick|profile|stack-logs|help|only=[a-z,]+|users=\d+|client=(undici|fetch)|set=[A-Z0-9_]+=.*)$/.test(a)) {
    console.error(`unknown argument ${a}\n${USAGE}`);
    process.exit(2);
  }
}
if (flag("help")) {
  console.log(USAGE);
  process.exit(0);
}
const OVERRIDES = Object.fromEntries(argv.filter((a) => a.startsWith("--set=")).map((a) => {
  const kv = a.slice(6);
  const i = kv.indexOf("=");
  return [kv.slice(0, i), kv.slice(i + 1)];
}));
const PROFILE = flag("profile");
const QUICK = flag("quick");
const ONLY = new Set((option("only") ?? "guards,latency,throughput").split(","));
if (ONLY.has("latency") || ONLY.has("throughput")) ONLY.add("trips");

/** Durations (ms) of each phase; the full run stays within about 5 minutes plus start-up. */
const PLAN = QUICK
  ? { warmMs: 400, c1Ms: 2500, blockMs: 1000, rounds: 1, ceilingDirectMs: 1500, ceilingWorkerMs: 2500, stepMs: 2500, fractions: [0.6, 1.0], users: 8, profileMs: 3000 }
  : { warmMs: 1500, c1Ms: 15_000, blockMs: 3000, rounds: 3, ceilingDirectMs: 5000, ceilingWorkerMs: 8000, stepMs: 10_000, fractions: [0.5, 0.7, 0.85, 1.0, 1.15], users: 32, profileMs: 8000 };
const USERS = Number(option("users") ?? PLAN.users);
const CONCURRENCY = [1, 16, 64];
const THROUGHPUT_CAP = 64;
/** The latency chat: a realistic user message that the echo model streams back word by word. */
const LATENCY_MESSAGE_CHARS = 1500;

const TARGETS = {
  guardsP99At10kUs: 1000,
  addedTtftP50AtC1Ms: 5,
  addedTtftP99AtC16Ms: 15,
  chatsPerSecAtC64: 500,
};

const log = (s: string) => console.log(`[bench] ${s}`);

// ---------------------------------------------------------------------------------------
// Part 2 and 3

interface PathStats {
  n: number;
  okPct: number;
  ttft: Summary;
  total: Summary;
  errors: Record<string, number>;
}

interface LatencyLevel {
  concurrency: number;
  method: string;
  direct: PathStats;
  worker: PathStats;
  /** B - A of each percentile, ms. */
  added: { ttftP50: number; ttftP99: number; totalP50: number; totalP99: number };
  /** c=1 only: median of the paired differences (each B with the A just before it). */
  pairedTtftP50?: number;
  /** Median per stage of the Worker's Server-Timing (ms), from request arrival to the first delta. */
  serverTimingP50?: Record<string, number>;
  cpu: CpuUsage;
}

function pathStats(rs: ChatResult[]): PathStats {
  const ok = rs.filter((r) => r.ok);
  const errors: Record<string, number> = {};
  for (const r of rs) if (!r.ok) errors[r.error ?? "?"] = (errors[r.error ?? "?"] ?? 0) + 1;
  return {
    n: rs.length, okPct: rs.length ? (100 * ok.length) / rs.length : 0,
    ttft: summarize(ok.map((r) => r.ttftMs)), total: summarize(ok.map((r) => r.totalMs)), errors,
  };
}

function makeTargets(stack: Stack): { direct: Target; worker: Target; messageChars: number; answerChars: number } {
  const message = userMessage(LATENCY_MESSAGE_CHARS, 11);
  // What the Worker sends upstream: the sanitized, PII-masked message under the system prompt.
  const masked = maskPii(sanitize(message).text.trim()).masked;
  const prompt = buildPrompt({ lang: "fr", canary: newCanary(), userText: masked, fenced: false });
  const direct: Target = {
    path: "direct",
    url: `${stack.upstreamUrl}/v1/chat/completions`,
    headers: () => ({ "content-type": "application/json", authorization: `Bearer ${stack.upstreamKey}` }),
    body: JSON.stringify({ model: "scenario:echo", messages: prompt.messages, stream: true, stream_options: { include_usage: true }, max_tokens: 1024 }),
  };
  let u = 0;
  const worker: Target = {
    path: "worker",
    url: `${stack.workerUrl}/api/chat`,
    headers: () => ({ "content-type": "application/json", authorization: `Bearer ${stack.users[u++ % stack.users.length]!.token}` }),
    body: JSON.stringify({ message, model: BENCH_MODEL_ID }),
  };
  return { direct, worker, messageChars: message.length, answerChars: masked.length };
}

// ---------------------------------------------------------------------------------------
// Round trips per chat

interface TripCounts {
  chats: number;
  /** Per chat, averaged over `chats` sequential chats (background work included). */
  perChat: {
    redisHttp: number;
    redisCommands: number;
    pgConnections: number;
    /** Startup + simple queries + extended-protocol syncs + HTTP queries: each one waits for PostgreSQL. */
    pgRoundTrips: number;
    /** Statements sent over Neon's HTTP protocol (POST /sql), no connection of their own. */
    pgHttpQueries: number;
    upstreamChat: number;
    upstreamModeration: number;
  };
  redisByCommand: Record<string, number>;
  pgByMessage: Record<string, number>;
}

async function readCounters(stack: Stack) {
  const get = async (url: string, headers: Record<string, string> = {}) => (await fetch(url, { headers })).json() as Promise<Record<string, Record<string, number>> & { connections?: number; httpQueries?: number }>;
  const [bridge, proxy, upstream] = await Promise.all([
    get(`http://127.0.0.1:${stack.settings.DEV_BRIDGE_PORT}/__stats`, { authorization: `Bearer ${stack.settings.UPSTASH_REDIS_REST_TOKEN}` }),
    get(`http://127.0.0.1:${stack.settings.DEV_PROXY_PORT}/__stats`),
    get(`${stack.upstreamUrl}/__control/stats`),
  ]);
  return { bridge, proxy, upstream };
}

const diff = (a: Record<string, number> = {}, b: Record<string, number> = {}) =>
  Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]).filter(([, v]) => v !== 0));
const sum = (m: Record<string, number>) => Object.values(m).reduce((x, y) => x + y, 0);

/** Sequential chats through the Worker, each followed by a pause for its background work. */
async function countTrips(stack: Stack, worker: Target, chats: number): Promise<TripCounts> {
  // Steady state: every user's Redis copies (user, consent, data key) already written.
  for (let i = 0; i < stack.users.length; i++) await chatOnce(worker);
  await sleep(1000);
  const before = await readCounters(stack);
  for (let i = 0; i < chats; i++) {
    const r = await chatOnce(worker);
    if (!r.ok) throw new Error(`trips: a chat failed: ${r.error}`);
    await sleep(400); // the chat's rows, settlements and metrics are written after the answer
  }
  await sleep(1000);
  const after = await readCounters(stack);
  const redis = diff(before.bridge.commands, after.bridge.commands);
  const pg = diff(before.proxy.messages, after.proxy.messages);
  const up = diff(before.upstream.requests, after.upstream.requests);
  const pgHttp = (after.proxy.httpQueries ?? 0) - (before.proxy.httpQueries ?? 0);
  const per = (n: number) => round(n / chats, 2);
  return {
    chats,
    perChat: {
      redisHttp: per(sum(diff(before.bridge.requests, after.bridge.requests))),
      redisCommands: per(sum(redis)),
      pgConnections: per((after.proxy.connections ?? 0) - (before.proxy.connections ?? 0)),
      pgRoundTrips: per((pg.startup ?? 0) + (pg.Q ?? 0) + (pg.S ?? 0) + pgHttp),
      pgHttpQueries: per(pgHttp),
      upstreamChat: per(up["/v1/chat/completions"] ?? 0),
      upstreamModeration: per(up["/v1/moderations"] ?? 0),
    },
    redisByCommand: Object.fromEntries(Object.entries(redis).map(([k, v]) => [k, per(v as number)])),
    pgByMessage: Object.fromEntries(Object.entries(pg).map(([k, v]) => [k, per(v as number)])),
  };
}

async function latencyLevel(stack: Stack, t: { direct: Target; worker: Target }, c: number): Promise<LatencyLevel> {
  // Warm-up of both paths at this concurrency (connections, JIT, caches); discarded.
  await closedLoop(t.direct, c, performance.now() + PLAN.warmMs / 2);
  await closedLoop(t.worker, c, performance.now() + PLAN.warmMs);
  const a: ChatResult[] = [];
  const b: ChatResult[] = [];
  const before = snapshot(stack.roles);
  let method: string;
  let pairedTtftP50: number | undefined;
  if (c === 1) {
    method = `strict alternation A,B,A,B… for ${PLAN.c1Ms / 1000} s`;
    const until = performance.now() + PLAN.c1Ms;
    const diffs: number[] = [];
    while (performance.now() < until) {
      const ra = await chatOnce(t.direct);
      const rb = await chatOnce(t.worker);
      a.push(ra);
      b.push(rb);
      if (ra.ok && rb.ok) diffs.push(rb.ttftMs - ra.ttftMs);
    }
    pairedTtftP50 = percentile(diffs, 50);
  } else {
    method = `${PLAN.rounds} round(s) of alternating blocks (A B, then B A) of ${PLAN.blockMs / 1000} s, ${c} concurrent chats each`;
    for (let r = 0; r < PLAN.rounds; r++) {
      const order = r % 2 === 0 ? (["direct", "worker"] as const) : (["worker", "direct"] as const);
      for (const p of order) {
        const rs = await closedLoop(p === "direct" ? t.direct : t.worker, c, performance.now() + PLAN.blockMs);
        (p === "direct" ? a : b).push(...rs);
      }
    }
  }
  const cpu = usageBetween(before, snapshot(stack.roles));
  const direct = pathStats(a);
  const worker = pathStats(b);
  const timings = b.filter((r) => r.ok && r.serverTiming).map((r) => r.serverTiming!);
  const stages = [...new Set(timings.flatMap((t) => Object.keys(t)))];
  const serverTimingP50 = timings.length
    ? Object.fromEntries(stages.map((s) => [s, round(percentile(timings.map((t) => t[s] ?? 0), 50), 2)]))
    : undefined;
  return {
    concurrency: c, method, direct, worker,
    added: {
      ttftP50: worker.ttft.p50 - direct.ttft.p50, ttftP99: worker.ttft.p99 - direct.ttft.p99,
      totalP50: worker.total.p50 - direct.total.p50, totalP99: worker.total.p99 - direct.total.p99,
    },
    pairedTtftP50, serverTimingP50, cpu,
  };
}

interface Ceiling {
  path: "direct" | "worker";
  concurrency: number;
  seconds: number;
  chatsPerSec: number;
  okPct: number;
  ttft: Summary;
  total: Summary;
  errors: Record<string, number>;
  cpu: CpuUsage;
  /** CPU milliseconds per successful chat, by process role (from /proc). */
  cpuMsPerChat: Record<string, number>;
}

function cpuPerChat(cpu: CpuUsage, chats: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (!chats) return out;
  let total = 0;
  for (const [role, pct] of Object.entries(cpu.perRoleCorePct)) {
    const ms = ((pct / 100) * cpu.seconds * 1000) / chats;
    out[role] = round(ms, 2);
    total += ms;
  }
  out.total = round(total, 2);
  return out;
}

async function ceiling(stack: Stack, target: Target, ms: number): Promise<Ceiling> {
  await closedLoop(target, THROUGHPUT_CAP, performance.now() + Math.min(1000, ms / 4));
  const before = snapshot(stack.roles);
  const t0 = performance.now();
  const rs = await closedLoop(target, THROUGHPUT_CAP, t0 + ms);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = usageBetween(before, snapshot(stack.roles));
  const s = pathStats(rs);
  const ok = rs.filter((r) => r.ok).length;
  return {
    path: target.path, concurrency: THROUGHPUT_CAP, seconds: round(seconds, 2), chatsPerSec: ok / seconds,
    okPct: s.okPct, ttft: s.ttft, total: s.total, errors: s.errors, cpu, cpuMsPerChat: cpuPerChat(cpu, ok),
  };
}

interface ThroughputResult {
  ceilings: Ceiling[];
  steps: (Omit<RateStep, "results"> & { pass: boolean; cpu: CpuUsage; ttft: Summary })[];
  highestPassing?: { rate: number; achievedPerSec: number; successPct: number };
  method: string;
}

async function throughput(stack: Stack, t: { direct: Target; worker: Target }): Promise<ThroughputResult> {
  const ceilings = [await ceiling(stack, t.direct, PLAN.ceilingDirectMs), await ceiling(stack, t.worker, PLAN.ceilingWorkerMs)];
  for (const c of ceilings) log(`throughput: closed loop c=${c.concurrency} ${c.path.padEnd(6)} ${c.chatsPerSec.toFixed(0)} chats/s (${c.okPct.toFixed(2)}% ok)`);
  const x = ceilings[1]!.chatsPerSec;
  const steps: ThroughputResult["steps"] = [];
  for (const f of PLAN.fractions) {
    const rate = Math.max(1, Math.round(x * f));
    const before = snapshot(stack.roles);
    const step = await openLoop(t.worker, rate, PLAN.stepMs, THROUGHPUT_CAP);
    const cpu = usageBetween(before, snapshot(stack.roles));
    // Pass: >= 99.9% of the scheduled chats succeeded, and the schedule was kept (an arrival
    // that waited over a second for one of the 64 slots means the Worker fell behind).
    const pass = step.successRatio >= 0.999 && step.maxLagMs <= 1000;
    const { results, ...rest } = step;
    steps.push({ ...rest, pass, cpu, ttft: summarize(results.filter((r) => r.ok).map((r) => r.ttftMs)) });
    log(`throughput: offered ${rate}/s for ${PLAN.stepMs / 1000} s -> ${(step.successRatio * 100).toFixed(2)}% ok, ${step.achievedPerSec.toFixed(0)}/s completed, lag p99 ${step.lagP99Ms.toFixed(0)} ms: ${pass ? "pass" : "FAIL"}`);
    if (!pass) break;
  }
  const passing = steps.filter((s) => s.pass);
  const best = passing.sort((p, q) => q.achievedPerSec - p.achievedPerSec)[0];
  return {
    ceilings, steps,
    highestPassing: best ? { rate: best.rate, achievedPerSec: best.achievedPerSec, successPct: best.successRatio * 100 } : undefined,
    method: `closed loop at c=${THROUGHPUT_CAP} gives the ceiling X; then open-loop steps of ${PLAN.stepMs / 1000} s at ${PLAN.fractions.join(", ")} × X with at most ${THROUGHPUT_CAP} chats in flight; a step passes with >= 99.9% of its scheduled chats successful (HTTP 200, streamed to 'done') and no arrival delayed > 1 s`,
  };
}

// ---------------------------------------------------------------------------------------
// Report

const fmtUs = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(us < 10 ? 2 : us < 100 ? 1 : 0)} µs`);
const fmtMs = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(ms < 10 && ms > -10 ? 2 : 1)}` : "n/a");
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  pass: boolean | null;
  margin: string;
}

function check(name: string, measured: number | undefined, limit: number, unit: string, higherIsBetter = false): TargetCheck {
  const target = `${higherIsBetter ? "≥" : "≤"} ${limit} ${unit}`;
  if (measured === undefined || !Number.isFinite(measured)) return { name, target, measured: "n/a", pass: null, margin: "not measured" };
  const pass = higherIsBetter ? measured >= limit : measured <= limit;
  const diff = higherIsBetter ? measured - limit : limit - measured;
  const pct = (Math.abs(diff) / limit) * 100;
  const margin = pass ? `by ${round(Math.abs(diff), 2)} ${unit} (${pct.toFixed(0)}% headroom)` : `by ${round(Math.abs(diff), 2)} ${unit} (${pct.toFixed(0)}% ${higherIsBetter ? "short" : "over"})`;
  return { name, target, measured: `${round(measured, 2)} ${unit}`, pass, margin };
}

function topCpu(cpu: CpuUsage, n = 7): string {
  const list = Object.entries(cpu.perRoleCorePct).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${k} ${v.toFixed(0)}%`).join(", ");
  return cpu.workerdRestarted ? `${list} [WARNING: wrangler dev reloaded the Worker during this measurement (a source file changed): discard it]` : list;
}

function printReport(r: BenchResult) {
  const out: string[] = [];
  const line = (s = "") => out.push(s);
  line();
  line(`Unialist bench ${r.meta.quick ? "(QUICK smoke run: few samples, numbers indicative only)" : "(full run)"}  ${r.meta.startedAt}`);
  line(`node ${r.meta.node}, ${r.meta.cpus} × ${r.meta.cpuModel}; load average at start ${r.meta.loadAvgStart.join(" / ")}, at end ${r.meta.loadAvgEnd.join(" / ")}`);
  if (r.meta.busyWarning) line(`WARNING: ${r.meta.busyWarning}`);

  if (r.guards) {
    const g = r.guards;
    line();
    line("1. Guard cost inside workerd, per message (p50 / p99)");
    line(`   method: ${g.method}`);
    line(`   ${pad("", 26)}${GUARD_SIZES.map((s) => lpad(`${s.toLocaleString("en")} chars`, 24)).join("")}`);
    for (const c of GUARD_CASES) {
      const cells = GUARD_SIZES.map((s) => {
        const row = g.rows.find((x) => x.case === c.name && x.size === s);
        return lpad(row ? `${fmtUs(row.us.p50)} / ${fmtUs(row.us.p99)}` : "-", 24);
      });
      line(`   ${pad(c.label, 26)}${cells.join("")}`);
    }
    const f = g.rows.find((x) => x.size === 10_000)?.fixture;
    if (f) line(`   10,000-char fixture: injection level ${f.injectionLevel}, PII ${JSON.stringify(f.piiCounts)}, answer ${f.answerChars} chars in ${f.answerChunks} chunks of 4; "all" = sanitize + injection + PII mask + prompt + restore/filter of an answer of the same length + encryption of both turns`);
  }

  if (r.latency) {
    const L = r.latency;
    line();
    line(`2. Added latency: direct to the upstream (A) vs through the Worker (B), ms`);
    line(`   chat: ${L.messageChars}-char message streamed back by the echo model (${L.answerChars} chars, ~1 SSE event per word); client ${L.client}`);
    line(`   ${pad("c", 4)}${pad("path", 9)}${lpad("n", 6)}${lpad("ok%", 8)}${lpad("TTFT p50", 10)}${lpad("TTFT p99", 10)}${lpad("total p50", 11)}${lpad("total p99", 11)}`);
    for (const lv of L.levels) {
      for (const [name, s] of [["A direct", lv.direct], ["B worker", lv.worker]] as const) {
        line(`   ${pad(String(lv.concurrency), 4)}${pad(name, 9)}${lpad(String(s.n), 6)}${lpad(s.okPct.toFixed(1), 8)}${lpad(fmtMs(s.ttft.p50), 10)}${lpad(fmtMs(s.ttft.p99), 10)}${lpad(fmtMs(s.total.p50), 11)}${lpad(fmtMs(s.total.p99), 11)}`);
      }
      line(`   ${pad("", 4)}${pad("B − A", 9)}${lpad("", 14)}${lpad(fmtMs(lv.added.ttftP50), 10)}${lpad(fmtMs(lv.added.ttftP99), 10)}${lpad(fmtMs(lv.added.totalP50), 11)}${lpad(fmtMs(lv.added.totalP99), 11)}${lv.pairedTtftP50 !== undefined ? `   (paired TTFT diff median ${fmtMs(lv.pairedTtftP50)})` : ""}`);
      if (lv.serverTimingP50) line(`        Worker stages, p50 ms (Server-Timing; request arrival to first delta): ${Object.entries(lv.serverTimingP50).map(([k, v]) => `${k} ${fmtMs(v)}`).join(", ")}`);
      const errs = { ...lv.direct.errors, ...lv.worker.errors };
      if (Object.keys(errs).length) line(`        errors: A ${JSON.stringify(lv.direct.errors)} B ${JSON.stringify(lv.worker.errors)}`);
      line(`        CPU (% of one core): ${topCpu(lv.cpu)}; machine ${lv.cpu.machineBusyPct ?? "?"}% busy`);
    }
  }

  if (r.throughput) {
    const T = r.throughput;
    line();
    line("3. Throughput, streamed chats per second");
    line(`   method: ${T.method}`);
    for (const c of T.ceilings) {
      line(`   closed loop c=${c.concurrency} ${pad(c.path === "direct" ? "A direct" : "B worker", 9)} ${lpad(c.chatsPerSec.toFixed(0), 5)}/s  ok ${c.okPct.toFixed(2)}%  TTFT p50/p99 ${fmtMs(c.ttft.p50)}/${fmtMs(c.ttft.p99)} ms  total p50/p99 ${fmtMs(c.total.p50)}/${fmtMs(c.total.p99)} ms`);
      line(`        CPU (% of one core): ${topCpu(c.cpu)}; machine ${c.cpu.machineBusyPct ?? "?"}% busy`);
      const per = c.cpuMsPerChat;
      if (per.total) {
        const wd = per["workerd (Worker runtime)"];
        line(`        CPU per chat: ${per.total.toFixed(2)} ms in all processes${wd ? `, ${wd.toFixed(2)} ms in workerd (the Worker's isolate is one thread: <= ${Math.floor(1000 / wd)} chats/s from that alone)` : ""}; ${c.cpu.cores} cores => <= ${Math.floor((c.cpu.cores * 1000) / per.total)} chats/s on this machine`);
      }
    }
    for (const s of T.steps) {
      line(`   offered ${lpad(String(s.rate), 5)}/s: ${(s.successRatio * 100).toFixed(2)}% ok of ${s.scheduled}, ${s.achievedPerSec.toFixed(0)}/s completed, TTFT p50/p99 ${fmtMs(s.ttft.p50)}/${fmtMs(s.ttft.p99)} ms, lag p99 ${fmtMs(s.lagP99Ms)} ms  ${s.pass ? "pass" : "FAIL"}${Object.keys(s.errors).length ? `  errors ${JSON.stringify(s.errors)}` : ""}`);
    }
    line(`   highest passing: ${T.highestPassing ? `${T.highestPassing.achievedPerSec.toFixed(0)} chats/s (offered ${T.highestPassing.rate}/s, ${T.highestPassing.successPct.toFixed(2)}% ok)` : "none"}`);
  }

  if (r.trips) {
    const T = r.trips;
    line();
    line(`Round trips per chat (${T.chats} sequential chats through the Worker after one per user, background writes included; counted by the local servers)`);
    line(`   Redis (Upstash REST): ${T.perChat.redisHttp} HTTP requests carrying ${T.perChat.redisCommands} commands: ${Object.entries(T.redisByCommand).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    line(`   PostgreSQL (Neon proxy): ${T.perChat.pgConnections} connections, ${T.perChat.pgRoundTrips} round trips (client messages: ${Object.entries(T.pgByMessage).map(([k, v]) => `${k} ${v}`).join(", ")}; HTTP queries ${T.perChat.pgHttpQueries})`);
    line(`   model upstream: ${T.perChat.upstreamChat} chat completions, ${T.perChat.upstreamModeration} moderation requests`);
  }

  if (r.profile) {
    const P = r.profile;
    line();
    line(`4. Where the Worker's CPU goes (--profile: V8 CPU profile of workerd, c=16 for ${P.seconds.toFixed(1)} s, ${P.chats} chats; ${path.relative(ROOT, P.file)})`);
    line(`   isolate busy ${P.summary.busyPct}% of the time; ~${P.cpuMsPerChat.toFixed(2)} ms of JavaScript/runtime per chat`);
    line("   by source file (natives such as timers, streams and fetch charged to their JS caller):");
    for (const f of P.summary.topFiles.slice(0, 14)) line(`     ${lpad(f.selfPct.toFixed(1), 5)}%  ${f.file}`);
    line("   hottest functions (self time):");
    for (const f of P.summary.topFunctions.slice(0, 10)) line(`     ${lpad(f.selfPct.toFixed(1), 5)}%  ${pad(f.name, 28)} ${f.where}`);
  }

  line();
  line("Targets");
  for (const t of r.targets) line(`   ${t.pass === null ? "n/a " : t.pass ? "PASS" : "MISS"}  ${pad(t.name, 44)} ${pad(t.target, 12)} measured ${pad(t.measured, 14)} ${t.margin}`);

  line();
  line("What bounds these numbers");
  for (const b of r.bounds) line(`   - ${b}`);
  line();
  line(`JSON: ${path.relative(ROOT, r.meta.jsonFile)} (and bench/results/latest.json)`);
  console.log(out.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Main

interface BenchResult {
  meta: {
    startedAt: string;
    finishedAt?: string;
    quick: boolean;
    node: string;
    cpus: number;
    cpuModel: string;
    loadAvgStart: number[];
    loadAvgEnd: number[];
    busyWarning?: string;
    git?: { commit: string; dirty: string[] };
    jsonFile: string;
    plan: typeof PLAN;
    stack?: Record<string, string>;
    overrides?: Record<string, string>;
  };
  guards?: GuardsResult;
  latency?: { client: string; messageChars: number; answerChars: number; levels: LatencyLevel[] };
  throughput?: ThroughputResult;
  trips?: TripCounts;
  profile?: { file: string; seconds: number; chats: number; cpuMsPerChat: number; summary: ProfileSummary };
  targets: TargetCheck[];
  bounds: string[];
}

function gitInfo(): { commit: string; dirty: string[] } | undefined {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "worker", "dev", "db"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
    return { commit, dirty };
  } catch {
    return undefined;
  }
}

function bounds(r: BenchResult): string[] {
  const out = [
    `CPU: ${os.cpus().length} cores shared by the load generator, the model upstream, wrangler + workerd (one isolate: the Worker's JavaScript runs on ONE thread), dev/start.ts (Upstash-REST bridge + Neon WebSocket proxy in one Node event loop), Redis and PostgreSQL${r.meta.busyWarning ? ", and, during this run, other users of the machine" : ""}. Production spreads isolates over many machines; here everything competes for the same cores.`,
    "Redis through the Upstash-REST bridge: each guard decision is an HTTP request workerd -> Node bridge -> Redis (user cache, 2 rate-limit scripts, data-key cache before the first token; budget settle and breaker report after). Real Upstash adds network RTT instead of the bridge's CPU.",
    "PostgreSQL: every row is written after the answer over Neon's HTTP endpoint (the local /sql of dev/neon-ws-proxy.ts), no connection per chat: the chat, message and usage rows in one statement, and, for a chat that is audited (fenced text, critical domain, a block: the bench message is fenced and in the legal domain), the audit row appended to its hash chain without the lock (head read, insert; a connection and the chain lock only after lost races). Off the TTFT path, but CPU in workerd, the proxy and PostgreSQL per chat, which bounds throughput.",
    "wrangler dev / workerd local mode: performance.now() coarsened to 1 ms (part 1 interpolates inside the tick), inspector and dev proxy layers present; the Circuit-breaker Durable Object (one instance per provider) is asked before and after every call.",
    `Content moderation (MODERATION_PROVIDER, default openai) is on: one check of the message before the model call and, during the answer, one check per ${Math.ceil(Number(r.meta.stack?.MODERATION_OUTPUT_WINDOW_CHARS ?? 1600) / 2)} new characters (window ${r.meta.stack?.MODERATION_OUTPUT_WINDOW_CHARS ?? 1600}), about ${r.latency ? Math.ceil(r.latency.answerChars / Math.ceil(Number(r.meta.stack?.MODERATION_OUTPUT_WINDOW_CHARS ?? 1600) / 2)) + 1 : "?"} moderation requests per chat here, all to the same local upstream process (a real moderation API adds its round trip to the input check, MODERATION_TIMEOUT_MS ${r.meta.stack?.MODERATION_TIMEOUT_MS ?? 1500} ms, fail closed → 503 when exceeded).`,
    "The demo upstream streams one SSE event per word with no think time: TTFT and total time are dominated by local CPU, not by a model; absolute times are far below a real provider's, so B − A is the meaningful number.",
  ];
  const wc = r.throughput?.ceilings.find((c) => c.path === "worker");
  if (wc) out.push(`During the c=${wc.concurrency} worker ceiling: ${topCpu(wc.cpu, 9)} (% of one core; machine ${wc.cpu.machineBusyPct ?? "?"}% busy over ${wc.cpu.cores} cores).`);
  return out;
}

async function main() {
  fs.mkdirSync(RESULTS, { recursive: true });
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  const jsonFile = path.join(RESULTS, `${stamp}.json`);
  const load = os.loadavg().map((x) => round(x, 2));
  const result: BenchResult = {
    meta: {
      startedAt: started.toISOString(), quick: QUICK, node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "?",
      loadAvgStart: load, loadAvgEnd: [], git: gitInfo(), jsonFile, plan: PLAN,
    },
    targets: [],
    bounds: [],
  };
  if (load[0]! > os.cpus().length * 0.5) {
    result.meta.busyWarning = `the machine is busy (1-min load average ${load[0]} on ${os.cpus().length} cores): numbers are noisy and pessimistic; re-measure on a quiet machine`;
    log(result.meta.busyWarning);
  }
  if (result.meta.git?.dirty.length) log(`uncommitted changes measured: ${result.meta.git.dirty.join(", ")}`);

  let stack: Stack | undefined;
  let interrupted = false;
  const onSignal = (sig: string) => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: cleaning up…`);
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));

  try {
    if (ONLY.has("guards")) {
      log("part 1: guard cost inside workerd");
      result.guards = await runGuards({ root: ROOT, quick: QUICK, log });
    }
    if (ONLY.has("latency") || ONLY.has("throughput") || ONLY.has("trips") || PROFILE) {
      log("parts 2-3: starting the bench stack");
      stack = await startStack({ root: ROOT, users: USERS, resultsDir: RESULTS, stamp, log, overrides: OVERRIDES, verboseLogs: flag("stack-logs") });
      if (Object.keys(OVERRIDES).length) result.meta.overrides = OVERRIDES;
      const { JWT_SECRET: _j, ADMIN_TOKEN: _a, METRICS_TOKEN: _m, ENCRYPTION_KEYS: _e, OPENAI_API_KEY: _o, ...publicSettings } = stack.settings;
      result.meta.stack = { ...publicSettings, users: String(stack.users.length), database: stack.databaseName };
      const client = await initClient(option("client") === "fetch" ? "fetch" : "undici", 512);
      const targets = makeTargets(stack);
      // Sanity: one chat each way must work before anything is measured.
      for (const t of [targets.direct, targets.worker]) {
        const r = await chatOnce(t);
        if (!r.ok) throw new Error(`a ${t.path} chat failed before measuring: ${r.error} (stack log: ${path.relative(ROOT, stack.logFile)})`);
      }
      if (ONLY.has("trips")) {
        result.trips = await countTrips(stack, targets.worker, QUICK ? 5 : 10);
        const t = result.trips.perChat;
        log(`trips per chat: Redis ${t.redisHttp} HTTP / ${t.redisCommands} commands, PostgreSQL ${t.pgConnections} connections / ${t.pgRoundTrips} round trips, upstream ${t.upstreamChat} chat + ${t.upstreamModeration} moderation`);
      }
      if (ONLY.has("latency")) {
        log("part 2: added latency");
        const levels: LatencyLevel[] = [];
        for (const c of CONCURRENCY) {
          const lv = await latencyLevel(stack, targets, c);
          levels.push(lv);
          log(`latency: c=${String(c).padEnd(3)} TTFT p50 A ${fmtMs(lv.direct.ttft.p50)} B ${fmtMs(lv.worker.ttft.p50)} (+${fmtMs(lv.added.ttftP50)})  p99 A ${fmtMs(lv.direct.ttft.p99)} B ${fmtMs(lv.worker.ttft.p99)} (+${fmtMs(lv.added.ttftP99)})  ok A ${lv.direct.okPct.toFixed(1)}% B ${lv.worker.okPct.toFixed(1)}%`);
          if (lv.serverTimingP50) log(`latency: c=${c} Worker stages p50 ms: ${Object.entries(lv.serverTimingP50).map(([k, v]) => `${k} ${fmtMs(v)}`).join(", ")}`);
        }
        result.latency = { client, messageChars: targets.messageChars, answerChars: targets.answerChars, levels };
      }
      if (ONLY.has("throughput")) {
        log("part 3: throughput");
        result.throughput = await throughput(stack, targets);
      }
      if (PROFILE) {
        log("profile: CPU profile of the Worker at c=16");
        const t0 = performance.now();
        const { result: rs, profile, bundles } = await profileWhile(Number(stack.settings.DEV_INSPECTOR_PORT), () => closedLoop(targets.worker, 16, performance.now() + PLAN.profileMs));
        const seconds = (performance.now() - t0) / 1000;
        const file = path.join(RESULTS, `${stamp}.cpuprofile`);
        fs.writeFileSync(file, JSON.stringify(profile));
        const summary = summarizeProfile(profile, bundles, 25);
        const chats = rs.filter((r) => r.ok).length;
        result.profile = { file, seconds, chats, cpuMsPerChat: chats ? (summary.totalMs * summary.busyPct) / 100 / chats : NaN, summary };
      }
    }
  } finally {
    await closeClient().catch(() => {});
    if (stack) {
      log("stopping the bench stack (processes, database, Redis keys)");
      await stack.stop();
    }
  }

  const g10k = result.guards?.rows.find((x) => x.case === "all" && x.size === 10_000);
  const c1 = result.latency?.levels.find((l) => l.concurrency === 1);
  const c16 = result.latency?.levels.find((l) => l.concurrency === 16);
  result.targets = [
    check("all guards together, p99 at 10,000 chars", g10k ? g10k.us.p99 / 1000 : undefined, TARGETS.guardsP99At10kUs / 1000, "ms"),
    check("added TTFT p50 at c=1 (B − A)", c1?.added.ttftP50, TARGETS.addedTtftP50AtC1Ms, "ms"),
    check("added TTFT p99 at c=16 (B − A)", c16?.added.ttftP99, TARGETS.addedTtftP99AtC16Ms, "ms"),
    check("streamed chats/s at c=64 with >= 99.9% ok", result.throughput?.highestPassing?.achievedPerSec, TARGETS.chatsPerSecAtC64, "chats/s", true),
  ];
  result.meta.loadAvgEnd = os.loadavg().map((x) => round(x, 2));
  result.meta.finishedAt = new Date().toISOString();
  result.bounds = bounds(result);
  const json = JSON.stringify(result, null, 2);
  fs.writeFileSync(jsonFile, json);
  fs.writeFileSync(path.join(RESULTS, "latest.json"), json);
  printReport(result);
}

main().then(() => process.exit(0), (e) => {
  console.error(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
  process.exit(1);
});
