/**
 * Stages 9-10: the conversation stored encrypted, then usage and audit rows, all after
 * the answer (scope.defer) so the stream is never delayed. Rows are built (and encrypted)
 * first; if PostgreSQL refuses them they go to the durable outbox, idempotent by key.
 */
import { and, eq, sql, type SQL } from "drizzle-orm";
import { conversations, messages, reviews, usage } from "../../db/schema";
import { loadUserDataKey } from "../accounts/data-keys";
import { encryptField, encryptMessage, sha256Hex } from "../crypto";
import type { OutboxItem } from "../durable/outbox";
import type { Config } from "../env";
import type { Logger } from "../lib/log";
import type { RequestScope } from "../lib/scope";
import type { PreparedChat } from "./prepare";
import { moderationDetails } from "./moderation";

export type ChatStatus = "ok" | "output_blocked" | "provider_error" | "aborted" | "content_blocked";

export interface ChatOutcome {
  status: ChatStatus;
  answer: string;
  inputTokens: number;
  outputTokens: number;
  costEur: number;
  finishReason: string;
  timeToFirstTokenMs: number | null;
  blockedReason?: string;
  usageEstimated?: boolean;
}

export interface ConversationTarget {
  id: string;
  isNew: boolean;
}

async function buildItems(scope: RequestScope, config: Config, p: PreparedChat, conversation: ConversationTarget | null, o: ChatOutcome): Promise<OutboxItem[]> {
  const items: OutboxItem[] = [];
  const now = Date.now();
  if (conversation) {
    const dk = await (p.dataKey ?? loadUserDataKey(scope.db, config, p.user.id));
    if (conversation.isNew) {
      const title = await encryptField(dk.key, p.userText.replace(/\s+/g, " ").slice(0, 60), ["conversation-title", p.user.id, conversation.id]);
      items.push({ kind: "conversation", key: conversation.id, row: {
        id: conversation.id, userId: p.user.id, titleCiphertext: title.ciphertext, titleIv: title.iv, keyId: dk.id,
        createdAt: new Date(p.startedAt), updatedAt: new Date(now),
      } });
    }
    const turn: { role: "user" | "assistant"; content: string; at: number; withdrawn: boolean }[] = [
      { role: "user", content: p.userText, at: p.startedAt, withdrawn: false },
    ];
    if (o.answer) turn.push({ role: "assistant", content: o.answer, at: Math.max(now, p.startedAt + 1), withdrawn: o.status === "output_blocked" || o.status === "content_blocked" });
    for (const m of turn) {
      const id = crypto.randomUUID();
      const sealed = await encryptMessage(dk.key, m.content, { userId: p.user.id, conversationId: conversation.id, messageId: id, role: m.role });
      items.push({ kind: "message", key: id, row: {
        id, conversationId: conversation.id, userId: p.user.id, role: m.role, ciphertext: sealed.ciphertext, iv: sealed.iv,
        keyId: dk.id, requestId: p.requestId, withdrawn: m.withdrawn, createdAt: new Date(m.at),
      } });
    }
  }
  if (p.criticalDomain && o.answer) items.push(await buildReviewItem(p, o, conversation, items));
  items.push({ kind: "usage", key: p.requestId, row: {
    userId: p.user.id, model: p.model.id, provider: p.model.provider,
    inputTokens: o.inputTokens, outputTokens: o.outputTokens, costEur: o.costEur.toFixed(8),
    latencyMs: now - p.startedAt, timeToFirstTokenMs: o.timeToFirstTokenMs, status: o.status, requestId: p.requestId,
    details: {
      pii: p.piiCounts, injectionLevel: p.injection.level, finishReason: o.finishReason,
      ...(o.blockedReason ? { blocked: o.blockedReason } : {}), ...(o.usageEstimated ? { usageEstimated: true } : {}),
      ...moderationDetails(p.moderation),
    },
    createdAt: new Date(now),
  } });
  return items;
}

