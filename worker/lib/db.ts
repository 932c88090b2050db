/**
 * PostgreSQL through the Neon serverless driver (WebSocket Pool). A Pool cannot outlive
 * its request in Workers, so each request gets its own, ended once the request's
 * background work has settled.
 *
 * One-statement writes (the chat's rows) go over Neon's HTTP endpoint instead (`openHttpDb`):
 * one fetch, no WebSocket, no PostgreSQL startup per request; no interactive transactions.
 */
import { Pool, neon, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import { drizzle as drizzleHttp, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import * as schema from "../../db/schema";
import type { Config } from "../env";

export type Db = NeonDatabase<typeof schema>;
export type HttpDb = NeonHttpDatabase<typeof schema>;

// The proxy is a driver-wide setting (per-client settings did not take in this driver
// version); every local run uses one proxy, so this is set once per isolate.
let configuredProxy: string | undefined | null = null;

function configureDriver(config: Config) {
  if (configuredProxy === (config.NEON_LOCAL_PROXY ?? undefined)) return;
  configuredProxy = config.NEON_LOCAL_PROXY ?? undefined;
  if (config.NEON_LOCAL_PROXY) {
    // Local PostgreSQL behind dev/neon-ws-proxy: plain ws, no TLS inside.
    const proxy = config.NEON_LOCAL_PROXY;
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
    // Its POST /sql speaks Neon's HTTP protocol (dev/neon-ws-proxy.ts).
    neonConfig.fetchEndpoint = `http://${proxy.replace(/^[a-z]+:\/\//, "")}/sql`;
  }
}

const httpDbs = new WeakMap<Config, HttpDb>();

/** Stateless (one fetch per statement), so one per isolate and config. */
export function openHttpDb(config: Config): HttpDb {
  configureDriver(config);
  let db = httpDbs.get(config);
  if (!db) {
    db = drizzleHttp(neon(config.DATABASE_URL), { schema });
    httpDbs.set(config, db);
  }
  return db;
}

export interface DbHandle {
  db: Db;
  pool: Pool;
  end(): Promise<void>;
}

export function openDb(config: Config): DbHandle {
  configureDriver(config);
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 4, connectionTimeoutMillis: 5000 });
  pool.on("error", () => {}); // surfaced through the failing query instead
  let ended: Promise<void> | undefined;
  return {
    db: drizzle(pool, { schema }),
    pool,
    end: () => (ended ??= pool.end().catch(() => {})),
  };
}
