/**
 * The chat pipeline's side of the circuit breaker: asks the provider's CircuitBreaker
 * Durable Object before a call, reports the outcome after it, and fails over to a model's
 * configured `fallback` while the primary provider's circuit is open.
 *
 * FAILURE POLICY — fail OPEN. The breaker protects the provider (and our latency) from a
 * stampede, not the user or the bill: budgets, rate limits and auth are enforced elsewhere.
 * So when the Durable Object itself is unreachable, errors or does not answer within
 * `timeoutMs`, the call is ALLOWED (`degraded: true`), an error is logged, and the outcome
 * of that call is not reported (the object never counted it in flight, so reporting would
 * skew its counters; if a timed-out acquire is granted late, its slot is handed back at
 * once as a non-counting outcome, best effort). A report that fails is logged and swallowed: nothing here ever throws
 * into the chat path except the deliberate `provider_unavailable` refusal.
 */
import type { CircuitBreaker, AcquireResult, BreakerState, ReportResult } from "../../durable/circuit-breaker";
import { DEFAULT_BREAKER_COOLDOWN_MS, DEFAULT_BREAKER_THRESHOLD } from "../../durable/circuit-breaker";
import { AppError } from "../../errors";
import { createLogger, describeError, type Logger } from "../../lib/log";
import { ProviderError } from "../../providers/types";
import type { ModelConfig } from "../../providers/models";

export interface BreakerGateOptions {
  namespace: DurableObjectNamespace;
  threshold?: number;
  cooldownMs?: number;
  /** How long an unreported probe blocks new probes (default: cooldownMs). */
  probeLeaseMs?: number;
  /** Budget for each Durable Object call before failing open (default 1000 ms). */
  timeoutMs?: number;
  log?: Logger;
}

export interface GateDecision extends AcquireResult {
  /** True when the Durable Object could not be asked and the call was allowed anyway. */
  degraded: boolean;
}

export type Outcome = { success: true } | { success: false; countsAsFailure?: boolean };

export interface ReportOptions {
  success: boolean;
  countsAsFailure?: boolean;
  /** The probeId of the acquire, when it was the half-open probe. */
  probeId?: string;
  now?: number;
}

/** The permission for one provider call; report it exactly once (later calls are no-ops). */
export interface BreakerLease {
  provider: string;
  modelId: string;
  /** True when the primary's circuit was open and the fallback model was chosen. */
  failover: boolean;
  probe: boolean;
  probeId?: string;
  degraded: boolean;
  state: BreakerState | "unknown";
  /** Reports the call's outcome. Never throws; undefined when nothing was reported. */
  report(outcome: Outcome, now?: number): Promise<ReportResult | undefined>;
}

export interface BreakerGate {
  acquire(provider: string, now?: number): Promise<GateDecision>;
  report(provider: string, outcome: ReportOptions): Promise<ReportResult | undefined>;
  chooseModel(model: ModelConfig, registry: Map<string, ModelConfig>, now?: number): Promise<{ model: ModelConfig; lease: BreakerLease }>;
}

/**
 * The outcome to report for an error thrown by a provider call: a ProviderError says itself
 * whether it counts; anything else (our own bug, a cancelled stream) does not count.
 */
export function outcomeOf(error: unknown): Outcome {
  if (error instanceof ProviderError) return { success: false, countsAsFailure: error.countsAsFailure };
  return { success: false, countsAsFailure: false };
}

