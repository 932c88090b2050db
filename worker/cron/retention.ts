/**
 * Daily: retention. Messages older than MESSAGE_RETENTION_DAYS and audit events older
 * than AUDIT_RETENTION_DAYS are deleted (0 = keep forever). Conversations left empty go
 * with their messages.
 */
import { and, isNull, lt, notExists, eq, sql } from "drizzle-orm";
import { pruneAuditChains } from "../audit/chain";
import { auditEvents, conversations, messages } from "../../db/schema";
import type { Config } from "../env";
import type { Db } from "../lib/db";

const DAY_MS = 86_400_000;

export async function runRetention(db: Db, config: Config, now = new Date()) {
  const report = { messagesDeleted: 0, conversationsDeleted: 0, auditEventsDeleted: 0 };
  if (config.MESSAGE_RETENTION_DAYS > 0) {
    const before = new Date(now.getTime() - config.MESSAGE_RETENTION_DAYS * DAY_MS);
    report.messagesDeleted = (await db.delete(messages).where(lt(messages.createdAt, before)).returning({ id: messages.id })).length;
    report.conversationsDeleted = (await db.delete(conversations).where(and(
      lt(conversations.updatedAt, before),
      notExists(db.select({ one: sql`1` }).from(messages).where(eq(messages.conversationId, conversations.id))),
    )).returning({ id: conversations.id })).length;
  }
  if (config.AUDIT_RETENTION_DAYS > 0) {
    const before = new Date(now.getTime() - config.AUDIT_RETENTION_DAYS * DAY_MS);
    // Chained rows are pruned as chain prefixes with a checkpoint, so the verifier still holds.
    report.auditEventsDeleted = (await pruneAuditChains(db, before)).deleted
      + (await db.delete(auditEvents).where(and(lt(auditEvents.createdAt, before), isNull(auditEvents.chainId))).returning({ id: auditEvents.id })).length;
  }
  return report;
}
