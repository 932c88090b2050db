/**
 * Rebuilds test/eval/data/injection.jsonl from the public sources listed in test/eval/README.md
 * plus the authored prompts (authored.ts). Run once by hand; the output is committed, and
 * `npm run eval` / `npm run train` only read the committed file.
 *
 *   npx tsx test/eval/build-data.ts <sources-dir>
 *
 * <sources-dir> must hold the raw files, taken at the commits named in the README:
 *   deepset-train.json, deepset-test.json   deepset/prompt-injections rows [{text,label}]
 *                                           (converted from the two parquet files)
 *   jailbreak_prompts_2023_05_07.csv        verazuo/jailbreak_llms (MIT)
 *   seed_tasks.jsonl, user_oriented_instructions.jsonl   yizhongw/self-instruct (Apache-2.0)
 *   piaf-v1.0.json                          etalab-ia/piaf-code (MIT)
 *
 * Each row: {id, text, label (1 = injection/jailbreak), lang, source, split}. Exact duplicate
 * texts (after whitespace/case folding) are kept once, first source wins.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { authoredRows } from "./authored";
import { normalizeForSplit, rng, splitOf, type Split } from "./split";

export interface InjectionRow {
  id: string;
  text: string;
  label: 0 | 1;
  lang: string;
  source: string;
  split: Split;
}

const FR = /\b(le|la|les|des|est|une|et|dans|pour|que|qui|pas|du|au|avec|sur|ce|cette|tu|vous|je|mon|ton|quel|quelle|comment|pourquoi)\b/g;
const EN = /\b(the|is|are|and|to|of|in|for|you|your|what|how|with|this|that|it|my|can|do|be|on|please)\b/g;
const DE = /\b(der|die|das|und|ist|nicht|ich|du|sie|mit|für|auf|ein|eine|wie|was|zu|den|dem|von|bitte|sind)\b/g;

/** Rough language guess from function words: fr, en, de or other. */
export function guessLang(text: string): string {
  const t = text.toLowerCase();
  const counts: Array<[string, number]> = [
    ["fr", (t.match(FR) ?? []).length],
    ["en", (t.match(EN) ?? []).length],
    ["de", (t.match(DE) ?? []).length],
  ];
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] === 0 ? "other" : counts[0]![0];
}

/** RFC 4180 CSV (quoted fields with "" escapes and newlines). */
export function parseCsv(src: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && src[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function main(dir: string): void {
  const out: InjectionRow[] = [];
  const seen = new Set<string>();
  const add = (source: string, id: string, text: string, label: 0 | 1, lang?: string, splitKey?: string) => {
    const t = text.replace(/\r\n/g, "\n").trim();
    if (t.length < 3) return;
    const key = normalizeForSplit(t);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ id: `${source}:${id}`, text: t, label, lang: lang ?? guessLang(t), source, split: splitOf(splitKey ?? t) });
  };

  // deepset/prompt-injections (Apache-2.0): English and German, some other languages.
  for (const part of ["train", "test"]) {
    const rows = JSON.parse(readFileSync(join(dir, `deepset-${part}.json`), "utf8")) as Array<{ text: string; label: number }>;
    rows.forEach((r, i) => add("deepset", `${part}-${i}`, r.text, r.label === 1 ? 1 : 0));
  }

  // verazuo/jailbreak_llms (MIT): in-the-wild jailbreak prompts, all positives.
  let csv = readFileSync(join(dir, "jailbreak_prompts_2023_05_07.csv"), "utf8");
  csv = csv.replace(/^<<<<<<< [^\n]*\n/, "").split(/\n=======\n/)[0]!; // the mirror carries a merge conflict; both halves are identical
  const table = parseCsv(csv);
  const header = table[0]!;
  const pCol = header.indexOf("prompt");
  table.slice(1).forEach((r, i) => {
    if (r[pCol]) add("jailbreak_llms", String(i), r[pCol]!, 1);
  });

  // yizhongw/self-instruct (Apache-2.0): human-written English task instructions, benign.
  for (const f of ["seed_tasks.jsonl", "user_oriented_instructions.jsonl"]) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      if (!line.trim()) continue;
      const o = JSON.parse(line) as { id: string; instruction: string; instances: Array<{ input: string }> };
      const input = o.instances[0]?.input ?? "";
      add("self_instruct", o.id, input ? `${o.instruction}\n\n${input}` : o.instruction, 0, "en");
    }
  }

  // etalab-ia/piaf-code (MIT): crowd-written French questions on Wikipedia, benign. 1,200 drawn
  // with a fixed seed out of 3,835.
  const piaf = JSON.parse(readFileSync(join(dir, "piaf-v1.0.json"), "utf8")) as {
    data: Array<{ paragraphs: Array<{ qas: Array<{ id: string; question: string }> }> }>;
  };
  const qs = piaf.data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas));
  const r = rng(7);
  const chosen = qs.map((q) => ({ q, k: r() })).sort((a, b) => a.k - b.k).slice(0, 1200).map((x) => x.q);
  for (const q of chosen) add("piaf", q.id, q.question, 0, "fr");

  // Authored (this project).
  authoredRows().forEach((a, i) => add(a.source, String(i), a.text, a.label, a.lang, a.group));

  writeFileSync(join(import.meta.dirname, "data", "injection.jsonl"), out.map((o) => JSON.stringify(o)).join("\n") + "\n");
  const summary = new Map<string, number[]>();
  for (const o of out) {
    const k = `${o.source} ${o.lang} label=${o.label}`;
    const s = summary.get(k) ?? [0, 0, 0];
    s[o.split === "train" ? 0 : o.split === "val" ? 1 : 2]!++;
    summary.set(k, s);
  }
  for (const [k, [tr, va, te]] of [...summary].sort()) console.log(`${k.padEnd(48)} train ${tr} val ${va} test ${te}`);
  console.log(`total ${out.length}`);
}

// Only when run as a script (add-sources.ts imports the helpers above).
if (process.argv[1] && import.meta.filename === (await import("node:path")).resolve(process.argv[1])) main(process.argv[2] ?? "/tmp/eval-sources");
