/**
 * Bench worker: runs the chat guards INSIDE workerd and times them there.
 *
 *   GET  /clock  how this runtime's clock behaves (granularity, live or frozen between I/O)
 *   POST /run    {case, size, samples, warmupMs, maxMs, targetBatchUs} -> per-iteration samples (µs)
 *
 * Clock. Inside workerd performance.now() is coarsened (Spectre mitigation). Two behaviours
 * are handled, detected by /clock:
 *  - "live": the clock advances during pure computation but in coarse ticks (1 ms in local
 *    workerd). Each batch starts exactly on a tick edge (busy-wait until the value changes)
 *    and its end is interpolated inside the last tick: after the batch we count how many
 *    clock reads fit before the next edge, and a calibrated reads-per-tick rate turns that
 *    count into the unfinished fraction of the tick. Resolution: well under 1 µs of reads,
 *    so a batch can be a single iteration.
 *  - "frozen": the clock only moves at I/O (production behaviour). Each batch is bracketed
 *    by an I/O tick (`await scheduler.wait(0)`), and the median cost of an empty bracket is
 *    subtracted; batches are then sized to many ticks so the bracket noise stays small.
 * In both modes a batch runs K iterations (K sized so a batch lasts about targetBatchUs)
 * and the sample is the batch mean; for large inputs K is 1 (true per-iteration numbers).
 */
import { encryptMessage, generateDataKey } from "../worker/crypto";
import { scoreInjection } from "../worker/stages/injection";
import { createOutputFilter } from "../worker/stages/output-filter";
import { createPiiRestorer, maskPii, type PiiMapping } from "../worker/stages/pii";
import { buildPrompt, newCanary } from "../worker/stages/prompt";
import { sanitize } from "../worker/stages/sanitize";
import { chunk4, fakeSecretValues, modelAnswer, userMessage } from "./texts";

export const CASES = ["sanitize", "injection", "pii", "encrypt", "output", "outputSetup", "all"] as const;
export type CaseName = (typeof CASES)[number];

export interface RunSpec {
  case: CaseName;
  size: number;
  samples: number;
  warmupMs: number;
  maxMs: number;
  targetBatchUs: number;
}

export interface RunResult {
  case: CaseName;
  size: number;
  clock: ClockInfo;
  /** Iterations per timed batch. */
  k: number;
  /** Per-iteration time of each batch (batch time / k), µs. */
  samplesUs: number[];
  warmupIterations: number;
  /** Batches measured again because a preemption hit the clock reading itself. */
  preemptedRetries: number;
  fixture: Record<string, unknown>;
}

export interface ClockInfo {
  mode: "live" | "frozen";
  /** Smallest step of performance.now(), ms. */
  tickMs: number;
  /** live: clock reads per tick (interpolation rate); frozen: median empty I/O bracket, µs. */
  readsPerTick?: number;
  emptyBracketUs?: number;
}

const now = () => performance.now();

// ---------------------------------------------------------------------------------------
// Clock

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * q))]! : NaN;
}
const median = (xs: number[]) => quantile(xs, 0.5);

/**
 * Clock reads per tick when the isolate is not preempted: preemption (a busy machine) only
 * ever LOWERS a tick's count, so a high quantile of the counts is the undisturbed rate.
 */
function readsPerTick(ticks: number): number {
  const reads: number[] = [];
  toEdge();
  for (let i = 0; i < ticks; i++) reads.push(toEdge().reads);
  return quantile(reads, 0.9);
}

/** Busy-waits to the next clock edge; returns the new value and how many reads it took. */
function toEdge(): { at: number; reads: number; step: number } {
  const t = now();
  let n = t;
  let reads = 0;
  // Bounded: a frozen clock is detected before this is used (and 5e7 reads is ~seconds).
  while (n === t && reads < 50_000_000) {
    n = now();
    reads++;
  }
  // step > one tick: the thread was descheduled while waiting (busy machine).
  return { at: n, reads, step: n - t };
}

let clockCache: ClockInfo | undefined;
let preemptedRetries = 0;
/** Live clock: median cost of the timer turn that closes an async batch (see timeBatch). */
let asyncTurnUs = 0;

