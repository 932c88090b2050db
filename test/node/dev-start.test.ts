/**
 * dev/start.ts (`npm run dev`): its settings helpers, that its env file reaches a Worker
 * verbatim through wrangler, and the whole product started on free ports against a
 * throwaway database, healthy, then stopped by SIGTERM with nothing left running.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { BINDING_KEYS, envFileLine, parseDevVars, resolveSettings, ROOT } from "../../dev/start";
import { freePort, sleep } from "../support/ports";

const BIN = path.join(ROOT, "node_modules", ".bin");
const PG_ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";


function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/** `pid pgid args` of every process on the machine. */
function processes(): { pid: number; pgid: number; args: string }[] {
  return execFileSync("ps", ["-eo", "pid=,pgid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), pgid: Number(m[2]), args: m[3]! }));
}

function killGroup(pid: number | undefined) {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // gone
  }
}

async function waitExit(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe("settings helpers", () => {
  it("parses .dev.vars lines", () => {
    const vars = parseDevVars(
      [
        "# comment",
        "",
        "A=plain",
        "export B = spaced  # trailing comment",
        `C="double # kept\\nline2"`,
        "D='single $HOME kept'",
        "E=",
        "not a line",
        "F=x=y",
      ].join("\n"),
    );
    expect(vars).toEqual({ A: "plain", B: "spaced", C: "double # kept\nline2", D: "single $HOME kept", E: "", F: "x=y" });
  });

  it("lets environment variables override the file; empty means unset; defaults apply", () => {
    const s = resolveSettings(
      { OPENAI_API_KEY: "from-file", PORT: "9000", CUSTOM_FLAG: "file", LOG_LEVEL: "warn" },
      { OPENAI_API_KEY: "from-env", CUSTOM_FLAG: "env", LOG_LEVEL: "", JWT_SECRET: "x".repeat(40), UNRELATED: "no" },
    );
    expect(s.OPENAI_API_KEY).toBe("from-env");
    expect(s.CUSTOM_FLAG).toBe("env");
    expect(s.PORT).toBe("9000");
    expect(s.LOG_LEVEL).toBeUndefined();
    expect(s.JWT_SECRET).toBe("x".repeat(40));
    expect(s.UNRELATED).toBeUndefined();
    expect(s.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(s.DATABASE_URL).toBe("postgres://postgres@127.0.0.1:5432/unialist");
    expect(s.WEB_PORT).toBe("5173");
  });

  it(".dev.vars.example lists every binding that is not a [var] in wrangler.toml, each with a comment, all empty", () => {
    const toml = fs.readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
    const varsSection = toml.split(/^\[vars\]\s*$/m)[1]!.split(/^\[/m)[0]!;
    const vars = new Set([...varsSection.matchAll(/^([A-Z0-9_]+)\s*=/gm)].map((m) => m[1]!));
    const secrets = BINDING_KEYS.filter((k) => !vars.has(k));
    expect(secrets).toContain("JWT_SECRET");
    const example = fs.readFileSync(path.join(ROOT, ".dev.vars.example"), "utf8");
    const parsed = parseDevVars(example);
    expect(Object.keys(parsed).sort()).toEqual([...secrets].sort());
    expect(Object.values(parsed).every((v) => v === "")).toBe(true);
    const lines = example.split("\n");
    for (const key of secrets) {
      const i = lines.findIndex((l) => l.startsWith(`${key}=`));
      expect(lines[i - 1], `comment above ${key}`).toMatch(/^# \S/);
    }
  });

  it("quotes env-file values and escapes $", () => {
    expect(envFileLine("A", "plain")).toBe("A='plain'");
    expect(envFileLine("B", "it's $x")).toBe(`B="it's \\$x"`);
    expect(envFileLine("C", `'"\\n`)).toBe("C=`'\"\\n`");
    expect(() => envFileLine("D", "'\"`")).toThrow(/D/);
  });
});

describe("wrangler --env-file", () => {
  it("hands every value to the Worker verbatim, overriding [vars]", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ua-envfile-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, "index.js"), "export default { fetch: (_r, env) => Response.json(env) };\n");
    fs.writeFileSync(
      path.join(dir, "wrangler.toml"),
      'name = "envfile-check"\nmain = "index.js"\ncompatibility_date = "2026-11-01"\n[vars]\nFROM_TOML = "toml"\nOVERRIDDEN = "toml"\n',
    );
    const values: Record<string, string> = {
      OVERRIDDEN: "env-file",
      DOLLAR: "pa$$word$HOME${PATH}",
      HASH: "a # not a comment",
      QUOTES: `it's "quoted"`,
      NEWLINE: "line1\nline2",
      BACKSLASH: "c:\\n\\path\\$x",
      URL: "postgres://u:p%40ss@127.0.0.1:5432/db?sslmode=disable",
      B64: `dev1:${randomBytes(32).toString("base64")}`,
    };
    const envFile = path.join(dir, "vars.env");
    fs.writeFileSync(envFile, Object.entries(values).map(([k, v]) => envFileLine(k, v)).join("\n") + "\n", { mode: 0o600 });
    const port = await freePort();
    const child = spawn(
      path.join(BIN, "wrangler"),
      ["dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()),
        "--env-file", envFile, "--show-interactive-dev-session=false", "--persist-to", path.join(dir, "state")],
      {
        cwd: dir,
        detached: true,
        stdio: "ignore",
        env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_INCLUDE_PROCESS_ENV: "false" },
      },
    );
    cleanups.push(() => killGroup(child.pid));
    let env: Record<string, string> | undefined;
    for (let i = 0; i < 120 && !env; i++) {
      env = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.json() as Promise<Record<string, string>>).catch(() => undefined);
      if (!env) await sleep(250);
    }
    killGroup(child.pid);
    expect(env).toMatchObject({ ...values, FROM_TOML: "toml" });
  }, 60_000);
});