/** Whole seconds for a Retry-After header, at least 1. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

class BreakerTimeout extends Error {
  constructor() {
    super("circuit breaker did not answer in time");
    this.name = "BreakerTimeout";
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BreakerTimeout()), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function createBreakerGate(options: BreakerGateOptions): BreakerGate {
  const namespace = options.namespace as unknown as DurableObjectNamespace<CircuitBreaker>;
  const threshold = options.threshold ?? DEFAULT_BREAKER_THRESHOLD;
  const cooldownMs = options.cooldownMs ?? DEFAULT_BREAKER_COOLDOWN_MS;
  const probeLeaseMs = options.probeLeaseMs;
  const timeoutMs = options.timeoutMs ?? 1000;
  const log = options.log ?? createLogger({ component: "breaker" });

  const stub = (provider: string) => namespace.get(namespace.idFromName(provider));

  async function acquire(provider: string, now?: number): Promise<GateDecision> {
    let pending: Promise<AcquireResult> | undefined;
    try {
      const s = stub(provider);
      pending = Promise.resolve(s.acquire({ threshold, cooldownMs, probeLeaseMs, now })) as Promise<AcquireResult>;
      const r = await withTimeout(pending, timeoutMs);
      return { allowed: r.allowed, state: r.state, probe: r.probe, probeId: r.probeId, retryAfterMs: r.retryAfterMs, degraded: false };
    } catch (e) {
      if (e instanceof BreakerTimeout && pending) {
        // The answer may still come: if it allowed us, give the slot (or the probe) back
        // as a non-counting outcome, since this call goes on as a degraded one. Best effort.
        pending
          .then((late) => {
            if (late.allowed) return report(provider, { success: false, countsAsFailure: false, probeId: late.probeId, now });
          })
          .catch(() => {});
      }
      // Fail open (see the header): call the provider anyway.
      log.error("circuit breaker unreachable, failing open", { provider, ...describeError(e) });
      return { allowed: true, state: "closed", probe: false, degraded: true };
    }
  }

  async function report(provider: string, outcome: ReportOptions): Promise<ReportResult | undefined> {
    try {
      const r = await withTimeout(
        Promise.resolve(
          stub(provider).report({
            success: outcome.success,
            countsAsFailure: outcome.success ? undefined : (outcome.countsAsFailure ?? true),
            probeId: outcome.probeId,
            threshold,
            cooldownMs,
            probeLeaseMs,
            now: outcome.now,
          }),
        ),
        timeoutMs,
      );
      const result: ReportResult = {
        state: r.state,
        consecutiveFailures: r.consecutiveFailures,
        opened: r.opened,
        reopened: r.reopened,
        closed: r.closed,
      };
      if (result.opened) log.warn("circuit opened", { provider, consecutiveFailures: result.consecutiveFailures });
      else if (result.reopened) log.warn("circuit probe failed, open again", { provider });
      else if (result.closed) log.info("circuit closed after successful probe", { provider });
      return result;
    } catch (e) {
      log.error("circuit breaker report failed", { provider, ...describeError(e) });
      return undefined;
    }
  }

  function lease(model: ModelConfig, decision: GateDecision, failover: boolean): BreakerLease {
    let reported = false;
    return {
      provider: model.provider,
      modelId: model.id,
      failover,
      probe: decision.probe,
      probeId: decision.probeId,
      degraded: decision.degraded,
      state: decision.degraded ? "unknown" : decision.state,
      async report(outcome: Outcome, now?: number) {
        if (reported) return undefined;
        reported = true;
        // A degraded acquire was never counted by the object: nothing to release.
        if (decision.degraded) return undefined;
        return report(model.provider, {
          success: outcome.success,
          countsAsFailure: outcome.success ? undefined : outcome.countsAsFailure,
          probeId: decision.probeId,
          now,
        });
      },
    };
  }

  async function chooseModel(model: ModelConfig, registry: Map<string, ModelConfig>, now?: number) {
    const primary = await acquire(model.provider, now);
    if (primary.allowed) return { model, lease: lease(model, primary, false) };

    const waits = [primary.retryAfterMs ?? cooldownMs];
    const fallback = model.fallback ? registry.get(model.fallback) : undefined;
    if (model.fallback && !fallback) log.warn("fallback model not in the allowlist", { model: model.id, fallback: model.fallback });
    // One level only (no chains), and never a fallback behind the same open circuit.
    if (fallback && fallback.provider !== model.provider) {
      const second = await acquire(fallback.provider, now);
      if (second.allowed) {
        log.info("failover to fallback model", { model: model.id, fallback: fallback.id, provider: model.provider });
        return { model: fallback, lease: lease(fallback, second, true) };
      }
      waits.push(second.retryAfterMs ?? cooldownMs);
    }
    const seconds = retryAfterSeconds(Math.min(...waits));
    throw new AppError("provider_unavailable", undefined, { headers: { "Retry-After": String(seconds) } });
  }

  return { acquire, report, chooseModel };
}
