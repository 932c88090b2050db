import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../env";
import { createAnthropicProvider } from "./anthropic";
import { getProvider } from "./index";
import { createMistralProvider } from "./mistral";
import { createOpenAIProvider } from "./openai";
import { retryAfter } from "./openai-compatible";
import { ProviderError, toAppError, type ChatMessage, type ChatProvider, type ModelConfig, type ProviderEvent, type ProviderName } from "./types";

const config = loadConfig(env);
const doubleUrl = config.OPENAI_BASE_URL.replace(/\/v1\/?$/, "");

const model = (upstream: string, provider: ProviderName = "openai"): ModelConfig => ({
  id: `t-${upstream}`, provider, upstream, inputEurPerMillion: 0, outputEurPerMillion: 0, maxOutputTokens: 256,
});

function request(upstream: string, userText: string, extra: { signal?: AbortSignal; provider?: ProviderName } = {}) {
  const messages: ChatMessage[] = [
    { role: "system", content: "Tu es l'assistant d'Unialist." },
    { role: "user", content: userText },
  ];
  return {
    model: model(upstream, extra.provider),
    messages,
    maxTokens: 123,
    signal: extra.signal ?? new AbortController().signal,
    requestId: crypto.randomUUID(),
  };
}

const marker = () => `mk-${crypto.randomUUID()}`;

async function drain(it: AsyncIterable<ProviderEvent>, onDelta?: (text: string, i: number) => void | Promise<void>) {
  const deltas: string[] = [];
  let done: Extract<ProviderEvent, { type: "done" }> | undefined;
  let error: ProviderError | undefined;
  try {
    for await (const ev of it) {
      if (ev.type === "delta") {
        deltas.push(ev.text);
        await onDelta?.(ev.text, deltas.length - 1);
      } else done = ev;
    }
  } catch (e) {
    if (!(e instanceof ProviderError)) throw e;
    error = e;
  }
  return { deltas, text: deltas.join(""), done, error };
}

async function recorded(mk: string): Promise<{ path: string; model: string; body: Record<string, unknown> }[]> {
  const res = await fetch(`${doubleUrl}/__control/requests?contains=${encodeURIComponent(mk)}`);
  return res.json();
}

/** A fetch that remembers the signals the SDK gave it, to see the upstream call aborted. */
function spyFetch() {
  const signals: AbortSignal[] = [];
  const f = ((input: RequestInfo | URL, init?: RequestInit) => {
    if (init?.signal) signals.push(init.signal);
    return fetch(input, init);
  }) as typeof fetch;
  return { fetch: f, signals };
}

const openai = (overrides: Partial<Config> = {}, deps = {}): ChatProvider => createOpenAIProvider({ ...config, ...overrides }, deps);

describe("providers: streaming from the double", () => {
  it("streams deltas that concatenate to the answer, with usage from the final chunk", async () => {
    const user = `Réponds en écho ${marker()} : à bientôt, élève !`;
    const req = request("scenario:onechar", user);
    const r = await drain(openai().stream(req));
    expect(r.error).toBeUndefined();
    // One delta per network read (the events a read carries arrive together), never split or lost.
    expect(r.deltas.length).toBeGreaterThan(0);
    expect(r.deltas.length).toBeLessThanOrEqual([...user].length);
    expect(r.deltas.join("")).toBe(user);
    expect(r.text).toBe(user);
    const promptTokens = Math.max(1, Math.ceil(req.messages.map((m) => m.content).join(" ").length / 4));
    expect(r.done).toEqual({ type: "done", finishReason: "stop", usage: { inputTokens: promptTokens, outputTokens: Math.ceil(user.length / 4) } });
  });

  it("delivers deltas incrementally, not at the end", async () => {
    const started = Date.now();
    const times: number[] = [];
    const { fetch: f, signals } = spyFetch();
    const it = openai({}, { fetch: f }).stream(request("scenario:slow", `lent ${marker()}`));
    for await (const ev of it) {
      if (ev.type === "delta") times.push(Date.now() - started);
      if (times.length === 3) break; // the whole answer takes ~7 s at 200 ms per word
    }
    expect(times[0]!).toBeLessThan(1500);
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(300);
    // Breaking out aborts the upstream call.
    expect(signals.length).toBe(1);
    expect(signals[0]!.aborted).toBe(true);
  });

  it("sends the model, messages, max_tokens and stream_options the double records", async () => {
    const mk = marker();
    const req = request("demo", `Bonjour ${mk}`);
    const r = await drain(openai().stream(req));
    expect(r.done?.finishReason).toBe("stop");
    expect(r.text).toContain("Unialist");
    const [rec, ...rest] = await recorded(mk);
    expect(rest).toHaveLength(0);
    expect(rec!.path).toBe("/v1/chat/completions");
    expect(rec!.body).toMatchObject({ model: "demo", messages: req.messages, max_tokens: 123, stream: true, stream_options: { include_usage: true } });
  });

  it("complete() collects the stream", async () => {
    const user = `écho complet ${marker()}`;
    const c = await openai().complete(request("scenario:echo", user));
    expect(c.text).toBe(user);
    expect(c.finishReason).toBe("stop");
    expect(c.usage.estimated).toBeUndefined();
  });

  it("a slow consumer does not trip the idle timeout", async () => {
    const r = await drain(openai({ PROVIDER_IDLE_TIMEOUT_MS: 300 }).stream(request("scenario:echo", `a b c d ${marker()}`)), async (_t, i) => {
      if (i === 0) await new Promise((res) => setTimeout(res, 600));
    });
    expect(r.error).toBeUndefined();
    expect(r.done?.finishReason).toBe("stop");
  });
});

