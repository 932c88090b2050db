/**
 * The audit hash chain through the Worker: rows written by requests and by the outbox are
 * chained, an outbox re-flush neither duplicates nor breaks a chain, and
 * GET /api/admin/audit/verify reports what verifyAuditChains reports.
 * Tampering happens only in throwaway chains (testChainId), never in chains 0..7 that the
 * other test files write to at the same time.
 */
import { env } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents } from "../../db/schema";
import { AUDIT_CHAINS, verifyAuditChains } from "../../worker/audit/chain";
import { writeItems, type Outbox, type OutboxItem } from "../../worker/durable/outbox";
import { admin, call, json, signUp } from "../support/api";
import { buildChain, tamperDelete, tamperInsert, tamperModify, testChainId } from "../support/audit-chain";
import { eventually, withDb } from "../support/db";

const withoutTime = <T extends { checkedAt: string }>(r: T) => ({ ...r, checkedAt: "-" });

describe("audit rows written by the Worker are chained", () => {
  it("a request's audit row lands in a production chain that verifies", async () => {
    const u = await signUp();
    const [row] = await eventually(
      () => withDb((db) => db.select().from(auditEvents).where(and(eq(auditEvents.userId, u.id), eq(auditEvents.type, "auth.registered")))),
      (r) => r.length > 0,
    );
    expect(row).toBeDefined();
    expect(row!.chainId).toBeGreaterThanOrEqual(0);
    expect(row!.chainId).toBeLessThan(AUDIT_CHAINS);
    expect(row!.chainSeq).toBeGreaterThanOrEqual(1);
    expect(row!.hash).toMatch(/^[0-9a-f]{64}$/);
    const report = await withDb((db) => verifyAuditChains(db, { chainIds: [row!.chainId!] }));
    expect(report.chains[0]).toMatchObject({ chainId: row!.chainId, ok: true });
    expect(report.chains[0]!.verifiedRows).toBeGreaterThanOrEqual(row!.chainSeq!);
  });

  it("an outbox re-flush of the same audit row writes it once and keeps its chain whole", async () => {
    const key = `outbox-test:${crypto.randomUUID()}:auth.login_failed:0`;
    const item: OutboxItem = {
      kind: "audit",
      key,
      row: { userId: null, type: "auth.login_failed", severity: "low", requestId: null, details: { reason: "unknown", n: 1 }, eventKey: key, createdAt: new Date() },
    };
    // A dedicated Outbox instance: flushing the shared one would race the cost-control tests.
    const ns = env.OUTBOX as DurableObjectNamespace;
    const outbox = ns.get(ns.idFromName(`audit-chain-test-${crypto.randomUUID()}`)) as DurableObjectStub<Outbox>;
    await outbox.enqueue([item]);
    await new Promise((r) => setTimeout(r, 5));
    await outbox.enqueue([item]); // the same row queued twice (the writer retried)
    const flushed = await outbox.flush();
    expect(flushed).toMatchObject({ remaining: 0 });
    expect(await outbox.size()).toBe(0);
    // A flush that wrote the rows but died before deleting them from storage: written again.
    await withDb((db) => writeItems(db, [item]));
    await withDb((db) => Promise.all([writeItems(db, [item]), writeItems(db, [item, item])]));
    const rows = await withDb((db) => db.select().from(auditEvents).where(eq(auditEvents.eventKey, key)));
    expect(rows).toHaveLength(1);
    const report = await withDb((db) => verifyAuditChains(db, { chainIds: [rows[0]!.chainId!] }));
    expect(report.chains[0]).toMatchObject({ ok: true });
  });
});

describe("GET /api/admin/audit/verify", () => {
  it("is for admins only and validates its filter", async () => {
    expect((await call("/api/admin/audit/verify")).status).toBe(401);
    const bad = await admin("/audit/verify?chain=abc");
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe("invalid_input");
  });

  it("reports the same as verifyAuditChains: ok, modified, deleted, inserted", async () => {
    const [clean, modified, deleted, inserted] = [testChainId(), testChainId(), testChainId(), testChainId()];
    const expected = await withDb(async (db) => {
      for (const c of [clean, modified, deleted, inserted]) await buildChain(db, c, 6);
      const m = await tamperModify(db, modified, 2);
      await tamperDelete(db, deleted, 3);
      const f = await tamperInsert(db, inserted, 4, "smart");
      const report = await verifyAuditChains(db, { chainIds: [clean, modified, deleted, inserted] });
      const byId = new Map(report.chains.map((c) => [c.chainId, c]));
      expect(byId.get(clean)).toMatchObject({ ok: true, verifiedRows: 6 });
      expect(byId.get(modified)!.problem).toMatchObject({ kind: "modified", id: m.id, seq: 2 });
      expect(byId.get(deleted)!.problem).toMatchObject({ kind: "deleted", seq: 4, missingSeqs: { from: 3, to: 3 } });
      expect(byId.get(inserted)!.problem).toMatchObject({ kind: "inserted", id: f.id, seq: 4 });
      return report;
    });
    expect(expected.ok).toBe(false);

    const res = await admin(`/audit/verify?chain=${clean}&chain=${modified},${deleted}&chain=${inserted}`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(withoutTime(body)).toEqual(withoutTime(expected));

    const one = await json(await admin(`/audit/verify?chain=${clean}`));
    expect(one).toMatchObject({ ok: true, unchained: null, chains: [{ chainId: clean, ok: true, verifiedRows: 6 }] });
  });

  it("without a filter, checks every chain in the table and counts unchained rows", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, 3);
      await tamperModify(db, chainId, 1);
    });
    const body = await json(await admin("/audit/verify"));
    expect(body.ok).toBe(false);
    expect(body.unchained).toMatchObject({ count: expect.any(Number) });
    expect(body.chains.find((c: { chainId: number }) => c.chainId === chainId)).toMatchObject({ ok: false, problem: { kind: "modified", seq: 1 } });
    // Production chains (written by every other test file meanwhile) are intact.
    for (const c of body.chains.filter((c: { chainId: number }) => c.chainId < AUDIT_CHAINS)) expect(c).toMatchObject({ ok: true });
  });
});
