/** Reads an SSE response into events (independent of the Worker's own SSE code). */
export interface SseEvent {
  event: string;
  data: any;
}

export async function readSse(res: Response, onEvent?: (e: SseEvent, all: SseEvent[]) => boolean | void): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let i: number;
    while ((i = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      const raw = data.join("\n");
      let parsed: unknown = raw;
      try {
        parsed = JSON.parse(raw);
      } catch {
        // keep raw ([DONE])
      }
      const e = { event, data: parsed };
      events.push(e);
      if (onEvent?.(e, events) === false) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}

export const deltaText = (events: SseEvent[]) => events.filter((e) => e.event === "delta").map((e) => e.data.text).join("");
