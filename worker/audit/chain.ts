/**
 * Tamper-evident audit trail: every audit row belongs to one of a fixed set of hash chains.
 *
 * Ordering. A row's chain is chosen by a stable hash (FNV-1a) of its event key, so one event
 * always lands in the same chain. Appends to a chain are serialized by a transaction-scoped
 * advisory lock (AUDIT_LOCK_NAMESPACE, chainId): inside the lock the writer skips event keys
 * already stored (idempotency: an outbox re-flush writes nothing and consumes no seq), reads
 * the chain's head (last seq, hash), and inserts the new rows with seq+1, seq+2, ... each
 * hash covering the previous one. A failed transaction rolls back whole, so no seq is lost.
 * The lock wait is bounded (lock_timeout): a writer that cannot get its turn fails, and the
 * audit writer hands the row to the outbox rather than holding a connection.
 *
 * Hash. SHA-256 (hex) of "unialist.audit.v1\n" + canonical JSON (keys sorted recursively,
 * no whitespace, undefined members dropped) of {chainId, seq, prevHash, userId, type,
 * severity, requestId, details, eventKey, createdAt (ISO, milliseconds)}. The first row of a
 * chain has seq 1 and prevHash GENESIS_HASH.
 *
 * Verification streams each chain in pages ordered by (chain_seq, id) and reports, per chain,
 * ok or the first problem: "modified", "inserted" or "deleted" (see classify()).
 * Used in the Worker (neon-serverless) and in scripts (node-postgres): WebCrypto only.
 */
import { and, asc, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { auditCheckpoints, auditEvents } from "../../db/schema";

// Any drizzle PostgreSQL database: neon-serverless in the Worker, node-postgres in scripts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPgDb = PgDatabase<PgQueryResultHKT, any>;

/** Production chains are 0..AUDIT_CHAINS-1; other ids (tests) are only used when asked for. */
export const AUDIT_CHAINS = 8;
export const DEFAULT_CHAINS: readonly number[] = Array.from({ length: AUDIT_CHAINS }, (_, i) => i);
export const GENESIS_HASH = "0".repeat(64);
/** First key of pg_advisory_xact_lock(int4, int4): "AUDT". */
export const AUDIT_LOCK_NAMESPACE = 0x41554454;
const HASH_DOMAIN = "unialist.audit.v1";
const INSERT_CHUNK = 500;

export type AuditSeverity = (typeof auditEvents.$inferInsert)["severity"];

/** What writers hand in; chain columns are always computed here, never taken from the caller. */
export interface AuditRowInput {
  userId?: string | null;
  type: string;
  severity: AuditSeverity;
  requestId?: string | null;
  details?: Record<string, unknown> | null;
  eventKey: string;
  createdAt?: Date | string | number | null;
}

/** The fields covered by a row's hash. */
export interface AuditHashFields {
  chainId: number;
  seq: number;
  prevHash: string | null;
  userId: string | null;
  type: string;
  severity: string;
  requestId: string | null;
  details: unknown;
  eventKey: string;
  createdAt: Date;
}

// ---------------------------------------------------------------------------------------
// Encoding and hashing

/** Canonical JSON: sorted keys, no whitespace, undefined object members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("canonicalJson: non-finite number");
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
    }
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  }
}

/** The exact string that is hashed for a row. */
export function auditHashInput(f: AuditHashFields): string {
  return `${HASH_DOMAIN}\n${canonicalJson({
    chainId: f.chainId,
    seq: f.seq,
    prevHash: f.prevHash,
    userId: f.userId,
    type: f.type,
    severity: f.severity,
    requestId: f.requestId,
    details: f.details ?? null,
    eventKey: f.eventKey,
    createdAt: f.createdAt.toISOString(),
  })}`;
}

const hex = (buf: ArrayBuffer) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

export async function computeAuditHash(f: AuditHashFields): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(auditHashInput(f))));
}

/** Stable FNV-1a (32-bit) of the event key's UTF-8 bytes. */
export function stableHash32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The chain an event key belongs to, among `chains` (production: 0..AUDIT_CHAINS-1). */
export function chainFor(eventKey: string, chains: readonly number[] = DEFAULT_CHAINS): number {
  if (chains.length === 0) throw new Error("no audit chains");
  return chains[stableHash32(eventKey) % chains.length]!;
}

