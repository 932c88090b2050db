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

export const CASES = ["sanitize", "injection", "pii", "encrypt", "output", "all"] as const;
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

/** Busy-waits to the next clock edge; returns the new value and how many reads it took. */
function toEdge(): { at: number; reads: number } {
  const t = now();
  let n = t;
  let reads = 0;
  // Bounded: a frozen clock is detected before this is used (and 5e7 reads is ~seconds).
  while (n === t && reads < 50_000_000) {
    n = now();
    reads++;
  }
  return { at: n, reads };
}

let clockCache: ClockInfo | undefined;

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
    const reads: number[] = [];
    toEdge();
    for (let i = 0; i < 15; i++) {
      const a = toEdge();
      const b = toEdge();
      deltas.push(b.at - a.at);
      reads.push(b.reads);
    }
    return { mode: "live", tickMs: median(deltas), readsPerTick: median(reads) };
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
  if (c.mode !== "live") return c;
  const reads: number[] = [];
  toEdge();
  for (let i = 0; i < 7; i++) reads.push(toEdge().reads);
  return { ...c, readsPerTick: median(reads) };
}

/** Times `k` calls of `fn` (µs for the whole batch). */
async function timeBatch(c: ClockInfo, k: number, fn: () => unknown | Promise<unknown>, isAsync: boolean): Promise<number> {
  if (c.mode === "live") {
    const start = toEdge().at;
    if (isAsync) for (let i = 0; i < k; i++) await fn();
    else for (let i = 0; i < k; i++) fn();
    const end = toEdge();
    const unfinished = Math.min(1, end.reads / c.readsPerTick!) * c.tickMs;
    return Math.max(0, (end.at - start - unfinished) * 1000);
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

  // Warm-up (JIT, caches), which also estimates the cost of one iteration.
  const wallStart = Date.now();
  let warm = 0;
  let warmUs = 0;
  while (warmUs < spec.warmupMs * 1000 && warm < 1_000_000) {
    const k = Math.max(1, warm);
    warmUs += await timeBatch(c, k, fn, isAsync);
    warm += k;
  }
  const perIterUs = Math.max(0.05, warmUs / Math.max(1, warm));
  const k = Math.max(1, Math.round(spec.targetBatchUs / perIterUs));

  const samplesUs: number[] = [];
  const deadline = Date.now() + spec.maxMs;
  while (samplesUs.length < spec.samples && (Date.now() < deadline || samplesUs.length < 5)) {
    samplesUs.push((await timeBatch(c, k, fn, isAsync)) / k);
  }
  return { case: spec.case, size: spec.size, clock: c, k, samplesUs, warmupIterations: warm, fixture: { ...f.stats, wallMs: Date.now() - wallStart } };
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
