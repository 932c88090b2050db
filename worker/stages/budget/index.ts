/**
 * Budget stage: monthly spending per user, capped by tier (BUDGET_<TIER>_EUR; empty =
 * unlimited). Before a model call the worst-case cost is RESERVED atomically in Redis (Lua):
 * refused with 402 budget_exceeded if spent + reserved + amount would pass the budget. After
 * the call `settleBudget` releases the reservation and adds the actual cost to `spent`.
 * So, as long as actual cost <= reserved cost, spent never passes the budget, however many
 * requests run at once.
 *
 * POLICY: FAIL CLOSED. Redis unreachable, failing or slower than GUARD_REDIS_TIMEOUT_MS →
 * 503 service_unavailable: no limit, no spend.
 *
 * Storage: one hash per user and UTC month, `<prefix>budget:<userId>:<YYYY-MM>`, fields
 * `spent` and `reserved` in integer micro-euros plus `r:<id>` per open reservation, and a
 * sorted set `<...>:res` of open reservations by expiry (a request that died without
 * settling has its reservation released after BUDGET_RESERVATION_TTL_SECONDS). Both keys
 * expire 40 days after their last write.
 */
import type { Config } from "../../env";
import { AppError } from "../../errors";
import { SCRIPTS, evalScript, guardedRedis } from "../../lib/lua";
import { getRedis, redisKey } from "../../lib/redis";
import { tierLimits, type Tier } from "../../lib/tiers";
import type { ModelConfig } from "../../providers/models";

export const BUDGET_KEY_TTL_SECONDS = 40 * 24 * 3600;
/** Per-message overhead (role, separators) added to the input bound, in tokens. */
export const TOKENS_PER_MESSAGE = 16;

export interface BudgetReservation {
  id: string;
  userId: string;
  /** UTC `YYYY-MM` of the reservation; the settlement goes to the same month. */
  month: string;
  amountMicros: number;
  /** Unlimited tier: nothing was reserved, the settlement only counts the spend. */
  unlimited: boolean;
}

export interface BudgetState {
  month: string;
  spentEur: number;
  reservedEur: number;
  /** null = unlimited */
  budgetEur: number | null;
  /** spentEur / budgetEur (reservations in flight not included); null when unlimited. */
  ratio: number | null;
}

/** EUR → integer micro-euros, rounded UP (after removing float noise below a nano-euro). */
export function toMicros(eur: number): number {
  if (!Number.isFinite(eur) || eur < 0) throw new RangeError("amount must be a finite non-negative number of EUR");
  return Math.ceil(Math.round(eur * 1e9) / 1e3);
}

export const fromMicros = (micros: number) => micros / 1e6;

