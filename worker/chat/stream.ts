/**
 * Stages 7-8 for a streamed answer, shared by both surfaces: the model call through the
 * provider, then ONE pump that runs each provider delta through the output pipeline
 * (moderation windows, placeholders restored, output filter) and hands what may be shown to
 * the surface's encoder: SSE events `meta`, `delta`, `done` (or `error` then close) for
 * /api/chat (streamChat), OpenAI chunks for /v1 (worker/routes/openai.ts).
 * A failure before the first token is still a JSON 503 (nothing was streamed yet).
 *
 * Per delta the pump costs one await (the provider's next read); the output pipeline and
 * the write are synchronous unless moderation or a slow client makes it wait.
 */
import type { Context } from "hono";
import type { AppEnv } from "../context";
import { getProvider, ProviderError, toAppError, estimateTokens, type ProviderEvent } from "../providers";
import { createOutputPipeline, type OutputStep } from "./output";
import { costEur, type PreparedChat } from "./prepare";
import { acquireCallGuards, acquireCallGuardsAfterCheck, settleCallGuards, type CallGuards } from "./call-guards";
import { recordChat, type ChatOutcome, type ConversationTarget } from "./record";
import { createModeratedOutput, moderationStop } from "./moderation";
import { metricsFor } from "../lib/metrics";
import { createSseBody, SSE_HEADERS, type SseBody } from "../lib/sse";

export const AI_DISCLOSURE = {
  fr: "Vous échangez avec une intelligence artificielle. Ses réponses peuvent contenir des erreurs : vérifiez les informations importantes.",
  en: "You are talking to an artificial intelligence. Its answers may contain mistakes: check important information.",
} as const;

const ERROR_MESSAGES: Record<string, string> = {
  provider_unavailable: "The AI provider stopped answering. Please try again.",
  output_blocked: "The answer was stopped because it contained content that cannot be shown.",
  internal: "The answer could not be completed.",
};

export interface OpenedStream {
  iterator: AsyncIterator<ProviderEvent>;
  first: IteratorResult<ProviderEvent>;
  firstAt: number;
  guards: CallGuards;
}

/**
 * Acquires the call guards (breaker, budget), opens the provider stream and waits for its
 * first event, so early failures stay JSON. `inputCheck` (input moderation, already running)
 * is awaited alongside the guards and decides first (acquireCallGuardsAfterCheck).
 */
export async function openStream(c: Context<AppEnv>, p: PreparedChat, signal: AbortSignal, maxOutputTokens?: number, inputCheck?: Promise<void>): Promise<OpenedStream> {
  const timing = c.get("timing");
  const guards = inputCheck ? await acquireCallGuardsAfterCheck(c, p, inputCheck, maxOutputTokens) : await acquireCallGuards(c, p, maxOutputTokens);
  timing?.mark("guards");
  p.model = guards.model; // after a failover, cost and usage belong to the model actually called
  const provider = getProvider(c.get("config"), p.model.provider);
  const maxTokens = Math.min(maxOutputTokens ?? p.model.maxOutputTokens, p.model.maxOutputTokens);
  const iterator = provider.stream({ model: p.model, messages: p.messages, maxTokens, signal, requestId: p.requestId })[Symbol.asyncIterator]();
  try {
    const first = await iterator.next();
    timing?.mark("upstream");
    return { iterator, first, firstAt: Date.now(), guards };
  } catch (e) {
    settleCallGuards(c, guards, { error: e, costEur: 0 });
    if (e instanceof ProviderError) {
      c.get("log").warn("provider failed before first token", { provider: e.provider, kind: e.kind, status: e.status });
      deferRecord(c, p, null, {
        status: "provider_error", answer: "", inputTokens: 0, outputTokens: 0, costEur: 0, finishReason: e.kind, timeToFirstTokenMs: null,
      });
      throw toAppError(e);
    }
    throw e;
  }
}

export function deferRecord(c: Context<AppEnv>, p: PreparedChat, conversation: ConversationTarget | null, o: ChatOutcome) {
  const scope = c.get("scope");
  const log = c.get("log");
  scope.defer(recordChat(scope, c.get("config"), log, p, conversation, o)
    .catch((e) => log.error("chat rows lost", { errorName: e instanceof Error ? e.name : "unknown" })));
  // Every model call ends here (both surfaces, any outcome): its metrics, written in the background.
  metricsFor(c).recordModelCall({
    model: p.model.id, status: o.status, costEur: o.costEur, latencyMs: Date.now() - p.startedAt,
    timeToFirstTokenMs: o.timeToFirstTokenMs, inputTokens: o.inputTokens, outputTokens: o.outputTokens, blockedReason: o.blockedReason,
  });
}

