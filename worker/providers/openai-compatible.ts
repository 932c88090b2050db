/**
 * The shared engine of every provider: the `openai` SDK against an OpenAI-compatible chat
 * completions endpoint, streamed, with our own total and idle timeouts, the caller's
 * AbortSignal, estimated usage when the stream ends without one, and every failure mapped
 * to a ProviderError. Provider quirks come in as options from the provider's own file.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { Config } from "../env";
import { SseDecoder } from "../lib/sse";
import { providerEndpoint } from "./models";
import {
  estimateInputTokens,
  estimateTokens,
  ProviderError,
  type ChatProvider,
  type ChatRequest,
  type Completion,
  type ModelConfig,
  type ProviderErrorKind,
  type ProviderEvent,
  type ProviderName,
  type Usage,
} from "./types";

export interface CompatOptions {
  name: ProviderName;
  /** Send `stream_options: {include_usage: true}` (Mistral rejects it: 422). Default true. */
  streamUsageOption?: boolean;
  /** Which field carries the output cap for this model. Default `max_tokens`. */
  tokenLimitField?: (model: ModelConfig) => "max_tokens" | "max_completion_tokens";
  /** Extra request headers (never secrets, never user text). */
  headers?: (req: ChatRequest) => Record<string, string>;
  /** Injected fetch (tests); defaults to the global fetch. */
  fetch?: typeof fetch;
}

type Stop = "timeout" | "idle_timeout" | "aborted";

export function createOpenAICompatibleProvider(config: Config, opts: CompatOptions): ChatProvider {
  const { name } = opts;
  const { baseUrl, apiKey } = providerEndpoint(config, name);
  const totalMs = config.PROVIDER_TIMEOUT_MS;
  const idleMs = config.PROVIDER_IDLE_TIMEOUT_MS;
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let client: OpenAI | undefined;
  const getClient = () =>
    (client ??= new OpenAI({
      apiKey: apiKey!,
      baseURL: baseUrl,
      // Everything explicit so nothing is read from process.env (other providers' keys).
      adminAPIKey: null,
      organization: null,
      project: null,
      maxRetries: 0,
      // Backstop only; our own timers below decide (0 = disabled).
      timeout: (totalMs || 600_000) + 5_000,
      logLevel: "off",
      fetch: doFetch as never,
    }));

  async function* stream(req: ChatRequest): AsyncGenerator<ProviderEvent> {
    const inputTokens = estimateInputTokens(req.messages);
    let text = "";
    let started = false;
    let stopped: Stop | undefined;
    const ctl = new AbortController();
    const stop = (why: Stop) => {
      if (!stopped) (stopped = why), ctl.abort();
    };
    const partialUsage = (): Usage => ({ inputTokens, outputTokens: estimateTokens(text), estimated: true });
    const fail = (kind: ProviderErrorKind, cause?: unknown, extra: { status?: number; retryAfterSeconds?: number; countsAsFailure?: boolean } = {}) =>
      new ProviderError({ kind, provider: name, cause, ...extra, partial: started ? { text, usage: partialUsage() } : undefined });

    if (!apiKey) throw fail("auth", undefined, { countsAsFailure: true });
    if (req.signal.aborted) throw fail("aborted");

    const onCallerAbort = () => stop("aborted");
    req.signal.addEventListener("abort", onCallerAbort, { once: true });
    const total = totalMs > 0 ? setTimeout(() => stop("timeout"), totalMs) : undefined;
    // One idle timer per call, not one per chunk: each chunk only moves `lastActivity`; when
    // the timer fires early it re-arms for the rest. While the consumer holds a delta
    // (`paused`) the clock does not run: its own slowness is not upstream idleness.
    let idle: ReturnType<typeof setTimeout> | undefined;
    let lastActivity = 0;
    let paused = false;
    const onIdleTimer = () => {
      idle = undefined;
      if (paused || stopped) return;
      const left = lastActivity + idleMs - Date.now();
      if (left > 0) idle = setTimeout(onIdleTimer, left);
      else stop("idle_timeout");
    };
    const armIdle = () => {
      if (idleMs <= 0) return;
      paused = false;
      lastActivity = Date.now();
      idle ??= setTimeout(onIdleTimer, idleMs);
    };
    const pauseIdle = () => {
      paused = true;
    };

    let finishReason: string | null = null;
    let usage: Usage | undefined;
    try {
      try {
        armIdle(); // also bounds the wait for the response headers
        const field = opts.tokenLimitField?.(req.model) ?? "max_tokens";
        // The SDK builds and sends the request and maps HTTP errors (APIError); the body is read
        // here: every event of one network read is parsed in one pass and their text handed on
        // as ONE delta (under load a read carries many events; each delta costs the whole output
        // pipeline downstream).
        const response = await getClient().chat.completions.create(
          {
            model: req.model.upstream,
            messages: req.messages,
            stream: true,
            ...(opts.streamUsageOption === false ? {} : { stream_options: { include_usage: true } }),
            ...(field === "max_tokens" ? { max_tokens: req.maxTokens } : { max_completion_tokens: req.maxTokens }),
          },
          { signal: ctl.signal, headers: opts.headers?.(req) },
        ).asResponse();
        started = true;
        armIdle();
        if (!response.body) throw fail("cut");
        const reader = response.body.getReader();
        const bytes = new TextDecoder();
        const sse = new SseDecoder();
        let sawDone = false;
        try {
          while (!sawDone) {
            let read: ReadableStreamReadResult<Uint8Array>;
            try {
              read = await reader.read();
            } catch (e) {
              if (stopped) break; // our own abort (timeout, caller): reported below, as the SDK did
              throw e;
            }
            let piece = "";
            for (const ev of sse.push(read.done ? bytes.decode() : bytes.decode(read.value, { stream: true }), read.done)) {
              if (ev.data === "[DONE]") {
                sawDone = true;
                break;
              }
              const chunk = parseChunk(ev.event, ev.data, response.headers);
              if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
              const choice = chunk.choices?.[0];
              if (choice?.finish_reason) finishReason = choice.finish_reason;
              const content = choice?.delta?.content;
              if (content) piece += content;
            }
            if (piece) {
              text += piece;
              pauseIdle(); // the consumer's own slowness is not upstream idleness
              yield { type: "delta", text: piece };
            }
            if (read.done) break;
            armIdle();
          }
        } finally {
          reader.releaseLock();
        }
      } catch (e) {
        throw classify(e, stopped, started, fail);
      }
      // An abort of ours ends the read silently: tell why. A stream without finish_reason was cut.
      if (stopped && !finishReason) throw fail(stopped);
      if (!finishReason) throw fail("cut");
      yield { type: "done", finishReason, usage: usage ?? partialUsage() };
    } finally {
      clearTimeout(total);
      clearTimeout(idle);
      req.signal.removeEventListener("abort", onCallerAbort);
      ctl.abort(); // consumer stopped early, or finished: release the upstream connection
    }
  }

  async function complete(req: ChatRequest): Promise<Completion> {
    let text = "";
    for await (const ev of stream(req)) {
      if (ev.type === "delta") text += ev.text;
      else return { text, finishReason: ev.finishReason, usage: ev.usage };
    }
    throw new ProviderError({ kind: "cut", provider: name });
  }

  return { name, stream, complete };
}

