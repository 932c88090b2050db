/** /api/conversations: the user's own conversations only; others' ids answer 404. */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../context";
import { loadUserDataKey } from "../accounts/data-keys";
import { deleteConversation, listConversations, readConversation, renameConversation } from "../conversations/store";
import { AppError } from "../errors";
import { readJson } from "../lib/json";
import { sanitize } from "../stages/sanitize";
import { requireUser } from "../stages/auth";

const renameSchema = z.strictObject({ title: z.string().trim().min(1).max(200) });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().max(200).optional() });

export const conversationRoutes = new Hono<AppEnv>()
  .use(requireUser())
  .get("/", async (c) => {
    const q = listQuery.safeParse(c.req.query());
    if (!q.success) throw new AppError("invalid_input", "Invalid query parameters.");
    const { db } = c.get("scope");
    const user = c.get("user");
    return c.json(await listConversations(db, await loadUserDataKey(db, c.get("config"), user.id), user.id, q.data));
  })
  .get("/:id", async (c) => {
    const { db } = c.get("scope");
    const user = c.get("user");
    return c.json(await readConversation(db, await loadUserDataKey(db, c.get("config"), user.id), user.id, c.req.param("id")));
  })
  .patch("/:id", async (c) => {
    const { db } = c.get("scope");
    const user = c.get("user");
    const body = await readJson(c, renameSchema);
    const title = sanitize(body.title).text.trim();
    if (!title) throw new AppError("invalid_input", "The title is empty.");
    await renameConversation(db, await loadUserDataKey(db, c.get("config"), user.id), user.id, c.req.param("id"), title);
    return c.json({ id: c.req.param("id"), title });
  })
  .delete("/:id", async (c) => {
    const user = c.get("user");
    await deleteConversation(c.get("scope").db, user.id, c.req.param("id"));
    c.get("audit")({ type: "conversation.deleted", severity: "info", userId: user.id, requestId: c.get("requestId") });
    return c.body(null, 204);
  });
