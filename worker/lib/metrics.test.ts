/**
 * Metrics: the batch (fields, int vs float, bucket slots), the exposition (HELP/TYPE,
 * escaping, cumulative buckets, gauges), read back by a real Prometheus text parser; the
 * Redis round trip under concurrency; and FAIL OPEN when Redis is unreachable.
 */
import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import "../context";
import { loadConfig, type Config } from "../env";
import { parseExposition } from "../../test/support/prometheus";
import { createLogger } from "./log";
import {
  FAMILIES, LATENCY_BUCKETS, METRICS_CONTENT_TYPE, Metrics, MetricsBatch, TOKEN_BUCKETS, bucketFor, escapeLabelValue,
  metricsFor, metricsKey, modelCallBatch, moderationBatch, promptGuardsBatch, readStoredMetrics, renderMetrics, writeMetrics,
} from "./metrics";
import { getRedis } from "./redis";

const config = loadConfig(env);
const isolated = (overrides: Partial<Config> = {}): Config => ({
  ...config,
  REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}mt-${crypto.randomUUID().slice(0, 8)}:`,
  ...overrides,
});

/** What Redis would hold after these batches (ints and floats summed per field). */
function storedOf(...batches: MetricsBatch[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of batches) for (const m of [b.ints, b.floats]) for (const [f, v] of m) out[f] = (out[f] ?? 0) + v;
  return out;
}

describe("MetricsBatch", () => {
  it("puts a value in the smallest bucket that holds it, +Inf past the last", () => {
    expect(bucketFor(LATENCY_BUCKETS, 0)).toBe("0.1");
    expect(bucketFor(LATENCY_BUCKETS, 0.1)).toBe("0.1");
    expect(bucketFor(LATENCY_BUCKETS, 0.1000001)).toBe("0.25");
    expect(bucketFor(LATENCY_BUCKETS, 120)).toBe("120");
    expect(bucketFor(LATENCY_BUCKETS, 121)).toBe("+Inf");
    expect(bucketFor(TOKEN_BUCKETS, 1_000_000)).toBe("+Inf");
  });

  it("keeps integer counters on HINCRBY and cost and sums on HINCRBYFLOAT, never both on one field", () => {
    const b = modelCallBatch(new MetricsBatch(), {
      model: "m", status: "ok", costEur: 0.00012, latencyMs: 1500, timeToFirstTokenMs: 200, inputTokens: 120, outputTokens: 40,
    });
    const ints = Object.fromEntries(b.ints);
    const floats = Object.fromEntries(b.floats);
    expect(ints[JSON.stringify(["ai_calls_total", ["m", "ok"]])]).toBe(1);
    expect(floats[JSON.stringify(["ai_cost_euros_total", ["m"]])]).toBeCloseTo(0.00012, 12);
    expect(ints[JSON.stringify(["ai_latency_seconds", ["m"], "2.5"])]).toBe(1);
    expect(floats[JSON.stringify(["ai_latency_seconds", ["m"], "sum"])]).toBe(1.5);
    expect(ints[JSON.stringify(["ai_time_to_first_token_seconds", ["m"], "0.25"])]).toBe(1);
    expect(ints[JSON.stringify(["ai_tokens", ["input"], "250"])]).toBe(1);
    expect(ints[JSON.stringify(["ai_tokens", ["output"], "50"])]).toBe(1);
    for (const f of b.ints.keys()) expect(b.floats.has(f)).toBe(false);
    expect([...b.ints.keys()].some((f) => f.includes("output_blocked_total"))).toBe(false);
  });

  it("counts the output filter's reason, skips TTFT without a first token and tokens of an empty call", () => {
    const blocked = modelCallBatch(new MetricsBatch(), {
      model: "leak", status: "output_blocked", costEur: 0, latencyMs: 10, timeToFirstTokenMs: 5, inputTokens: 3, outputTokens: 1, blockedReason: "canary",
    });
    expect(blocked.ints.get(JSON.stringify(["output_blocked_total", ["canary"]]))).toBe(1);
    const failed = modelCallBatch(new MetricsBatch(), {
      model: "fail500", status: "provider_error", costEur: 0, latencyMs: 30, timeToFirstTokenMs: null, inputTokens: 0, outputTokens: 0,
    });
    const fields = [...failed.ints.keys(), ...failed.floats.keys()].join("\n");
    expect(fields).toContain("ai_calls_total");
    expect(fields).toContain("ai_latency_seconds");
    expect(fields).not.toContain("ai_time_to_first_token_seconds");
    expect(fields).not.toContain("ai_tokens");
    expect(fields).not.toContain("ai_cost_euros_total"); // a zero increment is not written
  });

  it("ignores zero, negative and non-finite increments and observations", () => {
    const b = new MetricsBatch()
      .inc("rate_limited_total", { tier: "free" }, 0)
      .inc("rate_limited_total", { tier: "free" }, -3)
      .inc("rate_limited_total", { tier: "free" }, Number.NaN)
      .observe("ai_latency_seconds", { model: "m" }, -1)
      .observe("ai_latency_seconds", { model: "m" }, Number.POSITIVE_INFINITY);
    expect(b.empty).toBe(true);
  });

  it("records the prompt guards: injection level when not none, PII by type", () => {
    const b = promptGuardsBatch(new MetricsBatch(), { injectionLevel: "medium", piiCounts: { EMAIL: 2, PHONE: 1 } });
    expect(b.ints.get(JSON.stringify(["prompt_injection_total", ["medium"]]))).toBe(1);
    expect(b.ints.get(JSON.stringify(["pii_masked_total", ["EMAIL"]]))).toBe(2);
    expect(promptGuardsBatch(new MetricsBatch(), { injectionLevel: "none", piiCounts: {} }).empty).toBe(true);
  });

  it("records a moderation block once per distinct category", () => {
    const b = moderationBatch(new MetricsBatch(), "output", ["violence", "violence", "hate"]);
    expect(b.ints.get(JSON.stringify(["moderation_blocked_total", ["output", "violence"]]))).toBe(1);
    expect(b.ints.get(JSON.stringify(["moderation_blocked_total", ["output", "hate"]]))).toBe(1);
    expect(moderationBatch(new MetricsBatch(), "input", []).ints.get(JSON.stringify(["moderation_blocked_total", ["input", "unspecified"]]))).toBe(1);
  });
});

describe("renderMetrics", () => {
  it("gives every family HELP and TYPE, and the known label values at 0", () => {
    const text = renderMetrics({});
    const p = parseExposition(text);
    for (const [name, def] of Object.entries(FAMILIES)) {
      expect(p.families.get(name), name).toMatchObject({ type: def.type, help: expect.stringMatching(/\S/) });
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toContain(`# TYPE ${name} ${def.type}\n`);
    }
    expect(p.value("prompt_injection_total", { level: "high" })).toBe(0);
    expect(p.value("pii_masked_total", { type: "CREDIT_CARD" })).toBe(0);
    expect(p.value("rate_limited_total", { tier: "enterprise" })).toBe(0);
    expect(p.histogram("ai_tokens", { type: "input" })).toMatchObject({ count: 0, sum: 0 });
    expect(p.samples("circuit_state")).toEqual([]);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("escapes label values (backslash, quote, line feed) so a parser reads them back unchanged", () => {
    const nasty = 'a\\b"c\nd} e{,f="g"';
    expect(escapeLabelValue(nasty)).toBe('a\\\\b\\"c\\nd} e{,f=\\"g\\"');
    const b = new MetricsBatch().inc("moderation_blocked_total", { direction: "input", category: nasty }, 3);
    const text = renderMetrics(storedOf(b));
    expect(text.split("\n").filter((l) => l.startsWith("moderation_blocked_total{"))).toHaveLength(1);
    expect(parseExposition(text).value("moderation_blocked_total", { direction: "input", category: nasty })).toBe(3);
  });

  it("renders histograms with cumulative, monotonic buckets, +Inf = _count, and the sum", () => {
    const b = new MetricsBatch();
    const seconds = [0.05, 0.3, 0.3, 4, 200];
    for (const s of seconds) b.observe("ai_latency_seconds", { model: "gpt-4o-mini" }, s);
    b.observe("ai_latency_seconds", { model: "other" }, 1);
    const p = parseExposition(renderMetrics(storedOf(b)));
    expect(p.histogramLabelSets("ai_latency_seconds")).toEqual([{ model: "gpt-4o-mini" }, { model: "other" }]);
    const h = p.histogram("ai_latency_seconds", { model: "gpt-4o-mini" })!;
    expect(h.count).toBe(5);
    expect(h.sum).toBeCloseTo(seconds.reduce((a, x) => a + x, 0), 9);
    expect(h.buckets.map(([le]) => le)).toEqual([...LATENCY_BUCKETS, Infinity]);
    const at = (le: number) => h.buckets.find(([b]) => b === le)![1];
    expect([at(0.1), at(0.25), at(0.5), at(2.5), at(5), at(120), at(Infinity)]).toEqual([1, 1, 3, 3, 4, 4, 5]);
    for (let i = 1; i < h.buckets.length; i++) expect(h.buckets[i]![1]).toBeGreaterThanOrEqual(h.buckets[i - 1]![1]);
    expect(p.histogram("ai_latency_seconds", { model: "other" })).toMatchObject({ count: 1, sum: 1 });
  });

  it("folds a slot of an older bucket layout into the next bounds, and skips unknown or malformed fields", () => {
    const text = renderMetrics({
      [JSON.stringify(["ai_latency_seconds", ["m"], "0.7"])]: 2, // not a current bound
      [JSON.stringify(["ai_latency_seconds", ["m"], "sum"])]: "1.4",
      [JSON.stringify(["nope_total", ["x"]])]: 5,
      [JSON.stringify(["ai_calls_total", ["only-one-label"]])]: 5,
      "not json": 1,
      [JSON.stringify(["rate_limited_total", ["free"]])]: "7",
    });
    const p = parseExposition(text);
    const h = p.histogram("ai_latency_seconds", { model: "m" })!;
    expect(h.buckets.find(([le]) => le === 0.5)![1]).toBe(0);
    expect(h.buckets.find(([le]) => le === 1)![1]).toBe(2);
    expect(h).toMatchObject({ count: 2, sum: 1.4 });
    expect(text).not.toContain("nope_total");
    expect(p.samples("ai_calls_total")).toEqual([]);
    expect(p.value("rate_limited_total", { tier: "free" })).toBe(7);
  });

  it("maps the breaker states to 0/1/2 and shows the calls in flight; a provider that did not answer is left out", () => {
    const p = parseExposition(renderMetrics({}, {
      openai: { state: "closed", inFlight: 3 },
      anthropic: { state: "half_open", inFlight: 1 },
      mistral: { state: "open", inFlight: 0 },
    }));
    expect(p.samples("circuit_state")).toEqual([
      { labels: { provider: "anthropic" }, value: 1 },
      { labels: { provider: "mistral" }, value: 2 },
      { labels: { provider: "openai" }, value: 0 },
    ]);
    expect(p.value("ai_calls_active", { provider: "openai" })).toBe(3);
    const partial = parseExposition(renderMetrics({}, { openai: { state: "open", inFlight: 0 } }));
    expect(partial.samples("circuit_state")).toEqual([{ labels: { provider: "openai" }, value: 2 }]);
  });

  it("uses the 0.0.4 text content type", () => {
    expect(METRICS_CONTENT_TYPE).toBe("text/plain; version=0.0.4; charset=utf-8");
  });
});

