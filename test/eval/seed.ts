/**
 * The seed project's reference detectors, reproduced as specified in the issue, for side-by-side
 * figures only. Not used by the Worker.
 */
import type { PiiType } from "./gen-pii";

// Injection: case-insensitive, any match = blocked.
const SEED_INJECTION = [
  /ignore (all )?(previous|prior|above) instructions/i,
  /disregard (all )?(previous|prior|above) (instructions|prompts)/i,
  /forget (all )?(previous|prior|above) instructions/i,
  /you are now/i,
  /act as (a )?(?!assistant)\w+/i,
  /pretend (to be|you are)/i,
  /roleplay as/i,
  /show (me )?(your|the) (system )?(prompt|instructions)/i,
  /what (is|are) your (system )?(prompt|instructions)/i,
  /reveal your (system )?prompt/i,
  /\[INST\]/i,
  /<\|im_start\|>/i,
  /<\|im_end\|>/i,
  /<\|system\|>/i,
  /base64/i,
  /rot13/i,
  /\\x[0-9a-f]{2}/i,
];

export function seedInjectionBlocked(text: string): boolean {
  return SEED_INJECTION.some((r) => r.test(text));
}

// PII: the seed's five regexes, scanned in this order; overlapping later matches are dropped.
const SEED_PII: Array<[PiiType, RegExp]> = [
  ["EMAIL", /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,}\b/g],
  ["PHONE", /\b(?:\+33|0)[1-9](?:\s?\d{2}){4}\b/g],
  ["NIR", /\b[12]\s?\d{2}\s?\d{2}\s?\d{2}\s?\d{3}\s?\d{3}\s?\d{2}\b/g],
  ["IBAN", /\b[A-Z]{2}\d{2}[A-Z0-9]{4}\d{7}([A-Z0-9]?){0,16}\b/g],
  ["CREDIT_CARD", /\b\d{4}[\s-]?\d{4}[\s-]?\d{4}[\s-]?\d{4}\b/g],
];

export interface SeedSpan {
  type: PiiType;
  start: number;
  end: number;
  value: string;
}

export function seedDetectPii(text: string): SeedSpan[] {
  const found: SeedSpan[] = [];
  for (const [type, re] of SEED_PII) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      found.push({ type, start: m.index, end: m.index + m[0].length, value: m[0] });
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  found.sort((a, b) => a.start - b.start);
  const kept: SeedSpan[] = [];
  let last = 0;
  for (const s of found) if (s.start >= last) (kept.push(s), (last = s.end));
  return kept;
}

/** Naive mask/restore of the seed: [TYPE_n] per distinct value, no check for literal placeholders. */
export function seedMask(text: string): { masked: string; mapping: Record<string, string> } {
  const mapping: Record<string, string> = {};
  const byValue = new Map<string, string>();
  const n: Record<string, number> = {};
  let out = "";
  let pos = 0;
  for (const s of seedDetectPii(text)) {
    let p = byValue.get(s.type + s.value);
    if (!p) {
      n[s.type] = (n[s.type] ?? 0) + 1;
      p = `[${s.type}_${n[s.type]}]`;
      byValue.set(s.type + s.value, p);
      mapping[p] = s.value;
    }
    out += text.slice(pos, s.start) + p;
    pos = s.end;
  }
  return { masked: out + text.slice(pos), mapping };
}

export function seedRestore(text: string, mapping: Record<string, string>): string {
  return text.replace(/\[[A-Z_]+_\d+\]/g, (p) => (Object.hasOwn(mapping, p) ? mapping[p]! : p));
}
