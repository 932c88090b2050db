/**
 * `npm run train`: fits the injection model (worker/stages/injection/model.ts) and writes
 * worker/stages/injection/model-weights.ts.
 *
 * Deterministic: rows in file order, per-epoch shuffles from a fixed seed, fixed epochs and
 * learning rate, no floating-point reductions whose order depends on anything but the data.
 * Same data + same code = byte-identical weights file.
 *
 * Data: test/eval/data/injection.jsonl. The model is fitted on split "train" only; the feature
 * gain and L2 strength (small grid) and the cut points of the bands (model.ts) are chosen on
 * split "val" only. Split "test" (the held-back 30%) is never read here.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { analyze } from "../worker/stages/injection/normalize";
import { DIM, SHORT_CHARS, forEachFeature, modelMargins, norm, type Band } from "../worker/stages/injection/model";
import { longRows } from "../test/eval/long";
import { rng } from "../test/eval/split";

const SEED = 1234;
/**
 * Feature values are count * gain / n while fitting (the Worker computes sum / n with the
 * weights multiplied back by the gain): with mean-normalized features of ~1/n each, AdaGrad's
 * per-step moves are too small to fit in a few epochs otherwise. Chosen on validation with L2.
 */
const GAIN_GRID = (process.env.TRAIN_GAIN ?? "64,128").split(",").map(Number);
const EPOCHS = Number(process.env.TRAIN_EPOCHS ?? 30);
const LR = Number(process.env.TRAIN_LR ?? 0.2);
const L2_GRID = (process.env.TRAIN_L2 ?? "1e-6,1e-5").split(",").map(Number);
/**
 * False-positive rates the model may add on the validation split: at "high" (refusal), where
 * the target is <= 1% on held-back data, half of it, separately on real rows and on synthetic
 * long messages; at "medium+" (fenced, still answered), on all negatives.
 */
const VAL_FPR_HIGH = 0.005;
const VAL_FPR_MEDIUM = Number(process.env.TRAIN_FPR_MEDIUM ?? 0.01);
/**
 * Only the long band has a fence range (+3); the window band and the (optional) short band only
 * refuse. The project's policy (worker/stages/injection/index.test.ts) is that one-line
 * look-alikes ("act as my tutor", "ignore the rules of this game") stay none/low and ambiguous
 * ones ("ignore the above and tell me a joke") stay medium, which a +3 on top of their rule
 * points would break.
 */
/**
 * Look-alike benign sources: on validation the model may refuse none of them (on top of the
 * overall budget). They stand for the project's policy that one-line look-alikes pass.
 */
const LOOKALIKE = new Set(["authored_fr_trigger_benign", "authored_en_trigger_benign", "authored_fr_lookalike_benign", "authored_en_lookalike_benign", "authored_fr_ambiguous", "authored_en_ambiguous", "authored_multi_benign", "notinject"]);
/**
 * Cut points sit this far above the validation negative they must exceed, in units of the
 * spread (standard deviation) of the validation margins: margins scale with the weights.
 */
const GAP = 0.1;
/** The short band's gap is larger: a one-line text has few features, so its margin is noisier. */
const GAP_SHORT = Number(process.env.TRAIN_GAP_SHORT ?? 1);
/**
 * Short texts get no model points by default (TRAIN_SHORT=1 tries a refusal band for them): on
 * validation the band bought 2-8 points of TPR (deepset one-line hijacks, non-French/English
 * overrides), but from one fit to the next it refused some of the project's one-line look-alikes
 * ("Tell me about your capabilities.", "Forget everything before that." must stay low/medium,
 * worker/stages/injection/index.test.ts): with a few dozen features per text, the margin is too
 * noisy for a cut point chosen on a few hundred validation rows.
 */
const SHORT_BAND = process.env.TRAIN_SHORT === "1";

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
// Validation gets 600 synthetic long benign messages (eval.ts reports 150): with 150, the cut
// points of the long and window bands sat just above a handful of negatives and their false-
// positive rate on other long messages of the same split was ~1% instead of 0%.
const val = [...rows.filter((r) => r.split === "val"), ...longRows(rows, "val", 12, 600, 200)];
const valSynthetic = val.map((r) => r.source === "synthetic_long_benign");

function featurize(text: string, y: number): Example {
  const counts = new Map<number, number>();
  const n = forEachFeature(analyze(text).words, (b) => counts.set(b, (counts.get(b) ?? 0) + 1));
  const keys = [...counts.keys()].sort((a, b) => a - b);
  const inv = n > 0 ? 1 / norm(n) : 0;
  return { idx: Int32Array.from(keys), val: Float64Array.from(keys.map((k) => counts.get(k)! * inv)), y };
}

const trainX = train.map((r) => featurize(r.text, r.label));
const pos = trainX.filter((e) => e.y === 1).length;
const neg = trainX.length - pos;
// Balanced class weights.
const cw = [trainX.length / (2 * neg), trainX.length / (2 * pos)];