/** UTC `YYYY-MM`. */
export function monthOf(now: Date | number = Date.now()): string {
  const d = new Date(now);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

function keys(config: Config, userId: string, month: string): [string, string] {
  if (!MONTH.test(month)) throw new RangeError("month must be YYYY-MM");
  const hash = redisKey(config, "budget", userId, month);
  return [hash, `${hash}:res`];
}

/**
 * Upper bound of a call's cost in EUR: every message's UTF-8 bytes plus TOKENS_PER_MESSAGE as
 * input tokens (a BPE token is at least one byte, so this bounds the real count) and the
 * output cap as output tokens, at the model's prices. Pass `maxOutputTokens` when the call
 * sends a different max_tokens than the model's cap (it must be the value actually sent).
 */
export function worstCaseCostEur(
  model: Pick<ModelConfig, "inputEurPerMillion" | "outputEurPerMillion" | "maxOutputTokens">,
  messages: ReadonlyArray<{ content: string }>,
  maxOutputTokens: number = model.maxOutputTokens,
): number {
  const encoder = new TextEncoder();
  let inputTokens = 0;
  for (const m of messages) inputTokens += encoder.encode(m.content).length + TOKENS_PER_MESSAGE;
  return (inputTokens * model.inputEurPerMillion + maxOutputTokens * model.outputEurPerMillion) / 1e6;
}

/**
 * Reserves `amountEur` (rounded up to the micro-euro) of the user's budget for the month of
 * `now`. Throws 402 budget_exceeded when it would pass the budget, 503 when Redis fails.
 */
export async function reserveBudget(args: {
  config: Config;
  userId: string;
  tier: Tier;
  amountEur: number;
  now?: Date | number;
}): Promise<BudgetReservation> {
  const { config, userId, tier } = args;
  const now = new Date(args.now ?? Date.now()).getTime();
  const month = monthOf(now);
  const amountMicros = toMicros(args.amountEur);
  const id = crypto.randomUUID();
  const budgetEur = tierLimits(config, tier).budgetEur;
  if (budgetEur === null) return { id, userId, month, amountMicros: 0, unlimited: true };

  const budgetMicros = Math.round(budgetEur * 1e6);
  const [ok, spent, reserved] = await guardedRedis(config, "budget reserve", () =>
    evalScript<[number, number, number]>(getRedis(config), SCRIPTS.budgetReserve, keys(config, userId, month), [
      id,
      amountMicros,
      budgetMicros,
      now,
      config.BUDGET_RESERVATION_TTL_SECONDS * 1000,
      BUDGET_KEY_TTL_SECONDS,
    ]),
  );
  if (Number(ok) !== 1) {
    throw new AppError("budget_exceeded", undefined, {
      details: { month, budgetEur, spentEur: fromMicros(Number(spent)), reservedEur: fromMicros(Number(reserved)) },
    });
  }
  return { id, userId, month, amountMicros, unlimited: false };
}

/**
 * Releases the reservation and adds `actualEur` to the month's `spent` (also for unlimited
 * tiers, so usage shows). Call once per reservation. Throws 503 when Redis fails (the
 * reservation then expires on its own and the ledger reconciliation restores `spent`).
 */
export async function settleBudget(
  config: Config,
  reservation: BudgetReservation,
  actualEur: number,
): Promise<{ released: boolean; spentEur: number; reservedEur: number }> {
  const actualMicros = toMicros(actualEur);
  const [released, spent, reserved] = await guardedRedis(config, "budget settle", () =>
    evalScript<[number, number, number]>(getRedis(config), SCRIPTS.budgetSettle, keys(config, reservation.userId, reservation.month), [
      reservation.id,
      actualMicros,
      BUDGET_KEY_TTL_SECONDS,
    ]),
  );
  return { released: Number(released) === 1, spentEur: fromMicros(Number(spent)), reservedEur: fromMicros(Number(reserved)) };
}

/** The month's numbers for /api/me and the budget cron. Throws 503 when Redis fails. */
export async function budgetState(config: Config, userId: string, tier: Tier, now: Date | number = Date.now()): Promise<BudgetState> {
  const month = monthOf(now);
  const [hash] = keys(config, userId, month);
  const row = await guardedRedis(config, "budget read", () =>
    getRedis(config).hmget<{ spent: string | number | null; reserved: string | number | null }>(hash, "spent", "reserved"),
  );
  const spentEur = fromMicros(Number(row?.spent ?? 0));
  const reservedEur = fromMicros(Number(row?.reserved ?? 0));
  const budgetEur = tierLimits(config, tier).budgetEur;
  // A zero budget is exhausted from the start.
  const ratio = budgetEur === null ? null : budgetEur > 0 ? spentEur / budgetEur : 1;
  return { month, spentEur, reservedEur, budgetEur, ratio };
}

/**
 * Reconciliation: overwrites the month's `spent` with the ledger's sum (reservations are left
 * alone). Throws 503 when Redis fails.
 */
export async function setSpentFromLedger(config: Config, userId: string, month: string, spentEur: number): Promise<void> {
  const [hash] = keys(config, userId, month);
  const micros = toMicros(spentEur);
  await guardedRedis(config, "budget reconcile", () =>
    getRedis(config).multi().hset(hash, { spent: micros }).expire(hash, BUDGET_KEY_TTL_SECONDS).exec(),
  );
}