describe("Redis storage", () => {
  it("adds up concurrent writes exactly, across batches, in one hash under the prefix", async () => {
    const cfg = isolated();
    const one = () => modelCallBatch(new MetricsBatch(), {
      model: "gpt-4o-mini", status: "ok", costEur: 0.0001, latencyMs: 700, timeToFirstTokenMs: 90, inputTokens: 300, outputTokens: 60,
    });
    await Promise.all(Array.from({ length: 25 }, () => writeMetrics(cfg, one())));
    await writeMetrics(cfg, promptGuardsBatch(new MetricsBatch(), { injectionLevel: "low", piiCounts: { IBAN: 2 } }));
    expect(await getRedis(cfg).type(metricsKey(cfg))).toBe("hash");
    expect(metricsKey(cfg).startsWith(cfg.REDIS_KEY_PREFIX)).toBe(true);
    const p = parseExposition(renderMetrics(await readStoredMetrics(cfg)));
    expect(p.value("ai_calls_total", { model: "gpt-4o-mini", status: "ok" })).toBe(25);
    expect(p.value("ai_cost_euros_total", { model: "gpt-4o-mini" })).toBeCloseTo(0.0025, 9);
    expect(p.histogram("ai_latency_seconds", { model: "gpt-4o-mini" })).toMatchObject({ count: 25 });
    expect(p.histogram("ai_latency_seconds", { model: "gpt-4o-mini" })!.sum).toBeCloseTo(17.5, 6);
    expect(p.histogram("ai_tokens", { type: "input" })).toMatchObject({ count: 25, sum: 7500 });
    expect(p.value("prompt_injection_total", { level: "low" })).toBe(1);
    expect(p.value("pii_masked_total", { type: "IBAN" })).toBe(2);
    await getRedis(cfg).del(metricsKey(cfg));
  });

  it("reads an empty store as all zeros", async () => {
    expect(await readStoredMetrics(isolated())).toEqual({});
  });
});