/** Runs dev/start.ts to completion (for the refusals that exit at once). */
function runStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "dev", "start.ts")], {
      cwd: ROOT,
      env: { ...process.env, DEV_VARS_FILE: "/nonexistent/.dev.vars", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    child.on("exit", (code) => resolve({ code, output }));
  });
}

describe("npm run dev refusals", () => {
  it("names a missing Redis / PostgreSQL with its address and how to start it, and exits 1", async () => {
    const [rp, pp] = [await freePort(), await freePort()];
    const { code, output } = await runStart({ REDIS_URL: `redis://127.0.0.1:${rp}`, DATABASE_URL: `postgres://postgres@127.0.0.1:${pp}/unialist` });
    expect(code).toBe(1);
    expect(output).toContain(`Redis is not reachable at 127.0.0.1:${rp}`);
    expect(output).toContain(`PostgreSQL is not reachable at 127.0.0.1:${pp}`);
    expect(output).toMatch(/Start it:.*redis-server/);
    expect(output).toMatch(/Install it:.*postgresql/);
  }, 30_000);

  it("names every port already in use and the variable that moves it, and exits 1", async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const taken = (busy.address() as net.AddressInfo).port;
    try {
      const { code, output } = await runStart({
        PORT: String(taken), WEB_PORT: String(await freePort()), DEV_BRIDGE_PORT: String(await freePort()),
        DEV_PROXY_PORT: String(await freePort()), DEMO_MODEL_PORT: String(await freePort()), ALERT_SINK_PORT: String(await freePort()),
      });
      expect(code).toBe(1);
      expect(output).toContain(`PORT=${taken} is already in use`);
    } finally {
      busy.close();
    }
  }, 30_000);
});