/** How an answer ended, for the surface's last event. */
export type AnswerEnd =
  | { kind: "done" }
  /** Output moderation stopped it (already audited by the moderation stage). */
  | { kind: "moderation"; error: { code: "content_blocked" | "service_unavailable"; message: string } }
  /** The output filter cut it (secret, canary, system prompt). */
  | { kind: "output_blocked" }
  | { kind: "provider_error" }
  /** Our own failure (a bug), the client still there. */
  | { kind: "internal" }
  /** The client went away: nothing more can be sent. */
  | { kind: "aborted" };

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as { then?: unknown } | null)?.then === "function";

/**
 * The one provider → output pipeline loop of both surfaces. `emit` gets the text the user
 * may see; it returns a promise only when the client is behind (backpressure to the
 * provider). Writes the outcome (usage row, metrics), settles the call guards, audits a cut
 * answer and logs failures; never throws. `controller` aborts the provider call (and
 * moderation checks in flight) when the answer is cut or the client leaves.
 */
export async function pumpAnswer(
  c: Context<AppEnv>, p: PreparedChat, conversation: ConversationTarget | null, opened: OpenedStream,
  controller: AbortController, emit: (text: string) => void | Promise<void>,
): Promise<{ outcome: ChatOutcome; end: AnswerEnd; counts: { deltas: number; waits: number } }> {
  const config = c.get("config");
  const log = c.get("log");
  // Output moderation windows, then placeholders restored and the output filter.
  const output = createModeratedOutput(c, p, createOutputPipeline({ config, mapping: p.piiMapping, canary: p.canary, systemPrompt: p.systemPrompt }), controller.signal);
  const outcome: ChatOutcome = {
    status: "ok", answer: "", inputTokens: 0, outputTokens: 0, costEur: 0, finishReason: "stop",
    timeToFirstTokenMs: opened.firstAt - p.startedAt,
  };
  let answer = "";
  let end: AnswerEnd = { kind: "done" };
  let callError: unknown;
  let finished = false;
  const counts = { deltas: 0, waits: 0 }; // provider deltas; awaits beyond the provider's own (moderation, slow client)

  const show = (step: OutputStep): void | Promise<void> => {
    if (!step.emit) return;
    answer += step.emit;
    return emit(step.emit);
  };
  /** The answer must stop here: moderation (audited by its stage) or the output filter. */
  const cut = (reason: string) => {
    controller.abort();
    outcome.blockedReason = reason;
    const moderated = moderationStop(c, reason);
    if (moderated) {
      outcome.status = "content_blocked";
      end = { kind: "moderation", error: moderated };
      return;
    }
    outcome.status = "output_blocked";
    end = { kind: "output_blocked" };
    // Critical whatever the reason: a secret in the output, or a canary / system-prompt leak
    // (proof that the model was manipulated). Critical events alert operations.
    c.get("audit")({ type: "guard.output_blocked", severity: "critical", userId: p.user.id, requestId: p.requestId, details: { reason } });
  };

  try {
    let step: IteratorResult<ProviderEvent> = opened.first;
    while (!step.done) {
      const ev = step.value;
      if (ev.type === "delta") {
        counts.deltas++;
        let out = output.push(ev.text);
        if (isPromise(out)) counts.waits++, (out = await out);
        const written = show(out);
        if (written) counts.waits++, await written;
        if (out.blocked) {
          cut(out.blocked.reason);
          outcome.outputTokens = estimateTokens(answer);
          break;
        }
      } else {
        outcome.inputTokens = ev.usage.inputTokens;
        outcome.outputTokens = ev.usage.outputTokens;
        outcome.usageEstimated = ev.usage.estimated;
        outcome.finishReason = ev.finishReason;
        const tail = await output.flush();
        const written = show(tail);
        if (written) await written;
        if (tail.blocked) {
          cut(tail.blocked.reason);
          break;
        }
        outcome.costEur = costEur(p.model, outcome);
      }
      step = await opened.iterator.next();
    }
    finished = step.done === true;
  } catch (e) {
    finished = true; // a generator that threw is over
    callError = e;
    if (e instanceof ProviderError) {
      outcome.status = e.kind === "aborted" ? "aborted" : "provider_error";
      outcome.finishReason = e.kind;
      if (e.partial) {
        outcome.inputTokens = e.partial.usage.inputTokens;
        outcome.outputTokens = e.partial.usage.outputTokens;
        outcome.usageEstimated = true;
      }
      log.warn("provider failed mid-stream", { provider: e.provider, kind: e.kind });
      end = { kind: e.kind === "aborted" ? "aborted" : "provider_error" };
    } else if (controller.signal.aborted) {
      outcome.status = "aborted"; // the client went away; nothing more reaches it
      outcome.finishReason = "aborted";
      end = { kind: "aborted" };
    } else {
      outcome.status = "provider_error";
      outcome.finishReason = "internal";
      log.error("stream failed", { errorName: e instanceof Error ? e.name : "unknown" });
      end = { kind: "internal" };
    }
  } finally {
    // Cut before the end: let the provider's generator release its timers and connection.
    if (!finished) opened.iterator.return?.(undefined)?.catch(() => {});
    if (outcome.status !== "ok" && outcome.inputTokens === 0) {
      outcome.inputTokens = estimateTokens(p.messages.map((m) => m.content).join("\n"));
      outcome.outputTokens = Math.max(outcome.outputTokens, estimateTokens(answer));
      outcome.usageEstimated = true;
    }
    if (outcome.status !== "ok") outcome.costEur = costEur(p.model, outcome);
    outcome.answer = answer;
    settleCallGuards(c, opened.guards, { error: callError, costEur: outcome.costEur });
    deferRecord(c, p, conversation, outcome);
  }
  return { outcome, end, counts };
}

