/**
 * One structured JSON logger. Redacts by key name (authorization, cookie, password,
 * token, secret, key, ...) at any depth; never given request bodies or user text.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const SENSITIVE_KEY = /authorization|cookie|password|passwd|token|secret|api[-_]?key|^keys?$|_keys?$|private|credential|session|database_?url|connection|webhook/i;
/** Keys whose values are safe even though their name matches (e.g. counts, ids of keys). */
const SAFE_KEYS = new Set(["missing", "invalid", "keyId", "kekId", "tokenType", "tokens", "inputTokens", "outputTokens"]);
export const REDACTED = "[redacted]";

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[depth]";
  if (typeof value === "bigint") return value.toString(); // JSON.stringify throws on BigInt
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    if (value instanceof Error) return { name: value.name, message: value.message };
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SENSITIVE_KEY.test(k) && !SAFE_KEYS.has(k) ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export type LogSink = (line: string) => void;

export function createLogger(
  base: Record<string, unknown> = {},
  level: LogLevel = "info",
  sink: LogSink = (line) => console.log(line),
  now: () => Date = () => new Date(),
): Logger {
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < LEVELS[level]) return;
    // Stamp last as well as first: fields must not forge the line's time, level or msg.
    const stamp = { time: now().toISOString(), level: lvl, msg };
    let line: string;
    try {
      line = JSON.stringify({ ...stamp, ...(redact({ ...base, ...fields }) as Record<string, unknown>), ...stamp });
    } catch {
      // A throwing getter or toJSON: log the line without its fields rather than throw.
      line = JSON.stringify({ ...stamp, logError: "unserializable fields" });
    }
    sink(line);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger({ ...base, ...fields }, level, sink, now),
  };
}

/** Describes an error for logs without its stack's file paths leaking user data. */
export function describeError(e: unknown, depth = 0): Record<string, unknown> {
  if (!(e instanceof Error)) return { error: typeof e };
  const out: Record<string, unknown> = { errorName: e.name, errorMessage: safeErrorMessage(e.message) };
  if (e.cause !== undefined && depth < 4) out.cause = describeError(e.cause, depth + 1);
  return out;
}

/**
 * Error messages can carry data: drizzle's "Failed query: ... params: <values>", a
 * PostgreSQL "Key (email)=(...) already exists", an upstream echo. Keep the first line,
 * never the parameters or key values, and bound the length.
 */
export function safeErrorMessage(message: string): string {
  return message
    .split("\n")[0]!
    .replace(/\bparams:.*$/i, "params: [redacted]")
    .replace(/\(([^)]*)\)=\([^)]*\)/g, "($1)=([redacted])")
    .replace(/[\w.+-]+@[\w-]+\.[\w.-]+/g, "[email]")
    .slice(0, 300);
}
