/**
 * Synthetic long messages built from rows of ONE split (so nothing crosses the split line):
 *  - "synthetic_long_benign": benign rows of that split joined into 300-12,000-character
 *    messages (a pasted document, a long thread). Without them every long text the model sees
 *    in training is a jailbreak, and it learns "long = attack".
 *  - "synthetic_buried_injection": one attack row of that split inserted at a random place
 *    inside such a benign message.
 * Deterministic for a given seed.
 */
import { rng } from "./split";

export interface LongRow {
  id: string;
  text: string;
  label: 0 | 1;
  lang: string;
  source: "synthetic_long_benign" | "synthetic_buried_injection";
  split: string;
}

export function longRows(
  rows: ReadonlyArray<{ text: string; label: number; split: string; lang: string; source: string }>,
  split: string,
  seed: number,
  nBenign = 150,
  nBuried = 100,
): LongRow[] {
  const r = rng(seed);
  // Context resets (authored_*_ambiguous) are one-line chat turns, not document text: several
  // in one pasted document would be an odd message (and add up to a refusal by the rules).
  const benign = rows.filter((x) => x.split === split && x.label === 0 && !x.source.endsWith("_ambiguous"));
  const attacks = rows.filter((x) => x.split === split && x.label === 1 && x.text.length < 1500);
  if (benign.length === 0) return [];
  const doc = (lang: string): string => {
    const target = 300 + Math.floor(r() ** 2 * 11_700);
    const pool = benign.filter((b) => b.lang === lang);
    const src = pool.length > 20 ? pool : benign;
    let out = "";
    while (out.length < target) out += (out ? (r() < 0.5 ? "\n\n" : " ") : "") + src[Math.floor(r() * src.length)]!.text;
    return out;
  };
  const out: LongRow[] = [];
  for (let i = 0; i < nBenign; i++) {
    const lang = r() < 0.5 ? "fr" : "en";
    out.push({ id: `long-benign-${split}-${i}`, text: doc(lang), label: 0, lang, source: "synthetic_long_benign", split });
  }
  if (attacks.length) {
    for (let i = 0; i < nBuried; i++) {
      const a = attacks[Math.floor(r() * attacks.length)]!;
      const lang = a.lang === "fr" ? "fr" : "en";
      const d = doc(lang);
      const at = Math.floor(r() * d.length);
      const cut = d.lastIndexOf(" ", at);
      const pos = cut < 0 ? 0 : cut;
      out.push({ id: `buried-${split}-${i}`, text: `${d.slice(0, pos)}\n\n${a.text}\n\n${d.slice(pos)}`, label: 1, lang: a.lang, source: "synthetic_buried_injection", split });
    }
  }
  return out;
}
