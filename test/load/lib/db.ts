/** Direct PostgreSQL checks of a run's database (not through the Worker nor the run's proxy). */
import pg from "pg";

export interface RowCheck {
  /** request id -> rows found */
  counts: Map<string, number>;
  /** request id -> status of its (first) usage row */
  statuses: Map<string, string>;
  total: number;
}

export class RunDb {
  private pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 10_000 });
    this.pool.on("error", () => {});
  }

  /** Usage rows per request id, for the given ids. */
  async usage(requestIds: string[]): Promise<RowCheck & { latency: Map<string, number>; finish: Map<string, string> }> {
    const counts = new Map<string, number>();
    const statuses = new Map<string, string>();
    const latency = new Map<string, number>();
    const finish = new Map<string, string>();
    let total = 0;
    for (let i = 0; i < requestIds.length; i += 5000) {
      const { rows } = await this.pool.query<{ request_id: string; status: string; latency_ms: number | null; finish: string | null }>(
        "select request_id, status, latency_ms, details->>'finishReason' as finish from usage where request_id = any($1::text[])",
        [requestIds.slice(i, i + 5000)],
      );
      for (const r of rows) {
        counts.set(r.request_id, (counts.get(r.request_id) ?? 0) + 1);
        if (!statuses.has(r.request_id)) statuses.set(r.request_id, r.status);
        if (r.latency_ms !== null) latency.set(r.request_id, r.latency_ms);
        if (r.finish !== null) finish.set(r.request_id, r.finish);
        total++;
      }
    }
    return { counts, statuses, latency, finish, total };
  }

  /** Audit rows per request id (optionally of one type). */
  async audit(requestIds: string[], type?: string): Promise<RowCheck> {
    const counts = new Map<string, number>();
    const statuses = new Map<string, string>();
    let total = 0;
    const { rows } = await this.pool.query<{ request_id: string; type: string }>(
      `select request_id, type from audit_events where request_id = any($1::text[])${type ? " and type = $2" : ""}`,
      type ? [requestIds, type] : [requestIds],
    );
    for (const r of rows) {
      counts.set(r.request_id, (counts.get(r.request_id) ?? 0) + 1);
      statuses.set(r.request_id, r.type);
      total++;
    }
    return { counts, statuses, total };
  }

  /** Message rows per request id. */
  async messages(requestIds: string[]): Promise<RowCheck> {
    const counts = new Map<string, number>();
    let total = 0;
    const { rows } = await this.pool.query<{ request_id: string; n: number }>(
      "select request_id, count(*)::int as n from messages where request_id = any($1::text[]) group by request_id",
      [requestIds],
    );
    for (const r of rows) {
      counts.set(r.request_id, r.n);
      total += r.n;
    }
    return { counts, statuses: new Map(), total };
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(sql, params);
    return Number(rows[0]?.n ?? 0);
  }

  async end(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

/** Connections PostgreSQL has open right now, in total and to one database. */
export async function pgConnections(adminUrl: string, dbName: string): Promise<{ total: number; db: number; max: number }> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const { rows } = await c.query<{ total: number; db: number; max: number }>(
      "select count(*)::int as total, count(*) filter (where datname = $1)::int as db, current_setting('max_connections')::int as max from pg_stat_activity where backend_type = 'client backend'",
      [dbName],
    );
    return rows[0]!;
  } finally {
    await c.end();
  }
}

/** Polls until `check` returns true or `timeoutMs` passes; `tick` runs before each check (e.g. trigger the cron). */
export async function waitUntil(check: () => Promise<boolean>, opts: { timeoutMs: number; intervalMs?: number; tick?: () => Promise<unknown> }): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.tick) await opts.tick().catch(() => undefined);
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 2000));
  }
}

/**
 * Waits (bounded) until the shared PostgreSQL has `needed` free connections, so a burst of
 * this run does not meet a server that other users have filled; returns what it saw last.
 */
export async function waitForPgHeadroom(adminUrl: string, dbName: string, needed: number, timeoutMs: number): Promise<{ total: number; max: number; ok: boolean; waitedMs: number }> {
  const start = Date.now();
  let last = { total: 0, db: 0, max: 0 };
  for (;;) {
    last = await pgConnections(adminUrl, dbName).catch(() => last);
    const ok = last.max > 0 && last.max - last.total >= needed;
    if (ok || Date.now() - start > timeoutMs) return { total: last.total, max: last.max, ok, waitedMs: Date.now() - start };
    await new Promise((r) => setTimeout(r, 1000));
  }
}