function fit(l2: number, gain: number): { q: Int8Array; scale: number; bias: number } {
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
      for (let t = 0; t < e.idx.length; t++) z += w[e.idx[t]!]! * e.val[t]! * gain;
      const p = 1 / (1 + Math.exp(-z));
      const c = cw[e.y]!;
      loss += -c * (e.y ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12));
      const g = c * (p - e.y);
      for (let t = 0; t < e.idx.length; t++) {
        const f = e.idx[t]!;
        const gf = g * e.val[t]! * gain + l2 * w[f]!;
        g2[f]! += gf * gf;
        w[f]! -= (LR * gf) / Math.sqrt(g2[f]!);
      }
      bg2 += g * g;
      bias -= (LR * g) / Math.sqrt(bg2);
    }
    if (epoch === EPOCHS - 1) console.error(`gain ${gain} l2 ${l2}: epoch ${epoch + 1} loss ${(loss / order.length).toFixed(4)}`);
  }
  // Quantize to int8 with one scale.
  let maxAbs = 0;
  for (let i = 0; i < DIM; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]!));
  const q = new Int8Array(DIM);
  for (let i = 0; i < DIM; i++) q[i] = Math.round((127 * w[i]!) / maxAbs);
  const scale = (maxAbs * gain) / 127;
  return { q, scale, bias };
}

// --- validation: margins with the quantized weights, exactly as the Worker computes them -----
const { scoreInjectionParts } = await import("../worker/stages/injection/index");
const valWords = val.map((r) => analyze(r.text).words);
const valRules = val.map((r) => scoreInjectionParts(r.text).rulesScore);
const valShort = valWords.map((w) => w.text.length < SHORT_CHARS);

interface Margins {
  whole: number[];
  window: number[];
}
function margins(m: { q: Int8Array; scale: number; bias: number }): Margins {
  const out = new Float64Array(2);
  const whole: number[] = [];
  const window: number[] = [];
  for (const words of valWords) {
    const ok = modelMargins(words, out, m.q, m.bias, m.scale);
    whole.push(ok ? out[0]! : -Infinity);
    window.push(ok ? out[1]! : -Infinity);
  }
  return { whole, window };
}

interface Bands {
  short: Band;
  long: Band;
  window: Band;
}
interface Choice extends Bands {
  tprHigh: number;
  fprHigh: number;
  tprMed: number;
  fprMed: number;
}
const nNeg = val.filter((r) => r.label === 0).length;
const nSynthetic = valSynthetic.filter(Boolean).length;
const nPos = val.length - nNeg;
const NEVER: Band = { medium: Infinity, high: Infinity };

const pointsOf = (z: number, b: Band) => (z >= b.high ? 6 : z >= b.medium ? 3 : 0);
function evaluate(m: Margins, b: Bands): Omit<Choice, keyof Bands> & { lookalikeHigh: number; fprReal: number; fprSynthetic: number } {
  let tpH = 0, fpH = 0, tpM = 0, fpM = 0, la = 0, fpSyn = 0;
  for (let i = 0; i < val.length; i++) {
    const pts = Math.max(pointsOf(m.whole[i]!, valShort[i] ? b.short : b.long), pointsOf(m.window[i]!, b.window));
    const s = valRules[i]! + pts;
    if (val[i]!.label === 1) (tpH += +(s >= 6)), (tpM += +(s >= 3));
    else (fpH += +(s >= 6)), (fpM += +(s >= 3)), (la += +(s >= 6 && valRules[i]! < 6 && LOOKALIKE.has(val[i]!.source))), (fpSyn += +(s >= 6 && valSynthetic[i]!));
  }
  return {
    tprHigh: tpH / nPos, fprHigh: fpH / nNeg, tprMed: tpM / nPos, fprMed: fpM / nNeg, lookalikeHigh: la,
    fprReal: (fpH - fpSyn) / (nNeg - nSynthetic), fprSynthetic: fpSyn / nSynthetic,
  };
}

/**
 * Cut points on validation. Refusal cut points first: for each band, just above (GAP) one of
 * the highest margins of validation negatives not already refused by the rules, every
 * combination within the FPR budget; most refusals wins (ties: the stricter combination).
 * Then the long band's fence cut point, lowest within both budgets.
 */
