/**
 * `npm run dev`: the whole product on this machine with one command.
 *
 * Settings come from `.dev.vars` (KEY=VALUE lines) and every environment variable of the
 * same name overrides them. It checks Redis and PostgreSQL, migrates the database, starts
 * the local Upstash bridge, the Neon WebSocket proxy, the demo model (only without an
 * OPENAI_API_KEY), the alert sink and the web page, then `wrangler dev`, waits for /health
 * and prints the URLs. Ctrl-C (SIGINT) or SIGTERM stops everything it started.
 *
 * Dev-only settings (environment or .dev.vars):
 *   PORT 8787 (worker)       WEB_PORT 5173          DEV_BRIDGE_PORT 8790   DEV_PROXY_PORT 8789
 *   DEMO_MODEL_PORT 8791     ALERT_SINK_PORT 8792   DEV_INSPECTOR_PORT (wrangler's default)
 *   REDIS_URL redis://127.0.0.1:6379               DATABASE_URL postgres://postgres@127.0.0.1:5432/unialist
 *   DEV_STATE_DIR .dev (generated secrets; git-ignored)   DEV_PERSIST_TO (wrangler local state, default .wrangler/state)
 *   DEV_VARS_FILE .dev.vars
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { describeDatabaseUrl, ensureDatabase, runMigrations } from "../db/migrate";
import { configSchema } from "../worker/env";
import { startAlertSink } from "./alert-sink";
import { startDemoModel } from "./demo-model";
import { startNeonProxy } from "./neon-ws-proxy";
import { checkServices, MissingServiceError } from "./preflight";
import { startUpstashBridge } from "./upstash-bridge";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "node_modules", ".bin");

/** Settings that configure this script, never passed to the Worker. */
export const DEV_ONLY_KEYS = [
  "PORT", "WEB_PORT", "DEV_BRIDGE_PORT", "DEV_PROXY_PORT", "DEMO_MODEL_PORT", "ALERT_SINK_PORT",
  "DEV_INSPECTOR_PORT", "REDIS_URL", "DEV_STATE_DIR", "DEV_PERSIST_TO", "DEV_VARS_FILE",
] as const;
/** Every binding the Worker reads (worker/env.ts). */
export const BINDING_KEYS = Object.keys(configSchema.shape);

const DEFAULTS: Record<string, string> = {
  PORT: "8787",
  WEB_PORT: "5173",
  DEV_BRIDGE_PORT: "8790",
  DEV_PROXY_PORT: "8789",
  DEMO_MODEL_PORT: "8791",
  ALERT_SINK_PORT: "8792",
  REDIS_URL: "redis://127.0.0.1:6379",
  DATABASE_URL: "postgres://postgres@127.0.0.1:5432/unialist",
};

/** Secrets generated on first run and kept in DEV_STATE_DIR/secrets.json. */
const GENERATED_SECRETS: Record<string, () => string> = {
  JWT_SECRET: () => randomBytes(48).toString("base64"),
  ADMIN_TOKEN: () => randomBytes(32).toString("base64url"),
  METRICS_TOKEN: () => randomBytes(24).toString("base64url"),
  ENCRYPTION_KEYS: () => `dev1:${randomBytes(32).toString("base64")}`,
};

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

/** Parses KEY=VALUE lines (`#` comments, optional `export `, optional matching quotes). */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const q = value[0];
    if ((q === '"' || q === "'" || q === "`") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    } else {
      value = value.replace(/\s+#.*$/, "").trim(); // trailing comment on an unquoted value
    }
    out[m[1]!] = value;
  }
  return out;
}

/**
 * `.dev.vars` values, each overridden by an environment variable of the same name; the
 * environment also supplies any Worker binding or dev setting absent from the file.
 */
export function resolveSettings(fileVars: Record<string, string>, env: NodeJS.ProcessEnv): Record<string, string> {
  const keys = new Set([...Object.keys(fileVars), ...BINDING_KEYS, ...DEV_ONLY_KEYS]);
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key] !== undefined ? env[key] : fileVars[key];
    if (value !== undefined && value !== "") out[key] = value;
  }
  for (const [key, value] of Object.entries(DEFAULTS)) out[key] ??= value;
  return out;
}

/**
 * One `KEY=value` line that wrangler's .env loader (dotenv + dotenv-expand) reads back
 * exactly: quoted so `#`, spaces and newlines survive, `$` escaped so nothing expands.
 */
