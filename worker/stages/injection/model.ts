/**
 * Compact learned scorer: logistic regression over hashed features of the "words" view
 * (normalize.ts: NFKC, confusables, accents and case folded, punctuation dropped).
 *
 * Features, hashed into DIM buckets: word unigrams, bigrams and trigrams (from the view's FNV
 * token hashes) and character 4- and 5-grams of the view text (spaces included, so word
 * edges count). Counts are summed and divided by the number of features (NORM_POWER). Weights
 * are int8 (one scale factor), shipped as base64 in model-weights.ts, produced by
 * `npm run train` (scripts/train.ts) from the training split only.
 *
 * The margin over the whole text, and for long texts the best margin over windows of two
 * blocks (a buried attack), are turned into a calibrated score (modelProbability) with two cut
 * points per band (short texts, long texts, windows), chosen on the validation split: score
 * >= 0.9 means "refuse on its own" (+6), >= 0.5 "fence" (+3). The shipped model gives short
 * texts (< SHORT_CHARS) no points at all: one-line look-alikes ("act as my tutor", "forget
 * everything before that") are the rule layer's call (see scripts/train.ts, SHORT_BAND).
 *
 * Cost: one pass over at most MAX_CHARS characters (~9 multiplications and 2-3 table reads per
 * character), no allocation besides the weight table decoded once at module load.
 */
import type { WordsView } from "./normalize";
import { MODEL } from "./model-weights";

export const DIM_BITS = 17;
export const DIM = 1 << DIM_BITS;
const MASK = DIM - 1;
/** Text beyond this is not read by the model (the rules still read everything). */
export const MAX_CHARS = 12_000;
/** Texts shorter than this (in the words view) use the short band's cut points. */
export const SHORT_CHARS = 200;

const P = 0x01000193;
const SALT_WORD = 0x2545f491;
const SALT_BIGRAM = 0x9e3779b1;
const SALT_TRIGRAM = 0x27d4eb2f;
const SALT_CHAR = 0x85ebca77;

/** Final mix so that nearby FNV states spread over the table. */
const bucket = (h: number) => {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) & MASK;
};

/**
 * Feature counts are divided by n ** NORM_POWER (n = number of features). With 1 (the mean),
 * a text repeated k times scores like the text itself: with sqrt(n) the margin of a long
 * benign text drifts with its length (a 170-character request repeated to 10,000 characters
 * went from -1.4 to +21.9).
 */
export const NORM_POWER = Number(1);
export const norm = (n: number) => (NORM_POWER === 1 ? n : Math.pow(n, NORM_POWER));

/** Length of a block for the windowed score: windows are two consecutive blocks. */
export const BLOCK_CHARS = 1024;

/**
 * The one pass over the text, in text order: each word's features (unigram, bigram, trigram
 * ending at it) when its last character is read, and the character 4- and 5-grams ending at each
 * position (the text padded on the left with spaces). Calls `visit(bucket)` once per feature
 * occurrence and `block()` after each BLOCK_CHARS characters; returns the number of features.
 */
export function scanFeatures(view: Pick<WordsView, "text" | "hashes">, visit: (bucket: number) => void, block?: () => void): number {
  const { text, hashes } = view;
  const len = Math.min(text.length, MAX_CHARS);
  const words = hashes.length;
  let n = 0;
  let wi = 0;
  let p1 = 0;
  let p2 = 0;
  let c1 = 32;
  let c2 = 32;
  let c3 = 32;
  let c4 = 32;
  let nextBlock = BLOCK_CHARS;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? text.charCodeAt(i) : 32;
    if (c === 32 && c4 !== 32 && wi < words) {
      // End of word wi.
      const h = hashes[wi]!;
      visit(bucket(h ^ SALT_WORD));
      n++;
      if (wi > 0) {
        visit(bucket(Math.imul(p1 ^ SALT_BIGRAM, P) ^ h));
        n++;
      }
      if (wi > 1) {
        visit(bucket(Math.imul(Math.imul(p2 ^ SALT_TRIGRAM, P) ^ p1, P) ^ h));
        n++;
      }
      p2 = p1;
      p1 = h;
      wi++;
    }
    if (i === len) break;
    let h = Math.imul(SALT_CHAR ^ c, P);
    h = Math.imul(h ^ c4, P);
    h = Math.imul(h ^ c3, P);
    h = Math.imul(h ^ c2, P);
    visit(bucket(h));
    h = Math.imul(h ^ c1, P);
    visit(bucket(h));
    n += 2;
    c1 = c2;
    c2 = c3;
    c3 = c4;
    c4 = c;
    if (i + 1 === nextBlock && block) {
      nextBlock += BLOCK_CHARS;
      block();
    }
  }
  return n;
}

/** Calls `visit(bucket)` once per feature occurrence; returns the number of features. */
export function forEachFeature(view: Pick<WordsView, "text" | "hashes">, visit: (bucket: number) => void): number {
  return scanFeatures(view, visit);
}

function decode(b64: string): Int8Array {
  const bin = atob(b64);
  const out = new Int8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = (bin.charCodeAt(i) << 24) >> 24;
  return out;
}

const WEIGHTS: Int8Array | undefined = MODEL.weights ? decode(MODEL.weights) : undefined;

