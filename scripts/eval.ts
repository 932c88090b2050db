/**
 * `npm run eval [-- --split test|val|train] [-- --json] [-- --old] [-- --errors]`: detection quality of the Worker's
 * prompt-injection and personal-data detectors, side by side with the seed's reference rules.
 * Default split: "test", the held-back 30% (test/eval/split.ts) never used for training or tuning.
 * Data and sources: test/eval/README.md.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { scoreInjection } from "../worker/stages/injection/index";
import { detectPii, maskPii, restorePii } from "../worker/stages/pii/index";
import type { PiiRow, PiiType } from "../test/eval/gen-pii";
import { longRows } from "../test/eval/long";
import { seedDetectPii, seedInjectionBlocked, seedMask, seedRestore } from "../test/eval/seed";

const ROOT = join(import.meta.dirname, "..", "test", "eval", "data");
const args = process.argv.slice(2);
const split = args.includes("--split") ? args[args.indexOf("--split") + 1]! : "test";
const asJson = args.includes("--json");
/**
 * --old: only the rows of the round 1-2 sources (3,544 rows, test/eval/README.md), with the
 * synthetic long messages built from those alone, to compare with the figures of earlier rounds.
 */
const OLD_SOURCES = new Set(["deepset", "jailbreak_llms", "self_instruct", "piaf", "authored_fr_injection", "authored_fr_trigger_benign", "authored_en_trigger_benign"]);
const oldOnly = args.includes("--old");

interface InjRow {
  id: string;
  text: string;
  label: 0 | 1;
  lang: string;
  source: string;
  split: string;
}

const readJsonl = <T>(f: string): T[] =>
  readFileSync(join(ROOT, f), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as T);

const pct = (n: number, d: number) => (d === 0 ? "   -  " : `${((100 * n) / d).toFixed(1).padStart(5)}%`);

// --- injection ------------------------------------------------------------------------------
interface Counts {
  pos: number;
  neg: number;
  tpHigh: number;
  fpHigh: number;
  tpMed: number;
  fpMed: number;
  tpSeed: number;
  fpSeed: number;
}
const zero = (): Counts => ({ pos: 0, neg: 0, tpHigh: 0, fpHigh: 0, tpMed: 0, fpMed: 0, tpSeed: 0, fpSeed: 0 });

function evalInjection() {
  const all = readJsonl<InjRow>("injection.jsonl").filter((r) => !oldOnly || OLD_SOURCES.has(r.source));
  const rows = [...all.filter((r) => r.split === split), ...longRows(all, split, split === "test" ? 13 : split === "val" ? 12 : 11)];
  const groups = new Map<string, Counts>();
  const bump = (key: string, r: InjRow, high: boolean, med: boolean, seed: boolean) => {
    const c = groups.get(key) ?? zero();
    if (r.label === 1) {
      c.pos++;
      c.tpHigh += +high;
      c.tpMed += +med;
      c.tpSeed += +seed;
    } else {
      c.neg++;
      c.fpHigh += +high;
      c.fpMed += +med;
      c.fpSeed += +seed;
    }
    groups.set(key, c);
  };
  const misses: string[] = [];
  const falseAlarms: string[] = [];
  for (const r of rows) {
    const { level, rules } = scoreInjection(r.text);
    const high = level === "high";
    const med = high || level === "medium";
    const seed = seedInjectionBlocked(r.text);
    for (const k of ["all", `lang:${r.lang}`, `source:${r.source}`]) bump(k, r, high, med, seed);
    if (r.label === 1 && !high) misses.push(`${r.id} [${level}] ${r.text.slice(0, 90).replace(/\s+/g, " ")}`);
    if (r.label === 0 && high) falseAlarms.push(`${r.id} [${rules.join(",")}] ${r.text.slice(0, 90).replace(/\s+/g, " ")}`);
  }
  return { groups, misses, falseAlarms };
}

// --- personal data ----------------------------------------------------------------------------
const TYPES: PiiType[] = ["EMAIL", "PHONE", "NIR", "IBAN", "CREDIT_CARD"];
interface Prf {
  tp: number;
  fp: number;
  fn: number;
}

function evalPii(detect: (t: string) => Array<{ type: string; start: number; end: number }>, roundTrip: (t: string) => { ok: boolean; collision: boolean }) {
  const rows = readJsonl<PiiRow>("pii.jsonl").filter((r) => r.split === split);
  const per = new Map<string, Prf>(TYPES.map((t) => [t, { tp: 0, fp: 0, fn: 0 }]));
  let negRows = 0;
  let negFlagged = 0;
  let wrongRestore = 0;
  let collisions = 0;
  const errors: string[] = [];
  for (const r of rows) {
    const found = detect(r.text);
    const gold = new Set(r.spans.map((s) => `${s.type}:${s.start}:${s.end}`));
    const got = new Set(found.map((s) => `${s.type}:${s.start}:${s.end}`));
    for (const g of gold) {
      const t = g.split(":")[0]!;
      if (got.has(g)) per.get(t)!.tp++;
      else (per.get(t)!.fn++, errors.length < 30 && errors.push(`FN ${r.id} ${g} ${JSON.stringify(r.text)}`));
    }
    for (const g of got) {
      if (!gold.has(g)) {
        const t = g.split(":")[0]!;
        per.get(t)!.fp++;
        if (errors.length < 30) errors.push(`FP ${r.id} ${g} ${JSON.stringify(r.text)}`);
      }
    }
    if (r.kind === "negative") {
      negRows++;
      if (found.length) negFlagged++;
    }
    const rt = roundTrip(r.text);
    if (!rt.ok) wrongRestore++;
    if (rt.collision) collisions++;
  }
  const micro = { tp: 0, fp: 0, fn: 0 };
  for (const p of per.values()) (micro.tp += p.tp), (micro.fp += p.fp), (micro.fn += p.fn);
  per.set("micro", micro);
  return { rows: rows.length, per, negRows, negFlagged, wrongRestore, collisions, errors };
}

