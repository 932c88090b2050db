/**
 * Audit hash chains against the real PostgreSQL (through the Neon driver): encoding, ordering
 * under concurrent writers, idempotency, and what verification reports for each tampering.
 * Every database test works in its own throwaway chain (see testChainId), so other test
 * files writing audit rows at the same time cannot interfere.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testConfig, withDb } from "../../test/support/db";
import { openHttpDb } from "../lib/db";
import type { AnyPgDb } from "./chain";
import {
  auditRow,
  buildChain,
  chainRows,
  randomHex,
  rowAt,
  tamperDelete,
  tamperInsert,
  tamperModify,
  testChainId,
} from "../../test/support/audit-chain";
import {
  AUDIT_CHAINS,
  AUDIT_LOCK_NAMESPACE,
  GENESIS_HASH,
  appendAuditEventUnlocked,
  appendAuditEvents,
  auditHashInput,
  canonicalJson,
  chainFor,
  computeAuditHash,
  verifyAuditChains,
  type AuditHashFields,
} from "./chain";

const fields: AuditHashFields = {
  chainId: 3,
  seq: 7,
  prevHash: GENESIS_HASH,
  userId: null,
  type: "auth.login",
  severity: "info",
  requestId: "r1",
  details: { b: 1, a: [1, "x", { d: null, c: false }] },
  eventKey: "r1:auth.login:0",
  createdAt: new Date("2026-11-30T10:11:12.345Z"),
};

describe("encoding", () => {
  it("canonical JSON sorts keys at every depth, drops undefined members, keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: "é\"\n" }, u: undefined })).toBe('{"a":{"c":"é\\"\\n","d":[3,1]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson([undefined, null])).toBe("[null,null]");
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
  });

  it("the hash input is unambiguous: moving characters between fields changes it", async () => {
    const a = await computeAuditHash({ ...fields, type: "ab", requestId: "c" });
    const b = await computeAuditHash({ ...fields, type: "a", requestId: "bc" });
    expect(a).not.toBe(b);
    expect(await computeAuditHash({ ...fields, requestId: null })).not.toBe(await computeAuditHash({ ...fields, requestId: "null" }));
    expect(auditHashInput(fields)).toBe(
      'unialist.audit.v1\n{"chainId":3,"createdAt":"2026-11-30T10:11:12.345Z","details":{"a":[1,"x",{"c":false,"d":null}],"b":1},' +
        `"eventKey":"r1:auth.login:0","prevHash":"${GENESIS_HASH}","requestId":"r1","seq":7,"severity":"info","type":"auth.login","userId":null}`,
    );
  });

  it("every hashed field matters; key order of details does not", async () => {
    const base = await computeAuditHash(fields);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(await computeAuditHash({ ...fields, details: { a: [1, "x", { c: false, d: null }], b: 1 } })).toBe(base);
    const variants: Partial<AuditHashFields>[] = [
      { chainId: 4 }, { seq: 8 }, { prevHash: "1".repeat(64) }, { userId: "00000000-0000-0000-0000-000000000001" },
      { type: "auth.logout" }, { severity: "high" }, { requestId: "r2" }, { details: { b: 2, a: [] } },
      { eventKey: "other" }, { createdAt: new Date(fields.createdAt.getTime() + 1) },
    ];
    for (const v of variants) expect(await computeAuditHash({ ...fields, ...v }), JSON.stringify(v)).not.toBe(base);
  });

  it("chains are chosen by a stable hash of the event key", () => {
    expect(chainFor("abc")).toBe(chainFor("abc"));
    const counts = new Array(AUDIT_CHAINS).fill(0);
    for (let i = 0; i < 4000; i++) counts[chainFor(`req-${i}:auth.login:0`)]++;
    for (const c of counts) expect(c).toBeGreaterThan(300); // ~500 each
    expect(chainFor("abc", [42])).toBe(42);
  });
});

describe("appending", () => {
  it("50 parallel appends from several connections: every chain verifies, seqs contiguous", async () => {
    const chains = [testChainId(), testChainId(), testChainId(), testChainId()];
    // 5 pools (up to 4 connections each) race on the same chains.
    await Promise.all(Array.from({ length: 5 }, (_, p) => withDb((db) =>
      Promise.all(Array.from({ length: 10 }, (_, i) => appendAuditEvents(db, [auditRow(p * 10 + i)], { chains }))))));
    await withDb(async (db) => {
      let total = 0;
      for (const chainId of chains) {
        const rows = await chainRows(db, chainId);
        total += rows.length;
        expect(rows.map((r) => r.chainSeq)).toEqual(rows.map((_, i) => i + 1));
        expect(rows[0]?.prevHash ?? GENESIS_HASH).toBe(GENESIS_HASH);
        for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
      }
      expect(total).toBe(50);
      const report = await verifyAuditChains(db, { chainIds: chains, pageSize: 3 });
      expect(report.ok).toBe(true);
      expect(report.unchained).toBeNull();
      expect(report.chains.map((c) => c.chainId)).toEqual([...chains].sort((a, b) => a - b));
      expect(report.chains.reduce((n, c) => n + c.verifiedRows, 0)).toBe(50);
      for (const c of report.chains) expect(c.ok).toBe(true);
    });
  });

  it("a batch spreads over chains, stored exactly as hashed (jsonb, uuid case, ms timestamps)", async () => {
    const chains = [testChainId(), testChainId()];
    await withDb(async (db) => {
      const rows = Array.from({ length: 20 }, (_, i) => auditRow(i, {
        details: { i, when: new Date("2026-01-02T03:04:05.678Z"), skip: undefined, big: 1e21, f: 0.1, s: "ü\u2028" } as Record<string, unknown>,
        createdAt: "2026-11-30T10:11:12.345Z",
      }));
      expect(await appendAuditEvents(db, rows, { chains })).toEqual({ inserted: 20, skipped: 0 });
      const stored = [...await chainRows(db, chains[0]!), ...await chainRows(db, chains[1]!)];
      expect(stored).toHaveLength(20);
      expect(stored[0]!.details).toMatchObject({ when: "2026-01-02T03:04:05.678Z" });
      expect(stored[0]!.details).not.toHaveProperty("skip");
      expect((await verifyAuditChains(db, { chainIds: chains })).ok).toBe(true);
    });
  });

  it("idempotent by event key: a repeated, re-flushed or concurrent row is written once and consumes no seq", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      const a = auditRow(1);
      const b = auditRow(2);
      expect(await appendAuditEvents(db, [a, a], { chains: [chainId] })).toEqual({ inserted: 1, skipped: 1 });
      expect(await appendAuditEvents(db, [a], { chains: [chainId] })).toEqual({ inserted: 0, skipped: 1 });
      const results = await Promise.all(Array.from({ length: 8 }, () => appendAuditEvents(db, [a, b], { chains: [chainId] })));
      expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(1);
      await appendAuditEvents(db, [auditRow(3)], { chains: [chainId] });
      const rows = await chainRows(db, chainId);
      expect(rows.map((r) => [r.chainSeq, r.eventKey.split(":")[2]])).toEqual([[1, "1"], [2, "2"], [3, "3"]]);
      expect((await verifyAuditChains(db, { chainIds: [chainId] })).ok).toBe(true);
    });
  });

  it("a failed append keeps nothing: the chain stays whole and the next append takes the next seq", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, 2);
      // A user id that violates the foreign key: the transaction fails after seqs were assigned.
      await expect(appendAuditEvents(db, [auditRow(9, { userId: crypto.randomUUID() })], { chains: [chainId] })).rejects.toThrow();
      await appendAuditEvents(db, [auditRow(3)], { chains: [chainId] });
      expect((await chainRows(db, chainId)).map((r) => r.chainSeq)).toEqual([1, 2, 3]);
      expect((await verifyAuditChains(db, { chainIds: [chainId] })).ok).toBe(true);
    });
  });
});

describe("appending without the lock (one row, over Neon's HTTP endpoint)", () => {
  const http = () => openHttpDb(testConfig()) as unknown as AnyPgDb;

  it("30 racing HTTP appends plus 10 locked ones on 2 chains: all land once, seqs contiguous, chains verify", async () => {
    const chains = [testChainId(), testChainId()];
    let fellBack = 0;
    await withDb(async (db) => {
      await Promise.all([
        ...Array.from({ length: 30 }, async (_, i) => {
          const row = auditRow(i);
          // What the request writer does: the locked path only after lost races.
          if (!(await appendAuditEventUnlocked(http(), row, { chains }))) {
            fellBack++;
            await appendAuditEvents(db, [row], { chains });
          }
        }),
        ...Array.from({ length: 10 }, (_, i) => appendAuditEvents(db, [auditRow(100 + i)], { chains })),
      ]);
      let total = 0;
      for (const chainId of chains) {
        const rows = await chainRows(db, chainId);
        total += rows.length;
        expect(rows.map((r) => r.chainSeq)).toEqual(rows.map((_, i) => i + 1));
        for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
      }
      expect(total).toBe(40);
      expect((await verifyAuditChains(db, { chainIds: chains })).ok).toBe(true);
    });
    expect(fellBack).toBeLessThan(30);
  });

  it("a locked append whose seq an unlocked writer took meanwhile runs again instead of failing", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, 1);
      // The unlocked insert lands between the locked writer's head read and its insert.
      let sneaked = 0;
      const sneaky = new Proxy(db, {
        get(target, prop) {
          if (prop !== "transaction") {
            const value = Reflect.get(target, prop, target);
            return typeof value === "function" ? value.bind(target) : value;
          }
          return (fn: (tx: unknown) => Promise<unknown>) => target.transaction(async (tx) => {
            const txProxy = new Proxy(tx, {
              get(t, p) {
                const v = Reflect.get(t, p, t);
                if (p !== "insert" || sneaked > 0) return typeof v === "function" ? v.bind(t) : v;
                return (table: never) => {
                  const builder = t.insert(table);
                  return { values: (rows: never) => { const q = builder.values(rows); return { then: async (ok: (x: unknown) => unknown, ko: (e: unknown) => unknown) => {
                    sneaked++;
                    await appendAuditEventUnlocked(http(), auditRow(50), { chains: [chainId] });
                    return q.then(ok, ko);
                  } }; } };
                };
              },
            });
            return fn(txProxy);
          });
        },
      });
      expect(await appendAuditEvents(sneaky as typeof db, [auditRow(2)], { chains: [chainId] })).toEqual({ inserted: 1, skipped: 0 });
      expect(sneaked).toBe(1);
      const rows = await chainRows(db, chainId);
      expect(rows.map((r) => [r.chainSeq, r.eventKey.split(":")[2]])).toEqual([[1, "0"], [2, "50"], [3, "2"]]);
      expect((await verifyAuditChains(db, { chainIds: [chainId] })).ok).toBe(true);
    });
  });

  it("idempotent by event key: a repeated row is skipped and consumes no seq", async () => {
    const chainId = testChainId();
    const a = auditRow(1);
    expect(await appendAuditEventUnlocked(http(), a, { chains: [chainId] })).toEqual({ inserted: 1, skipped: 0 });
    expect(await appendAuditEventUnlocked(http(), a, { chains: [chainId] })).toEqual({ inserted: 0, skipped: 1 });
    expect(await appendAuditEventUnlocked(http(), auditRow(2), { chains: [chainId] })).toEqual({ inserted: 1, skipped: 0 });
    await withDb(async (db) => {
      expect((await chainRows(db, chainId)).map((r) => [r.chainSeq, r.eventKey.split(":")[2]])).toEqual([[1, "1"], [2, "2"]]);
      expect((await verifyAuditChains(db, { chainIds: [chainId] })).ok).toBe(true);
    });
  });

  it("a row PostgreSQL refuses (foreign key) throws and keeps nothing", async () => {
    const chainId = testChainId();
    await withDb((db) => buildChain(db, chainId, 2));
    await expect(appendAuditEventUnlocked(http(), auditRow(9, { userId: crypto.randomUUID() }), { chains: [chainId] })).rejects.toThrow();
    await withDb(async (db) => expect((await chainRows(db, chainId)).map((r) => r.chainSeq)).toEqual([1, 2]));
  });

  it("a writer that loses every race inserts nothing and returns null (the caller then takes the lock)", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      // Between each head read and insert, a locked writer takes the seq that was read.
      const real = http();
      let competitors = 0;
      const racing = new Proxy(real, {
        get(target, prop) {
          if (prop === "insert") {
            return (table: never) => ({
              values: (v: never) => ({
                onConflictDoNothing: () => ({
                  returning: async (f: never) => {
                    await appendAuditEvents(db, [auditRow(500 + competitors++)], { chains: [chainId] });
                    return target.insert(table).values(v).onConflictDoNothing().returning(f);
                  },
                }),
              }),
            });
          }
          const value = Reflect.get(target, prop, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const loser = auditRow(1);
      expect(await appendAuditEventUnlocked(racing, loser, { chains: [chainId], attempts: 3 })).toBeNull();
      expect(competitors).toBe(3);
      const rows = await chainRows(db, chainId);
      expect(rows.map((r) => r.chainSeq)).toEqual([1, 2, 3]);
      expect(rows.some((r) => r.eventKey === loser.eventKey)).toBe(false);
      expect((await verifyAuditChains(db, { chainIds: [chainId] })).ok).toBe(true);
    });
  });
});

describe("lock waits are bounded", () => {
  it("while another writer holds a chain, an append gives up after lockTimeoutMs (for the outbox) and keeps nothing", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, 2);
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const holder = db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_NAMESPACE}::int4, ${chainId}::int4)`);
        locked();
        await new Promise((r) => setTimeout(r, 1500));
      });
      await isLocked;
      const started = Date.now();
      const err = await appendAuditEvents(db, [auditRow(3)], { chains: [chainId], lockTimeoutMs: 200 }).then(() => null, (e: unknown) => e);
      const messages: string[] = [];
      for (let e = err; e instanceof Error; e = e.cause) messages.push(e.message);
      expect(messages.join(" | ")).toMatch(/lock timeout/);
      expect(Date.now() - started).toBeLessThan(1400);
      await holder;
      await appendAuditEvents(db, [auditRow(4)], { chains: [chainId], lockTimeoutMs: 200 });
      expect((await chainRows(db, chainId)).map((r) => [r.chainSeq, r.eventKey.split(":")[2]])).toEqual([[1, "0"], [2, "1"], [3, "4"]]);
    });
  });
});

describe("verification reports the first problem of each chain", () => {
  const N = 10;
  const verifyOne = (db: Parameters<typeof verifyAuditChains>[0], chainId: number) =>
    verifyAuditChains(db, { chainIds: [chainId], pageSize: 4 }).then((r) => {
      expect(r.chains).toHaveLength(1);
      expect(r.ok).toBe(r.chains[0]!.ok);
      return r.chains[0]!;
    });

  it("intact chain: ok, with its head", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      const rows = await buildChain(db, chainId, N);
      const c = await verifyOne(db, chainId);
      expect(c).toEqual({ chainId, ok: true, verifiedRows: N, head: { id: rows[N - 1]!.id, seq: N, hash: rows[N - 1]!.hash } });
    });
  });

  it("modified details -> modified at that row", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, N);
      const row = await tamperModify(db, chainId, 4);
      const c = await verifyOne(db, chainId);
      expect(c.ok).toBe(false);
      expect(c.problem).toMatchObject({ kind: "modified", id: row.id, seq: 4 });
      expect(c.verifiedRows).toBe(3);
      expect(c.head?.seq).toBe(3);
    });
  });

  it("modified stored hash, or modified prevHash -> modified", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, N);
      const row = await rowAt(db, chainId, 6);
      await db.execute(`update audit_events set hash = '${randomHex()}', prev_hash = '${randomHex()}' where id = ${row.id}`);
      expect((await verifyOne(db, chainId)).problem).toMatchObject({ kind: "modified", id: row.id, seq: 6 });
    });
  });

  it("deleted row -> deleted (gap), at the row after it", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, N);
      const victim = await tamperDelete(db, chainId, 5);
      const next = await rowAt(db, chainId, 6);
      const c = await verifyOne(db, chainId);
      expect(c.problem).toMatchObject({ kind: "deleted", id: next.id, seq: 6, missingSeqs: { from: 5, to: 5 } });
      expect(victim.chainSeq).toBe(5);
    });
  });

  it("deleted first row -> deleted", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, 3);
      await tamperDelete(db, chainId, 1);
      expect((await verifyOne(db, chainId)).problem).toMatchObject({ kind: "deleted", seq: 2, missingSeqs: { from: 1, to: 1 } });
    });
  });

  it("deleted rows with the chain renumbered -> deleted", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, N);
      await tamperDelete(db, chainId, 5, true);
      const moved = await rowAt(db, chainId, 5); // was seq 6
      const c = await verifyOne(db, chainId);
      expect(c.problem).toMatchObject({ kind: "deleted", id: moved.id, seq: 5, missingSeqs: { from: 5, to: 5 } });
    });
  });

  it("forged row in the middle, later rows renumbered, correct hash -> inserted at the forged row", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, N);
      const forged = await tamperInsert(db, chainId, 5, "smart");
      expect((await chainRows(db, chainId)).map((r) => r.chainSeq)).toEqual(Array.from({ length: N + 1 }, (_, i) => i + 1));
      const c = await verifyOne(db, chainId);
      expect(c.problem).toMatchObject({ kind: "inserted", id: forged.id, seq: 5 });
    });
  });

  it("forged row with made-up hashes, or copying the previous hash -> inserted at the forged row", async () => {
    for (const mode of ["naive", "copy-prev"] as const) {
      const chainId = testChainId();
      await withDb(async (db) => {
        await buildChain(db, chainId, N);
        const forged = await tamperInsert(db, chainId, 4, mode);
        expect((await verifyOne(db, chainId)).problem, mode).toMatchObject({ kind: "inserted", id: forged.id, seq: 4 });
      });
    }
  });

  it("forged first row (chain renumbered) -> inserted", async () => {
    const chainId = testChainId();
    await withDb(async (db) => {
      await buildChain(db, chainId, 4);
      const forged = await tamperInsert(db, chainId, 1, "smart");
      expect((await verifyOne(db, chainId)).problem).toMatchObject({ kind: "inserted", id: forged.id, seq: 1 });
    });
  });

  it("only the first problem is reported; other chains are reported on their own", async () => {
    const [a, b] = [testChainId(), testChainId()];
    await withDb(async (db) => {
      await buildChain(db, a, N);
      await buildChain(db, b, 3);
      const first = await tamperModify(db, a, 3);
      await tamperDelete(db, a, 8);
      const report = await verifyAuditChains(db, { chainIds: [a, b], pageSize: 2 });
      expect(report.ok).toBe(false);
      const byId = new Map(report.chains.map((c) => [c.chainId, c]));
      expect(byId.get(a)!.problem).toMatchObject({ kind: "modified", id: first.id, seq: 3 });
      expect(byId.get(b)).toMatchObject({ ok: true, verifiedRows: 3 });
    });
  });
});
