/**
 * The Worker's V8 inspector (Chrome DevTools protocol over WebSocket), reached through the
 * inspector port wrangler dev opens (DEV_INSPECTOR_PORT; one DevTools client at a time):
 * JS heap usage, forced garbage collection, and heap snapshots summarised per constructor,
 * to tell a JS leak (the heap after GC grows) from native memory (RSS grows, heap does not).
 */
import WebSocket from "ws";

export interface HeapUsage {
  /** Bytes of live JS objects (after a GC when `gc` was asked). */
  usedSize: number;
  totalSize: number;
}

/** Per constructor / node kind: objects and their own bytes in one snapshot. */
export type HeapSummary = Map<string, { count: number; size: number }>;

export interface Inspector {
  heapUsage(opts?: { gc?: boolean }): Promise<HeapUsage>;
  collectGarbage(): Promise<void>;
  /** Takes a heap snapshot and reduces it to counts and sizes per constructor (the raw JSON is not kept). */
  snapshotSummary(timeoutMs?: number): Promise<HeapSummary>;
  close(): void;
}

/**
 * `poke`: workerd runs some inspector commands (collectGarbage, takeHeapSnapshot) only once
 * the isolate next wakes up, so while one is pending a cheap request is sent every 500 ms.
 */
export async function connectInspector(port: number, timeoutMs = 10_000, poke?: () => Promise<unknown>): Promise<Inspector> {
  const list = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.json()) as { webSocketDebuggerUrl: string }[];
  const url = list[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(url, { headers: { Origin: "http://localhost" } });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`inspector ${url}: no connection in ${timeoutMs} ms`)), timeoutMs);
    ws.once("open", () => (clearTimeout(t), resolve()));
    ws.once("error", (e) => (clearTimeout(t), reject(e)));
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(method: string, params: any) => void>();
  ws.on("message", (raw) => {
    const msg = JSON.parse(raw.toString());
    if (typeof msg.id === "number" && pending.has(msg.id)) {
      const p = pending.get(msg.id)!;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${msg.error.message} (${msg.error.code})`));
      else p.resolve(msg.result);
    } else if (msg.method) {
      for (const l of listeners) l(msg.method, msg.params);
    }
  });
  ws.on("close", () => {
    for (const p of pending.values()) p.reject(new Error("inspector closed"));
    pending.clear();
  });
  const send = (method: string, params: object = {}, ms = timeoutMs): Promise<any> => new Promise((resolve, reject) => {
    const id = nextId++;
    const t = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`inspector ${method}: no answer in ${ms} ms`));
    }, ms);
    pending.set(id, { resolve: (v) => (clearTimeout(t), resolve(v)), reject: (e) => (clearTimeout(t), reject(e)) });
    ws.send(JSON.stringify({ id, method, params }));
  });

  /** Sends a command that may wait for the isolate to wake up, poking the Worker meanwhile. */
  const sendWoken = async (method: string, params: object, ms: number): Promise<any> => {
    let done = false;
    const result = send(method, params, ms).finally(() => {
      done = true;
    });
    if (poke) {
      void (async () => {
        for (let i = 0; !done && i < ms / 500; i++) {
          await new Promise((r) => setTimeout(r, 500));
          if (!done) await poke().catch(() => {});
        }
      })();
    }
    return result;
  };
  const collectGarbage = async () => {
    // Twice: the first pass may only finalise what the second frees.
    await sendWoken("HeapProfiler.collectGarbage", {}, 60_000);
    await sendWoken("HeapProfiler.collectGarbage", {}, 60_000);
  };
  return {
    collectGarbage,
    async heapUsage(opts = {}) {
      if (opts.gc) await collectGarbage();
      const r = await send("Runtime.getHeapUsage");
      return { usedSize: r.usedSize, totalSize: r.totalSize };
    },
    async snapshotSummary(ms = 120_000) {
      const chunks: string[] = [];
      const onEvent = (method: string, params: any) => {
        if (method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(params.chunk);
      };
      listeners.add(onEvent);
      try {
        await sendWoken("HeapProfiler.takeHeapSnapshot", { reportProgress: false, captureNumericValue: false }, ms);
      } finally {
        listeners.delete(onEvent);
      }
      return summarise(JSON.parse(chunks.join("")));
    },
    close: () => ws.close(),
  };
}

/** Counts and self sizes per (node type, name) of a V8 heap snapshot. */
export function summarise(snap: { snapshot: { meta: { node_fields: string[]; node_types: unknown[] } }; nodes: number[]; strings: string[] }): HeapSummary {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const width = fields.length;
  const iType = fields.indexOf("type");
  const iName = fields.indexOf("name");
  const iSize = fields.indexOf("self_size");
  const out: HeapSummary = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    let name = snap.strings[snap.nodes[i + iName]!] ?? "?";
    // Strings and code are grouped by kind, not by content (user text must not be printed).
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = "(string)";
    else if (type === "code") name = "(code)";
    else if (type === "number") name = "(number)";
    else if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}:${name}`;
    const e = out.get(key);
    if (e) {
      e.count++;
      e.size += snap.nodes[i + iSize]!;
    } else out.set(key, { count: 1, size: snap.nodes[i + iSize]! });
  }
  return out;
}

/** The entries that grew most between two summaries (by bytes), with their count growth. */
export function growth(before: HeapSummary, after: HeapSummary, top = 15): { what: string; count: number; countDelta: number; bytes: number; bytesDelta: number }[] {
  const rows = [];
  for (const [what, a] of after) {
    const b = before.get(what) ?? { count: 0, size: 0 };
    rows.push({ what, count: a.count, countDelta: a.count - b.count, bytes: a.size, bytesDelta: a.size - b.size });
  }
  return rows.sort((x, y) => y.bytesDelta - x.bytesDelta).slice(0, top);
}