const ours = evalPii(detectPii, (t) => {
  const { masked, mapping } = maskPii(t);
  return { ok: restorePii(masked, mapping) === t, collision: Object.keys(mapping).some((p) => t.includes(p)) };
});
const seed = evalPii(seedDetectPii, (t) => {
  const { masked, mapping } = seedMask(t);
  return { ok: seedRestore(masked, mapping) === t, collision: Object.keys(mapping).some((p) => t.includes(p)) };
});
const inj = evalInjection();

const f1 = (p: Prf) => {
  const prec = p.tp + p.fp ? p.tp / (p.tp + p.fp) : 1;
  const rec = p.tp + p.fn ? p.tp / (p.tp + p.fn) : 1;
  return { prec, rec, f1: prec + rec ? (2 * prec * rec) / (prec + rec) : 0 };
};

if (asJson) {
  const injOut = Object.fromEntries([...inj.groups].map(([k, c]) => [k, c]));
  const piiOut = (e: typeof ours) => ({
    perType: Object.fromEntries([...e.per].map(([k, p]) => [k, { ...p, ...f1(p) }])),
    negRows: e.negRows, negFlagged: e.negFlagged, wrongRestore: e.wrongRestore, collisions: e.collisions,
  });
  console.log(JSON.stringify({ split, injection: injOut, pii: { ours: piiOut(ours), seed: piiOut(seed) } }, null, 2));
} else {
  console.log(`Held-back evaluation, split "${split}"\n`);
  console.log("PROMPT INJECTION  (positive = label 1; TPR/FPR of: ours level high | ours medium+ | seed rules any match)");
  console.log(`${"group".padEnd(34)} ${"pos".padStart(5)} ${"neg".padStart(5)}   TPR high  FPR high | TPR med+  FPR med+ | TPR seed  FPR seed`);
  const order = [...inj.groups.keys()].sort((a, b) => (a === "all" ? -1 : b === "all" ? 1 : a.localeCompare(b)));
  for (const k of order) {
    const c = inj.groups.get(k)!;
    console.log(
      `${k.padEnd(34)} ${String(c.pos).padStart(5)} ${String(c.neg).padStart(5)}   ${pct(c.tpHigh, c.pos)}   ${pct(c.fpHigh, c.neg)}  | ${pct(c.tpMed, c.pos)}   ${pct(c.fpMed, c.neg)}  | ${pct(c.tpSeed, c.pos)}   ${pct(c.fpSeed, c.neg)}`,
    );
  }
  console.log("\nPERSONAL DATA  (exact spans: type, start and end must all match)");
  console.log(`${"type".padEnd(12)}  ours: prec    rec     F1   (tp/fp/fn)        | seed: prec    rec     F1   (tp/fp/fn)`);
  for (const t of [...TYPES, "micro"]) {
    const a = ours.per.get(t)!;
    const b = seed.per.get(t)!;
    const fa = f1(a);
    const fb = f1(b);
    const fmt = (x: number) => `${(100 * x).toFixed(1).padStart(5)}%`;
    console.log(
      `${t.padEnd(12)}       ${fmt(fa.prec)} ${fmt(fa.rec)} ${fmt(fa.f1)} (${a.tp}/${a.fp}/${a.fn})`.padEnd(66) +
        `|       ${fmt(fb.prec)} ${fmt(fb.rec)} ${fmt(fb.f1)} (${b.tp}/${b.fp}/${b.fn})`,
    );
  }
  console.log(`negatives flagged (rows with any span): ours ${ours.negFlagged}/${ours.negRows} = ${pct(ours.negFlagged, ours.negRows)} | seed ${seed.negFlagged}/${seed.negRows} = ${pct(seed.negFlagged, seed.negRows)}`);
  console.log(`wrong restorations (restore(mask(x)) !== x): ours ${ours.wrongRestore}/${ours.rows} | seed ${seed.wrongRestore}/${seed.rows}`);
  console.log(`placeholder collisions (mapping key already typed by the user): ours ${ours.collisions} | seed ${seed.collisions}`);
  if (args.includes("--errors")) {
    console.log("\nInjection misses (label 1, not high):\n  " + inj.misses.join("\n  "));
    console.log("\nInjection false alarms (label 0, high):\n  " + inj.falseAlarms.join("\n  "));
    console.log("\nPII errors (ours, first 30):\n  " + ours.errors.join("\n  "));
  }
}
