/**
 * `npm run load`: 1,000 chat requests at once from many users against the whole local stack
 * (dev/start.ts on free ports, private redis-server, throwaway database unialist_load_<hex>).
 *
 * Users get their tier through the admin API so every rate-limit decision is known in
 * advance: by default 50 free users (limit 10/h) send 12 each -> exactly 10 accepted and
 * 2 refused (429) per user, and 50 basic users (100/h) send 8 each -> all accepted.
 * Checks: every request answered, zero 5xx, the exact count per user, every accepted chat
 * streamed to `done`, and exactly one usage row per accepted chat (none per refusal), read
 * from PostgreSQL by request id (X-Request-Id).
 *
 * PostgreSQL is reached through a proxy of this run that caps the connections opened at once
 * (LOAD_PG_MAX_CONNS, default 40; 0 = no cap) so the burst cannot take every connection of the
 * shared server (max_connections 100); the peak the Worker ASKED for is reported.
 *
 * LOAD_WARM=1 (default): each user sends one chat before the burst, so the burst meets warm
 * Redis caches (profile, consent, data key) as returning users do; that chat counts in the
 * user's window (free: 1 + 9 accepted + 3 refused = 10 accepted in the hour). LOAD_WARM=0:
 * the burst is every user's first chat (cold caches: every request reads PostgreSQL).
 *
 * Settings (env): LOAD_FREE_USERS 50, LOAD_FREE_EACH 12, LOAD_BASIC_USERS 50, LOAD_BASIC_EACH 8,
 * LOAD_PG_MAX_CONNS 40, LOAD_TIMEOUT_S 300 (per request), LOAD_KEEP_LOGS=1, LOAD_SNAPSHOT=0.
 */
import os from "node:os";
import { chat, createUsers, requestRetry, triggerHourlyCron, type ChatResult, type LoadUser } from "./lib/client";
import { pgConnections, RunDb, waitForPgHeadroom, waitUntil } from "./lib/db";
import { guardRun, PG_ADMIN_URL, startStack, type Stack } from "./lib/stack";
import { countBy, envInt, fmtCounts, mapLimit, percentile, sleep, table } from "./lib/util";

const FREE_USERS = envInt("LOAD_FREE_USERS", 50);
const FREE_EACH = envInt("LOAD_FREE_EACH", 12);
const BASIC_USERS = envInt("LOAD_BASIC_USERS", 50);
const BASIC_EACH = envInt("LOAD_BASIC_EACH", 8);
const PG_MAX = envInt("LOAD_PG_MAX_CONNS", 40);
const TIMEOUT_S = envInt("LOAD_TIMEOUT_S", 300);
/** One chat per user before the burst (fills the Redis caches of profile, consent and data key). */
const WARM = envInt("LOAD_WARM", 1) > 0;
const LIMITS = { free: 10, basic: 100 } as const;

const log = (l: string) => console.log(l);
let stack: Stack | undefined;
const release = guardRun("load", 20 * 60_000, async () => {
  await stack?.stop();
});

interface Sent {
  user: LoadUser;
  n: number;
  result: ChatResult;
}