// ---------------------------------------------------------------------------------------
// Appending

/** Exactly what PostgreSQL will hand back, so the hash computed now is the one recomputed later. */
function normalize(row: AuditRowInput) {
  const created = row.createdAt instanceof Date ? row.createdAt : row.createdAt != null ? new Date(row.createdAt) : new Date();
  return {
    userId: row.userId ? row.userId.toLowerCase() : null,
    type: row.type,
    severity: row.severity,
    requestId: row.requestId ?? null,
    // jsonb keeps what JSON.stringify produced (undefined dropped, Dates as strings, ...).
    details: JSON.parse(JSON.stringify(row.details ?? {})) as Record<string, unknown>,
    eventKey: row.eventKey,
    createdAt: Number.isNaN(created.getTime()) ? new Date() : created,
  };
}

export interface AppendOptions {
  /** The chains to spread rows over (by stable hash of the event key). Default: 0..AUDIT_CHAINS-1. */
  chains?: readonly number[];
  /**
   * Longest wait for a chain's lock. Waiting holds a connection, so under a burst the append
   * fails instead (the writer then hands the row to the outbox, which writes in batches).
   */
  lockTimeoutMs?: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

export interface AppendResult {
  inserted: number;
  /** Event keys already stored (or repeated in the batch): written once, not again. */
  skipped: number;
}

/**
 * Appends audit rows to their chains: one short transaction per chain touched, under that
 * chain's advisory lock. Idempotent by event key. Throws if PostgreSQL fails (nothing of
 * that chain's transaction is kept); callers fall back to the outbox.
 */
export async function appendAuditEvents(db: AnyPgDb, rows: readonly AuditRowInput[], opts: AppendOptions = {}): Promise<AppendResult> {
  const chains = opts.chains ?? DEFAULT_CHAINS;
  const byChain = new Map<number, ReturnType<typeof normalize>[]>();
  const seen = new Set<string>();
  let skipped = 0;
  for (const raw of rows) {
    if (seen.has(raw.eventKey)) {
      skipped++;
      continue;
    }
    seen.add(raw.eventKey);
    const chainId = chainFor(raw.eventKey, chains);
    let list = byChain.get(chainId);
    if (!list) byChain.set(chainId, (list = []));
    list.push(normalize(raw));
  }
  let inserted = 0;
  // Ascending chain order, one lock per transaction: no lock-order deadlock is possible.
  for (const chainId of [...byChain.keys()].sort((a, b) => a - b)) {
    const list = byChain.get(chainId)!;
    const n = await appendToChainRetrying(db, chainId, list, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    inserted += n;
    skipped += list.length - n;
  }
  return { inserted, skipped };
}

/**
 * Writers without the lock (appendAuditEventUnlocked) can take the seq this transaction read
 * as free between its head read and its insert; the insert then fails on the (chain, seq)
 * index and the whole transaction rolls back, so it is simply run again (a few times).
 */
async function appendToChainRetrying(db: AnyPgDb, chainId: number, rows: ReturnType<typeof normalize>[], lockTimeoutMs: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await appendToChain(db, chainId, rows, lockTimeoutMs);
    } catch (e) {
      if (attempt >= 5 || !isChainSeqConflict(e)) throw e;
    }
  }
}

/** A unique violation of (chain_id, chain_seq), wherever the driver put PostgreSQL's error. */
export function isChainSeqConflict(e: unknown): boolean {
  for (let x = e, depth = 0; x && typeof x === "object" && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const pg = x as { code?: unknown; constraint?: unknown };
    if (pg.code === "23505" && pg.constraint === "audit_events_chain_unique") return true;
  }
  return false;
}