/**
 * One SSE event of the stream, as the SDK's own reader judged it: malformed JSON is a
 * SyntaxError, an `error` event or an `error` member an APIError without status.
 */
function parseChunk(event: string, data: string, headers: Headers): ChatCompletionChunk {
  let parsed: (ChatCompletionChunk & { error?: unknown }) | null;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw new SyntaxError("Error reading response: malformed server-sent event JSON.");
  }
  if (event === "error") throw new APIError(undefined, (parsed as { error?: object } | null)?.error ?? parsed ?? undefined, undefined, headers);
  if (parsed && parsed.error) throw new APIError(undefined, parsed.error as object, undefined, headers);
  return parsed ?? ({} as ChatCompletionChunk);
}

type Fail = (kind: ProviderErrorKind, cause?: unknown, extra?: { status?: number; retryAfterSeconds?: number; countsAsFailure?: boolean }) => ProviderError;

function classify(e: unknown, stopped: Stop | undefined, started: boolean, fail: Fail): ProviderError {
  if (e instanceof ProviderError) return e;
  if (stopped) return fail(stopped, e);
  if (e instanceof APIUserAbortError) return fail("aborted", e);
  if (e instanceof APIConnectionTimeoutError) return fail("timeout", e);
  if (e instanceof APIConnectionError) return fail(started ? "cut" : "network", e);
  if (e instanceof APIError) {
    const status = e.status;
    const retryAfterSeconds = retryAfter(e.headers);
    if (status === undefined) return fail("upstream_5xx", e, { retryAfterSeconds }); // error event inside the stream
    if (status === 429) return fail("rate_limited", e, { status, retryAfterSeconds });
    if (status === 401 || status === 403) return fail("auth", e, { status });
    // 400/413: the user's input (e.g. too long). Other 4xx (404 model, 422 schema): our config.
    if (status < 500) return fail("bad_request", e, { status, countsAsFailure: status !== 400 && status !== 413 });
    return fail("upstream_5xx", e, { status, retryAfterSeconds });
  }
  return fail(started ? "cut" : "network", e);
}

/** Seconds from `retry-after-ms` / `retry-after` (seconds or HTTP date), clamped to 1..3600. */
export function retryAfter(headers: Headers | undefined): number | undefined {
  const clamp = (s: number) => (Number.isFinite(s) ? Math.min(3600, Math.max(1, Math.ceil(s))) : undefined);
  const ms = headers?.get("retry-after-ms");
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return clamp(Number(ms) / 1000);
  const v = headers?.get("retry-after")?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return clamp(Number(v));
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : clamp((at - Date.now()) / 1000);
}