export function envFileLine(key: string, value: string): string {
  const quote = ["'", '"', "`"].find((q) => !value.includes(q) && !(q === '"' && /\\[nr]/.test(value)));
  if (!quote) throw new Error(`${key}: value contains every quote character; cannot pass it to wrangler`);
  return `${key}=${quote}${value.replace(/\$/g, "\\$")}${quote}`;
}

const isLoopback = (host: string) => ["127.0.0.1", "localhost", "::1", "[::1]"].includes(host);

// ---------------------------------------------------------------------------------------
// Processes and servers we own
// ---------------------------------------------------------------------------------------

interface OwnedChild {
  name: string;
  child: ChildProcess;
  exited: boolean;
}

const children: OwnedChild[] = [];
const closers: { name: string; close: () => Promise<void> }[] = [];
const tempFiles: string[] = [];
let stopping = false;

const log = (msg: string) => console.log(`[dev] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to the child's whole process group, SIGKILL after `graceMs` if anything remains. */
async function stopChild(c: OwnedChild, graceMs = 5000): Promise<void> {
  const pgid = c.child.pid;
  if (!pgid) return;
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pgid)) {
    log(`${c.name} did not stop within ${graceMs} ms: SIGKILL`);
    signalGroup(pgid, "SIGKILL");
    const killDeadline = Date.now() + 2000;
    while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(50);
  }
}

function removeTempFiles(): void {
  for (const f of tempFiles.splice(0)) fs.rmSync(f, { force: true });
}

async function shutdown(code: number, reason?: string): Promise<never> {
  if (stopping) return new Promise<never>(() => {}); // the first shutdown exits
  stopping = true;
  if (reason) log(reason);
  log("stopping…");
  await Promise.allSettled(children.map((c) => stopChild(c)));
  await Promise.allSettled(closers.reverse().map((c) => c.close()));
  removeTempFiles();
  log("stopped");
  process.exit(code);
}

/** Last resort when the process exits another way (uncaught error): no orphans. */
function killAllNow(): void {
  for (const c of children) if (c.child.pid && groupAlive(c.child.pid)) signalGroup(c.child.pid, "SIGKILL");
  removeTempFiles();
}

function own(name: string, close: () => Promise<void>): void {
  closers.push({ name, close });
}

/** Spawns a binary in its own process group and prefixes its output lines. */
function spawnOwned(name: string, command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): OwnedChild {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const owned: OwnedChild = { name, child, exited: false };
  children.push(owned);
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on("line", (line) => {
      if (line.trim()) console.log(`[${name}] ${line}`);
    });
  }
  child.on("error", (e) => {
    owned.exited = true;
    void shutdown(1, `${name} could not start: ${e.message}`);
  });
  child.on("exit", (code, signal) => {
    owned.exited = true;
    if (!stopping) void shutdown(1, `${name} exited unexpectedly (${signal ?? `code ${code}`})`);
  });
  log(`${name} pid=${child.pid} pgid=${child.pid}`);
  return owned;
}

/** True when nothing listens on 127.0.0.1:port (we can bind it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** Says at once every configured port that is taken, with the setting that moves it. */
async function assertPortsFree(ports: [key: string, port: number][]): Promise<void> {
  const taken: string[] = [];
  for (const [key, port] of ports) if (port !== 0 && !(await portFree(port))) taken.push(`  ${key}=${port} is already in use`);
  if (taken.length) {
    console.error(`[dev] cannot start:\n${taken.join("\n")}\n  Stop what uses it (another npm run dev?) or set that variable to a free port.`);
    process.exit(1);
  }
}

async function listenOrExplain<T>(what: string, key: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      return shutdown(1, `${what}: port ${port} is already in use. Stop what uses it or set ${key} to another port.`);
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------
// The web page
// ---------------------------------------------------------------------------------------

const PLACEHOLDER_HTML = (workerUrl: string) => `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Unialist (dev)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#eee;padding:0 .2em}</style>
</head><body>
<h1>Unialist — développement local</h1>
<p>L'interface web n'existe pas encore (dossier <code>web/</code> vide). L'API tourne :</p>
<ul><li><a href="/health">/health</a> (relayé vers le worker)</li><li>Worker : <code>${workerUrl}</code></li></ul>
</body></html>`;

/** A tiny page on WEB_PORT while web/ is empty; relays /api, /v1 and /health to the worker. */
async function startPlaceholder(port: number, workerUrl: string) {
  const target = new URL(workerUrl);
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    if (/^\/(api|v1)(\/|$)|^\/health(\?|$)/.test(url)) {
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: url, method: req.method, headers: { ...req.headers, host: target.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", () => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end("worker unreachable");
      });
      req.pipe(upstream);
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" });
    res.end(PLACEHOLDER_HTML(workerUrl));
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function findWebConfig(webDir: string): string | undefined {
  return ["vite.config.ts", "vite.config.mts", "vite.config.js", "vite.config.mjs"].find((f) => fs.existsSync(path.join(webDir, f)));
}

async function startWeb(opts: { port: number; workerUrl: string; stateDir: string; childEnv: NodeJS.ProcessEnv }): Promise<string> {
  const webDir = path.join(ROOT, "web");
  const config = findWebConfig(webDir);
  const hasApp = fs.existsSync(path.join(webDir, "index.html")) || fs.existsSync(path.join(webDir, "package.json"));
  if (!config && !hasApp) {
    const placeholder = await listenOrExplain("web placeholder", "WEB_PORT", opts.port, () => startPlaceholder(opts.port, opts.workerUrl));
    own("web placeholder", placeholder.close);
    return "placeholder (web/ is empty)";
  }
  let configPath: string;
  if (config) {
    configPath = config;
  } else {
    // web/ has a page but no config of its own: root web/, API paths relayed to the worker.
    configPath = path.join(opts.stateDir, `vite.config.${process.pid}.mjs`);
    const proxy = Object.fromEntries(["/api", "/v1", "/health"].map((p) => [p, { target: opts.workerUrl, changeOrigin: true }]));
    fs.writeFileSync(configPath, `export default ${JSON.stringify({ root: webDir, clearScreen: false, server: { proxy } }, null, 2)};\n`);
    tempFiles.push(configPath);
  }
  const localVite = path.join(webDir, "node_modules", ".bin", "vite");
  const vite = fs.existsSync(localVite) ? localVite : path.join(BIN, "vite");
  spawnOwned("vite", vite, ["--config", configPath, "--host", "127.0.0.1", "--port", String(opts.port), "--strictPort", "--clearScreen", "false"], {
    cwd: webDir,
    env: { ...opts.childEnv, WORKER_URL: opts.workerUrl, WEB_PORT: String(opts.port) },
  });
  return config ? `vite (web/${config})` : "vite (web/, generated config)";
}

// ---------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------

function loadOrCreateSecrets(stateDir: string, settings: Record<string, string>): string[] {
  const file = path.join(stateDir, "secrets.json");
  let stored: Record<string, string> = {};
  if (fs.existsSync(file)) stored = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
  const generated: string[] = [];
  for (const [key, make] of Object.entries(GENERATED_SECRETS)) {
    if (settings[key]) continue;
    if (!stored[key]) {
      stored[key] = make();
      generated.push(key);
    }
    settings[key] = stored[key]!;
  }
  if (generated.length) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(stored, null, 2) + "\n", { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  return generated;
}

function prepareStateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ignore = path.join(dir, ".gitignore");
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, "# Generated by dev/start.ts: local secrets, never commit.\n*\n");
}

async function waitForHealth(url: string, timeoutMs: number): Promise<{ status: number; body: unknown } | undefined> {
  const deadline = performance.now() + timeoutMs;
  let last: { status: number; body: unknown } | undefined;
  while (performance.now() < deadline && !stopping) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(8000) });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      last = { status: res.status, body };
      if (res.status === 200) return last;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  return last;
}

async function main(): Promise<void> {
  process.on("exit", killAllNow);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => void shutdown(0, `${sig} received`));
  process.on("uncaughtException", (e) => void shutdown(1, `unexpected error: ${e.stack ?? e}`));
  process.on("unhandledRejection", (e) => void shutdown(1, `unexpected error: ${e instanceof Error ? e.stack : e}`));

  const devVarsFile = path.resolve(ROOT, process.env.DEV_VARS_FILE ?? ".dev.vars");
  const fileVars = fs.existsSync(devVarsFile) ? parseDevVars(fs.readFileSync(devVarsFile, "utf8")) : {};
  if (fs.existsSync(devVarsFile)) log(`settings from ${path.relative(ROOT, devVarsFile) || devVarsFile} (environment variables override)`);
  const s = resolveSettings(fileVars, process.env);
  const port = (key: string) => {
    const n = Number(s[key]);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${key} must be a port number, got ${JSON.stringify(s[key])}`);
    return n;
  };

  // 1. Redis and PostgreSQL must answer.
  try {
    await checkServices({ redisUrl: s.REDIS_URL!, databaseUrl: s.DATABASE_URL! });
  } catch (e) {
    if (e instanceof MissingServiceError) {
      console.error(`\n[dev] cannot start: a required service is missing.\n\n${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const dbHost = new URL(s.DATABASE_URL!).hostname;
  if (!isLoopback(dbHost)) {
    console.error(`[dev] DATABASE_URL must point at a local PostgreSQL for npm run dev (got host ${dbHost}); the local Neon proxy only reaches loopback.`);
    process.exit(1);
  }

  const portKeys = ["PORT", "WEB_PORT", "DEV_BRIDGE_PORT", "DEV_PROXY_PORT", "ALERT_SINK_PORT"];
  if (!s.OPENAI_API_KEY) portKeys.push("DEMO_MODEL_PORT");
  if (s.DEV_INSPECTOR_PORT) portKeys.push("DEV_INSPECTOR_PORT");
  await assertPortsFree(portKeys.map((k) => [k, port(k)]));

  // 2. The database and its schema.
  try {
    await ensureDatabase(s.DATABASE_URL!);
    await runMigrations(s.DATABASE_URL!);
  } catch (e) {
    console.error(`[dev] database setup failed on ${describeDatabaseUrl(s.DATABASE_URL!)}: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
  log(`database ${describeDatabaseUrl(s.DATABASE_URL!)} migrated`);

  // 3. Secrets: generated once and kept in the state dir so encrypted data stays readable.
  const stateDir = path.resolve(ROOT, s.DEV_STATE_DIR ?? ".dev");
  prepareStateDir(stateDir);
  const generated = loadOrCreateSecrets(stateDir, s);
  if (generated.length) log(`generated ${generated.join(", ")} into ${path.relative(ROOT, stateDir) || stateDir}/secrets.json`);
  s.UPSTASH_REDIS_REST_TOKEN ??= randomBytes(24).toString("base64url");

  // 4. Local stand-ins for Upstash, Neon, the model provider and the alert channels.
  const bridgePort = port("DEV_BRIDGE_PORT");
  const bridge = await listenOrExplain("Upstash bridge", "DEV_BRIDGE_PORT", bridgePort, () =>
    startUpstashBridge({ redisUrl: s.REDIS_URL!, token: s.UPSTASH_REDIS_REST_TOKEN!, port: bridgePort }));
  own("Upstash bridge", bridge.close);
  const proxyPort = port("DEV_PROXY_PORT");
  const proxy = await listenOrExplain("Neon proxy", "DEV_PROXY_PORT", proxyPort, () => startNeonProxy({ port: proxyPort }));
  own("Neon proxy", proxy.close);

  let demoUrl: string | undefined;
  if (!s.OPENAI_API_KEY) {
    const demoKey = `sk-demo-${randomBytes(16).toString("hex")}`;
    const demoPort = port("DEMO_MODEL_PORT");
    const demo = await listenOrExplain("demo model", "DEMO_MODEL_PORT", demoPort, () => startDemoModel({ port: demoPort, apiKeys: [demoKey] }));
    own("demo model", demo.close);
    demoUrl = `${demo.url}/v1`;
    // Without real keys, every provider answers from the demo model (fallbacks included).
    s.OPENAI_API_KEY = demoKey;
    s.OPENAI_BASE_URL = demoUrl;
    if (!s.ANTHROPIC_API_KEY) Object.assign(s, { ANTHROPIC_API_KEY: demoKey, ANTHROPIC_BASE_URL: demoUrl });
    if (!s.MISTRAL_API_KEY) Object.assign(s, { MISTRAL_API_KEY: demoKey, MISTRAL_BASE_URL: demoUrl });
  }

  const sinkPort = port("ALERT_SINK_PORT");
  const sink = await listenOrExplain("alert sink", "ALERT_SINK_PORT", sinkPort, () => startAlertSink({ port: sinkPort }));
  own("alert sink", sink.close);
  s.SLACK_WEBHOOK_URL ??= `${sink.url}/slack`;
  if (!s.EMAIL_API_URL) {
    s.EMAIL_API_URL = `${sink.url}/email`;
    s.EMAIL_API_KEY ??= "dev-alert-sink";
    s.ALERT_EMAIL_TO ??= "ops@unialist.localhost";
  }

  // 5. The Worker's bindings.
  const workerPort = port("PORT");
  const webPort = port("WEB_PORT");
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  s.ENVIRONMENT ??= "development";
  s.NEON_LOCAL_PROXY = proxy.url;
  s.UPSTASH_REDIS_REST_URL = bridge.url;
  s.REDIS_KEY_PREFIX ??= "ua:";
  s.CORS_ORIGINS ??= `http://127.0.0.1:${webPort},http://localhost:${webPort}`;
  const devOnly = new Set<string>(DEV_ONLY_KEYS);
  const bindings = Object.fromEntries(Object.entries(s).filter(([k]) => !devOnly.has(k)));
  const checked = configSchema.safeParse(bindings);
  if (!checked.success) {
    const keys = [...new Set(checked.error.issues.map((i) => String(i.path[0] ?? "?")))].sort();
    return shutdown(1, `invalid settings (fix them in .dev.vars or the environment): ${keys.join(", ")}`);
  }

  // Secrets go through a 0600 env file rather than --var flags, which `ps` would show.
  const envFile = path.join(stateDir, `wrangler.${process.pid}.env`);
  fs.writeFileSync(envFile, Object.entries(bindings).map(([k, v]) => envFileLine(k, v)).join("\n") + "\n", { mode: 0o600 });
  tempFiles.push(envFile);

  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}`, // Node 22 from node_modules for wrangler
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
    CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true",
  };
  const wranglerArgs = [
    "dev", "--local", "--test-scheduled", "--ip", "127.0.0.1", "--port", String(workerPort),
    "--env-file", envFile, "--show-interactive-dev-session=false",
  ];
  if (s.DEV_INSPECTOR_PORT) wranglerArgs.push("--inspector-port", String(port("DEV_INSPECTOR_PORT")));
  if (s.DEV_PERSIST_TO) wranglerArgs.push("--persist-to", path.resolve(ROOT, s.DEV_PERSIST_TO));
  spawnOwned("wrangler", path.join(BIN, "wrangler"), wranglerArgs, { cwd: ROOT, env: childEnv });

  // 6. The web page.
  const web = await startWeb({ port: webPort, workerUrl, stateDir, childEnv });

  // 7. Ready?
  const health = await waitForHealth(`${workerUrl}/health`, 60_000);
  if (stopping) return;
  // No answer: wrangler keeps watching the sources (a build error is fixed by saving), so
  // keep running and say so rather than tearing everything down.

  const rows: [string, string][] = [
    ["worker", workerUrl],
    ["health", `${workerUrl}/health`],
    ["scheduled", `${workerUrl}/__scheduled?cron=0+*+*+*+*`],
    ["web", `http://127.0.0.1:${webPort}  (${web})`],
    ["demo model", demoUrl ?? "off (OPENAI_API_KEY is set)"],
    ["alert sink", `${sink.url}  (GET ${sink.url}/__control/received)`],
    ["upstash bridge", bridge.url],
    ["neon proxy", `ws://${proxy.url}/v1`],
    ["secrets", `${path.relative(ROOT, stateDir) || stateDir}/secrets.json (ADMIN_TOKEN, METRICS_TOKEN, …)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n  Unialist is running (Ctrl-C stops everything)\n`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  if (!health) {
    console.log(`\n  GET /health -> no answer within 60 s\n`);
    log("WARNING: the worker does not answer yet (see wrangler's errors above); still running and watching for changes.");
  } else {
    console.log(`\n  GET /health -> ${health.status} ${JSON.stringify(health.body)}\n`);
    if (health.status !== 200) log("WARNING: /health is not ok yet; see the failing checks above. Still running.");
  }
  if (health?.status !== 200) {
    // Say so once it becomes healthy (e.g. after a build error is fixed).
    while (!stopping) {
      const later = await waitForHealth(`${workerUrl}/health`, 3_600_000);
      if (later?.status === 200) {
        log(`/health is ok now: ${JSON.stringify(later.body)}`);
        break;
      }
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e) => void shutdown(1, `failed: ${e instanceof Error ? (e.stack ?? e.message) : e}`));
}
