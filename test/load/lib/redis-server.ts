/**
 * A private redis-server on an ephemeral loopback port, owned by one run: nothing is kept
 * on disk, and it can be paused (SIGSTOP), resumed (SIGCONT), killed (SIGKILL) and started
 * again on the same port, to play a Redis outage without touching the shared Redis.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { freePort, sleep } from "./util";

export interface PrivateRedis {
  url: string;
  port: number;
  pid(): number | undefined;
  running(): boolean;
  /** SIGSTOP: the server keeps its sockets but answers nothing. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** SIGKILL, and waits for the process to be gone (its data is lost: no persistence). */
  kill(): Promise<void>;
  /** Starts it again on the same port and waits until it answers PING. */
  restart(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
  /** Calls per command since start (INFO commandstats), e.g. { evalsha: 1200, get: 3000 }. */
  commandStats(): Promise<Record<string, number>>;
}

/** One command over a raw connection; returns the bulk string reply. */
function rawCommand(port: number, args: string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port });
    let buf = "";
    s.setTimeout(timeoutMs, () => {
      s.destroy();
      reject(new Error("redis timeout"));
    });
    s.once("error", reject);
    s.once("connect", () => s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`));
    s.on("data", (d) => {
      buf += d.toString("utf8");
      const m = /^\$(\d+)\r\n/.exec(buf);
      if (m && Buffer.byteLength(buf) >= m[0].length + Number(m[1])) {
        s.destroy();
        resolve(buf.slice(m[0].length, m[0].length + Number(m[1])));
      } else if (buf.startsWith("-")) {
        s.destroy();
        reject(new Error(buf.trim()));
      }
    });
  });
}

function ping(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    let buf = "";
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("error", () => done(false));
    s.once("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => {
      buf += d.toString("utf8");
      if (buf.includes("\r\n")) done(buf.startsWith("+PONG"));
    });
  });
}

export async function startPrivateRedis(opts: { port?: number; binary?: string } = {}): Promise<PrivateRedis> {
  const port = opts.port ?? (await freePort());
  const binary = opts.binary ?? process.env.REDIS_SERVER_BIN ?? "redis-server";
  let child: ChildProcess | undefined;
  let exited = true;
  let output = "";

  const launch = async () => {
    output = "";
    const c = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = c;
    exited = false;
    c.stdout!.on("data", (d) => (output = (output + d).slice(-4000)));
    c.stderr!.on("data", (d) => (output = (output + d).slice(-4000)));
    c.once("exit", () => {
      if (child === c) exited = true;
    });
    c.once("error", () => {
      if (child === c) exited = true;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`redis-server exited at start (port ${port}): ${output.trim()}`);
      if (await ping(port)) return;
      await sleep(50);
    }
    c.kill("SIGKILL");
    throw new Error(`redis-server did not answer on port ${port} within 10 s: ${output.trim()}`);
  };

  const waitGone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (!exited && Date.now() < deadline) await sleep(20);
  };

  const kill = async () => {
    if (!child || exited) return;
    child.kill("SIGCONT"); // a stopped process still dies on SIGKILL, but be explicit
    child.kill("SIGKILL");
    await waitGone(5000);
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => (exited ? undefined : child?.pid),
    running: () => !exited,
    pause: () => void (!exited && child?.kill("SIGSTOP")),
    resume: () => void (!exited && child?.kill("SIGCONT")),
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: kill,
    commandStats: async () => {
      const text = await rawCommand(port, ["INFO", "commandstats"]);
      const out: Record<string, number> = {};
      for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
      return out;
    },
  };
}
