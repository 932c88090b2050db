/**
 * Access tokens (JWT HS256, short-lived) and refresh tokens (random, opaque, stored only
 * hashed, rotated on every use; reuse of a rotated token revokes its whole family).
 */
import { and, eq, isNull } from "drizzle-orm";
import { refreshTokens, users } from "../../db/schema";
import { randomToken, sha256Hex, signAccessToken } from "../crypto";
import type { Config } from "../env";
import type { AuditWriter } from "../lib/audit";
import type { Db } from "../lib/db";

export const REFRESH_COOKIE = "ua_refresh";
export const REFRESH_COOKIE_PATH = "/api/auth";

export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
}

export async function issueAccessToken(config: Config, userId: string, now = Date.now()): Promise<string> {
  return signAccessToken({
    sub: userId,
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    now,
  });
}

export async function issueTokens(db: Db, config: Config, userId: string, familyId: string = crypto.randomUUID()): Promise<IssuedTokens> {
  const refreshToken = randomToken(32);
  await db.insert(refreshTokens).values({
    userId,
    familyId,
    tokenHash: await sha256Hex(refreshToken),
    expiresAt: new Date(Date.now() + config.REFRESH_TOKEN_TTL_SECONDS * 1000),
  });
  return { accessToken: await issueAccessToken(config, userId), expiresIn: config.ACCESS_TOKEN_TTL_SECONDS, refreshToken };
}

export type RotateResult =
  | { ok: true; userId: string; tokens: IssuedTokens }
  | { ok: false; reason: "unknown" | "expired" | "reused" | "revoked" | "user_deleted" };

/** Rotates a refresh token. A token seen again after rotation revokes its family. */
export async function rotateRefreshToken(db: Db, config: Config, presented: string, audit: AuditWriter, requestId: string): Promise<RotateResult> {
  const tokenHash = await sha256Hex(presented);
  const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).limit(1);
  if (!row) return { ok: false, reason: "unknown" };
  if (row.revokedAt) return { ok: false, reason: "revoked" };
  const reuse = async () => {
    await revokeFamily(db, row.familyId);
    audit({ type: "auth.refresh_token_reuse", severity: "high", userId: row.userId, requestId, details: { familyId: row.familyId } });
    return { ok: false as const, reason: "reused" as const };
  };
  if (row.rotatedAt) return reuse();
  if (row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "expired" };
  // Conditional update: of two concurrent uses of one token, only one wins.
  const claimed = await db.update(refreshTokens).set({ rotatedAt: new Date() })
    .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.rotatedAt), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  if (claimed.length === 0) return reuse();
  const [user] = await db.select({ id: users.id }).from(users).where(and(eq(users.id, row.userId), isNull(users.deletedAt))).limit(1);
  if (!user) {
    await revokeFamily(db, row.familyId);
    return { ok: false, reason: "user_deleted" };
  }
  return { ok: true, userId: row.userId, tokens: await issueTokens(db, config, row.userId, row.familyId) };
}

export async function revokeFamily(db: Db, familyId: string): Promise<void> {
  await db.update(refreshTokens).set({ revokedAt: new Date() }).where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

export async function revokeFamilyOfToken(db: Db, presented: string): Promise<string | null> {
  const [row] = await db.select({ familyId: refreshTokens.familyId, userId: refreshTokens.userId })
    .from(refreshTokens).where(eq(refreshTokens.tokenHash, await sha256Hex(presented))).limit(1);
  if (!row) return null;
  await revokeFamily(db, row.familyId);
  return row.userId;
}

export async function revokeAllForUser(db: Db, userId: string): Promise<void> {
  await db.update(refreshTokens).set({ revokedAt: new Date() }).where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
}
