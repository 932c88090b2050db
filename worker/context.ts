/** Context variables, typed once by module augmentation (as hono's request-id does). */
import type { Config } from "./env";
import type { Logger } from "./lib/log";
import type { RequestScope } from "./lib/scope";

declare module "hono" {
  interface ContextVariableMap {
    config: Config;
    log: Logger;
    scope: RequestScope;
  }
}

export type AppEnv = { Bindings: import("./env").Env };
