import { env, createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { eq } from "drizzle-orm";
import { signUp } from "../support/api";
import { testConfig, withDb } from "../support/db";
import { usage, users, userKeys } from "../../db/schema";
import worker from "../../worker/index";
import { DAILY, HOURLY, runScheduled } from "../../worker/cron";
import { budgetState, monthOf } from "../../worker/stages/budget";
import { findDueKeys } from "../../worker/cron/key-rotation";
import { rewrapDataKey } from "../../worker/crypto";
import { forgetCachedDataKey } from "../../worker/accounts/data-keys";

const alerts = async () => (await (await fetch(`${inject("sinkUrl")}/__control/received`)).json()) as { kind: string; path: string; body: any }[];

async function addUsage(userId: string, costEur: number, at = new Date()) {
  await withDb((db) => db.insert(usage).values({ userId, model: "gpt-4o-mini", provider: "openai", inputTokens: 10, outputTokens: 10, costEur: costEur.toFixed(8), status: "ok", requestId: crypto.randomUUID(), createdAt: at }));
}

describe("scheduled handler", () => {
  it("runs through the Worker's scheduled export", async () => {
    const ctrl = createScheduledController({ cron: HOURLY, scheduledTime: Date.now() });
    const ctx = createExecutionContext();
    await worker.scheduled(ctrl, env as never, ctx);
    await waitOnExecutionContext(ctx);
  });

  it("hourly: reconciles Redis with the ledger and warns at 80% and blocks at 100%, once per month", async () => {
    const u = await signUp();
    const config = testConfig();
    await addUsage(u.id, 0.5);
    await addUsage(u.id, 0.35);
    const report = await runScheduled({ cron: HOURLY, scheduledTime: Date.now() }, env as never);
    expect((report["budget-check"] as { reconciled: number }).reconciled).toBeGreaterThanOrEqual(1);
    expect((await budgetState(config, u.id, "free")).spentEur).toBeCloseTo(0.85, 6);
    const [profile] = await withDb((db) => db.select().from(users).where(eq(users.id, u.id)));
    const mails = () => alerts().then((a) => a.filter((x) => x.kind === "email" && x.body.to === profile!.email));
    expect((await mails()).map((m) => m.body.subject)).toEqual([expect.stringMatching(/80 %/)]);
    await runScheduled({ cron: HOURLY, scheduledTime: Date.now() }, env as never);
    expect(await mails()).toHaveLength(1); // at most once per month
    await addUsage(u.id, 0.2);
    await runScheduled({ cron: HOURLY, scheduledTime: Date.now() }, env as never);
    const after = await mails();
    expect(after).toHaveLength(2);
    expect(after[1]!.body.subject).toMatch(/budget mensuel atteint/);
    expect((await budgetState(config, u.id, "free", Date.now())).ratio).toBeGreaterThanOrEqual(1);
    expect(monthOf(Date.now())).toMatch(/^\d{4}-\d{2}$/);
  });

  it("hourly: flushes the outbox", async () => {
    const report = await runScheduled({ cron: HOURLY, scheduledTime: Date.now() }, env as never);
    expect(report["outbox-flush"]).toMatchObject({ remaining: 0 });
  });

  it("daily: alerts on keys past rotation (critical after 30 days) and re-wraps data keys", async () => {
    const today = new Date("2026-11-29T03:17:00Z");
    expect(findDueKeys({ A: "2026-11-01", B: "2026-10-01", C: "2027-01-01" }, today)).toEqual([
      { key: "A", due: "2026-11-01", daysPast: 28, severity: "warning" },
      { key: "B", due: "2026-10-01", daysPast: 59, severity: "critical" },
    ]);
    const tag = crypto.randomUUID().slice(0, 8);
    const schedule = { [`OPENAI_API_KEY_${tag}`]: "2026-11-20", [`ENCRYPTION_KEYS:k1_${tag}`]: "2026-09-01" };
    const u = await signUp();
    const config = testConfig();
    // This user's data key still under the old key k1: the daily job moves it to k2.
    await withDb(async (db) => {
      const [row] = await db.select().from(userKeys).where(eq(userKeys.userId, u.id));
      const old = await rewrapDataKey([config.ENCRYPTION_KEYS[1]!, config.ENCRYPTION_KEYS[0]!], row!, u.id);
      await db.update(userKeys).set({ wrappedKey: old!.wrappedKey, wrapIv: old!.wrapIv, kekId: old!.kekId }).where(eq(userKeys.userId, u.id));
    });
    await forgetCachedDataKey(config, u.id);
    const report = await runScheduled({ cron: DAILY, scheduledTime: today.getTime() }, { ...env, KEY_ROTATION_JSON: JSON.stringify(schedule) } as never);
    expect(report["key-rotation-check"]).toHaveLength(2);
    expect(report["rewrap"]).toMatchObject({ failed: 0, remaining: 0 });
    const [row] = await withDb((db) => db.select().from(userKeys).where(eq(userKeys.userId, u.id)));
    expect(row!.kekId).toBe(config.ENCRYPTION_KEYS[0]!.id);
    const slack = (await alerts()).filter((a) => a.kind === "slack" && JSON.stringify(a.body).includes(tag));
    expect(slack).toHaveLength(2);
    expect(JSON.stringify(slack)).toMatch(/CRITICAL/i);
    expect(report["purge-exports"]).toBeDefined();
  });
});