describe("Metrics recorder: fail open", () => {
  it("never throws and logs when Redis is unreachable; the deferred write settles", async () => {
    const lines: string[] = [];
    const log = createLogger({}, "debug", (l) => lines.push(l));
    const tasks: Promise<unknown>[] = [];
    const down = isolated({ UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" });
    const m = new Metrics(down, log, (t) => tasks.push(t));
    expect(() => m.recordRateLimited("free")).not.toThrow();
    expect(() => m.recordModerationBlock("input", ["hate"])).not.toThrow();
    expect(tasks).toHaveLength(2);
    await expect(Promise.all(tasks)).resolves.toBeDefined();
    expect(lines.filter((l) => JSON.parse(l).msg === "metrics write failed")).toHaveLength(2);
  });

  it("defers one write per record call and nothing for an empty one", async () => {
    const tasks: Promise<unknown>[] = [];
    const cfg = isolated();
    const m = new Metrics(cfg, createLogger({}, "error", () => {}), (t) => tasks.push(t));
    m.recordPromptGuards({ injectionLevel: "none", piiCounts: {} });
    expect(tasks).toHaveLength(0);
    m.recordPromptGuards({ injectionLevel: "high" });
    m.recordModerationBlock("output", ["self-harm", "violence"]);
    expect(tasks).toHaveLength(2);
    await Promise.all(tasks);
    const p = parseExposition(renderMetrics(await readStoredMetrics(cfg)));
    expect(p.value("prompt_injection_total", { level: "high" })).toBe(1);
    expect(p.value("moderation_blocked_total", { direction: "output", category: "self-harm" })).toBe(1);
    await getRedis(cfg).del(metricsKey(cfg));
  });

  it("with a settle hook, merges every record call of the request into ONE write at the end", async () => {
    const tasks: Promise<unknown>[] = [];
    const hooks: (() => void)[] = [];
    const cfg = isolated();
    const m = new Metrics(cfg, createLogger({}, "error", () => {}), (t) => tasks.push(t), (h) => hooks.push(h));
    m.recordPromptGuards({ injectionLevel: "none", piiCounts: {} });
    expect(hooks).toHaveLength(0);
    m.recordPromptGuards({ injectionLevel: "high", piiCounts: { EMAIL: 1 } });
    m.recordModerationBlock("output", ["violence"]);
    m.recordPromptGuards({ piiCounts: { EMAIL: 2 } });
    expect(tasks).toHaveLength(0);
    expect(hooks).toHaveLength(1);
    hooks[0]!();
    expect(tasks).toHaveLength(1);
    await Promise.all(tasks);
    const p = parseExposition(renderMetrics(await readStoredMetrics(cfg)));
    expect(p.value("prompt_injection_total", { level: "high" })).toBe(1);
    expect(p.value("pii_masked_total", { type: "EMAIL" })).toBe(3);
    expect(p.value("moderation_blocked_total", { direction: "output", category: "violence" })).toBe(1);
    // Recorded after the flush: a batch of its own, with a hook of its own.
    m.recordRateLimited("free");
    expect(hooks).toHaveLength(2);
    hooks[1]!();
    await Promise.all(tasks);
    expect(parseExposition(renderMetrics(await readStoredMetrics(cfg))).value("rate_limited_total", { tier: "free" })).toBe(1);
    await getRedis(cfg).del(metricsKey(cfg));
  });

  it("metricsFor records nothing (and does not throw) outside the app, without a request scope", async () => {
    const app = new Hono();
    app.get("/", (c) => {
      c.set("config", config);
      metricsFor(c).recordRateLimited("free");
      return c.text("ok");
    });
    expect((await app.request("/")).status).toBe(200);
  });
});
