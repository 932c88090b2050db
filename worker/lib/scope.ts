/**
 * Per-request resources and background work. The database pool is opened on first use
 * and ended only after every task handed to `defer` has settled (streams included).
 */
import type { Config } from "../env";
import { openDb, type Db, type DbHandle } from "./db";

export class RequestScope {
  private handle?: DbHandle;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly config: Config) {}

  get db(): Db {
    this.handle ??= openDb(this.config);
    return this.handle.db;
  }

  get pool(): DbHandle["pool"] {
    this.handle ??= openDb(this.config);
    return this.handle.pool;
  }

  /** Runs work after the response without losing it; errors are the task's own business. */
  defer(task: Promise<unknown>): void {
    const tracked = task.catch(() => {}).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Resolves once all deferred work (including work deferred meanwhile) is done, then closes. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.handle?.end();
  }
}
