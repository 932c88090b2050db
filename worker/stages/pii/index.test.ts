import { describe, expect, it } from "vitest";
import { createPiiRestorer, detectPii, maskPii, restorePii, type PiiMapping, type PiiType } from "./index";
import { ibanChecksumValid, luhnValid, nirKeyValid } from "./checksums";
import { mulberry32 } from "../../../test/support/prng";

const NBSP = "\u00A0";
const NNBSP = "\u202F";


function splitFixed(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function splitRandom(text: string, random: () => number, maxChunk: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const n = 1 + Math.floor(random() * maxChunk);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

function restoreStreaming(chunks: string[], mapping: PiiMapping): string {
  const r = createPiiRestorer(mapping);
  return chunks.map((c) => r.push(c)).join("") + r.flush();
}

/** The single span found in `text`, checked against its own offsets. */
function only(text: string) {
  const spans = detectPii(text);
  expect(spans, JSON.stringify(spans)).toHaveLength(1);
  const s = spans[0]!;
  expect(text.slice(s.start, s.end)).toBe(s.value);
  return s;
}

function expectOne(text: string, type: PiiType, value: string) {
  const s = only(text);
  expect(s.type).toBe(type);
  expect(s.value).toBe(value);
  expect(s.start).toBe(text.indexOf(value));
  expect(s.end).toBe(text.indexOf(value) + value.length);
}

describe("checksums", () => {
  it("Luhn", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
  });
  it("IBAN mod 97", () => {
    expect(ibanChecksumValid("FR7630006000011234567890189")).toBe(true);
    expect(ibanChecksumValid("FR7630006000011234567890188")).toBe(false);
    expect(ibanChecksumValid("GB82WEST12345698765432")).toBe(true);
  });
  it("NIR key, Corsica counted as 19/18", () => {
    expect(nirKeyValid("184127645108946")).toBe(true);
    expect(nirKeyValid("184127645108947")).toBe(false);
    expect(nirKeyValid("290052A00412352")).toBe(true);
    expect(nirKeyValid("175112B03301207")).toBe(true);
    expect(nirKeyValid("175112B03301208")).toBe(false);
  });
});

describe("detectPii: EMAIL", () => {
  it.each([
    ["Écrivez à jean.dupont@example.fr merci", "jean.dupont@example.fr"],
    ["Mail: Jean.Dupont+tag@Sub.Example.CO.UK.", "Jean.Dupont+tag@Sub.Example.CO.UK"],
    ["<marie_curie-1867@labo.paris>", "marie_curie-1867@labo.paris"],
    ["(contact: élodie.müller@exemple.fr)", "élodie.müller@exemple.fr"],
    ["adresse a.b@x-y.z.com, puis rien", "a.b@x-y.z.com"],
  ])("%s", (text, value) => expectOne(text, "EMAIL", value));

  it("full-width @ is normalized for detection, offsets stay on the original", () => {
    const text = "mail jean\uFF20example.fr !";
    expectOne(text, "EMAIL", "jean\uFF20example.fr");
  });

  it.each(["user@localhost", "@handle sur twitter", "a@b", "x@.fr", "prix 10@20 €", "nom@domaine.", "...@example.fr"])(
    "not an email: %s",
    (text) => expect(detectPii(text)).toEqual([]),
  );
});

describe("detectPii: PHONE", () => {
  it.each([
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "0612345678",
    "+33 6 12 34 56 78",
    "+33612345678",
    "+33 (0)6 12 34 56 78",
    "0033 6 12 34 56 78",
    "+33 1 42 68 53 00",
    "01 42 68 53 00",
    "09.70.12.34.56",
    `06${NBSP}12${NBSP}34${NBSP}56${NBSP}78`,
    `06${NNBSP}12${NNBSP}34${NNBSP}56${NNBSP}78`,
    `+33${NBSP}6${NBSP}12${NBSP}34${NBSP}56${NBSP}78`,
    "\uFF10\uFF16\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17\uFF18",
    "\uFF10\uFF16 \uFF11\uFF12 \uFF13\uFF14 \uFF15\uFF16 \uFF17\uFF18",
    "\uFF0B\uFF13\uFF13\uFF16\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17\uFF18",
    "+44 20 7946 0958",
    "+44 (0)20 7946 0958",
    "+14155552671",
    "+1 415-555-2671",
    "+49 30 901820",
    "+81 3-1234-5678",
  ])("%s", (value) => {
    expectOne(`Appelez-moi au ${value}, merci.`, "PHONE", value);
    expectOne(value, "PHONE", value);
  });

  it.each([
    "4155552671", // 10 digits, no 0 and no +: not a French number
    "1234567890",
    "06 12 34 56", // too short
    "061234567", // 9 digits
    "06123456789", // 11 digits
    "06 12.34-56 78", // mixed separators
    "01-02-2026 12", // a date followed by a number
    "+33 12", // incomplete
    "+1 234", // E.164 needs at least 8 digits
    "+12345678901234567", // more than 15 digits
    "ref06 12 34 56 78", // glued to a word
    "00 12 34 56 78", // 00 is not a French prefix
  ])("not a phone: %s", (text) => expect(detectPii(text).filter((s) => s.type === "PHONE")).toEqual([]));

  it("a stray digit after a space does not hide the number", () => {
    expectOne("06 12 34 56 78 9 fois", "PHONE", "06 12 34 56 78");
  });
});

describe("detectPii: NIR", () => {
  it.each([
    "1 84 12 76 451 089 46",
    "184127645108946",
    `1${NBSP}84${NBSP}12${NBSP}76${NBSP}451${NBSP}089${NBSP}46`,
    "2 90 05 2A 004 123 52",
    "2 90 05 2a 004 123 52",
    "1 75 11 2B 033 012 07",
    "2 85 03 971 23 456 76",
    "156057512304562",
  ])("%s", (value) => {
    expectOne(`Mon numéro de sécu : ${value}.`, "NIR", value);
  });

  it.each([
    "1 84 12 76 451 089 47", // wrong key
    "184127645108945",
    "2 90 05 2A 004 123 53",
    "1 75 11 2B 033 012 08",
    "5 84 12 76 451 089 46", // 5 is not a sex/status digit
    "1 84 12 76 451 089", // no key
  ])("not a NIR: %s", (text) => expect(detectPii(text)).toEqual([]));
});

describe("detectPii: IBAN", () => {
  it.each([
    "FR76 3000 6000 0112 3456 7890 189",
    "FR7630006000011234567890189",
    "fr76 3000 6000 0112 3456 7890 189",
    `FR76${NBSP}3000${NBSP}6000${NBSP}0112${NBSP}3456${NBSP}7890${NBSP}189`,
    "DE89 3704 0044 0532 0130 00",
    "GB82 WEST 1234 5698 7654 32",
    "gb82west12345698765432",
    "BE68 5390 0754 7034",
    "NL91 ABNA 0417 1643 00",
    "ES91 2100 0418 4502 0005 1332",
    "IT60 X054 2811 1010 0000 0123 456",
    "CH93 0076 2011 6238 5295 7",
    "NO93 8601 1117 947",
    "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
    "LC55 HEMM 0001 0001 0012 0012 0002 3015",
    "BR15 0000 0000 0000 1093 2840 814 P2",
  ])("%s", (value) => {
    expectOne(`Virement sur ${value} avant lundi`, "IBAN", value);
  });

  it("ends at the country's length even when followed by more words", () => {
    expectOne("IBAN FR76 3000 6000 0112 3456 7890 189 merci beaucoup", "IBAN", "FR76 3000 6000 0112 3456 7890 189");
  });

  it("two IBANs in a row are both found", () => {
    const text = "DE89 3704 0044 0532 0130 00 GB82 WEST 1234 5698 7654 32";
    expect(detectPii(text).map((s) => s.value)).toEqual(["DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32"]);
  });

  it.each([
    "FR76 3000 6000 0112 3456 7890 188", // mod 97 fails
    "FR7630006000011234567890180",
    "DE89 3704 0044 0532 0130 01",
    "XX89 3704 0044 0532 0130 00", // unknown country
    "FR76 3000 6000 0112 3456 7890 1890", // too long for FR
    "FR76 3000 6000 0112 3456 7890", // too short for FR
  ])("not an IBAN: %s", (text) => expect(detectPii(text).filter((s) => s.type === "IBAN")).toEqual([]));
});

describe("detectPii: CREDIT_CARD", () => {
  it.each([
    "4111 1111 1111 1111", // Visa
    "4111-1111-1111-1111",
    "4111111111111111",
    "4222222222222", // Visa 13
    "4012 8888 8888 1881",
    "5555 5555 5555 4444", // Mastercard
    "2223 0031 2200 3222", // Mastercard 2-series
    "3782 822463 10005", // Amex 4-6-5
    "371449635398431",
    "6011 1111 1111 1117", // Discover
    "3530 1113 3330 0000", // JCB
    "3056 930902 5904", // Diners 4-6-4
    "6200 0000 0000 0005", // UnionPay
    "6759 6498 2643 8453", // Maestro
    `4111${NBSP}1111${NBSP}1111${NBSP}1111`,
    "\uFF14\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11",
  ])("%s", (value) => {
    expectOne(`Ma carte ${value} expire bientôt`, "CREDIT_CARD", value);
  });

  it("a stray number after the card does not hide it", () => {
    expectOne("carte 4111 1111 1111 1111 2 fois", "CREDIT_CARD", "4111 1111 1111 1111");
  });

  it.each([
    "4111 1111 1111 1112", // Luhn fails
    "4111111111111112",
    "5555 5555 5555 4445",
    "3782 822463 10006",
    "4111 1111 1111 111", // 15 digits Visa
    "9111 1111 1111 1111", // no issuer starts with 9 (Luhn-valid: 9111111111111110 below)
    "9111111111111110",
    "4111 1111-1111 1111", // mixed separators
  ])("not a card: %s", (text) => expect(detectPii(text).filter((s) => s.type === "CREDIT_CARD")).toEqual([]));
});

describe("detectPii: hard negatives", () => {
  it.each([
    "Commande n° 2026-004512 du 29/11/2026",
    "Référence CMD20261129-0042, facture FA-2026-000123456",
    "Commande 123456789012 expédiée",
    "Suivi La Poste : LA123456789FR, Colissimo 6A12345678901",
    "Suivi UPS 1Z999AA10123456784, DHL 1234567890",
    "Chronopost XY123456789FR",
    "Le 2026-11-29 à 14:30, puis le 29/11/2026 et le 29.11.2026",
    "Total : 1 234,56 € TTC (soit 1234.56 EUR), acompte 12 345 678,90 €",
    "Version 1.2.3.4, build 20261129.1, Node 22.23.3",
    "UUID 550e8400-e29b-41d4-a716-446655440000 et 123e4567-e89b-12d3-a456-426614174000",
    "SHA-256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "MD5 d41d8cd98f00b204e9800998ecf8427e, commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "ISBN 978-2-07-036822-8 ou 9782070368228, ISBN-10 2-07-036822-X",
    "Numéro de lot 4155552671 et code postal 75011",
    "Coordonnées GPS 48.8566, 2.3522 ; altitude 35 m",
    "Matricule 1234567890123456789012345",
    "Tél. interne 4521, poste 12",
    "Heure 06:12:34:56:78",
    "IP 192.168.100.200 et 2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "Le 06/12/2034 à 15:56:78",
    "Carte 4111 1111 1111 1112, IBAN FR76 3000 6000 0112 3456 7890 188, NIR 1 84 12 76 451 089 47",
  ])("%s", (text) => expect(detectPii(text)).toEqual([]));
});

describe("detectPii: prescan limits", () => {
  // The prescan skips the numeric scans below 8 digits: the shortest number (an
  // international phone with 8 digits) must still be found, full-width digits counted.
  it("an 8-digit international phone is found; 7 digits are not a phone", () => {
    expectOne("Appelez le +1 234 5678 demain", "PHONE", "+1 234 5678");
    expect(detectPii("Appelez le +1 234 567 demain")).toEqual([]);
  });

  it("full-width digits count towards the numeric and IBAN scans", () => {
    expectOne("tél \uFF10\uFF16 12 34 56 78", "PHONE", "\uFF10\uFF16 12 34 56 78");
    expectOne("IBAN FR76 3000 6000 0112 3456 7890 189.", "IBAN", "FR76 3000 6000 0112 3456 7890 189");
    expectOne("IBAN FR\uFF17\uFF16 3000 6000 0112 3456 7890 189.", "IBAN", "FR\uFF17\uFF16 3000 6000 0112 3456 7890 189");
  });
});

describe("detectPii: spans", () => {
  it("sorted, non-overlapping, exact offsets across types", () => {
    const text =
      `Bonjour, je suis joignable au 06${NBSP}12${NBSP}34${NBSP}56${NBSP}78 ou à jean@exemple.fr. ` +
      "IBAN FR76 3000 6000 0112 3456 7890 189, carte 4111 1111 1111 1111, NIR 1 84 12 76 451 089 46 🙂 " +
      "et mon collègue : +44 20 7946 0958.";
    const spans = detectPii(text);
    expect(spans.map((s) => s.type)).toEqual(["PHONE", "EMAIL", "IBAN", "CREDIT_CARD", "NIR", "PHONE"]);
    for (const s of spans) expect(text.slice(s.start, s.end)).toBe(s.value);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    expect(spans[5]!.start).toBe(text.indexOf("+44"));
  });

  it("offsets are UTF-16 offsets after astral characters", () => {
    const text = "😀😀 a@b.fr";
    const [s] = detectPii(text);
    expect(s).toEqual({ type: "EMAIL", start: 5, end: 11, value: "a@b.fr" });
  });

  it("text without digits or @ is skipped", () => {
    expect(detectPii("Bonjour, comment allez-vous ?")).toEqual([]);
    expect(detectPii("")).toEqual([]);
  });

  it("masks a 10,000-character message well under 0.3 ms", () => {
    const prose =
      "Je souhaiterais obtenir des précisions sur le fonctionnement de votre service, notamment la manière " +
      "dont les données sont conservées en 2026 et les délais de réponse habituels (environ 48 h ?). ";
    const text = (prose.repeat(60).slice(0, 9_930) + " Contact : jean.dupont@example.fr ou 06 12 34 56 78.").slice(0, 10_000);
    expect(maskPii(text).counts).toMatchObject({ EMAIL: 1, PHONE: 1 });
    for (let i = 0; i < 50; i++) maskPii(text); // warm up the JIT
    // The clock is coarse in workerd (about 1 ms): time a batch.
    const n = 300;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) maskPii(text);
    const perCall = (performance.now() - t0) / n;
    expect(perCall).toBeLessThan(0.3);
  });

  it("stays linear on adversarial inputs (no catastrophic backtracking)", () => {
    const inputs = [
      "a".repeat(10_000),
      "1".repeat(10_000),
      "a@".repeat(5_000),
      `${"a.".repeat(5_000)}@x`,
      `x@${"a-".repeat(5_000)}`,
      "aa11".repeat(2_500),
      "0".repeat(10_000),
      "+1 ".repeat(3_333),
      "1 ".repeat(5_000),
      "FR76 ".repeat(2_000),
      "4111 ".repeat(2_000),
    ];
    // Workerd's clock does not advance during synchronous work, so the bound is the test
    // timeout: quadratic behaviour on 10k characters would take seconds per input.
    for (const text of inputs) for (let i = 0; i < 20; i++) detectPii(text);
  });
});

