/** /api/admin: behind `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
import { and, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context";
import { users } from "../../db/schema";
import { verifyAuditChains } from "../audit/chain";
import { requireBearerToken } from "../lib/bearer";
import { AppError } from "../errors";
import { isUuid, readJson } from "../lib/json";
import { TIERS } from "../lib/tiers";
import { forgetUserCache } from "../stages/auth";

export const requireAdmin = () => requireBearerToken("requireAdmin", (config) => config.ADMIN_TOKEN, "Admin", "unialist-admin");

const patchSchema = z.strictObject({ tier: z.enum(TIERS).optional(), subscriptionActive: z.boolean().optional() })
  .refine((v) => v.tier !== undefined || v.subscriptionActive !== undefined, "Nothing to change.");

const adminView = (u: typeof users.$inferSelect) => ({
  id: u.id, email: u.email, tier: u.tier, subscriptionActive: u.subscriptionActive,
  createdAt: u.createdAt.toISOString(), updatedAt: u.updatedAt.toISOString(),
});

async function findUser(c: { get: (k: "scope") => { db: import("../lib/db").Db } }, id: string) {
  if (!isUuid(id)) throw new AppError("not_found", "User not found.");
  const [u] = await c.get("scope").db.select().from(users).where(and(eq(users.id, id), isNull(users.deletedAt))).limit(1);
  if (!u) throw new AppError("not_found", "User not found.");
  return u;
}

export const adminRoutes = new Hono<AppEnv>()
  .use(requireAdmin())
  .get("/users/:id", async (c) => c.json(adminView(await findUser(c, c.req.param("id")))))
  .patch("/users/:id", async (c) => {
    const body = await readJson(c, patchSchema);
    const u = await findUser(c, c.req.param("id"));
    const [updated] = await c.get("scope").db.update(users).set({ ...body, updatedAt: new Date() }).where(eq(users.id, u.id)).returning();
    await forgetUserCache(c.get("config"), u.id);
    c.get("audit")({ type: "admin.user_updated", severity: "medium", userId: u.id, requestId: c.get("requestId"), details: { fields: Object.keys(body) } });
    return c.json(adminView(updated!));
  })
  // The audit hash chains, verified page by page: `?chain=3&chain=4` (or `?chain=3,4`) limits the check.
  .get("/audit/verify", async (c) => {
    const raw = (c.req.queries("chain") ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
    if (raw.some((v) => !/^\d{1,9}$/.test(v)) || raw.length > 1000) throw new AppError("invalid_input", "chain must be a list of chain ids.");
    const report = await verifyAuditChains(c.get("scope").db, raw.length ? { chainIds: raw.map(Number) } : {});
    const problems = report.chains.filter((ch) => !ch.ok).map((ch) => ({ chainId: ch.chainId, kind: ch.problem!.kind, seq: ch.problem!.seq }));
    c.get("audit")({ type: "admin.audit_verified", severity: report.ok ? "info" : "high", requestId: c.get("requestId"), details: { ok: report.ok, chains: report.chains.length, problems: problems.slice(0, 20), unchained: report.unchained?.count ?? null } });
    return c.json(report);
  });
