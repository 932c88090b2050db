/**
 * Texts shared by the detectors' timing test (detectors.perf.test.ts, in workerd) and the
 * Node micro-benchmark (bench/injection-node.ts), so both time the same inputs.
 */

/** Ordinary French office prose with digits, an e-mail, a phone number and an IBAN. */
export const FRENCH_SENTENCES = [
  "Bonjour, pouvez-vous relire ce compte rendu de réunion et corriger les fautes ?",
  "Le budget 2026 prévoit 1 299,99 € par poste, commande n° 4581239904 du 12/05/2026.",
  "Merci d'écrire à camille.durand@exemple.fr ou d'appeler le 06 12 34 56 78 avant jeudi.",
  "Les consignes de sécurité ont été mises à jour ; la version 4.13.19 corrige le système de badge.",
  "IBAN du fournisseur : FR76 3000 6000 0112 3456 7890 189, à vérifier avec la comptabilité.",
  "Ignorez les remarques du brouillon précédent, elles portaient sur l'ancienne organisation.",
  "Nous avons discuté du plan de formation, du télétravail et du calendrier des congés d'été.",
] as const;

/** `parts` joined by spaces from index `seed` on, cycling, cut to exactly `len` characters. */
export function cycleTo(parts: readonly string[], len: number, seed = 0): string {
  let out = "";
  for (let i = seed; out.length < len; i++) out += parts[i % parts.length] + " ";
  return out.slice(0, len);
}

/** `unit` repeated to exactly `len` characters. */
export const fill = (unit: string, len: number) => unit.repeat(Math.ceil(len / unit.length)).slice(0, len);
