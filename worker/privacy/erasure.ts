/**
 * GDPR erasure (crypto-shredding). The user's wrapped data key is destroyed first: from
 * then on no copy of their messages (database, backup, replica, outbox) can be read.
 * Then conversations, messages and reviews are deleted, the user row is anonymized, every
 * token is revoked, the Redis copies are dropped. Audit rows stay: they never hold
 * personal data. A receipt is returned and recorded.
 */
import { eq, sql } from "drizzle-orm";
import { conversations, messages, refreshTokens, reviews, userKeys, users } from "../../db/schema";
import { forgetCachedDataKey } from "../accounts/data-keys";
import type { Config } from "../env";
import type { AuditWriter } from "../lib/audit";
import type { Db } from "../lib/db";
import { forgetUserCache } from "../stages/auth";
import { forgetConsentCache } from "./consents";

export interface ErasureReceipt {
  receiptId: string;
  subject: string;
  erasedAt: string;
  dataKeyDestroyed: boolean;
  conversationsDeleted: number;
  messagesDeleted: number;
  reviewsDeleted: number;
  tokensRevoked: number;
  retained: string[];
}

export async function eraseUser(db: Db, config: Config, userId: string, audit: AuditWriter, requestId: string, now = new Date()): Promise<ErasureReceipt> {
  const receipt = await db.transaction(async (tx) => {
    const keys = await tx.delete(userKeys).where(eq(userKeys.userId, userId)).returning({ userId: userKeys.userId });
    const [{ n: messagesDeleted } = { n: 0 }] = await tx.select({ n: sql<number>`count(*)::int` }).from(messages).where(eq(messages.userId, userId));
    const convs = await tx.delete(conversations).where(eq(conversations.userId, userId)).returning({ id: conversations.id });
    await tx.delete(messages).where(eq(messages.userId, userId));
    const revs = await tx.delete(reviews).where(eq(reviews.userId, userId)).returning({ id: reviews.id });
    const tokens = await tx.update(refreshTokens).set({ revokedAt: now }).where(eq(refreshTokens.userId, userId)).returning({ id: refreshTokens.id });
    await tx.update(users).set({
      email: `erased-${crypto.randomUUID()}@erased.invalid`,
      passwordHash: null,
      externalSubject: null,
      subscriptionActive: false,
      deletedAt: now,
      updatedAt: now,
    }).where(eq(users.id, userId));
    return {
      receiptId: crypto.randomUUID(),
      subject: userId,
      erasedAt: now.toISOString(),
      dataKeyDestroyed: keys.length > 0,
      conversationsDeleted: convs.length,
      messagesDeleted,
      reviewsDeleted: revs.length,
      tokensRevoked: tokens.length,
      retained: [
        "usage rows (billing ledger, pseudonymous: no content)",
        "audit events (security and compliance trail, no personal data)",
        "consent history (proof of the legal basis, pseudonymous)",
      ],
    } satisfies ErasureReceipt;
  });
  // Copies outside PostgreSQL: drop them (they also expire on their own).
  await Promise.allSettled([forgetCachedDataKey(config, userId), forgetUserCache(config, userId), forgetConsentCache(config, userId)]);
  audit({ type: "gdpr.erasure", severity: "medium", userId, requestId, details: { ...receipt } });
  return receipt;
}
