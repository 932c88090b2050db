/**
 * Moderation stage: rules and verdicts, the deadline, both implementations (OpenAI against
 * the provider double, Workers AI with a fake AI binding), and the output windows with a
 * scripted classifier (delay bound, leak bound, final check, failure policies).
 */
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { ConfigError, loadConfig, type Config } from "../../env";
import {
  createOutputGate, decide, DEFAULT_MODERATION_RULES, moderatorFor, ModerationUnavailable, runModeration,
  type ModerationResult, type Moderator, type Verdict,
} from "./index";
import { createOpenAIModerator } from "./openai";
import { createWorkersAiModerator, parseLlamaGuard, type AiBinding } from "./workers-ai";

const config = loadConfig(env);
const rules = DEFAULT_MODERATION_RULES;
const withSettings = (overrides: Record<string, unknown>) => loadConfig({ ...env, ...overrides });

describe("rules and verdicts", () => {
  it("blocks severe categories, flags the others, ignores scores under the threshold", () => {
    expect(decide({ violence: 0.98, hate: 0.1 }, rules)).toEqual({ action: "block", blocked: ["violence"], flagged: [], scores: { violence: 0.98 } });
    expect(decide({ hate: 0.98 }, rules)).toMatchObject({ action: "flag", blocked: [], flagged: ["hate"] });
    expect(decide({ "self-harm": 0.9, "sexual/minors": 0.6 }, rules)).toMatchObject({ action: "block", blocked: ["sexual/minors"], flagged: ["self-harm"] });
    expect(decide({ violence: 0.79, sexual: 0.5 }, rules)).toMatchObject({ action: "allow", blocked: [], flagged: [] });
    expect(decide({}, rules).action).toBe("allow");
  });

  it("MODERATION_RULES_JSON replaces the table; a malformed one is a ConfigError naming the key only", () => {
    expect(config.MODERATION_RULES_JSON).toEqual(DEFAULT_MODERATION_RULES);
    const custom = withSettings({ MODERATION_RULES_JSON: '{"hate":{"threshold":0.5,"action":"block"}}' });
    expect(custom.MODERATION_RULES_JSON).toEqual({ hate: { threshold: 0.5, action: "block" } });
    expect(decide({ violence: 1, hate: 0.6 }, custom.MODERATION_RULES_JSON)).toMatchObject({ action: "block", blocked: ["hate"] });
    for (const bad of ["not json", '{"violense":{"threshold":0.5,"action":"block"}}', '{"hate":{"threshold":2,"action":"block"}}', '{"hate":{"threshold":0.5,"action":"delete"}}']) {
      let err: unknown;
      try {
        withSettings({ MODERATION_RULES_JSON: bad });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).keys).toEqual(["MODERATION_RULES_JSON"]);
    }
  });

  it("has safe defaults: openai provider, 1.5 s deadline, input fails closed, output fails open, 400-character windows", () => {
    // The test bindings raise MODERATION_TIMEOUT_MS for load tests: read the defaults without it.
    expect(withSettings({ MODERATION_TIMEOUT_MS: undefined })).toMatchObject({
      MODERATION_PROVIDER: "openai", MODERATION_TIMEOUT_MS: 1500, MODERATION_INPUT_FAILURE: "closed",
      MODERATION_OUTPUT_FAILURE: "open", MODERATION_OUTPUT_WINDOW_CHARS: 1600,
    });
    expect(moderatorFor(withSettings({ MODERATION_PROVIDER: "off" }), env)).toBeNull();
    expect(moderatorFor(withSettings({ MODERATION_PROVIDER: "workers-ai" }), env)?.name).toBe("workers-ai");
    expect(moderatorFor(config, env)?.name).toBe("openai");
  });
});

