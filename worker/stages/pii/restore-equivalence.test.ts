/**
 * Equivalence of the streaming restorer with its previous implementation (kept below as the
 * reference): restorePii now scans "[" ... "]" instead of a regex replace, and the restorer
 * looks for "[" in short chunks with a loop. Same output at every push, seeded random texts
 * and chunkings, mappings with keys of any shape.
 */
import { describe, expect, it } from "vitest";
import { createPiiRestorer, restorePii, type PiiMapping, type PiiRestorer } from "./index";
import { mulberry32 } from "../../../test/support/prng";

// ---------------------------------------------------------------------------------------
// Reference: restorePii and createPiiRestorer as they were.

const PLACEHOLDER_ANY = /\[[A-Z][A-Z_]*_\d+\]/g;

function referenceRestore(text: string, mapping: PiiMapping): string {
  if (!text.includes("[")) return text;
  PLACEHOLDER_ANY.lastIndex = 0;
  return text.replace(PLACEHOLDER_ANY, (p) => (Object.hasOwn(mapping, p) ? mapping[p]! : p));
}

function createReferenceRestorer(mapping: PiiMapping): PiiRestorer {
  const keys = Object.keys(mapping);
  let held = "";
  const couldComplete = (tail: string): boolean => keys.some((k) => k.length > tail.length && k.startsWith(tail));
  return {
    push(chunk: string): string {
      if (held === "" && !chunk.includes("[")) return chunk;
      const text = held + chunk;
      held = "";
      const open = text.lastIndexOf("[");
      if (open !== -1 && couldComplete(text.slice(open))) {
        held = text.slice(open);
        return referenceRestore(text.slice(0, open), mapping);
      }
      return referenceRestore(text, mapping);
    },
    flush(): string {
      const rest = held;
      held = "";
      return rest;
    },
  };
}

// ---------------------------------------------------------------------------------------


const MAPPING: PiiMapping = {
  "[EMAIL_1]": "jean@exemple.fr",
  "[EMAIL_2]": "marie@exemple.fr",
  "[PHONE_1]": "06 12 34 56 78",
  "[CREDIT_CARD_1]": "4111 1111 1111 1111",
  "[IBAN_12]": "FR76 3000 6000 0112 3456 7890 189",
  "[A_B_7]": "[EMAIL_1]", // a value that looks like a placeholder is not restored again
};
// Keys a mapping from maskPii never has: held like any other, restored only if placeholder-shaped.
const ODD_MAPPING: PiiMapping = {
  ...MAPPING, "[x]": "X", "[EMAIL_3 ]": "Y", "[_1]": "Z", "[Ab_1]": "W", "[EMAIL_]": "V", "[]": "U", "[EMAIL1]": "T", "[EMAIL_1 ": "S",
  "[E_1": "R", "[A__1]": "Q", "[A_1_]": "P", "[1_1]": "O",
};

const PIECES = [
  "[EMAIL_1]", "[EMAIL_2]", "[PHONE_1]", "[IBAN_12]", "[IBAN_1]", "[IBAN_120]", "[CREDIT_CARD_1]", "[A_B_7]", "[EMAIL_9]",
  "[x]", "[EMAIL_3 ]", "[_1]", "[Ab_1]", "[EMAIL_]", "[]", "[[", "]]", "[", "]", "_", "__", "EMAIL", "[EMAIL_", "[CREDIT_",
  "1", "12", "0", "A", "a", "x", " ", "é", "😀", "\u00a0", "texte ", "[email_1]", "[EMAIL_1 ", "[EMAIL1]", "[E_1]", "[Z_Z_99]", "[A__1]", "[A_1_]", "[1_1]", "[E_1",
];

function text(random: () => number): string {
  let out = "";
  const n = 1 + Math.floor(random() * 30);
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(random() * PIECES.length)];
  return out;
}

function chunks(s: string, random: () => number): string[] {
  const max = [1, 2, 3, 4, 8, 20, 100][Math.floor(random() * 7)]!;
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    const n = 1 + Math.floor(random() * max);
    out.push(s.slice(i, i + n));
    i += n;
  }
  return out;
}

function trace(r: PiiRestorer, parts: string[]): string[] {
  return [...parts.map((p) => r.push(p)), r.flush()];
}

describe("PII restore: same behaviour as the reference implementation", () => {
  it.each([
    ["maskPii-shaped mapping", MAPPING],
    ["keys of any shape", ODD_MAPPING],
    ["empty mapping", {}],
  ])("%s: restorePii and every push of the streaming restorer", (_name, mapping) => {
    const random = mulberry32(1130 + Object.keys(mapping).length);
    for (let n = 0; n < 3_000; n++) {
      const s = text(random);
      expect(restorePii(s, mapping), s).toBe(referenceRestore(s, mapping));
      const parts = chunks(s, random);
      expect(trace(createPiiRestorer(mapping), parts), JSON.stringify(parts)).toEqual(trace(createReferenceRestorer(mapping), parts));
    }
  });

  it.each([
    ["opening brackets", "["],
    ["brackets and letters", "[A"],
    ["an unfinished placeholder", "[EMAIL_"],
    ["placeholder-like runs", "[A_B_C_D_"],
    ["digits after a bracket", "[A_1"],
  ])("stays linear on 60,000 characters of %s (then a closing bracket)", (_name, unit) => {
    const s = unit.repeat(Math.ceil(60_000 / unit.length)) + "]";
    const started = performance.now();
    const restored = restorePii(s, MAPPING);
    // Quadratic work on 60,000 characters would take seconds; linear takes milliseconds.
    expect(performance.now() - started).toBeLessThan(500);
    expect(restored).toBe(referenceRestore(s, MAPPING));
  });

  it("long texts (the includes() path of the chunk check) behave the same", () => {
    const random = mulberry32(77);
    for (let n = 0; n < 200; n++) {
      let s = "";
      while (s.length < 400) s += text(random);
      const parts = chunks(s, random);
      expect(trace(createPiiRestorer(MAPPING), parts)).toEqual(trace(createReferenceRestorer(MAPPING), parts));
    }
  });
});