describe("npm run dev (dev/start.ts)", () => {
  it("starts everything, /health is ok, SIGTERM stops every process it started", async () => {
    const ports = {
      PORT: await freePort(),
      WEB_PORT: await freePort(),
      DEV_BRIDGE_PORT: await freePort(),
      DEV_PROXY_PORT: await freePort(),
      DEMO_MODEL_PORT: await freePort(),
      ALERT_SINK_PORT: await freePort(),
      DEV_INSPECTOR_PORT: await freePort(),
    };
    const dbName = `unialist_devstart_${randomBytes(4).toString("hex")}`;
    const databaseUrl = Object.assign(new URL(PG_ADMIN_URL), { pathname: `/${dbName}` }).toString();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ua-devstart-"));
    cleanups.push(async () => {
      fs.rmSync(tmp, { recursive: true, force: true });
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`drop database if exists "${dbName}" with (force)`);
      await admin.end();
    });

    // A clean environment: no real provider keys or alert channels from the developer's shell.
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MISTRAL_API_KEY", "SLACK_WEBHOOK_URL", "EMAIL_API_URL", "EMAIL_API_KEY",
      "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "MISTRAL_BASE_URL", "UPSTASH_REDIS_REST_TOKEN", "ENVIRONMENT", "MODELS_JSON", "DEFAULT_MODEL"]) delete env[key];
    Object.assign(env, Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), {
      DATABASE_URL: databaseUrl,
      DEV_STATE_DIR: path.join(tmp, "state"),
      DEV_PERSIST_TO: path.join(tmp, "wrangler-state"),
      DEV_VARS_FILE: path.join(tmp, "no.dev.vars"),
    });

    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "dev", "start.ts")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    /** Process groups start.ts reports (`[dev] wrangler pid=1 pgid=1`, same for vite). */
    const groups = () => new Map([...output.matchAll(/\[dev\] (\S+) pid=(\d+) pgid=(\d+)/g)].map((m) => [m[1]!, Number(m[3])]));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await waitExit(child, 15_000).catch(() => child.kill("SIGKILL"));
      }
      for (const pgid of groups().values()) killGroup(pgid);
    });

    const base = `http://127.0.0.1:${ports.PORT}`;
    let health: { status?: string; checks?: Record<string, { ok: boolean }> } | undefined;
    const deadline = Date.now() + 80_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`dev/start.ts exited early (${child.exitCode}):\n${output}`);
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
      if (res?.status === 200) {
        health = (await res.json()) as typeof health;
        break;
      }
      await res?.body?.cancel();
      await sleep(500);
    }
    expect(health, `no healthy /health within 80 s; dev/start.ts printed:\n${output.slice(-6000)}`).toBeDefined();
    expect(health!.status).toBe("ok");
    for (const check of ["redis", "postgres", "durableObject", "modelEndpoint"]) expect(health!.checks?.[check]?.ok, check).toBe(true);

    // The URL table and the health result are printed once ready.
    for (let i = 0; i < 40 && !output.includes("GET /health -> 200"); i++) await sleep(250);
    expect(output).toContain(`worker          ${base}`);
    expect(output).toContain(`http://127.0.0.1:${ports.DEMO_MODEL_PORT}/v1`);
    expect(output).toContain("GET /health -> 200");

    // The web page (placeholder or Vite) relays /health to the worker; the sink answers.
    const viaWeb = await fetch(`http://127.0.0.1:${ports.WEB_PORT}/health`);
    expect(viaWeb.status).toBe(200);
    const sink = await fetch(`http://127.0.0.1:${ports.ALERT_SINK_PORT}/__control/received`);
    expect(await sink.json()).toEqual(expect.any(Array));

    // No secret on any command line.
    const secrets = JSON.parse(fs.readFileSync(path.join(tmp, "state", "secrets.json"), "utf8")) as Record<string, string>;
    expect(Object.keys(secrets).sort()).toEqual(["ADMIN_TOKEN", "ENCRYPTION_KEYS", "JWT_SECRET", "METRICS_TOKEN"]);
    const running = processes();
    for (const value of Object.values(secrets)) expect(running.some((p) => p.args.includes(value))).toBe(false);
    const pgid = groups().get("wrangler") ?? 0;
    expect(pgid).toBeGreaterThan(0);
    expect(running.filter((p) => p.pgid === pgid).map((p) => p.args).join("\n")).toMatch(/workerd/);
    const pgids = new Set(groups().values());

    child.kill("SIGTERM");
    expect(await waitExit(child, 20_000)).toBe(0);
    expect(output).toContain("[dev] stopped");

    const left = processes().filter(
      (p) => pgids.has(p.pgid) || p.args.includes(tmp) || p.args.includes(`127.0.0.1:${ports.PORT}`) || p.args.includes(`--port ${ports.PORT}`) || p.args.includes(`--port ${ports.WEB_PORT}`),
    );
    expect(left).toEqual([]);
    for (const [key, port] of Object.entries(ports)) expect(await listening(port), `${key} ${port} still listening`).toBe(false);
    expect(fs.readdirSync(path.join(tmp, "state")).filter((f) => f.endsWith(".env"))).toEqual([]);
  }, 120_000);
});
