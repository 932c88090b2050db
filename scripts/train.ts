/**
 * `npm run train`: fits the injection model (worker/stages/injection/model.ts) and writes
 * worker/stages/injection/model-weights.ts.
 *
 * Deterministic: rows in file order, per-epoch shuffles from a fixed seed, fixed epochs and
 * learning rate, no floating-point reductions whose order depends on anything but the data.
 * Same data + same code = byte-identical weights file.
 *
 * Data: test/eval/data/injection.jsonl. The model is fitted on split "train" only; the three
 * thresholds (points the model adds: +6 / +3 / +1) are chosen on split "val" only. Split
 * "test" (the held-back 30%) is never read here.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { analyze } from "../worker/stages/injection/normalize";
import { DIM, MIN_CHARS, forEachFeature } from "../worker/stages/injection/model";
import { longRows } from "../test/eval/long";
import { rng } from "../test/eval/split";

const SEED = 1234;
const EPOCHS = Number(process.env.TRAIN_EPOCHS ?? 40);
const LR = Number(process.env.TRAIN_LR ?? 0.2);
const L2 = Number(process.env.TRAIN_L2 ?? 2e-6);
/** False-positive rate the model may add, on the validation split, at "high" (refusal) and "medium+". */
const VAL_FPR_HIGH = 0.004;
const VAL_FPR_MEDIUM = 0.02;
/**
 * Floors on the thresholds. The validation split holds few long benign texts (the only ones the
 * model scores, see MIN_CHARS), so its false-positive estimate there is weak: never let the
 * model add points below these probabilities whatever the validation data allows.
 */
const FLOOR = { medium: 0.6 };

interface Row {
  text: string;
  label: 0 | 1;
  split: string;
  source: string;
  lang: string;
}
interface Example {
  idx: Int32Array;
  val: Float64Array;
  y: number;
}

const ROOT = join(import.meta.dirname, "..");
const rows = readFileSync(join(ROOT, "test/eval/data/injection.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Row);
// Synthetic long benign messages and buried attacks, each built from its own split (long.ts).
const train = [...rows.filter((r) => r.split === "train"), ...longRows(rows, "train", 11, 400, 200)];
const val = [...rows.filter((r) => r.split === "val"), ...longRows(rows, "val", 12)];

function featurize(text: string): Example & { n: number } {
  const counts = new Map<number, number>();
  const n = forEachFeature(analyze(text).words, (b) => counts.set(b, (counts.get(b) ?? 0) + 1));
  const keys = [...counts.keys()].sort((a, b) => a - b);
  const norm = n > 0 ? 1 / Math.sqrt(n) : 0;
  return { idx: Int32Array.from(keys), val: Float64Array.from(keys.map((k) => counts.get(k)! * norm)), y: 0, n };
}

const trainX: Example[] = train.map((r) => ({ ...featurize(r.text), y: r.label }));
const pos = trainX.filter((e) => e.y === 1).length;
const neg = trainX.length - pos;
// Balanced class weights.
const cw = [trainX.length / (2 * neg), trainX.length / (2 * pos)];

const w = new Float64Array(DIM);
const g2 = new Float64Array(DIM).fill(1e-8); // AdaGrad accumulators
let bias = 0;
let bg2 = 1e-8;
const r = rng(SEED);
const order = trainX.map((_, i) => i);
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let loss = 0;
  for (const k of order) {
    const e = trainX[k]!;
    let z = bias;
    for (let t = 0; t < e.idx.length; t++) z += w[e.idx[t]!]! * e.val[t]!;
    const p = 1 / (1 + Math.exp(-z));
    const c = cw[e.y]!;
    loss += -c * (e.y ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12));
    const g = c * (p - e.y);
    for (let t = 0; t < e.idx.length; t++) {
      const f = e.idx[t]!;
      const gf = g * e.val[t]! + L2 * w[f]!;
      g2[f]! += gf * gf;
      w[f]! -= (LR * gf) / Math.sqrt(g2[f]!);
    }
    bg2 += g * g;
    bias -= (LR * g) / Math.sqrt(bg2);
  }
  if (epoch % 10 === 9 || epoch === EPOCHS - 1) console.error(`epoch ${epoch + 1}: loss ${(loss / order.length).toFixed(4)}`);
}

