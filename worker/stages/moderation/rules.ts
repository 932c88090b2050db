/**
 * The moderation categories (OpenAI's names; other classifiers are mapped onto them) and
 * the per-category rules: a score threshold in [0, 1] and an action, `block` (refuse the
 * message / cut the answer) or `flag` (let it through, audit it). Categories without a
 * rule are ignored. MODERATION_RULES_JSON replaces the whole default table.
 * No import from env.ts: env.ts imports this file to validate the setting.
 */
import { z } from "zod";

export const MODERATION_CATEGORIES = [
  "sexual", "sexual/minors",
  "hate", "hate/threatening",
  "harassment", "harassment/threatening",
  "self-harm", "self-harm/intent", "self-harm/instructions",
  "violence", "violence/graphic",
  "illicit", "illicit/violent",
] as const;
export type ModerationCategory = (typeof MODERATION_CATEGORIES)[number];

export type ModerationAction = "block" | "flag";
export interface ModerationRule {
  threshold: number;
  action: ModerationAction;
}
export type ModerationRules = Partial<Record<ModerationCategory, ModerationRule>>;

/**
 * Severe harms are blocked; sensitive but often legitimate subjects (a user speaking of
 * their own distress, a history question about a war) are only flagged, or blocked at a
 * high score.
 */
export const DEFAULT_MODERATION_RULES: ModerationRules = {
  "sexual/minors": { threshold: 0.5, action: "block" },
  "hate/threatening": { threshold: 0.6, action: "block" },
  "harassment/threatening": { threshold: 0.7, action: "block" },
  "self-harm/instructions": { threshold: 0.6, action: "block" },
  "illicit/violent": { threshold: 0.7, action: "block" },
  violence: { threshold: 0.8, action: "block" },
  "violence/graphic": { threshold: 0.8, action: "block" },
  hate: { threshold: 0.7, action: "flag" },
  harassment: { threshold: 0.8, action: "flag" },
  "self-harm": { threshold: 0.5, action: "flag" },
  "self-harm/intent": { threshold: 0.5, action: "flag" },
  sexual: { threshold: 0.8, action: "flag" },
  illicit: { threshold: 0.8, action: "flag" },
};

const ruleSchema = z.strictObject({
  threshold: z.number().min(0).max(1),
  action: z.enum(["block", "flag"]),
});
const rulesSchema = z.partialRecord(z.enum(MODERATION_CATEGORIES), ruleSchema);

/** The MODERATION_RULES_JSON setting: empty = the defaults; otherwise the whole table. */
export const moderationRulesSetting = z.string().optional().transform((v, ctx): ModerationRules => {
  if (!v || !v.trim()) return DEFAULT_MODERATION_RULES;
  try {
    return rulesSchema.parse(JSON.parse(v)) as ModerationRules;
  } catch {
    ctx.addIssue({ code: "custom", message: `must be a JSON object of category (${MODERATION_CATEGORIES.join(", ")}) to {"threshold":0..1,"action":"block"|"flag"}` });
    return z.NEVER;
  }
});
