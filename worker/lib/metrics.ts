/**
 * Prometheus metrics for the whole deployment, not one isolate: every counter and histogram
 * lives in ONE Redis hash (`<prefix>metrics:v1`), incremented with HINCRBY / HINCRBYFLOAT,
 * and `GET /metrics` renders it in the text exposition format (version 0.0.4). The two
 * gauges (`circuit_state`, `ai_calls_active`) are read live from the circuit-breaker
 * Durable Objects at scrape time.
 *
 * POLICY: FAIL OPEN. Metrics never delay or break a request: record calls build their
 * increments in memory, merged into one batch per request, and the request hands ONE Redis
 * transaction (multi-exec, one HTTP round trip) to `scope.defer` once its other work has
 * settled, so it is written after the response; a failed or slow write is logged and dropped.
 *
 * Storage: a field is the JSON array `[metric, [label values in the family's label order]]`
 * for a counter, and `[metric, [label values], slot]` for a histogram, where slot is the
 * upper bound of the ONE bucket an observation falls into ("0.5", "+Inf") or "sum". Buckets
 * are made cumulative when rendering, and `_count` is the sum of all slots, so `_count`
 * always equals the `+Inf` bucket and buckets never decrease, whatever the read interleaving.
 * Label values come from code (model ids of the allowlist, enums), never from user text.
 */
import type { Context } from "hono";
import type { BreakerState } from "../durable/circuit-breaker";
import type { Config } from "../env";
import { PROVIDERS } from "../providers/models";
import { PII_TYPES } from "../stages/pii";
import { describeError, type Logger } from "./log";
import { getRedis, redisKey } from "./redis";
import type { RequestScope } from "./scope";
import { TIERS } from "./tiers";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Seconds, whole answer (streams included): from a second to a couple of minutes. */
export const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120] as const;
/** Seconds until the provider's first event. */
export const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30] as const;
/** Tokens per call (prompt incl. system prompt and history; answer). */
export const TOKEN_BUCKETS = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000] as const;

interface FamilyDef {
  type: "counter" | "gauge" | "histogram";
  help: string;
  labels: readonly string[];
  buckets?: readonly number[];
  /** Increments may be fractional (HINCRBYFLOAT); never mixed with HINCRBY on one field. */
  float?: boolean;
  /** Label values always shown, at 0 until the first increment (rate() works from the start). */
  known?: readonly (readonly string[])[];
}

const each = (values: readonly string[]) => values.map((v) => [v] as const);

/** Every family, in exposition order. */
export const FAMILIES = {
  ai_calls_total: { type: "counter", help: "Model calls, by model and outcome (ok, output_blocked, provider_error, aborted, content_blocked).", labels: ["model", "status"] },
  ai_cost_euros_total: { type: "counter", help: "Cost of the model calls in euros, by model.", labels: ["model"], float: true },
  ai_latency_seconds: { type: "histogram", help: "Duration of a model call, from the prepared request to the end of the answer, in seconds.", labels: ["model"], buckets: LATENCY_BUCKETS },
  ai_time_to_first_token_seconds: { type: "histogram", help: "Time from the prepared request to the provider's first event, in seconds.", labels: ["model"], buckets: TTFT_BUCKETS },
  ai_tokens: { type: "histogram", help: "Tokens per model call, by type (input, output).", labels: ["type"], buckets: TOKEN_BUCKETS, known: each(["input", "output"]) },
  ai_calls_active: { type: "gauge", help: "Model calls in flight, by provider (from the circuit breaker).", labels: ["provider"] },
  circuit_state: { type: "gauge", help: "Circuit breaker state by provider: 0 closed, 1 half_open, 2 open.", labels: ["provider"] },
  rate_limited_total: { type: "counter", help: "Chat requests refused by the rate limit, by the user's tier.", labels: ["tier"], known: each(TIERS) },
  prompt_injection_total: { type: "counter", help: "Messages scored as prompt injection, by level (high ones are refused).", labels: ["level"], known: each(["low", "medium", "high"]) },
  pii_masked_total: { type: "counter", help: "Personal values masked before the model call, by type.", labels: ["type"], known: each(PII_TYPES) },
  output_blocked_total: { type: "counter", help: "Answers cut by the output filter, by reason.", labels: ["reason"] },
  moderation_blocked_total: { type: "counter", help: "Messages blocked by moderation, by direction (input, output) and category.", labels: ["direction", "category"] },
} as const satisfies Record<string, FamilyDef>;

