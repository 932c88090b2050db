/**
 * Deterministic generator of the personal-data evaluation set (test/eval/data/pii.jsonl).
 *
 *   npx tsx test/eval/gen-pii.ts [seed]        (default seed 4242; the output is committed)
 *
 * Every value is synthetic: random digits with valid check digits computed here (independently
 * of worker/stages/pii), or deliberately broken ones for the hard negatives. Each row:
 *   {id, kind: "positive"|"negative", variant, text, spans: [{type, start, end}], split}
 * Spans are UTF-16 offsets into `text`, end exclusive. Negative rows have no spans; positive
 * rows may also carry distractors (dates, prices, order numbers) that must not be found.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { rng, splitOf, type Split } from "./split";

export type PiiType = "EMAIL" | "PHONE" | "NIR" | "IBAN" | "CREDIT_CARD";
export interface PiiRow {
  id: string;
  kind: "positive" | "negative";
  variant: string;
  text: string;
  spans: Array<{ type: PiiType; start: number; end: number }>;
  split: Split;
}

let R = rng(4242);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(R() * xs.length)]!;
const digit = () => String(Math.floor(R() * 10));
const digits = (n: number) => Array.from({ length: n }, digit).join("");

// --- check digits (own implementations) --------------------------------------------------
function luhnSum(d: string): number {
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let x = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      x *= 2;
      if (x > 9) x -= 9;
    }
    sum += x;
  }
  return sum % 10;
}
/** Appends the Luhn digit (valid) or a wrong one (invalid). */
function withLuhn(body: string, valid: boolean): string {
  const check = (10 - luhnSum(body + "0")) % 10;
  return body + (valid ? check : (check + 1 + Math.floor(R() * 9)) % 10);
}
const luhnOk = (d: string) => luhnSum(d) === 0;

function mod97(s: string): number {
  let r = 0;
  for (const c of s) {
    const v = /[0-9]/.test(c) ? c : String(c.charCodeAt(0) - 55);
    for (const ch of v) r = (r * 10 + Number(ch)) % 97;
  }
  return r;
}
function iban(country: string, bban: string, valid: boolean): string {
  const check = 98 - mod97(bban + country + "00");
  const cd = valid ? check : ((check + 1 + Math.floor(R() * 90)) % 97) + 2;
  return country + String(cd === check && !valid ? cd + 1 : cd).padStart(2, "0") + bban;
}
const IBAN_SPECS: Array<[string, () => string]> = [
  ["FR", () => digits(10) + digits(11) + digits(2)],
  ["DE", () => digits(18)],
  ["BE", () => digits(12)],
  ["ES", () => digits(20)],
  ["IT", () => "X" + digits(10) + digits(12)],
  ["GB", () => "NWBK" + digits(14)],
  ["LU", () => digits(3) + digits(13)],
  ["CH", () => digits(17)],
];

function nir(valid: boolean): string {
  const sex = pick(["1", "2"]);
  const yy = digits(2);
  const mm = String(1 + Math.floor(R() * 12)).padStart(2, "0");
  const corsica = R() < 0.2;
  const dept = corsica ? pick(["2A", "2B"]) : String(1 + Math.floor(R() * 95)).padStart(2, "0").replace(/^20$/, "21");
  const rest = digits(3) + digits(3);
  const body = sex + yy + mm + dept + rest;
  const numeric = body.replace("2A", "19").replace("2B", "18");
  const key = 97 - Number(BigInt(numeric) % 97n);
  const k = valid ? key : ((key + 1 + Math.floor(R() * 95)) % 97) + 1;
  return body + String(k === key && !valid ? (key % 97) + 1 : k).padStart(2, "0");
}

const CARD_PREFIXES: Array<[string, number]> = [
  ["4", 16], ["4", 16], ["51", 16], ["55", 16], ["2221", 16], ["34", 15], ["37", 15], ["6011", 16], ["4", 13],
];
function card(valid: boolean): string {
  const [p, n] = pick(CARD_PREFIXES);
  return withLuhn(p + digits(n - p.length - 1), valid);
}

