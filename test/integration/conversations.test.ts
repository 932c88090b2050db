import { describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { call, json, signUp } from "../support/api";
import { testConfig, withDb } from "../support/db";
import { conversations, messages, userKeys } from "../../db/schema";
import { forgetCachedDataKey, loadUserDataKey } from "../../worker/accounts/data-keys";
import { appendMessage, createConversation, readConversation } from "../../worker/conversations/store";
import { rewrapUserKeys } from "../../worker/cron/rewrap";
import { DecryptError, UnknownKeyError, rewrapDataKey } from "../../worker/crypto";

async function seedConversation(userId: string, texts: string[], title = "Mon titre") {
  return withDb(async (db) => {
    const dk = await loadUserDataKey(db, testConfig(), userId);
    const id = await createConversation(db, dk, userId, title);
    for (const [i, t] of texts.entries()) await appendMessage(db, dk, { userId, conversationId: id, role: i % 2 ? "assistant" : "user", content: t });
    return id;
  });
}

describe("conversation routes", () => {
  it("lists own conversations newest first, paginated by cursor", async () => {
    const u = await signUp();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await seedConversation(u.id, [`message ${i}`], `Titre ${i}`));
    const page1 = await json(await call("/api/conversations?limit=2", { token: u.accessToken }));
    expect(page1.conversations.map((c: { id: string }) => c.id)).toEqual([ids[4], ids[3]]);
    expect(page1.conversations[0].title).toBe("Titre 4");
    const page2 = await json(await call(`/api/conversations?limit=2&cursor=${page1.nextCursor}`, { token: u.accessToken }));
    expect(page2.conversations.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const page3 = await json(await call(`/api/conversations?limit=2&cursor=${page2.nextCursor}`, { token: u.accessToken }));
    expect(page3.conversations.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    expect(page3.nextCursor).toBeNull();
  });

  it("reads, renames and deletes a conversation", async () => {
    const u = await signUp();
    const id = await seedConversation(u.id, ["Bonjour, é à ü 🚀", "Réponse"]);
    const read = await json(await call(`/api/conversations/${id}`, { token: u.accessToken }));
    expect(read.messages.map((m: { content: string; role: string }) => [m.role, m.content])).toEqual([["user", "Bonjour, é à ü 🚀"], ["assistant", "Réponse"]]);
    const renamed = await call(`/api/conversations/${id}`, { method: "PATCH", token: u.accessToken, body: { title: "Nouveau titre" } });
    expect(renamed.status).toBe(200);
    expect((await json(await call(`/api/conversations/${id}`, { token: u.accessToken }))).title).toBe("Nouveau titre");
    expect((await call(`/api/conversations/${id}`, { method: "DELETE", token: u.accessToken })).status).toBe(204);
    expect((await call(`/api/conversations/${id}`, { token: u.accessToken })).status).toBe(404);
  });

  it("answers another user's conversation exactly like a missing one, on every route", async () => {
    const owner = await signUp();
    const other = await signUp();
    const id = await seedConversation(owner.id, ["secret de owner"]);
    const missing = crypto.randomUUID();
    for (const [method, body] of [["GET", undefined], ["PATCH", { title: "x" }], ["DELETE", undefined]] as const) {
      const a = await call(`/api/conversations/${id}`, { method, token: other.accessToken, body });
      const b = await call(`/api/conversations/${missing}`, { method, token: other.accessToken, body });
      expect(a.status, method).toBe(404);
      expect(b.status, method).toBe(404);
      const ea = (await json(a)).error;
      const eb = (await json(b)).error;
      expect({ ...ea, requestId: "" }).toEqual({ ...eb, requestId: "" });
    }
    const chat = await call("/api/chat", { token: other.accessToken, body: { message: "salut", conversationId: id } });
    expect(chat.status).toBe(404);
    const list = await json(await call("/api/conversations", { token: other.accessToken }));
    expect(list.conversations).toEqual([]);
    // Still intact for its owner.
    expect((await call(`/api/conversations/${id}`, { token: owner.accessToken })).status).toBe(200);
  });

  it("refuses without a token, with a bad id, bad title, bad cursor", async () => {
    const u = await signUp();
    expect((await call("/api/conversations")).status).toBe(401);
    expect((await call("/api/conversations/not-a-uuid", { token: u.accessToken })).status).toBe(404);
    const id = await seedConversation(u.id, ["x"]);
    expect((await call(`/api/conversations/${id}`, { method: "PATCH", token: u.accessToken, body: { title: "" } })).status).toBe(400);
    expect((await call(`/api/conversations/${id}`, { method: "PATCH", token: u.accessToken, body: { title: "ok", extra: 1 } })).status).toBe(400);
    expect((await call(`/api/conversations/${id}`, { method: "PATCH", token: u.accessToken, body: { title: "x".repeat(201) } })).status).toBe(400);
    expect((await call("/api/conversations?cursor=%%%", { token: u.accessToken })).status).toBe(400);
    expect((await call("/api/conversations?limit=1000", { token: u.accessToken })).status).toBe(400);
  });
});

describe("encryption at rest", () => {
  it("stores no plaintext and each message with its own IV and key id", async () => {
    const u = await signUp();
    const marker = `MARKER-${crypto.randomUUID()}`;
    const id = await seedConversation(u.id, [`texte ${marker}`, `réponse ${marker}`], `titre ${marker}`);
    const rows = await withDb((db) => db.select().from(messages).where(eq(messages.conversationId, id)));
    expect(rows).toHaveLength(2);
    expect(new TextDecoder().decode(rows[0]!.ciphertext)).not.toContain(marker);
    expect(rows[0]!.iv.length).toBe(12);
    expect(Buffer.from(rows[0]!.iv).equals(Buffer.from(rows[1]!.iv))).toBe(false);
    const [key] = await withDb((db) => db.select().from(userKeys).where(eq(userKeys.userId, u.id)));
    expect(rows[0]!.keyId).toBe(key!.dataKeyId);
    expect(key!.kekId).toBe(testConfig().ENCRYPTION_KEYS[0]!.id);
    // Scan every table's text representation for the marker.
    const hits = await withDb(async (db) => {
      const tables = await db.execute(sql`select table_name from information_schema.tables where table_schema = 'public'`);
      let found = 0;
      for (const t of tables.rows as { table_name: string }[]) {
        const r = await db.execute(sql.raw(`select count(*)::int as n from "${t.table_name}" x where x::text like '%${marker}%'`));
        found += (r.rows[0] as { n: number }).n;
      }
      return found;
    });
    expect(hits).toBe(0);
  });

  it("a tampered ciphertext fails to decrypt", async () => {
    const u = await signUp();
    const id = await seedConversation(u.id, ["à protéger"]);
    await withDb(async (db) => {
      const [row] = await db.select().from(messages).where(eq(messages.conversationId, id));
      const tampered = Uint8Array.from(row!.ciphertext);
      tampered[0]! ^= 1;
      await db.update(messages).set({ ciphertext: tampered }).where(eq(messages.id, row!.id));
      const dk = await loadUserDataKey(db, testConfig(), u.id);
      await expect(readConversation(db, dk, u.id, id)).rejects.toBeInstanceOf(DecryptError);
    });
    const res = await call(`/api/conversations/${id}`, { token: u.accessToken });
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).not.toMatch(/DecryptError|at \w+ \(/);
  });

  it("a ciphertext swapped into another row, or another user's conversation, fails", async () => {
    const a = await signUp();
    const b = await signUp();
    const convA = await seedConversation(a.id, ["premier", "second"]);
    const convB = await seedConversation(b.id, ["chez b"]);
    await withDb(async (db) => {
      const rowsA = await db.select().from(messages).where(eq(messages.conversationId, convA));
      const [first, second] = rowsA.sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime());
      // Row swap within the user's own conversation (same key, other message id/role).
      await db.update(messages).set({ ciphertext: first!.ciphertext, iv: first!.iv }).where(eq(messages.id, second!.id));
      await expect(readConversation(db, await loadUserDataKey(db, testConfig(), a.id), a.id, convA)).rejects.toBeInstanceOf(DecryptError);
      // Copy a's message into b's conversation.
      const [rowB] = await db.select().from(messages).where(eq(messages.conversationId, convB));
      await db.update(messages).set({ ciphertext: first!.ciphertext, iv: first!.iv }).where(eq(messages.id, rowB!.id));
      await expect(readConversation(db, await loadUserDataKey(db, testConfig(), b.id), b.id, convB)).rejects.toBeInstanceOf(DecryptError);
      // Move a's wrapped data key to b: it does not unwrap for b.
      const [ka] = await db.select().from(userKeys).where(eq(userKeys.userId, a.id));
      await db.update(userKeys).set({ wrappedKey: ka!.wrappedKey, wrapIv: ka!.wrapIv, kekId: ka!.kekId }).where(eq(userKeys.userId, b.id));
      await forgetCachedDataKey(testConfig(), b.id);
      await expect(loadUserDataKey(db, testConfig(), b.id)).rejects.toBeInstanceOf(DecryptError);
    });
  });

  it("key rotation: a new current key keeps old data readable; re-wrap moves every key; the old key can then go", async () => {
    const base = testConfig(); // ring [k2 (current), k1]
    const [k2, k1] = base.ENCRYPTION_KEYS;
    const oldRing = { ...base, ENCRYPTION_KEYS: [k1!, k2!] };
    const onlyNew = { ...base, ENCRYPTION_KEYS: [k2!] };
    const u = await signUp();
    const id = await seedConversation(u.id, ["avant rotation"]);
    await withDb(async (db) => {
      // Make this user's key look like it was written before the rotation (under k1).
      const [row] = await db.select().from(userKeys).where(eq(userKeys.userId, u.id));
      const old = await rewrapDataKey(oldRing.ENCRYPTION_KEYS, row!, u.id);
      await db.update(userKeys).set({ wrappedKey: old!.wrappedKey, wrapIv: old!.wrapIv, kekId: old!.kekId }).where(eq(userKeys.userId, u.id));
      await forgetCachedDataKey(testConfig(), u.id);
      expect(old!.kekId).toBe("k1");
      // Dropping k1 before the re-wrap would lose the data.
      await expect(loadUserDataKey(db, onlyNew, u.id)).rejects.toBeInstanceOf(UnknownKeyError);
      // New current key k2 with k1 kept for reading: still readable.
      expect((await readConversation(db, await loadUserDataKey(db, base, u.id), u.id, id)).messages[0]!.content).toBe("avant rotation");
      await forgetCachedDataKey(testConfig(), u.id);
      const report = await rewrapUserKeys(db, base.ENCRYPTION_KEYS);
      expect(report.failed).toBe(0);
      expect(report.remaining).toBe(0);
      const [after] = await db.select().from(userKeys).where(eq(userKeys.userId, u.id));
      expect(after!.kekId).toBe("k2");
      expect(after!.rewrappedAt).toBeInstanceOf(Date);
      await forgetCachedDataKey(testConfig(), u.id);
      // After the re-wrap, k1 can go with nothing lost.
      expect((await readConversation(db, await loadUserDataKey(db, onlyNew, u.id), u.id, id)).messages[0]!.content).toBe("avant rotation");
    });
  });

  it("shredding the wrapped data key makes every message unreadable", async () => {
    const u = await signUp();
    const id = await seedConversation(u.id, ["à détruire"]);
    await withDb(async (db) => {
      await db.delete(userKeys).where(eq(userKeys.userId, u.id));
      await forgetCachedDataKey(testConfig(), u.id);
      await expect(loadUserDataKey(db, testConfig(), u.id)).rejects.toThrow();
      const [row] = await db.select().from(messages).where(and(eq(messages.conversationId, id)));
      // A copy of the row (e.g. a backup) is only ciphertext without the key.
      expect(row!.ciphertext.length).toBeGreaterThan(0);
      const [conv] = await db.select().from(conversations).where(eq(conversations.id, id));
      expect(conv).toBeDefined();
    });
  });
});
