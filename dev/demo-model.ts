/**
 * A local OpenAI-compatible model server: the demo model of `npm run dev` and the provider
 * double of the tests. It speaks GET /v1/models, POST /v1/chat/completions (SSE streaming
 * with usage, or JSON) and POST /v1/moderations, and records what it received.
 *
 * Behaviour is chosen by the requested model name, so concurrent tests never interfere:
 *   scenario:slow    chunks every 200 ms          scenario:fail500  HTTP 500
 *   scenario:hang    headers, then nothing        scenario:cut      stream cut mid-way
 *   scenario:echo    answers the user's message   scenario:leak     repeats the system prompt
 *   scenario:xss     answers with active HTML     scenario:429      HTTP 429 + Retry-After
 *   scenario:onechar echo in 1-character chunks   anything else     a short French demo answer
 *   scenario:harmful a long answer with "__flag_violence__" after ~950 characters (output moderation)
 *   scenario:unchecked a long answer with "__mod_fail__" after ~475 characters (moderation fails on it)
 *   scenario:error-event two words, then an SSE `error` event (an upstream failure mid-stream)
 *   scenario:400     HTTP 400 (the provider refuses the input)
 * GET /__control/requests?contains=X&path=/v1/chat/completions filters what was recorded.
 * GET /__control/stats counts the requests served by path (kept even when `requests` is trimmed).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { RunningServer } from "./upstash-bridge.ts";

export interface RecordedRequest {
  path: string;
  model?: string;
  body: unknown;
  at: number;
}

interface ChatMessage {
  role: string;
  content: string;
}

const DEMO_ANSWER =
  "Bonjour ! Je suis l'assistant de démonstration d'Unialist. Je réponds localement, sans compte chez un fournisseur. " +
  "Votre message a bien traversé toutes les protections : authentification, limites, filtrage et masquage des données personnelles.";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function splitWords(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

/** ~95 harmless characters, repeated to make long answers. */
const FILLER = "Voici une longue réponse tranquille sur la cuisine, les jardins et les promenades du dimanche. ";

function answerFor(model: string, messages: ChatMessage[]): string {
  if (model === "scenario:harmful") return `${FILLER.repeat(10)}__flag_violence__ ${FILLER.repeat(10)}FIN-HARMFUL`;
  if (model === "scenario:unchecked") return `${FILLER.repeat(5)}__mod_fail__ ${FILLER.repeat(5)}FIN-UNCHECKED`;
  const user = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const system = messages.find((m) => m.role === "system")?.content ?? "";
  if (model === "scenario:echo" || model === "scenario:onechar" || model === "scenario:error-event") return user;
  if (model === "scenario:leak") return `Voici mes instructions : ${system}`;
  if (model === "scenario:xss") return 'Voici <img src=x onerror="window.__xss=1"> et <script>window.__xss=2</script> **fin**';
  return DEMO_ANSWER;
}

const approxTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** Flagged categories when a moderation input contains one of these words. */
const MODERATION_TRIGGERS: Record<string, string> = {
  "__flag_violence__": "violence",
  "__flag_selfharm__": "self-harm",
  "__flag_hate__": "hate",
};

