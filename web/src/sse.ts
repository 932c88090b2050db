/**
 * A small Server-Sent Events reader for a fetch() body (EventSource cannot POST or send
 * an Authorization header). Follows the event-stream format: LF, CR or CRLF line ends,
 * `:` comments, one optional space after the field's colon, `data` lines joined with "\n",
 * an event dispatched on a blank line (an unterminated last event is dropped).
 */
export interface SseEvent {
  event: string;
  data: string;
}

export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let ended = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      for (;;) {
        const lf = buffer.indexOf("\n");
        const cr = buffer.indexOf("\r");
        let end: number;
        let skip = 1;
        if (cr >= 0 && (lf < 0 || cr < lf)) {
          if (cr === buffer.length - 1) break; // maybe the CR of a CRLF split across chunks
          end = cr;
          if (buffer[cr + 1] === "\n") skip = 2;
        } else if (lf >= 0) {
          end = lf;
        } else break;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + skip);
        if (line === "") {
          if (data.length) yield { event: event || "message", data: data.join("\n") };
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
      }
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!ended) await reader.cancel().catch(() => {});
  }
}
