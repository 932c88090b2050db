/**
 * Stages 7-8 for a streamed answer: the model call through the provider, restored and
 * filtered output as SSE events `meta`, `delta`, `done`, or `error` then close.
 * A failure before the first token is still a JSON 503 (nothing was streamed yet).
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { AppEnv } from "../context";
import { getProvider, ProviderError, toAppError, estimateTokens, type ProviderEvent } from "../providers";
import { createOutputPipeline } from "./output";
import { costEur, type PreparedChat } from "./prepare";
import { acquireCallGuards, acquireCallGuardsAfterCheck, settleCallGuards } from "./call-guards";
import { recordChat, type ChatOutcome, type ConversationTarget } from "./record";
import { createModeratedOutput, moderationStop } from "./moderation";
import { metricsFor } from "../lib/metrics";

export const AI_DISCLOSURE = {
  fr: "Vous échangez avec une intelligence artificielle. Ses réponses peuvent contenir des erreurs : vérifiez les informations importantes.",
  en: "You are talking to an artificial intelligence. Its answers may contain mistakes: check important information.",
} as const;

/** Characters of SSE waiting for a slow client before the stream waits for it. */
const MAX_BACKLOG = 16_384;

const ERROR_MESSAGES: Record<string, string> = {
  provider_unavailable: "The AI provider stopped answering. Please try again.",
  output_blocked: "The answer was stopped because it contained content that cannot be shown.",
  internal: "The answer could not be completed.",
};

/**
 * Acquires the call guards (breaker, budget), opens the provider stream and waits for its
 * first event, so early failures stay JSON. `inputCheck` (input moderation, already running)
 * is awaited alongside the guards and decides first (acquireCallGuardsAfterCheck).
 */