// --- formatting variants -------------------------------------------------------------------
const NBSP = "\u00A0";
const NNBSP = "\u202F";
const fullWidth = (s: string) => s.replace(/[0-9+]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const group = (s: string, sizes: number[], sep: string) => {
  const out: string[] = [];
  let i = 0;
  for (const n of sizes) {
    out.push(s.slice(i, i + n));
    i += n;
  }
  if (i < s.length) out.push(s.slice(i));
  return out.filter(Boolean).join(sep);
};
const by4 = (s: string, sep: string) => s.match(/.{1,4}/g)!.join(sep);

interface Value {
  type: PiiType;
  text: string;
  variant: string;
}

function phoneValue(): Value {
  const nine = pick(["6", "7", "1", "2", "3", "4", "5", "9"]) + digits(8);
  const pairs = (s: string, sep: string) => s.match(/../g)!.join(sep);
  const v = pick(["space", "nbsp", "nnbsp", "dot", "dash", "compact", "+33", "+33(0)", "0033", "fullwidth", "intl"]);
  const nat = "0" + nine;
  switch (v) {
    case "space": return { type: "PHONE", text: pairs(nat, " "), variant: "phone_space" };
    case "nbsp": return { type: "PHONE", text: pairs(nat, NBSP), variant: "phone_nbsp" };
    case "nnbsp": return { type: "PHONE", text: pairs(nat, NNBSP), variant: "phone_nnbsp" };
    case "dot": return { type: "PHONE", text: pairs(nat, "."), variant: "phone_dot" };
    case "dash": return { type: "PHONE", text: pairs(nat, "-"), variant: "phone_dash" };
    case "compact": return { type: "PHONE", text: nat, variant: "phone_compact" };
    case "+33": return { type: "PHONE", text: `+33 ${nine[0]} ${pairs(nine.slice(1), " ")}`, variant: "phone_+33" };
    case "+33(0)": return { type: "PHONE", text: `+33 (0)${nine[0]} ${pairs(nine.slice(1), " ")}`, variant: "phone_+33(0)" };
    case "0033": return { type: "PHONE", text: `0033 ${nine[0]} ${pairs(nine.slice(1), " ")}`, variant: "phone_0033" };
    case "fullwidth": return { type: "PHONE", text: fullWidth(pairs(nat, " ")), variant: "phone_fullwidth" };
    default: {
      const [cc, body] = pick([["44", "20" + digits(8)], ["32", "4" + digits(8)], ["49", "30" + digits(8)], ["41", "7" + digits(8)], ["1", digits(10).replace(/^[01]/, "2")]]);
      return { type: "PHONE", text: `+${cc} ${group(body, [2, 4, 4], " ")}`, variant: "phone_intl" };
    }
  }
}

function nirValue(): Value {
  const n = nir(true);
  const corsica = /2[AB]/.test(n);
  const v = pick(["compact", "grouped", "nbsp", "lower"]);
  const g = (sep: string) => group(n, [1, 2, 2, 2, 3, 3, 2], sep);
  const tag = corsica ? "nir_corsica" : "nir";
  if (v === "compact") return { type: "NIR", text: n, variant: `${tag}_compact` };
  if (v === "grouped") return { type: "NIR", text: g(" "), variant: `${tag}_grouped` };
  if (v === "nbsp") return { type: "NIR", text: g(NBSP), variant: `${tag}_nbsp` };
  return { type: "NIR", text: corsica ? g(" ").toLowerCase() : g(" "), variant: `${tag}_lower` };
}

function ibanValue(): Value {
  const [c, bban] = pick(IBAN_SPECS);
  const i = iban(c, bban(), true);
  const v = pick(["grouped", "compact", "lower", "lower_grouped", "nbsp"]);
  if (v === "grouped") return { type: "IBAN", text: by4(i, " "), variant: "iban_grouped" };
  if (v === "compact") return { type: "IBAN", text: i, variant: "iban_compact" };
  if (v === "lower") return { type: "IBAN", text: i.toLowerCase(), variant: "iban_lower" };
  if (v === "lower_grouped") return { type: "IBAN", text: by4(i, " ").toLowerCase(), variant: "iban_lower_grouped" };
  return { type: "IBAN", text: by4(i, NBSP), variant: "iban_nbsp" };
}

function cardValue(): Value {
  const c = card(true);
  const amex = c.length === 15;
  const v = pick(["space", "dash", "compact", "nbsp", "fullwidth"]);
  const fmt = (sep: string) => (amex ? group(c, [4, 6, 5], sep) : c.length === 13 ? c : by4(c, sep));
  const tag = amex ? "card_amex" : "card";
  if (v === "space") return { type: "CREDIT_CARD", text: fmt(" "), variant: `${tag}_space` };
  if (v === "dash") return { type: "CREDIT_CARD", text: fmt("-"), variant: `${tag}_dash` };
  if (v === "compact") return { type: "CREDIT_CARD", text: c, variant: `${tag}_compact` };
  if (v === "nbsp") return { type: "CREDIT_CARD", text: fmt(NBSP), variant: `${tag}_nbsp` };
  return { type: "CREDIT_CARD", text: fullWidth(fmt(" ")), variant: `${tag}_fullwidth` };
}

const FIRST = ["jean", "marie", "élodie", "françois", "li", "o.brien", "anne-sophie", "k", "thomas_b", "zoé"];
const DOMAINS = ["exemple.fr", "laposte.net", "gmail.com", "mail.example.co.uk", "société.fr", "univ-lyon1.fr", "orange.fr"];
function emailValue(): Value {
  const local = pick(FIRST).normalize("NFC") + pick(["", ".", "_", "+news", "42", ".dupont"]) + (R() < 0.3 ? digits(2) : "");
  const v = pick(["plain", "upper", "plus"]);
  const t = `${local.replace(/[._+-]$/, "")}@${pick(DOMAINS)}`;
  if (v === "upper") return { type: "EMAIL", text: t.toUpperCase(), variant: "email_upper" };
  return { type: "EMAIL", text: t, variant: /[^\x00-\x7f]/.test(t) ? "email_unicode" : "email_plain" };
}

// --- hard negatives (no PII) ------------------------------------------------------------------
function negative(): { text: string; variant: string } {
  const v = pick([
    "card_bad_luhn", "iban_bad_mod97", "nir_bad_key", "order", "tracking", "date", "price", "version", "uuid", "hash",
    "isbn", "siret", "invoice", "time_range", "account_ref", "phone_short",
  ]);
  switch (v) {
    case "card_bad_luhn": {
      const c = card(false);
      return { variant: v, text: pick([`Ma carte ${by4(c, " ")} a été refusée ?`, `Le test ${c} échoue au contrôle.`, `Référence ${by4(c, "-")} sur la facture.`]) };
    }
    case "iban_bad_mod97": {
      const [c, bban] = pick(IBAN_SPECS);
      const i = iban(c, bban(), false);
      return { variant: v, text: pick([`IBAN (faux, pour un exercice) : ${by4(i, " ")}`, `Compte ${i} inconnu.`]) };
    }
    case "nir_bad_key": {
      const n = nir(false);
      return { variant: v, text: pick([`Numéro de dossier ${n}`, `Code ${group(n, [1, 2, 2, 2, 3, 3, 2], " ")} invalide`]) };
    }
    case "order": {
      let d = digits(pick([9, 10, 11, 12, 13, 14, 16]));
      if (d.length >= 13 && luhnOk(d)) d = d.slice(0, -1) + ((Number(d.at(-1)) + 1) % 10);
      return { variant: v, text: pick([`Commande n° ${d} toujours pas livrée.`, `Order #${d} shipped.`, `Ma commande ${d} est en retard`]) };
    }
    case "tracking":
      return { variant: v, text: pick([`Colis ${pick(["6A", "8R", "6C"])}${digits(11)} en transit.`, `Suivi : LA${digits(9)}FR`, `Tracking 1Z${digits(3)}AA${digits(10)}`]) };
    case "date":
      return { variant: v, text: pick([`Rendez-vous le ${digit()}${digit()}/0${1 + Math.floor(R() * 9)}/2026 à 14h30.`, `Né le 2026-05-${10 + Math.floor(R() * 18)}`, `Période du 01.02.2026 au 28.02.2026`, `le 12 03 2026 puis le 15 04 2026`]) };
    case "price":
      return { variant: v, text: pick([`Le devis est de 1${NNBSP}299,99 €.`, `Total : 12 345 678,00 € TTC`, `Prix ${digits(3)}${NBSP}${digits(3)} € HT`, `$1,234,567.89 budget`]) };
    case "version":
      return { variant: v, text: pick([`Mettre à jour vers v4.13.${digits(2)}`, `node 22.23.3 et npm 10.9.2`, `Adresse 192.168.${digit()}.${digits(2)}`, `build 2026.05.17.1234`]) };
    case "uuid": {
      const h = () => Math.floor(R() * 16).toString(16);
      const s = (n: number) => Array.from({ length: n }, h).join("");
      return { variant: v, text: `id ${s(8)}-${s(4)}-${s(4)}-${s(4)}-${s(12)}` };
    }
    case "hash": {
      const h = () => Math.floor(R() * 16).toString(16);
      return { variant: v, text: `commit ${Array.from({ length: pick([40, 64]) }, h).join("")}` };
    }
    case "isbn":
      return { variant: v, text: pick([`ISBN 978-2-07-0${digits(5)}-${digit()}`, `ISBN 978${digits(10)}`]) };
    case "siret":
      return { variant: v, text: `SIRET 8${digits(2)} ${digits(3)} ${digits(3)} ${digits(5)}` };
    case "invoice":
      return { variant: v, text: `Facture FAC-2026-${digits(6)} du ${digit()}${digit()}/05/2026, montant ${digits(3)},${digits(2)} €` };
    case "time_range":
      return { variant: v, text: `Ouvert de 08:30 à 19:00, fermé 12:00-13:30` };
    case "account_ref":
      return { variant: v, text: `Référence client ${digits(4)}-${digits(4)}-${digits(3)}` };
    default:
      return { variant: v, text: `Composez le ${pick(["3631", "112", "15", "0800", "3949"])} pour l'assistance.` };
  }
}

const CONTEXT_FR = [
  "Bonjour, vous pouvez me joindre au {v}.", "Mon numéro : {v}, merci de rappeler.", "Voici mes coordonnées : {v}.",
  "{v} — c'est bien ça ?", "Peux-tu vérifier « {v} » ?", "Écris à ({v}) avant lundi.", "Le virement part de {v} demain.",
  "Mon numéro de sécu est le {v}.", "Payez avec la carte {v} s'il vous plaît.", "{v}",
];
const CONTEXT_EN = ["Contact me at {v} please.", "My details: {v}.", "Is {v} correct?", "Send it to {v}, thanks."];
const DISTRACTORS = ["Commande n° 4581239904 du 12/05/2026.", "Total 1 299,99 €.", "Version 4.13.19.", "RDV 2026-05-17 à 14h30.", ""];

function positive(): { text: string; spans: PiiRow["spans"]; variant: string } {
  const n = R() < 0.7 ? 1 : R() < 0.7 ? 2 : 3;
  // Some messages already contain a literal placeholder: restoring must not rewrite it.
  let text = R() < 0.04 ? `Note : ne touche pas à [${pick(["EMAIL", "PHONE", "IBAN", "NIR", "CREDIT_CARD"])}_1] ni à [EMAIL_2]. ` : "";
  const prefixed = text !== "";
  const spans: PiiRow["spans"] = [];
  const variants: string[] = [];
  for (let k = 0; k < n; k++) {
    const val = pick([phoneValue, nirValue, ibanValue, cardValue, emailValue])();
    const ctx = pick(R() < 0.8 ? CONTEXT_FR : CONTEXT_EN);
    const [before, after] = ctx.split("{v}") as [string, string];
    if (text && !(prefixed && k === 0)) text += pick([" ", "\n", " Et aussi : ", ". "]);
    text += before;
    spans.push({ type: val.type, start: text.length, end: text.length + val.text.length });
    text += val.text + after;
    variants.push(val.variant);
    if (R() < 0.3) text += " " + pick(DISTRACTORS);
  }
  return { text, spans, variant: (prefixed ? "placeholder_literal+" : "") + variants.join("+") };
}

export function generate(seed = 4242, nPos = 1600, nNeg = 1600): PiiRow[] {
  R = rng(seed);
  const rows: PiiRow[] = [];
  const seen = new Set<string>();
  for (let i = 0; rows.length < nPos; i++) {
    const p = positive();
    if (seen.has(p.text)) continue;
    seen.add(p.text);
    rows.push({ id: `pos-${i}`, kind: "positive", variant: p.variant, text: p.text, spans: p.spans, split: splitOf(p.text) });
  }
  for (let i = 0; rows.length < nPos + nNeg; i++) {
    const parts = [negative()];
    if (R() < 0.3) parts.push(negative());
    const text = parts.map((p) => p.text).join(" ");
    if (seen.has(text)) continue;
    seen.add(text);
    rows.push({ id: `neg-${i}`, kind: "negative", variant: parts.map((p) => p.variant).join("+"), text, spans: [], split: splitOf(text) });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seed = Number(process.argv[2] ?? 4242);
  const rows = generate(seed);
  // Self-check: every span must cut the text where the generator put the value.
  for (const r of rows) for (const s of r.spans) if (s.start < 0 || s.end > r.text.length || s.start >= s.end) throw new Error(`bad span in ${r.id}`);
  writeFileSync(join(import.meta.dirname, "data", "pii.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const c = (k: string, s: string) => rows.filter((r) => r.kind === k && r.split === s).length;
  console.log(`pii.jsonl: ${rows.length} rows; positives train/val/test ${c("positive", "train")}/${c("positive", "val")}/${c("positive", "test")}; negatives ${c("negative", "train")}/${c("negative", "val")}/${c("negative", "test")}`);
}