/**
 * Writes the model's margins (log-odds) into out: out[0] over the whole text, out[1] the
 * highest over windows of two consecutive blocks (-Infinity when the text has fewer than three
 * blocks: the whole text is then its only window). Returns false without a model or features.
 * A buried attack is a small part of a long text's features; in its window it is not.
 */
export function modelMargins(
  view: Pick<WordsView, "text" | "hashes">,
  out: Float64Array,
  weights: Int8Array | undefined = WEIGHTS,
  bias: number = MODEL.bias,
  scale: number = MODEL.scale,
): boolean {
  const w = weights;
  if (!w || w.length !== DIM) return false;
  // Same features, in the same order, as scanFeatures() (model.test.ts checks it), inlined
  // without callbacks: closures over mutable sums cost ~2x in this loop.
  const { text, hashes } = view;
  const len = Math.min(text.length, MAX_CHARS);
  const words = hashes.length;
  let sum = 0;
  let count = 0;
  // Running totals at the last block boundary (at1) and at the one before it (at2).
  let sumAt1 = 0;
  let countAt1 = 0;
  let sumAt2 = 0;
  let countAt2 = 0;
  let boundaries = 0;
  let best = -Infinity;
  let wi = 0;
  let p1 = 0;
  let p2 = 0;
  let c1 = 32;
  let c2 = 32;
  let c3 = 32;
  let c4 = 32;
  let nextBlock = BLOCK_CHARS;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? text.charCodeAt(i) : 32;
    if (c === 32 && c4 !== 32 && wi < words) {
      const h = hashes[wi]!;
      sum += w[bucket(h ^ SALT_WORD)]!;
      count++;
      if (wi > 0) {
        sum += w[bucket(Math.imul(p1 ^ SALT_BIGRAM, P) ^ h)]!;
        count++;
      }
      if (wi > 1) {
        sum += w[bucket(Math.imul(Math.imul(p2 ^ SALT_TRIGRAM, P) ^ p1, P) ^ h)]!;
        count++;
      }
      p2 = p1;
      p1 = h;
      wi++;
    }
    if (i === len) break;
    let h = Math.imul(SALT_CHAR ^ c, P);
    h = Math.imul(h ^ c4, P);
    h = Math.imul(h ^ c3, P);
    h = Math.imul(h ^ c2, P);
    sum += w[bucket(h)]!;
    h = Math.imul(h ^ c1, P);
    sum += w[bucket(h)]!;
    count += 2;
    c1 = c2;
    c2 = c3;
    c3 = c4;
    c4 = c;
    if (i + 1 === nextBlock) {
      nextBlock += BLOCK_CHARS;
      if (boundaries >= 1) best = Math.max(best, (sum - sumAt2) / norm(count - countAt2));
      sumAt2 = sumAt1;
      countAt2 = countAt1;
      sumAt1 = sum;
      countAt1 = count;
      boundaries++;
    }
  }
  // Last window: the last whole block and the rest of the text.
  if (boundaries >= 2 && count > countAt2) best = Math.max(best, (sum - sumAt2) / norm(count - countAt2));
  if (count === 0) return false;
  out[0] = bias + (sum * scale) / norm(count);
  out[1] = len >= 3 * BLOCK_CHARS ? bias + best * scale : -Infinity;
  return true;
}

export interface Band {
  /** Margin at or above which the model fences the text (+3). */
  medium: number;
  /** Margin at or above which the model refuses the text on its own (+6). */
  high: number;
}

/**
 * Piecewise map of the margin onto 0..1 with the band's cut points at 0.5 (medium) and 0.9
 * (high). Monotone in z; 0 below the medium cut point minus 10.
 */
export function calibrate(z: number, band: Band): number {
  if (z >= band.high) return 0.9 + 0.1 * (1 - Math.exp(band.high - z));
  if (z >= band.medium) return 0.5 + (0.4 * (z - band.medium)) / Math.max(1e-9, band.high - band.medium);
  return 0.5 * Math.exp(Math.max(-10, z - band.medium));
}

const MARGINS = new Float64Array(2);

/**
 * Calibrated attack score (0..1) of the text: >= 0.5 fence, >= 0.9 refuse; 0 without a model.
 * The higher of the whole-text score (short or long band) and, for long texts, the best
 * window's score (window band).
 */
export function modelProbability(view: Pick<WordsView, "text" | "hashes">): number {
  if (!modelMargins(view, MARGINS)) return 0;
  const bands = MODEL.bands;
  const whole = calibrate(MARGINS[0]!, view.text.length < SHORT_CHARS ? bands.short : bands.long);
  const win = MARGINS[1]! > -Infinity ? calibrate(MARGINS[1]!, bands.window) : 0;
  return Math.max(whole, win);
}

/** Cut points of the calibrated score (fixed by calibrate()). */
export const SCORE_MEDIUM = 0.5;
export const SCORE_HIGH = 0.9;
/**
 * Score points the model adds: +6 (refused on its own) at or above SCORE_HIGH, +3 (fenced; a
 * refusal needs a rule signal of 3+ beside it) at or above SCORE_MEDIUM.
 */
export function modelPoints(p: number): number {
  if (p >= SCORE_HIGH) return 6;
  if (p >= SCORE_MEDIUM) return 3;
  return 0;
}
