/**
 * The request's audit writer against the real PostgreSQL: rows wait until the response has
 * been handed back (off the first token's path), then land exactly once; a scope that never
 * responds (cron) still writes them when it settles.
 */
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents } from "../../db/schema";
import { testConfig, withDb } from "../../test/support/db";
import type { Env } from "../env";
import { createAuditWriter } from "./audit";
import { createLogger } from "./log";
import { RequestScope } from "./scope";

const rowsOf = (requestId: string) => withDb((db) => db.select().from(auditEvents).where(eq(auditEvents.requestId, requestId)));
const quietLog = () => createLogger({}, "error", () => {});

describe("audit writer", () => {
  it("writes nothing before the response is handed back, then the row exactly once, chained", async () => {
    const scope = new RequestScope(testConfig(), env as unknown as Env);
    const audit = createAuditWriter(scope, quietLog());
    const requestId = `audit-writer-${crypto.randomUUID()}`;
    audit({ type: "test.audit_writer", severity: "medium", requestId, details: { rule: "x" } });
    await new Promise((r) => setTimeout(r, 300));
    expect(await rowsOf(requestId)).toHaveLength(0);
    scope.markResponded();
    await scope.settle();
    const rows = await rowsOf(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: "test.audit_writer", severity: "medium", details: { rule: "x" } });
    expect(rows[0]!.chainSeq).toBeGreaterThan(0);
    expect(rows[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a scope that never responds (a cron run) writes its rows when it settles", async () => {
    const scope = new RequestScope(testConfig(), env as unknown as Env);
    const audit = createAuditWriter(scope, quietLog());
    const requestId = `audit-writer-${crypto.randomUUID()}`;
    audit({ type: "test.audit_writer", severity: "info", requestId });
    await scope.settle();
    expect(await rowsOf(requestId)).toHaveLength(1);
  });
});
