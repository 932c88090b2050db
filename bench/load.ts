/**
 * The load generator: one streamed chat per call, timed from the request to the first byte
 * of the first content event (TTFT) and to the end of the stream, over keep-alive
 * connections (undici Agent; `--client=fetch` uses Node's global fetch instead).
 *
 * Path A ("direct"): POST {upstream}/v1/chat/completions, the same system prompt + message
 *   as the Worker would send; content event = first `data:` chunk with non-empty delta.content.
 * Path B ("worker"): POST {worker}/api/chat {message}; content event = first `event: delta`.
 */
import { sleep } from "./stats";

export type PathName = "direct" | "worker";

export interface ChatResult {
  path: PathName;
  ok: boolean;
  status: number;
  /** ms from sending the request to the first byte of the first content event. */
  ttftMs: number;
  /** ms from sending the request to the end of the stream. */
  totalMs: number;
  startedAt: number;
  endedAt: number;
  bytes: number;
  error?: string;
  /**
   * Worker only, with SERVER_TIMING=on: its per-stage durations (ms), from the Server-Timing
   * header (stages up to the first provider event) and the SSE comment before the first delta.
   */
  serverTiming?: Record<string, number>;
}

/** `a;dur=1.5, b;dur=2` -> {a: 1.5, b: 2} (later entries of the same name win). */
export function parseServerTiming(value: string | undefined, into: Record<string, number> = {}): Record<string, number> {
  for (const m of (value ?? "").matchAll(/([A-Za-z][\w-]*);dur=([\d.]+)/g)) into[m[1]!] = Number(m[2]);
  return into;
}

export interface Target {
  path: PathName;
  url: string;
  headers: () => Record<string, string>;
  body: string;
}

