/**
 * Server-Sent Events: formatting and writing (the chat route uses Hono's `streamSSE`),
 * an AbortSignal for client disconnect, and a spec-following parser for tests.
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
 * Parses an SSE body into messages (WHATWG rules: LF/CR/CRLF lines, `:` comments, one
 * optional space after the colon, data lines joined by "\n", default event "message",
 * an unterminated last event is dropped).
 */
export async function* parseSse(body: ReadableStream<Uint8Array> | Response | string): AsyncGenerator<SseMessage> {
  const source = typeof body === "string" ? new Response(body).body! : body instanceof Response ? body.body! : body;
  const reader = source.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  let finished = false;
  try {
    while (!finished) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        if (!buf.endsWith("\r")) return;
        buf += "\n"; // a final lone CR still ends its line
      } else buf += value;
      // A trailing CR may be the first half of CRLF: wait for the next chunk.
      let m: RegExpExecArray | null;
      while ((m = /\r\n|\r(?!$)|\n/.exec(buf))) {
        const line = buf.slice(0, m.index);
        buf = buf.slice(m.index + m[0].length);
        if (line === "") {
          if (data.length) yield { event: event || "message", data: data.join("\n"), ...(id !== undefined ? { id } : {}) };
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? "" : line.slice(colon + 1);
        if (val.startsWith(" ")) val = val.slice(1);
        if (field === "event") event = val;
        else if (field === "data") data.push(val);
        else if (field === "id" && !val.includes("\0")) id = val;
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
