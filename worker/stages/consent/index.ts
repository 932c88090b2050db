/**
 * Consent stage (GDPR): the chat processes the user's messages only while their
 * processing consent is granted; withdrawn → 403 consent_required until given again.
 * Fails closed: if neither Redis nor PostgreSQL can tell, the request is refused (503).
 */
import type { MiddlewareHandler } from "hono";
import { AppError } from "../../errors";
import { hasProcessingConsent } from "../../privacy/consents";

export function requireProcessingConsent(): MiddlewareHandler {
  return async function requireProcessingConsent(c, next) {
    let granted: boolean;
    try {
      granted = await hasProcessingConsent(c.get("scope").db, c.get("config"), c.get("user").id);
    } catch (e) {
      throw new AppError("service_unavailable", undefined, { cause: e });
    }
    if (!granted) {
      throw new AppError("consent_required", "You have withdrawn your consent to the processing of your messages. Give it again in your settings to use the chat.");
    }
    await next();
  };
}
