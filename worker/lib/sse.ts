/**
 * Server-Sent Events: formatting and writing (the chat route uses Hono's `streamSSE`),
 * an AbortSignal for client disconnect, and a spec-following parser (providers' streams, tests).
 *
 * Errors go out only through `writeErrorEvent` (code + safe message + request id). Do not
 * pass an `onError` to `streamSSE`: Hono then writes `e.message` raw to the client.
 */
import type { SSEStreamingApi } from "hono/streaming";
import { AppError, errorBody } from "../errors";

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

const toData = (data: unknown) => (typeof data === "string" ? data : JSON.stringify(data));

function assertField(name: string, value: string) {
  if (/[\r\n]/.test(value)) throw new Error(`SSE ${name} must not contain line breaks`);
}

/** One event as wire text: `event:` line, one `data:` line per line of data, blank line. */
export function sseEvent(name: string, data: unknown, id?: string): string {
  assertField("event", name);
  if (id !== undefined) assertField("id", id);
  const lines = toData(data).split(/\r\n|\r|\n/).map((l) => `data: ${l}`);
  return [`event: ${name}`, ...lines, ...(id !== undefined ? [`id: ${id}`] : [])].join("\n") + "\n\n";
}

/** Writes one named event on a Hono SSE stream; objects are JSON-encoded. */
export function writeEvent(stream: SSEStreamingApi, name: string, data: unknown, id?: string): Promise<void> {
  return stream.writeSSE({ event: name, data: toData(data), id });
}

/** The one way errors reach an SSE client: `event: error` with `{error:{code,message,requestId}}`. */
export function writeErrorEvent(stream: SSEStreamingApi, err: AppError, requestId: string): Promise<void> {
  return writeEvent(stream, "error", errorBody(err.code, err.message, requestId, err.details));
}

/** Aborts when the client goes away (response body cancelled) or any given signal aborts. */
export function abortSignalOf(stream: SSEStreamingApi, ...others: AbortSignal[]): AbortSignal {
  const ctl = new AbortController();
  stream.onAbort(() => ctl.abort());
  if (stream.aborted) ctl.abort();
  return AbortSignal.any([ctl.signal, ...others]);
}

/**
 * An incremental SSE parser (WHATWG rules: LF/CR/CRLF lines, `:` comments, one optional
 * space after the colon, data lines joined by "\n", default event "message", an event
 * without data lines is not dispatched, the last id is kept). Text in, completed events out:
 * one call per network read, so a caller can handle every event of a read at once.
 */
export class SseDecoder {
  private buf = "";
  private event = "";
  private data: string[] = [];
  private id: string | undefined;

  /** `end`: the input is over (a final lone CR still ends its line; an unterminated event is dropped). */
  push(text: string, end = false): SseMessage[] {
    const out: SseMessage[] = [];
    const buf = this.buf ? this.buf + text : text;
    let pos = 0;
    let cr = buf.indexOf("\r");
    let lf = buf.indexOf("\n");
    for (;;) {
      let eol: number;
      let next: number;
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        if (lf === -1) break;
        eol = lf;
        next = lf + 1;
      } else {
        // A trailing CR may be the first half of CRLF: wait for the next chunk.
        if (cr === buf.length - 1 && !end) break;
        eol = cr;
        next = buf.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
      }
      this.line(buf.slice(pos, eol), out);
      pos = next;
      if (cr !== -1 && cr < pos) cr = buf.indexOf("\r", pos);
      if (lf !== -1 && lf < pos) lf = buf.indexOf("\n", pos);
    }
    this.buf = end ? "" : buf.slice(pos);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === "") {
      if (this.data.length) out.push({ event: this.event || "message", data: this.data.length === 1 ? this.data[0]! : this.data.join("\n"), ...(this.id !== undefined ? { id: this.id } : {}) });
      this.event = "";
      this.data = [];
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ":" comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let val = colon < 0 ? "" : line.slice(colon + 1);
    if (val.charCodeAt(0) === 32) val = val.slice(1);
    if (field === "data") this.data.push(val);
    else if (field === "event") this.event = val;
    else if (field === "id" && !val.includes("\0")) this.id = val;
  }
}

