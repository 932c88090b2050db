/**
 * GDPR access/portability: everything held about the user, in one JSON document:
 * profile, consents, conversations decrypted, usage, audit events about them, and the
 * human-review records of their answers.
 */
import { asc, desc, eq } from "drizzle-orm";
import { auditEvents, conversations, reviews, usage, users } from "../../db/schema";
import { loadUserDataKey } from "../accounts/data-keys";
import { readConversation } from "../conversations/store";
import type { Config } from "../env";
import { AppError } from "../errors";
import type { Db } from "../lib/db";
import { listConsents } from "./consents";

export async function buildExport(db: Db, config: Config, userId: string, now = new Date()) {
  const [user] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!user || user.deletedAt) throw new AppError("not_found");
  const dk = await loadUserDataKey(db, config, userId);
  const convRows = await db.select({ id: conversations.id }).from(conversations).where(eq(conversations.userId, userId)).orderBy(desc(conversations.updatedAt));
  const convs = [];
  for (const c of convRows) convs.push(await readConversation(db, dk, userId, c.id));
  const usageRows = await db.select().from(usage).where(eq(usage.userId, userId)).orderBy(asc(usage.createdAt));
  const audit = await db.select().from(auditEvents).where(eq(auditEvents.userId, userId)).orderBy(asc(auditEvents.createdAt));
  const reviewRows = await db.select().from(reviews).where(eq(reviews.userId, userId)).orderBy(asc(reviews.createdAt));
  return {
    format: "unialist-export/v1",
    exportedAt: now.toISOString(),
    profile: {
      id: user.id, email: user.email, tier: user.tier, subscriptionActive: user.subscriptionActive,
      createdAt: user.createdAt.toISOString(), externalIdentity: user.externalSubject !== null,
    },
    consents: await listConsents(db, userId),
    conversations: convs,
    usage: usageRows.map((u) => ({
      requestId: u.requestId, model: u.model, provider: u.provider, inputTokens: u.inputTokens, outputTokens: u.outputTokens,
      costEur: Number(u.costEur), status: u.status, latencyMs: u.latencyMs, timeToFirstTokenMs: u.timeToFirstTokenMs, at: u.createdAt.toISOString(),
    })),
    auditEvents: audit.map((a) => ({ type: a.type, severity: a.severity, requestId: a.requestId, details: a.details, at: a.createdAt.toISOString() })),
    humanReviews: reviewRows.map((r) => ({ requestId: r.requestId, domain: r.domain, model: r.model, status: r.status, decidedAt: r.decidedAt?.toISOString() ?? null, at: r.createdAt.toISOString() })),
  };
}
