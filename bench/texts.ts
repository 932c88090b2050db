/**
 * Deterministic, realistic bench text: French and English prose of a support/office chat,
 * some personal data (e-mail, phone, IBAN, card, NIR: all with valid check digits so the
 * PII stage really masks them) and code blocks. Pure: imported by Node (bench/run.ts) and
 * by the bench worker inside workerd (bench/guards-worker.ts), so both see the same text.
 */
import { mulberry32 } from "../test/support/prng";

/** The seeded PRNG of the bench texts. */
export const prng = mulberry32;

const FR = [
  "Bonjour, je prépare le rapport trimestriel de l'équipe et j'aurais besoin d'aide pour reformuler l'introduction.",
  "Le client a signalé que la facture n° 2024-118 comportait une erreur de TVA sur la ligne des frais de port.",
  "Pourriez-vous résumer les points clés de la réunion de mardi en trois phrases maximum ?",
  "Nous avons décidé de décaler la mise en production à la semaine prochaine, après la recette complète.",
  "Merci de vérifier que les montants sont cohérents avec le devis validé en septembre.",
  "J'ai l'impression que la requête est lente quand le tableau contient plus de dix mille lignes.",
  "Peux-tu m'expliquer la différence entre une fonction asynchrone et une promesse, avec un exemple simple ?",
  "La réunion avec l'équipe juridique est prévue jeudi à 14 h ; il faudra préparer la liste des questions.",
  "Voici le message que je souhaite envoyer au fournisseur, corrige les fautes et garde un ton cordial.",
  "Le taux de conversion a baissé de 3 % depuis la refonte de la page d'accueil, c'est préoccupant.",
  "Je voudrais une réponse courte : est-ce que l'on peut exporter ces données au format CSV ?",
  "Après plusieurs essais, le script échoue toujours au moment de l'écriture du fichier de sortie.",
];

const EN = [
  "Hello, I need a short summary of the attached notes for the steering committee on Friday.",
  "The deployment failed again last night, and the logs only show a timeout while connecting to the database.",
  "Could you rewrite this paragraph so it sounds friendlier but still professional?",
  "We are comparing two pricing options for the annual plan and need a clear table of pros and cons.",
  "Please check whether the numbers below add up; the total on the invoice looks wrong to me.",
  "I am trying to understand why the test passes locally but fails in the CI pipeline.",
  "Our customer asked for a refund because the order arrived two weeks late, what should we answer?",
  "Can you explain the difference between a left join and an inner join with a small example?",
  "The quarterly review is next Tuesday, so I would like a draft of the agenda by tomorrow.",
  "Thanks for the quick reply yesterday, the fix worked and the report now loads in under a second.",
  "Let me know if the migration plan below is missing an obvious step before we go live.",
  "I rewrote the function but it still returns undefined when the list is empty.",
];

/** Personal data with valid checks (Luhn, ISO 13616, NIR key). */
export const PII_VALUES = {
  email: ["claire.martin@exemple.fr", "j.doe@acme-corp.com", "support.factures@societe-demo.fr"],
  phone: ["06 12 34 56 78", "+33 6 98 76 54 32", "01 44 55 66 77"],
  iban: ["FR76 3000 6000 0112 3456 7890 189"],
  card: ["4111 1111 1111 1111", "5500 0000 0000 0004"],
  nir: ["1 85 05 78 006 084 91", "2 69 09 49 350 045 24"],
};

type PiiKind = keyof typeof PII_VALUES;
/** Gives the text to put where a personal datum of that kind goes. */
export type PiiSource = (kind: PiiKind, r: () => number) => string;

const realPii: PiiSource = (kind, r) => {
  const list = PII_VALUES[kind];
  return list[Math.floor(r() * list.length)]!;
};

const PII_SENTENCES: ((p: (k: PiiKind) => string) => string)[] = [
  (p) => `Vous pouvez me joindre au ${p("phone")} ou par e-mail à ${p("email")} si besoin.`,
  (p) => `Please send the signed copy to ${p("email")} before noon.`,
  (p) => `Le remboursement doit être versé sur le compte ${p("iban")} au nom de l'entreprise.`,
  (p) => `The payment was declined on card ${p("card")}, can you tell me why?`,
  (p) => `Mon numéro de sécurité sociale est ${p("nir")}, faut-il l'indiquer sur le formulaire ?`,
  (p) => `My direct line is ${p("phone")} in case the call drops.`,
];

const CODE = [
  "```ts\nexport async function fetchInvoices(userId: string): Promise<Invoice[]> {\n  const res = await fetch(`/api/invoices?user=${encodeURIComponent(userId)}`);\n  if (!res.ok) throw new Error(`HTTP ${res.status}`);\n  return (await res.json()) as Invoice[];\n}\n```",
  "```python\ndef total(items):\n    return sum(i[\"price\"] * i[\"qty\"] for i in items if i.get(\"qty\", 0) > 0)\n```",
  "```sql\nSELECT id, amount, created_at FROM invoices WHERE user_id = $1 ORDER BY created_at DESC LIMIT 20;\n```",
  "```js\nconst rows = data.filter((r) => r.status === \"paid\").map((r) => ({ id: r.id, total: r.amount * 1.2 }));\nconsole.log(rows.length, \"factures payées\");\n```",
  "```bash\nnpm ci && npm run build 2>&1 | tee build.log\n```",
];

