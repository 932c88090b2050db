import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { SseDecoder, abortSignalOf, createSseBody, onSseBodyEnd, parseSse, sseEvent, writeErrorEvent, writeEvent, type SseMessage } from "./sse";

async function all(it: AsyncIterable<SseMessage>): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const m of it) out.push(m);
  return out;
}

/** A byte stream delivering `text` in pieces of `size` bytes (splitting UTF-8 sequences). */
function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let i = 0;
  return new ReadableStream({
    pull(ctl) {
      if (i >= bytes.length) return ctl.close();
      ctl.enqueue(bytes.slice(i, i + size));
      i += size;
    },
  });
}

describe("sseEvent", () => {
  it("formats a named event with JSON data", () => {
    expect(sseEvent("delta", { text: "é" })).toBe('event: delta\ndata: {"text":"é"}\n\n');
  });

  it("splits multi-line data into several data lines, and adds an id", () => {
    expect(sseEvent("msg", "a\nb\r\nc", "7")).toBe("event: msg\ndata: a\ndata: b\ndata: c\nid: 7\n\n");
  });

  it("refuses line breaks in the event name or id (no event injection)", () => {
    expect(() => sseEvent("delta\ndata: x", "y")).toThrow(/line breaks/);
    expect(() => sseEvent("delta", "y", "1\r2")).toThrow(/line breaks/);
  });
});

describe("parseSse", () => {
  it("round-trips sseEvent output, even split one byte at a time", async () => {
    const wire = sseEvent("delta", { text: "Bonjour à tous" }) + sseEvent("done", "fin\nligne 2", "42");
    for (const size of [1, 2, 3, 5, 1000]) {
      expect(await all(parseSse(chunked(wire, size)))).toEqual([
        { event: "delta", data: '{"text":"Bonjour à tous"}' },
        { event: "done", data: "fin\nligne 2", id: "42" },
      ]);
    }
  });

  it("follows the spec: CR/CRLF, comments, default event, optional space, empty data", async () => {
    const wire = ": keep-alive\r\ndata:one\r\n\r\nevent: x\rdata: two\rdata:  three\r\rdata:\n\n";
    for (const size of [1, 4, 1000]) {
      expect(await all(parseSse(chunked(wire, size)))).toEqual([
        { event: "message", data: "one" },
        { event: "x", data: "two\n three" },
        { event: "message", data: "" },
      ]);
    }
  });

  it("ignores events without data and drops an unterminated last event", async () => {
    expect(await all(parseSse("event: lonely\n\ndata: ok\n\ndata: half"))).toEqual([{ event: "message", data: "ok" }]);
    expect(await all(parseSse("data: cr\r\r"))).toEqual([{ event: "message", data: "cr" }]);
  });

  it("SseDecoder hands back every event a chunk completes, and keeps a split one for later", () => {
    const d = new SseDecoder();
    expect(d.push('data: {"a":1}\n\ndata: {"a":2}\r\n\r\ndata: {"a"')).toEqual([
      { event: "message", data: '{"a":1}' },
      { event: "message", data: '{"a":2}' },
    ]);
    expect(d.push(":3}\n")).toEqual([]);
    expect(d.push("\nevent: end\ndata: [DONE]\n\ndata: half")).toEqual([
      { event: "message", data: '{"a":3}' },
      { event: "end", data: "[DONE]" },
    ]);
    expect(d.push("", true)).toEqual([]);
  });

  it("accepts a Response", async () => {
    expect(await all(parseSse(new Response(sseEvent("a", "1"))))).toEqual([{ event: "a", data: "1" }]);
  });
});

describe("with Hono streamSSE", () => {
  it("writeEvent and writeErrorEvent produce parseable events; errors carry only code, message, request id", async () => {
    const app = new Hono().get("/s", (c) =>
      streamSSE(c, async (stream) => {
        await writeEvent(stream, "delta", { text: "Salut" });
        await writeEvent(stream, "delta", "ligne 1\nligne 2");
        const secret = new Error("host db-7.internal said no");
        await writeErrorEvent(stream, new AppError("provider_unavailable", undefined, { cause: secret }), "req-1");
      }),
    );
    const res = await app.request("/s");
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = await all(parseSse(res));
    expect(events).toEqual([
      { event: "delta", data: '{"text":"Salut"}' },
      { event: "delta", data: "ligne 1\nligne 2" },
      { event: "error", data: JSON.stringify({ error: { code: "provider_unavailable", message: "The AI provider is unavailable. Please try again later.", requestId: "req-1" } }) },
    ]);
    expect(JSON.stringify(events)).not.toContain("db-7");
  });

  it("abortSignalOf aborts when the client cancels the body", async () => {
    let signal: AbortSignal | undefined;
    let sawAbort: () => void = () => {};
    const aborted = new Promise<void>((r) => (sawAbort = r));
    const app = new Hono().get("/s", (c) =>
      streamSSE(c, async (stream) => {
        signal = abortSignalOf(stream);
        signal.addEventListener("abort", () => sawAbort());
        await writeEvent(stream, "delta", "1");
        await aborted;
      }),
    );
    const res = await app.request("/s");
    const reader = res.body!.getReader();
    await reader.read();
    expect(signal!.aborted).toBe(false);
    await reader.cancel();
    await aborted;
    expect(signal!.aborted).toBe(true);
  });

  it("abortSignalOf also follows another signal", async () => {
    const other = new AbortController();
    let signal: AbortSignal | undefined;
    const app = new Hono().get("/s", (c) =>
      streamSSE(c, async (stream) => {
        signal = abortSignalOf(stream, other.signal);
      }),
    );
    await (await app.request("/s")).text();
    expect(signal!.aborted).toBe(false);
    other.abort();
    expect(signal!.aborted).toBe(true);
  });
});