describe("maskPii", () => {
  it("numbers placeholders per type, per distinct value", () => {
    const text = "a@x.fr, b@x.fr, 06 12 34 56 78, A@X.FR";
    const { masked, mapping, counts } = maskPii(text);
    expect(masked).toBe("[EMAIL_1], [EMAIL_2], [PHONE_1], [EMAIL_1]");
    expect(mapping).toEqual({ "[EMAIL_1]": "a@x.fr", "[EMAIL_2]": "b@x.fr", "[PHONE_1]": "06 12 34 56 78" });
    expect(counts).toEqual({ EMAIL: 3, PHONE: 1, NIR: 0, IBAN: 0, CREDIT_CARD: 0 });
  });

  it("same value written twice gets the same placeholder", () => {
    const { masked } = maskPii("Carte 4111 1111 1111 1111. Je répète : 4111 1111 1111 1111.");
    expect(masked).toBe("Carte [CREDIT_CARD_1]. Je répète : [CREDIT_CARD_1].");
  });

  it("values are compared normalized (phone digits, IBAN case/spaces, email case)", () => {
    const { masked, mapping } = maskPii(
      "06 12 34 56 78 / +33 6 12 34 56 78 / 0612345678 / FR76 3000 6000 0112 3456 7890 189 / fr7630006000011234567890189 / 4111-1111-1111-1111 / 4111111111111111",
    );
    expect(masked).toBe("[PHONE_1] / [PHONE_1] / [PHONE_1] / [IBAN_1] / [IBAN_1] / [CREDIT_CARD_1] / [CREDIT_CARD_1]");
    // The mapping keeps the first spelling.
    expect(mapping["[PHONE_1]"]).toBe("06 12 34 56 78");
    expect(mapping["[IBAN_1]"]).toBe("FR76 3000 6000 0112 3456 7890 189");
  });

  it("different values get _1 and _2", () => {
    const { masked } = maskPii("NIR 1 84 12 76 451 089 46 et 2 90 05 2A 004 123 52");
    expect(masked).toBe("NIR [NIR_1] et [NIR_2]");
  });

  it("text without PII is returned as is", () => {
    const r = maskPii("Rien à masquer le 29/11/2026.");
    expect(r).toEqual({ masked: "Rien à masquer le 29/11/2026.", mapping: {}, counts: { EMAIL: 0, PHONE: 0, NIR: 0, IBAN: 0, CREDIT_CARD: 0 } });
  });

  it("skips placeholder numbers the user typed literally", () => {
    const text = "Le modèle a écrit [EMAIL_1] ; mon adresse est moi@exemple.fr";
    const { masked, mapping } = maskPii(text);
    expect(masked).toBe("Le modèle a écrit [EMAIL_1] ; mon adresse est [EMAIL_2]");
    expect(restorePii(masked, mapping)).toBe(text);
  });

  it("round trip: restorePii(mask(x)) === x", () => {
    const texts = [
      "",
      "Bonjour !",
      "Écrivez à jean.dupont@example.fr ou appelez le 06 12 34 56 78.",
      `Tél${NBSP}: +33${NBSP}6${NBSP}12${NBSP}34${NBSP}56${NBSP}78, IBAN fr76 3000 6000 0112 3456 7890 189`,
      "Carte 3782 822463 10005 et 4111-1111-1111-1111, NIR 2 90 05 2A 004 123 52.",
      "Deux fois : a@b.fr, a@b.fr ; et [PHONE_1] tapé à la main, puis 0612345678.",
      "😀 ０６１２３４５６７８ 😀 x@y.org",
      "[EMAIL_1][EMAIL_2] a@b.fr c@d.fr [EMAIL_3",
    ];
    for (const text of texts) {
      const { masked, mapping } = maskPii(text);
      expect(restorePii(masked, mapping)).toBe(text);
      expect(restoreStreaming(splitFixed(masked, 1), mapping)).toBe(text);
    }
  });
});

