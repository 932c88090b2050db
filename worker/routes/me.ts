/** GET /api/me: profile, limits of the tier, and usage so far. */
import { and, eq, gte, sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { usage } from "../../db/schema";
import { tierLimits } from "../lib/tiers";
import { requireUser } from "../stages/auth";

export function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

export const meRoutes = new Hono<AppEnv>()
  .use(requireUser())
  .get("/", async (c) => {
    const user = c.get("user");
    const config = c.get("config");
    const limits = tierLimits(config, user.tier);
    const [row] = await c.get("scope").db
      .select({ cost: sql<string>`coalesce(sum(${usage.costEur}), 0)` })
      .from(usage)
      .where(and(eq(usage.userId, user.id), gte(usage.createdAt, monthStart(new Date()))));
    return c.json({
      id: user.id,
      email: user.email,
      tier: user.tier,
      subscriptionActive: user.subscriptionActive,
      limits: { requestsPerHour: limits.requestsPerHour, budgetEur: limits.budgetEur },
      usage: { requestsThisHour: 0, costThisMonthEur: Number(row?.cost ?? 0) },
    });
  });
