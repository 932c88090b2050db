/**
 * The whole product for the bench: the model upstream (bench/upstream.ts), then
 * `dev/start.ts` through the shared launcher (test/support/local-stack.ts) with its own
 * ports, a throwaway database `unialist_bench_<random>`, a Redis key prefix of its own, its
 * own wrangler state and generated secrets; then enterprise users signed up through the
 * API. `stop()` removes all of it (processes, database, Redis keys, temporary files).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { BINDING_KEYS, DEV_ONLY_KEYS } from "../dev/start";
import { deleteRedisKeys, devPorts, devSettings, dropDatabase, generatedSecrets, healthProbe, spawnDev, stackEnv, withDatabase } from "../test/support/local-stack";
import { sleep } from "./stats";

export const BENCH_MODEL_ID = "bench-echo";

export interface BenchUser {
  id: string;
  token: string;
}

export interface Stack {
  runId: string;
  workerUrl: string;
  upstreamUrl: string;
  upstreamKey: string;
  databaseName: string;
  users: BenchUser[];
  /** pid -> role, for CPU accounting. */
  roles: Map<number, string>;
  settings: Record<string, string>;
  logFile: string;
  stop(): Promise<void>;
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([new Promise<boolean>((r) => child.once("exit", () => r(true))), sleep(ms).then(() => false)]);
}

/** Keys that must not leak from the caller's environment into the bench stack. */
const CONTROLLED = new Set<string>([...BINDING_KEYS, ...DEV_ONLY_KEYS]);