describe("restorePii / createPiiRestorer", () => {
  const mapping: PiiMapping = {
    "[EMAIL_1]": "jean@exemple.fr",
    "[EMAIL_2]": "marie@exemple.fr",
    "[PHONE_1]": "06 12 34 56 78",
    "[CREDIT_CARD_1]": "4111 1111 1111 1111",
    "[IBAN_12]": "FR76 3000 6000 0112 3456 7890 189",
  };
  const answer =
    "Bien sûr ! J'ai noté [EMAIL_1] et [PHONE_1]. [EMAIL_9] n'existe pas, [EMAIL_2][EMAIL_1] collés, " +
    "[CREDIT_CARD_1] et [IBAN_12] ; crochets [ normaux ], [EMAIL_1 incomplet, [[PHONE_1]], [IBAN_1] et [IBAN_120]. Fin [EMAIL_";

  it("restores known placeholders, keeps unknown ones", () => {
    expect(restorePii("[EMAIL_1] / [EMAIL_9] / [FOO_1] / [PHONE_1]", mapping)).toBe(
      "jean@exemple.fr / [EMAIL_9] / [FOO_1] / 06 12 34 56 78",
    );
  });

  it.each([1, 2, 3, 7])("chunks of %i characters give the same text as restorePii", (size) => {
    expect(restoreStreaming(splitFixed(answer, size), mapping)).toBe(restorePii(answer, mapping));
  });

  it("random splits (seeded) give the same text as restorePii", () => {
    const random = mulberry32(20261129);
    const expected = restorePii(answer, mapping);
    for (let run = 0; run < 200; run++) {
      expect(restoreStreaming(splitRandom(answer, random, 12), mapping)).toBe(expected);
    }
  });

  it("text without [ passes through immediately", () => {
    const r = createPiiRestorer(mapping);
    expect(r.push("Bonjour ")).toBe("Bonjour ");
    expect(r.push("à tous")).toBe("à tous");
    expect(r.flush()).toBe("");
  });

  it("holds back only a possible placeholder prefix", () => {
    const r = createPiiRestorer(mapping);
    expect(r.push("voici [EM")).toBe("voici ");
    expect(r.push("AIL_")).toBe("");
    expect(r.push("1")).toBe("");
    expect(r.push("] ok")).toBe("jean@exemple.fr ok");
    // "[" followed by something no placeholder starts with is released at once.
    expect(r.push("[ a")).toBe("[ a");
    expect(r.push("[x")).toBe("[x");
    // A prefix of no placeholder of this mapping is not held either.
    expect(r.push("[EMAIL_9")).toBe("[EMAIL_9");
    expect(r.push("[NIR_")).toBe("[NIR_");
    expect(r.push("[IBAN_1")).toBe("");
    expect(r.push("0]")).toBe("[IBAN_10]");
    expect(r.push("[PHONE")).toBe("");
    expect(r.flush()).toBe("[PHONE");
  });

  it("the hold-back never exceeds the longest placeholder", () => {
    // Identity mapping: output length equals consumed input, so held = pushed - emitted.
    const identity = Object.fromEntries(Object.keys(mapping).map((k) => [k, k]));
    const longest = Math.max(...Object.keys(mapping).map((k) => k.length));
    const r = createPiiRestorer(identity);
    let pushed = 0;
    let emitted = 0;
    let maxHeld = 0;
    for (const c of answer) {
      pushed += c.length;
      emitted += r.push(c).length;
      maxHeld = Math.max(maxHeld, pushed - emitted);
    }
    emitted += r.flush().length;
    expect(emitted).toBe(pushed);
    expect(maxHeld).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThan(longest);
  });

  it("an empty mapping never holds anything", () => {
    const r = createPiiRestorer({});
    expect(r.push("[EMAIL_")).toBe("[EMAIL_");
    expect(r.push("1]")).toBe("1]");
  });

  it("random texts with random placeholders, random chunking", () => {
    const random = mulberry32(42);
    const pieces = ["[EMAIL_1]", "[EMAIL_2]", "[PHONE_1]", "[IBAN_12]", "[", "]", "_", "EMAIL", "[EMAIL_", "1", "x", " ", "é", "😀", "[CREDIT_CARD_1]", "[CREDIT_"];
    for (let run = 0; run < 300; run++) {
      let text = "";
      const n = 1 + Math.floor(random() * 30);
      for (let i = 0; i < n; i++) text += pieces[Math.floor(random() * pieces.length)];
      expect(restoreStreaming(splitRandom(text, random, 5), mapping)).toBe(restorePii(text, mapping));
    }
  });
});

describe("degenerate input stays linear", () => {
  it.each([
    ["digits", "7"],
    ["spaces", " "],
    ["at signs", "@"],
    ["NBSP-separated digit groups", "12\u00a034\u00a0"],
    ["e-mail-like fragments", "a@1"],
    ["IBAN-like groups", "FR76 "],
    ["digits and dashes", "1-"],
  ])("40,000 characters of %s", (_name, unit) => {
    const text = unit.repeat(Math.ceil(40_000 / unit.length)).slice(0, 40_000);
    const started = performance.now();
    const r = maskPii(text);
    // Quadratic work on 40,000 characters would take seconds; linear takes milliseconds.
    expect(performance.now() - started).toBeLessThan(1500);
    expect(restorePii(r.masked, r.mapping)).toBe(text);
  });
});
