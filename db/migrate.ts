/**
 * Applies the committed migrations to DATABASE_URL, creating the database if absent.
 * Usage: `npm run db:migrate` (Neon: DATABASE_URL=<Neon connection string> npm run db:migrate).
 */
import { fileURLToPath } from "node:url";
import path from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");

/** The connection string with its password hidden, for messages. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

export async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error("database name must be [A-Za-z0-9_]+");
  u.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: u.toString() });
  await admin.connect();
  try {
    const found = await admin.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount === 0) await admin.query(`create database "${name}"`);
  } catch (e) {
    // A concurrent creator wins the race: fine.
    if (!(e instanceof Error && /already exists/.test(e.message))) throw e;
  } finally {
    await admin.end();
  }
}

export async function runMigrations(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await client.end();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/unialist";
  const local = /^(127\.0\.0\.1|localhost)$/.test(new URL(url).hostname);
  try {
    if (local) await ensureDatabase(url);
    await runMigrations(url);
    console.log(`migrations applied to ${describeDatabaseUrl(url)}`);
  } catch (e) {
    console.error(`migration failed on ${describeDatabaseUrl(url)}: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}
