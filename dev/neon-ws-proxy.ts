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

export async function startNeonProxy(opts: { port?: number; host?: string } = {}): Promise<RunningServer> {
  const server = http.createServer((_req, res) => {
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
    tcp.on("data", (d) => ws.readyState === ws.OPEN && ws.send(d));
    tcp.on("close", () => {
      sockets.delete(tcp);
      ws.close();
    });
    tcp.on("error", () => ws.close(1011));
    ws.on("message", (d) => tcp.write(d as Buffer));
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
