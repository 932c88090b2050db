/** Sign-up and sign-in. Unknown email and wrong password look the same, in body and time. */
import { and, eq, isNull } from "drizzle-orm";
import { consents, users } from "../../db/schema";
import { checkPasswordPolicy, hashPassword, verifyDummy, verifyPassword } from "../crypto";
import type { Config } from "../env";
import { AppError } from "../errors";
import type { AuditWriter } from "../lib/audit";
import type { Db } from "../lib/db";
import type { Tier } from "../lib/tiers";
import { createUserDataKey } from "./data-keys";

export interface PublicUser {
  id: string;
  email: string;
  tier: Tier;
}

export function normalizeEmail(email: string): string {
  return email.normalize("NFKC").trim().toLowerCase();
}

export async function registerUser(
  db: Db,
  config: Config,
  input: { email: string; password: string; consentVersion: string },
  audit: AuditWriter,
  requestId: string,
): Promise<PublicUser> {
  const email = normalizeEmail(input.email);
  const problems = checkPasswordPolicy(input.password, email);
  if (problems.length) throw new AppError("invalid_input", "The password does not meet the policy.", { details: { problems } });
  const passwordHash = await hashPassword(input.password);
  const [user] = await db.insert(users).values({ email, passwordHash }).onConflictDoNothing().returning();
  if (!user) throw new AppError("conflict", "An account with this email already exists.");
  try {
    await createUserDataKey(db, config, user.id);
    await db.insert(consents).values([
      { userId: user.id, kind: "terms", version: input.consentVersion, granted: true },
      { userId: user.id, kind: "processing", version: input.consentVersion, granted: true },
    ]);
  } catch (e) {
    // Leave no half-made account behind: the email stays free to retry.
    await db.delete(users).where(eq(users.id, user.id)).catch(() => {});
    throw e;
  }
  audit({ type: "auth.registered", severity: "info", userId: user.id, requestId, details: { consentVersion: input.consentVersion } });
  return { id: user.id, email: user.email, tier: user.tier };
}

export async function authenticate(
  db: Db,
  input: { email: string; password: string },
  audit: AuditWriter,
  requestId: string,
): Promise<PublicUser> {
  const email = normalizeEmail(input.email);
  const [user] = await db.select().from(users).where(and(eq(users.email, email), isNull(users.deletedAt))).limit(1);
  if (!user || !user.passwordHash) {
    await verifyDummy(input.password);
    audit({ type: "auth.login_failed", severity: "low", requestId, details: { reason: "unknown_account" } }); // no email, not even hashed: audit rows hold no personal data
    throw new AppError("unauthorized", "Invalid email or password.");
  }
  const result = await verifyPassword(input.password, user.passwordHash);
  if (!result.ok) {
    audit({ type: "auth.login_failed", severity: "low", userId: user.id, requestId, details: { reason: "password" } });
    throw new AppError("unauthorized", "Invalid email or password.");
  }
  if (result.needsRehash) {
    await db.update(users).set({ passwordHash: await hashPassword(input.password), updatedAt: new Date() }).where(eq(users.id, user.id));
  }
  audit({ type: "auth.login", severity: "info", userId: user.id, requestId });
  return { id: user.id, email: user.email, tier: user.tier };
}