describe("createSseBody", () => {
  const text = (chunk: Uint8Array | undefined) => new TextDecoder().decode(chunk);

  it("sends text at once to a waiting reader, joins what is written while a chunk waits, and ends", async () => {
    const sse = createSseBody();
    const reader = sse.body.getReader();
    const first = reader.read(); // the reader waits: the next write leaves at once
    expect(sse.write("a")).toBeUndefined();
    expect(text((await first).value)).toBe("a");
    sse.write("b"); // nobody reading: waits, nothing queued ahead of the reader
    sse.write("c"); // joined, leaves with the next read
    sse.write("d");
    expect(sse.chunks).toBe(1);
    expect(text((await reader.read()).value)).toBe("bcd");
    expect(sse.chunks).toBe(2);
    sse.write("e");
    sse.close();
    sse.write("ignored");
    expect(text((await reader.read()).value)).toBe("e");
    expect((await reader.read()).done).toBe(true);
  });

  it("asks the writer to wait past the backlog, until the client reads again", async () => {
    const sse = createSseBody({ maxBacklog: 4 });
    const reader = sse.body.getReader();
    sse.write("12"); // nobody reads yet: waits
    expect(sse.write("34")).toBeUndefined(); // 4 characters wait: not past the backlog
    const waiting = sse.write("567");
    expect(waiting).toBeInstanceOf(Promise);
    let caughtUp = false;
    void waiting!.then(() => (caughtUp = true));
    await Promise.resolve();
    expect(caughtUp).toBe(false);
    expect(text((await reader.read()).value)).toBe("1234567"); // the client reads: what waits leaves
    await waiting; // the writer may go on
  });

  it("tells the writer once when the client goes away, and drops later writes", async () => {
    let cancels = 0;
    const sse = createSseBody({ onCancel: () => cancels++, maxBacklog: 1 });
    sse.write("x");
    const waiting = sse.write("yy");
    await sse.body.cancel();
    await waiting; // released, not left hanging
    expect(cancels).toBe(1);
    expect(sse.cancelled).toBe(true);
    expect(sse.write("z")).toBeUndefined();
    sse.close();
  });
  it("holds text written within coalesceMs of the last chunk and sends it as one chunk, never the head of the answer", async () => {
    let t = 1000;
    const sse = createSseBody({ coalesceMs: 20, now: () => t });
    const reader = sse.body.getReader();
    let read = reader.read();
    sse.write("meta");
    expect(text((await read).value)).toBe("meta");
    read = reader.read();
    sse.write("first"); // second chunk, same instant: the first content is not held
    expect(text((await read).value)).toBe("first");
    read = reader.read();
    let got: string | undefined;
    void read.then((r) => (got = text(r.value)));
    expect(sse.write("a")).toBeUndefined(); // 0 ms after the last chunk: held
    sse.write("b");
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toBeUndefined(); // still held although the reader waits
    expect(sse.chunks).toBe(2);
    await read;
    expect(got).toBe("ab"); // one chunk when the delay is over
    t += 50; // a slower stream: nothing is held
    read = reader.read();
    sse.write("c");
    expect(text((await read).value)).toBe("c");
    expect(sse.chunks).toBe(4);
  });

  it("sends held text at once on close", async () => {
    const sse = createSseBody({ coalesceMs: 60_000, now: () => 0 });
    const reader = sse.body.getReader();
    sse.write("m");
    expect(text((await reader.read()).value)).toBe("m");
    sse.write("f");
    expect(text((await reader.read()).value)).toBe("f");
    sse.write("held");
    sse.close();
    expect(text((await reader.read()).value)).toBe("held");
    expect((await reader.read()).done).toBe(true);
  });
});

describe("onSseBodyEnd", () => {
  it("ignores streams not made by createSseBody", () => {
    let called = 0;
    expect(onSseBodyEnd(new Response("x").body!, () => called++)).toBe(false);
    expect(called).toBe(0);
  });

  it("runs once when the body is closed, before the client read it, and at once if already over", async () => {
    const sse = createSseBody();
    let ends = 0;
    expect(onSseBodyEnd(sse.body, () => ends++)).toBe(true);
    sse.write("x");
    expect(ends).toBe(0);
    sse.close();
    sse.close();
    expect(ends).toBe(1);
    let late = 0;
    onSseBodyEnd(sse.body, () => late++);
    expect(late).toBe(1);
    expect(await new Response(sse.body).text()).toBe("x"); // nothing lost for a late reader
    expect(ends).toBe(1);
  });

  it("runs once when the client cancels", async () => {
    const sse = createSseBody();
    let ends = 0;
    onSseBodyEnd(sse.body, () => ends++);
    await sse.body.cancel();
    sse.close();
    expect(ends).toBe(1);
  });

  it("from then on never makes the writer wait for a slow reader, and frees one that waits", async () => {
    const sse = createSseBody({ maxBacklog: 2 });
    sse.write("x"); // nobody reads: waits
    const waiting = sse.write("yyy");
    expect(waiting).toBeInstanceOf(Promise);
    onSseBodyEnd(sse.body, () => {});
    await waiting;
    expect(sse.write("z".repeat(100))).toBeUndefined();
    sse.close();
    expect(await new Response(sse.body).text()).toBe("xyyy" + "z".repeat(100));
  });
});