describe("runModeration: the deadline and failures never throw", () => {
  const fixed = (f: Moderator["moderate"]): Moderator => ({ name: "fake", moderate: f });

  it("a verdict, a timeout, an error, a misconfiguration", async () => {
    expect(await runModeration(fixed(async () => ({ violence: 0.9 })), { direction: "input", texts: ["x"] }, { timeoutMs: 500, rules }))
      .toMatchObject({ ok: true, verdict: { action: "block", blocked: ["violence"] } });
    let aborted = false;
    const slow = fixed((req) => new Promise((resolve) => {
      req.signal.addEventListener("abort", () => (aborted = true));
      setTimeout(() => resolve({}), 5000);
    }));
    const t0 = Date.now();
    expect(await runModeration(slow, { direction: "input", texts: ["x"] }, { timeoutMs: 100, rules })).toEqual({ ok: false, reason: "timeout" });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(aborted).toBe(true); // the late request is cancelled
    expect(await runModeration(fixed(async () => { throw new Error("boom"); }), { direction: "input", texts: ["x"] }, { timeoutMs: 500, rules })).toEqual({ ok: false, reason: "error" });
    expect(await runModeration(fixed(async () => { throw new ModerationUnavailable("misconfigured", "no key"); }), { direction: "input", texts: ["x"] }, { timeoutMs: 500, rules }))
      .toEqual({ ok: false, reason: "misconfigured" });
  });
});

describe("OpenAI implementation (against the provider double)", () => {
  const live = (): Config => ({ ...config, OPENAI_BASE_URL: `${inject("doubleUrl")}/v1` });

  it("returns per-category scores from omni-moderation-latest", async () => {
    const bodies: any[] = [];
    const spy = ((input: RequestInfo | URL, init?: RequestInit) => {
      bodies.push(JSON.parse(String(init?.body)));
      return fetch(input, init);
    }) as typeof fetch;
    const m = createOpenAIModerator(live(), { fetch: spy });
    const scores = await m.moderate({ direction: "input", texts: ["Bonjour __flag_violence__"], signal: new AbortController().signal });
    expect(scores.violence).toBe(0.98);
    expect(scores.hate).toBeLessThan(0.01);
    expect(bodies[0]).toEqual({ model: "omni-moderation-latest", input: "Bonjour __flag_violence__" });
    // Several texts: one call, the highest score per category.
    const many = await m.moderate({ direction: "input", texts: ["calme", "__flag_hate__"], signal: new AbortController().signal });
    expect(many).toMatchObject({ hate: 0.98, violence: 0.0001 });
    expect(bodies[1].input).toEqual(["calme", "__flag_hate__"]);
  });

  it("fails on an HTTP error and without a key (misconfigured)", async () => {
    const m = createOpenAIModerator(live());
    await expect(m.moderate({ direction: "input", texts: ["__mod_fail__"], signal: new AbortController().signal })).rejects.toThrow();
    const noKey = createOpenAIModerator({ ...live(), OPENAI_API_KEY: undefined });
    const r = await runModeration(noKey, { direction: "input", texts: ["x"] }, { timeoutMs: 1000, rules });
    expect(r).toEqual({ ok: false, reason: "misconfigured" });
  });

  it("one plain POST to {base}/moderations with the key; a refused key is misconfigured, an answer without results unusable", async () => {
    const seen: { url: string; headers: Headers }[] = [];
    const answering = (status: number, body: unknown) => ((input: RequestInfo | URL, init?: RequestInit) => {
      seen.push({ url: String(input), headers: new Headers(init?.headers) });
      return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } }));
    }) as typeof fetch;
    const cfg = { ...live(), OPENAI_BASE_URL: "https://mod.example/v1/" };
    const req = () => ({ direction: "input" as const, texts: ["x"], signal: new AbortController().signal });
    const ok = createOpenAIModerator(cfg, { fetch: answering(200, { results: [{ category_scores: { violence: 0.5, hate: 0.2 } }] }) });
    expect(await ok.moderate(req())).toEqual({ violence: 0.5, hate: 0.2 });
    expect(seen[0]!.url).toBe("https://mod.example/v1/moderations");
    expect(seen[0]!.headers.get("authorization")).toBe(`Bearer ${cfg.OPENAI_API_KEY}`);
    const refused = createOpenAIModerator(cfg, { fetch: answering(401, { error: { message: "bad key" } }) });
    expect(await runModeration(refused, req(), { timeoutMs: 1000, rules })).toEqual({ ok: false, reason: "misconfigured" });
    for (const bad of [{}, { results: [] }, { results: [{}] }, null]) {
      const m = createOpenAIModerator(cfg, { fetch: answering(200, bad) });
      expect(await runModeration(m, req(), { timeoutMs: 1000, rules }), JSON.stringify(bad)).toEqual({ ok: false, reason: "error" });
    }
  });
});

