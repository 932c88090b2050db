/**
 * Verifier for an external identity provider's tokens (RS256 / ES256 only). The key set is
 * fetched from `jwksUrl`, kept for `cacheTtlMs`, and refetched early when a token names an
 * unknown kid (provider key rotation) — at most once a minute, so forged kids cannot make
 * us hammer the provider. If a refetch fails, the last good key set keeps being used.
 */
import type { Jwks } from "./jwk";
import { verifyAccessToken, type JwtResult } from "./jwt";

export const UNKNOWN_KID_REFETCH_MS = 60_000;
const FETCH_TIMEOUT_MS = 5_000;
const RETRY_WITHOUT_KEYS_MS = 5_000;
const MAX_JWKS_BYTES = 256 * 1024;

export interface JwksVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  cacheTtlMs: number;
  clockSkewSeconds?: number;
  fetch?: typeof fetch;
  /** Epoch milliseconds. */
  now?: () => number;
}

export interface JwksVerifier {
  verify(token: string): Promise<JwtResult>;
}

async function download(url: string, fetcher: typeof fetch): Promise<Jwks> {
  const res = await fetcher(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`JWKS fetch failed with HTTP ${res.status}`);
  if (Number(res.headers.get("content-length") ?? 0) > MAX_JWKS_BYTES) throw new Error("JWKS response too large");
  const text = await res.text();
  if (text.length > MAX_JWKS_BYTES) throw new Error("JWKS response too large");
  const body = JSON.parse(text) as unknown;
  if (typeof body !== "object" || body === null || !Array.isArray((body as Jwks).keys)) throw new Error("not a JWKS");
  return body as Jwks;
}

export function createJwksVerifier(options: JwksVerifierOptions): JwksVerifier {
  const fetcher = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  let jwks: Jwks | undefined;
  let fetchedAt = -Infinity; // last successful fetch
  let attemptedAt = -Infinity; // last attempt, successful or not
  let inflight: Promise<void> | undefined;

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      attemptedAt = now();
      try {
        jwks = await download(options.jwksUrl, fetcher);
        fetchedAt = attemptedAt;
      } catch {
        // Keep the previous key set; the caller sees "jwks_unavailable" only if there is none.
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  const check = (keys: Jwks, token: string) =>
    verifyAccessToken(token, {
      jwks: keys,
      issuer: options.issuer,
      audience: options.audience,
      clockSkewSeconds: options.clockSkewSeconds,
      now: now(),
    });

  return {
    async verify(token) {
      const stale = now() - fetchedAt >= options.cacheTtlMs;
      // After a failed attempt, wait before trying again (briefly when we have no keys at all).
      const retryAfter = jwks ? Math.min(options.cacheTtlMs, UNKNOWN_KID_REFETCH_MS) : RETRY_WITHOUT_KEYS_MS;
      if (stale && now() - attemptedAt >= retryAfter) await refresh();
      else if (inflight) await inflight;
      if (!jwks) return { ok: false, reason: "jwks_unavailable" };
      const result = await check(jwks, token);
      if (result.ok || result.reason !== "unknown_kid" || now() - attemptedAt < UNKNOWN_KID_REFETCH_MS) return result;
      await refresh();
      return check(jwks, token);
    },
  };
}
