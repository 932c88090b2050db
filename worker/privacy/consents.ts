/**
 * Consents: recorded at sign-up (terms + processing), given or withdrawn later. The latest
 * row of a kind is the current state; the history is kept (proof of consent).
 */
import { asc, desc, and, eq } from "drizzle-orm";
import { consents } from "../../db/schema";
import type { Config } from "../env";
import type { Db } from "../lib/db";
import { cacheRead, cacheWrite, getRedis, redisKey } from "../lib/redis";

export const CONSENT_KINDS = ["terms", "processing"] as const;
export type ConsentKind = (typeof CONSENT_KINDS)[number];

export async function listConsents(db: Db, userId: string) {
  const rows = await db.select().from(consents).where(eq(consents.userId, userId)).orderBy(asc(consents.createdAt), asc(consents.id));
  const history = rows.map((r) => ({ kind: r.kind, version: r.version, granted: r.granted, at: r.createdAt.toISOString() }));
  const current: Record<string, { granted: boolean; version: string; at: string }> = {};
  for (const h of history) current[h.kind] = { granted: h.granted, version: h.version, at: h.at };
  return { current, history };
}

export async function recordConsent(db: Db, config: Config, userId: string, kind: ConsentKind, granted: boolean, version: string) {
  await db.insert(consents).values({ userId, kind, granted, version });
  await forgetConsentCache(config, userId);
}

const cacheKey = (config: Config, userId: string) => redisKey(config, "consent", userId);

export async function forgetConsentCache(config: Config, userId: string): Promise<void> {
  await getRedis(config).del(cacheKey(config, userId));
}

/**
 * The cached answer of hasProcessingConsent: true/false, or null when Redis has none or
 * cannot tell (then PostgreSQL decides). Never throws. Started early (in the same Redis
 * round trip as the user cache) and handed to hasProcessingConsent as `cached`.
 */
export async function readConsentCache(config: Config, userId: string): Promise<boolean | null> {
  try {
    const cached = await cacheRead(config, () => getRedis(config).get<number>(cacheKey(config, userId)));
    if (cached === 1 || cached === 0) return cached === 1;
  } catch {
    // fall through to PostgreSQL
  }
  return null;
}

/** Whether the latest processing consent is granted. Cached in Redis (dropped on change). */
export async function hasProcessingConsent(db: Db, config: Config, userId: string, cached?: Promise<boolean | null>): Promise<boolean> {
  const hit = await (cached ?? readConsentCache(config, userId));
  if (hit !== null) return hit;
  const [row] = await db.select({ granted: consents.granted }).from(consents)
    .where(and(eq(consents.userId, userId), eq(consents.kind, "processing")))
    .orderBy(desc(consents.createdAt), desc(consents.id)).limit(1);
  const granted = row?.granted ?? false;
  // A copy only: waited for briefly, never an error (a dead Redis must not hold the request).
  await cacheWrite(config, () => getRedis(config).set(cacheKey(config, userId), granted ? 1 : 0, { ex: 300 }));
  return granted;
}
