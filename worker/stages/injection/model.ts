/**
 * Compact learned scorer: logistic regression over hashed features of the "words" view
 * (normalize.ts: NFKC, confusables, accents and case folded, punctuation dropped).
 *
 * Features, hashed into DIM buckets: word unigrams and bigrams (from the view's FNV token
 * hashes) and character 4-grams of the view text (spaces included, so word edges count).
 * Counts are summed and divided by sqrt(number of features): long and short texts land on
 * the same scale. Weights are int8 (one scale factor), shipped as base64 in model-weights.ts,
 * produced by `npm run train` (scripts/train.ts) from the training split only.
 *
 * Cost: one pass over at most MAX_CHARS characters, no allocation besides the weight table
 * decoded once at module load.
 */
import type { WordsView } from "./normalize";
import { MODEL } from "./model-weights";

export const DIM_BITS = 16;
export const DIM = 1 << DIM_BITS;
const MASK = DIM - 1;
/** Text beyond this is not read by the model (the rules still read everything). */
export const MAX_CHARS = 12_000;
/**
 * Shorter texts (in the words view) get no model points. Short messages are the rule layer's
 * job: on them the model, trained on few benign chat-style requests, confuses ordinary
 * imperative requests ("translate this", "act as my tutor") with attacks. Long texts are where
 * it pays: in-the-wild jailbreaks (personas, "DAN" variants) are long and worded freely.
 */
export const MIN_CHARS = 200;

const SALT_BIGRAM = 0x9e3779b1;
const SALT_CHAR = 0x85ebca77;

/** Calls `visit(bucket)` once per feature occurrence; returns the number of features. */
export function forEachFeature(view: Pick<WordsView, "text" | "hashes">, visit: (bucket: number) => void): number {
  const { text, hashes } = view;
  let n = 0;
  const words = Math.min(hashes.length, MAX_CHARS);
  let prev = 0;
  for (let i = 0; i < words; i++) {
    const h = hashes[i]!;
    visit(h & MASK);
    if (i > 0) visit((Math.imul(prev ^ SALT_BIGRAM, 0x01000193) ^ h) & MASK);
    prev = h;
    n += i > 0 ? 2 : 1;
  }
  const len = Math.min(text.length, MAX_CHARS);
  if (len >= 4) {
    let c0 = 32;
    let c1 = text.charCodeAt(0);
    let c2 = text.charCodeAt(1);
    let c3 = text.charCodeAt(2);
    for (let i = 3; i < len; i++) {
      c0 = c1;
      c1 = c2;
      c2 = c3;
      c3 = text.charCodeAt(i);
      let h = Math.imul(SALT_CHAR ^ c0, 0x01000193);
      h = Math.imul(h ^ c1, 0x01000193);
      h = Math.imul(h ^ c2, 0x01000193);
      h = Math.imul(h ^ c3, 0x01000193);
      visit((h ^ (h >>> 16)) & MASK);
      n++;
    }
  }
  return n;
}

function decode(b64: string): Int8Array {
  const bin = atob(b64);
  const out = new Int8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = (bin.charCodeAt(i) << 24) >> 24;
  return out;
}

const WEIGHTS: Int8Array | undefined = MODEL.weights ? decode(MODEL.weights) : undefined;

/** Probability (0..1) that the text is an injection or jailbreak attempt; 0 without a model. */
export function modelProbability(view: Pick<WordsView, "text" | "hashes">): number {
  const w = WEIGHTS;
  if (!w || w.length !== DIM || view.text.length < MIN_CHARS) return 0;
  let sum = 0;
  const n = forEachFeature(view, (b) => {
    sum += w[b]!;
  });
  if (n === 0) return 0;
  const z = MODEL.bias + (sum * MODEL.scale) / Math.sqrt(n);
  return 1 / (1 + Math.exp(-z));
}

/**
 * Score points the model adds (MODEL.thresholds, tuned on the validation split). At most +3:
 * the model alone only fences a message as data (medium); a refusal (high) still needs a rule
 * signal of 3+ points beside it. Its false positives on long benign text (see test/eval/README.md)
 * are too frequent for it to refuse on its own.
 */
export const MODEL_MAX_POINTS = 3;
export function modelPoints(p: number): number {
  const t = MODEL.thresholds;
  if (p >= t.medium) return MODEL_MAX_POINTS;
  return 0;
}