export type MetricName = keyof typeof FAMILIES;
type FamilyOf<T> = { [K in MetricName]: (typeof FAMILIES)[K] extends { type: T } ? K : never }[MetricName];
export type CounterName = FamilyOf<"counter">;
export type HistogramName = FamilyOf<"histogram">;

const MAX_LABEL_LENGTH = 128;
const labelValue = (v: unknown) => String(v ?? "").slice(0, MAX_LABEL_LENGTH);

function labelValues(name: MetricName, labels: Record<string, unknown>): string[] {
  return FAMILIES[name].labels.map((l) => labelValue(labels[l]));
}

/** The bucket (upper bound) a value falls into: the smallest bound >= value, else +Inf. */
export function bucketFor(buckets: readonly number[], value: number): string {
  for (const b of buckets) if (value <= b) return String(b);
  return "+Inf";
}

/** The increments of one record call; written as one Redis transaction. */
export class MetricsBatch {
  readonly ints = new Map<string, number>();
  readonly floats = new Map<string, number>();

  get empty(): boolean {
    return this.ints.size === 0 && this.floats.size === 0;
  }

  /** Adds another batch's increments to this one. */
  merge(other: MetricsBatch): this {
    for (const [field, by] of other.ints) this.add(this.ints, field, by);
    for (const [field, by] of other.floats) this.add(this.floats, field, by);
    return this;
  }

  private add(map: Map<string, number>, field: string, by: number) {
    map.set(field, (map.get(field) ?? 0) + by);
  }

  /** Counters only go up: zero, negative or non-finite increments are ignored. */
  inc(name: CounterName, labels: Record<string, unknown>, by = 1): this {
    if (!Number.isFinite(by) || by <= 0) return this;
    const field = JSON.stringify([name, labelValues(name, labels)]);
    const def: FamilyDef = FAMILIES[name];
    if (def.float) this.add(this.floats, field, by);
    else this.add(this.ints, field, Math.round(by));
    return this;
  }

  /** One observation of a histogram; negative or non-finite values are ignored. */
  observe(name: HistogramName, labels: Record<string, unknown>, value: number): this {
    if (!Number.isFinite(value) || value < 0) return this;
    const values = labelValues(name, labels);
    this.add(this.ints, JSON.stringify([name, values, bucketFor(FAMILIES[name].buckets, value)]), 1);
    this.add(this.floats, JSON.stringify([name, values, "sum"]), value);
    return this;
  }
}

export const metricsKey = (config: Config) => redisKey(config, "metrics", "v1");

const WRITE_TIMEOUT_MS = 3000;

/** One multi-exec for the whole batch. Rejects on failure or after 3 s (the caller logs). */
export async function writeMetrics(config: Config, batch: MetricsBatch): Promise<void> {
  if (batch.empty) return;
  const key = metricsKey(config);
  const tx = getRedis(config).multi();
  for (const [field, by] of batch.ints) tx.hincrby(key, field, by);
  for (const [field, by] of batch.floats) tx.hincrbyfloat(key, field, by);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      tx.exec(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`metrics write gave no answer within ${WRITE_TIMEOUT_MS} ms`)), WRITE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The stored counters and histogram slots (field -> value as Redis returns it). */
export async function readStoredMetrics(config: Config): Promise<Record<string, unknown>> {
  return ((await getRedis(config).hgetall(metricsKey(config))) as Record<string, unknown> | null) ?? {};
}

// --- What the pipeline records ---------------------------------------------------------------

export type ModerationDirection = "input" | "output";

export interface ModelCallMetrics {
  model: string;
  /** ok | output_blocked | provider_error | aborted | content_blocked */
  status: string;
  costEur: number;
  latencyMs: number;
  /** null when no first event came (failure before the first token). */
  timeToFirstTokenMs: number | null;
  inputTokens: number;
  outputTokens: number;
  /** The output filter's reason, when status is output_blocked. */
  blockedReason?: string;
}

export function modelCallBatch(b: MetricsBatch, m: ModelCallMetrics): MetricsBatch {
  b.inc("ai_calls_total", { model: m.model, status: m.status });
  b.inc("ai_cost_euros_total", { model: m.model }, m.costEur);
  b.observe("ai_latency_seconds", { model: m.model }, m.latencyMs / 1000);
  if (m.timeToFirstTokenMs !== null) b.observe("ai_time_to_first_token_seconds", { model: m.model }, m.timeToFirstTokenMs / 1000);
  // A call that failed before producing anything has no token counts worth a sample.
  if (m.inputTokens > 0 || m.outputTokens > 0) {
    b.observe("ai_tokens", { type: "input" }, m.inputTokens);
    b.observe("ai_tokens", { type: "output" }, m.outputTokens);
  }
  if (m.status === "output_blocked") b.inc("output_blocked_total", { reason: m.blockedReason ?? "unknown" });
  return b;
}