/** Parses an SSE body into messages (SseDecoder's rules). */
export async function* parseSse(body: ReadableStream<Uint8Array> | Response | string): AsyncGenerator<SseMessage> {
  const source = typeof body === "string" ? new Response(body).body! : body instanceof Response ? body.body! : body;
  const reader = source.pipeThrough(new TextDecoderStream()).getReader();
  const decoder = new SseDecoder();
  let finished = false;
  try {
    while (!finished) {
      const { value, done } = await reader.read();
      if (done) finished = true;
      yield* decoder.push(done ? "" : value, done);
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** The response headers of an SSE answer (as Hono's streamSSE sets them). */
export const SSE_HEADERS: Record<string, string> = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache",
  Connection: "keep-alive",
  "Transfer-Encoding": "chunked",
};

export interface SseBody {
  /** The response body. */
  readonly body: ReadableStream<Uint8Array>;
  /**
   * Queues wire text (already formatted events). Synchronous: the text leaves at once when the
   * body's reader is waiting, else it joins what is waiting and leaves with it in ONE chunk at
   * the next read (while workerd writes a chunk to the network, the events written meanwhile
   * gather into the next one). With `coalesceMs`, text written less than that after the previous chunk
   * left is held (one timer) and leaves with what follows it. Returns a promise only when
   * more than `maxBacklog` characters wait (the client is behind: the caller should stop
   * producing until it catches up).
   */
  write(text: string): Promise<void> | undefined;
  /** Sends what waits, then ends the body. No-op once closed or cancelled. */
  close(): void;
  /** True once the reader went away (client disconnected). */
  readonly cancelled: boolean;
  /** Chunks handed to the body so far (each one a network write downstream). */
  readonly chunks: number;
}

/** End listeners of the bodies made by createSseBody (see onSseBodyEnd). */
const endHooks = new WeakMap<ReadableStream<Uint8Array>, (cb: () => void) => void>();

/**
 * Runs `cb` once when a body made by createSseBody is over: closed by its writer (everything
 * produced, even if the client has not read it yet) or cancelled by the client. From then on
 * the body never asks its writer to wait for a slow reader (an answer is bounded by the
 * model's output tokens), so whoever waits for `cb` is never held by a slow client. Returns
 * false, doing nothing, for any other stream. Spares a second stream around the body (the
 * admission stage's release), which would cost a read and an enqueue per chunk.
 */
export function onSseBodyEnd(body: ReadableStream<Uint8Array>, cb: () => void): boolean {
  const hook = endHooks.get(body);
  if (!hook) return false;
  hook(cb);
  return true;
}

/** Chunks that always leave at once: the head of an answer (meta or role, first content). */
const UNHELD_CHUNKS = 2;

/**
 * A streamed SSE body written without an await per event: one ReadableStream (no
 * TransformStream, no writer), text encoded once per chunk that actually leaves. `onCancel`
 * runs once when the client goes away. Writes after close or cancel are dropped.
 *
 * `coalesceMs` (default 0: off): every chunk costs workerd a stream read and a network write
 * downstream, whatever its size. When events come in a burst (a provider's read carrying a
 * backlog, a fast model), text written within `coalesceMs` of the previous chunk waits for
 * that delay and leaves with what follows. A steady token stream (tokens further apart than
 * the delay) is never held, nor is the head of the answer (time to first token).
 */
export function createSseBody(opts: { onCancel?: () => void; maxBacklog?: number; coalesceMs?: number; now?: () => number } = {}): SseBody {
  const maxBacklog = opts.maxBacklog ?? 16_384;
  const coalesceMs = opts.coalesceMs ?? 0;
  const now = opts.now ?? Date.now;
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let pending = "";
  let closed = false;
  let cancelled = false;
  let chunks = 0;
  let lastSent = 0;
  let held: ReturnType<typeof setTimeout> | undefined;
  let waiting = false; // the body's reader asked for a chunk and got none yet
  let unbounded = false; // an end listener waits: never make the writer wait for the reader
  let onEnd: (() => void) | undefined;
  let caughtUp: { promise: Promise<void>; resolve: () => void } | undefined;
  const wake = () => {
    const w = caughtUp;
    caughtUp = undefined;
    w?.resolve();
  };
  const ended = () => {
    if (held !== undefined) clearTimeout(held), (held = undefined);
    const f = onEnd;
    onEnd = undefined;
    f?.();
  };
  const send = () => {
    if (!pending) return;
    const text = pending;
    pending = "";
    chunks++;
    waiting = false;
    if (coalesceMs > 0) lastSent = now();
    controller.enqueue(encoder.encode(text));
  };
  const release = () => {
    held = undefined;
    if (closed || cancelled) return;
    if (waiting) send(); // else it leaves at the next pull
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    pull() {
      // Held text leaves when its delay is over.
      if (pending && held === undefined) send();
      else waiting = true;
      wake();
    },
    cancel() {
      cancelled = true;
      pending = "";
      wake();
      ended();
      opts.onCancel?.();
    },
  }, { highWaterMark: 0 }); // nothing queued ahead of the reader: text written meanwhile joins `pending`
  endHooks.set(body, (cb) => {
    if (closed || cancelled) return void cb();
    const prev = onEnd;
    onEnd = prev ? () => (prev(), cb()) : cb;
    unbounded = true;
    wake();
  });
  return {
    body,
    get cancelled() {
      return cancelled;
    },
    get chunks() {
      return chunks;
    },
    write(text) {
      if (closed || cancelled) return undefined;
      pending += text;
      if (held !== undefined) return undefined; // leaves with the held text
      if (waiting) {
        if (coalesceMs > 0 && chunks >= UNHELD_CHUNKS) {
          const wait = lastSent + coalesceMs - now();
          if (wait > 0) {
            held = setTimeout(release, wait);
            return undefined;
          }
        }
        send();
      } else if (!unbounded && pending.length > maxBacklog) {
        if (!caughtUp) {
          let resolve!: () => void;
          caughtUp = { promise: new Promise<void>((r) => (resolve = r)), resolve };
        }
        return caughtUp.promise;
      }
      return undefined;
    },
    close() {
      if (closed || cancelled) return;
      closed = true;
      if (held !== undefined) clearTimeout(held), (held = undefined);
      send();
      controller.close();
      wake();
      ended();
    },
  };
}
