/**
 * Each user's data key: generated at sign-up, stored only wrapped by the current
 * key-encryption key. The wrapped form is also cached in Redis (1 h) so the chat can
 * store messages while PostgreSQL is down; erasure deletes both copies. Deleting the
 * wrapped key (crypto-shredding) makes every message of that user unreadable.
 */
import { eq } from "drizzle-orm";
import { userKeys } from "../../db/schema";
import { base64Decode, base64Encode, generateDataKey, unwrapDataKey, wrapDataKey } from "../crypto";
import type { Config } from "../env";
import { AppError } from "../errors";
import type { Db } from "../lib/db";
import { cacheRead, cacheWrite, getRedis, redisKey } from "../lib/redis";

const CACHE_SECONDS = 3600;

export interface DataKey {
  id: string;
  key: CryptoKey;
}

interface WrappedRecord {
  dataKeyId: string;
  wrappedKey: Uint8Array;
  wrapIv: Uint8Array;
  kekId: string;
}

const cacheKey = (config: Config, userId: string) => redisKey(config, "dk", userId);

export async function createUserDataKey(db: Db, config: Config, userId: string): Promise<void> {
  const { raw } = await generateDataKey();
  const wrapped = await wrapDataKey(config.ENCRYPTION_KEYS, raw, userId);
  raw.fill(0);
  await db.insert(userKeys).values({ userId, dataKeyId: `dk_${crypto.randomUUID().slice(0, 8)}`, ...wrapped });
}

async function readCached(config: Config, userId: string): Promise<WrappedRecord | null> {
  try {
    const v = await cacheRead(config, () => getRedis(config).get<{ id: string; w: string; iv: string; kek: string }>(cacheKey(config, userId)));
    if (!v) return null;
    return { dataKeyId: v.id, wrappedKey: base64Decode(v.w), wrapIv: base64Decode(v.iv), kekId: v.kek };
  } catch {
    return null; // Redis is only a cache here; PostgreSQL is the source
  }
}

async function writeCache(config: Config, userId: string, r: WrappedRecord): Promise<void> {
  // Best effort, waited for briefly: a dead Redis must not hold the request.
  await cacheWrite(config, () => getRedis(config).set(cacheKey(config, userId), { id: r.dataKeyId, w: base64Encode(r.wrappedKey), iv: base64Encode(r.wrapIv), kek: r.kekId }, { ex: CACHE_SECONDS }));
}

export async function forgetCachedDataKey(config: Config, userId: string): Promise<void> {
  await getRedis(config).del(cacheKey(config, userId));
}

/** Cache reads started early (requireUser's prefetch), per request scope. */
const prefetched = new WeakMap<object, { userId: string; cached: Promise<WrappedRecord | null> }>();

/**
 * Starts the Redis read of the user's wrapped key in the auth stage's round trip (user and
 * consent caches); loadUserDataKey with the same `scope` and user takes it instead of reading again.
 */
export function prefetchUserDataKey(scope: object, config: Config, userId: string): void {
  prefetched.set(scope, { userId, cached: readCached(config, userId) });
}

export async function loadUserDataKey(db: Db, config: Config, userId: string, scope?: object): Promise<DataKey> {
  const early = scope ? prefetched.get(scope) : undefined;
  if (early) prefetched.delete(scope!);
  let record = await (early?.userId === userId ? early.cached : readCached(config, userId));
  // A cached key wrapped by a KEK no longer in the ring (after rotation) is refreshed from PostgreSQL.
  if (record && !config.ENCRYPTION_KEYS.some((k) => k.id === record!.kekId)) record = null;
  if (!record) {
    const [row] = await db.select().from(userKeys).where(eq(userKeys.userId, userId)).limit(1);
    if (!row) throw new AppError("not_found", undefined, { cause: new Error("no data key for user") });
    record = row;
    await writeCache(config, userId, record);
  }
  const key = await unwrapDataKey(config.ENCRYPTION_KEYS, record, userId);
  return { id: record.dataKeyId, key };
}
