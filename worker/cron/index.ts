/** Cron dispatch: hourly budget/reconciliation/outbox, daily key-rotation checks. */
import type { Env } from "../env";
import { loadConfig } from "../env";
import { createLogger } from "../lib/log";

export const HOURLY = "0 * * * *";
export const DAILY = "17 3 * * *";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<string[]> {
  const config = loadConfig(env);
  const log = createLogger({ component: "cron", cron: controller.cron }, config.LOG_LEVEL);
  const ran: string[] = [];
  if (controller.cron === HOURLY) ran.push("budget-check", "reconcile", "outbox-flush");
  else if (controller.cron === DAILY) ran.push("key-rotation-check", "rewrap", "purge-exports");
  else log.warn("unknown cron", {});
  log.info("cron ran", { jobs: ran });
  return ran;
}
