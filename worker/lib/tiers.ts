/**
 * Per-tier limits (issue: cost control), read from the settings RATE_LIMIT_<TIER> (requests
 * per RATE_LIMIT_WINDOW_SECONDS, one hour by default) and BUDGET_<TIER>_EUR (monthly; empty =
 * unlimited). DEFAULT_TIER_LIMITS are the documented defaults of those settings.
 */
import type { Config } from "../env";

export const TIERS = ["free", "basic", "premium", "enterprise"] as const;
export type Tier = (typeof TIERS)[number];

export interface TierLimits {
  requestsPerHour: number;
  /** null = unlimited */
  budgetEur: number | null;
}

export const DEFAULT_TIER_LIMITS: Record<Tier, TierLimits> = {
  free: { requestsPerHour: 10, budgetEur: 1 },
  basic: { requestsPerHour: 100, budgetEur: 10 },
  premium: { requestsPerHour: 1000, budgetEur: 100 },
  enterprise: { requestsPerHour: 10000, budgetEur: null },
};

function configured(config: Config, tier: Tier): { requests: number | undefined; budget: number | null | undefined } {
  switch (tier) {
    case "free":
      return { requests: config.RATE_LIMIT_FREE, budget: config.BUDGET_FREE_EUR };
    case "basic":
      return { requests: config.RATE_LIMIT_BASIC, budget: config.BUDGET_BASIC_EUR };
    case "premium":
      return { requests: config.RATE_LIMIT_PREMIUM, budget: config.BUDGET_PREMIUM_EUR };
    case "enterprise":
      return { requests: config.RATE_LIMIT_ENTERPRISE, budget: config.BUDGET_ENTERPRISE_EUR };
  }
}

export function tierLimits(config: Config, tier: Tier): TierLimits {
  const defaults = DEFAULT_TIER_LIMITS[tier];
  if (!defaults) throw new Error(`unknown tier: ${String(tier)}`);
  const { requests, budget } = configured(config, tier);
  // A hand-built Config (tests) may lack the settings: fall back to the defaults.
  return {
    requestsPerHour: requests ?? defaults.requestsPerHour,
    budgetEur: budget === undefined ? defaults.budgetEur : budget,
  };
}
