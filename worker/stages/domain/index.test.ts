import { describe, expect, it } from "vitest";
import { detectCriticalDomain } from "./index";

describe("detectCriticalDomain", () => {
  it.each([
    ["J'ai de la fièvre depuis trois jours, dois-je voir un médecin ?", "medical"],
    ["Quelle posologie pour le paracétamol ?", "medical"],
    ["What are the side effects of ibuprofen?", "medical"],
    ["Mon employeur menace de licenciement, que dire au tribunal des prud'hommes ?", "legal"],
    ["Can my landlord break the lease without notice? Should I get a lawyer?", "legal"],
    ["Dois-je investir mon épargne en bourse ou en assurance vie ?", "financial"],
    ["Is it a good time to take a mortgage at this interest rate?", "financial"],
    ["COMMENT DÉCLARER MES IMPÔTS ?", "financial"],
  ])("%s -> %s", (text, domain) => {
    expect(detectCriticalDomain(text)).toBe(domain);
  });

  it.each([
    "Écris un poème sur la mer",
    "Explain how a hash map works in Java",
    "Quelle est la capitale de l'Australie ?",
    "Give me a recipe for crêpes",
    "Traduis 'bonjour' en espagnol",
  ])("no domain: %s", (text) => {
    expect(detectCriticalDomain(text)).toBeNull();
  });

  it("is deterministic across calls", () => {
    const t = "Quel traitement pour le diabète ?";
    expect([detectCriticalDomain(t), detectCriticalDomain("poème"), detectCriticalDomain(t)]).toEqual(["medical", null, "medical"]);
  });
});
