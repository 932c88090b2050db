/**
 * Per-request resources and background work. The database pool is opened on first use
 * and ended only after every task handed to `defer` has settled (streams included).
 */
import type { Config, Env } from "../env";
import { outboxStub, type OutboxItem } from "../durable/outbox";
import { openDb, openHttpDb, type Db, type DbHandle, type HttpDb } from "./db";

export class RequestScope {
  private handle?: DbHandle;
  private readonly pending = new Set<Promise<unknown>>();
  private settleHooks: (() => void)[] = [];

  private respondedNow?: () => void;
  /**
   * Resolves once the response has been handed back (for a stream: with its first event), or
   * at the latest when `settle` starts: background writes that can wait use it to stay off the
   * path to the first byte.
   */
  readonly responded: Promise<void> = new Promise((resolve) => (this.respondedNow = resolve));

  constructor(private readonly config: Config, private readonly env?: Env) {}

  markResponded(): void {
    this.respondedNow?.();
  }

  private lazyDb?: Db;

  /**
   * The request's database. Taking it costs nothing: the pool is opened on the first use of
   * the returned object (a query, a transaction), so a request answered from the Redis caches
   * never builds one.
   */
  get db(): Db {
    if (this.handle) return this.handle.db;
    return (this.lazyDb ??= new Proxy({} as Db, {
      get: (_, prop) => {
        const real = this.openedDb();
        const value = Reflect.get(real, prop, real);
        return typeof value === "function" ? value.bind(real) : value;
      },
      has: (_, prop) => Reflect.has(this.openedDb(), prop),
      getPrototypeOf: () => Reflect.getPrototypeOf(this.openedDb()),
    }));
  }

  private openedDb(): Db {
    this.handle ??= openDb(this.config);
    return this.handle.db;
  }

  /** Neon's HTTP endpoint: for single statements written in the background (no Pool, no startup). */
  get httpDb(): HttpDb {
    return openHttpDb(this.config);
  }

  get pool(): DbHandle["pool"] {
    this.handle ??= openDb(this.config);
    return this.handle.pool;
  }

  /** Rows PostgreSQL could not take now: kept durably and written later, exactly once. */
  async toOutbox(items: OutboxItem[]): Promise<void> {
    if (!this.env?.OUTBOX) throw new Error("no outbox binding");
    await outboxStub(this.env.OUTBOX).enqueue(items);
  }

  /** Runs work after the response without losing it; errors are the task's own business. */
  defer(task: Promise<unknown>): void {
    const tracked = task.catch(() => {}).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /**
   * Runs `hook` once the deferred work has settled, before the scope closes (it may defer
   * more): work gathered over the whole request is sent once (the metrics batch).
   */
  atSettle(hook: () => void): void {
    this.settleHooks.push(hook);
  }

  /** Resolves once all deferred work (including work deferred meanwhile) is done, then closes. */
  async settle(): Promise<void> {
    this.markResponded(); // work waiting for the response must not wait forever
    for (;;) {
      while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
      const hooks = this.settleHooks;
      if (hooks.length === 0) break;
      this.settleHooks = [];
      for (const hook of hooks) {
        try {
          hook();
        } catch {
          // a hook's failure is its own business, as for deferred tasks
        }
      }
    }
    await this.handle?.end();
  }
}