async function appendToChain(db: AnyPgDb, chainId: number, rows: ReturnType<typeof normalize>[], lockTimeoutMs: number): Promise<number> {
  return db.transaction(async (tx) => {
    const timeout = Number.isFinite(lockTimeoutMs) ? Math.max(1, Math.floor(lockTimeoutMs)) : DEFAULT_LOCK_TIMEOUT_MS;
    await tx.execute(sql.raw(`set local lock_timeout = ${timeout}`));
    await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_NAMESPACE}::int4, ${chainId}::int4)`);
    // Inside the lock: a key stored meanwhile (concurrent flush of the same row) is seen here.
    // Keys are unique table-wide, so the check is too (a key stays in its chain anyway).
    const existing = new Set<string>();
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const keys = rows.slice(i, i + INSERT_CHUNK).map((r) => r.eventKey);
      for (const r of await tx.select({ k: auditEvents.eventKey }).from(auditEvents).where(inArray(auditEvents.eventKey, keys))) existing.add(r.k);
    }
    const fresh = rows.filter((r) => !existing.has(r.eventKey));
    if (fresh.length === 0) return 0;
    const [head] = await tx.select({ seq: auditEvents.chainSeq, hash: auditEvents.hash }).from(auditEvents)
      .where(and(eq(auditEvents.chainId, chainId), isNotNull(auditEvents.chainSeq)))
      .orderBy(desc(auditEvents.chainSeq)).limit(1);
    let seq = head?.seq ?? 0;
    // A head without a hash is already a broken chain (verification reports it); do not repair it.
    let prevHash = head ? (head.hash ?? "") : GENESIS_HASH;
    const values: (typeof auditEvents.$inferInsert)[] = [];
    for (const r of fresh) {
      seq += 1;
      const hash = await computeAuditHash({ chainId, seq, prevHash, ...r });
      values.push({ ...r, chainId, chainSeq: seq, prevHash, hash });
      prevHash = hash;
    }
    // No ON CONFLICT: a conflicting key aborts the transaction, so no seq is consumed.
    for (let i = 0; i < values.length; i += INSERT_CHUNK) await tx.insert(auditEvents).values(values.slice(i, i + INSERT_CHUNK));
    return fresh.length;
  });
}

/**
 * One row appended without the lock, for writers that cannot hold a transaction (Neon's HTTP
 * endpoint: one statement per round trip, no WebSocket, no PostgreSQL startup). Optimistic:
 * read the chain's head, insert seq+1 with `on conflict do nothing`. The unique indexes on
 * (chain_id, chain_seq) and event_key keep the chain whole against every other writer,
 * locked or not: rows never change, so a head read at seq N still has the hash row N has
 * when N+1 goes in, and a writer that lost the race inserts nothing and reads again.
 * Returns null when it kept losing (`attempts` times): the caller takes the locked path.
 * Throws when PostgreSQL fails (e.g. a foreign key): nothing is kept, as with the lock.
 */
export async function appendAuditEventUnlocked(db: AnyPgDb, raw: AuditRowInput, opts: { chains?: readonly number[]; attempts?: number } = {}): Promise<AppendResult | null> {
  const chainId = chainFor(raw.eventKey, opts.chains ?? DEFAULT_CHAINS);
  const r = normalize(raw);
  for (let attempt = 0; attempt < (opts.attempts ?? 3); attempt++) {
    const [head] = await db.select({ seq: auditEvents.chainSeq, hash: auditEvents.hash }).from(auditEvents)
      .where(and(eq(auditEvents.chainId, chainId), isNotNull(auditEvents.chainSeq)))
      .orderBy(desc(auditEvents.chainSeq)).limit(1);
    const seq = (head?.seq ?? 0) + 1;
    const prevHash = head ? (head.hash ?? "") : GENESIS_HASH;
    const hash = await computeAuditHash({ chainId, seq, prevHash, ...r });
    const inserted = await db.insert(auditEvents).values({ ...r, chainId, chainSeq: seq, prevHash, hash })
      .onConflictDoNothing().returning({ id: auditEvents.id });
    if (inserted.length === 1) return { inserted: 1, skipped: 0 };
    // Nothing went in: the key is already stored (done, no seq consumed) or the seq was taken.
    const [stored] = await db.select({ id: auditEvents.id }).from(auditEvents).where(eq(auditEvents.eventKey, r.eventKey)).limit(1);
    if (stored) return { inserted: 0, skipped: 1 };
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Verification

export type AuditProblemKind = "modified" | "inserted" | "deleted";

export interface AuditChainProblem {
  kind: AuditProblemKind;
  /** The row the problem is reported at (for "deleted": the row found after the missing ones). */
  id: number | null;
  seq: number | null;
  detail: string;
  /** "deleted": the sequence numbers (as first written) that are missing, when known. */
  missingSeqs?: { from: number; to: number };
}

export interface AuditChainReport {
  chainId: number;
  ok: boolean;
  /** Rows verified before the first problem (all rows when ok). */
  verifiedRows: number;
  /** The last verified row: compare with an earlier report to notice rows cut off at the end. */
  head: { id: number; seq: number; hash: string } | null;
  problem?: AuditChainProblem;
}

export interface AuditVerifyReport {
  ok: boolean;
  checkedAt: string;
  chains: AuditChainReport[];
  /** Rows outside any chain (chain_id null): unverifiable. Null when only some chains were checked. */
  unchained: { count: number; firstId: number | null } | null;
}

export interface VerifyOptions {
  /** Only these chains (tests, or a targeted check). Default: every chain present in the table. */
  chainIds?: readonly number[];
  pageSize?: number;
}

const rowColumns = {
  id: auditEvents.id,
  chainId: auditEvents.chainId,
  seq: auditEvents.chainSeq,
  prevHash: auditEvents.prevHash,
  hash: auditEvents.hash,
  userId: auditEvents.userId,
  type: auditEvents.type,
  severity: auditEvents.severity,
  requestId: auditEvents.requestId,
  details: auditEvents.details,
  eventKey: auditEvents.eventKey,
  createdAt: auditEvents.createdAt,
};

interface ChainRow {
  id: number;
  seq: number;
  prevHash: string | null;
  hash: string | null;
  userId: string | null;
  type: string;
  severity: string;
  requestId: string | null;
  details: unknown;
  eventKey: string;
  createdAt: Date;
}

/** A chain's rows in (chain_seq, id) order, one page at a time, with one row of look-ahead. */
class ChainCursor {
  private buf: ChainRow[] = [];
  private after: { seq: number; id: number } | null = null;
  private done = false;

  constructor(private readonly db: AnyPgDb, private readonly chainId: number, private readonly pageSize: number) {}

  private async fill(): Promise<void> {
    if (this.buf.length > 0 || this.done) return;
    const t = auditEvents;
    const page = await this.db.select(rowColumns).from(t)
      .where(and(
        eq(t.chainId, this.chainId),
        isNotNull(t.chainSeq),
        this.after ? sql`(${t.chainSeq}, ${t.id}) > (${this.after.seq}::bigint, ${this.after.id}::bigint)` : undefined,
      ))
      .orderBy(asc(t.chainSeq), asc(t.id))
      .limit(this.pageSize);
    if (page.length < this.pageSize) this.done = true;
    const last = page[page.length - 1];
    if (last) this.after = { seq: last.seq!, id: last.id };
    this.buf = page.map((r) => ({ ...r, seq: Number(r.seq), id: Number(r.id) }));
  }

  async next(): Promise<ChainRow | undefined> {
    await this.fill();
    return this.buf.shift();
  }

  async peek(): Promise<ChainRow | undefined> {
    await this.fill();
    return this.buf[0];
  }
}

const rehash = (chainId: number, r: ChainRow, seq = r.seq) =>
  computeAuditHash({ chainId, seq, prevHash: r.prevHash, userId: r.userId, type: r.type, severity: r.severity, requestId: r.requestId, details: r.details, eventKey: r.eventKey, createdAt: r.createdAt });

const WINDOW = 1024;
/** How far a renumbering after deletions is looked for. */
const RENUMBER_PROBE = 16;

/**
 * Walks one chain. At each row r (after p, the previous row, all earlier rows being sound):
 *  - same seq as p                      -> "inserted" (duplicate seq)
 *  - seq jumps past p.seq+1             -> "deleted" (gap), unless r links to p and is
 *                                          self-consistent: then r was "inserted" with a made-up seq
 *  - links to p, hash does not match    -> "modified", unless the next row links to p too:
 *                                          then r was "inserted"
 *  - does not link to p, and
 *      its prevHash is an earlier row's -> "inserted" (the rows after that earlier row)
 *      the next row links to p          -> "inserted" (r)
 *      r is self-consistent             -> "deleted" (prevHash points to a missing row)
 *      r matches with a later seq       -> "deleted" (rows removed, chain renumbered)
 *      otherwise                        -> "modified" (content and link fields altered)
 */
async function verifyChain(db: AnyPgDb, chainId: number, pageSize: number): Promise<AuditChainReport> {
  const cursor = new ChainCursor(db, chainId, pageSize);
  const window: ChainRow[] = [];
  let first: ChainRow | undefined;
  let p: ChainRow | undefined;
  // After retention pruned a prefix, the chain resumes from the recorded checkpoint.
  const [checkpoint] = await db.select().from(auditCheckpoints).where(eq(auditCheckpoints.chainId, chainId)).limit(1);
  if (checkpoint) {
    p = { id: 0, seq: checkpoint.throughSeq, prevHash: null, hash: checkpoint.hash, userId: null, type: "checkpoint", severity: "info", requestId: null, details: {}, eventKey: "", createdAt: checkpoint.prunedAt };
  }
  let verified = 0;
  const report = (problem?: AuditChainProblem): AuditChainReport => ({
    chainId,
    ok: !problem,
    verifiedRows: verified,
    head: p ? { id: p.id, seq: p.seq, hash: p.hash ?? "" } : null,
    ...(problem ? { problem } : {}),
  });
  const at = (r: ChainRow, kind: AuditProblemKind, detail: string, extra: Partial<AuditChainProblem> = {}) =>
    report({ kind, id: r.id, seq: r.seq, detail, ...extra });

  for (let r = await cursor.next(); r; r = await cursor.next()) {
    const expectedSeq = p ? p.seq + 1 : 1;
    const expectedPrev = p ? p.hash : GENESIS_HASH;
    if (p && r.seq === p.seq) {
      // Two rows claim one place: the genuine one is the one the chain goes on from.
      const n = await cursor.peek();
      if (n && n.prevHash === r.hash && r.hash !== p.hash) {
        const forged = p;
        // p had been counted as verified: the head is the row before it.
        verified--;
        p = window[window.length - 2];
        return at(forged, "inserted", `duplicate seq ${r.seq}`);
      }
      return at(r, "inserted", `duplicate seq ${r.seq}`);
    }
    const selfOk = (await rehash(chainId, r)) === r.hash;
    const linkOk = r.prevHash === expectedPrev;
    if (r.seq > expectedSeq) {
      if (linkOk && selfOk) return at(r, "inserted", `row with seq ${r.seq} links to seq ${expectedSeq - 1}: seq made up`);
      return at(r, "deleted", `seq ${expectedSeq}..${r.seq - 1} missing`, { missingSeqs: { from: expectedSeq, to: r.seq - 1 } });
    }
    if (linkOk && selfOk) {
      first ??= r;
      window.push(r);
      if (window.length > 2 * WINDOW) window.splice(0, WINDOW);
      p = r;
      verified++;
      continue;
    }
    if (linkOk) {
      // A forged row copying p's hash as its prevHash: the chain goes on from p, not from it.
      const n = await cursor.peek();
      if (n && n.prevHash === expectedPrev) return at(r, "inserted", `the next row links over this one to seq ${expectedSeq - 1}`);
      return at(r, "modified", "stored hash does not match the row's content");
    }
    // The link to p is broken.
    if (p && r.prevHash === GENESIS_HASH && first) {
      return at(first, "inserted", `row seq ${r.seq} was the chain's first: rows before it were inserted`);
    }
    const qi = window.findIndex((q) => q !== p && q.hash === r.prevHash);
    if (qi >= 0) {
      const inserted = window[qi + 1]!;
      return at(inserted, "inserted", `row seq ${r.seq} links to seq ${window[qi]!.seq}: rows from seq ${inserted.seq} were inserted`);
    }
    const n = await cursor.peek();
    if (n && n.prevHash === expectedPrev) return at(r, "inserted", `the next row links over this one to seq ${expectedSeq - 1}`);
    if (selfOk) return at(r, "deleted", "prevHash points to a row not in the chain");
    for (let d = 1; d <= RENUMBER_PROBE; d++) {
      if ((await rehash(chainId, r, r.seq + d)) === r.hash) {
        return at(r, "deleted", `${d} row(s) removed before this one and the chain renumbered (row written as seq ${r.seq + d})`, { missingSeqs: { from: r.seq, to: r.seq + d - 1 } });
      }
    }
    return at(r, "modified", "neither the hash nor the link to the previous row match");
  }
  // Rows of this chain without a seq cannot have been written by appendAuditEvents.
  const [stray] = await db.select({ id: auditEvents.id }).from(auditEvents)
    .where(and(eq(auditEvents.chainId, chainId), isNull(auditEvents.chainSeq))).orderBy(asc(auditEvents.id)).limit(1);
  if (stray) return report({ kind: "inserted", id: Number(stray.id), seq: null, detail: "row in the chain without a seq" });
  return report();
}