export function promptGuardsBatch(b: MetricsBatch, g: { injectionLevel?: string; piiCounts?: Record<string, number> }): MetricsBatch {
  if (g.injectionLevel && g.injectionLevel !== "none") b.inc("prompt_injection_total", { level: g.injectionLevel });
  for (const [type, n] of Object.entries(g.piiCounts ?? {})) b.inc("pii_masked_total", { type }, n);
  return b;
}

export function moderationBatch(b: MetricsBatch, direction: ModerationDirection, categories: readonly string[]): MetricsBatch {
  const unique = [...new Set(categories)];
  for (const category of unique.length > 0 ? unique : ["unspecified"]) b.inc("moderation_blocked_total", { direction, category });
  return b;
}

/**
 * The recorder of one request; none of its methods throws or waits. Get it with
 * `metricsFor(c)`. With `atEnd` (the request scope's settle hook) the increments of every
 * record call are merged and written ONCE, when the request's other work has settled;
 * without it, each record call defers its own write.
 */
export class Metrics {
  private pending?: { batch: MetricsBatch; what: Set<string> };

  constructor(
    private readonly config: Config | undefined,
    private readonly log: Logger | undefined,
    private readonly defer: ((task: Promise<unknown>) => void) | undefined,
    private readonly atEnd?: (flush: () => void) => void,
  ) {}

  private record(what: string, build: (b: MetricsBatch) => void): void {
    try {
      const batch = new MetricsBatch();
      build(batch);
      if (batch.empty || !this.config || !this.defer) return;
      if (!this.atEnd) return this.write(batch, what);
      if (!this.pending) {
        const pending = (this.pending = { batch, what: new Set([what]) });
        this.atEnd(() => {
          if (this.pending === pending) this.pending = undefined;
          this.write(pending.batch, [...pending.what].join(","));
        });
      } else {
        this.pending.batch.merge(batch);
        this.pending.what.add(what);
      }
    } catch (e) {
      this.log?.warn("metrics not recorded", { metrics: what, ...describeError(e) });
    }
  }

  private write(batch: MetricsBatch, what: string): void {
    const log = this.log;
    this.defer!(writeMetrics(this.config!, batch).catch((e) => log?.warn("metrics write failed", { metrics: what, ...describeError(e) })));
  }

  /** At the end of each model call (stream or not, whatever its outcome). */
  recordModelCall(m: ModelCallMetrics): void {
    this.record("model_call", (b) => modelCallBatch(b, m));
  }

  /** The injection level (when not "none") and the PII masked in the new message, by type. */
  recordPromptGuards(g: { injectionLevel?: string; piiCounts?: Record<string, number> }): void {
    this.record("prompt_guards", (b) => promptGuardsBatch(b, g));
  }

  recordRateLimited(tier: string): void {
    this.record("rate_limited", (b) => b.inc("rate_limited_total", { tier }));
  }

  /** One increment per distinct category (none given: category "unspecified"). */
  recordModerationBlock(direction: ModerationDirection, categories: readonly string[]): void {
    this.record("moderation_blocked", (b) => moderationBatch(b, direction, categories));
  }
}

const perRequest = new WeakMap<RequestScope, Metrics>();

/**
 * The request's recorder (one per request scope). Outside the app's middleware (a unit test
 * mounting a stage alone, without a scope) it records nothing.
 */
export function metricsFor(c: Context): Metrics {
  const scope = c.get("scope") as RequestScope | undefined;
  if (!scope) return new Metrics(undefined, c.get("log") as Logger | undefined, undefined);
  let m = perRequest.get(scope);
  if (!m) {
    m = new Metrics(c.get("config"), c.get("log"), (task) => scope.defer(task), (flush) => scope.atSettle(flush));
    perRequest.set(scope, m);
  }
  return m;
}

// --- Exposition ------------------------------------------------------------------------------

export interface BreakerGauges {
  state: BreakerState;
  inFlight: number;
}

export const CIRCUIT_STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Label value escaping of the text format: backslash, double quote, line feed. */
export const escapeLabelValue = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