/**
 * Deltas written within this delay of the previous chunk leave together (createSseBody): under
 * a burst each chunk saved is a stream read and a network write less in workerd (and in every
 * proxy after it); a token stream slower than this is never held, nor the first delta.
 */
const COALESCE_MS = 2;

/**
 * Starts `pump` (which must never throw) on a fresh SSE body and returns the response: headers
 * now, events as the pump writes them. The request's scope stays open until the pump ends.
 */
export function sseResponse(c: Context<AppEnv>, controller: AbortController, pump: (sse: SseBody) => Promise<void>): Response {
  const sse = createSseBody({ onCancel: () => controller.abort(), coalesceMs: COALESCE_MS });
  const timing = c.get("timing");
  if (timing) c.header("Server-Timing", timing.header());
  c.get("scope").defer(pump(sse).finally(() => sse.close()));
  return c.newResponse(sse.body, 200, SSE_HEADERS);
}

/** One SSE event as wire text (JSON has no line breaks: one `data:` line). */
const sseText = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export async function streamChat(c: Context<AppEnv>, p: PreparedChat, conversation: ConversationTarget, extraMeta: Record<string, unknown> = {}, inputCheck?: Promise<void>) {
  const controller = new AbortController();
  const opened = await openStream(c, p, controller.signal, undefined, inputCheck);
  const config = c.get("config");
  const timing = c.get("timing");

  c.header("X-Request-Id", p.requestId);
  return sseResponse(c, controller, async (sse) => {
    sse.write(sseText("meta", { conversationId: conversation.id, requestId: p.requestId, model: p.model.id, aiDisclosure: AI_DISCLOSURE[config.SYSTEM_PROMPT_LANG], ...extraMeta }));
    let first = !!timing;
    const { outcome, end, counts } = await pumpAnswer(c, p, conversation, opened, controller, (text) => {
      // `{"text":…}` built by hand: one JSON.stringify of the string, no object per delta.
      const event = `event: delta\ndata: {"text":${JSON.stringify(text)}}\n\n`;
      if (first) {
        // What happens after the headers left: an SSE comment (ignored by clients), in the
        // same write as the first delta (one chunk: the head of the answer is never held).
        first = false;
        timing!.mark("firstDelta");
        return sse.write(`: server-timing ${timing!.header()}\n${event}`);
      }
      return sse.write(event);
    });
    // Work counts of this answer (with SERVER_TIMING=on), as a comment before the last event.
    if (timing) sse.write(`: server-timing n-deltas;dur=${counts.deltas}, n-waits;dur=${counts.waits}, n-chunks;dur=${sse.chunks + 1}\n`);
    switch (end.kind) {
      case "done":
        sse.write(sseText("done", { usage: { inputTokens: outcome.inputTokens, outputTokens: outcome.outputTokens }, costEur: outcome.costEur, finishReason: outcome.finishReason }));
        break;
      case "moderation":
        sse.write(sseText("error", end.error));
        break;
      case "aborted":
        break;
      default: {
        const code = end.kind === "output_blocked" ? "output_blocked" : end.kind === "provider_error" ? "provider_unavailable" : "internal";
        sse.write(sseText("error", { code, message: ERROR_MESSAGES[code] }));
      }
    }
  });
}
