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
import { z } from "zod";
import { verifyDummy, verifyPassword } from "../crypto";
import { NO_CONTROL_CHARS, readJson } from "../lib/json";
import { listConsents, recordConsent } from "../privacy/consents";
import { eraseUser } from "../privacy/erasure";
import { buildExport } from "../privacy/export";

const consentSchema = z.strictObject({
  kind: z.enum(["processing"]),
  granted: z.boolean(),
  version: z.string().min(1).max(32).regex(NO_CONTROL_CHARS).optional(),
});
const eraseSchema = z.strictObject({ password: z.string().min(1).max(1024) });

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
  })
  .get("/consents", async (c) => c.json(await listConsents(c.get("scope").db, c.get("user").id)))
  .post("/consents", async (c) => {
    const body = await readJson(c, consentSchema);
    const user = c.get("user");
    const config = c.get("config");
    await recordConsent(c.get("scope").db, config, user.id, body.kind, body.granted, body.version ?? config.CONSENT_VERSION);
    c.get("audit")({ type: body.granted ? "gdpr.consent_given" : "gdpr.consent_withdrawn", severity: "info", userId: user.id, requestId: c.get("requestId"), details: { kind: body.kind } });
    return c.json(await listConsents(c.get("scope").db, user.id), 201);
  })
  .get("/export", async (c) => {
    const user = c.get("user");
    const data = await buildExport(c.get("scope").db, c.get("config"), user.id);
    c.get("audit")({ type: "gdpr.export", severity: "info", userId: user.id, requestId: c.get("requestId"), details: { conversations: data.conversations.length } });
    c.header("Content-Disposition", `attachment; filename="unialist-export-${data.exportedAt.slice(0, 10)}.json"`);
    c.header("Cache-Control", "no-store");
    return c.json(data);
  })
  .delete("/", async (c) => {
    const body = await readJson(c, eraseSchema);
    const user = c.get("user");
    const db = c.get("scope").db;
    const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, user.id)).limit(1);
    const ok = row?.passwordHash ? (await verifyPassword(body.password, row.passwordHash)).ok : (await verifyDummy(body.password), false);
    if (!ok) throw new AppError("forbidden", "The password is incorrect.");
    const receipt = await eraseUser(db, c.get("config"), user.id, c.get("audit"), c.get("requestId"));
    c.header("Cache-Control", "no-store");
    return c.json({ receipt });
  });