async function probeClock(): Promise<ClockInfo> {
  // Live or frozen: does the clock move during ~30 ms of pure computation?
  const t0 = now();
  let moved = false;
  let x = 0;
  for (let i = 0; i < 3_000_000 && !moved; i++) {
    x = (x * 31 + i) | 0;
    if ((i & 1023) === 0 && now() !== t0) moved = true;
  }
  if (x === 42) console.log(""); // keep the loop
  if (moved) {
    const deltas: number[] = [];
    toEdge();
    for (let i = 0; i < 15; i++) {
      const a = toEdge();
      const b = toEdge();
      deltas.push(b.at - a.at);
    }
    return { mode: "live", tickMs: median(deltas), readsPerTick: readsPerTick(40) };
  }
  const brackets: number[] = [];
  for (let i = 0; i < 21; i++) {
    await scheduler.wait(0);
    const a = now();
    await scheduler.wait(0);
    brackets.push((now() - a) * 1000);
  }
  const steps = brackets.filter((b) => b > 0);
  return { mode: "frozen", tickMs: steps.length ? Math.min(...steps) / 1000 : 1, emptyBracketUs: median(brackets) };
}

async function clock(): Promise<ClockInfo> {
  return (clockCache ??= await probeClock());
}

/** Recalibrates the interpolation rate (CPU contention changes it); live mode only. */
function recalibrate(c: ClockInfo): ClockInfo {
  return c.mode === "live" ? { ...c, readsPerTick: readsPerTick(30) } : c;
}

/**
 * Times `k` calls of `fn` (µs for the whole batch). Live clock: a batch whose start edge or
 * closing tick was disturbed by a preemption (the clock jumped more than one tick while we
 * were only reading it) cannot be interpolated and is measured again, up to 3 times: that
 * error is the measurement's, not the guard's. Preemptions during the work itself stay in.
 */
async function timeBatch(c: ClockInfo, k: number, fn: () => unknown | Promise<unknown>, isAsync: boolean): Promise<number> {
  if (c.mode === "live") {
    let us = NaN;
    for (let attempt = 0; attempt < 4; attempt++) {
      const start = toEdge();
      if (isAsync) {
        for (let i = 0; i < k; i++) await fn();
        // After awaiting promises (WebCrypto) the clock can read stale until the next I/O
        // event, which made the edge search below swallow the work (a p50 of 0 µs). One timer
        // turn refreshes it; its own cost is measured the same way and subtracted (asyncTurnUs).
        await scheduler.wait(0);
      } else for (let i = 0; i < k; i++) fn();
      const end = toEdge();
      const unfinished = Math.min(1, end.reads / c.readsPerTick!) * c.tickMs;
      us = Math.max(0, (end.at - start.at - unfinished) * 1000 - (isAsync ? asyncTurnUs : 0));
      if (start.step <= c.tickMs * 1.5 && end.step <= c.tickMs * 1.5) break;
      preemptedRetries++;
    }
    return us;
  }
  await scheduler.wait(0);
  const start = now();
  if (isAsync) for (let i = 0; i < k; i++) await fn();
  else for (let i = 0; i < k; i++) fn();
  await scheduler.wait(0);
  return Math.max(0, (now() - start) * 1000 - c.emptyBracketUs!);
}

// ---------------------------------------------------------------------------------------
// Fixtures: everything a case needs is prepared (untimed) once per size.

interface Fixture {
  message: string;
  sanitized: string;
  mapping: PiiMapping;
  answerChunks: string[];
  canary: string;
  systemPrompt: string;
  secretValues: string[];
  dataKey: CryptoKey;
  stats: Record<string, unknown>;
}

