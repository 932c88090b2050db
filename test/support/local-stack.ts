/**
 * One launcher of the whole local product (`dev/start.ts`, as `npm run dev`) for the e2e
 * tests (test/e2e/support/stack.ts), the load/soak/fault runs (test/load/lib/stack.ts) and
 * the bench (bench/stack.ts): free ports, a private state dir, the child process and its log,
 * the readiness wait, and a teardown that leaves no process behind. Each caller adds only
 * what is its own (models, users, secrets, private Redis, CPU probes...). Node-side only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createClient } from "redis";
import { freePorts, sleep } from "./ports";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Provider settings of the developer's shell that must never reach a test stack (demo model only). */
export const PROVIDER_KEYS = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MISTRAL_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "MISTRAL_BASE_URL"];

export interface DevPorts {
  port: number;
  webPort: number;
  bridgePort: number;
  proxyPort: number;
  demoPort: number;
  sinkPort: number;
  inspectorPort: number;
}

export async function devPorts(): Promise<DevPorts> {
  const [port, webPort, bridgePort, proxyPort, demoPort, sinkPort, inspectorPort] = (await freePorts(7)) as [number, number, number, number, number, number, number];
  return { port, webPort, bridgePort, proxyPort, demoPort, sinkPort, inspectorPort };
}

/** dev/start.ts's own settings: its ports, and a state of its own under `tmp` (never the developer's state or .dev.vars). */
export function devSettings(p: DevPorts, tmp: string): Record<string, string> {
  return {
    PORT: String(p.port),
    WEB_PORT: String(p.webPort),
    DEV_BRIDGE_PORT: String(p.bridgePort),
    DEV_PROXY_PORT: String(p.proxyPort),
    DEMO_MODEL_PORT: String(p.demoPort),
    ALERT_SINK_PORT: String(p.sinkPort),
    DEV_INSPECTOR_PORT: String(p.inspectorPort),
    DEV_STATE_DIR: path.join(tmp, "state"),
    DEV_PERSIST_TO: path.join(tmp, "wrangler-state"),
    DEV_VARS_FILE: path.join(tmp, "none.dev.vars"),
  };
}

/** Fresh secrets, so the stack never reuses a state dir's or the developer's. */
export function generatedSecrets(label: string): Record<"JWT_SECRET" | "ADMIN_TOKEN" | "METRICS_TOKEN" | "ENCRYPTION_KEYS", string> {
  return {
    JWT_SECRET: randomBytes(48).toString("base64"),
    ADMIN_TOKEN: randomBytes(32).toString("base64url"),
    METRICS_TOKEN: randomBytes(24).toString("base64url"),
    ENCRYPTION_KEYS: `${label}:${randomBytes(32).toString("base64")}`,
  };
}

/** The caller's environment minus `drop`, node_modules/.bin first on PATH (wrangler needs the Node 22 there), then `settings`. */
export function stackEnv(drop: Iterable<string>, settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of drop) delete env[k];
  env.PATH = `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`;
  return Object.assign(env, settings);
}

export interface ReadyProbe {
  ok: boolean;
  /** What it answered, for the time-out message. */
  status: string;
}

/** GET `${url}/health`: ready on 200. */
export async function healthProbe(url: string): Promise<ReadyProbe> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(8000) });
  return { ok: res.status === 200, status: `${res.status} ${(await res.text()).slice(0, 300)}` };
}

export interface DevProcess {
  pid: number | undefined;
  /** Why it exited ("SIGTERM", "code 1"), null while it runs. */
  exited(): string | null;
  /** What dev/start.ts started, from its "[dev] <name> pid=<pid> pgid=<pgid>" lines. */
  children(): Map<string, { pid: number; pgid: number }>;
  tail(lines?: number): string;
  /** Its whole output (the first 8 MiB). */
  output(): string;
  /** Polls `probe` until ok; throws with the last lines of output if dev/start.ts exits or time runs out. */
  waitReady(probe: () => Promise<ReadyProbe>, opts: { timeoutMs: number; intervalMs?: number }): Promise<void>;
  /**
   * SIGTERM (dev/start.ts stops what it started), SIGKILL to its group after 20 s, then
   * SIGKILL to every child group it reported, in case one outlived it.
   */
  stop(opts?: { onForceKill?: () => void }): Promise<void>;
}

