/** Context variables, typed once by module augmentation (as hono's request-id does). */
import type { Config } from "./env";
import type { AuditWriter } from "./lib/audit";
import type { Logger } from "./lib/log";
import type { RequestScope } from "./lib/scope";
import type { StageTimer } from "./lib/timing";
import type { Tier } from "./lib/tiers";

export interface AuthUser {
  id: string;
  tier: Tier;
  subscriptionActive: boolean;
}

declare module "hono" {
  interface ContextVariableMap {
    config: Config;
    log: Logger;
    scope: RequestScope;
    audit: AuditWriter;
    user: AuthUser;
    /** Per-stage durations, only with SERVER_TIMING=on. */
    timing: StageTimer | undefined;
  }
}

export type AppEnv = { Bindings: import("./env").Env };
