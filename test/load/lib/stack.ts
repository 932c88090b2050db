/**
 * The whole product of `npm run dev` (dev/start.ts) for one load / soak / fault run, started
 * through the shared launcher (test/support/local-stack.ts), plus what is the runs' own:
 *  - free loopback ports for everything, a throwaway database `unialist_<kind>_<hex>`
 *    (dropped by stop()), fresh DEV_STATE_DIR / DEV_PERSIST_TO in a temp dir, no .dev.vars;
 *  - a PRIVATE redis-server on an ephemeral port (REDIS_URL), so nothing touches the shared
 *    Redis and the run may stop it;
 *  - optionally a TCP proxy between the Neon WebSocket proxy and PostgreSQL (DATABASE_URL
 *    points at it) that can be cut and restored, and caps the connections at once;
 *  - secrets (ADMIN_TOKEN, JWT_SECRET...) generated here and passed by environment.
 * stop() sends SIGTERM (dev/start.ts stops what it started), SIGKILLs what remains, drops
 * the database and removes the temp dir.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { devPorts, devSettings, dropDatabase, generatedSecrets, healthProbe, PROVIDER_KEYS, ROOT, spawnDev, stackEnv, withDatabase } from "../../support/local-stack";
import { startPrivateRedis, type PrivateRedis } from "./redis-server";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";
import { sleep } from "./util";

export { ROOT };
export const PG_ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Provider settings of the developer's shell that must not reach the stack (demo model only). */
const SCRUBBED = [
  ...PROVIDER_KEYS,
  "SLACK_WEBHOOK_URL", "EMAIL_API_URL", "EMAIL_API_KEY", "ALERT_EMAIL_TO", "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN",
  "MODELS_JSON", "DEFAULT_MODEL", "ENVIRONMENT", "NEON_LOCAL_PROXY", "AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE",
];

export interface StackOptions {
  /** Short name used in the database name and temp dir: load, soak, faults... */
  kind: string;
  /** Extra settings for dev/start.ts (Worker bindings or dev settings). */
  env?: Record<string, string>;
  /** Put a cuttable TCP proxy in front of PostgreSQL. */
  pgProxy?: { maxConnections?: number };
  /**
   * Run from a snapshot of the sources (worker/, db/, dev/, configs) taken at start, so that
   * edits made meanwhile (wrangler dev reloads the Worker on every saved file, failing the
   * requests in flight with "Your worker restarted mid-request") do not disturb the run.
   * Default true; LOAD_SNAPSHOT=0 runs from the working tree itself.
   */
  snapshot?: boolean;
  /** Print dev/start.ts output live (default: only into the log file). */
  verbose?: boolean;
  readyTimeoutMs?: number;
}

export interface Stack {
  kind: string;
  url: string;
  adminToken: string;
  /** Direct URL of the run's database (not through the proxy): for checks. */
  databaseUrl: string;
  dbName: string;
  redis: PrivateRedis;
  pgProxy?: TcpProxy;
  demoModelUrl: string;
  alertSinkUrl: string;
  /** Port of the Worker's V8 inspector (wrangler dev --inspector-port): see ./inspector.ts. */
  inspectorPort: number;
  logFile: string;
  /** Process id of dev/start.ts and of the wrangler process it started. */
  startPid(): number | undefined;
  wranglerPid(): number | undefined;
  /** The workerd processes under wrangler (usually one). */
  workerdPids(): number[];
  /** CPU ms used so far by each part of the stack (workerd, wrangler's node, dev/start.ts with its bridges and demo model, redis-server). */
  cpuByPart(): Record<string, number>;
  tail(lines?: number): string;
  /** Lines of the whole log matching `re`. */
  grepLog(re: RegExp): string[];
  /** Why the Worker failed these requests (from its "request failed" log lines): cause -> count. */
  failureCauses(requestIds: string[]): Record<string, number>;
  stop(): Promise<void>;
}

function ppidOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid ... ; comm may contain spaces/parens: split after the last ')'
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/** Every descendant pid of `root` (from /proc). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const ppid = ppidOf(pid);
    if (ppid === undefined) continue;
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length && out.length < 10_000) {
    const p = stack.pop()!;
    for (const c of children.get(p) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

export const commOf = (pid: number): string | undefined => {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
};

/** CPU time (user + system) of a process in ms, or undefined once it is gone (clock ticks of 10 ms). */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime (fields 14 and 15)
  } catch {
    return undefined;
  }
}