describe("Workers AI implementation (fake AI binding)", () => {
  function fakeAi(answer: unknown | ((inputs: any) => unknown)) {
    const calls: { model: string; inputs: any; options?: { signal?: AbortSignal } }[] = [];
    const ai: AiBinding = {
      async run(model, inputs, options) {
        calls.push({ model, inputs, options });
        return typeof answer === "function" ? (answer as (i: any) => unknown)(inputs) : answer;
      },
    };
    return { ai, calls };
  }

  it("parses Llama Guard's text and object answers onto our categories", () => {
    expect(parseLlamaGuard({ response: "safe" })).toEqual({});
    expect(parseLlamaGuard({ response: "\nunsafe\nS1,S10" })).toEqual({ violence: 1, hate: 1 });
    expect(parseLlamaGuard({ response: "unsafe\nS4" })).toEqual({ "sexual/minors": 1 });
    expect(parseLlamaGuard({ response: "unsafe\nS6" })).toEqual({}); // specialized advice: no counterpart
    expect(parseLlamaGuard({ response: { safe: false, categories: ["S11", "S12"] } })).toEqual({ "self-harm": 1, sexual: 1 });
    expect(parseLlamaGuard({ response: { safe: true, categories: [] } })).toEqual({});
    for (const bad of [{ response: "maybe" }, {}, null, { response: 42 }, { response: { categories: ["S1"] } }]) {
      expect(() => parseLlamaGuard(bad), JSON.stringify(bad)).toThrow();
    }
  });

  it("classifies the message as a user turn, an answer as the assistant turn after its message", async () => {
    const { ai, calls } = fakeAi({ response: "unsafe\nS1" });
    const m = createWorkersAiModerator(config, ai);
    const r = await runModeration(m, { direction: "input", texts: ["un", "deux"] }, { timeoutMs: 1000, rules });
    expect(r).toMatchObject({ ok: true, verdict: { action: "block", blocked: ["violence"] } });
    expect(calls[0]!.model).toBe("@cf/meta/llama-guard-3-8b");
    expect(calls[0]!.inputs).toEqual({ messages: [{ role: "user", content: "un\n\ndeux" }] });
    expect(calls[0]!.options?.signal).toBeInstanceOf(AbortSignal);
    await runModeration(m, { direction: "output", texts: ["la réponse"], context: "la question [EMAIL_1]" }, { timeoutMs: 1000, rules });
    expect(calls[1]!.inputs).toEqual({ messages: [{ role: "user", content: "la question [EMAIL_1]" }, { role: "assistant", content: "la réponse" }] });
  });

  it("flag vs block by the same rules; a model override; failures", async () => {
    const hate = createWorkersAiModerator(config, fakeAi({ response: "unsafe\nS10" }).ai);
    expect(await runModeration(hate, { direction: "input", texts: ["x"] }, { timeoutMs: 1000, rules })).toMatchObject({ ok: true, verdict: { action: "flag", flagged: ["hate"] } });
    const { ai, calls } = fakeAi({ response: "safe" });
    await createWorkersAiModerator({ ...config, MODERATION_MODEL: "@cf/meta/llama-guard-4" }, ai).moderate({ direction: "input", texts: ["x"], signal: new AbortController().signal });
    expect(calls[0]!.model).toBe("@cf/meta/llama-guard-4");
    const missing = createWorkersAiModerator(config, undefined);
    expect(await runModeration(missing, { direction: "input", texts: ["x"] }, { timeoutMs: 1000, rules })).toEqual({ ok: false, reason: "misconfigured" });
    const garbage = createWorkersAiModerator(config, fakeAi({ response: "je ne sais pas" }).ai);
    expect(await runModeration(garbage, { direction: "input", texts: ["x"] }, { timeoutMs: 1000, rules })).toEqual({ ok: false, reason: "error" });
    const broken = createWorkersAiModerator(config, { run: async () => { throw new Error("3040: capacity"); } });
    expect(await runModeration(broken, { direction: "input", texts: ["x"] }, { timeoutMs: 1000, rules })).toEqual({ ok: false, reason: "error" });
    // Through the config: MODERATION_PROVIDER=workers-ai reads the env's AI binding.
    const viaEnv = moderatorFor(withSettings({ MODERATION_PROVIDER: "workers-ai" }), { ...env, AI: fakeAi({ response: "unsafe\nS1" }).ai });
    expect(await viaEnv!.moderate({ direction: "input", texts: ["x"], signal: new AbortController().signal })).toEqual({ violence: 1 });
  });
});

