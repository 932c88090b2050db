/**
 * `npm run keys:rewrap`: re-wraps every user data key under the current KEK.
 * Needs DATABASE_URL and ENCRYPTION_KEYS (the full ring: new current key first, old keys after).
 */
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { keyRingSchema } from "../worker/env";
import { rewrapUserKeys } from "../worker/cron/rewrap";
import { describeDatabaseUrl } from "../db/migrate";

const url = process.env.DATABASE_URL;
const ringText = process.env.ENCRYPTION_KEYS;
if (!url || !ringText) {
  console.error(`missing: ${[!url && "DATABASE_URL", !ringText && "ENCRYPTION_KEYS"].filter(Boolean).join(", ")}`);
  process.exit(2);
}
const ring = keyRingSchema.safeParse(ringText);
if (!ring.success) {
  console.error("ENCRYPTION_KEYS is malformed (expected kid:base64key,... with 32-byte keys)");
  process.exit(2);
}
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  const report = await rewrapUserKeys(drizzle(client), ring.data);
  console.log(JSON.stringify({ database: describeDatabaseUrl(url), currentKey: ring.data[0]!.id, ...report }));
  process.exitCode = report.remaining === 0 ? 0 : 1;
} finally {
  await client.end();
}
