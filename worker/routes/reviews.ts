/**
 * EU AI Act human oversight: the review queue of answers in critical domains.
 * GET /api/admin/reviews (filters: status, domain; cursor-paginated, oldest pending first),
 * POST /api/admin/reviews/:id {decision: approved | flagged, note} with the reviewer
 * recorded. A flagged answer is marked on the user's conversation.
 */
import { and, asc, eq, gt, or, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context";
import { messages, reviews } from "../../db/schema";
import { loadUserDataKey } from "../accounts/data-keys";
import { decryptField } from "../crypto";
import { AppError } from "../errors";
import { NO_CONTROL_CHARS, NO_NUL, isUuid, readJson } from "../lib/json";
import { requireAdmin } from "./admin";
import { decodeCursor, encodeCursor } from "../lib/cursor";

const listQuery = z.object({
  status: z.enum(["pending", "approved", "flagged"]).optional(),
  domain: z.enum(["legal", "financial", "medical"]).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
const decisionSchema = z.strictObject({
  decision: z.enum(["approved", "flagged"]),
  note: z.string().max(2000).regex(NO_NUL).optional(),
  reviewer: z.string().trim().min(1).max(100).regex(NO_CONTROL_CHARS).optional(),
});

export const reviewRoutes = new Hono<AppEnv>()
  .use(requireAdmin())
  .get("/", async (c) => {
    const q = listQuery.safeParse(c.req.query());
    if (!q.success) throw new AppError("invalid_input", "Invalid query parameters.");
    const { db } = c.get("scope");
    const where: SQL[] = [];
    if (q.data.status) where.push(eq(reviews.status, q.data.status));
    if (q.data.domain) where.push(eq(reviews.domain, q.data.domain));
    if (q.data.cursor) {
      const after = decodeCursor(q.data.cursor);
      where.push(or(gt(reviews.createdAt, after.at), and(eq(reviews.createdAt, after.at), gt(reviews.id, after.id)))!);
    }
    const rows = await db.select().from(reviews).where(where.length ? and(...where) : undefined)
      .orderBy(asc(reviews.createdAt), asc(reviews.id)).limit(q.data.limit + 1);
    const page = rows.slice(0, q.data.limit);
    const items = await Promise.all(page.map(async (r) => {
      let content: unknown = null;
      if (r.userId && r.contentCiphertext && r.contentIv) {
        try {
          const dk = await loadUserDataKey(db, c.get("config"), r.userId);
          content = JSON.parse(await decryptField(dk.key, { ciphertext: r.contentCiphertext, iv: r.contentIv }, ["review", r.userId, r.id]));
        } catch {
          content = null; // shredded (erased user) or unreadable
        }
      }
      return {
        id: r.id, userId: r.userId, requestId: r.requestId, conversationId: r.conversationId, messageId: r.messageId,
        domain: r.domain, model: r.model, modelVersion: r.modelVersion, guards: r.guards, inputHash: r.inputHash, outputHash: r.outputHash,
        status: r.status, reviewer: r.reviewer, note: r.note, decidedAt: r.decidedAt?.toISOString() ?? null, createdAt: r.createdAt.toISOString(), content,
      };
    }));
    const last = page[page.length - 1];
    return c.json({ reviews: items, nextCursor: rows.length > q.data.limit && last ? encodeCursor(last.createdAt, last.id) : null });
  })
  .post("/:id", async (c) => {
    const id = c.req.param("id");
    const body = await readJson(c, decisionSchema);
    if (!isUuid(id)) throw new AppError("not_found", "Review not found.");
    const reviewer = body.reviewer ?? c.req.header("x-reviewer")?.slice(0, 100) ?? "admin";
    const { db } = c.get("scope");
    const [updated] = await db.update(reviews)
      .set({ status: body.decision, note: body.note ?? null, reviewer, decidedAt: new Date() })
      .where(eq(reviews.id, id)).returning();
    if (!updated) throw new AppError("not_found", "Review not found.");
    if (updated.messageId) {
      await db.update(messages).set({ flagged: body.decision === "flagged" }).where(eq(messages.id, updated.messageId));
    }
    c.get("audit")({ type: "ai_act.review_decided", severity: body.decision === "flagged" ? "medium" : "info", userId: updated.userId, requestId: c.get("requestId"), details: { reviewId: id, decision: body.decision } });
    return c.json({ id, status: updated.status, reviewer: updated.reviewer, note: updated.note, decidedAt: updated.decidedAt?.toISOString() ?? null });
  });