describe("providers: failures", () => {
  it("HTTP 500 -> upstream_5xx, counted; the mapped error leaks no upstream detail", async () => {
    const r = await drain(openai().stream(request("scenario:fail500", `boom ${marker()}`)));
    expect(r.error).toBeInstanceOf(ProviderError);
    expect(r.error).toMatchObject({ kind: "upstream_5xx", status: 500, countsAsFailure: true, provider: "openai" });
    expect(r.error!.partial).toBeUndefined();
    expect(r.error!.message).not.toContain("db-7.internal");
    const app = toAppError(r.error!);
    expect(app.code).toBe("provider_unavailable");
    expect(app.status).toBe(503);
    expect(app.message).not.toMatch(/db-7|internal|127\.0\.0\.1|exploded/);
    expect(app.headers).toEqual({});
    expect(app.cause).toBe(r.error);
  });

  it("HTTP 429 -> rate_limited with Retry-After 7", async () => {
    const r = await drain(openai().stream(request("scenario:429", `vite ${marker()}`)));
    expect(r.error).toMatchObject({ kind: "rate_limited", status: 429, retryAfterSeconds: 7, countsAsFailure: true });
    expect(toAppError(r.error!).headers).toEqual({ "Retry-After": "7" });
  });

  it("an error event inside the stream -> upstream_5xx, counted, with estimated usage of what was produced", async () => {
    const r = await drain(openai().stream(request("scenario:error-event", `un deux trois quatre ${marker()}`)));
    expect(r.error).toMatchObject({ kind: "upstream_5xx", countsAsFailure: true });
    expect(r.error!.status).toBeUndefined();
    expect(r.text).toBe("un deux ");
    expect(r.error!.partial?.text).toBe("un deux ");
    expect(r.error!.message).not.toContain("overloaded");
  });

  it("HTTP 400 -> bad_request, not counted (the user's input)", async () => {
    const r = await drain(openai().stream(request("scenario:400", `trop long ${marker()}`)));
    expect(r.error).toMatchObject({ kind: "bad_request", status: 400, countsAsFailure: false });
    expect(r.error!.message).not.toContain("context length");
  });

  it("headers then silence -> idle_timeout", async () => {
    const started = Date.now();
    const r = await drain(openai({ PROVIDER_IDLE_TIMEOUT_MS: 300 }).stream(request("scenario:hang", `pendu ${marker()}`)));
    expect(r.error).toMatchObject({ kind: "idle_timeout", countsAsFailure: true });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.error!.partial?.usage).toMatchObject({ outputTokens: 0, estimated: true });
  });

  it("total timeout while chunks still flow -> timeout, with estimated usage of what was produced", async () => {
    const r = await drain(openai({ PROVIDER_TIMEOUT_MS: 900, PROVIDER_IDLE_TIMEOUT_MS: 5000 }).stream(request("scenario:slow", `lent ${marker()}`)));
    expect(r.error).toMatchObject({ kind: "timeout", countsAsFailure: true });
    expect(r.deltas.length).toBeGreaterThan(1);
    expect(r.error!.partial?.text).toBe(r.text);
    expect(r.error!.usage).toEqual({ inputTokens: expect.any(Number), outputTokens: Math.ceil(r.text.length / 4), estimated: true });
  });

  it("stream cut mid-way -> cut, with estimated usage of what was produced", async () => {
    const req = request("scenario:cut", `coupé ${marker()}`);
    const r = await drain(openai().stream(req));
    expect(r.error).toMatchObject({ kind: "cut", countsAsFailure: true });
    expect(r.text.length).toBeGreaterThan(0);
    const inputTokens = Math.ceil(req.messages.map((m) => m.content).join("\n").length / 4);
    expect(r.error!.usage).toEqual({ inputTokens, outputTokens: Math.ceil(r.text.length / 4), estimated: true });
  });

  it("caller abort mid-stream -> upstream aborted, kind aborted, not counted, estimated usage", async () => {
    const caller = new AbortController();
    const { fetch: f, signals } = spyFetch();
    const r = await drain(openai({}, { fetch: f }).stream(request("scenario:slow", `quitte ${marker()}`, { signal: caller.signal })), (_t, i) => {
      if (i === 1) caller.abort();
    });
    expect(r.error).toMatchObject({ kind: "aborted", countsAsFailure: false });
    expect(r.deltas).toHaveLength(2);
    expect(r.error!.usage).toMatchObject({ outputTokens: Math.ceil(r.text.length / 4), estimated: true });
    expect(signals[0]!.aborted).toBe(true);
  });

  it("an already aborted caller never calls upstream", async () => {
    const mk = marker();
    const r = await drain(openai().stream(request("demo", mk, { signal: AbortSignal.abort() })));
    expect(r.error).toMatchObject({ kind: "aborted", countsAsFailure: false });
    expect(await recorded(mk)).toHaveLength(0);
  });

  it("wrong API key -> auth, counted (our config), mapped to provider_unavailable", async () => {
    const r = await drain(openai({ OPENAI_API_KEY: "sk-wrong-key-000000000000" }).stream(request("demo", `clé ${marker()}`)));
    expect(r.error).toMatchObject({ kind: "auth", status: 401, countsAsFailure: true });
    expect(toAppError(r.error!).code).toBe("provider_unavailable");
    expect(toAppError(r.error!).message).not.toContain("API key");
  });

  it("missing API key -> auth without calling upstream", async () => {
    const r = await drain(openai({ OPENAI_API_KEY: undefined }).stream(request("demo", "x")));
    expect(r.error).toMatchObject({ kind: "auth", countsAsFailure: true });
  });

  it("unreachable host -> network", async () => {
    const r = await drain(openai({ OPENAI_BASE_URL: "http://127.0.0.1:9/v1" }).stream(request("demo", "x")));
    expect(r.error).toMatchObject({ kind: "network", countsAsFailure: true });
  });
});

