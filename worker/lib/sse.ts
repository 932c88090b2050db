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
   * the next read. Returns a promise only when more than `maxBacklog` characters wait (the
   * client is behind: the caller should stop producing until it catches up).
   */
  write(text: string): Promise<void> | undefined;
  /** Sends what waits, then ends the body. No-op once closed or cancelled. */
  close(): void;
  /** True once the reader went away (client disconnected). */
  readonly cancelled: boolean;
  /** Chunks handed to the body so far (each one a network write downstream). */
  readonly chunks: number;
}

/**
 * A streamed SSE body written without an await per event: one ReadableStream (no
 * TransformStream, no writer), text encoded once per chunk that actually leaves. `onCancel`
 * runs once when the client goes away. Writes after close or cancel are dropped.
 */
export function createSseBody(opts: { onCancel?: () => void; maxBacklog?: number } = {}): SseBody {
  const maxBacklog = opts.maxBacklog ?? 16_384;
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let pending = "";
  let closed = false;
  let cancelled = false;
  let chunks = 0;
  let caughtUp: { promise: Promise<void>; resolve: () => void } | undefined;
  const wake = () => {
    const w = caughtUp;
    caughtUp = undefined;
    w?.resolve();
  };
  const send = () => {
    if (!pending) return;
    const text = pending;
    pending = "";
    chunks++;
    controller.enqueue(encoder.encode(text));
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    pull() {
      send();
      wake();
    },
    cancel() {
      cancelled = true;
      pending = "";
      wake();
      opts.onCancel?.();
    },
  }, { highWaterMark: 1 }); // one chunk may wait; more text is joined to `pending` meanwhile
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
      if ((controller.desiredSize ?? 0) > 0) send();
      else if (pending.length > maxBacklog) {
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
      send();
      controller.close();
      wake();
    },
  };
}