const fixtures = new Map<number, Fixture>();
const AAD = { userId: "6f1c2b9e-5d7a-4c1e-9b3f-2a8d7e6c5b4a", conversationId: "0b7e4a2c-1d3f-4e5a-8b6c-7d9e0f1a2b3c", messageId: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", role: "user" as const };

async function fixture(size: number): Promise<Fixture> {
  let f = fixtures.get(size);
  if (f) return f;
  const message = userMessage(size);
  const sanitized = sanitize(message).text.trim();
  const masked = maskPii(sanitized);
  const answer = modelAnswer(size, Object.keys(masked.mapping));
  const canary = newCanary();
  const prompt = buildPrompt({ lang: "fr", canary, userText: masked.masked, fenced: false });
  const { key } = await generateDataKey();
  const answerChunks = chunk4(answer);
  f = {
    message, sanitized, mapping: masked.mapping, answerChunks, canary, systemPrompt: prompt.systemPrompt,
    secretValues: fakeSecretValues(), dataKey: key,
    stats: {
      messageChars: message.length, answerChars: answer.length, answerChunks: answerChunks.length,
      injectionLevel: scoreInjection(sanitized).level, piiCounts: masked.counts, systemPromptChars: prompt.systemPrompt.length,
    },
  };
  fixtures.set(size, f);
  return f;
}

/** The whole answer through the restorer and the output filter, as worker/chat/output.ts chains them. */
function filterAnswer(f: Fixture, mapping: PiiMapping, canary: string, systemPrompt: string): number {
  const restorer = createPiiRestorer(mapping);
  const filter = createOutputFilter({ canary, systemPrompt, secretValues: f.secretValues });
  let emitted = 0;
  for (const c of f.answerChunks) {
    const r = filter.push(restorer.push(c));
    if (r.blocked) throw new Error(`bench answer blocked: ${r.blocked.reason}`);
    emitted += r.emit.length;
  }
  const a = filter.push(restorer.flush());
  const b = filter.flush();
  if (a.blocked || b.blocked) throw new Error("bench answer blocked at flush");
  return emitted + a.emit.length + b.emit.length;
}

function caseFn(name: CaseName, f: Fixture): { fn: () => unknown; isAsync: boolean } {
  switch (name) {
    case "sanitize":
      return { fn: () => sanitize(f.message), isAsync: false };
    case "injection":
      return { fn: () => scoreInjection(f.sanitized), isAsync: false };
    case "pii":
      return { fn: () => maskPii(f.sanitized), isAsync: false };
    case "encrypt":
      return { fn: () => encryptMessage(f.dataKey, f.sanitized, AAD), isAsync: true };
    case "output":
      return { fn: () => filterAnswer(f, f.mapping, f.canary, f.systemPrompt), isAsync: false };
    case "outputSetup":
      // Diagnostic: only the per-request construction (suffix automaton of the system prompt, literal matchers).
      return { fn: () => [createPiiRestorer(f.mapping), createOutputFilter({ canary: f.canary, systemPrompt: f.systemPrompt, secretValues: f.secretValues })], isAsync: false };
    case "all":
      // One message end to end: input guards (as worker/chat/prepare.ts), the streamed
      // answer through restore + filter, then both turns encrypted (as worker/chat/record.ts).
      return {
        fn: async () => {
          const text = sanitize(f.message).text.trim();
          const injection = scoreInjection(text);
          if (injection.level === "high") throw new Error("bench message scored high");
          const masked = maskPii(text);
          const canary = newCanary();
          const prompt = buildPrompt({ lang: "fr", canary, userText: masked.masked, fenced: injection.level === "medium" });
          filterAnswer(f, masked.mapping, canary, prompt.systemPrompt);
          await encryptMessage(f.dataKey, text, AAD);
          await encryptMessage(f.dataKey, f.answerChunks.join(""), { ...AAD, role: "assistant" });
        },
        isAsync: true,
      };
  }
}

async function run(spec: RunSpec): Promise<RunResult> {
  if (!CASES.includes(spec.case)) throw new Error(`unknown case ${spec.case}`);
  const f = await fixture(spec.size);
  const { fn, isAsync } = caseFn(spec.case, f);
  const c = recalibrate(await clock());
  if (isAsync && c.mode === "live") {
    asyncTurnUs = 0;
    const turns: number[] = [];
    for (let i = 0; i < 41; i++) turns.push(await timeBatch(c, 1, async () => {}, true));
    asyncTurnUs = median(turns);
  }

  // Warm-up (JIT, caches), which also estimates the cost of one iteration.
  const wallStart = Date.now();
  let warm = 0;
  let warmUs = 0;
  const recent: number[] = []; // per-iteration cost of the last (largest, warmest) warm-up batches
  while (warmUs < spec.warmupMs * 1000 && warm < 1_000_000) {
    const k = Math.max(1, Math.min(warm, 4096));
    const us = await timeBatch(c, k, fn, isAsync);
    warmUs += us;
    warm += k;
    recent.push(us / k);
    if (recent.length > 4) recent.shift();
  }
  const perIterUs = Math.max(0.05, Math.min(...recent)); // the least disturbed of them
  const k = Math.max(1, Math.round(spec.targetBatchUs / perIterUs));

  preemptedRetries = 0;
  const samplesUs: number[] = [];
  const deadline = Date.now() + spec.maxMs;
  while (samplesUs.length < spec.samples && (Date.now() < deadline || samplesUs.length < 5)) {
    samplesUs.push((await timeBatch(c, k, fn, isAsync)) / k);
  }
  return { case: spec.case, size: spec.size, clock: c, k, samplesUs, warmupIterations: warm, preemptedRetries, fixture: { ...f.stats, wallMs: Date.now() - wallStart } };
}

export default {
  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    try {
      if (url.pathname === "/clock") return Response.json(await clock());
      if (url.pathname === "/run" && req.method === "POST") return Response.json(await run((await req.json()) as RunSpec));
      return new Response("not found", { status: 404 });
    } catch (e) {
      return Response.json({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }, { status: 500 });
    }
  },
};