/** Chain ids present in the table, by a loose index scan over (chain_id, chain_seq). */
async function listChains(db: AnyPgDb): Promise<number[]> {
  const ids: number[] = [];
  let last: number | null = null;
  for (;;) {
    const [row] = await db.select({ id: sql<number | null>`min(${auditEvents.chainId})`.mapWith(Number) }).from(auditEvents)
      .where(last === null ? isNotNull(auditEvents.chainId) : gt(auditEvents.chainId, last));
    if (row?.id == null) return ids;
    ids.push(row.id);
    last = row.id;
  }
}

/** Verifies chains one after the other, a page at a time; never loads a whole chain. */
export async function verifyAuditChains(db: AnyPgDb, opts: VerifyOptions = {}): Promise<AuditVerifyReport> {
  const pageSize = Math.max(2, opts.pageSize ?? 500);
  const chainIds = opts.chainIds ? [...new Set(opts.chainIds)].sort((a, b) => a - b) : await listChains(db);
  const chains: AuditChainReport[] = [];
  for (const chainId of chainIds) chains.push(await verifyChain(db, chainId, pageSize));
  let unchained: AuditVerifyReport["unchained"] = null;
  if (!opts.chainIds) {
    const [u] = await db.select({
      count: sql<number>`count(*)::int`.mapWith(Number),
      firstId: sql<number | null>`min(${auditEvents.id})`.mapWith(Number),
    }).from(auditEvents).where(isNull(auditEvents.chainId));
    unchained = { count: u?.count ?? 0, firstId: u?.firstId ?? null };
  }
  return {
    ok: chains.every((c) => c.ok) && (unchained?.count ?? 0) === 0,
    checkedAt: new Date().toISOString(),
    chains,
    unchained,
  };
}

