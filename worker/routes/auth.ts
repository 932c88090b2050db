/** /api/auth: register, login, refresh (rotating), logout (revokes the family). */
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import type { AppEnv } from "../context";
import { REFRESH_COOKIE, REFRESH_COOKIE_PATH, issueTokens, revokeFamilyOfToken, rotateRefreshToken, type IssuedTokens } from "../accounts/tokens";
import { authenticate, registerUser, type PublicUser } from "../accounts/users";
import { AppError } from "../errors";
import { NO_CONTROL_CHARS, NO_NUL, readJson } from "../lib/json";
import { authRateLimit } from "../stages/rate-limit";
import { users } from "../../db/schema";
import { eq } from "drizzle-orm";

const registerSchema = z.strictObject({
  email: z.string().max(320).transform((e) => e.normalize("NFKC").trim().toLowerCase()).pipe(z.email().max(254)),
  password: z.string().max(1024),
  consent: z.strictObject({ terms: z.literal(true), version: z.string().min(1).max(32).regex(NO_CONTROL_CHARS) }),
});
const loginSchema = z.strictObject({ email: z.string().min(1).max(254).regex(NO_NUL), password: z.string().min(1).max(1024) });

function setRefreshCookie(c: Context<AppEnv>, token: string) {
  setCookie(c, REFRESH_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: REFRESH_COOKIE_PATH,
    maxAge: c.get("config").REFRESH_TOKEN_TTL_SECONDS,
  });
}

function clearRefreshCookie(c: Context<AppEnv>) {
  deleteCookie(c, REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH, secure: true, httpOnly: true, sameSite: "Strict" });
}

function session(c: Context<AppEnv>, user: PublicUser, tokens: IssuedTokens, status: 200 | 201) {
  setRefreshCookie(c, tokens.refreshToken);
  c.header("Cache-Control", "no-store");
  return c.json({ user, accessToken: tokens.accessToken, expiresIn: tokens.expiresIn }, status);
}

const refreshRefused = () =>
  new AppError("unauthorized", "The session has expired. Please sign in again.", {
    headers: { "WWW-Authenticate": 'Bearer realm="unialist"' },
  });

export const authRoutes = new Hono<AppEnv>()
  .post("/register", authRateLimit(), async (c) => {
    const body = await readJson(c, registerSchema);
    const db = c.get("scope").db;
    const user = await registerUser(db, c.get("config"), { email: body.email, password: body.password, consentVersion: body.consent.version }, c.get("audit"), c.get("requestId"));
    return session(c, user, await issueTokens(db, c.get("config"), user.id), 201);
  })
  .post("/login", authRateLimit(), async (c) => {
    const body = await readJson(c, loginSchema);
    const db = c.get("scope").db;
    const user = await authenticate(db, body, c.get("audit"), c.get("requestId"));
    return session(c, user, await issueTokens(db, c.get("config"), user.id), 200);
  })
  .post("/refresh", async (c) => {
    const presented = getCookie(c, REFRESH_COOKIE);
    if (!presented || presented.length > 256) throw refreshRefused();
    const db = c.get("scope").db;
    const result = await rotateRefreshToken(db, c.get("config"), presented, c.get("audit"), c.get("requestId"));
    if (!result.ok) {
      clearRefreshCookie(c);
      throw refreshRefused();
    }
    const [user] = await db.select().from(users).where(eq(users.id, result.userId)).limit(1);
    return session(c, { id: user!.id, email: user!.email, tier: user!.tier }, result.tokens, 200);
  })
  .post("/logout", async (c) => {
    const presented = getCookie(c, REFRESH_COOKIE);
    if (presented && presented.length <= 256) {
      const userId = await revokeFamilyOfToken(c.get("scope").db, presented);
      if (userId) c.get("audit")({ type: "auth.logout", severity: "info", userId, requestId: c.get("requestId") });
    }
    clearRefreshCookie(c);
    return c.body(null, 204);
  });