type Transport = (url: string, init: { headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number; body: AsyncIterable<Uint8Array>; serverTiming?: string }>;

let transport: Transport | undefined;
let transportName = "";
let closeTransport: () => Promise<void> = async () => {};

/** undici's request() with a keep-alive Agent (preferred), or the global fetch (also undici, keep-alive). */
export async function initClient(kind: "undici" | "fetch", maxConnections: number): Promise<string> {
  if (kind === "undici") {
    try {
      const undici = await import("undici");
      const agent = new undici.Agent({ connections: maxConnections, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
      transport = async (url, init) => {
        const res = await undici.request(url, { method: "POST", headers: init.headers, body: init.body, dispatcher: agent, signal: init.signal });
        const st = res.headers["server-timing"];
        return { status: res.statusCode, body: res.body, serverTiming: Array.isArray(st) ? st.join(", ") : st };
      };
      closeTransport = () => agent.close();
      transportName = "undici.request + Agent (keep-alive)";
      return transportName;
    } catch {
      // fall through to fetch
    }
  }
  transport = async (url, init) => {
    const res = await fetch(url, { method: "POST", headers: init.headers, body: init.body, signal: init.signal });
    return { status: res.status, body: (res.body ?? emptyBody()) as AsyncIterable<Uint8Array>, serverTiming: res.headers.get("server-timing") ?? undefined };
  };
  transportName = "global fetch (Node's undici, keep-alive)";
  return transportName;
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}

export const closeClient = () => closeTransport();
export const clientName = () => transportName;

const decoder = new TextDecoder("latin1"); // byte-for-byte: markers are ASCII

/** Finds where the first content event starts in the SSE text seen so far, or -1. */
function firstContentEvent(path: PathName, text: string): number {
  if (path === "worker") return text.indexOf("event: delta");
  // Direct: the first data line whose delta has a non-empty content.
  let from = 0;
  for (;;) {
    const i = text.indexOf('"content":"', from);
    if (i === -1) return -1;
    const next = text[i + 11];
    if (next === undefined) return -1; // need more bytes to decide
    if (next !== '"') return Math.max(0, text.lastIndexOf("data:", i));
    from = i + 11;
  }
}

/** One streamed chat. Never throws: failures come back as ok=false. */
export async function chatOnce(t: Target, timeoutMs = 30_000): Promise<ChatResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  const startedAt = performance.now();
  let ttft = NaN;
  let bytes = 0;
  let status = 0;
  let serverTiming: Record<string, number> | undefined;
  try {
    const res = await transport!(t.url, { headers: t.headers(), body: t.body, signal });
    status = res.status;
    // Until the first content event: keep the text and each chunk's arrival time.
    let head = "";
    const arrivals: { offset: number; at: number }[] = [];
    let tail = "";
    let sawEnd = false;
    let sawError = false;
    let errorCode = "";
    let errorBody = "";
    for await (const chunk of res.body) {
      const at = performance.now();
      bytes += chunk.byteLength;
      const text = decoder.decode(chunk);
      if (Number.isNaN(ttft)) {
        arrivals.push({ offset: head.length, at });
        head += text;
        const pos = firstContentEvent(t.path, head);
        if (pos !== -1) {
          let when = at;
          for (const a of arrivals) if (a.offset <= pos) when = a.at;
          ttft = when - startedAt;
          if (res.serverTiming) {
            serverTiming = parseServerTiming(res.serverTiming);
            // The Worker's comment line right before its first delta: the stages after the headers.
            parseServerTiming(/^: server-timing (.*)$/m.exec(head)?.[1], serverTiming);
          }
        }
        if (head.length > 1_000_000) throw new Error("no content event in the first MB");
      }
      // End and error markers, also across chunk boundaries.
      const window = tail + text;
      if (status !== 200) {
        if (errorBody.length < 2048) errorBody += text;
      } else if (t.path === "worker") {
        if (window.includes("event: done")) {
          sawEnd = true;
          // The Worker's work counts of this chat, in a comment before `done` (SERVER_TIMING=on).
          if (serverTiming) parseServerTiming(/^: server-timing (n-.*)$/m.exec(window)?.[1], serverTiming);
        }
        if (window.includes("event: error")) sawError = true;
        if (sawError && !errorCode) errorCode = /event: error\ndata: \{"error":\{"code":"([a-z_]+)"/.exec(window)?.[1] ?? /"code":"([a-z_]+)"/.exec(window)?.[1] ?? "";
      } else if (window.includes("data: [DONE]")) sawEnd = true;
      tail = window.slice(-256);
    }
    const endedAt = performance.now();
    const ok = status === 200 && sawEnd && !sawError && !Number.isNaN(ttft);
    return {
      path: t.path, ok, status, ttftMs: ttft, totalMs: endedAt - startedAt, startedAt, endedAt, bytes, serverTiming,
      error: ok ? undefined
        : status !== 200 ? `HTTP ${status}${/"code":"([a-z_]+)"/.exec(errorBody)?.[1] ? ` ${/"code":"([a-z_]+)"/.exec(errorBody)![1]}` : ""}`
        : sawError ? `error event${errorCode ? ` ${errorCode}` : ""}` : !sawEnd ? "stream ended without done" : "no content event",
    };
  } catch (e) {
    const endedAt = performance.now();
    const name = e instanceof Error ? (e.name === "TimeoutError" || e.name === "AbortError" ? "timeout" : `${e.name}: ${e.message}`) : String(e);
    return { path: t.path, ok: false, status, ttftMs: ttft, totalMs: endedAt - startedAt, startedAt, endedAt, bytes, error: name };
  }
}

/** `c` workers each chatting back to back until `untilMs` (performance.now()); in-flight chats finish. */
export async function closedLoop(target: Target, c: number, untilMs: number): Promise<ChatResult[]> {
  const results: ChatResult[] = [];
  await Promise.all(Array.from({ length: c }, async () => {
    while (performance.now() < untilMs) results.push(await chatOnce(target));
  }));
  return results;
}

export interface RateStep {
  rate: number;
  durationMs: number;
  scheduled: number;
  issued: number;
  ok: number;
  failed: number;
  /** ok / scheduled */
  successRatio: number;
  /** Successful chats completed inside the step window, per second. */
  achievedPerSec: number;
  /** How late arrivals were issued (waiting for a free slot under the cap), ms. */
  lagP99Ms: number;
  maxLagMs: number;
  errors: Record<string, number>;
  results: ChatResult[];
}

/**
 * Open loop: `rate` chats/s for `durationMs`, at most `cap` in flight (an arrival that finds
 * the cap reached waits for a slot: it is late). Arrivals still not issued 2 s after the
 * window closes count as failures, so an overloaded system cannot pass.
 */
export async function openLoop(target: Target, rate: number, durationMs: number, cap: number): Promise<RateStep> {
  const scheduled = Math.max(1, Math.round((rate * durationMs) / 1000));
  const t0 = performance.now();
  const hardStop = t0 + durationMs + 2000;
  const results: ChatResult[] = [];
  const lags: number[] = [];
  const running = new Set<Promise<void>>();
  let issued = 0;
  let notIssued = 0;
  for (let i = 0; i < scheduled; i++) {
    const due = t0 + (i * 1000) / rate;
    let now = performance.now();
    if (due > now + 1) {
      await sleep(due - now);
      now = performance.now();
    }
    while (running.size >= cap && performance.now() < hardStop) await Promise.race(running);
    if (performance.now() >= hardStop) {
      notIssued = scheduled - i;
      break;
    }
    lags.push(Math.max(0, performance.now() - due));
    issued++;
    const p: Promise<void> = chatOnce(target).then((r) => {
      results.push(r);
      running.delete(p);
    });
    running.add(p);
  }
  await Promise.all(running);
  const okResults = results.filter((r) => r.ok);
  const windowEnd = t0 + durationMs;
  const inWindow = okResults.filter((r) => r.endedAt <= windowEnd).length;
  const errors: Record<string, number> = {};
  for (const r of results) if (!r.ok) errors[r.error ?? "?"] = (errors[r.error ?? "?"] ?? 0) + 1;
  if (notIssued) errors["not issued (cap reached, fell behind)"] = notIssued;
  lags.sort((a, b) => a - b);
  return {
    rate, durationMs, scheduled, issued, ok: okResults.length, failed: scheduled - okResults.length,
    successRatio: okResults.length / scheduled,
    achievedPerSec: inWindow / (durationMs / 1000),
    lagP99Ms: lags.length ? lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))]! : NaN,
    maxLagMs: lags.length ? lags[lags.length - 1]! : NaN,
    errors,
    results,
  };
}
