import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { signUp } from "../support/api";
import { testConfig, withDb } from "../support/db";
import { conversations, messages } from "../../db/schema";
import { loadUserDataKey } from "../../worker/accounts/data-keys";
import { appendMessage, createConversation } from "../../worker/conversations/store";
import { appendAuditEvents, pruneAuditChains, verifyAuditChains } from "../../worker/audit/chain";
import { runRetention } from "../../worker/cron/retention";

const DAY = 86_400_000;

describe("retention", () => {
  it("deletes messages older than MESSAGE_RETENTION_DAYS and keeps recent ones", async () => {
    const u = await signUp();
    const config = testConfig();
    await withDb(async (db) => {
      const dk = await loadUserDataKey(db, config, u.id);
      const oldConv = await createConversation(db, dk, u.id, "ancienne");
      const oldMsg = await appendMessage(db, dk, { userId: u.id, conversationId: oldConv, role: "user", content: "vieux message" });
      await db.update(messages).set({ createdAt: new Date(Date.now() - 400 * DAY) }).where(eq(messages.id, oldMsg));
      await db.update(conversations).set({ updatedAt: new Date(Date.now() - 400 * DAY) }).where(eq(conversations.id, oldConv));
      const newConv = await createConversation(db, dk, u.id, "récente");
      await appendMessage(db, dk, { userId: u.id, conversationId: newConv, role: "user", content: "message récent" });
      const report = await runRetention(db, { ...config, MESSAGE_RETENTION_DAYS: 365, AUDIT_RETENTION_DAYS: 0 });
      expect(report.messagesDeleted).toBeGreaterThanOrEqual(1);
      expect(await db.select().from(messages).where(eq(messages.id, oldMsg))).toHaveLength(0);
      expect(await db.select().from(conversations).where(eq(conversations.id, oldConv))).toHaveLength(0);
      expect(await db.select().from(messages).where(eq(messages.conversationId, newConv))).toHaveLength(1);
    });
  });

  it("prunes audit chains as prefixes with a checkpoint: the chain still verifies, and tampering is still caught", async () => {
    const chain = 2_000_000 + Math.floor(Math.random() * 1_000_000);
    await withDb(async (db) => {
      const old = new Date(Date.now() - 800 * DAY);
      const rows = Array.from({ length: 6 }, (_, i) => ({
        type: "test.retention", severity: "info" as const, userId: null, requestId: null, details: { i },
        eventKey: `ret-${chain}-${i}`, createdAt: i < 4 ? old : new Date(),
      }));
      for (const r of rows) await appendAuditEvents(db, [r], { chains: [chain] });
      expect((await verifyAuditChains(db, { chainIds: [chain] })).ok).toBe(true);
      const pruned = await pruneAuditChains(db, new Date(Date.now() - 730 * DAY), [chain]);
      expect(pruned.deleted).toBe(4);
      const after = await verifyAuditChains(db, { chainIds: [chain] });
      expect(after.ok, JSON.stringify(after)).toBe(true);
      expect(after.chains[0]!.verifiedRows).toBe(2);
    });
  });
});
