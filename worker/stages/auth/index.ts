/**
 * Auth stage: a valid access token (our HS256, or RS256/ES256 from the configured
 * external issuer) of a user who still exists. Anything else: 401 with
 * `WWW-Authenticate: Bearer`. Fails closed when PostgreSQL is down (503): no user, no chat.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { users } from "../../../db/schema";
import type { AuthUser } from "../../context";
import { createJwksVerifier, verifyAccessToken } from "../../crypto";
import type { Config } from "../../env";
import { AppError } from "../../errors";
import { cacheRead, cacheWrite, getRedis, redisKey } from "../../lib/redis";
import type { Tier } from "../../lib/tiers";
import type { Db } from "../../lib/db";

const jwksVerifiers = new WeakMap<Config, ReturnType<typeof createJwksVerifier>>();

function jwksFor(config: Config) {
  if (!config.AUTH_JWKS_URL || !config.AUTH_ISSUER || !config.AUTH_AUDIENCE) return undefined;
  let verifier = jwksVerifiers.get(config);
  if (!verifier) {
    verifier = createJwksVerifier({ jwksUrl: config.AUTH_JWKS_URL, issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, cacheTtlMs: 10 * 60_000 });
    jwksVerifiers.set(config, verifier);
  }
  return verifier;
}

const unauthorized = (reason: string) =>
  new AppError("unauthorized", "A valid access token is required.", {
    headers: { "WWW-Authenticate": 'Bearer realm="unialist", error="invalid_token"' },
    cause: new Error(reason),
  });

function tokenAlg(token: string): string | undefined {
  try {
    const header = JSON.parse(atob(token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")));
    return typeof header.alg === "string" ? header.alg : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves the user behind a bearer token, or throws 401. `onSubject` is called with the
 * verified subject of one of our tokens right before the user-cache read, so a caller can
 * issue its own Redis reads in the same (auto-pipelined) round trip.
 */
export async function authenticateToken(db: Db, config: Config, token: string, onSubject?: (userId: string) => void): Promise<AuthUser> {
  const external = jwksFor(config);
  const alg = tokenAlg(token);
  // The key kind is chosen by configuration: HS256 only with our secret, RS/ES only with the JWKS.
  if (external && (alg === "RS256" || alg === "ES256")) {
    const result = await external.verify(token);
    if (!result.ok) throw unauthorized(result.reason);
    const subject = `${config.AUTH_ISSUER}|${String(result.claims.sub)}`;
    const bySubject = async () => (await db.select().from(users).where(eq(users.externalSubject, subject)).limit(1))[0];
    const known = (u: typeof users.$inferSelect): AuthUser => {
      if (u.deletedAt) throw unauthorized("deleted_user");
      return { id: u.id, tier: u.tier, subscriptionActive: u.subscriptionActive };
    };
    const existing = await bySubject();
    if (existing) return known(existing);
    const opaqueEmail = () => `${crypto.randomUUID()}@external.invalid`;
    const email = typeof result.claims.email === "string" ? result.claims.email.toLowerCase() : opaqueEmail();
    let [created] = await db.insert(users).values({ email, externalSubject: subject }).onConflictDoNothing().returning();
    if (!created) {
      // A concurrent first sign-in of the same subject inserted it first: that is our user.
      const raced = await bySubject();
      if (raced) return known(raced);
      // The email belongs to another account. Never linked by email (that would be a takeover),
      // never a lock-out either: provisioned under an opaque address.
      [created] = await db.insert(users).values({ email: opaqueEmail(), externalSubject: subject }).onConflictDoNothing().returning();
      if (!created) throw unauthorized("provisioning_conflict");
    }
    const { createUserDataKey } = await import("../../accounts/data-keys");
    await createUserDataKey(db, config, created.id);
    return { id: created.id, tier: created.tier, subscriptionActive: created.subscriptionActive };
  }
  const result = await verifyAccessToken(token, {
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    now: Date.now(),
  });
  if (!result.ok) throw unauthorized(result.reason);
  const sub = String(result.claims.sub);
  if (!/^[0-9a-f-]{36}$/i.test(sub)) throw unauthorized("bad_subject");
  onSubject?.(sub);
  const cached = await readUserCache(config, sub);
  if (cached) {
    if (cached.deleted) throw unauthorized("deleted_user");
    return { id: sub, tier: cached.tier, subscriptionActive: cached.subscriptionActive };
  }
  const [user] = await db.select().from(users).where(eq(users.id, sub)).limit(1);
  await writeUserCache(config, sub, user && !user.deletedAt ? { tier: user.tier, subscriptionActive: user.subscriptionActive, deleted: false } : { tier: "free", subscriptionActive: false, deleted: true });
  if (!user || user.deletedAt) throw unauthorized("deleted_user");
  return { id: user.id, tier: user.tier, subscriptionActive: user.subscriptionActive };
}

/**
 * A short-lived Redis copy of what the guards need about a user (tier, subscription,
 * deleted). It keeps the chat going while PostgreSQL is down and saves a query per
 * request; every change to those fields drops it (forgetUserCache).
 */
interface CachedUser {
  tier: Tier;
  subscriptionActive: boolean;
  deleted: boolean;
}
const USER_CACHE_SECONDS = 300;

async function readUserCache(config: Config, userId: string): Promise<CachedUser | null> {
  try {
    return await cacheRead(config, () => getRedis(config).get<CachedUser>(redisKey(config, "user", userId)));
  } catch {
    return null;
  }
}

async function writeUserCache(config: Config, userId: string, value: CachedUser): Promise<void> {
  // A copy only: waited for briefly, never an error (a dead Redis must not hold the request).
  await cacheWrite(config, () => getRedis(config).set(redisKey(config, "user", userId), value, { ex: USER_CACHE_SECONDS }));
}

export async function forgetUserCache(config: Config, userId: string): Promise<void> {
  await getRedis(config).del(redisKey(config, "user", userId));
}

/**
 * Requires `Authorization: Bearer <access token>`; sets `c.var.user`. `prefetch` starts
 * reads a later stage needs (same Redis round trip as the user cache; see authenticateToken).
 */
export function requireUser(opts: { prefetch?: (c: Context, userId: string) => void } = {}): MiddlewareHandler {
  return async function requireUser(c, next) {
    c.get("timing")?.mark("admission"); // everything before: app middleware, admission queue
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,8192})$/.exec(header);
    if (!match) throw unauthorized("missing");
    let user: AuthUser;
    try {
      const prefetch = opts.prefetch;
      user = await authenticateToken(c.get("scope").db, c.get("config"), match[1]!, prefetch && ((id) => prefetch(c, id)));
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError("service_unavailable", undefined, { cause: e });
    }
    c.set("user", user);
    c.get("timing")?.mark("auth");
    await next();
  };
}

/** Inactive subscription → 402 subscription_inactive. */
export function requireActiveSubscription(): MiddlewareHandler {
  return async function requireActiveSubscription(c, next) {
    if (!c.get("user").subscriptionActive) throw new AppError("subscription_inactive");
    await next();
  };
}
