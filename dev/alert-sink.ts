/**
 * A local stand-in for the alert channels (Slack incoming webhook, email HTTP API), used by
 * `npm run dev` and the tests. It accepts a JSON POST on any path, prints one line per
 * alert and answers 200 `ok`. `GET /__control/received` lists what arrived (DELETE clears).
 *
 * Standalone: `tsx dev/alert-sink.ts` (port ALERT_SINK_PORT, default 8792).
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface ReceivedAlert {
  kind: "slack" | "email" | "other";
  path: string;
  body: unknown;
  at: number;
}

export interface AlertSink {
  url: string;
  port: number;
  received: ReceivedAlert[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_KEPT = 1000;

const oneLine = (s: string, max = 200) => {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

function classify(path: string, body: unknown): { kind: ReceivedAlert["kind"]; summary: string } {
  const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v));
  if ("to" in b || "subject" in b || /mail/i.test(path)) {
    const to = Array.isArray(b.to) ? b.to.map(str).join(",") : str(b.to);
    return { kind: "email", summary: `to=${to || "?"} subject=${JSON.stringify(str(b.subject))} ${oneLine(str(b.text ?? b.html ?? ""))}` };
  }
  if ("text" in b || "blocks" in b || /slack/i.test(path)) {
    return { kind: "slack", summary: oneLine(str(b.text ?? b.blocks ?? "")) };
  }
  return { kind: "other", summary: oneLine(str(body)) };
}

export async function startAlertSink(opts: { port?: number; host?: string; quiet?: boolean } = {}): Promise<AlertSink> {
  const received: ReceivedAlert[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const reply = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (url.pathname === "/__control/received") {
      if (req.method === "DELETE") received.length = 0;
      return reply(200, JSON.stringify(received), "application/json");
    }
    if (req.method !== "POST") return reply(405, "POST only");

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return reply(413, "too large");
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      // Slack also accepts form posts (payload=...); keep the raw text.
    }
    const { kind, summary } = classify(url.pathname, body);
    received.push({ kind, path: url.pathname, body, at: Date.now() });
    if (received.length > MAX_KEPT) received.splice(0, received.length - MAX_KEPT);
    if (!opts.quiet) console.log(`[alert-sink] ${kind}: ${summary}`);
    reply(200, "ok");
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const port = Number(process.env.ALERT_SINK_PORT ?? 8792);
  const sink = await startAlertSink({ port });
  console.log(`[alert-sink] listening on ${sink.url} (GET ${sink.url}/__control/received)`);
  const stop = () => void sink.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
