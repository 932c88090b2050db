/**
 * Cron dispatch. Hourly: budget warnings/blocks and Redis/ledger reconciliation, outbox
 * flush, injection-burst alert. Daily: key-rotation check, data-key re-wrap, purge of
 * expired exports. Each job runs on its own: one failing does not stop the others.
 */
import { and, eq, gte, sql } from "drizzle-orm";
import { auditEvents } from "../../db/schema";
import { outboxStub } from "../durable/outbox";
import { loadConfig, type Env } from "../env";
import { createAlerter } from "../lib/alerts";
import { openDb } from "../lib/db";
import { createLogger, describeError } from "../lib/log";
import { getRedis } from "../lib/redis";
import { runBudgetCheck } from "./budget-check";
import { runKeyRotationCheck } from "./key-rotation";
import { rewrapUserKeys } from "./rewrap";
import { purgeExpiredExports } from "./purge";
import { runRetention } from "./retention";

export const HOURLY = "0 * * * *";
export const DAILY = "17 3 * * *";

export type CronReport = Record<string, unknown>;

export async function runScheduled(controller: Pick<ScheduledController, "cron" | "scheduledTime">, env: Env): Promise<CronReport> {
  const config = loadConfig(env);
  const log = createLogger({ component: "cron", cron: controller.cron }, config.LOG_LEVEL);
  const alerter = createAlerter({ config, redis: getRedis(config), log });
  const now = new Date(controller.scheduledTime || Date.now());
  const handle = openDb(config);
  const report: CronReport = {};
  const job = async (name: string, fn: () => Promise<unknown>) => {
    try {
      report[name] = await fn();
    } catch (e) {
      report[name] = { error: e instanceof Error ? e.name : "error" };
      log.error("cron job failed", { job: name, ...describeError(e) });
    }
  };
  try {
    if (controller.cron === HOURLY) {
      await job("outbox-flush", async () => {
        const r = await outboxStub(env.OUTBOX).flush();
        if (r.remaining >= config.OUTBOX_ALERT_THRESHOLD) {
          await alerter.send({ kind: "outbox_backlog", subject: "outbox", severity: "critical", text: `${r.remaining} rows wait in the outbox (PostgreSQL unreachable?).` });
        }
        return r;
      });
      await job("budget-check", () => runBudgetCheck(handle.db, config, alerter, log, now));
      await job("injection-burst", async () => {
        const [row] = await handle.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents)
          .where(and(eq(auditEvents.type, "guard.prompt_injection"), gte(auditEvents.createdAt, new Date(now.getTime() - 3600_000))));
        const n = row?.n ?? 0;
        if (n >= config.INJECTION_BURST_THRESHOLD) {
          await alerter.send({ kind: "injection_burst", subject: "hourly", severity: "warning", text: `${n} prompt-injection attempts in the last hour.` });
        }
        return { attempts: n };
      });
      await job("auth-failures-burst", async () => {
        const [row] = await handle.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents)
          .where(and(eq(auditEvents.type, "auth.login_failed"), gte(auditEvents.createdAt, new Date(now.getTime() - 3600_000))));
        const n = row?.n ?? 0;
        if (n >= config.AUTH_FAILURE_BURST_THRESHOLD) {
          await alerter.send({ kind: "auth_failures_burst", subject: "hourly", severity: "critical", text: `${n} failed sign-ins in the last hour.` });
        }
        return { failures: n };
      });
    } else if (controller.cron === DAILY) {
      await job("key-rotation-check", () => runKeyRotationCheck(config.KEY_ROTATION_JSON, alerter, now));
      await job("rewrap", () => rewrapUserKeys(handle.db, config.ENCRYPTION_KEYS));
      await job("purge-exports", () => purgeExpiredExports(handle.db, now));
      await job("retention", () => runRetention(handle.db, config, now));
    } else {
      log.warn("unknown cron", {});
    }
  } finally {
    await handle.end();
  }
  log.info("cron ran", { jobs: Object.keys(report) });
  return report;
}
