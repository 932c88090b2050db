/**
 * db/schema.ts and the committed migrations (db/migrations) must agree:
 * - drizzle-kit, run against a copy of the migrations, finds nothing to generate;
 * - the journal and the .sql files match one to one;
 * - applied to a fresh database, the migrations create every table and column of the schema
 *   (and nothing else), and applying them again is a no-op.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { is } from "drizzle-orm";
import { PgTable, getTableConfig } from "drizzle-orm/pg-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, ensureDatabase, runMigrations } from "../../db/migrate";
import * as schema from "../../db/schema";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DRIZZLE_KIT = path.join(ROOT, "node_modules", ".bin", "drizzle-kit");
const SCHEMA = path.join(ROOT, "db", "schema.ts");
const ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const sqlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();

/**
 * Runs `drizzle-kit generate` for `schemaPath` against a copy of the committed migrations.
 * drizzle-kit exits 0 even on some errors and prefixes `--out` with "./", so it runs in the
 * temp dir with a relative `--out`, and the caller checks the files, not only the exit code.
 */
async function generateAgainstCopy(schemaPath: string) {
  const work = mkdtempSync(path.join(tmpdir(), "unialist-drift-"));
  const out = path.join(work, "migrations");
  cpSync(MIGRATIONS_DIR, out, { recursive: true });
  const before = sqlFiles(out);
  const { stdout, stderr } = await run(DRIZZLE_KIT, ["generate", "--dialect", "postgresql", "--schema", schemaPath, "--out", "migrations"], {
    cwd: work,
    env: { ...process.env, PATH: `${path.join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}`, NO_COLOR: "1", FORCE_COLOR: "0" },
    timeout: 60_000, // drizzle-kit prompts on ambiguous renames; never hang on a prompt
  });
  const after = sqlFiles(out);
  const added = after.filter((f) => !before.includes(f));
  const journal = readFileSync(path.join(out, "meta", "_journal.json"), "utf8");
  return { work, out: `${stdout}\n${stderr}`, added, addedSql: added.map((f) => readFileSync(path.join(out, f), "utf8")).join("\n"), journal };
}

describe("migrations match db/schema.ts", () => {
  it("drizzle-kit generate finds no schema changes", async () => {
    const { work, out, added, journal } = await generateAgainstCopy(SCHEMA);
    try {
      expect(out).not.toMatch(/Error|ENOENT/);
      expect(added, `schema.ts and db/migrations disagree; run \`npm run db:generate\`.\n${out}`).toEqual([]);
      expect(out).toMatch(/No schema changes/);
      expect(journal).toBe(readFileSync(path.join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8"));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("the check itself detects drift (a schema with one more table makes drizzle-kit generate a migration)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "unialist-drift-schema-"));
    try {
      symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
      const drifted = path.join(dir, "schema.ts");
      writeFileSync(
        drifted,
        `${readFileSync(SCHEMA, "utf8")}\nexport const driftProbe = pgTable("drift_probe", { id: uuid("id").primaryKey() });\n`,
      );
      const { work, added, addedSql } = await generateAgainstCopy(drifted);
      rmSync(work, { recursive: true, force: true });
      expect(added).toHaveLength(1);
      expect(addedSql).toContain(`CREATE TABLE "drift_probe"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the journal lists exactly the committed .sql files, in order, each with a snapshot", () => {
    const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as {
      dialect: string;
      entries: { idx: number; tag: string; when: number }[];
    };
    expect(journal.dialect).toBe("postgresql");
    expect(journal.entries.map((e) => `${e.tag}.sql`)).toEqual(sqlFiles(MIGRATIONS_DIR));
    journal.entries.forEach((e, i) => {
      expect(e.idx).toBe(i);
      expect(existsSync(path.join(MIGRATIONS_DIR, "meta", `${String(i).padStart(4, "0")}_snapshot.json`)), e.tag).toBe(true);
      if (i > 0) expect(e.when).toBeGreaterThan(journal.entries[i - 1]!.when);
    });
  });
});

describe("migrations applied to a fresh database", () => {
  const dbName = `unialist_mig_${randomBytes(4).toString("hex")}`;
  const url = (() => {
    const u = new URL(ADMIN_URL);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  let client: pg.Client;

  const tables = Object.values(schema as Record<string, unknown>)
    .filter((v): v is PgTable => is(v, PgTable))
    .map((t) => getTableConfig(t));

  beforeAll(async () => {
    await ensureDatabase(url);
    await runMigrations(url);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end().catch(() => {});
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`drop database if exists "${dbName}" with (force)`);
    } finally {
      await admin.end();
    }
  });

  it("creates exactly the schema's tables", async () => {
    expect(tables.length).toBeGreaterThan(0);
    const { rows } = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual(tables.map((t) => t.name).sort());
  });

  it("creates every column with the schema's nullability", async () => {
    const { rows } = await client.query<{ table_name: string; column_name: string; is_nullable: "YES" | "NO" }>(
      "select table_name, column_name, is_nullable from information_schema.columns where table_schema = 'public'",
    );
    for (const t of tables) {
      const inDb = rows.filter((r) => r.table_name === t.name);
      expect(inDb.map((r) => r.column_name).sort(), t.name).toEqual(t.columns.map((c) => c.name).sort());
      for (const c of t.columns) {
        const col = inDb.find((r) => r.column_name === c.name)!;
        expect(col.is_nullable === "NO", `${t.name}.${c.name}`).toBe(c.notNull || c.primary);
      }
    }
  });

  it("creates the schema's indexes and foreign keys", async () => {
    const { rows: idx } = await client.query<{ indexname: string }>("select indexname from pg_indexes where schemaname = 'public'");
    const { rows: fks } = await client.query<{ conname: string }>("select conname from pg_constraint where contype = 'f'");
    for (const t of tables) {
      for (const i of t.indexes) expect(idx.map((r) => r.indexname), `${t.name} index`).toContain(i.config.name);
      for (const fk of t.foreignKeys) expect(fks.map((r) => r.conname), `${t.name} fk`).toContain(fk.getName());
    }
  });

  it("records every migration and re-applying is a no-op", async () => {
    const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
    const count = async () =>
      Number((await client.query<{ n: string }>('select count(*) as n from drizzle."__drizzle_migrations"')).rows[0]!.n);
    expect(await count()).toBe(journal.entries.length);
    await runMigrations(url);
    expect(await count()).toBe(journal.entries.length);
  });
});
