/**
 * Audit chain test helpers, usable in workerd (neon-serverless) and in Node (node-postgres):
 * throwaway chains far above the production ones, and the tampering an attacker with SQL
 * access could do.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { auditEvents } from "../../db/schema";
import { appendAuditEvents, computeAuditHash, type AnyPgDb, type AuditRowInput } from "../../worker/audit/chain";

/** A chain id no production writer and (almost surely) no other test uses. */
export const testChainId = () => 1_000_000 + Math.floor(Math.random() * 1_000_000_000);

const rand = () => Math.random().toString(36).slice(2, 10);
export const randomHex = () => Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join("");

export function auditRow(i: number, extra: Partial<AuditRowInput> = {}): AuditRowInput {
  return {
    type: "test.chain",
    severity: "info",
    requestId: `req-${rand()}`,
    details: { i, nested: { b: [1, 2, { z: true, a: null }], a: "x" } },
    eventKey: `test:${rand()}:${i}`,
    ...extra,
  };
}

/** Appends n rows, one by one, to the given chain; returns them in seq order. */
export async function buildChain(db: AnyPgDb, chainId: number, n: number) {
  for (let i = 0; i < n; i++) await appendAuditEvents(db, [auditRow(i)], { chains: [chainId] });
  return chainRows(db, chainId);
}

export async function chainRows(db: AnyPgDb, chainId: number) {
  return db.select().from(auditEvents).where(eq(auditEvents.chainId, chainId)).orderBy(asc(auditEvents.chainSeq), asc(auditEvents.id));
}

export async function rowAt(db: AnyPgDb, chainId: number, seq: number) {
  const [row] = await db.select().from(auditEvents).where(and(eq(auditEvents.chainId, chainId), eq(auditEvents.chainSeq, seq)));
  if (!row) throw new Error(`no row at chain ${chainId} seq ${seq}`);
  return row;
}

/** Edits a row's details in place, hash untouched. */
export async function tamperModify(db: AnyPgDb, chainId: number, seq: number) {
  await db.execute(sql`update audit_events set details = details || '{"tampered": true}'::jsonb where chain_id = ${chainId} and chain_seq = ${seq}`);
  return rowAt(db, chainId, seq);
}

/** Deletes a row; with renumber, the later rows are moved down to close the gap. */
export async function tamperDelete(db: AnyPgDb, chainId: number, seq: number, renumber = false) {
  const victim = await rowAt(db, chainId, seq);
  await db.execute(sql`delete from audit_events where id = ${victim.id}`);
  if (renumber) await shift(db, chainId, seq + 1, -1);
  return victim;
}

/** Moves rows at seq >= from by delta (two steps, so the unique index never sees a clash). */
async function shift(db: AnyPgDb, chainId: number, from: number, delta: number) {
  await db.execute(sql`update audit_events set chain_seq = -chain_seq where chain_id = ${chainId} and chain_seq >= ${from}`);
  await db.execute(sql`update audit_events set chain_seq = -chain_seq + ${delta} where chain_id = ${chainId} and chain_seq < 0`);
}

/**
 * Inserts a forged row at `seq`.
 * - "smart": later rows renumbered, the forged row links to the previous row and has a correct hash;
 * - "naive": later rows renumbered, random prevHash and hash;
 * - "copy-prev": later rows renumbered, links to the previous row, random hash;
 * - "duplicate": no renumbering, same seq as the genuine row (needs the unique index dropped).
 */
export async function tamperInsert(db: AnyPgDb, chainId: number, seq: number, mode: "smart" | "naive" | "copy-prev" | "duplicate") {
  if (mode !== "duplicate") await shift(db, chainId, seq, 1);
  const prev = seq > 1 ? await rowAt(db, chainId, seq - 1) : undefined;
  const fields = {
    chainId,
    seq,
    prevHash: mode === "naive" ? randomHex() : prev?.hash ?? "0".repeat(64),
    userId: null,
    type: "auth.login",
    severity: "info" as const,
    requestId: `forged-${rand()}`,
    details: { forged: true },
    eventKey: `forged:${rand()}`,
    createdAt: new Date(),
  };
  const hash = mode === "smart" || mode === "duplicate" ? await computeAuditHash(fields) : randomHex();
  const [row] = await db.insert(auditEvents).values({ ...fields, chainSeq: seq, hash }).returning();
  return row!;
}
