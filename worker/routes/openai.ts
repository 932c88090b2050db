/**
 * An OpenAI-compatible surface so any OpenAI client can use the gateway:
 * GET /v1/models and POST /v1/chat/completions (stream and non-stream), authenticated by
 * the user's access token and passed through the same stages as /api/chat.
 * Nothing is stored as a conversation here; usage and audit rows are written.
 */
import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { AppEnv } from "../context";
import { createOutputPipeline } from "../chat/output";
import { costEur, prepareChat } from "../chat/prepare";
import { createModeratedOutput, moderateInput, moderationStop } from "../chat/moderation";
import { deferRecord, openStream } from "../chat/stream";
import { settleCallGuards } from "../chat/call-guards";
import type { ChatOutcome } from "../chat/record";
import { AppError } from "../errors";
import { readJson } from "../lib/json";
import { metricsFor } from "../lib/metrics";
import { modelRegistry } from "../providers/models";
import { ProviderError, estimateTokens, type ProviderEvent } from "../providers";
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
    await moderateInput(c, p, { includeHistory: true }); // masked text only; 400 content_blocked, 503 when unavailable (closed)
    p.criticalDomain = detectCriticalDomain(p.userText); // AI Act: the trace is kept here too (no meta event on this surface)
    if (p.criticalDomain) p.dataKey = loadUserDataKey(c.get("scope").db, config, p.user.id);
    const maxTokens = Math.min(body.max_tokens ?? model.maxOutputTokens, model.maxOutputTokens);
    const controller = new AbortController();
    const opened = await openStream(c, p, controller.signal, maxTokens);
    const output = createModeratedOutput(c, p, createOutputPipeline({ config, mapping: p.piiMapping, canary: p.canary, systemPrompt: p.systemPrompt }), controller.signal);
    const modelId = model.id;
    const id = `chatcmpl-${p.requestId.replace(/-/g, "")}`;
    const created = Math.floor(Date.now() / 1000);
    const outcome: ChatOutcome = { status: "ok", answer: "", inputTokens: 0, outputTokens: 0, costEur: 0, finishReason: "stop", timeToFirstTokenMs: opened.firstAt - p.startedAt };

    // Runs the provider stream through restore + filter, calling `emit` for what may be shown.
    let callError: unknown;
    const pump = async (emit: (text: string) => Promise<void>) => {
      let step: IteratorResult<ProviderEvent> = opened.first;
      try {
        while (!step.done) {
          const ev = step.value;
          const out = ev.type === "delta" ? await output.push(ev.text) : await output.flush();
          if (out.emit) {
            outcome.answer += out.emit;
            await emit(out.emit);
          }
          if (out.blocked) {
            controller.abort();
            if (moderationStop(c, out.blocked.reason)) { // audited by the moderation stage
              outcome.status = "content_blocked";
              outcome.blockedReason = out.blocked.reason;
              return;
            }
            outcome.status = "output_blocked";
            outcome.blockedReason = out.blocked.reason;
            c.get("audit")({ type: "guard.output_blocked", severity: "critical", userId: p.user.id, requestId: p.requestId, details: { reason: out.blocked.reason } });
            return;
          }
          if (ev.type === "done") {
            Object.assign(outcome, { inputTokens: ev.usage.inputTokens, outputTokens: ev.usage.outputTokens, finishReason: ev.finishReason, usageEstimated: ev.usage.estimated });
          }
          step = await opened.iterator.next();
        }
      } catch (e) {
        callError = e;
        outcome.status = e instanceof ProviderError && e.kind === "aborted" ? "aborted" : "provider_error";
        if (e instanceof ProviderError && e.partial) Object.assign(outcome, { inputTokens: e.partial.usage.inputTokens, outputTokens: e.partial.usage.outputTokens, usageEstimated: true });
      } finally {
        if (outcome.status !== "ok" && outcome.inputTokens === 0) {
          outcome.inputTokens = estimateTokens(p.messages.map((m) => m.content).join("\n"));
          outcome.outputTokens = estimateTokens(outcome.answer);
          outcome.usageEstimated = true;
        }
        outcome.costEur = costEur(p.model, outcome);
        settleCallGuards(c, opened.guards, { error: callError, costEur: outcome.costEur });
        deferRecord(c, p, null, outcome);
      }
    };
    const usage = () => ({ prompt_tokens: outcome.inputTokens, completion_tokens: outcome.outputTokens, total_tokens: outcome.inputTokens + outcome.outputTokens });

    if (!body.stream) {
      await pump(async () => {});
      if (outcome.status === "output_blocked") throw new AppError("content_blocked", "The answer was blocked by the output filter.");
      const moderated = outcome.status === "content_blocked" ? moderationStop(c, outcome.blockedReason ?? "") : null;
      if (moderated) throw new AppError(moderated.code, moderated.message);
      if (outcome.status !== "ok") throw new AppError("provider_unavailable");
      return c.json({
        id, object: "chat.completion", created, model: model.id,
        choices: [{ index: 0, message: { role: "assistant", content: outcome.answer }, finish_reason: outcome.finishReason }],
        usage: usage(),
      });
    }
    let finished!: () => void;
    c.get("scope").defer(new Promise<void>((r) => (finished = r))); // keeps the request's pool open until the stream ends
    return streamSSE(c, async (stream) => {
      try {
        await streamCompletion(stream);
      } finally {
        finished();
      }
    });
    async function streamCompletion(stream: import("hono/streaming").SSEStreamingApi) {
      stream.onAbort(() => controller.abort());
      const chunk = (delta: Record<string, unknown>, finish: string | null) =>
        stream.writeSSE({ data: JSON.stringify({ id, object: "chat.completion.chunk", created, model: modelId, choices: [{ index: 0, delta, finish_reason: finish }] }) });
      await chunk({ role: "assistant", content: "" }, null);
      await pump((text) => chunk({ content: text }, null));
      if (outcome.status === "ok") {
        await chunk({}, outcome.finishReason);
        if (body.stream_options?.include_usage) {
          await stream.writeSSE({ data: JSON.stringify({ id, object: "chat.completion.chunk", created, model: modelId, choices: [], usage: usage() }) });
        }
      } else if (outcome.status === "content_blocked") {
        await stream.writeSSE({ event: "error", data: JSON.stringify({ error: moderationStop(c, outcome.blockedReason ?? "") }) });
      } else if (outcome.status !== "aborted") {
        const code = outcome.status === "output_blocked" ? "output_blocked" : "provider_unavailable";
        await stream.writeSSE({ event: "error", data: JSON.stringify({ error: { code, message: code === "output_blocked" ? "The answer was blocked by the output filter." : "The AI provider stopped answering." } }) });
      }
      await stream.writeSSE({ data: "[DONE]" });
    }
  });

