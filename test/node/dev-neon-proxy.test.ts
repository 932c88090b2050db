/**
 * dev/neon-ws-proxy.ts driven by the Neon serverless driver from Node, against this run's
 * throwaway database (made by test/global-setup.ts), in a table unique to this file.
 */
import { randomBytes } from "node:crypto";
import { Pool, neon, neonConfig } from "@neondatabase/serverless";
import ws from "ws";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startNeonProxy } from "../../dev/neon-ws-proxy";
import type { RunningServer } from "../../dev/upstash-bridge";

const TEST_DB_URL = inject("databaseUrl");
const table = `dev_proxy_${randomBytes(4).toString("hex")}`;

let proxy: RunningServer;
let pool: Pool;

beforeAll(async () => {
  proxy = await startNeonProxy();
  neonConfig.webSocketConstructor = ws;
  neonConfig.wsProxy = (host, port) => `${proxy.url}/v1?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
  neonConfig.fetchEndpoint = `http://${proxy.url}/sql`;
  pool = new Pool({ connectionString: TEST_DB_URL, max: 10, connectionTimeoutMillis: 5000 });
  await pool.query(`create table "${table}" (id serial primary key, label text not null)`);
});

afterAll(async () => {
  await pool?.query(`drop table if exists "${table}"`).catch(() => {});
  await pool?.end();
  await proxy?.close();
});

const count = async () => Number((await pool.query(`select count(*)::int as n from "${table}"`)).rows[0].n);

describe("Neon WebSocket proxy with @neondatabase/serverless", () => {
  it("runs a parameterised query", async () => {
    const { rows } = await pool.query("select $1::int + 1 as n, current_database() as db", [41]);
    expect(rows).toEqual([{ n: 42, db: new URL(TEST_DB_URL).pathname.slice(1) }]);
  });

  it("commits a transaction", async () => {
    const client = await pool.connect();
    try {
      await client.query("begin");
      await client.query(`insert into "${table}" (label) values ($1), ($2)`, ["a", "b"]);
      await client.query("commit");
    } finally {
      client.release();
    }
    const { rows } = await pool.query(`select label from "${table}" order by id`);
    expect(rows.map((r) => r.label)).toEqual(["a", "b"]);
  });

  it("rolls back a transaction, leaving nothing", async () => {
    const before = await count();
    const client = await pool.connect();
    try {
      await client.query("begin");
      await client.query(`insert into "${table}" (label) values ('rolled-back')`);
      expect(Number((await client.query(`select count(*)::int as n from "${table}"`)).rows[0].n)).toBe(before + 1);
      await client.query("rollback");
    } finally {
      client.release();
    }
    expect(await count()).toBe(before);
    expect((await pool.query(`select 1 from "${table}" where label = 'rolled-back'`)).rowCount).toBe(0);
  });

  it("keeps 20 concurrent queries apart: each gets its own parameter back", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `q${i}-${randomBytes(3).toString("hex")}`);
    const results = await Promise.all(
      ids.map((id, i) => pool.query("select $1::text as id, $2::int as i, pg_sleep(random() * 0.05)::text as s", [id, i])),
    );
    expect(results.map((r) => r.rows[0].id)).toEqual(ids);
    expect(results.map((r) => r.rows[0].i)).toEqual(ids.map((_, i) => i));
  });

  it("refuses a non-loopback target", async () => {
    const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      const sock = new ws(`ws://${proxy.url}/v1?address=10.255.255.1:5432`);
      sock.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
      sock.on("error", reject);
    });
    expect(closed).toEqual({ code: 1008, reason: "address not allowed" });

    const outside = new Pool({ connectionString: "postgres://postgres@10.255.255.1:5432/test", connectionTimeoutMillis: 3000 });
    outside.on("error", () => {});
    await expect(outside.query("select 1")).rejects.toThrow();
    await outside.end().catch(() => {});
  });

  it("answers plain HTTP with 426", async () => {
    const res = await fetch(`http://${proxy.url}/v1`);
    expect(res.status).toBe(426);
  });
});

describe("Neon HTTP protocol (POST /sql) with neon()", () => {
  const sql = () => neon(TEST_DB_URL);

  it("runs a parameterised query with the driver's own type parsing, on pooled connections", async () => {
    const before = ((await (await fetch(`http://${proxy.url}/__stats`)).json()) as { connections: number }).connections;
    const rows = await sql().query("select $1::int + 1 as n, $2::text as t, now() as at, null::text as nothing", [41, "é"]);
    expect(rows).toEqual([{ n: 42, t: "é", at: expect.any(Date), nothing: null }]);
    await sql().query("select 1");
    const stats = (await (await fetch(`http://${proxy.url}/__stats`)).json()) as { connections: number; httpQueries: number };
    expect(stats.connections).toBe(before); // no WebSocket connection
    expect(stats.httpQueries).toBeGreaterThanOrEqual(2);
  });

  it("writes, and runs a batch as one transaction (all or nothing)", async () => {
    const label = `http-${randomBytes(3).toString("hex")}`;
    const db = sql();
    await db.query(`insert into "${table}" (label) values ($1)`, [label]);
    await expect(db.transaction([
      db.query(`insert into "${table}" (label) values ($1)`, [`${label}-batch`]),
      db.query("select 1/0"),
    ])).rejects.toThrow(/division by zero/);
    const rows = await db.query(`select label from "${table}" where label like $1 order by id`, [`${label}%`]);
    expect(rows).toEqual([{ label }]);
  });

  it("answers a PostgreSQL error with 400 and its code, and refuses a non-loopback database", async () => {
    await expect(sql().query("select * from no_such_table_here")).rejects.toMatchObject({ code: "42P01" });
    await expect(neon("postgres://postgres@10.255.255.1:5432/test").query("select 1")).rejects.toThrow(/address not allowed/);
  });
});