const MAX_KEPT = 8 * 1024 * 1024;

function killGroup(pgid: number | undefined, signal: NodeJS.Signals) {
  if (!pgid) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone
  }
}

/** Starts dev/start.ts from `cwd` in its own process group; its stdout and stderr go to `log`. */
export function spawnDev(opts: {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  log: NodeJS.WritableStream;
  /** Also print its output live. */
  echo?: boolean;
  onChild?: (name: string, pid: number, pgid: number) => void;
}): DevProcess {
  const cwd = opts.cwd ?? ROOT;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(cwd, "dev", "start.ts")], {
    cwd, env: opts.env, detached: true, stdio: ["ignore", "pipe", "pipe"],
  });
  let exited: string | null = null;
  const exitPromise = new Promise<void>((resolve) => child.once("exit", (code, signal) => {
    exited = signal ?? `code ${code}`;
    resolve();
  }));
  const recent: string[] = [];
  const children = new Map<string, { pid: number; pgid: number }>();
  let all = "";
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = "";
    stream.on("data", (buf: Buffer) => {
      opts.log.write(buf);
      const text = buf.toString("utf8");
      if (all.length < MAX_KEPT) all += text;
      if (opts.echo) process.stdout.write(text);
      const lines = (partial + text).split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        if (line) recent.push(line);
        const m = /^\[dev\] (\S+) pid=(\d+) pgid=(\d+)/.exec(line);
        if (m) {
          children.set(m[1]!, { pid: Number(m[2]), pgid: Number(m[3]) });
          opts.onChild?.(m[1]!, Number(m[2]), Number(m[3]));
        }
      }
      if (recent.length > 400) recent.splice(0, recent.length - 400);
    });
  }
  const tail = (lines = 40) => recent.slice(-lines).join("\n");

  let stopped = false;
  return {
    pid: child.pid,
    exited: () => exited,
    children: () => children,
    tail,
    output: () => all,
    async waitReady(probe, { timeoutMs, intervalMs = 1000 }) {
      const deadline = Date.now() + timeoutMs;
      let last = "no answer";
      for (;;) {
        if (exited) throw new Error(`dev/start.ts exited (${exited}) before the stack was ready:\n${tail()}`);
        if (Date.now() > deadline) throw new Error(`the stack was not ready in time (/health: ${last}):\n${tail()}`);
        try {
          const r = await probe();
          last = r.status;
          if (r.ok) return;
        } catch (e) {
          last = e instanceof Error ? e.message : String(e);
        }
        await sleep(intervalMs);
      }
    },
    async stop(stopOpts = {}) {
      if (stopped) return;
      stopped = true;
      if (!exited && child.pid) {
        try {
          process.kill(child.pid, "SIGTERM");
        } catch {
          // gone
        }
        await Promise.race([exitPromise, sleep(20_000)]);
        if (!exited) {
          stopOpts.onForceKill?.();
          killGroup(child.pid, "SIGKILL");
          await Promise.race([exitPromise, sleep(3000)]);
        }
      }
      for (const { pgid } of children.values()) killGroup(pgid, "SIGKILL");
    },
  };
}

/** `base` with its database name replaced by `name`. */
export function withDatabase(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops a run's throwaway database (only `unialist_<kind>_<hex>`); `attempts` tries 3 s apart (a full shared server). */
export async function dropDatabase(adminUrl: string, dbName: string, attempts = 1): Promise<void> {
  if (!/^unialist_[a-z0-9]+_[0-9a-f]+$/.test(dbName)) throw new Error(`refusing to drop ${dbName}`);
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      return;
    } catch (e) {
      if (attempt >= attempts) throw new Error(`could not drop ${dbName}: ${e instanceof Error ? e.message : e}`);
      await sleep(3000);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** Deletes a run's keys (`prefix*`) from a shared Redis. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      const batch = keys as unknown as string[];
      if (batch.length) await client.del(batch);
    }
  } finally {
    await client.quit();
  }
}
