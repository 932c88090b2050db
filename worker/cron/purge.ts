/** Daily: expired data exports are deleted (exports live 24 hours). */
import type { Db } from "../lib/db";

export async function purgeExpiredExports(_db: Db, _now: Date): Promise<{ purged: number }> {
  // Exports are produced synchronously today and never stored; nothing to purge yet.
  return { purged: 0 };
}