const ANSWER_FR = [
  "Voici une proposition de reformulation, plus directe et plus claire pour le lecteur.",
  "En résumé, trois points ressortent : le calendrier, le budget et la répartition des tâches.",
  "Le problème vient probablement de la conversion des montants avant l'application de la TVA.",
  "Je vous conseille de vérifier d'abord la configuration, puis de relancer le traitement.",
  "N'hésitez pas à me dire si vous souhaitez une version plus courte ou plus formelle.",
];
const ANSWER_EN = [
  "Here is a clearer version of the paragraph, with the main point moved to the first sentence.",
  "The most likely cause is that the connection pool is exhausted when several jobs start at once.",
  "In short, the left join keeps every row of the first table, the inner join only the matches.",
  "You could also add a test for the empty list so the regression does not come back.",
  "Let me know if you want the same table with monthly instead of annual prices.",
];
const ANSWER_PII: ((p: string) => string)[] = [
  (p) => `J'ai bien noté le contact ${p} pour la suite des échanges.`,
  (p) => `I will use ${p} as the reference in the reply.`,
  (p) => `Pensez à confirmer ${p} avec le service concerné.`,
];

/** Cuts to exactly `n` UTF-16 units without leaving half a surrogate pair. */
function cut(text: string, n: number): string {
  let out = text.slice(0, n);
  const last = out.charCodeAt(out.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) out = out.slice(0, -1) + " ";
  return out;
}

/**
 * A user message of exactly `length` characters: prose paragraphs (French and English),
 * about one sentence in six carrying personal data, and a code block every few paragraphs.
 */
export function userMessage(length: number, seed = 1, pii: PiiSource = realPii): string {
  const r = prng(seed);
  const p = (k: PiiKind) => pii(k, r);
  // Short messages still carry one personal datum.
  const parts: string[] = [`Bonjour, pouvez-vous écrire à ${p("email")} pour confirmer le rendez-vous de jeudi ?`];
  let size = parts[0]!.length;
  let para: string[] = [];
  let lang = 0;
  while (size < length + 200) {
    const x = r();
    let s: string;
    if (x < 0.16) s = PII_SENTENCES[Math.floor(r() * PII_SENTENCES.length)]!(p);
    else if (x < 0.22 && para.length > 0) {
      parts.push(para.join(" "));
      para = [];
      s = CODE[Math.floor(r() * CODE.length)]!;
      parts.push(s);
      size += s.length + 2;
      continue;
    } else {
      const pool = lang % 2 === 0 ? FR : EN;
      s = pool[Math.floor(r() * pool.length)]!;
    }
    para.push(s);
    size += s.length + 1;
    if (para.length >= 3 + Math.floor(r() * 3)) {
      parts.push(para.join(" "));
      para = [];
      lang++;
    }
  }
  if (para.length) parts.push(para.join(" "));
  return cut(parts.join("\n\n"), length);
}

/**
 * A model answer of exactly `length` characters that mentions the given PII placeholders
 * (e.g. "[EMAIL_1]"), so the streaming restorer has work to do, with some code.
 */
export function modelAnswer(length: number, placeholders: string[], seed = 2): string {
  const r = prng(seed);
  const parts: string[] = [];
  let size = 0;
  let ph = 0;
  let lang = 0;
  while (size < length + 200) {
    const x = r();
    let s: string;
    if (x < 0.15 && placeholders.length) s = ANSWER_PII[Math.floor(r() * ANSWER_PII.length)]!(placeholders[ph++ % placeholders.length]!);
    else if (x < 0.2) s = CODE[Math.floor(r() * CODE.length)]!;
    else {
      const pool = lang++ % 3 === 2 ? ANSWER_EN : ANSWER_FR;
      s = pool[Math.floor(r() * pool.length)]!;
    }
    parts.push(s);
    size += s.length + 1;
  }
  return cut(parts.join(" "), length);
}

/** Splits a streamed answer into ~4-character chunks (the size of a model token). */
export function chunk4(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 4) out.push(text.slice(i, i + 4));
  return out;
}

/** Stand-ins for the Worker's own secret values the output filter watches for (lengths as in production). */
export function fakeSecretValues(r = prng(7)): string[] {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const rand = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");
  return [
    rand(64), // JWT_SECRET (48 bytes base64)
    rand(43), // ADMIN_TOKEN
    rand(32), // METRICS_TOKEN
    rand(32), // UPSTASH_REDIS_REST_TOKEN
    `sk-proj-${rand(48)}`, // OPENAI_API_KEY
    `sk-ant-api03-${rand(40)}`, // ANTHROPIC_API_KEY
    rand(32), // MISTRAL_API_KEY
    rand(36), // EMAIL_API_KEY
    `postgres://app:${rand(20)}@db.internal:5432/unialist`, // DATABASE_URL
    `${rand(43)}=`, // ENCRYPTION_KEYS entry
  ];
}
