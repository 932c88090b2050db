/**
 * Durable outbox: rows that could not reach PostgreSQL (usage, audit, conversations,
 * messages) wait here, in the Durable Object's storage, and are written when the database
 * answers again (alarm with backoff, and the hourly cron). Each row carries its idempotency
 * key (request id, event key, row id), so a row flushed twice is written once.
 */
import { DurableObject } from "cloudflare:workers";
import { auditEvents, conversations, messages, reviews, usage } from "../../db/schema";
import { appendAuditEvents } from "../audit/chain";
import { loadConfig } from "../env";
import { openDb, type Db } from "../lib/db";

export type OutboxItem =
  | { kind: "conversation"; key: string; row: typeof conversations.$inferInsert }
  | { kind: "message"; key: string; row: typeof messages.$inferInsert }
  | { kind: "usage"; key: string; row: typeof usage.$inferInsert }
  | { kind: "audit"; key: string; row: typeof auditEvents.$inferInsert }
  | { kind: "review"; key: string; row: typeof reviews.$inferInsert };

/** Parents before children, so foreign keys hold. */
const ORDER: OutboxItem["kind"][] = ["conversation", "message", "usage", "audit", "review"];
const BATCH = 200;
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 60_000;

export async function writeItems(db: Db, items: OutboxItem[]): Promise<void> {
  for (const kind of ORDER) {
    const rows = items.filter((i) => i.kind === kind).map((i) => i.row);
    if (rows.length === 0) continue;
    switch (kind) {
      case "conversation":
        await db.insert(conversations).values(rows as (typeof conversations.$inferInsert)[]).onConflictDoNothing();
        break;
      case "message":
        await db.insert(messages).values(rows as (typeof messages.$inferInsert)[]).onConflictDoNothing();
        break;
      case "usage":
        await db.insert(usage).values(rows as (typeof usage.$inferInsert)[]).onConflictDoNothing();
        break;
      case "review":
        await db.insert(reviews).values(rows as (typeof reviews.$inferInsert)[]).onConflictDoNothing();
        break;
      case "audit":
        // Hash-chained, idempotent by event key: a re-flush neither duplicates nor forks a chain.
        await appendAuditEvents(db, rows as (typeof auditEvents.$inferInsert)[]);
        break;
    }
  }
}

export class Outbox extends DurableObject {
  async ping(): Promise<"pong"> {
    return "pong";
  }

  async enqueue(items: OutboxItem[]): Promise<number> {
    const entries: Record<string, OutboxItem> = {};
    // The key sorts by time then kind order, so a flush writes older rows first.
    for (const item of items) entries[`item:${Date.now().toString().padStart(15, "0")}:${ORDER.indexOf(item.kind)}:${item.kind}:${item.key}`] = item;
    await this.ctx.storage.put(entries);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + FIRST_RETRY_MS);
    return this.size();
  }

  async size(): Promise<number> {
    return (await this.ctx.storage.list({ prefix: "item:" })).size;
  }

  /** Writes everything it can; returns what was written and what remains. */
  async flush(): Promise<{ written: number; remaining: number; error?: string }> {
    let written = 0;
    const config = loadConfig(this.env as object);
    const handle = openDb(config);
    try {
      for (;;) {
        const batch = await this.ctx.storage.list<OutboxItem>({ prefix: "item:", limit: BATCH });
        if (batch.size === 0) break;
        await writeItems(handle.db, [...batch.values()]);
        await this.ctx.storage.delete([...batch.keys()]);
        written += batch.size;
      }
      await this.ctx.storage.delete("retryMs");
      return { written, remaining: 0 };
    } catch (e) {
      return { written, remaining: await this.size(), error: e instanceof Error ? e.name : "error" };
    } finally {
      await handle.end();
    }
  }

  override async alarm(): Promise<void> {
    const result = await this.flush();
    if (result.remaining > 0) {
      const retry = Math.min(((await this.ctx.storage.get<number>("retryMs")) ?? FIRST_RETRY_MS) * 2, MAX_RETRY_MS);
      await this.ctx.storage.put("retryMs", retry);
      await this.ctx.storage.setAlarm(Date.now() + retry);
    }
  }
}

export function outboxStub(ns: DurableObjectNamespace): DurableObjectStub<Outbox> {
  return ns.get(ns.idFromName("global")) as DurableObjectStub<Outbox>;
}