export async function startStack(opts: {
  root: string;
  users: number;
  resultsDir: string;
  stamp: string;
  log: (s: string) => void;
  /** Worker settings to override (`--set KEY=VALUE`), e.g. MODERATION_PROVIDER=off for an ablation. */
  overrides?: Record<string, string>;
  /** Keep the Worker's and wrangler's logs (LOG_LEVEL=info, WRANGLER_LOG=log) in the stack log. */
  verboseLogs?: boolean;
}): Promise<Stack> {
  const runId = randomBytes(4).toString("hex");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "unialist-bench-"));
  const roles = new Map<number, string>([[process.pid, "load generator (bench, node)"]]);
  const logFile = path.join(opts.resultsDir, `stack-${opts.stamp}.log`);
  const logStream = fs.createWriteStream(logFile);
  const cleanups: (() => Promise<void>)[] = [];
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        opts.log(`cleanup: ${e instanceof Error ? e.message : e}`);
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    await new Promise<void>((r) => logStream.end(() => r()));
  };

  try {
    // 1. The model upstream, in its own process.
    const upstreamKey = `sk-bench-${randomBytes(16).toString("hex")}`;
    const upstream = spawn(process.execPath, ["--import", "tsx", path.join(opts.root, "bench", "upstream.ts")], {
      cwd: opts.root, env: { ...process.env, BENCH_UPSTREAM_KEY: upstreamKey }, stdio: ["pipe", "pipe", "pipe"],
    });
    cleanups.push(async () => {
      upstream.kill("SIGTERM");
      if (!(await waitExit(upstream, 5000))) upstream.kill("SIGKILL");
    });
    roles.set(upstream.pid!, "model upstream (demo model, node)");
    upstream.stderr!.on("data", (d) => logStream.write(`[upstream] ${d}`));
    const upstreamUrl = await new Promise<string>((resolve, reject) => {
      const rl = readline.createInterface({ input: upstream.stdout! });
      rl.once("line", (line) => {
        try {
          resolve((JSON.parse(line) as { url: string }).url);
        } catch {
          reject(new Error(`upstream said: ${line}`));
        }
      });
      upstream.once("exit", (code) => reject(new Error(`upstream exited (${code}); see ${logFile}`)));
      setTimeout(() => reject(new Error("upstream did not start within 30 s")), 30_000).unref();
    });

    // 2. Settings of the stack: own ports, database, Redis prefix, state, secrets.
    const ports = await devPorts();
    const dbBase = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/unialist";
    const databaseName = `unialist_bench_${runId}`;
    const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    const prefix = `bench:${runId}:`;
    const secrets = generatedSecrets("bench1");
    const adminToken = secrets.ADMIN_TOKEN;

    // The database and the Redis keys go away at the end, whatever happens in between.
    cleanups.push(() => dropDatabase(withDatabase(dbBase, "postgres"), databaseName));
    cleanups.push(() => deleteRedisKeys(redisUrl, prefix));

    const settings: Record<string, string> = {
      ...devSettings(ports, tmp),
      REDIS_URL: redisUrl, DATABASE_URL: withDatabase(dbBase, databaseName),
      REDIS_KEY_PREFIX: prefix,
      // Known here so the bench can read the bridge's counters (GET /__stats) for `--only=trips`.
      UPSTASH_REDIS_REST_TOKEN: randomBytes(24).toString("base64url"),
      ...secrets,
      OPENAI_API_KEY: upstreamKey,
      OPENAI_BASE_URL: `${upstreamUrl}/v1`,
      MODELS_JSON: JSON.stringify({ [BENCH_MODEL_ID]: { provider: "openai", upstream: "scenario:echo", inputEurPerMillion: 0.14, outputEurPerMillion: 0.56, maxOutputTokens: 1024 } }),
      DEFAULT_MODEL: BENCH_MODEL_ID,
      // Enterprise users (10,000/h each, unlimited budget); the global window out of the way.
      RATE_LIMIT_GLOBAL: "1000000000",
      AUTH_RATE_LIMIT_PER_IP: "1000000",
      ACCESS_TOKEN_TTL_SECONDS: "7200",
      // An overloaded step must not open the circuit for the steps after it.
      BREAKER_FAILURE_THRESHOLD: "1000",
      // Worker logs at warn: info lines would measure the dev console plumbing (workerd ->
      // wrangler -> dev/start.ts -> this log), not the gateway.
      LOG_LEVEL: "warn",
      // Per-stage durations of each chat (Server-Timing header + an SSE comment): the TTFT breakdown.
      SERVER_TIMING: "on",
    };
    for (const [k, v] of Object.entries(opts.overrides ?? {})) {
      if (!BINDING_KEYS.includes(k)) throw new Error(`--set ${k}: not a Worker setting (see worker/env.ts)`);
      settings[k] = v;
    }
    if (opts.verboseLogs) settings.LOG_LEVEL = opts.overrides?.LOG_LEVEL ?? "info";
    // Nothing of the caller's Worker or dev settings leaks in: the stack has only these.
    const env = stackEnv(CONTROLLED, {
      ...settings,
      // warn: no per-request "[wrangler:info] POST /api/chat 200" lines, and no Worker
      // console output either (wrangler prints it at "log" level); --stack-logs keeps both.
      WRANGLER_LOG: opts.verboseLogs ? "log" : "warn",
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    });

    // 3. dev/start.ts (Upstash bridge, Neon proxy, alert sink, wrangler dev), in its own group.
    opts.log(`stack: starting dev/start.ts (worker :${ports.port}, database ${databaseName}, Redis prefix ${prefix}); log ${path.relative(opts.root, logFile)}`);
    const dev = spawnDev({
      cwd: opts.root, env, log: logStream,
      onChild: (name, pid) => roles.set(pid, name === "wrangler" ? "wrangler dev (node)" : `${name} (node)`),
    });
    if (dev.pid) roles.set(dev.pid, "dev stack (Upstash bridge + Neon proxy + sink, node)");
    cleanups.push(() => dev.stop({ onForceKill: () => opts.log("stack: dev/start.ts did not stop within 20 s: SIGKILL") }));

    const workerUrl = `http://127.0.0.1:${ports.port}`;
    await dev.waitReady(() => healthProbe(workerUrl), { timeoutMs: 180_000, intervalMs: 500 });
    opts.log(`stack: worker healthy at ${workerUrl}`);

    // 4. Users: signed up through the API, made enterprise through the admin API.
    const users: BenchUser[] = [];
    const password = `Bench!${randomBytes(12).toString("base64url")}#9`;
    let next = 0;
    const signUp = async () => {
      while (next < opts.users) {
        const i = next++;
        const reg = await fetch(`${workerUrl}/api/auth/register`, {
          method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: `bench-${runId}-${i}@example.com`, password, consent: { terms: true, version: "2026-11" } }),
        });
        if (reg.status !== 201) throw new Error(`sign-up failed: ${reg.status} ${await reg.text()}`);
        const body = (await reg.json()) as { user: { id: string }; accessToken: string };
        const patch = await fetch(`${workerUrl}/api/admin/users/${body.user.id}`, {
          method: "PATCH", headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
          body: JSON.stringify({ tier: "enterprise", subscriptionActive: true }),
        });
        if (patch.status !== 200) throw new Error(`admin tier change failed: ${patch.status} ${await patch.text()}`);
        users.push({ id: body.user.id, token: body.accessToken });
      }
    };
    await Promise.all(Array.from({ length: 4 }, signUp));
    opts.log(`stack: ${users.length} enterprise users signed up`);

    return { runId, workerUrl, upstreamUrl, upstreamKey, databaseName, users, roles, settings, logFile, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
