/**
 * `npm run audit:verify`: verifies the audit hash chains of DATABASE_URL, a page at a time.
 * Prints the report as JSON; exit code 0 when every chain is intact, 1 when a problem was
 * found (modified, inserted, deleted rows or rows outside any chain), 2 when it could not run.
 * Options: `--chain <id>[,<id>...]` (repeatable) checks only those chains.
 */
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { describeDatabaseUrl } from "../db/migrate";
import { verifyAuditChains } from "../worker/audit/chain";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("missing: DATABASE_URL");
  process.exit(2);
}
const chainIds: number[] = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const value = a === "--chain" ? args[++i] : a.startsWith("--chain=") ? a.slice("--chain=".length) : undefined;
  if (value === undefined || !/^\d{1,9}(,\d{1,9})*$/.test(value)) {
    console.error(`usage: audit-verify [--chain <id>[,<id>...]]... (got ${JSON.stringify(a)})`);
    process.exit(2);
  }
  chainIds.push(...value.split(",").map(Number));
}

const client = new pg.Client({ connectionString: url });
try {
  await client.connect();
  const report = await verifyAuditChains(drizzle(client), chainIds.length ? { chainIds } : {});
  console.log(JSON.stringify({ database: describeDatabaseUrl(url), ...report }, null, 2));
  process.exitCode = report.ok ? 0 : 1;
} catch (e) {
  console.error(`audit verification could not run on ${describeDatabaseUrl(url)}: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 2;
} finally {
  await client.end().catch(() => {});
}
