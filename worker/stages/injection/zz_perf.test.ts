import { it } from "vitest";
import { scoreInjection } from "./index";
import { sanitize } from "../sanitize/index";
it("perf probe", () => {
  const para = "Bonjour, je voudrais comprendre la facture n° 2024-118 de mon abonnement et les règles de calcul. 😊 Could you show me how to configure the system and act as a guide? ";
  const text = para.repeat(Math.ceil(10_000 / para.length)).slice(0, 10_000);
  const ascii = "Hello, I would like to understand how billing works for my subscription. I received two invoices this month. Could you explain the rules? ".repeat(80).slice(0, 10000);
  for (const [name, t] of [["text", text], ["ascii", ascii]] as const) {
    const out: string[] = [];
    let t0 = performance.now(); scoreInjection(t); out.push("first inj " + (performance.now() - t0).toFixed(2));
    t0 = performance.now(); sanitize(t); out.push("first san " + (performance.now() - t0).toFixed(2));
    for (const n of [10, 100, 1000]) {
      t0 = performance.now(); for (let i = 0; i < n; i++) scoreInjection(t); const a = (performance.now() - t0) / n;
      t0 = performance.now(); for (let i = 0; i < n; i++) sanitize(t); const b = (performance.now() - t0) / n;
      out.push(`${n}: inj ${a.toFixed(3)} san ${b.toFixed(3)}`);
    }
    console.log(name, out.join(" | "));
  }
}, 120_000);
