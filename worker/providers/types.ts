/**
 * The one interface every model provider implements, its events and its typed error.
 * Nothing here knows about a particular provider.
 */
import { AppError } from "../errors";
import type { ModelConfig, ProviderName } from "./models";

export type { ModelConfig, ProviderName };

export type ChatRole = "system" | "user" | "assistant";
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** True when the provider sent no usage and these numbers are estimates (~4 chars/token). */
  estimated?: boolean;
}

export interface ChatRequest {
  model: ModelConfig;
  messages: ChatMessage[];
  maxTokens: number;
  /** The caller's signal (client disconnect): aborts the upstream call. */
  signal: AbortSignal;
  requestId: string;
}

export type ProviderEvent =
  | { type: "delta"; text: string }
  | { type: "done"; finishReason: string; usage: Usage };

export interface Completion {
  text: string;
  finishReason: string;
  usage: Usage;
}

export interface ChatProvider {
  readonly name: ProviderName;
  /** Yields deltas then exactly one `done`; throws ProviderError on any failure. */
  stream(req: ChatRequest): AsyncIterable<ProviderEvent>;
  /** The same call, collected (same timeouts and errors). */
  complete(req: ChatRequest): Promise<Completion>;
}

export type ProviderErrorKind =
  | "timeout"
  | "idle_timeout"
  | "upstream_5xx"
  | "rate_limited"
  | "auth"
  | "bad_request"
  | "network"
  | "aborted"
  | "cut";

/**
 * An upstream failure. The message holds only the provider name, kind and HTTP status,
 * never upstream text; the original error is in `cause` (server side only).
 */
export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly provider: ProviderName;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  /** Whether the circuit breaker should count it (provider or our config at fault). */
  readonly countsAsFailure: boolean;
  /** What was produced before the failure, when the stream had started (estimated usage). */
  readonly partial?: { text: string; usage: Usage };

  constructor(init: {
    kind: ProviderErrorKind;
    provider: ProviderName;
    status?: number;
    retryAfterSeconds?: number;
    countsAsFailure?: boolean;
    partial?: { text: string; usage: Usage };
    cause?: unknown;
  }) {
    super(`provider ${init.provider} failed: ${init.kind}${init.status ? ` (HTTP ${init.status})` : ""}`, { cause: init.cause });
    this.name = "ProviderError";
    this.kind = init.kind;
    this.provider = init.provider;
    this.status = init.status;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.countsAsFailure = init.countsAsFailure ?? defaultCountsAsFailure(init.kind);
    this.partial = init.partial;
  }

  /** Usage to bill for a failed call: the partial estimate, or nothing. */
  get usage(): Usage | undefined {
    return this.partial?.usage;
  }
}

function defaultCountsAsFailure(kind: ProviderErrorKind): boolean {
  return kind !== "bad_request" && kind !== "aborted";
}

/** The client-facing error: a generic 503, Retry-After when known, the details only in `cause`. */
export function toAppError(e: ProviderError): AppError {
  const headers: Record<string, string> = e.retryAfterSeconds ? { "Retry-After": String(e.retryAfterSeconds) } : {};
  return new AppError("provider_unavailable", undefined, { cause: e, headers });
}

/** ~4 characters per token, at least 1 for non-empty text. */
export const estimateTokens = (text: string): number => (text.length === 0 ? 0 : Math.ceil(text.length / 4));

export const estimateInputTokens = (messages: ChatMessage[]): number =>
  estimateTokens(messages.map((m) => m.content).join("\n"));
