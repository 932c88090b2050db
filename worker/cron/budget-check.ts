/**
 * Hourly: the PostgreSQL usage table is the ledger. For every user who spent this month,
 * Redis's `spent` is reset from the ledger (reconciliation), and the user is told by email
 * at 80% (warning) and 100% (block) of the tier's budget, each at most once per month.
 * An unusually high cost in the last hour alerts operations.
 */
import { and, eq, gte, isNull, sql } from "drizzle-orm";
import { usage, users } from "../../db/schema";
import type { Config } from "../env";
import type { Alerter } from "../lib/alerts";
import type { Db } from "../lib/db";
import type { Logger } from "../lib/log";
import { getRedis, redisKey } from "../lib/redis";
import { tierLimits, type Tier } from "../lib/tiers";
import { monthOf, setSpentFromLedger } from "../stages/budget";

export const BUDGET_WARNING_RATIO = 0.8;

export interface BudgetCheckReport {
  users: number;
  reconciled: number;
  warnings: number;
  blocks: number;
  highCostAlerts: number;
}

export async function runBudgetCheck(db: Db, config: Config, alerter: Alerter, log: Logger, now = new Date()): Promise<BudgetCheckReport> {
  const month = monthOf(now);
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const hourAgo = new Date(now.getTime() - 3600_000);
  const rows = await db
    .select({
      userId: usage.userId,
      email: users.email,
      tier: users.tier,
      spent: sql<string>`sum(${usage.costEur})`,
      lastHour: sql<string>`coalesce(sum(${usage.costEur}) filter (where ${usage.createdAt} >= ${hourAgo}), 0)`,
    })
    .from(usage)
    .innerJoin(users, and(eq(users.id, usage.userId), isNull(users.deletedAt)))
    .where(gte(usage.createdAt, start))
    .groupBy(usage.userId, users.email, users.tier);

  const report: BudgetCheckReport = { users: rows.length, reconciled: 0, warnings: 0, blocks: 0, highCostAlerts: 0 };
  const redis = getRedis(config);
  for (const row of rows) {
    const userId = row.userId!;
    const spent = Number(row.spent);
    try {
      await setSpentFromLedger(config, userId, month, spent);
      report.reconciled++;
    } catch {
      log.warn("reconciliation skipped (Redis)", {});
    }
    const budget = tierLimits(config, row.tier as Tier).budgetEur;
    if (budget !== null && budget > 0) {
      const ratio = spent / budget;
      for (const [level, threshold] of [["100", 1], ["80", BUDGET_WARNING_RATIO]] as const) {
        if (ratio < threshold) continue;
        // Once per user, month and level, whatever the alert window.
        const first = await redis.set(redisKey(config, "budget-notice", userId, month, level), 1, { nx: true, ex: 40 * 86400 });
        if (first !== "OK") break;
        const blocked = level === "100";
        await alerter.send({
          kind: blocked ? "budget_blocked" : "budget_warning",
          subject: `${userId}:${month}`,
          severity: blocked ? "critical" : "warning",
          title: blocked ? "Unialist : budget mensuel atteint" : "Unialist : 80 % de votre budget mensuel",
          text: blocked
            ? `Vous avez atteint votre budget mensuel de ${budget} EUR. Les nouvelles requêtes sont bloquées jusqu'au mois prochain.`
            : `Vous avez utilisé ${Math.round(ratio * 100)} % de votre budget mensuel de ${budget} EUR.`,
          email: { to: row.email },
        });
        if (blocked) report.blocks++;
        else report.warnings++;
        break; // the block notice supersedes the warning
      }
    }
    if (Number(row.lastHour) >= config.HIGH_COST_ALERT_EUR) {
      await alerter.send({ kind: "high_cost_user", subject: userId, severity: "warning", text: `User ${userId} spent ${Number(row.lastHour).toFixed(2)} EUR in the last hour.` });
      report.highCostAlerts++;
    }
  }
  return report;
}
