/**
 * A local server speaking the Upstash Redis REST protocol in front of a real Redis.
 * Implements what @upstash/redis and @upstash/ratelimit send: POST `/` (one command),
 * `/pipeline`, `/multi-exec`, bearer auth, `Upstash-Encoding: base64` replies, and the
 * rewrite of `#!lua flags=...` shebangs that only Upstash accepts.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "redis";

export interface UpstashBridgeOptions {
  redisUrl: string;
  token: string;
  port?: number;
  host?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * What a local bridge has served since it started (GET /__stats with the same bearer token):
 * the bench counts round trips per chat with it.
 */
export interface BridgeStats {
  /** HTTP requests (round trips) by path: "/", "/pipeline", "/multi-exec". */
  requests: Record<string, number>;
  /** Redis commands by name (EVALSHA, GET...). */
  commands: Record<string, number>;
}

type Reply = string | number | null | Reply[];

const SHEBANG_WITH_FLAGS = /^#!lua[^\n]*flags=[^\n]*\n/;
const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

/** Strips Upstash-only script flags; remembers the client's SHA so EVALSHA keeps working. */
export function rewriteScript(script: string, shaMap: Map<string, string>): string {
  if (!SHEBANG_WITH_FLAGS.test(script)) return script;
  const stripped = script.replace(SHEBANG_WITH_FLAGS, "");
  shaMap.set(sha1(script), sha1(stripped));
  return stripped;
}

export function encodeReply(value: Reply, base64: boolean): Reply {
  if (!base64) return value;
  if (typeof value === "string") return value === "OK" ? value : Buffer.from(value, "utf8").toString("base64");
  if (Array.isArray(value)) return value.map((v) => encodeReply(v, true));
  return value;
}

function rewriteCommand(args: string[], shaMap: Map<string, string>): { args: string[]; clientSha?: string } {
  const name = (args[0] ?? "").toUpperCase();
  if ((name === "EVAL" || name === "EVAL_RO") && args[1] !== undefined) {
    return { args: [args[0]!, rewriteScript(args[1], shaMap), ...args.slice(2)] };
  }
  if ((name === "EVALSHA" || name === "EVALSHA_RO") && args[1] !== undefined) {
    return { args: [args[0]!, shaMap.get(args[1].toLowerCase()) ?? args[1], ...args.slice(2)] };
  }
  if (name === "SCRIPT" && (args[1] ?? "").toUpperCase() === "LOAD" && args[2] !== undefined) {
    const clientSha = sha1(args[2]);
    return { args: ["SCRIPT", "LOAD", rewriteScript(args[2], shaMap)], clientSha };
  }
  return { args };
}

function toArgs(raw: unknown): string[] | null {
  if (!Array.isArray(raw) || raw.length === 0) return null;
  return raw.map((a) => (typeof a === "string" ? a : typeof a === "object" ? JSON.stringify(a) : String(a)));
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function startUpstashBridge(opts: UpstashBridgeOptions): Promise<RunningServer> {
  const client = createClient({ url: opts.redisUrl, RESP: 2, disableOfflineQueue: true, socket: { reconnectStrategy: (n) => Math.min(n * 100, 1000) } });
  client.on("error", () => {}); // reconnects on its own; callers see per-command errors
  await client.connect();
  const shaMap = new Map<string, string>();
  const expected = Buffer.from(`Bearer ${opts.token}`);
  const stats: BridgeStats = { requests: {}, commands: {} };
  const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);

  const run = async (args: string[]): Promise<{ result?: Reply; error?: string }> => {
    const { args: real, clientSha } = rewriteCommand(args, shaMap);
    try {
      const result = (await client.sendCommand(real)) as Reply;
      return { result: clientSha ?? result };
    } catch (e) {
      return { error: errorText(e) };
    }
  };

  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const auth = Buffer.from(req.headers.authorization ?? "");
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      return send(401, { error: "Unauthorized" });
    }
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.method === "GET" && path === "/__stats") return send(200, stats);
    if (req.method !== "POST") return send(405, { error: "Method not allowed" });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(400, { error: "ERR invalid JSON body" });
    }
    const base64 = (req.headers["upstash-encoding"] ?? "").toString().toLowerCase() === "base64";
    count(stats.requests, path);
    for (const cmd of path === "/" ? [body] : Array.isArray(body) ? body : []) {
      if (Array.isArray(cmd) && cmd.length) count(stats.commands, String(cmd[0]).toUpperCase());
    }
    const encode = (r: { result?: Reply; error?: string }) =>
      r.error !== undefined ? { error: r.error } : { result: encodeReply(r.result ?? null, base64) };

    if (path === "/pipeline" || path === "/multi-exec") {
      if (!Array.isArray(body)) return send(400, { error: "ERR body must be an array of commands" });
      const commands = body.map(toArgs);
      if (commands.some((c) => c === null)) return send(400, { error: "ERR invalid command array" });
      if (path === "/pipeline") {
        const results = await Promise.all((commands as string[][]).map(run));
        return send(200, results.map(encode));
      }
      try {
        const multi = client.multi();
        for (const cmd of commands as string[][]) multi.addCommand(rewriteCommand(cmd, shaMap).args);
        const replies = (await multi.exec()) as unknown as Reply[];
        return send(200, replies.map((r) => (r instanceof Error ? { error: r.message } : encode({ result: r }))));
      } catch (e) {
        return send(400, { error: errorText(e) });
      }
    }
    const args = toArgs(body);
    if (!args) return send(400, { error: "ERR body must be a command array" });
    const reply = await run(args);
    return reply.error !== undefined ? send(400, { error: reply.error }) : send(200, encode(reply));
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.quit().catch(() => client.destroy());
    },
  };
}
