/**
 * Consent stage (GDPR): the chat processes the user's messages only while their
 * processing consent is granted; withdrawn → 403 consent_required until given again.
 * Fails closed: if neither Redis nor PostgreSQL can tell, the request is refused (503).
 */
import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../../errors";
import { hasProcessingConsent, readConsentCache } from "../../privacy/consents";

/** Consent-cache reads started by the auth stage, per request (keyed by its scope). */
const prefetched = new WeakMap<object, { userId: string; cached: Promise<boolean | null> }>();

/**
 * For requireUser({ prefetch }): starts the consent-cache read with the user-cache read (one
 * Redis round trip). Only a read: the decision is still taken here, after auth and rate limit.
 */
export function prefetchProcessingConsent(c: Context, userId: string): void {
  prefetched.set(c.get("scope"), { userId, cached: readConsentCache(c.get("config"), userId) });
}

export function requireProcessingConsent(): MiddlewareHandler {
  return async function requireProcessingConsent(c, next) {
    let granted: boolean;
    try {
      const scope = c.get("scope");
      const userId = c.get("user").id;
      const early = prefetched.get(scope);
      prefetched.delete(scope);
      granted = await hasProcessingConsent(scope.db, c.get("config"), userId, early?.userId === userId ? early.cached : undefined);
    } catch (e) {
      throw new AppError("service_unavailable", undefined, { cause: e });
    }
    c.get("timing")?.mark("consent");
    if (!granted) {
      throw new AppError("consent_required", "You have withdrawn your consent to the processing of your messages. Give it again in your settings to use the chat.");
    }
    await next();
  };
}
