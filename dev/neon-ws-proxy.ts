/**
 * A local WebSocket -> TCP proxy so the Neon serverless driver reaches a plain PostgreSQL.
 * The driver connects to `ws://127.0.0.1:PORT/v1?address=host:port`; only loopback
 * targets are allowed so the proxy can never be used to reach another machine.
 *
 * It also answers Neon's HTTP query protocol (`neon()` / drizzle-orm/neon-http with
 * `neonConfig.fetchEndpoint = http://127.0.0.1:PORT/sql`): POST `{query, params}` or
 * `{queries: [...]}` (one transaction) with the `Neon-Connection-String` header; rows as
 * arrays of raw text, `{fields, rows, command, rowCount}` per query; a PostgreSQL error is
 * HTTP 400 `{message, code, ...}`. Connections to PostgreSQL are pooled per connection
 * string, as Neon's own endpoint does: no startup per query.
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import pg from "pg";
import { WebSocketServer } from "ws";
import type { RunningServer } from "./upstash-bridge.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * What the proxy has carried since it started (GET /__stats): the bench counts PostgreSQL
 * round trips per chat with it. `messages` counts the client's protocol messages by type
 * ("startup", "Q" simple query, "P" parse, "S" sync, "X" terminate...): a round trip is a
 * startup, a Q or an S.
 */
export interface ProxyStats {
  connections: number;
  messages: Record<string, number>;
  /** HTTP query requests (POST /sql): one round trip each, whatever they carry. */
  httpQueries: number;
}

/** Every value as PostgreSQL's text, as Neon's endpoint sends it with Neon-Raw-Text-Output. */
const RAW_TEXT = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;
const ERROR_FIELDS = ["severity", "code", "detail", "hint", "position", "internalPosition", "internalQuery", "where", "schema", "table", "column", "dataType", "constraint", "file", "line", "routine"] as const;

interface HttpQuery {
  query: string;
  params?: unknown[];
}

async function runHttpQuery(client: pg.PoolClient, q: HttpQuery) {
  const r = await client.query({ text: q.query, values: q.params ?? [], rowMode: "array", types: RAW_TEXT });
  return {
    command: r.command, rowCount: r.rowCount, rowAsArray: true, rows: r.rows,
    fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID, tableID: f.tableID, columnID: f.columnID, dataTypeSize: f.dataTypeSize, dataTypeModifier: f.dataTypeModifier, format: f.format })),
  };
}

/** POST /sql (see the header). Only loopback databases, as for the WebSocket route. */
async function handleSql(req: http.IncomingMessage, res: http.ServerResponse, pools: Map<string, pg.Pool>, stats: ProxyStats) {
  const send = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  let url: URL;
  try {
    url = new URL(String(req.headers["neon-connection-string"] ?? ""));
  } catch {
    return send(400, { message: "missing or invalid Neon-Connection-String" });
  }
  if (!LOOPBACK.has(url.hostname)) return send(400, { message: "address not allowed" });
  let body: { query?: string; params?: unknown[]; queries?: HttpQuery[] };
  try {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return send(400, { message: "invalid JSON body" });
  }
  stats.httpQueries++;
  const key = url.toString();
  let pool = pools.get(key);
  if (!pool) {
    pool = new pg.Pool({ connectionString: key, max: 10 });
    pool.on("error", () => {}); // an idle connection dropped: the next query opens another
    pools.set(key, pool);
  }
  let client: pg.PoolClient | undefined;
  try {
    client = await pool.connect();
    if (Array.isArray(body.queries)) {
      await client.query("begin");
      try {
        const results = [];
        for (const q of body.queries) results.push(await runHttpQuery(client, q));
        await client.query("commit");
        return send(200, { results });
      } catch (e) {
        await client.query("rollback").catch(() => {});
        throw e;
      }
    }
    if (typeof body.query !== "string") return send(400, { message: "query or queries required" });
    return send(200, await runHttpQuery(client, { query: body.query, params: body.params }));
  } catch (e) {
    const err = e as Error & Record<string, unknown>;
    const out: Record<string, unknown> = { message: err.message };
    for (const k of ERROR_FIELDS) if (err[k] !== undefined) out[k] = err[k];
    return send(400, out);
  } finally {
    client?.release();
  }
}

/** Counts the frontend messages of one connection's byte stream (startup first, then type + length). */
function messageCounter(stats: ProxyStats) {
  let buf = Buffer.alloc(0);
  let started = false;
  return (data: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, data]) : data;
    for (;;) {
      const head = started ? 5 : 4;
      if (buf.length < head) return;
      const len = started ? buf.readInt32BE(1) + 1 : buf.readInt32BE(0);
      if (len < head - 1 || buf.length < len) return;
      const type = started ? String.fromCharCode(buf[0]!) : "startup";
      // An SSLRequest (80877103) is answered by one byte and followed by the real startup.
      if (!started && buf.readInt32BE(4) !== 80877103) started = true;
      stats.messages[type] = (stats.messages[type] ?? 0) + 1;
      buf = buf.subarray(len);
    }
  };
}

export async function startNeonProxy(opts: { port?: number; host?: string } = {}): Promise<RunningServer> {
  const stats: ProxyStats = { connections: 0, messages: {}, httpQueries: 0 };
  const pools = new Map<string, pg.Pool>();
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/__stats") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
    if (req.method === "POST" && req.url === "/sql") {
      handleSql(req, res, pools, stats).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    res.writeHead(426).end("WebSocket or POST /sql only");
  });
  const wss = new WebSocketServer({ server });
  const sockets = new Set<net.Socket>();
  wss.on("connection", (ws, req) => {
    const address = new URL(req.url ?? "/", "http://x").searchParams.get("address") ?? "";
    const sep = address.lastIndexOf(":");
    const host = address.slice(0, sep);
    const port = Number(address.slice(sep + 1));
    if (!LOOPBACK.has(host) || !Number.isInteger(port)) return ws.close(1008, "address not allowed");
    const tcp = net.connect({ host: host.replace(/^\[|\]$/g, ""), port });
    sockets.add(tcp);
    stats.connections++;
    const countMessages = messageCounter(stats);
    tcp.on("data", (d) => ws.readyState === ws.OPEN && ws.send(d));
    tcp.on("close", () => {
      sockets.delete(tcp);
      ws.close();
    });
    tcp.on("error", () => ws.close(1011));
    ws.on("message", (d) => {
      try {
        countMessages(d as Buffer);
      } catch {
        // statistics only
      }
      tcp.write(d as Buffer);
    });
    ws.on("close", () => tcp.destroy());
    ws.on("error", () => tcp.destroy());
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `127.0.0.1:${port}`,
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
      await new Promise<void>((resolve) => wss.close(() => server.close(() => resolve())));
    },
  };
}
