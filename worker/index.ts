/** Worker entry: fetch (Hono), scheduled (cron), and the Durable Object classes. */
import { createApp } from "./app";
import type { Env } from "./env";
import { runScheduled } from "./cron";

export { CircuitBreaker } from "./durable/circuit-breaker";
export { Outbox } from "./durable/outbox";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduled(controller, env).then(() => undefined));
  },
} satisfies ExportedHandler<Env>;
