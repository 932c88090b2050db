/**
 * The alerter with an injected recording fetch (no sink needed) and the real Redis
 * (through the test bridge) for dedupe. Subjects are unique per test.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../env";
import { createAlerter, MAX_ALERT_TEXT, type FetchLike } from "./alerts";
import { createLogger } from "./log";
import { getRedis, redisKey } from "./redis";

const SLACK = "http://slack.test/services/T000/B000/webhook-secret-path";
const MAIL = "http://mail.test/v1/send";
const EMAIL_KEY = "email-api-key-0123456789";

function config(overrides: Record<string, unknown> = {}): Config {
  return loadConfig({
    ...(env as unknown as Record<string, unknown>),
    SLACK_WEBHOOK_URL: SLACK,
    EMAIL_API_URL: MAIL,
    EMAIL_API_KEY: EMAIL_KEY,
    ALERT_EMAIL_TO: "ops@unialist.test",
    ...overrides,
  });
}

interface Call {
  url: string;
  method?: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  signal?: AbortSignal | null;
}

function recorder(respond: (url: string) => Response | Promise<Response> = () => new Response("ok")) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({
      url,
      method: init.method,
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: JSON.parse(String(init.body)),
      signal: init.signal,
    });
    return respond(url);
  };
  return { calls, fetch };
}

function setup(opts: { cfg?: Config; respond?: (url: string) => Response | Promise<Response>; timeoutMs?: number } = {}) {
  const cfg = opts.cfg ?? config();
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const log = createLogger({}, "debug", (l) => {
    raw.push(l);
    lines.push(JSON.parse(l));
  });
  const { calls, fetch } = recorder(opts.respond);
  const alerter = createAlerter({ config: cfg, redis: getRedis(cfg), log, fetch, timeoutMs: opts.timeoutMs });
  return { cfg, alerter, calls, lines, raw };
}

const subject = () => `provider-${crypto.randomUUID()}`;

describe("channels and payloads", () => {
  it("sends an ops alert to Slack ({text}) and to the ops email ({to, subject, text}, Bearer key)", async () => {
    const { alerter, calls, lines } = setup();
    const s = subject();
    const r = await alerter.send({ kind: "circuit_open", subject: s, severity: "critical", text: "Circuit open after 5 consecutive failures." });
    expect(r).toEqual({ sent: true, deduped: false });
    expect(calls).toHaveLength(2);

    const slack = calls.find((c) => c.url === SLACK)!;
    expect(slack.method).toBe("POST");
    expect(slack.headers["content-type"]).toBe("application/json");
    expect(slack.headers.authorization).toBeUndefined();
    expect(Object.keys(slack.body)).toEqual(["text"]);
    expect(slack.body.text).toBe(`[Unialist] CRITICAL circuit_open: ${s}\nCircuit open after 5 consecutive failures.`);
    expect(slack.signal).toBeInstanceOf(AbortSignal);

    const mail = calls.find((c) => c.url === MAIL)!;
    expect(mail.method).toBe("POST");
    expect(mail.headers.authorization).toBe(`Bearer ${EMAIL_KEY}`);
    expect(mail.headers["content-type"]).toBe("application/json");
    expect(mail.body).toEqual({ to: "ops@unialist.test", subject: `[Unialist] CRITICAL circuit_open: ${s}`, text: "Circuit open after 5 consecutive failures." });

    expect(lines.some((l) => l.level === "error" && l.msg === "alert" && l.kind === "circuit_open" && l.subject === s)).toBe(true);
  });

  it("sends a user notice by email to the user only, never to Slack, and does not log the address", async () => {
    const { alerter, calls, raw } = setup();
    const r = await alerter.send({
      kind: "budget_warning",
      subject: `user-${crypto.randomUUID()}`,
      severity: "warning",
      text: "You have used 80% of your monthly budget.",
      email: { to: "alice@example.test" },
      title: "Unialist: 80% of your monthly budget used",
    });
    expect(r).toEqual({ sent: true, deduped: false });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(MAIL);
    expect(calls[0]!.body).toEqual({ to: "alice@example.test", subject: "Unialist: 80% of your monthly budget used", text: "You have used 80% of your monthly budget." });
    expect(raw.join("\n")).not.toContain("alice@example.test");
  });

  it("uses only the channels that are configured", async () => {
    const slackOnly = setup({ cfg: config({ EMAIL_API_URL: "", ALERT_EMAIL_TO: "" }) });
    expect(await slackOnly.alerter.send({ kind: "redis_down", subject: subject(), severity: "critical", text: "x" })).toEqual({ sent: true, deduped: false });
    expect(slackOnly.calls.map((c) => c.url)).toEqual([SLACK]);

    const noOpsAddress = setup({ cfg: config({ SLACK_WEBHOOK_URL: "", ALERT_EMAIL_TO: "" }) });
    expect(await noOpsAddress.alerter.send({ kind: "redis_down", subject: subject(), severity: "critical", text: "x" })).toEqual({ sent: false, deduped: false });
    expect(noOpsAddress.calls).toHaveLength(0);
    expect(noOpsAddress.lines.some((l) => l.msg === "no alert channel configured")).toBe(true);
  });

  it("cuts the text to 1,000 characters, keeps the subject line on one line and escapes Slack control sequences", async () => {
    const { alerter, calls } = setup();
    await alerter.send({ kind: "injection_burst", subject: `a\r\nBcc: evil@example.test ${crypto.randomUUID()}`, severity: "warning", text: `<!channel> ${"x".repeat(5000)}` });
    const mail = calls.find((c) => c.url === MAIL)!;
    expect((mail.body.text as string).length).toBe(MAX_ALERT_TEXT);
    expect((mail.body.text as string).endsWith("…")).toBe(true);
    expect(mail.body.subject).not.toMatch(/[\r\n]/);
    const slack = calls.find((c) => c.url === SLACK)!;
    expect(slack.body.text).not.toContain("<!channel>");
    expect(slack.body.text).toContain("&lt;!channel&gt;");
    expect((slack.body.text as string).length).toBeLessThanOrEqual(1201);
  });
});

describe("dedupe", () => {
  it("sends the same kind and subject once per window, under a hashed key with a TTL", async () => {
    const { cfg, alerter, calls } = setup();
    const s = subject();
    expect(await alerter.send({ kind: "circuit_open", subject: s, severity: "critical", text: "one" })).toEqual({ sent: true, deduped: false });
    expect(await alerter.send({ kind: "circuit_open", subject: s, severity: "critical", text: "two" })).toEqual({ sent: false, deduped: true });
    expect(calls).toHaveLength(2); // Slack + email of the first only

    const hash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, "0")).join("");
    const ttl = await getRedis(cfg).ttl(redisKey(cfg, "alert", "circuit_open", hash));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it("sends a different subject, and a different kind with the same subject", async () => {
    const { alerter, calls } = setup();
    const s = subject();
    expect((await alerter.send({ kind: "circuit_open", subject: s, severity: "critical", text: "a" })).sent).toBe(true);
    expect((await alerter.send({ kind: "circuit_open", subject: subject(), severity: "critical", text: "b" })).sent).toBe(true);
    expect((await alerter.send({ kind: "outbox_backlog", subject: s, severity: "warning", text: "c" })).sent).toBe(true);
    expect(calls).toHaveLength(6);
  });

  it("uses the configured window", async () => {
    const { cfg, alerter } = setup({ cfg: config({ ALERT_DEDUPE_SECONDS: "120" }) });
    const s = subject();
    await alerter.send({ kind: "high_cost_user", subject: s, severity: "warning", text: "a" });
    const hash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, "0")).join("");
    const ttl = await getRedis(cfg).ttl(redisKey(cfg, "alert", "high_cost_user", hash));
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it("sends anyway when Redis is down (fail open), each time, and logs why", async () => {
    const { alerter, calls, lines } = setup({ cfg: config({ UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" }) });
    const s = subject();
    expect(await alerter.send({ kind: "redis_down", subject: s, severity: "critical", text: "Redis unreachable." })).toEqual({ sent: true, deduped: false });
    expect(await alerter.send({ kind: "redis_down", subject: s, severity: "critical", text: "Redis unreachable." })).toEqual({ sent: true, deduped: false });
    expect(calls).toHaveLength(4);
    expect(lines.filter((l) => l.msg === "alert dedupe unavailable, sending anyway")).toHaveLength(2);
  });

  it("sends without dedupe when no Redis client is given", async () => {
    const cfg = config();
    const { calls, fetch } = recorder();
    const alerter = createAlerter({ config: cfg, redis: null, log: createLogger({}, "error", () => {}), fetch });
    const s = subject();
    await alerter.send({ kind: "key_rotation_due", subject: s, severity: "warning", text: "a" });
    await alerter.send({ kind: "key_rotation_due", subject: s, severity: "warning", text: "a" });
    expect(calls).toHaveLength(4);
  });
});

describe("failures never reach the caller", () => {
  it("logs a refused channel without its URL, and releases the dedupe key when nothing was delivered", async () => {
    let status = 500;
    const { alerter, calls, lines, raw } = setup({ respond: () => new Response("no", { status }) });
    const s = subject();
    expect(await alerter.send({ kind: "secret_in_output", subject: s, severity: "critical", text: "a" })).toEqual({ sent: false, deduped: false });
    expect(lines.filter((l) => l.msg === "alert channel refused" && l.status === 500)).toHaveLength(2);
    expect(raw.join("\n")).not.toContain("webhook-secret-path");
    expect(raw.join("\n")).not.toContain(EMAIL_KEY);

    status = 200;
    expect(await alerter.send({ kind: "secret_in_output", subject: s, severity: "critical", text: "a" })).toEqual({ sent: true, deduped: false });
    expect(calls).toHaveLength(4);
  });

  it("counts a partial delivery as sent (and keeps the dedupe key)", async () => {
    const { alerter } = setup({ respond: (url) => (url === SLACK ? new Response("ok") : new Response("down", { status: 503 })) });
    const s = subject();
    expect(await alerter.send({ kind: "budget_blocked", subject: s, severity: "warning", text: "a" })).toEqual({ sent: true, deduped: false });
    expect(await alerter.send({ kind: "budget_blocked", subject: s, severity: "warning", text: "a" })).toEqual({ sent: false, deduped: true });
  });

  it("survives a fetch that throws", async () => {
    const { alerter, lines, raw } = setup({ respond: () => Promise.reject(new TypeError("network down")) });
    expect(await alerter.send({ kind: "outbox_backlog", subject: subject(), severity: "warning", text: "a" })).toEqual({ sent: false, deduped: false });
    expect(lines.filter((l) => l.msg === "alert channel failed" && l.errorMessage === "network down")).toHaveLength(2);
    expect(raw.join("\n")).not.toContain("webhook-secret-path");
  });

  it("gives up on a slow channel after the timeout", async () => {
    const hang = (url: string, init: RequestInit) =>
      new Promise<Response>((_, reject) => {
        init.signal?.addEventListener("abort", () => reject(init.signal!.reason));
        void url;
      });
    const cfg = config();
    const lines: Record<string, unknown>[] = [];
    const alerter = createAlerter({ config: cfg, redis: getRedis(cfg), log: createLogger({}, "debug", (l) => lines.push(JSON.parse(l))), fetch: hang, timeoutMs: 100 });
    const started = Date.now();
    expect(await alerter.send({ kind: "key_rotation_critical", subject: subject(), severity: "critical", text: "a" })).toEqual({ sent: false, deduped: false });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(lines.filter((l) => l.msg === "alert channel failed")).toHaveLength(2);
  });
});
