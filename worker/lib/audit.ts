/**
 * Audit events: type, severity, rule ids, counts and hashes, never user text.
 * Written after the response (scope.defer) so guards never wait on PostgreSQL; when
 * PostgreSQL is down they go to the durable outbox (idempotent by event key). Every row is
 * appended to a hash chain (../audit/chain.ts), by this writer and by the outbox alike.
 * This writer appends over Neon's HTTP endpoint without the chain lock (appendAuditEventUnlocked);
 * only when it keeps losing races to other writers does it open a connection and take the lock.
 */
import { appendAuditEventUnlocked, appendAuditEvents } from "../audit/chain";
import type { Logger } from "./log";
import type { RequestScope } from "./scope";

export type Severity = "info" | "low" | "medium" | "high" | "critical";

export interface AuditEvent {
  type: string;
  severity: Severity;
  userId?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditWriter {
  (event: AuditEvent): void;
}

/** Critical security events alert operations (deduplicated by kind and event type). */
export type CriticalEventSink = (event: AuditEvent) => Promise<unknown>;

export function createAuditWriter(scope: RequestScope, log: Logger, onCritical?: CriticalEventSink): AuditWriter {
  let n = 0;
  return (event) => {
    const row = {
      userId: event.userId ?? null,
      type: event.type,
      severity: event.severity,
      requestId: event.requestId ?? null,
      details: event.details ?? {},
      eventKey: `${event.requestId ?? crypto.randomUUID()}:${event.type}:${n++}`,
      createdAt: new Date(),
    };
    log.info("audit", { audit: event.type, severity: event.severity });
    if (event.severity === "critical" && onCritical) {
      scope.defer(onCritical(event).catch(() => log.error("critical event alert failed", { audit: event.type })));
    }
    scope.defer((async () => {
      await scope.responded; // written after the response is handed back, off the first token's path
      try {
        // Over HTTP first (no connection per request); the locked path only after lost races.
        if (!(await appendAuditEventUnlocked(scope.httpDb, row))) await appendAuditEvents(scope.db, [row]);
      } catch {
        log.warn("audit row sent to outbox", { audit: event.type });
        await scope.toOutbox([{ kind: "audit", key: row.eventKey, row }]);
      }
    })().catch((e) => log.error("audit row lost", { audit: event.type, errorName: e instanceof Error ? e.name : "unknown" })));
  };
}
