/** GET /api/me: profile, limits of the tier, and usage so far. */
import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { users } from "../../db/schema";
import { AppError } from "../errors";
import { tierLimits } from "../lib/tiers";
import { requireUser } from "../stages/auth";
import { budgetState } from "../stages/budget";
import { requestsThisHour } from "../stages/rate-limit";

/** Share of the budget at which the user is warned. */
export const BUDGET_WARNING_RATIO = 0.8;

export const meRoutes = new Hono<AppEnv>()
  .use(requireUser())
  .get("/", async (c) => {
    const user = c.get("user");
    const config = c.get("config");
    const limits = tierLimits(config, user.tier);
    const [[profile], requests, budget] = await Promise.all([
      c.get("scope").db.select({ email: users.email }).from(users).where(and(eq(users.id, user.id), isNull(users.deletedAt))).limit(1),
      requestsThisHour(config, user.id, user.tier),
      budgetState(config, user.id, user.tier),
    ]);
    if (!profile) throw new AppError("unauthorized");
    const ratio = budget.ratio;
    return c.json({
      id: user.id,
      email: profile.email,
      tier: user.tier,
      subscriptionActive: user.subscriptionActive,
      limits: { requestsPerHour: limits.requestsPerHour, budgetEur: limits.budgetEur },
      usage: { requestsThisHour: requests, costThisMonthEur: Math.round(budget.spentEur * 1e6) / 1e6 },
      budget: { month: budget.month, usedRatio: ratio, warning: ratio !== null && ratio >= BUDGET_WARNING_RATIO, blocked: ratio !== null && ratio >= 1 },
    });
  });
