/**
 * Operational alerts and user notices: Slack incoming webhook and an HTTP email API,
 * deduplicated per kind + subject per window in Redis.
 *
 * - Ops alerts (no `email`): Slack (POST `{text}` to SLACK_WEBHOOK_URL) and email to
 *   ALERT_EMAIL_TO (POST `{to, subject, text}` to EMAIL_API_URL with
 *   `Authorization: Bearer EMAIL_API_KEY`), each only when configured.
 * - User notices (`email: { to }`, e.g. a budget warning): email to that address only,
 *   never to Slack (the address and the notice are the user's, not the ops channel's).
 * - Content: the caller passes safe text (no secrets, no user-written text); it is still
 *   cut to 1,000 characters, and the email subject line is kept to one short line (no CR/LF).
 * - Dedupe: `SET <prefix>alert:<kind>:<sha256(subject)> 1 NX EX <ALERT_DEDUPE_SECONDS>`.
 *   When every configured channel failed, the key is deleted again so the next attempt
 *   retries. Every alert that passes dedupe is also logged (warn / error).
 * - FAILURE POLICY: an alerter never throws into the chat path. Every channel call has a
 *   2 s timeout; failures are logged. If Redis cannot be asked (down, slow, misconfigured),
 *   the alert is SENT ANYWAY (fail open): a duplicate alert is better than a missed one.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import type { Config } from "../env";
import { describeError, type Logger } from "./log";
import { redisKey } from "./redis";

export const ALERT_KINDS = [
  "budget_warning",
  "budget_blocked",
  "high_cost_user",
  "injection_burst",
  "secret_in_output",
  "circuit_open",
  "key_rotation_due",
  "key_rotation_critical",
  "outbox_backlog",
  "redis_down",
  "security_event",
  "auth_failures_burst",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertSeverity = "warning" | "critical";

export interface Alert {
  kind: AlertKind;
  /** What the alert is about (provider, user id, key id...): the dedupe key, hashed in Redis. */
  subject: string;
  severity: AlertSeverity;
  /** Safe text only (no secrets, no user-written text); cut to 1,000 characters. */
  text: string;
  /** A user notice: email this address only (no Slack). */
  email?: { to: string };
  /** The email's subject line (default `[Unialist] <SEVERITY> <kind>: <subject>`). */
  title?: string;
}

export interface SendResult {
  /** At least one channel accepted the alert. */
  sent: boolean;
  /** Suppressed: the same kind + subject was sent within the window. */
  deduped: boolean;
}

export interface Alerter {
  send(alert: Alert): Promise<SendResult>;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface AlerterOptions {
  config: Config;
  /** Null or undefined: no dedupe (every alert is sent). */
  redis?: Pick<Redis, "set" | "del"> | null;
  log: Logger;
  fetch?: FetchLike;
  /** Per channel call and for the Redis dedupe check (default 2000 ms). */
  timeoutMs?: number;
}

export const MAX_ALERT_TEXT = 1000;
const MAX_TITLE = 200;

const truncate = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const oneLine = (s: string) => s.replace(/[\r\n\t\u0000-\u001f\u007f\u2028\u2029]+/g, " ").trim();
/** Slack control sequences (<!channel>, <@user>, links) are built from &, < and >. */
const slackEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

async function sha256Hex(s: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function createAlerter(options: AlerterOptions): Alerter {
  const { config, redis, log } = options;
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 2000;
  const window = config.ALERT_DEDUPE_SECONDS ?? 3600;

  async function post(channel: "slack" | "email", url: string, body: unknown, headers: Record<string, string> = {}): Promise<boolean> {
    try {
      const res = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel().catch(() => {});
      if (res.ok) return true;
      log.error("alert channel refused", { channel, status: res.status });
    } catch (e) {
      // The URL itself is not logged: a Slack webhook URL is a credential.
      log.error("alert channel failed", { channel, ...describeError(e) });
    }
    return false;
  }

  /** True when this is the first of its kind + subject in the window (or Redis can't tell). */
  async function claim(key: string): Promise<boolean> {
    if (!redis) return true;
    try {
      const r = await withTimeout(Promise.resolve(redis.set(key, "1", { nx: true, ex: window })), timeoutMs, "alert dedupe");
      return r !== null;
    } catch (e) {
      // Fail open: better a duplicate alert than a missed one.
      log.warn("alert dedupe unavailable, sending anyway", describeError(e));
      return true;
    }
  }

  async function release(key: string): Promise<void> {
    if (!redis) return;
    try {
      await withTimeout(Promise.resolve(redis.del(key)), timeoutMs, "alert dedupe release");
    } catch (e) {
      log.warn("alert dedupe release failed", describeError(e));
    }
  }

  return {
    async send(alert: Alert): Promise<SendResult> {
      try {
        const subject = truncate(oneLine(alert.subject), MAX_TITLE);
        const text = truncate(alert.text, MAX_ALERT_TEXT);
        const title = truncate(oneLine(alert.title ?? `[Unialist] ${alert.severity.toUpperCase()} ${alert.kind}: ${subject}`), MAX_TITLE);
        const userNotice = alert.email !== undefined;
        const fields = { kind: alert.kind, severity: alert.severity, subject: userNotice ? undefined : subject, userNotice };

        const key = redisKey(config, "alert", alert.kind, await sha256Hex(alert.subject));
        if (!(await claim(key))) {
          log.debug("alert deduplicated", fields);
          return { sent: false, deduped: true };
        }
        // Every alert is also a log line, so nothing is lost when no channel is configured.
        if (alert.severity === "critical") log.error("alert", fields);
        else log.warn("alert", fields);

        const sends: Promise<boolean>[] = [];
        if (!userNotice && config.SLACK_WEBHOOK_URL) {
          const slackText = truncate(`${slackEscape(title)}\n${slackEscape(text)}`, MAX_ALERT_TEXT + MAX_TITLE + 1);
          sends.push(post("slack", config.SLACK_WEBHOOK_URL, { text: slackText }));
        }
        const to = userNotice ? alert.email!.to : config.ALERT_EMAIL_TO;
        if (config.EMAIL_API_URL && to) {
          const auth: Record<string, string> = config.EMAIL_API_KEY ? { authorization: `Bearer ${config.EMAIL_API_KEY}` } : {};
          sends.push(post("email", config.EMAIL_API_URL, { to, subject: title, text }, auth));
        }
        if (sends.length === 0) {
          // Kept claimed: retrying cannot help, and the log line above is deduplicated too.
          log.warn("no alert channel configured", fields);
          return { sent: false, deduped: false };
        }
        const sent = (await Promise.all(sends)).some(Boolean);
        if (!sent) await release(key);
        return { sent, deduped: false };
      } catch (e) {
        log.error("alert failed", { kind: alert.kind, ...describeError(e) });
        return { sent: false, deduped: false };
      }
    },
  };
}
