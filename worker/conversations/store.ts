/**
 * Encrypted conversation storage. Every message and title is AES-256-GCM under the
 * user's data key, with AAD binding it to user, conversation, message id and role.
 * A conversation of another user is indistinguishable from a missing one.
 */
import { and, desc, eq, lt, or, asc } from "drizzle-orm";
import { conversations, messages } from "../../db/schema";
import { decryptField, decryptMessage, encryptField, encryptMessage } from "../crypto";
import { AppError } from "../errors";
import type { Db } from "../lib/db";
import { isUuid } from "../lib/json";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import type { DataKey } from "../accounts/data-keys";

export interface StoredMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  createdAt: string;
  withdrawn: boolean;
  flagged: boolean;
}

const titleAad = (userId: string, conversationId: string) => ["conversation-title", userId, conversationId];

const notFound = () => new AppError("not_found", "Conversation not found.");

/** The conversation if it exists AND belongs to the user; otherwise 404. */
export async function ownConversation(db: Db, userId: string, conversationId: string) {
  if (!isUuid(conversationId)) throw notFound();
  const [row] = await db.select().from(conversations)
    .where(and(eq(conversations.id, conversationId), eq(conversations.userId, userId))).limit(1);
  if (!row) throw notFound();
  return row;
}

export async function createConversation(db: Db, dk: DataKey, userId: string, title: string | null): Promise<string> {
  const id = crypto.randomUUID();
  const enc = title ? await encryptField(dk.key, title, titleAad(userId, id)) : null;
  await db.insert(conversations).values({ id, userId, titleCiphertext: enc?.ciphertext ?? null, titleIv: enc?.iv ?? null, keyId: enc ? dk.id : null });
  return id;
}

export async function appendMessage(
  db: Db, dk: DataKey,
  m: { userId: string; conversationId: string; role: "user" | "assistant"; content: string; requestId?: string; withdrawn?: boolean; id?: string },
): Promise<string> {
  const id = m.id ?? crypto.randomUUID();
  const { ciphertext, iv } = await encryptMessage(dk.key, m.content, { userId: m.userId, conversationId: m.conversationId, messageId: id, role: m.role });
  await db.insert(messages).values({
    id, conversationId: m.conversationId, userId: m.userId, role: m.role, ciphertext, iv, keyId: dk.id,
    requestId: m.requestId ?? null, withdrawn: m.withdrawn ?? false,
  });
  await db.update(conversations).set({ updatedAt: new Date() }).where(eq(conversations.id, m.conversationId));
  return id;
}

async function decryptTitle(dk: DataKey, row: typeof conversations.$inferSelect): Promise<string | null> {
  if (!row.titleCiphertext || !row.titleIv) return null;
  return decryptField(dk.key, { ciphertext: row.titleCiphertext, iv: row.titleIv }, titleAad(row.userId, row.id));
}

export interface ConversationSummary {
  id: string;
  title: string | null;
  createdAt: string;
  updatedAt: string;
}

export async function listConversations(db: Db, dk: DataKey, userId: string, opts: { limit: number; cursor?: string }) {
  const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
  const where = after
    ? and(eq(conversations.userId, userId), or(lt(conversations.updatedAt, after.at), and(eq(conversations.updatedAt, after.at), lt(conversations.id, after.id))))
    : eq(conversations.userId, userId);
  const rows = await db.select().from(conversations).where(where)
    .orderBy(desc(conversations.updatedAt), desc(conversations.id)).limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  const items: ConversationSummary[] = await Promise.all(page.map(async (r) => ({
    id: r.id, title: await decryptTitle(dk, r), createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  })));
  const last = page[page.length - 1];
  return { conversations: items, nextCursor: rows.length > opts.limit && last ? encodeCursor(last.updatedAt, last.id) : null };
}

export async function readConversation(db: Db, dk: DataKey, userId: string, conversationId: string) {
  const conv = await ownConversation(db, userId, conversationId);
  const rows = await db.select().from(messages).where(and(eq(messages.conversationId, conv.id), eq(messages.userId, userId)))
    .orderBy(asc(messages.createdAt), asc(messages.id));
  const list: StoredMessage[] = await Promise.all(rows.map(async (r) => ({
    id: r.id,
    role: r.role,
    content: await decryptMessage(dk.key, { ciphertext: r.ciphertext, iv: r.iv }, { userId, conversationId: conv.id, messageId: r.id, role: r.role }),
    createdAt: r.createdAt.toISOString(),
    withdrawn: r.withdrawn,
    flagged: r.flagged,
  })));
  return { id: conv.id, title: await decryptTitle(dk, conv), createdAt: conv.createdAt.toISOString(), updatedAt: conv.updatedAt.toISOString(), messages: list };
}

export async function renameConversation(db: Db, dk: DataKey, userId: string, conversationId: string, title: string) {
  const conv = await ownConversation(db, userId, conversationId);
  const enc = await encryptField(dk.key, title, titleAad(userId, conv.id));
  await db.update(conversations).set({ titleCiphertext: enc.ciphertext, titleIv: enc.iv, keyId: dk.id, updatedAt: new Date() })
    .where(and(eq(conversations.id, conv.id), eq(conversations.userId, userId)));
}

export async function deleteConversation(db: Db, userId: string, conversationId: string) {
  const conv = await ownConversation(db, userId, conversationId);
  await db.delete(conversations).where(and(eq(conversations.id, conv.id), eq(conversations.userId, userId)));
}