describe("output windows", () => {
  const allow: Verdict = { action: "allow", blocked: [], flagged: [], scores: {} };
  const tick = () => new Promise((r) => setTimeout(r, 0));

  /** A classifier whose answers the test releases by hand. */
  function scripted() {
    const pending: { text: string; resolve: (r: ModerationResult) => void; signal: AbortSignal }[] = [];
    const seen: string[] = [];
    const check = (text: string, signal: AbortSignal) => new Promise<ModerationResult>((resolve) => {
      seen.push(text);
      pending.push({ text, resolve, signal });
    });
    const answer = async (r: ModerationResult | ((text: string) => ModerationResult)) => {
      const p = pending.shift();
      if (!p) throw new Error("no check pending");
      p.resolve(typeof r === "function" ? r(p.text) : r);
      await tick();
    };
    return { check, pending, seen, answer };
  }
  const ok: ModerationResult = { ok: true, verdict: allow };
  const verdictFor = (text: string): ModerationResult =>
    text.includes("BAD")
      ? { ok: true, verdict: { action: "block", blocked: ["violence"], flagged: [], scores: { violence: 0.98 } } }
      : text.includes("MEH") ? { ok: true, verdict: { action: "flag", blocked: [], flagged: ["hate"], scores: { hate: 0.9 } } } : ok;

  it("no delay before the first window: text is released at once, without waiting for any check", async () => {
    const s = scripted();
    const gate = createOutputGate({ windowChars: 100, failure: "open", check: s.check });
    expect(gate.push("Bonjour ")).toBe("Bonjour "); // synchronous: no await per delta while within the window
    expect(gate.push("x".repeat(92))).toBe("x".repeat(92)); // exactly one window, no check answered yet
    expect(gate.push("y")).toBeInstanceOf(Promise); // one past the window: waits for the first check
    expect(s.pending.map((x) => x.text.length)).toEqual([100]); // the first window is being checked meanwhile
  });

  it("never shows more than one window beyond the last clean check, checks overlapping half windows", async () => {
    const s = scripted();
    const W = 100;
    const gate = createOutputGate({ windowChars: W, failure: "open", check: s.check });
    const text = Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, "0")}-`.padEnd(10, ".")).join(""); // 400 characters
    let shown = "";
    let vetted = 0;
    const chunks = text.match(/.{1,10}/g)!;
    for (const chunk of chunks) {
      const p = Promise.resolve(gate.push(chunk)).then((out) => (shown += out));
      // Answer checks only while the gate waits (push not settled), like a slow classifier.
      for (let i = 0; i < 10; i++) {
        await tick();
        const settled = await Promise.race([p.then(() => true), tick().then(() => false)]);
        if (settled) break;
        const end = text.indexOf(s.pending[0]!.text) + s.pending[0]!.text.length;
        await s.answer(ok);
        vetted = Math.max(vetted, end);
      }
      await p;
      expect(shown.length).toBeLessThanOrEqual(vetted + W);
      expect(text.startsWith(shown)).toBe(true);
    }
    const rest = gate.finish().then((r) => (shown += r));
    while (s.pending.length) await s.answer(ok);
    await rest;
    expect(shown).toBe(text);
    // Each check repeats the last half window of the previous one (text across a boundary is seen whole),
    // checks are about one window long, and together they cover the whole answer.
    const spans = s.seen.map((t) => [text.indexOf(t), text.indexOf(t) + t.length] as const);
    expect(spans[0]![0]).toBe(0);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBe(Math.max(0, spans[i - 1]![1] - W / 2));
    expect(spans.every(([a, b]) => b - a <= W + 10)).toBe(true);
    expect(spans[spans.length - 1]![1]).toBe(text.length);
  });

  it("a flagged window stops the answer: nothing beyond one window past it is ever shown, onBlocked once", async () => {
    const s = scripted();
    const blocked: unknown[] = [];
    const gate = createOutputGate({ windowChars: 100, failure: "open", check: s.check, onBlocked: (b) => blocked.push(b) });
    const text = `${"a".repeat(230)}BAD${"z".repeat(400)}`;
    let shown = "";
    for (const chunk of text.match(/.{1,10}/g)!) {
      const p = Promise.resolve(gate.push(chunk)).then((out) => (shown += out));
      while (await Promise.race([p.then(() => false), tick().then(() => true)])) {
        if (!s.pending.length) break;
        await s.answer(verdictFor);
      }
      await p;
    }
    expect(await gate.finish()).toBe("");
    expect(gate.state.blocked).toEqual({ kind: "flagged", categories: ["violence"], scores: { violence: 0.98 } });
    expect(blocked).toHaveLength(1);
    expect(shown.length).toBeLessThanOrEqual(text.indexOf("BAD") + 100);
    expect(shown).not.toContain("z".repeat(100));
    expect(await gate.push("more")).toBe("");
  });

  it("`done` only after every character was checked: the final partial window is checked too", async () => {
    const s = scripted();
    const gate = createOutputGate({ windowChars: 400, failure: "open", check: s.check });
    expect(await gate.push("Court. BAD")).toBe("Court. BAD"); // within the first window: shown at once
    const fin = gate.finish();
    expect(s.seen).toEqual(["Court. BAD"]);
    await s.answer(verdictFor);
    expect(await fin).toBe("");
    expect(gate.state.blocked?.kind).toBe("flagged");
    // A clean short answer: one final check, then the rest.
    const s2 = scripted();
    const g2 = createOutputGate({ windowChars: 400, failure: "open", check: s2.check });
    await g2.push("Bonjour MEH");
    const fin2 = g2.finish();
    await s2.answer(verdictFor);
    expect(await fin2).toBe("");
    expect([...g2.state.flagged]).toEqual(["hate"]);
    expect(g2.state.blocked).toBeUndefined();
    expect(await createOutputGate({ windowChars: 400, failure: "open", check: s2.check }).finish()).toBe(""); // empty answer: no check
    expect(s2.seen).toHaveLength(1);
  });

  it("failure `open`: the rest goes unchecked (no more checks, no more delay), marked unmoderated", async () => {
    const s = scripted();
    const gate = createOutputGate({ windowChars: 100, failure: "open", check: s.check });
    let shown = await gate.push("x".repeat(100));
    const p = Promise.resolve(gate.push("y".repeat(50))).then((o) => (shown += o));
    await tick();
    await s.answer({ ok: false, reason: "timeout" });
    await p;
    const checks = gate.state.checks;
    shown += await gate.push("z".repeat(500));
    shown += await gate.finish();
    expect(shown).toBe(`${"x".repeat(100)}${"y".repeat(50)}${"z".repeat(500)}`);
    expect(gate.state.unmoderated).toBe("timeout");
    expect(gate.state.checks).toBe(checks);
    expect(gate.state.blocked).toBeUndefined();
  });

  it("failure `closed`: the answer stops", async () => {
    const s = scripted();
    const gate = createOutputGate({ windowChars: 100, failure: "closed", check: s.check });
    await gate.push("x".repeat(100));
    const p = gate.push("y".repeat(50));
    await tick();
    await s.answer({ ok: false, reason: "error" });
    expect(await p).toBe("");
    expect(gate.state.blocked).toEqual({ kind: "unavailable", reason: "error" });
  });

  it("the caller's abort cancels checks in flight and ignores their results", async () => {
    const s = scripted();
    const ctl = new AbortController();
    const blocked: unknown[] = [];
    const gate = createOutputGate({ windowChars: 100, failure: "closed", check: s.check, signal: ctl.signal, onBlocked: (b) => blocked.push(b) });
    await gate.push("x".repeat(100));
    const p = gate.push("y".repeat(50));
    await tick();
    ctl.abort();
    expect(s.pending.every((x) => x.signal.aborted)).toBe(true);
    await s.answer({ ok: false, reason: "error" });
    while (s.pending.length) await s.answer({ ok: false, reason: "error" });
    expect(await p).toBe("");
    expect(blocked).toEqual([]);
  });
});
