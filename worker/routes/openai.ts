/**
 * An OpenAI-compatible surface so any OpenAI client can use the gateway:
 * GET /v1/models and POST /v1/chat/completions (stream and non-stream), authenticated by
 * the user's access token and passed through the same stages as /api/chat.
 * Nothing is stored as a conversation here; usage and audit rows are written.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context";
import { prepareChat } from "../chat/prepare";
import { moderateInput } from "../chat/moderation";
import { openStream, pumpAnswer, sseResponse } from "../chat/stream";
import type { ChatOutcome } from "../chat/record";
import { AppError } from "../errors";
import { readJson } from "../lib/json";
import { metricsFor } from "../lib/metrics";
import { modelRegistry } from "../providers/models";
import { admissionFromConfig } from "../stages/admission";
import { requireActiveSubscription, requireUser } from "../stages/auth";
import { MAX_MESSAGE_CHARS } from "../stages/validate";
import { rateLimit } from "../stages/rate-limit";
import { requireProcessingConsent } from "../stages/consent";
import { detectCriticalDomain } from "../stages/domain";
import { loadUserDataKey } from "../accounts/data-keys";

const messageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string().max(MAX_MESSAGE_CHARS),
  name: z.string().max(64).optional(),
});
// Loose on purpose for unknown OpenAI options (temperature, top_p...), which are ignored.
const completionSchema = z.object({
  model: z.string().min(1).max(100),
  messages: z.array(messageSchema).min(1).max(50),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
  max_tokens: z.number().int().positive().optional(),
}).refine((b) => b.messages[b.messages.length - 1]!.role === "user", "The last message must be from the user.");

export const openaiRoutes = new Hono<AppEnv>()
  .post("/chat/completions", admissionFromConfig()) // admission first, before auth (see worker/stages/admission)
  .use(requireUser())
  .get("/models", (c) => c.json({
    object: "list",
    data: [...modelRegistry(c.get("config")).keys()].map((id) => ({ id, object: "model", created: 0, owned_by: "unialist" })),
  }))
  .post("/chat/completions", requireActiveSubscription(), rateLimit(), requireProcessingConsent(), async (c) => {
    const config = c.get("config");
    const body = await readJson(c, completionSchema);
    const model = modelRegistry(config).get(body.model);
    if (!model) throw new AppError("invalid_input", "Unknown model.", { details: { issues: [{ path: "model", message: "not in the allowlist" }] } });
    const last = body.messages[body.messages.length - 1]!;
    // Client-supplied system messages are user data here: only our system prompt is a system message.
    const history = body.messages.slice(0, -1).map((m) => ({ role: m.role === "assistant" ? "assistant" as const : "user" as const, content: m.content }));
    const p = await prepareChat({ config, user: c.get("user"), requestId: c.get("requestId"), model, message: last.content, history, audit: c.get("audit"), log: c.get("log"), metrics: metricsFor(c) });
    // Moderation of the masked text (400 content_blocked, 503 when unavailable under `closed`)
    // runs while the call guards are acquired, and decides first (as on /api/chat).
    const moderated = moderateInput(c, p, { includeHistory: true });
    p.criticalDomain = detectCriticalDomain(p.userText); // AI Act: the trace is kept here too (no meta event on this surface)
    if (p.criticalDomain) {
      p.dataKey = loadUserDataKey(c.get("scope").db, config, p.user.id);
      p.dataKey.catch(() => {}); // awaited when the rows are written; a failure surfaces there
    }
    const maxTokens = Math.min(body.max_tokens ?? model.maxOutputTokens, model.maxOutputTokens);
    const controller = new AbortController();
    const opened = await openStream(c, p, controller.signal, maxTokens, moderated);
    const id = `chatcmpl-${p.requestId.replace(/-/g, "")}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = (o: ChatOutcome) => ({ prompt_tokens: o.inputTokens, completion_tokens: o.outputTokens, total_tokens: o.inputTokens + o.outputTokens });

    if (!body.stream) {
      const { outcome, end } = await pumpAnswer(c, p, null, opened, controller, () => {});
      if (end.kind === "output_blocked") throw new AppError("content_blocked", "The answer was blocked by the output filter.");
      if (end.kind === "moderation") throw new AppError(end.error.code, end.error.message);
      if (outcome.status !== "ok") throw new AppError("provider_unavailable");
      return c.json({
        id, object: "chat.completion", created, model: model.id,
        choices: [{ index: 0, message: { role: "assistant", content: outcome.answer }, finish_reason: outcome.finishReason }],
        usage: usage(outcome),
      });
    }
    // Every chunk shares this prefix and suffix: only the delta is serialized per chunk.
    const head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model.id)},"choices":[`;
    const chunk = (delta: string, finish: string | null) => `${head}{"index":0,"delta":${delta},"finish_reason":${JSON.stringify(finish)}}]}\n\n`;
    return sseResponse(c, controller, async (sse) => {
      sse.write(chunk(`{"role":"assistant","content":""}`, null));
      const { outcome, end } = await pumpAnswer(c, p, null, opened, controller, (text) => sse.write(chunk(`{"content":${JSON.stringify(text)}}`, null)));
      if (end.kind === "done") {
        sse.write(chunk("{}", outcome.finishReason));
        if (body.stream_options?.include_usage) sse.write(`${head}],"usage":${JSON.stringify(usage(outcome))}}\n\n`);
      } else if (end.kind === "moderation") {
        sse.write(`event: error\ndata: ${JSON.stringify({ error: end.error })}\n\n`);
      } else if (end.kind !== "aborted") {
        const error = end.kind === "output_blocked"
          ? { code: "output_blocked", message: "The answer was blocked by the output filter." }
          : { code: "provider_unavailable", message: "The AI provider stopped answering." };
        sse.write(`event: error\ndata: ${JSON.stringify({ error })}\n\n`);
      }
      sse.write("data: [DONE]\n\n");
    });
  });

