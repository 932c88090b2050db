/**
 * The guards around one model call: the circuit breaker picks the provider (with
 * failover) and the worst-case cost is reserved in the monthly budget. After the call
 * both are settled: the breaker learns the outcome, the budget the real cost.
 */
import type { Context } from "hono";
import type { AppEnv } from "../context";
import { createAlerter } from "../lib/alerts";
import { getRedis } from "../lib/redis";
import { modelRegistry, type ModelConfig } from "../providers/models";
import { createBreakerGate, outcomeOf, type BreakerLease } from "../stages/breaker";
import { reserveBudget, settleBudget, toMicros, worstCaseCostEur, type BudgetReservation } from "../stages/budget";
import type { PreparedChat } from "./prepare";

export interface CallGuards {
  model: ModelConfig;
  lease: BreakerLease;
  reservation: BudgetReservation;
}

/**
 * The breaker (a Durable Object call) and the budget reservation (a Redis script) run at the
 * same time, the reservation for the requested model, to save a round trip. The outcome is
 * the one of running them one after the other:
 *   - the breaker refuses (503): the reservation, if taken, is released, then the 503 thrown;
 *   - it fails over to a model whose worst-case cost differs: the first reservation (if
 *     taken) is released, then the fallback's is made, and decides (402 or not) as before;
 *   - the reservation is refused (402/503): the lease is given back as a non-counting outcome.
 */
export async function acquireCallGuards(c: Context<AppEnv>, p: PreparedChat, maxOutputTokens?: number): Promise<CallGuards> {
  const config = c.get("config");
  const gate = createBreakerGate({ namespace: c.env.CIRCUIT_BREAKER, threshold: config.BREAKER_FAILURE_THRESHOLD, cooldownMs: config.BREAKER_COOLDOWN_MS, log: c.get("log") });
  const timing = c.get("timing");
  const costOf = (m: ModelConfig) => worstCaseCostEur(m, p.messages, Math.min(maxOutputTokens ?? m.maxOutputTokens, m.maxOutputTokens));
  const reserve = async (m: ModelConfig) => {
    const reserving = reserveBudget({ config, userId: p.user.id, tier: p.user.tier, amountEur: costOf(m) }); // 402 budget_exceeded
    return timing ? timing.span("budget", reserving) : reserving;
  };
  const chosen = gate.chooseModel(p.model, modelRegistry(config)); // 503 when every circuit is open
  const [breaker, budget] = await Promise.allSettled([timing ? timing.span("breaker", chosen) : chosen, reserve(p.model)]);
  if (breaker.status === "rejected") {
    if (budget.status === "fulfilled") await releaseReservation(c, budget.value);
    throw breaker.reason;
  }
  const { model, lease } = breaker.value;
  try {
    // Unlimited tiers reserve nothing, so any model fits the same (empty) reservation.
    const stale = model !== p.model && !(budget.status === "fulfilled" && (budget.value.unlimited || budget.value.amountMicros === toMicros(costOf(model))));
    if (!stale) {
      if (budget.status === "rejected") throw budget.reason;
      return { model, lease, reservation: budget.value };
    }
    // Released before reserving again, so the two never count together against the budget.
    if (budget.status === "fulfilled") await releaseReservation(c, budget.value);
    return { model, lease, reservation: await reserve(model) };
  } catch (e) {
    await lease.report({ success: false, countsAsFailure: false }); // nothing was called
    throw e;
  }
}

/** Gives back a reservation whose call was never made (best effort: it expires by itself). */
async function releaseReservation(c: Context<AppEnv>, reservation: BudgetReservation): Promise<void> {
  if (reservation.unlimited) return;
  await settleBudget(c.get("config"), reservation, 0).catch(() => {
    c.get("log").error("budget release failed", { month: reservation.month });
  });
}

/**
 * acquireCallGuards while the input check (moderation) is still running, to save its round
 * trips. The check keeps the last word and its refusal stays what it was: when it throws,
 * guards acquired meanwhile are given back as if they had never been taken (breaker lease
 * reported as a non-counting outcome, budget reservation settled at 0), then its error is
 * thrown; nothing was called and nothing is charged. A guard refusal is thrown only once the
 * check has passed, as when the two ran one after the other.
 */
export async function acquireCallGuardsAfterCheck(c: Context<AppEnv>, p: PreparedChat, check: Promise<void>, maxOutputTokens?: number): Promise<CallGuards> {
  const acquiring = acquireCallGuards(c, p, maxOutputTokens);
  const [checked, acquired] = await Promise.allSettled([check, acquiring]);
  if (checked.status === "rejected") {
    if (acquired.status === "fulfilled") await releaseCallGuards(c, acquired.value);
    throw checked.reason;
  }
  if (acquired.status === "rejected") throw acquired.reason;
  return acquired.value;
}

/** Gives back guards whose call was never made: no breaker outcome counted, no cost. */
async function releaseCallGuards(c: Context<AppEnv>, guards: CallGuards): Promise<void> {
  await Promise.all([guards.lease.report({ success: false, countsAsFailure: false }), releaseReservation(c, guards.reservation)]);
}

/** Settles both guards after the call (in the background). `error` undefined = success. */
export function settleCallGuards(c: Context<AppEnv>, guards: CallGuards, result: { error?: unknown; costEur: number }): void {
  const config = c.get("config");
  const log = c.get("log");
  c.get("scope").defer((async () => {
    const report = await guards.lease.report(result.error === undefined ? { success: true } : outcomeOf(result.error));
    if (report?.opened) {
      await createAlerter({ config, redis: getRedis(config), log }).send({
        kind: "circuit_open", subject: guards.lease.provider, severity: "critical",
        text: `Circuit opened for provider ${guards.lease.provider} after ${report.consecutiveFailures} consecutive failures.`,
      });
    }
    try {
      await settleBudget(config, guards.reservation, result.costEur);
    } catch {
      // The reservation expires by itself and the hourly reconciliation restores `spent`.
      log.error("budget settle failed", { month: guards.reservation.month });
    }
  })());
}
