/**
 * Round 3 data: appends rows from more public sources and authored-chat.ts to
 * test/eval/data/injection.jsonl. Rows already in the file (rounds 1-2) are kept as they are,
 * with their split; rows of the round-3 sources are dropped and rebuilt, so the script can be
 * re-run. New rows get their split by the same hash rule (split.ts); exact duplicates of an
 * existing text (after whitespace/case folding) are skipped.
 *
 *   npx tsx test/eval/add-sources.ts <sources-dir>
 *
 * <sources-dir> must hold (commits and licences in test/eval/README.md):
 *   NotInject_one.json, NotInject_two.json, NotInject_three.json   leolee99/PIGuard datasets/ (MIT)
 *   awesome-prompts.csv      prompts.csv of a copy of f/awesome-chatgpt-prompts (CC0-1.0)
 *   giskard.csv              Giskard-AI/prompt-injections prompt_injections.csv (MIT)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chatRows } from "./authored-chat";
import { guessLang, parseCsv, type InjectionRow } from "./build-data";
import { normalizeForSplit, splitOf } from "./split";

const ROUND3 = new Set(["notinject", "awesome_prompts", "giskard", "authored_fr_chat_benign", "authored_en_chat_benign", "authored_fr_lookalike_benign", "authored_en_lookalike_benign", "authored_fr_ambiguous", "authored_en_ambiguous", "authored_multi_injection", "authored_multi_benign"]);
/** awesome-chatgpt-prompts rows left out of the benign set: persona jailbreaks ("DAN") or unclear. */
const AWESOME_EXCLUDE = /\b(dan|jailbreak|do anything now|unfiltered|uncensored|no restrictions|without any restrictions|developer mode|amoral|not bound by|ignore all previous)\b/i;

function main(dir: string): void {
  const file = join(import.meta.dirname, "data", "injection.jsonl");
  const kept = readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as InjectionRow).filter((r) => !ROUND3.has(r.source));
  const seen = new Set(kept.map((r) => normalizeForSplit(r.text)));
  const out: InjectionRow[] = [...kept];
  let skipped = 0;
  const add = (source: string, id: string, text: string, label: 0 | 1, lang?: string, splitKey?: string) => {
    const t = text.replace(/\r\n/g, "\n").trim();
    if (t.length < 3) return;
    const key = normalizeForSplit(t);
    if (seen.has(key)) return void skipped++;
    seen.add(key);
    out.push({ id: `${source}:${id}`, text: t, label, lang: lang ?? guessLang(t), source, split: splitOf(splitKey ?? t) });
  };

  // NotInject (MIT): benign prompts built around injection trigger words, 3 tiers.
  for (const tier of ["one", "two", "three"]) {
    const rows = JSON.parse(readFileSync(join(dir, `NotInject_${tier}.json`), "utf8")) as Array<{ prompt: string }>;
    rows.forEach((r, i) => add("notinject", `${tier}-${i}`, r.prompt, 0));
  }

  // awesome-chatgpt-prompts (CC0): task and role-play prompts ("I want you to act as…"). The
  // project treats role-play requests as benign (unit tests); persona jailbreaks are left out.
  const table = parseCsv(readFileSync(join(dir, "awesome-prompts.csv"), "utf8"));
  const header = table[0]!;
  const [aCol, pCol] = [header.indexOf("act"), header.indexOf("prompt")];
  let excluded = 0;
  table.slice(1).forEach((r, i) => {
    const p = r[pCol];
    if (!p) return;
    if (AWESOME_EXCLUDE.test(`${r[aCol]} ${p}`)) return void excluded++;
    add("awesome_prompts", String(i), p, 0);
  });

  // Giskard prompt-injections (MIT): garak DAN prompts and promptinject hijacks, all attacks.
  const g = parseCsv(readFileSync(join(dir, "giskard.csv"), "utf8"));
  const gp = g[0]!.indexOf("prompt");
  g.slice(1).forEach((r, i) => r[gp] && add("giskard", String(i), r[gp]!, 1, "en"));

  // Authored (this project), split by template / key phrase.
  chatRows().forEach((a, i) => add(a.source, String(i), a.text, a.label, a.lang, a.group));

  writeFileSync(file, out.map((o) => JSON.stringify(o)).join("\n") + "\n");
  const summary = new Map<string, number[]>();
  for (const o of out.slice(kept.length)) {
    const k = `${o.source} label=${o.label}`;
    const s = summary.get(k) ?? [0, 0, 0];
    s[o.split === "train" ? 0 : o.split === "val" ? 1 : 2]!++;
    summary.set(k, s);
  }
  for (const [k, [tr, va, te]] of [...summary].sort()) console.log(`${k.padEnd(40)} train ${tr} val ${va} test ${te}`);
  console.log(`kept ${kept.length}, added ${out.length - kept.length}, duplicates skipped ${skipped}, awesome excluded ${excluded}, total ${out.length}`);
}

main(process.argv[2] ?? "/tmp/eval-sources-round3");
