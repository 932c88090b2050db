/**
 * A local WebSocket -> TCP proxy so the Neon serverless driver reaches a plain PostgreSQL.
 * The driver connects to `ws://127.0.0.1:PORT/v1?address=host:port`; only loopback
 * targets are allowed so the proxy can never be used to reach another machine.
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
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
  const stats: ProxyStats = { connections: 0, messages: {} };
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/__stats") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
    res.writeHead(426).end("WebSocket only");
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
      await new Promise<void>((resolve) => wss.close(() => server.close(() => resolve())));
    },
  };
}
