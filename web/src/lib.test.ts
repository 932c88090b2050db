/** Unit tests of the web client's pure helpers (run in Node by vitest). */
import { describe, expect, it } from "vitest";
import { filenameFrom, resetTime } from "./api";
import { formatCountdown } from "./i18n";
import { readSse } from "./sse";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}

async function collect(chunks: string[]) {
  const out = [];
  for await (const ev of readSse(streamOf(chunks))) out.push(ev);
  return out;
}

describe("readSse", () => {
  it("parses named events with JSON data", async () => {
    const evs = await collect(['event: meta\ndata: {"a":1}\n\n', 'event: delta\ndata: {"text":"x"}\n\n']);
    expect(evs).toEqual([{ event: "meta", data: '{"a":1}' }, { event: "delta", data: '{"text":"x"}' }]);
  });

  it("handles events split anywhere across chunks, CRLF split between chunks, comments and multi-line data", async () => {
    const evs = await collect([": keep-alive\r", "\nev", "ent: delta\r\ndata: l1\r\nda", "ta:l2\r", "\n\r", "\n", "data: plain\n\n"]);
    expect(evs).toEqual([{ event: "delta", data: "l1\nl2" }, { event: "message", data: "plain" }]);
  });

  it("decodes UTF-8 split inside a character and drops an unterminated last event", async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"text":"données"}\n\nevent: delta\ndata: cut');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, cut));
        c.enqueue(bytes.slice(cut));
        c.close();
      },
    });
    const evs = [];
    for await (const ev of readSse(stream)) evs.push(ev);
    expect(evs).toEqual([{ event: "delta", data: '{"text":"données"}' }]);
  });

  it("stops when the signal aborts", async () => {
    const ctl = new AbortController();
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("data: one\n\n"));
      },
    });
    const evs = [];
    for await (const ev of readSse(stream, ctl.signal)) {
      evs.push(ev);
      ctl.abort();
    }
    expect(evs).toHaveLength(1);
  });
});

describe("filenameFrom", () => {
  it("reads filename and filename*, and sanitizes", () => {
    expect(filenameFrom(null)).toBe("unialist-export.json");
    expect(filenameFrom('attachment; filename="unialist-export-2026-11-30.json"')).toBe("unialist-export-2026-11-30.json");
    expect(filenameFrom("attachment; filename*=UTF-8''donn%C3%A9es.json")).toBe("données.json");
    expect(filenameFrom('attachment; filename="../../etc/passwd"')).toBe("_.._etc_passwd");
    expect(filenameFrom('attachment; filename=""')).toBe("unialist-export.json");
  });
});

describe("resetTime", () => {
  const now = 1_800_000_000_000;
  it("prefers X-RateLimit-Reset (ms or s epoch), else Retry-After", () => {
    expect(resetTime(new Headers({ "x-ratelimit-reset": String(now + 60_000) }), now)).toBe(now + 60_000);
    expect(resetTime(new Headers({ "x-ratelimit-reset": String((now + 60_000) / 1000) }), now)).toBe(now + 60_000);
    expect(resetTime(new Headers({ "retry-after": "42" }), now)).toBe(now + 42_000);
    expect(resetTime(new Headers({ "x-ratelimit-reset": "garbage", "retry-after": "5" }), now)).toBe(now + 5000);
    expect(resetTime(new Headers(), now)).toBeUndefined();
  });
});

describe("formatCountdown", () => {
  it("formats mm:ss and h:mm:ss", () => {
    expect(formatCountdown(0)).toBe("00:00");
    expect(formatCountdown(61_000)).toBe("01:01");
    expect(formatCountdown(3_600_000 + 5_000)).toBe("1:00:05");
    expect(formatCountdown(400)).toBe("00:01");
  });
});