/** conversation null: usage only (OpenAI-compatible surface, failures before any answer). */
export async function recordChat(scope: RequestScope, config: Config, log: Logger, p: PreparedChat, conversation: ConversationTarget | null, o: ChatOutcome): Promise<void> {
  let items: OutboxItem[];
  try {
    items = await buildItems(scope, config, p, conversation, o);
  } catch (e) {
    // The data key could not be had (Redis copy gone and PostgreSQL down): the messages
    // cannot be encrypted, but the usage row (billing) must not be lost with them.
    log.error("messages not stored: no data key", { errorName: e instanceof Error ? e.name : "unknown" });
    items = await buildItems(scope, config, { ...p, criticalDomain: null }, null, o);
  }
  try {
    // One statement: over HTTP (one fetch), not through a WebSocket Pool opened for it.
    const db = scope.httpDb;
    await db.execute(chatRowsStatement(db, items, conversation && !conversation.isNew ? { id: conversation.id, userId: p.user.id } : null));
  } catch (e) {
    log.warn("chat rows sent to outbox", { errorName: e instanceof Error ? e.name : "unknown", rows: items.length });
    await scope.toOutbox(items);
  }
}

/**
 * Every row of one chat in ONE statement (one round trip, atomic like a transaction): one
 * data-modifying CTE per table. Foreign keys are checked at the end of the statement, so the
 * messages may reference the conversation inserted beside them.
 */
export function chatRowsStatement(db: RequestScope["db"] | RequestScope["httpDb"], items: OutboxItem[], touched: { id: string; userId: string } | null): SQL {
  const rows = (kind: OutboxItem["kind"]) => items.filter((i) => i.kind === kind).map((i) => i.row);
  const parts: SQL[] = [];
  const conversationRows = rows("conversation") as (typeof conversations.$inferInsert)[];
  if (conversationRows.length) parts.push(db.insert(conversations).values(conversationRows).onConflictDoNothing().getSQL());
  const messageRows = rows("message") as (typeof messages.$inferInsert)[];
  if (messageRows.length) parts.push(db.insert(messages).values(messageRows).onConflictDoNothing().getSQL());
  const usageRows = rows("usage") as (typeof usage.$inferInsert)[];
  if (usageRows.length) parts.push(db.insert(usage).values(usageRows).onConflictDoNothing().getSQL());
  const reviewRows = rows("review") as (typeof reviews.$inferInsert)[];
  if (reviewRows.length) parts.push(db.insert(reviews).values(reviewRows).onConflictDoNothing().getSQL());
  if (touched) {
    parts.push(db.update(conversations).set({ updatedAt: new Date() }).where(and(eq(conversations.id, touched.id), eq(conversations.userId, touched.userId))).getSQL());
  }
  if (parts.length === 0) return sql`select 1`;
  return sql`with ${sql.join(parts.map((part, i) => sql`${sql.raw(`w${i}`)} as (${part})`), sql`, `)} select 1`;
}

/**
 * EU AI Act decision trace for an answer in a critical domain: model and version, the
 * guards that fired, hashes of input and output, and the exchange itself encrypted with
 * the user's data key; queued for human review.
 */
async function buildReviewItem(p: PreparedChat, o: ChatOutcome, conversation: ConversationTarget | null, items: OutboxItem[]): Promise<OutboxItem> {
  const dk = p.dataKey ? await p.dataKey : null;
  const assistant = items.find((i) => i.kind === "message" && i.row.role === "assistant");
  const id = crypto.randomUUID();
  const sealed = dk ? await encryptField(dk.key, JSON.stringify({ question: p.userText, answer: o.answer }), ["review", p.user.id, id]) : null;
  return { kind: "review", key: p.requestId, row: {
    id, userId: p.user.id, conversationId: conversation?.id ?? null, messageId: assistant?.kind === "message" ? assistant.row.id ?? null : null,
    requestId: p.requestId, domain: p.criticalDomain!, model: p.model.id, modelVersion: `${p.model.provider}/${p.model.upstream}`,
    guards: {
      injection: { level: p.injection.level, rules: p.injection.rules },
      pii: p.piiCounts,
      output: o.status === "ok" ? "passed" : o.status,
      ...(o.blockedReason ? { blockedReason: o.blockedReason } : {}),
    },
    inputHash: await sha256Hex(p.userText), outputHash: await sha256Hex(o.answer),
    contentCiphertext: sealed?.ciphertext ?? null, contentIv: sealed?.iv ?? null, keyId: dk?.id ?? null,
    status: "pending", createdAt: new Date(),
  } };
}
