/**
 * Starts the local stack of `npm run dev` (dev/start.ts) for one test file: free ports, a
 * throwaway database, Redis key prefix, state and wrangler directories, and only the demo
 * model (no provider key is passed through). `stop()` sends SIGTERM, waits, and removes
 * everything it created.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createClient } from "redis";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Model ids the e2e tests may pick with `?model=`; all served by the demo model. */
export const E2E_MODELS = {
  "gpt-4o-mini": { provider: "openai", upstream: "gpt-4o-mini", inputEurPerMillion: 0.14, outputEurPerMillion: 0.56, maxOutputTokens: 1024 },
  "demo-slow": { provider: "openai", upstream: "scenario:slow", inputEurPerMillion: 0.14, outputEurPerMillion: 0.56, maxOutputTokens: 1024 },
  "demo-xss": { provider: "openai", upstream: "scenario:xss", inputEurPerMillion: 0.14, outputEurPerMillion: 0.56, maxOutputTokens: 1024 },
} as const;

export interface Stack {
  webUrl: string;
  workerUrl: string;
  databaseUrl: string;
  logFile: string;
  /** The last lines the stack printed (for failure messages). */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PROVIDER_KEYS = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MISTRAL_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "MISTRAL_BASE_URL"];

export async function startStack(opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Stack> {
  const id = randomBytes(4).toString("hex");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `unialist-e2e-${id}-`));
  const [port, webPort, bridgePort, proxyPort, demoPort, sinkPort, inspectorPort] = await freePorts(7);
  const pgBase = process.env.E2E_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
  const dbName = `unialist_e2e_${id}`;
  const databaseUrl = `${pgBase}/${dbName}`;
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redisPrefix = `ua:e2e:${id}:`;

  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of PROVIDER_KEYS) delete env[k];
  Object.assign(env, {
    PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
    PORT: String(port),
    WEB_PORT: String(webPort),
    DEV_BRIDGE_PORT: String(bridgePort),
    DEV_PROXY_PORT: String(proxyPort),
    DEMO_MODEL_PORT: String(demoPort),
    ALERT_SINK_PORT: String(sinkPort),
    DEV_INSPECTOR_PORT: String(inspectorPort),
    DEV_STATE_DIR: path.join(tmp, "state"),
    DEV_PERSIST_TO: path.join(tmp, "wrangler-state"),
    DEV_VARS_FILE: path.join(tmp, "none.dev.vars"), // ignore a developer's .dev.vars
    VITE_CACHE_DIR: path.join(tmp, "vite-cache"),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    MODELS_JSON: JSON.stringify(E2E_MODELS),
    DEFAULT_MODEL: "gpt-4o-mini",
    LOG_LEVEL: "warn",
    ...opts.env,
  });

  const logFile = path.join(tmp, "dev.log");
  const log = fs.createWriteStream(logFile);
  const recent: string[] = [];
  const child: ChildProcess = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), ["dev/start.ts"], {
    cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"],
  });
  let exited: string | null = null;
  const exitPromise = new Promise<void>((resolve) => child.once("exit", (code, signal) => {
    exited = signal ?? `code ${code}`;
    resolve();
  }));
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on("data", (buf: Buffer) => {
      log.write(buf);
      recent.push(...buf.toString("utf8").split("\n").filter(Boolean));
      if (recent.length > 400) recent.splice(0, recent.length - 400);
    });
  }
  const tail = (lines = 40) => recent.slice(-lines).join("\n");
  const webUrl = `http://127.0.0.1:${webPort}`;
  const workerUrl = `http://127.0.0.1:${port}`;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited && child.pid) {
      try {
        process.kill(child.pid, "SIGTERM"); // dev/start.ts stops everything it started
      } catch {
        // already gone
      }
      await Promise.race([exitPromise, sleep(20_000)]);
      if (!exited) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
        await Promise.race([exitPromise, sleep(3000)]);
      }
    }
    log.end();
    await dropDatabase(pgBase, dbName).catch((e) => console.warn(`[e2e] could not drop ${dbName}: ${e}`));
    await deleteRedisKeys(redisUrl, redisPrefix).catch((e) => console.warn(`[e2e] could not clean redis ${redisPrefix}*: ${e}`));
    if (!process.env.E2E_KEEP_LOGS) fs.rmSync(tmp, { recursive: true, force: true });
    else console.log(`[e2e] stack logs kept in ${logFile}`);
  };

  // Ready when the page is served and /health answers 200 through the web server's proxy.
  const deadline = Date.now() + (opts.timeoutMs ?? 150_000);
  let lastHealth = "no answer";
  try {
    for (;;) {
      if (exited) throw new Error(`dev/start.ts exited (${exited}) before the stack was ready:\n${tail()}`);
      if (Date.now() > deadline) throw new Error(`the stack was not ready in time (/health: ${lastHealth}):\n${tail()}`);
      try {
        const [page, health] = await Promise.all([
          fetch(`${webUrl}/`, { signal: AbortSignal.timeout(5000) }),
          fetch(`${webUrl}/health`, { signal: AbortSignal.timeout(8000) }),
        ]);
        const html = await page.text();
        lastHealth = `${health.status} ${(await health.text()).slice(0, 300)}`;
        if (page.ok && html.includes('id="auth-view"') && health.status === 200) break;
      } catch {
        // not listening yet
      }
      await sleep(1000);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { webUrl, workerUrl, databaseUrl, logFile, tail, stop };
}

async function dropDatabase(pgBase: string, dbName: string): Promise<void> {
  if (!/^unialist_e2e_[0-9a-f]+$/.test(dbName)) throw new Error(`refusing to drop ${dbName}`);
  const client = new pg.Client({ connectionString: `${pgBase}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...(batch as unknown as string[]));
    if (keys.length) await client.del(keys);
  } finally {
    await client.quit();
  }
}