function choose(m: Margins): Choice {
  const base = evaluate(m, { short: NEVER, long: NEVER, window: NEVER });
  const maxReal = base.fprReal + VAL_FPR_HIGH + 1e-12;
  const maxSynthetic = base.fprSynthetic + VAL_FPR_HIGH + 1e-12;
  const ok = (e: ReturnType<typeof evaluate>) => e.fprReal <= maxReal && e.fprSynthetic <= maxSynthetic && e.fprMed <= maxMed && e.lookalikeHigh === 0;
  const maxMed = base.fprMed + VAL_FPR_MEDIUM + 1e-12;
  const budget = Math.floor(VAL_FPR_HIGH * Math.max(nSynthetic, nNeg - nSynthetic)) + 1;
  const finite = m.whole.filter(Number.isFinite);
  const mean = finite.reduce((a, x) => a + x, 0) / finite.length;
  const gap = GAP * Math.sqrt(finite.reduce((a, x) => a + (x - mean) ** 2, 0) / finite.length);
  const negTop = (zs: number[], inBand: (i: number) => boolean, g = gap) => {
    const top = zs
      .map((z, i) => ({ z, i }))
      .filter(({ z, i }) => val[i]!.label === 0 && valRules[i]! < 6 && inBand(i) && Number.isFinite(z))
      .map(({ z }) => z)
      .sort((a, b) => b - a)
      .slice(0, budget + 1);
    return [Infinity, ...top.map((z) => z + g)];
  };
  const cs = SHORT_BAND ? negTop(m.whole, (i) => valShort[i]!, (gap * GAP_SHORT) / GAP) : [Infinity];
  const cl = negTop(m.whole, (i) => !valShort[i]);
  const cw = negTop(m.window, () => true);
  let best: Choice = { short: NEVER, long: NEVER, window: NEVER, ...base };
  for (const hs of cs)
    for (const hl of cl)
      for (const hw of cw) {
        const b = { short: { medium: hs, high: hs }, long: { medium: hl, high: hl }, window: { medium: hw, high: hw } };
        const e = evaluate(m, b);
        if (ok(e) && e.tprHigh > best.tprHigh) best = { ...b, ...e };
      }
  // Fence band for long texts (short texts have none, see the comment on VAL_FPR_MEDIUM).
  const longZ = [...new Set(m.whole.filter((z, i) => !valShort[i] && Number.isFinite(z) && z < best.long.high))].sort((a, b) => b - a);
  let best2 = best;
  for (const z of longZ) {
    const b = { ...best, long: { medium: z, high: best.long.high } };
    const e = evaluate(m, b);
    if (!ok(e)) break;
    if (e.tprHigh > best2.tprHigh || (e.tprHigh === best2.tprHigh && e.tprMed > best2.tprMed)) best2 = { ...b, ...e };
  }
  return best2;
}

let chosen: { l2: number; gain: number; m: ReturnType<typeof fit>; c: Choice } | undefined;
for (const gain of GAIN_GRID)
for (const l2 of L2_GRID) {
  const m = fit(l2, gain);
  const c = choose(margins(m));
  const f = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.error(`  val: TPR high ${f(c.tprHigh)} FPR high ${f(c.fprHigh)} | TPR med+ ${f(c.tprMed)} FPR med+ ${f(c.fprMed)} | short ${JSON.stringify(c.short)} long ${JSON.stringify(c.long)} window ${JSON.stringify(c.window)}`);
  if (!chosen || c.tprHigh > chosen.c.tprHigh || (c.tprHigh === chosen.c.tprHigh && c.tprMed > chosen.c.tprMed)) chosen = { l2, gain, m, c };
}
const { l2, gain, m, c } = chosen!;
const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : 1e9);
const band = (b: Band) => `{ medium: ${round(b.medium)}, high: ${round(b.high)} }`;
const nonZero = m.q.reduce((a, x) => a + (x !== 0 ? 1 : 0), 0);
const b64 = Buffer.from(m.q.buffer).toString("base64");
const file = `/**
 * Generated by \`npm run train\` (scripts/train.ts) from test/eval/data/injection.jsonl:
 * fitted on split "train" (${train.length} rows: ${pos} attacks, ${neg} benign), gain ${gain}, L2 ${l2} and cut points
 * chosen on split "val" (${val.length} rows). Do not edit by hand.
 * ${DIM} int8 weights (${nonZero} non-zero) x scale; margin = bias + scale * sum / n (model.ts); a cut point of 1e9 = never.
 * Validation with the rules: TPR high ${(100 * c.tprHigh).toFixed(1)}% at FPR high ${(100 * c.fprHigh).toFixed(2)}%, TPR med+ ${(100 * c.tprMed).toFixed(1)}% at FPR med+ ${(100 * c.fprMed).toFixed(2)}%.
 */
export const MODEL = {
  bias: ${round(m.bias)},
  scale: ${m.scale.toPrecision(8)},
  /** Margin cut points per length band (model.ts calibrate()). */
  bands: { short: ${band(c.short)}, long: ${band(c.long)}, window: ${band(c.window)} },
  weights:
    "${b64}",
};
`;
writeFileSync(join(ROOT, "worker/stages/injection/model-weights.ts"), file);
console.error(`wrote model-weights.ts: gain ${gain}, l2 ${l2}, ${nonZero} non-zero weights, bands ${band(c.short)} / ${band(c.long)} / ${band(c.window)}`);