/** VmRSS of a process in KiB, or undefined once it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Waits (at most `timeoutMs`) until the shared PostgreSQL has `free` connections left; true if it has. */
async function pgHasRoom(free: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ used: number; max: number }>(
        "select count(*)::int as used, current_setting('max_connections')::int as max from pg_stat_activity where backend_type = 'client backend'");
      if (rows[0]!.max - rows[0]!.used >= free) return true;
    } catch {
      // full right now
    } finally {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline) return false;
    await sleep(2000);
  }
}

/** Copies what dev/start.ts and the Worker build need; node_modules is linked, web/ left out (placeholder page). */
function snapshotSources(into: string): string {
  fs.mkdirSync(into, { recursive: true });
  for (const entry of ["worker", "db", "dev"]) {
    fs.cpSync(path.join(ROOT, entry), path.join(into, entry), { recursive: true, filter: (src) => !/\/(\.wrangler|node_modules)(\/|$)/.test(src) });
  }
  for (const file of ["wrangler.toml", "package.json", "tsconfig.json"]) fs.copyFileSync(path.join(ROOT, file), path.join(into, file));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(into, "node_modules"), "dir");
  return into;
}

/**
 * Starts the stack; retried (3 attempts) when the shared PostgreSQL refused it for lack of
 * connections, or when one of the free ports picked was taken by someone else meanwhile.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(opts);
    } catch (e) {
      const why = /too many clients/i.test(String(e)) ? "the shared PostgreSQL is full (too many clients)" : /already in use/i.test(String(e)) ? "a port was taken meanwhile" : undefined;
      if (attempt >= 3 || !why) throw e;
      console.warn(`[stack] ${why}: retrying (attempt ${attempt + 1}/3)`);
      await sleep(why.startsWith("a port") ? 1000 : 15_000);
    }
  }
}

async function startStackOnce(opts: StackOptions): Promise<Stack> {
  const id = randomBytes(4).toString("hex");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `unialist-${opts.kind}-${id}-`));
  const useSnapshot = opts.snapshot ?? process.env.LOAD_SNAPSHOT !== "0";
  const srcRoot = useSnapshot ? snapshotSources(path.join(tmp, "src")) : ROOT;
  const dbName = `unialist_${opts.kind.replace(/[^a-z]/g, "")}_${id}`;
  const pgAdmin = new URL(PG_ADMIN_URL);
  const databaseUrl = withDatabase(PG_ADMIN_URL, dbName);
  const secrets = generatedSecrets("load1");

  const cleanups: (() => Promise<void> | void)[] = [() => fs.rmSync(tmp, { recursive: true, force: true })];
  const runCleanups = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        console.warn(`[stack] cleanup: ${e instanceof Error ? e.message : e}`);
      }
    }
  };

  // The PostgreSQL server is shared: do not start while others hold (almost) every connection.
  if (!(await pgHasRoom(15, 90_000))) console.warn("[stack] the shared PostgreSQL has fewer than 15 free connections after 90 s; starting anyway");
  let redis: PrivateRedis;
  let pgProxy: TcpProxy | undefined;
  try {
    redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    if (opts.pgProxy) {
      pgProxy = await startTcpProxy({ targetHost: pgAdmin.hostname, targetPort: Number(pgAdmin.port || 5432), maxConnections: opts.pgProxy.maxConnections });
      const proxy = pgProxy;
      cleanups.push(() => proxy.close());
    }
    cleanups.push(() => dropDatabase(PG_ADMIN_URL, dbName, 20));
  } catch (e) {
    await runCleanups();
    throw e;
  }

  const ports = await devPorts();
  const workerDbUrl = pgProxy ? Object.assign(new URL(PG_ADMIN_URL), { port: String(pgProxy.port), pathname: `/${dbName}` }).toString() : databaseUrl;

  const env = stackEnv(SCRUBBED, {
    ...devSettings(ports, tmp),
    VITE_CACHE_DIR: path.join(tmp, "vite-cache"),
    DATABASE_URL: workerDbUrl,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `ua:${opts.kind}:${id}:`,
    ...secrets,
    // Every request of a run comes from 127.0.0.1: sign-ups must not hit the per-IP limit.
    AUTH_RATE_LIMIT_PER_IP: "1000000",
    AUTH_RATE_LIMIT_PER_ACCOUNT: "1000000",
    LOG_LEVEL: "warn",
    ...opts.env,
  });

  const logFile = path.join(tmp, "stack.log");
  const log = fs.createWriteStream(logFile);
  const dev = spawnDev({ cwd: srcRoot, env, log, echo: opts.verbose });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await dev.stop();
    await new Promise<void>((resolve) => log.end(() => resolve()));
    if (process.env.LOAD_KEEP_LOGS) {
      const kept = path.join(os.tmpdir(), `unialist-${opts.kind}-${id}.log`);
      fs.copyFileSync(logFile, kept);
      console.log(`[stack] log kept in ${kept}`);
    }
    await runCleanups();
  };

  const url = `http://127.0.0.1:${ports.port}`;
  try {
    await dev.waitReady(() => healthProbe(url), { timeoutMs: opts.readyTimeoutMs ?? 180_000 });
  } catch (e) {
    await stop();
    throw e;
  }

  const wranglerPid = () => dev.children().get("wrangler")?.pgid;
  return {
    kind: opts.kind,
    url,
    adminToken: secrets.ADMIN_TOKEN,
    databaseUrl,
    dbName,
    redis,
    pgProxy,
    demoModelUrl: `http://127.0.0.1:${ports.demoPort}`,
    alertSinkUrl: `http://127.0.0.1:${ports.sinkPort}`,
    inspectorPort: ports.inspectorPort,
    logFile,
    startPid: () => dev.pid,
    wranglerPid,
    workerdPids: () => {
      const w = wranglerPid();
      return w ? descendants(w).filter((p) => commOf(p) === "workerd") : [];
    },
    cpuByPart: () => {
      const out: Record<string, number> = {};
      const add = (part: string, pid: number | undefined) => {
        const ms = pid ? cpuMs(pid) : undefined;
        if (ms !== undefined) out[part] = (out[part] ?? 0) + ms;
      };
      const w = wranglerPid();
      if (w) {
        add("wrangler (node)", w);
        for (const p of descendants(w)) add(commOf(p) === "workerd" ? "workerd" : "wrangler (node)", p);
      }
      add("dev/start.ts: bridges, demo model (node)", dev.pid);
      add("redis-server", redis.pid());
      return out;
    },
    tail: dev.tail,
    grepLog: (re) => dev.output().split("\n").filter((l) => re.test(l)),
    failureCauses: (ids) => failureCauses(dev.output(), ids),
    stop,
  };
}

/** Stops the stack on SIGINT/SIGTERM and after `maxMs` whatever happens; returns a disposer. */
export function guardRun(name: string, maxMs: number, cleanup: () => Promise<void>): () => void {
  let done = false;
  const finish = async (why: string, code: number) => {
    if (done) return;
    done = true;
    console.error(`\n[${name}] ${why}: stopping the stack…`);
    await cleanup().catch((e) => console.error(`[${name}] cleanup failed: ${e}`));
    process.exit(code);
  };
  const timer = setTimeout(() => void finish(`still running after ${Math.round(maxMs / 1000)} s (run deadline)`, 3), maxMs);
  timer.unref();
  const onSignal = (sig: NodeJS.Signals) => void finish(`${sig} received`, 130);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    done = true;
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}

/** The innermost cause of each "request failed" / "dependency unavailable" log line, per request id. */
export function failureCauses(log: string, requestIds: string[]): Record<string, number> {
  const wanted = new Set(requestIds);
  const found = new Map<string, string>();
  for (const line of log.split("\n")) {
    const i = line.indexOf("{");
    if (i < 0 || !/"msg":"(request failed|dependency unavailable|unhandled error)"/.test(line)) continue;
    let entry: { requestId?: string; code?: string; errorMessage?: string; cause?: unknown };
    try {
      entry = JSON.parse(line.slice(i));
    } catch {
      continue;
    }
    if (!entry.requestId || !wanted.has(entry.requestId)) continue;
    let msg = entry.errorMessage ?? "?";
    for (let c = entry.cause as { errorMessage?: string; cause?: unknown } | undefined, n = 0; c && n < 8; c = c.cause as typeof c, n++) {
      if (c.errorMessage) msg = c.errorMessage;
    }
    found.set(entry.requestId, `${entry.code ?? "?"}: ${msg.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "<id>").slice(0, 90)}`);
  }
  const out: Record<string, number> = {};
  for (const id of requestIds) {
    const k = found.get(id) ?? "(no log line)";
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
