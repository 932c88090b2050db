/**
 * `--profile`: a V8 CPU profile of the Worker (workerd's isolate) taken through the dev
 * inspector while chats run, summarized by self time per function and per source file, and
 * saved as bench/results/<timestamp>.cpuprofile (open it in Chrome DevTools > Performance).
 */
import WebSocket from "ws";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of samples where the isolate ran JavaScript (not idle / waiting on I/O). */
  busyPct: number;
  topFunctions: { name: string; where: string; selfMs: number; selfPct: number }[];
  /** Self time per source file, natives (timers, streams, fetch…) charged to the JS code that called them. */
  topFiles: { file: string; selfMs: number; selfPct: number }[];
}

export class InspectorSession {
  private ws!: WebSocket;
  private id = 0;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  static async open(url: string): Promise<InspectorSession> {
    const s = new InspectorSession();
    s.ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      s.ws.once("open", () => resolve());
      s.ws.once("error", reject);
    });
    s.ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const p = s.pending.get(msg.id);
      if (!p) return;
      s.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result);
    });
    return s;
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = ++this.id;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }

  /** Collects notifications of one method while `during` runs. */
  async collect<T>(method: string, during: () => Promise<unknown>, settleMs = 500): Promise<T[]> {
    const got: T[] = [];
    const on = (data: WebSocket.RawData) => {
      const msg = JSON.parse(String(data)) as { method?: string; params?: T };
      if (msg.method === method) got.push(msg.params!);
    };
    this.ws.on("message", on);
    try {
      await during();
      await new Promise((r) => setTimeout(r, settleMs));
    } finally {
      this.ws.off("message", on);
    }
    return got;
  }
}

/**
 * The bundle wrangler built (one script, "index.js") has esbuild's `// path/to/file.ts`
 * comment before each module: with the script's source, a bundle line maps to its source file.
 */
export interface BundleMap {
  /** Line numbers (0-based) where a module starts, and its file, sorted. */
  starts: { line: number; file: string }[];
}

async function scriptSources(s: InspectorSession): Promise<Map<string, BundleMap>> {
  const out = new Map<string, BundleMap>();
  try {
    const parsed = await s.collect<{ scriptId: string; url: string }>("Debugger.scriptParsed", () => s.send("Debugger.enable", {}, 10_000), 1500);
    // The profile names the bundle "index.js"; the debugger gives its full file:// URL.
    for (const sc of parsed.filter((p) => p.url === "index.js" || /\/\.wrangler\/tmp\/[^/]+\/index\.js$/.test(p.url))) {
      const { scriptSource } = await s.send<{ scriptSource: string }>("Debugger.getScriptSource", { scriptId: sc.scriptId });
      const starts: BundleMap["starts"] = [];
      const lines = scriptSource.split("\n");
      for (let i = 0; i < lines.length; i++) {
        const m = /^\/\/ ((?:worker|bench|db|node_modules)\/\S+\.(?:ts|js|mjs|cjs))$/.exec(lines[i]!);
        if (m) starts.push({ line: i, file: m[1]! });
      }
      out.set("index.js", { starts });
      break;
    }
    await s.send("Debugger.disable");
  } catch {
    // no mapping: bundle lines are reported as they are
  }
  return out;
}

function sourceOf(bundles: Map<string, BundleMap>, url: string, line: number): { file: string; offset: number } | undefined {
  const b = bundles.get(url);
  if (!b || !b.starts.length) return undefined;
  let lo = 0;
  let hi = b.starts.length - 1;
  if (line < b.starts[0]!.line) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (b.starts[mid]!.line <= line) lo = mid;
    else hi = mid - 1;
  }
  return { file: b.starts[lo]!.file, offset: line - b.starts[lo]!.line };
}

/** Profiles the Worker while `during` runs. */
export async function profileWhile<T>(inspectorPort: number, during: () => Promise<T>): Promise<{ result: T; profile: CpuProfile; bundles: Map<string, BundleMap> }> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error("no inspector target");
  const s = await InspectorSession.open(url);
  try {
    // The dev inspector proxy may drop what is sent before it reached the runtime: retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await s.send("Profiler.enable", {}, 5000);
        break;
      } catch (e) {
        if (attempt >= 6) throw e;
      }
    }
    await s.send("Profiler.setSamplingInterval", { interval: 200 }); // µs
    await s.send("Profiler.start");
    const result = await during();
    const { profile } = await s.send<{ profile: CpuProfile }>("Profiler.stop", {}, 120_000);
    await s.send("Profiler.disable");
    const bundles = await scriptSources(s);
    return { result, profile, bundles };
  } finally {
    s.close();
  }
}

const shortUrl = (url: string) => url.replace(/^.*?\/(worker|bench|node_modules|db)\//, "$1/").replace(/^file:\/\//, "");

export function summarizeProfile(p: CpuProfile, bundles: Map<string, BundleMap> = new Map(), top = 15): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** The nearest frame (self or caller) that has source: natives are charged to their JS caller. */
  const owner = (id: number): CallFrame | undefined => {
    for (let cur: number | undefined = id, i = 0; cur !== undefined && i < 200; cur = parent.get(cur), i++) {
      const f = byId.get(cur)!.callFrame;
      if (f.url && !f.url.startsWith("node-internal:")) return f;
    }
    return undefined;
  };
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const file = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === "(idle)" || f.functionName === "(program)") {
      if (f.functionName === "(idle)") idleUs += us;
    }
    // Bundle lines map to their module's file (esbuild strips types, so "~N" is approximate).
    const src = f.url ? sourceOf(bundles, f.url, f.lineNumber) : undefined;
    const where = src ? `${src.file} ~${src.offset}` : f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : "";
    const key = `${f.functionName}|${where}`;
    const e = fn.get(key) ?? { name: f.functionName || "(anonymous)", where, us: 0 };
    e.us += us;
    fn.set(key, e);
    const o = owner(id);
    const osrc = o ? sourceOf(bundles, o.url, o.lineNumber) : undefined;
    const fileKey = osrc ? osrc.file : o ? shortUrl(o.url) : f.functionName;
    file.set(fileKey, (file.get(fileKey) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / totalUs) * 1000) / 10;
  return {
    totalMs: Math.round(totalUs / 1000),
    busyPct: pct(totalUs - idleUs),
    topFunctions: [...fn.values()].sort((a, b) => b.us - a.us).slice(0, top).map((e) => ({ name: e.name, where: e.where, selfMs: Math.round(e.us / 1000), selfPct: pct(e.us) })),
    topFiles: [...file.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([f, us]) => ({ file: f, selfMs: Math.round(us / 1000), selfPct: pct(us) })),
  };
}