let failed = false;
const problems: string[] = [];
try {
  const t0 = Date.now();
  log(`[load] starting the stack (private Redis; PostgreSQL behind a proxy capped at ${PG_MAX || "no"} connections)…`);
  stack = await startStack({ kind: "load", pgProxy: PG_MAX > 0 ? { maxConnections: PG_MAX } : undefined, env: { RATE_LIMIT_FREE: String(LIMITS.free), RATE_LIMIT_BASIC: String(LIMITS.basic) } });
  log(`[load] stack ready in ${((Date.now() - t0) / 1000).toFixed(0)} s at ${stack.url} (db ${stack.dbName})`);
  const db = new RunDb(stack.databaseUrl);

  const t1 = Date.now();
  const free = await createUsers(stack.url, stack.adminToken, FREE_USERS, "free", { concurrency: 4 });
  const basic = await createUsers(stack.url, stack.adminToken, BASIC_USERS, "basic", { concurrency: 4 });
  log(`[load] ${free.length} free + ${basic.length} basic users registered, tiers set by the admin API, in ${((Date.now() - t1) / 1000).toFixed(0)} s`);

  if (WARM) {
    const t2 = Date.now();
    const warm = await mapLimit([...free, ...basic], 8, async (u) => {
      let r = await chat(stack!.url, u.token, "Bonjour !", { timeoutMs: 60_000 });
      for (let attempt = 1; !r.done && attempt < 4; attempt++) {
        await sleep(1000 * attempt);
        r = await chat(stack!.url, u.token, "Bonjour !", { timeoutMs: 60_000 });
      }
      return r;
    });
    const bad = warm.filter((r) => !r.done);
    if (bad.length) throw new Error(`${bad.length} warm-up chat(s) failed: ${fmtCounts(countBy(bad, (r) => `${r.status} ${r.code ?? r.errorEvent ?? r.failure ?? ""}`))}`);
    log(`[load] one warm-up chat per user done in ${((Date.now() - t2) / 1000).toFixed(0)} s (counts in each user's window)`);
    await sleep(2000); // let their rows be written
  }
  // Requests already counted in each user's window (warm-up, retries): the burst's exact expectation starts there.
  const usedBefore = new Map<LoadUser, number>();
  await mapLimit([...free, ...basic], 8, async (u) => {
    const me = await requestRetry(stack!.url, "GET", "/api/me", { token: u.token });
    if (me.status !== 200) throw new Error(`GET /api/me: ${me.status} ${me.body.slice(0, 200)}`);
    usedBefore.set(u, Number(me.json.usage.requestsThisHour));
  });

  const plan: { user: LoadUser; n: number }[] = [];
  for (const u of free) for (let n = 0; n < FREE_EACH; n++) plan.push({ user: u, n });
  for (const u of basic) for (let n = 0; n < BASIC_EACH; n++) plan.push({ user: u, n });
  // Interleave users so no user's requests are bunched at the front.
  plan.sort((a, b) => a.n - b.n);

  // Other users of the shared PostgreSQL may hold most of its connections for a while: wait (bounded).
  const headroom = await waitForPgHeadroom(PG_ADMIN_URL, stack.dbName, (PG_MAX || 40) + 5, 60_000);
  log(`[load] shared PostgreSQL: ${headroom.total}/${headroom.max} connections in use before the burst${headroom.ok ? "" : " (NOT enough headroom after 60 s: results may show 'too many clients' caused by others)"}`);
  stack.pgProxy?.resetPeaks();
  let pgPeak = { total: 0, db: 0, max: 0 };
  let sampling = true;
  const sampler = (async () => {
    for (let i = 0; sampling && i < 100_000; i++) {
      const c = await pgConnections(PG_ADMIN_URL, stack!.dbName).catch(() => undefined);
      if (c && c.db > pgPeak.db) pgPeak = c;
      await sleep(250);
    }
  })();

  const cpuBefore = stack.cpuByPart();
  const redisBefore = await stack.redis.commandStats();
  log(`[load] sending ${plan.length} chat requests at once (${WARM ? "warm" : "cold"} caches)…`);
  const start = Date.now();
  const sent: Sent[] = await Promise.all(plan.map(({ user, n }) =>
    chat(stack!.url, user.token, `Bonjour, question de charge numéro ${n} de ${user.email.split("@")[0]}.`, { timeoutMs: TIMEOUT_S * 1000 })
      .then((result) => ({ user, n, result }))));
  const wall = Date.now() - start;
  const cpuAfter = stack.cpuByPart();
  const redisAfter = await stack.redis.commandStats();
  sampling = false;
  await sampler;
  const lastSentAt = Math.max(...sent.map((s) => s.result.sentAt));
  const firstAnswerAt = Math.min(...sent.filter((s) => s.result.headersAt).map((s) => s.result.headersAt!));
  log(`[load] all answered in ${(wall / 1000).toFixed(1)} s (last request sent ${lastSentAt - start} ms after the first; first answer after ${firstAnswerAt - start} ms)`);

  // --- answers -------------------------------------------------------------------------
  const outcome = (r: ChatResult) => r.status === 0 ? `no answer (${r.failure})` : r.status === 200 ? (r.done ? "200 done" : `200 ${r.errorEvent ? `error:${r.errorEvent}` : "unfinished"}`) : `${r.status} ${r.code ?? "?"}`;
  const byOutcome = countBy(sent, (s) => outcome(s.result));
  const unanswered = sent.filter((s) => s.result.status === 0);
  const fivexx = sent.filter((s) => s.result.status >= 500);
  if (unanswered.length) problems.push(`${unanswered.length} request(s) not answered: ${fmtCounts(countBy(unanswered, (s) => s.result.failure ?? "?"))}`);
  if (fivexx.length) problems.push(`${fivexx.length} 5xx answer(s): ${fmtCounts(countBy(fivexx, (s) => outcome(s.result)))}`);
  const acceptedNotDone = sent.filter((s) => s.result.status === 200 && !s.result.done);
  if (acceptedNotDone.length) problems.push(`${acceptedNotDone.length} accepted chat(s) did not stream to done: ${fmtCounts(countBy(acceptedNotDone, (s) => outcome(s.result)))}`);
  const unexpected = sent.filter((s) => s.result.status !== 200 && s.result.status !== 429 && s.result.status < 500 && s.result.status !== 0);
  if (unexpected.length) problems.push(`${unexpected.length} unexpected answer(s): ${fmtCounts(countBy(unexpected, (s) => outcome(s.result)))}`);
  // 429 overloaded is the admission stage shedding load (not a 5xx, but not wanted either at this size).
  const overloaded = sent.filter((s) => s.result.status === 429 && s.result.code === "overloaded");
  if (overloaded.length) problems.push(`${overloaded.length} request(s) refused 429 overloaded by admission control (ADMISSION_MAX_QUEUED / ADMISSION_MAX_WAIT_MS too small for this burst)`);
  const noRetryAfter = sent.filter((s) => s.result.status === 429 && !s.result.retryAfter);
  if (noRetryAfter.length) problems.push(`${noRetryAfter.length} 429 answer(s) without Retry-After`);

  // --- exact rate-limit decisions per user -----------------------------------------------
  const usedAfter = new Map<LoadUser, number>();
  await mapLimit([...free, ...basic], 8, async (u) => {
    const me = await requestRetry(stack!.url, "GET", "/api/me", { token: u.token });
    if (me.status === 200) usedAfter.set(u, Number(me.json.usage.requestsThisHour));
  });
  const tierRows = [];
  for (const [tier, users, each] of [["free", free, FREE_EACH], ["basic", basic, BASIC_EACH]] as const) {
    let exact = 0;
    const wrong: string[] = [];
    const wants = new Set<string>();
    for (const u of users) {
      const want = Math.max(0, Math.min(LIMITS[tier] - usedBefore.get(u)!, each));
      wants.add(`${usedBefore.get(u)}+${want}+${each - want}`);
      const mine = sent.filter((s) => s.user === u);
      const ok = mine.filter((s) => s.result.status === 200).length;
      const limited = mine.filter((s) => s.result.status === 429 && s.result.code === "rate_limited").length;
      // The window's count afterwards must be what was there plus what was accepted.
      const counted = usedAfter.get(u) === usedBefore.get(u)! + ok;
      if (ok === want && limited === each - want && counted) exact++;
      else wrong.push(`${ok}+${limited}${counted ? "" : ` (window ${usedBefore.get(u)}->${usedAfter.get(u)})`}`);
    }
    if (wrong.length) problems.push(`${tier}: ${wrong.length} user(s) not decided exactly (want ${[...wants].join("/")} (before+accepted+refused); got accepted+429 ${fmtCounts(countBy(wrong, (w) => w))})`);
    const mine = sent.filter((s) => s.user.tier === tier);
    tierRows.push({
      tier, limit: LIMITS[tier], users: users.length, "burst each": each, "burst sent": mine.length,
      "want/user (before+ok+429)": [...wants].join(" "),
      accepted: mine.filter((s) => s.result.status === 200).length,
      "refused 429": mine.filter((s) => s.result.status === 429 && s.result.code === "rate_limited").length,
      other: mine.filter((s) => s.result.status !== 200 && !(s.result.status === 429 && s.result.code === "rate_limited")).length,
      "users exact": `${exact}/${users.length}`,
    });
  }

  // --- usage rows -----------------------------------------------------------------------
  const accepted = sent.filter((s) => s.result.status === 200 && s.result.requestId);
  const refused = sent.filter((s) => s.result.status === 429 && s.result.code === "rate_limited" && s.result.requestId);
  const missingId = sent.filter((s) => (s.result.status === 200 || s.result.status === 429) && !s.result.requestId).length;
  if (missingId) problems.push(`${missingId} answer(s) without X-Request-Id`);
  const acceptedIds = accepted.map((s) => s.result.requestId!);
  const refusedIds = refused.map((s) => s.result.requestId!);
  const waitStart = Date.now();
  let usage = await db.usage([...acceptedIds, ...refusedIds]);
  const immediately = acceptedIds.filter((id) => usage.counts.get(id) === 1).length;
  let lastCron = 0;
  let cronRuns = 0;
  const done = await waitUntil(async () => {
    usage = await db.usage([...acceptedIds, ...refusedIds]);
    return acceptedIds.every((id) => usage.counts.get(id) === 1);
  }, {
    timeoutMs: 180_000, intervalMs: 2000,
    // Rows that went to the outbox: its alarm retries; the hourly cron flushes too.
    tick: async () => {
      if (Date.now() - waitStart > 10_000 && Date.now() - lastCron > 10_000) {
        lastCron = Date.now();
        cronRuns++;
        await triggerHourlyCron(stack!.url);
      }
    },
  });
  const missing = acceptedIds.filter((id) => (usage.counts.get(id) ?? 0) === 0).length;
  const dup = acceptedIds.filter((id) => (usage.counts.get(id) ?? 0) > 1).length;
  const forRefused = refusedIds.filter((id) => (usage.counts.get(id) ?? 0) > 0).length;
  if (missing) problems.push(`${missing} accepted chat(s) without a usage row (after ${Math.round((Date.now() - waitStart) / 1000)} s, ${cronRuns} cron flush(es))`);
  if (dup) problems.push(`${dup} accepted chat(s) with more than one usage row`);
  if (forRefused) problems.push(`${forRefused} refused request(s) with a usage row`);
  const usageStatuses = countBy(acceptedIds, (id) => usage.statuses.get(id) ?? "none");

  // --- report ---------------------------------------------------------------------------
  log("");
  log(table("Answers", Object.entries(byOutcome).map(([k, v]) => ({ outcome: k, count: v }))));
  log(table("Rate-limit decisions per tier", tierRows));
  const lat = (rows: Sent[]) => rows.map((s) => s.result.endAt - s.result.sentAt);
  const ttfb = (rows: Sent[]) => rows.filter((s) => s.result.headersAt).map((s) => s.result.headersAt! - s.result.sentAt);
  const latRow = (name: string, rows: Sent[]) => {
    const l = lat(rows);
    const h = ttfb(rows);
    return { answers: name, n: rows.length, "headers p50": percentile(h, 50), "headers p95": percentile(h, 95), "end p50": percentile(l, 50), "end p95": percentile(l, 95), "end max": l.length ? Math.max(...l) : NaN };
  };
  log(table("Latency (ms, client side)", [latRow("200 (streamed)", accepted), latRow("429", refused)]));
  log(table("Usage rows (PostgreSQL, by request id)", [{
    "accepted chats": acceptedIds.length, "rows expected": acceptedIds.length,
    "rows found": acceptedIds.reduce((s, id) => s + (usage.counts.get(id) ?? 0), 0),
    "present right after the burst": immediately, "missing": missing, "duplicated": dup, "rows for 429s": forRefused,
    "statuses": fmtCounts(usageStatuses), "cron flushes": cronRuns, "complete": done ? "yes" : "NO",
  }]));
  const proxy = stack.pgProxy?.stats;
  log(table("PostgreSQL connections", [{
    "cap (proxy)": PG_MAX || "none",
    "peak asked by the Worker": proxy?.peakDemand ?? "-", "peak open": proxy?.peakOpen ?? "-",
    "had to wait": proxy?.queued ?? "-", "longest wait ms": proxy?.maxWaitMs ?? "-",
    "gave up waiting": proxy?.gaveUpWaiting ?? "-", "accepted total": proxy?.accepted ?? "-",
    "peak seen in pg_stat_activity (this db / all / max)": `${pgPeak.db} / ${pgPeak.total} / ${pgPeak.max}`,
  }]));
  log(table("CPU used by the stack during the burst", Object.keys(cpuAfter).map((part) => ({ part, "CPU s": ((cpuAfter[part]! - (cpuBefore[part] ?? 0)) / 1000).toFixed(1), "ms per request": ((cpuAfter[part]! - (cpuBefore[part] ?? 0)) / sent.length).toFixed(1) }))));
  const redisDelta = Object.entries(redisAfter).map(([k, v]) => [k, v - (redisBefore[k] ?? 0)] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  const redisTotal = redisDelta.reduce((s, [, v]) => s + v, 0);
  log(`  Redis commands during the burst: ${redisTotal} (${(redisTotal / sent.length).toFixed(1)} per request; one HTTP call to the Upstash REST bridge each unless pipelined): ${redisDelta.slice(0, 8).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  log(`  throughput ${(sent.length / (wall / 1000)).toFixed(1)} requests/s; machine load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} (${os.cpus().length} CPUs)`);
  const failedIds = sent.filter((s) => s.result.status >= 500 && s.result.requestId).map((s) => s.result.requestId!);
  if (failedIds.length) log(table("Why the Worker answered 5xx (its log)", Object.entries(stack.failureCauses(failedIds)).sort((a, b) => b[1] - a[1]).map(([cause, n]) => ({ cause, count: n }))));
  const grep = (re: RegExp) => stack!.grepLog(re).length;
  log(table("Stack log", [{
    "too many clients": grep(/too many clients/i), "rows sent to outbox": grep(/sent to outbox/), "rows lost": grep(/rows lost|row lost/),
    "Uncaught": grep(/Uncaught/), "dependency unavailable": grep(/dependency unavailable/), "worker reloads": grep(/Reloading local server/),
    "provider idle timeouts": grep(/"kind":"idle_timeout"/), "provider total timeouts": grep(/"kind":"timeout"/),
  }]));
  for (const l of stack.grepLog(/rows lost|row lost|too many clients|unhandled error/i).slice(0, 5)) log(`  log: ${l.slice(0, 300)}`);
  await db.end();
  const exactUsers = tierRows.reduce((s, r) => s + Number(String(r["users exact"]).split("/")[0]), 0);
  const rowsFound = acceptedIds.reduce((s, id) => s + (usage.counts.get(id) ?? 0), 0);
  log("");
  log(`[load] summary: sent ${sent.length}, answered ${sent.length - unanswered.length}, 5xx ${fivexx.length}, 429 overloaded ${overloaded.length}, ` +
    `accepted ${sent.filter((s) => s.result.status === 200).length} (streamed to done ${sent.filter((s) => s.result.done).length}), 429 rate_limited ${refusedIds.length}, ` +
    `users decided exactly ${exactUsers}/${free.length + basic.length}, usage rows ${rowsFound} for ${acceptedIds.length} accepted (missing ${missing}, duplicated ${dup}, for 429s ${forRefused})`);
  if (problems.length) {
    failed = true;
    log(`[load] MISS:`);
    for (const p of problems) log(`  - ${p}`);
  } else {
    log(`[load] PASS: ${sent.length} requests, ${acceptedIds.length} accepted, ${refusedIds.length} refused (429) exactly as the limits say, zero 5xx, zero overloaded, one usage row per accepted chat`);
  }
} catch (e) {
  failed = true;
  console.error(`[load] error: ${e instanceof Error ? e.stack : e}`);
  console.log("[load] MISS: the run did not complete (error above)");
  if (stack) console.error(`[load] last lines of the stack:\n${stack.tail(30)}`);
} finally {
  await stack?.stop();
  release();
}
process.exit(failed ? 1 : 0);
