/**
 * `npm run audit:verify` (scripts/audit-verify.ts) on a throwaway database of its own:
 * exit 0 and ok on an intact trail, exit 1 with the first problem of each tampered chain,
 * exit 2 when it cannot run. Rows are written by the same chain module, through drizzle
 * node-postgres.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDatabase, runMigrations } from "../../db/migrate";
import { auditEvents } from "../../db/schema";
import { AUDIT_CHAINS, appendAuditEvents, type AuditVerifyReport } from "../../worker/audit/chain";
import { auditRow, chainRows, tamperDelete, tamperInsert, tamperModify } from "../support/audit-chain";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const SCRIPT = path.join(ROOT, "scripts", "audit-verify.ts");
const ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const dbName = `unialist_audit_${randomBytes(4).toString("hex")}`;
const dbUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
let pool: pg.Pool;
let db: ReturnType<typeof drizzle>;

function verify(args: string[] = [], url: string | null = dbUrl): Promise<{ code: number; report?: AuditVerifyReport & { database: string }; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (url === null) delete env.DATABASE_URL;
  else env.DATABASE_URL = url;
  return new Promise((resolve) => {
    execFile(TSX, [SCRIPT, ...args], { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      let report;
      try {
        report = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ code, report, stderr });
    });
  });
}

beforeAll(async () => {
  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  pool = new pg.Pool({ connectionString: dbUrl, max: 8 });
  pool.on("error", () => {}); // the drop at the end terminates idle connections: expected
  db = drizzle(pool);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists "${dbName}" with (force)`);
  await admin.end();
}, 60_000);

// Each run spawns tsx (a few seconds on a busy machine).
describe("npm run audit:verify", { timeout: 120_000 }, () => {
  it("exits 0 on an intact trail written concurrently (batches and single rows)", async () => {
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => appendAuditEvents(db, [auditRow(i)])),
      appendAuditEvents(db, Array.from({ length: 40 }, (_, i) => auditRow(100 + i))),
    ]);
    for (let chainId = 0; chainId < AUDIT_CHAINS; chainId++) {
      const rows = await chainRows(db, chainId);
      expect(rows.map((r) => r.chainSeq)).toEqual(rows.map((_, i) => i + 1));
    }
    const { code, report, stderr } = await verify();
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, unchained: { count: 0, firstId: null } });
    expect(report!.database).toContain(dbName);
    expect(report!.database).not.toContain("postgres@");
    expect(report!.chains.map((c) => c.chainId)).toEqual(Array.from({ length: AUDIT_CHAINS }, (_, i) => i));
    expect(report!.chains.reduce((n, c) => n + c.verifiedRows, 0)).toBe(80);
  });

  it("exits 1 with the first problem of each tampered chain; untouched chains stay ok", async () => {
    const modified = await tamperModify(db, 0, 2);
    await tamperDelete(db, 1, 2);
    const forged = await tamperInsert(db, 2, 2, "smart");
    // A duplicate seq needs the unique index gone (an attacker with DDL rights).
    await db.execute("drop index audit_events_chain_unique");
    const duplicate = await tamperInsert(db, 3, 2, "duplicate");

    const { code, report } = await verify();
    expect(code).toBe(1);
    expect(report!.ok).toBe(false);
    const byId = new Map(report!.chains.map((c) => [c.chainId, c]));
    expect(byId.get(0)!.problem).toMatchObject({ kind: "modified", id: modified.id, seq: 2 });
    expect(byId.get(1)!.problem).toMatchObject({ kind: "deleted", seq: 3, missingSeqs: { from: 2, to: 2 } });
    expect(byId.get(2)!.problem).toMatchObject({ kind: "inserted", id: forged.id, seq: 2 });
    expect(byId.get(3)!.problem).toMatchObject({ kind: "inserted", id: duplicate.id, seq: 2 });
    for (const c of [4, 5, 6, 7]) expect(byId.get(c)).toMatchObject({ ok: true });

    const [only, three] = await Promise.all([verify(["--chain", "4,5", "--chain=6"]), verify(["--chain", "3"])]);
    expect(only.code).toBe(0);
    expect(only.report).toMatchObject({ ok: true, unchained: null });
    expect(only.report!.chains.map((c) => c.chainId)).toEqual([4, 5, 6]);
    expect(three.code).toBe(1);
  });

  it("a row outside any chain fails the full check", async () => {
    const [row] = await db.insert(auditEvents).values({ type: "forged", severity: "info", eventKey: `unchained:${Date.now()}` }).returning();
    const [{ code, report }, full] = await Promise.all([verify(["--chain", "7"]), verify()]);
    expect(code).toBe(0);
    expect(report!.unchained).toBeNull();
    expect(full.code).toBe(1);
    expect(full.report!.unchained).toEqual({ count: 1, firstId: row!.id });
  });

  it("exits 2 when it cannot run", async () => {
    const [noUrl, unreachable, badArg] = await Promise.all([
      verify([], null),
      verify([], "postgres://postgres@127.0.0.1:1/none"),
      verify(["--chain", "x"]),
    ]);
    expect(noUrl.code).toBe(2);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/could not run/);
    expect(badArg.code).toBe(2);
  });
});
