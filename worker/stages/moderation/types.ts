/** The one moderation interface, shared by the implementations (openai.ts, workers-ai.ts). */
import type { ModerationCategory } from "./rules";

export type Direction = "input" | "output";

export interface ModerationRequest {
  direction: Direction;
  /** Texts to classify, already masked (never personal data). */
  texts: string[];
  /** For output checks: the (masked) user message the answer replies to, for classifiers that judge a turn. */
  context?: string;
  signal: AbortSignal;
}

/** Score in [0, 1] per category; a category absent was not detected. */
export type CategoryScores = Partial<Record<ModerationCategory, number>>;

export interface Moderator {
  readonly name: string;
  /** Throws on any failure; the caller applies the failure policy. */
  moderate(req: ModerationRequest): Promise<CategoryScores>;
}

export type UnavailableReason = "timeout" | "error" | "misconfigured";

export class ModerationUnavailable extends Error {
  constructor(readonly reason: UnavailableReason, message: string) {
    super(message);
    this.name = "ModerationUnavailable";
  }
}