export function formatValue(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

function labelSet(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const pairs = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? "")}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return pairs.length ? `{${pairs.join(",")}}` : "";
}

interface HistogramSeries {
  slots: Map<number, number>;
  sum: number;
}

const toNumber = (v: unknown): number => {
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
};

function parseField(field: string): { name: MetricName; values: string[]; slot?: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(field);
    if (!Array.isArray(parsed) || typeof parsed[0] !== "string" || !Object.hasOwn(FAMILIES, parsed[0])) return undefined;
    const name = parsed[0] as MetricName;
    const values = parsed[1];
    if (!Array.isArray(values) || values.length !== FAMILIES[name].labels.length || !values.every((v) => typeof v === "string")) return undefined;
    const slot = parsed[2];
    if (slot !== undefined && typeof slot !== "string") return undefined;
    return { name, values, slot };
  } catch {
    return undefined;
  }
}

/**
 * The exposition text: HELP and TYPE for every family (even without samples), samples
 * sorted by label values. `breakers` holds the providers whose breaker answered.
 */
export function renderMetrics(stored: Record<string, unknown>, breakers: Partial<Record<string, BreakerGauges>> = {}): string {
  const counters = new Map<MetricName, Map<string, number>>();
  const histograms = new Map<MetricName, Map<string, HistogramSeries>>();
  const key = (values: readonly string[]) => JSON.stringify(values);

  for (const [name, def] of Object.entries(FAMILIES) as [MetricName, FamilyDef][]) {
    if (def.type === "counter") counters.set(name, new Map((def.known ?? []).map((v) => [key(v), 0])));
    if (def.type === "histogram") histograms.set(name, new Map((def.known ?? []).map((v) => [key(v), { slots: new Map(), sum: 0 }])));
  }

  for (const [field, raw] of Object.entries(stored)) {
    const f = parseField(field);
    if (!f) continue;
    const def: FamilyDef = FAMILIES[f.name];
    const value = toNumber(raw);
    if (def.type === "counter" && f.slot === undefined) {
      const series = counters.get(f.name)!;
      series.set(key(f.values), (series.get(key(f.values)) ?? 0) + value);
    } else if (def.type === "histogram" && f.slot !== undefined) {
      const series = histograms.get(f.name)!;
      let h = series.get(key(f.values));
      if (!h) series.set(key(f.values), (h = { slots: new Map(), sum: 0 }));
      if (f.slot === "sum") h.sum += value;
      else {
        const bound = f.slot === "+Inf" ? Infinity : Number(f.slot);
        if (!Number.isNaN(bound)) h.slots.set(bound, (h.slots.get(bound) ?? 0) + value);
      }
    }
  }

  const gauges: Partial<Record<MetricName, Map<string, number>>> = {
    circuit_state: new Map(),
    ai_calls_active: new Map(),
  };
  for (const provider of PROVIDERS) {
    const b = breakers[provider];
    if (!b) continue;
    gauges.circuit_state!.set(key([provider]), CIRCUIT_STATE_VALUE[b.state] ?? 0);
    gauges.ai_calls_active!.set(key([provider]), Math.max(0, b.inFlight));
  }

  const byLabels = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const lines: string[] = [];
  for (const [name, def] of Object.entries(FAMILIES) as [MetricName, FamilyDef][]) {
    lines.push(`# HELP ${name} ${escapeHelp(def.help)}`, `# TYPE ${name} ${def.type}`);
    if (def.type === "histogram") {
      for (const [k, h] of byLabels(histograms.get(name)!)) {
        const values = JSON.parse(k) as string[];
        let total = 0;
        for (const count of h.slots.values()) total += count;
        for (const bound of def.buckets!) {
          let cumulative = 0;
          for (const [slot, count] of h.slots) if (slot <= bound) cumulative += count;
          lines.push(`${name}_bucket${labelSet(def.labels, values, ["le", String(bound)])} ${formatValue(cumulative)}`);
        }
        lines.push(`${name}_bucket${labelSet(def.labels, values, ["le", "+Inf"])} ${formatValue(total)}`);
        lines.push(`${name}_sum${labelSet(def.labels, values)} ${formatValue(h.sum)}`);
        lines.push(`${name}_count${labelSet(def.labels, values)} ${formatValue(total)}`);
      }
    } else {
      const series = def.type === "counter" ? counters.get(name)! : (gauges[name] ?? new Map<string, number>());
      for (const [k, v] of byLabels(series)) lines.push(`${name}${labelSet(def.labels, JSON.parse(k) as string[])} ${formatValue(v)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
