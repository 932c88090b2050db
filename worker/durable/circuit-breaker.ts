/**
 * Global circuit breaker, one instance per provider (idFromName(provider)).
 * closed -> open after N consecutive failures -> half-open after a cool-down, letting
 * exactly one probe through. State is kept in the DO's SQLite-backed storage.
 */
import { DurableObject } from "cloudflare:workers";

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  openedAt: number | null;
  inFlight: number;
}

export class CircuitBreaker extends DurableObject {
  async ping(): Promise<"pong"> {
    return "pong";
  }

  async snapshot(): Promise<BreakerSnapshot> {
    return {
      state: (await this.ctx.storage.get<BreakerState>("state")) ?? "closed",
      consecutiveFailures: (await this.ctx.storage.get<number>("failures")) ?? 0,
      openedAt: (await this.ctx.storage.get<number>("openedAt")) ?? null,
      inFlight: (await this.ctx.storage.get<number>("inFlight")) ?? 0,
    };
  }
}
