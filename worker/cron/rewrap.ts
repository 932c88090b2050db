/**
 * Re-wraps user data keys under the current key-encryption key, in batches. After it has
 * run to completion, older KEKs can be dropped from ENCRYPTION_KEYS with nothing lost.
 * Used by the daily cron and by `npm run keys:rewrap`.
 */
import { and, eq, ne } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { userKeys } from "../../db/schema";
import { currentKekId, rewrapDataKey, type KeyRing } from "../crypto/keyring";

// Any drizzle PostgreSQL database: neon-serverless in the Worker, node-postgres in scripts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPgDb = PgDatabase<PgQueryResultHKT, any>;

export interface RewrapReport {
  rewrapped: number;
  failed: number;
  remaining: number;
}

export async function rewrapUserKeys(db: AnyPgDb, ring: KeyRing, opts: { batchSize?: number; maxBatches?: number } = {}): Promise<RewrapReport> {
  const current = currentKekId(ring);
  const batchSize = opts.batchSize ?? 100;
  let rewrapped = 0;
  let failed = 0;
  const failedIds = new Set<string>();
  for (let batch = 0; batch < (opts.maxBatches ?? 1000); batch++) {
    const rows = (await db.select().from(userKeys).where(ne(userKeys.kekId, current)).limit(batchSize + failedIds.size))
      .filter((r) => !failedIds.has(r.userId));
    if (rows.length === 0) break;
    for (const row of rows.slice(0, batchSize)) {
      try {
        const next = await rewrapDataKey(ring, row, row.userId);
        if (!next) continue;
        // Only replace what we read: a concurrent re-wrap or shredding wins.
        const done = await db.update(userKeys)
          .set({ wrappedKey: next.wrappedKey, wrapIv: next.wrapIv, kekId: next.kekId, rewrappedAt: new Date() })
          .where(and(eq(userKeys.userId, row.userId), eq(userKeys.kekId, row.kekId)))
          .returning({ userId: userKeys.userId });
        if (done.length) rewrapped++;
      } catch {
        failed++;
        failedIds.add(row.userId);
      }
    }
  }
  const remaining = (await db.select({ userId: userKeys.userId }).from(userKeys).where(ne(userKeys.kekId, current))).length;
  return { rewrapped, failed, remaining };
}
