/**
 * POST /api/chat: the secure pipeline, one stage per line, in order.
 */
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { loadUserDataKey, prefetchUserDataKey } from "../accounts/data-keys";
import { readConversation } from "../conversations/store";
import { prepareChat } from "../chat/prepare";
import { streamChat } from "../chat/stream";
import { moderateInput } from "../chat/moderation";
import type { ConversationTarget } from "../chat/record";
import { readJson } from "../lib/json";
import { metricsFor } from "../lib/metrics";
import { modelRegistry } from "../providers/models";
import type { ChatMessage } from "../providers/types";
import { admissionFromConfig } from "../stages/admission";
import { requireActiveSubscription, requireUser } from "../stages/auth";
import { chatBodySchema } from "../stages/validate";
import { rateLimit } from "../stages/rate-limit";
import { prefetchProcessingConsent, requireProcessingConsent } from "../stages/consent";
import { DISCLAIMERS, detectCriticalDomain } from "../stages/domain";

/** How many earlier messages of the conversation the model sees. */
const HISTORY_MESSAGES = 12;

export const chatRoutes = new Hono<AppEnv>().post(
  "/",
  admissionFromConfig(),         // 0. admission: bounded in flight per isolate, FIFO queue, 429 overloaded
  requireUser({ prefetch: (c, id) => { // 1. auth (the consent and data-key caches are read in the same Redis round trip)
    prefetchProcessingConsent(c, id);
    prefetchUserDataKey(c.get("scope"), c.get("config"), id);
  } }),
  requireActiveSubscription(),   //    and subscription (402)
  rateLimit(),                   //    sliding window per user and global (429), before any database read
  requireProcessingConsent(),    //    processing consent (403)
  async (c) => {
    const config = c.get("config");
    const user = c.get("user");
    const { db } = c.get("scope");
    const body = await readJson(c, chatBodySchema(modelRegistry(config), config.DEFAULT_MODEL)); // 2. validation
    const timing = c.get("timing");
    timing?.mark("body");
    const dataKey = loadUserDataKey(db, config, user.id, c.get("scope"));
    dataKey.catch(() => {}); // awaited later; a failure surfaces there

    let history: ChatMessage[] = [];
    let conversation: ConversationTarget;
    if (body.conversationId) {
      // 404 when it is not the user's (same answer as a missing one).
      const stored = await readConversation(db, await dataKey, user.id, body.conversationId);
      history = stored.messages.filter((m) => !m.withdrawn).slice(-HISTORY_MESSAGES).map((m) => ({ role: m.role, content: m.content }));
      conversation = { id: body.conversationId, isNew: false };
      timing?.mark("history");
    } else {
      conversation = { id: crypto.randomUUID(), isNew: true }; // created with the first messages
    }

    const prepared = await prepareChat({             // 3-6. sanitize, injection, PII mask, prompt
      config, user, requestId: c.get("requestId"), model: body.model, message: body.message, history,
      audit: c.get("audit"), log: c.get("log"), metrics: metricsFor(c),
    });
    timing?.mark("prepare");
    // 6b. moderation of the masked message (400 content_blocked, 503 unavailable). It runs while
    // the call guards are acquired and decides first: refused → guards given back, no call, no cost.
    const moderated = timing ? timing.span("moderation", moderateInput(c, prepared)) : moderateInput(c, prepared);
    prepared.dataKey = dataKey;
    prepared.criticalDomain = detectCriticalDomain(prepared.userText);        // AI Act: disclaimer + review trace
    const disclaimer = prepared.criticalDomain ? { disclaimer: DISCLAIMERS[config.SYSTEM_PROMPT_LANG][prepared.criticalDomain], criticalDomain: prepared.criticalDomain } : {};
    return streamChat(c, prepared, conversation, disclaimer, moderated); // breaker, budget reserve, 7-10. model, restore + filter, persist, usage
  },
);