export async function openStream(c: Context<AppEnv>, p: PreparedChat, signal: AbortSignal, maxOutputTokens?: number, inputCheck?: Promise<void>) {
  const guards = inputCheck ? await acquireCallGuardsAfterCheck(c, p, inputCheck, maxOutputTokens) : await acquireCallGuards(c, p, maxOutputTokens);
  p.model = guards.model; // after a failover, cost and usage belong to the model actually called
  const provider = getProvider(c.get("config"), p.model.provider);
  const maxTokens = Math.min(maxOutputTokens ?? p.model.maxOutputTokens, p.model.maxOutputTokens);
  const iterator = provider.stream({ model: p.model, messages: p.messages, maxTokens, signal, requestId: p.requestId })[Symbol.asyncIterator]();
  try {
    const first = await iterator.next();
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

export async function streamChat(c: Context<AppEnv>, p: PreparedChat, conversation: ConversationTarget, extraMeta: Record<string, unknown> = {}, inputCheck?: Promise<void>) {
  const controller = new AbortController();
  const opened = await openStream(c, p, controller.signal, undefined, inputCheck);
  const config = c.get("config");
  // Output moderation windows, then placeholders restored and the output filter.
  const output = createModeratedOutput(c, p, createOutputPipeline({ config, mapping: p.piiMapping, canary: p.canary, systemPrompt: p.systemPrompt }), controller.signal);
  const audit = c.get("audit");
  const log = c.get("log");

  let sent = "";
  let callError: unknown;
  const outcome: ChatOutcome = {
    status: "ok", answer: "", inputTokens: 0, outputTokens: 0, costEur: 0, finishReason: "stop",
    timeToFirstTokenMs: opened.firstAt - p.startedAt,
  };
  let finished!: () => void;
  c.get("scope").defer(new Promise<void>((r) => (finished = r)));

  c.header("X-Request-Id", p.requestId);
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => controller.abort());
    // Events are formatted as writeSSE does (JSON has no line breaks: one `data:` line) and
    // written by one drain loop: deltas that arrive while a write is in flight leave together in
    // the next write (the meta event and the first delta usually do). `write` resolves once its
    // event is written; deltas are not awaited (`queue`) unless the backlog grows past
    // MAX_BACKLOG (the client's backpressure still reaches the provider), and a failed write
    // surfaces at the next `write` or `drained`.
    let backlog = "";
    let draining: Promise<void> | undefined;
    let writeError: { e: unknown } | undefined;
    const drain = async () => {
      try {
        while (backlog) {
          const chunk = backlog;
          backlog = "";
          await stream.write(chunk);
        }
      } catch (e) {
        writeError ??= { e };
        backlog = "";
      } finally {
        draining = undefined;
      }
    };
    const drained = async () => {
      while (draining) await draining;
      if (writeError) throw writeError.e;
    };
    const queue = (event: string, data: unknown): Promise<void> | undefined => {
      if (writeError) throw writeError.e;
      backlog += `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
      draining ??= drain();
      return backlog.length > MAX_BACKLOG ? drained() : undefined;
    };
    const write = async (event: string, data: unknown) => {
      queue(event, data);
      await drained();
    };
    const fail = async (code: string) => {
      await write("error", { code, message: ERROR_MESSAGES[code] ?? ERROR_MESSAGES.internal });
    };
    try {
      queue("meta", { conversationId: conversation.id, requestId: p.requestId, model: p.model.id, aiDisclosure: AI_DISCLOSURE[config.SYSTEM_PROMPT_LANG], ...extraMeta });
      let step: IteratorResult<ProviderEvent> = opened.first;
      while (!step.done) {
        const ev = step.value;
        if (ev.type === "delta") {
          const out = await output.push(ev.text);
          if (out.emit) {
            sent += out.emit;
            await queue("delta", { text: out.emit });
          }
          if (out.blocked) {
            controller.abort();
            const moderated = moderationStop(c, out.blocked.reason); // audited by the moderation stage
            if (moderated) {
              outcome.status = "content_blocked";
              outcome.blockedReason = out.blocked.reason;
              outcome.outputTokens = estimateTokens(sent);
              await write("error", moderated);
              break;
            }
            outcome.status = "output_blocked";
            outcome.blockedReason = out.blocked.reason;
            outcome.outputTokens = estimateTokens(sent);
            audit({ type: "guard.output_blocked", severity: out.blocked.reason === "canary" || out.blocked.reason === "system_prompt" ? "high" : "critical", userId: p.user.id, requestId: p.requestId, details: { reason: out.blocked.reason } });
            await fail("output_blocked");
            break;
          }
        } else {
          const tail = await output.flush();
          if (tail.emit) {
            sent += tail.emit;
            queue("delta", { text: tail.emit });
          }
          outcome.inputTokens = ev.usage.inputTokens;
          outcome.outputTokens = ev.usage.outputTokens;
          outcome.usageEstimated = ev.usage.estimated;
          outcome.finishReason = ev.finishReason;
          const moderated = tail.blocked && moderationStop(c, tail.blocked.reason);
          if (moderated) {
            outcome.status = "content_blocked";
            outcome.blockedReason = tail.blocked!.reason;
            await write("error", moderated);
            break;
          }
          if (tail.blocked) {
            outcome.status = "output_blocked";
            outcome.blockedReason = tail.blocked.reason;
            audit({ type: "guard.output_blocked", severity: "critical", userId: p.user.id, requestId: p.requestId, details: { reason: tail.blocked.reason } });
            await fail("output_blocked");
            break;
          }
          outcome.costEur = costEur(p.model, outcome);
          await write("done", { usage: { inputTokens: outcome.inputTokens, outputTokens: outcome.outputTokens }, costEur: outcome.costEur, finishReason: outcome.finishReason });
        }
        step = await opened.iterator.next();
      }
      await drained();
    } catch (e) {
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
        if (e.kind !== "aborted") await fail("provider_unavailable").catch(() => {});
      } else if (controller.signal.aborted) {
        outcome.status = "aborted"; // the client went away; writes fail from then on
        outcome.finishReason = "aborted";
      } else {
        outcome.status = "provider_error";
        outcome.finishReason = "internal";
        log.error("stream failed", { errorName: e instanceof Error ? e.name : "unknown" });
        await fail("internal").catch(() => {});
      }
    } finally {
      if (outcome.status !== "ok" && outcome.inputTokens === 0) {
        outcome.inputTokens = estimateTokens(p.messages.map((m) => m.content).join("\n"));
        outcome.outputTokens = Math.max(outcome.outputTokens, estimateTokens(sent));
        outcome.usageEstimated = true;
      }
      if (outcome.status !== "ok") outcome.costEur = costEur(p.model, outcome);
      outcome.answer = sent;
      settleCallGuards(c, opened.guards, { error: callError, costEur: outcome.costEur });
      deferRecord(c, p, conversation, outcome);
      finished();
    }
  });
}