// Quantize to int8 with one scale.
let maxAbs = 0;
for (let i = 0; i < DIM; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]!));
const scale = maxAbs / 127;
const q = new Int8Array(DIM);
for (let i = 0; i < DIM; i++) q[i] = Math.round(w[i]! / scale);
const nonZero = q.reduce((a, x) => a + (x !== 0 ? 1 : 0), 0);

// Probabilities with the quantized weights, exactly as the Worker computes them.
function prob(text: string): number {
  let sum = 0;
  const words = analyze(text).words;
  if (words.text.length < MIN_CHARS) return 0;
  const n = forEachFeature(words, (b) => {
    sum += q[b]!;
  });
  if (n === 0) return 0;
  return 1 / (1 + Math.exp(-(bias + (sum * scale) / Math.sqrt(n))));
}

// --- thresholds on the validation split -----------------------------------------------------
// Rule points come from the rule layer alone (the model is not involved in them).
const { scoreInjectionParts } = await import("../worker/stages/injection/index");
const valParts = val.map((r) => ({ y: r.label, p: prob(r.text), rules: scoreInjectionParts(r.text).rulesScore }));
const valNeg = valParts.filter((v) => v.y === 0);
const valPos = valParts.filter((v) => v.y === 1);
// Same rule as modelPoints() in model.ts: +3 at or above the medium threshold, nothing else.
const points = (p: number, t: { high: number; medium: number; low: number }) => (p >= t.medium ? 3 : 0);
const rate = (xs: typeof valParts, t: { high: number; medium: number; low: number }, min: number) =>
  xs.filter((v) => v.rules + points(v.p, t) >= min).length / Math.max(1, xs.length);

// Candidate thresholds: the validation probabilities themselves (just above each), plus 1.
const cands = [...new Set(valParts.map((v) => v.p))].sort((a, b) => a - b).map((p) => Math.min(1, p + 1e-9));
cands.push(1.0000001);
const lowest = (ok: (c: number) => boolean) => cands.find(ok) ?? 1.0000001;
const t = { high: 1.0000001, medium: 1.0000001, low: 1.0000001 };
// Budgets are for what the model ADDS to the rule layer's own false positives.
const off = { high: 2, medium: 2, low: 2 };
const baseHigh = rate(valNeg, off, 6);
const baseMed = rate(valNeg, off, 3);
t.medium = lowest((c) => rate(valNeg, { ...t, medium: c }, 6) <= baseHigh + VAL_FPR_HIGH && rate(valNeg, { ...t, medium: c }, 3) <= baseMed + VAL_FPR_MEDIUM);
t.high = t.medium; // no separate +6 band (see MODEL_MAX_POINTS)
// No "+1 low" band: it would log most ordinary messages for nothing (the rule layer's own
// low signals are enough for the log); low = medium.
t.low = t.medium;
const round = (x: number) => Number(x.toPrecision(6));
t.medium = Math.max(t.medium, FLOOR.medium);
t.high = t.medium;
t.low = t.medium;
const thresholds = { high: round(t.high), medium: round(t.medium), low: round(t.low) };
console.error(
  `val: TPR high ${(100 * rate(valPos, thresholds, 6)).toFixed(1)}% FPR high ${(100 * rate(valNeg, thresholds, 6)).toFixed(2)}% | ` +
    `TPR med+ ${(100 * rate(valPos, thresholds, 3)).toFixed(1)}% FPR med+ ${(100 * rate(valNeg, thresholds, 3)).toFixed(2)}%`,
);

const b64 = Buffer.from(q.buffer).toString("base64");
const file = `/**
 * Generated by \`npm run train\` (scripts/train.ts) from test/eval/data/injection.jsonl:
 * fitted on split "train" (${train.length} rows: ${pos} attacks, ${neg} benign), thresholds chosen on
 * split "val" (${val.length} rows). Do not edit by hand.
 * ${DIM} int8 weights (${nonZero} non-zero) x scale; probability = sigmoid(bias + scale * sum / sqrt(n)).
 */
export const MODEL = {
  bias: ${round(bias)},
  scale: ${scale.toPrecision(8)},
  thresholds: ${JSON.stringify(thresholds).replace(/"/g, "").replace(/:/g, ": ").replace(/,/g, ", ").replace("{", "{ ").replace("}", " }")},
  weights:
    "${b64}",
};
`;
writeFileSync(join(ROOT, "worker/stages/injection/model-weights.ts"), file);
console.error(`wrote model-weights.ts: ${nonZero} non-zero weights, thresholds ${JSON.stringify(thresholds)}`);