/**
 * Audit retention without breaking the chains: per chain, under the writers' lock, the
 * rows older than `before` that form the chain's prefix are deleted and the last one's
 * (seq, hash) is kept as the chain's checkpoint.
 */
export async function pruneAuditChains(db: AnyPgDb, before: Date, chains: readonly number[] = DEFAULT_CHAINS): Promise<{ deleted: number }> {
  let deleted = 0;
  for (const chainId of chains) {
    deleted += await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_NAMESPACE}::int4, ${chainId}::int4)`);
      // The prefix ends before the first row that must be kept.
      const [keep] = await tx.select({ seq: auditEvents.chainSeq }).from(auditEvents)
        .where(and(eq(auditEvents.chainId, chainId), gte(auditEvents.createdAt, before)))
        .orderBy(asc(auditEvents.chainSeq)).limit(1);
      const [last] = await tx.select({ seq: auditEvents.chainSeq, hash: auditEvents.hash }).from(auditEvents)
        .where(and(eq(auditEvents.chainId, chainId), keep?.seq != null ? lt(auditEvents.chainSeq, keep.seq) : undefined))
        .orderBy(desc(auditEvents.chainSeq)).limit(1);
      if (!last || last.seq == null || !last.hash) return 0;
      await tx.insert(auditCheckpoints).values({ chainId, throughSeq: last.seq, hash: last.hash, prunedAt: new Date() })
        .onConflictDoUpdate({ target: auditCheckpoints.chainId, set: { throughSeq: last.seq, hash: last.hash, prunedAt: new Date() } });
      const gone = await tx.delete(auditEvents).where(and(eq(auditEvents.chainId, chainId), lte(auditEvents.chainSeq, last.seq))).returning({ id: auditEvents.id });
      return gone.length;
    });
  }
  return { deleted };
}