describe("providers: per-provider requests and factory", () => {
  it("anthropic sends max_tokens and stream_options; mistral sends max_tokens without stream_options", async () => {
    const mkA = marker();
    const mkM = marker();
    const a = await drain(createAnthropicProvider(config).stream(request("claude-test", `a ${mkA}`, { provider: "anthropic" })));
    const m = await drain(createMistralProvider(config).stream(request("mistral-test", `m ${mkM}`, { provider: "mistral" })));
    expect(a.done?.finishReason).toBe("stop");
    expect(m.done?.finishReason).toBe("stop");
    const [ra] = await recorded(mkA);
    const [rm] = await recorded(mkM);
    expect(ra!.body).toMatchObject({ model: "claude-test", max_tokens: 123, stream_options: { include_usage: true } });
    expect(rm!.body).toMatchObject({ model: "mistral-test", max_tokens: 123 });
    expect(rm!.body).not.toHaveProperty("stream_options");
    expect(rm!.body).not.toHaveProperty("max_completion_tokens");
    // Without usage in the stream, usage is estimated.
    expect(m.done?.usage.estimated).toBe(true);
  });

  it("openai uses max_completion_tokens for reasoning models", async () => {
    const mk = marker();
    await drain(openai().stream(request("o3-mini", mk)));
    const [rec] = await recorded(mk);
    expect(rec!.body).toMatchObject({ max_completion_tokens: 123 });
    expect(rec!.body).not.toHaveProperty("max_tokens");
  });

  it("getProvider returns one provider per config and name", () => {
    expect(getProvider(config, "openai")).toBe(getProvider(config, "openai"));
    expect(getProvider(config, "mistral").name).toBe("mistral");
    expect(getProvider(config, "anthropic").name).toBe("anthropic");
  });

  it("retryAfter parses seconds, milliseconds and dates, clamped", () => {
    expect(retryAfter(new Headers({ "retry-after": "7" }))).toBe(7);
    expect(retryAfter(new Headers({ "retry-after-ms": "1500" }))).toBe(2);
    expect(retryAfter(new Headers({ "retry-after": "999999" }))).toBe(3600);
    expect(retryAfter(new Headers({ "retry-after": new Date(Date.now() + 30_000).toUTCString() }))).toBeGreaterThanOrEqual(29);
    expect(retryAfter(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfter(undefined)).toBeUndefined();
  });
});
