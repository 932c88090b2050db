/** Operator routes behind a static bearer token from the config, compared in constant time. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context";
import { timingSafeEqual } from "../crypto";
import type { Config } from "../env";
import { AppError } from "../errors";

export function requireBearerToken(name: string, token: (config: Config) => string, what: string, realm: string): MiddlewareHandler<AppEnv> {
  const handler: MiddlewareHandler<AppEnv> = async (c, next) => {
    const presented = (c.req.header("authorization") ?? "").replace(/^Bearer /, "");
    if (!presented || !timingSafeEqual(presented, token(c.get("config")))) {
      throw new AppError("unauthorized", `${what} authentication is required.`, { headers: { "WWW-Authenticate": `Bearer realm="${realm}"` } });
    }
    await next();
  };
  Object.defineProperty(handler, "name", { value: name });
  return handler;
}