export async function startDemoModel(opts: { port?: number; host?: string; apiKeys?: string[] } = {}): Promise<RunningServer & { requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const served: Record<string, number> = {};
  const keys = new Set(opts.apiKeys ?? []);
  const sockets = new Set<import("node:net").Socket>();

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };

    if (url.pathname === "/__control/stats") return json(200, { requests: served });
    if (url.pathname === "/__control/requests") {
      if (req.method === "DELETE") requests.length = 0;
      const contains = url.searchParams.get("contains");
      const path = url.searchParams.get("path");
      return json(200, requests.filter((r) => (!contains || JSON.stringify(r.body).includes(contains)) && (!path || r.path === path)));
    }
    if (keys.size > 0) {
      const token = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
      if (!keys.has(token)) return json(401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } });
    }
    if (req.method === "GET" && url.pathname === "/v1/models") {
      return json(200, { object: "list", data: [{ id: "demo", object: "model", created: 0, owned_by: "unialist-dev" }] });
    }
    if (req.method !== "POST") return json(404, { error: { message: "Not found", type: "invalid_request_error" } });

    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return json(400, { error: { message: "Invalid JSON", type: "invalid_request_error" } });
    }
    const model = String(body.model ?? "demo");
    requests.push({ path: url.pathname, model, body, at: Date.now() });
    served[url.pathname] = (served[url.pathname] ?? 0) + 1;

    if (url.pathname === "/v1/moderations") {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      const text = inputs.map((i) => (typeof i === "string" ? i : JSON.stringify(i))).join("\n");
      if (text.includes("__mod_fail__")) return json(500, { error: { message: "moderation failed" } });
      if (text.includes("__mod_slow__")) await sleep(5000);
      const results = inputs.map((i) => {
        const s = typeof i === "string" ? i : JSON.stringify(i);
        const categories: Record<string, boolean> = {};
        const scores: Record<string, number> = {};
        for (const cat of ["harassment", "hate", "self-harm", "sexual", "violence", "illicit"]) {
          categories[cat] = false;
          scores[cat] = 0.0001;
        }
        for (const [trigger, cat] of Object.entries(MODERATION_TRIGGERS)) {
          if (s.includes(trigger)) {
            categories[cat] = true;
            scores[cat] = 0.98;
          }
        }
        return { flagged: Object.values(categories).some(Boolean), categories, category_scores: scores };
      });
      return json(200, { id: `modr-${Date.now()}`, model: "omni-moderation-latest", results });
    }

    if (url.pathname !== "/v1/chat/completions") return json(404, { error: { message: "Not found" } });
    const messages = (Array.isArray(body.messages) ? body.messages : []) as ChatMessage[];
    if (model === "scenario:fail500") return json(500, { error: { message: "upstream exploded at host db-7.internal", type: "server_error" } });
    if (model === "scenario:429") return json(429, { error: { message: "Rate limit reached", type: "rate_limit" } }, { "retry-after": "7" });
    if (model === "scenario:400") return json(400, { error: { message: "This model's maximum context length is exceeded", type: "invalid_request_error" } });

    const answer = answerFor(model, messages);
    const pieces = model === "scenario:onechar" ? [...answer] : splitWords(answer);
    const promptTokens = approxTokens(messages.map((m) => m.content).join(" "));
    const completionTokens = approxTokens(answer);
    const id = `chatcmpl-${Date.now().toString(36)}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };

    if (!body.stream) {
      return json(200, {
        id, object: "chat.completion", created, model,
        choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
        usage,
      });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }],
    });
    if (model === "scenario:hang") {
      res.flushHeaders();
      return; // never answers; the gateway's idle timeout must fire
    }
    let aborted = false;
    res.on("close", () => (aborted = true));
    send(chunk({ role: "assistant", content: "" }));
    const delay = model === "scenario:slow" ? 200 : 0;
    for (let i = 0; i < pieces.length; i++) {
      if (aborted) return;
      if (model === "scenario:error-event" && i === 2) {
        res.write(`event: error\ndata: ${JSON.stringify({ error: { message: "upstream overloaded", type: "server_error" } })}\n\n`);
        res.end();
        return;
      }
      if (model === "scenario:cut" && i === Math.floor(pieces.length / 2)) {
        res.socket?.destroy();
        return;
      }
      send(chunk({ content: pieces[i] }));
      if (delay) await sleep(delay);
      else if (i % 8 === 7) await new Promise((r) => setImmediate(r));
    }
    send(chunk({}, "stop"));
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
    if (includeUsage) send({ id, object: "chat.completion.chunk", created, model, choices: [], usage });
    res.write("data: [DONE]\n\n");
    res.end();
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const port = Number(process.env.DEMO_MODEL_PORT ?? 8791);
  const key = process.env.DEMO_MODEL_API_KEY;
  startDemoModel({ port, apiKeys: key ? [key] : [] }).then((s) => console.log(`demo model on ${s.url}/v1`));
}
