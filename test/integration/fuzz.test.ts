/**
 * Hostile-input fuzz: thousands of generated requests against every route, from a seeded
 * PRNG (deterministic: the same seed gives the same requests; the seed is printed).
 *
 * Every response must be below 500; every refusal a JSON `{"error":{code,message,requestId}}`
 * whose requestId is the X-Request-Id header; no body may carry a stack trace or a file path;
 * and no refused request may change state: users A and B are snapshotted before and after
 * (rows in users/conversations/messages/usage/consents/refresh_tokens, tier and subscription
 * through the admin API, their conversation list and contents) and must be identical.
 *
 * Inputs that may be VALID (Unicode edge cases inside free text, unknown keys on the loose
 * OpenAI schema...) are not sent as A or B: they go to user C (chat, consents, titles), to a
 * fresh email (register) or to a user id that does not exist (admin PATCH), so that any
 * change of A's or B's state is a bug. Bulk traffic never calls the model: the chat routes
 * get valid bodies only through C, and those are capped.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eq, inArray, sql } from "drizzle-orm";
import { admin, adminToken, call, signUp, uniqueEmail, type TestUser } from "../support/api";
import { testConfig, withDb } from "../support/db";
import { consents, conversations, messages, refreshTokens, reviews, usage, userKeys, users } from "../../db/schema";
import { loadUserDataKey } from "../../worker/accounts/data-keys";
import { appendMessage, createConversation } from "../../worker/conversations/store";
import { createApp } from "../../worker/app";
import { exports as workerExports } from "cloudflare:workers";
import { mulberry32 } from "../support/prng";

// ---------------------------------------------------------------------------------------
// Deterministic randomness

export const FUZZ_SEED = 0x5eed_2026;


const rand = mulberry32(FUZZ_SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
const chance = (p: number) => rand() < p;
/** A UUID v4 from the seeded PRNG (ids that exist nowhere). */
const seededUuid = () => {
  const h = Array.from({ length: 32 }, () => int(16).toString(16));
  h[12] = "4";
  h[16] = pick(["8", "9", "a", "b"]);
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
};
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const junk = (n: number, alphabet = B64URL) => Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join("");

// ---------------------------------------------------------------------------------------
// Hostile values

const BODY_LIMIT = 65_536;
const enc = new TextEncoder();

/** Strings that are JSON-valid text but hostile (the JSON encoder escapes what it must). */
const UNICODE_EDGES: [string, () => string][] = [
  ["lone high surrogate", () => "a\ud800b"],
  ["lone low surrogate", () => "\udc00x"],
  ["reversed pair", () => "\udc00\ud800"],
  ["RTL override", () => "abc\u202edcba\u202c"],
  ["RTL isolate", () => "\u2067hello\u2069"],
  ["zero-width", () => "a\u200b\u200c\u200d\u2060\ufeffb"],
  ["only zero-width", () => "\u200b\u200b\u200b"],
  ["emoji ZWJ", () => "👩‍👩‍👧‍👦🏳️‍🌈🧑🏽‍💻"],
  ["combining x1000", () => "e" + "\u0301".repeat(1000)],
  ["zalgo", () => "Z" + "\u0336\u0337\u0338\u0334".repeat(250)],
  ["tag characters", () => "hi\udb40\udc41\udb40\udc42"],
  ["noncharacters", () => "\ufffe\uffff\ufdd0"],
  ["bidi mix", () => "שלום hello مرحبا"],
  ["fullwidth", () => "ｓｃｒｉｐｔ＜＞"],
  ["line separators", () => "a\u2028b\u2029c"],
  ["C1 controls", () => "\u0085\u009b\u009f"],
  ["replacement chars", () => "\ufffd".repeat(50)],
  ["astral", () => "𝕳𝖊𝖑𝖑𝖔 𓀀 🀄"],
  ["html", () => "<img src=x onerror=alert(1)><script>alert(1)</script>"],
  ["sql", () => "'; DROP TABLE users; --"],
];
const NUL_STRINGS: [string, () => string][] = [
  ["nul only", () => "\u0000"],
  ["nul inside", () => "ab\u0000cd"],
  ["nul runs", () => "\u0000".repeat(64)],
  ["nul + controls", () => "\u0000\u0001\u0007\u001b[31m\u007f"],
];
/** Values of another JSON type than the field's. */
const TYPED: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -0, "", "x", "1", "true", [], [1, 2], ["x"], {}, { a: 1 }, [{}], [null]];
const jsonType = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
const PROTO_KEYS = ["__proto__", "constructor", "prototype"];
const PROTO_PAYLOADS: string[] = [
  '{"isAdmin":true,"tier":"enterprise"}',
  '{"prototype":{"isAdmin":true}}',
  '{"__proto__":{"polluted":1}}',
  "null",
  "[]",
  '"x"',
  '{"toString":1,"valueOf":null,"hasOwnProperty":"x"}',
];

const INVALID_UTF8: [string, number[]][] = [
  ["0xff", [0xff]],
  ["0xfe 0xff", [0xfe, 0xff]],
  ["lone continuation", [0x80]],
  ["overlong slash", [0xc0, 0xaf]],
  ["overlong NUL", [0xc0, 0x80]],
  ["truncated 2-byte", [0xc3]],
  ["truncated 3-byte", [0xe2, 0x82]],
  ["truncated 4-byte", [0xf0, 0x9f, 0x98]],
  ["UTF-8 surrogate", [0xed, 0xa0, 0x80]],
  ["beyond U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
  ["5-byte form", [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ["UTF-16 BOM", [0xff, 0xfe]],
  ["raw NUL", [0x00]],
];

const TRAVERSAL_IDS = [
  "..", "...", ".", "../", "..%2f", "..%2F", "%2e%2e%2f", "%2e%2e/%2e%2e/admin", "..%2f..%2fadmin%2fusers", "..%5c..%5c",
  "%2e%2e", "%252e%252e%252f", "..;/", "%c0%ae%c0%ae%2f", "%00", "abc%00def", "%00../", "%", "%zz", "%E0%A4%A", "%ff%fe",
  "%u002e%u002e", "null", "undefined", "NaN", "-1", "0", "1e309", "__proto__", "constructor", "prototype", "toString",
  "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "%20", "+", "'%20OR%201=1--",
  "%3Cscript%3E", "%E2%80%AE", "%F0%9F%98%80", "a".repeat(300), "a".repeat(10_000), "-".repeat(36), "%0d%0aX-Injected:%201",
];

// ---------------------------------------------------------------------------------------
// Cases

type Who = "anon" | "A" | "B" | "C" | "admin" | "raw";
type Expect = "refuse" | "any";

interface Case {
  category: string;
  label: string;
  method: string;
  path: string;
  who: Who;
  expect: Expect;
  headers?: Record<string, string>;
  body?: () => BodyInit;
  /** For register: the email a refused request must not have created. */
  email?: string;
}

interface Users {
  A: TestUser & { conv: string };
  B: TestUser & { conv: string };
  C: TestUser & { conv: string };
}

/**
 * A route that reads a JSON body. `valid(u)` is a body the route accepts for user u.
 * `sink` says where bodies that MAY be valid go: C (state of C may change), "fresh"
 * (register: a new account), "ghost" (admin: a user id that does not exist), "same"
 * (the request can never succeed for A/B: wrong password), "ignore" (body not read).
 */
interface BodyRoute {
  name: string;
  method: string;
  path: (u: Users, who: "A" | "B" | "C") => string;
  who: "A" | "B" | "anon" | "admin";
  valid: (u: Users, who: "A" | "B" | "C") => Record<string, unknown>;
  strict: boolean;
  required: string[];
  sink: "C" | "fresh" | "ghost" | "same" | "ignore";
}

const ROUTES: BodyRoute[] = [
  {
    name: "register", method: "POST", path: () => "/api/auth/register", who: "anon", strict: true, sink: "fresh",
    valid: () => ({ email: uniqueEmail("fuzz"), password: "Correct-Horse-Battery-42", consent: { terms: true, version: "2026-11" } }),
    required: ["email", "password", "consent"],
  },
  {
    name: "login", method: "POST", path: () => "/api/auth/login", who: "anon", strict: true, sink: "same",
    valid: (u) => ({ email: chance(0.3) ? u.A.email : uniqueEmail("ghost"), password: "Wrong-Password-0000" }),
    required: ["email", "password"],
  },
  { name: "refresh", method: "POST", path: () => "/api/auth/refresh", who: "anon", strict: true, sink: "same", valid: () => ({}), required: [] },
  { name: "logout", method: "POST", path: () => "/api/auth/logout", who: "anon", strict: true, sink: "ignore", valid: () => ({}), required: [] },
  {
    name: "consents", method: "POST", path: () => "/api/me/consents", who: "A", strict: true, sink: "C",
    valid: () => ({ kind: "processing", granted: true, version: "2026-11" }), required: ["kind", "granted"],
  },
  {
    name: "erase", method: "DELETE", path: () => "/api/me", who: "A", strict: true, sink: "same",
    valid: () => ({ password: "Wrong-Password-0000" }), required: ["password"],
  },
  {
    name: "rename", method: "PATCH", path: (u, w) => `/api/conversations/${u[w].conv}`, who: "A", strict: true, sink: "C",
    valid: () => ({ title: "Titre fuzz" }), required: ["title"],
  },
  {
    name: "chat", method: "POST", path: () => "/api/chat", who: "A", strict: true, sink: "C",
    valid: (u, w) => ({ message: "Bonjour", ...(chance(0.5) ? { conversationId: u[w].conv } : {}), model: pick(["gpt-4o-mini", "echo"]) }),
    required: ["message"],
  },
  {
    name: "completions", method: "POST", path: () => "/v1/chat/completions", who: "A", strict: false, sink: "C",
    valid: () => ({ model: pick(["gpt-4o-mini", "echo"]), messages: [{ role: "user", content: "Bonjour" }], stream: chance(0.5) }),
    required: ["model", "messages"],
  },
  {
    name: "admin-patch", method: "PATCH", path: (u, w) => `/api/admin/users/${u[w].id}`, who: "admin", strict: true, sink: "ghost",
    valid: () => ({ tier: "basic", subscriptionActive: false }), required: [],
  },
  {
    // Review ids are never real here: A's own review (see fuzzUser) must stay pending.
    name: "review-decision", method: "POST", path: () => `/api/admin/reviews/${seededUuid()}`, who: "admin", strict: true, sink: "ghost",
    valid: () => ({ decision: pick(["approved", "flagged"]), note: "Vérifié", reviewer: "fuzz" }), required: ["decision"],
  },
];

/** Every route and the methods it answers (for wrong-method probes). */
const SURFACE: { path: (u: Users) => string; methods: string[] }[] = [
  { path: () => "/health", methods: ["GET"] },
  { path: () => "/metrics", methods: ["GET"] },
  { path: () => "/api/auth/register", methods: ["POST"] },
  { path: () => "/api/auth/login", methods: ["POST"] },
  { path: () => "/api/auth/refresh", methods: ["POST"] },
  { path: () => "/api/auth/logout", methods: ["POST"] },
  { path: () => "/api/me", methods: ["GET", "DELETE"] },
  { path: () => "/api/me/consents", methods: ["GET", "POST"] },
  { path: () => "/api/me/export", methods: ["GET"] },
  { path: () => "/api/conversations", methods: ["GET"] },
  { path: () => `/api/conversations/${seededUuid()}`, methods: ["GET", "PATCH", "DELETE"] },
  { path: () => "/api/chat", methods: ["POST"] },
  { path: () => "/v1/models", methods: ["GET"] },
  { path: () => "/v1/chat/completions", methods: ["POST"] },
  { path: () => `/api/admin/users/${seededUuid()}`, methods: ["GET", "PATCH"] },
  { path: () => "/api/admin/reviews", methods: ["GET"] },
  { path: () => `/api/admin/reviews/${seededUuid()}`, methods: ["POST"] },
  // (HEAD would run the full verification of every chain: a GET, listed as such.)
  { path: () => "/api/admin/audit/verify", methods: ["GET", "HEAD"] },
];

/** Where a body that may be valid goes, or null to drop it. */
function placeMaybeValid(r: BodyRoute, u: Users, caps: Map<string, number>): Pick<Case, "who" | "path" | "expect"> | null {
  const take = (key: string, max: number) => {
    const n = caps.get(key) ?? 0;
    if (n >= max) return false;
    caps.set(key, n + 1);
    return true;
  };
  switch (r.sink) {
    case "C":
      // The chat routes call the model: a handful only.
      if (!take(r.name, r.name === "chat" || r.name === "completions" ? 14 : 40)) return null;
      return { who: "C", path: r.path(u, "C"), expect: "any" };
    case "fresh":
      if (!take(r.name, 25)) return null; // each success costs a PBKDF2 hash
      return { who: "anon", path: r.path(u, "A"), expect: "any" };
    case "ghost":
      return { who: "admin", path: r.name === "admin-patch" ? `/api/admin/users/${seededUuid()}` : r.path(u, "A"), expect: "refuse" };
    case "same":
      return { who: r.who === "A" ? pick(["A", "B"] as const) : (r.who as Who), path: r.path(u, "A"), expect: "refuse" };
    case "ignore":
      return { who: "anon", path: r.path(u, "A"), expect: "any" };
  }
}

function placeInvalid(r: BodyRoute, u: Users): Pick<Case, "who" | "path" | "expect"> {
  const who = r.who === "A" ? pick(["A", "B"] as const) : r.who;
  const path = r.path(u, who === "B" ? "B" : "A");
  if (r.sink === "ignore") return { who, path, expect: "any" };
  // Some of the authenticated routes' traffic goes unauthenticated: 401 before the body.
  if ((r.who === "A" || r.who === "admin") && chance(0.12)) return { who: "anon", path, expect: "refuse" };
  return { who, path, expect: "refuse" };
}

const jsonBody = (text: string) => () => text;
const bytesBody = (bytes: Uint8Array) => () => bytes;
const concat = (...parts: (string | number[] | Uint8Array)[]) => {
  const chunks = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
};

/** Replaces an ASCII string (same length) in a text or byte body, leaving other bytes as they are. */
function retarget(body: BodyInit, from: string, to: string): BodyInit {
  if (typeof body === "string") return body.split(from).join(to);
  if (!(body instanceof Uint8Array)) return body;
  const out = Uint8Array.from(body);
  const f = enc.encode(from);
  const t = enc.encode(to);
  for (let i = 0; i + f.length <= out.length; i++) {
    let hit = true;
    for (let j = 0; j < f.length && hit; j++) hit = out[i + j] === f[j];
    if (hit) out.set(t, i);
  }
  return out;
}

/** Paths of the valid body's fields, e.g. ["consent", "version"]. */
function fieldPaths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...fieldPaths(x, [...prefix, i])]);
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...fieldPaths(x, [...prefix, k])]);
  return [];
}
const getAt = (o: unknown, p: (string | number)[]) => p.reduce<any>((x, k) => x?.[k], o);
function setAt(o: any, p: (string | number)[], value: unknown): any {
  const copy = structuredClone(o);
  let x = copy;
  for (const k of p.slice(0, -1)) x = x[k];
  x[p[p.length - 1]!] = value;
  return copy;
}
const stringPaths = (v: unknown) => fieldPaths(v).filter((p) => typeof getAt(v, p) === "string");

function buildCases(u: Users): Case[] {
  const cases: Case[] = [];
  const caps = new Map<string, number>();
  const add = (c: Case) => cases.push(c);
  const ct = { "content-type": "application/json" };
  const bodyCase = (category: string, label: string, r: BodyRoute, maybeValid: boolean, body: () => BodyInit, headers: Record<string, string> = ct) => {
    const where = maybeValid ? placeMaybeValid(r, u, caps) : placeInvalid(r, u);
    if (!where) return;
    const email = r.name === "register" ? emailOf(body()) : undefined;
    // Bodies are written for A: a conversation id in them becomes the sender's own.
    const to = where.who === "B" || where.who === "C" ? u[where.who].conv : undefined;
    const sent = to ? () => retarget(body(), u.A.conv, to) : body;
    add({ category, label: `${r.name}: ${label}`, method: r.method, headers, body: sent, email, ...where });
  };
  const validFor = (r: BodyRoute) => r.valid(u, "A");

  // 1. Truncated JSON: valid bodies cut at random byte offsets (also inside UTF-8 sequences).
  for (let i = 0; i < 420; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    const v = validFor(r);
    if (chance(0.4)) {
      const [p] = stringPaths(v).length ? [pick(stringPaths(v))] : [undefined];
      if (p) Object.assign(v, setAt(v, p, `${getAt(v, p)} é✓😀`));
    }
    const bytes = enc.encode(JSON.stringify(v));
    const cut = int(bytes.length); // strictly shorter: never valid JSON for an object
    bodyCase("truncated-json", `cut at ${cut}/${bytes.length}`, r, false, bytesBody(bytes.slice(0, cut)));
  }

  // 2. Malformed JSON of other shapes.
  const MALFORMED = [
    "", " ", "{", "}", "[", "{]", "{,}", "{'a':1}", '{"a":1,}', '{"a" 1}', '{"a":01}', '{"a":NaN}', '{"a":Infinity}', '{"a":-}',
    '{"a":1}{"b":2}', '{"a":1} x', "\ufeff{}", '{"a":"\\x41"}', '{"a":"\\u12"}', '{"a":"\n"}', "nul", "tru", "undefined", "'str'",
    '{"a":1e99999}', '{"a":123456789012345678901234567890}', '{"__proto__":}', "/* c */ {}", "{} // c", '{"a":"b"', '"\\ud800"',
    '{"a":[1,2,]}', "[".repeat(10) + "]".repeat(9), "0x10", "+1", ".5", "{\u0000}", '{"a":\u00a0 1}',
  ];
  for (let i = 0; i < 160; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    const m = MALFORMED[i % MALFORMED.length]!;
    const valid = JSON.stringify(validFor(r));
    const text = i % 3 === 0 && valid.length > 2 ? valid.slice(0, -1) + ", " + m + "}" : m;
    // A well-formed scalar/array body is still the wrong shape: never accepted.
    bodyCase("malformed-json", JSON.stringify(text.slice(0, 40)), r, false, jsonBody(text));
  }

  // 3. Wrong types: each field, each value of another JSON type; the whole body too; required fields removed.
  for (const r of ROUTES) {
    const v = validFor(r);
    for (const p of fieldPaths(v)) {
      const original = getAt(v, p);
      const others = TYPED.filter((t) => jsonType(t) !== jsonType(original));
      for (const t of others.slice(0, 9 + int(4))) bodyCase("wrong-types", `${p.join(".")} = ${JSON.stringify(t)}`, r, false, jsonBody(JSON.stringify(setAt(v, p, t))));
    }
    for (const t of TYPED.filter((t) => jsonType(t) !== "object").concat(r.strict ? [{ a: 1 }] : [])) {
      bodyCase("wrong-types", `body = ${JSON.stringify(t)}`, r, false, jsonBody(JSON.stringify(t)));
    }
    for (const k of r.required) {
      const copy = structuredClone(v);
      delete copy[k];
      bodyCase("wrong-types", `without ${k}`, r, false, jsonBody(JSON.stringify(copy)));
    }
  }

  // 4. Huge strings: within the body limit (every field's own maximum is far lower) and beyond it.
  for (let i = 0; i < 130; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    const v = validFor(r);
    const paths = stringPaths(v);
    const beyond = i % 2 === 1;
    // Within the limit, still longer than any field's maximum (10,000 characters for a message).
    const size = beyond ? pick([BODY_LIMIT + 1, BODY_LIMIT * 2, 1_000_000]) : pick([10_001, 20_000, 30_000]);
    const fill = pick(["x", "é", "😀", "\u0301", "\\"]);
    const s = fill.repeat(Math.ceil((beyond ? size / enc.encode(fill).length : size / fill.length)));
    let text: string;
    if (paths.length && (chance(0.8) || !r.strict)) text = JSON.stringify(setAt(v, pick(paths), s));
    else text = JSON.stringify({ ...v, junk: s });
    const bytes = enc.encode(text);
    if (!beyond && bytes.length > BODY_LIMIT) continue; // escaped fill grew past the limit: covered by "beyond"
    bodyCase("huge-strings", `${beyond ? "beyond" : "within"} limit, ${bytes.length} bytes of ${JSON.stringify(fill)}`, r, false, bytesBody(bytes));
  }
  // A body beyond the limit streamed without Content-Length.
  for (let i = 0; i < 10; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    const size = BODY_LIMIT + 1 + int(200_000);
    bodyCase("huge-strings", `streamed ${size} bytes`, r, false, () => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(ctl) {
          if (sent >= size) return ctl.close();
          const n = Math.min(16_384, size - sent);
          ctl.enqueue(enc.encode("[".repeat(n)));
          sent += n;
        },
      });
    });
  }

  // 5. Deep nesting (depth 10,000 and more): as the body, and as a field's value.
  for (let i = 0; i < 70; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    const depth = pick([10_000, 10_000, 20_000, 32_000, 50_000]);
    const deep = chance(0.5) ? deepArray(depth) : deepObject(depth);
    const v = validFor(r);
    const paths = fieldPaths(v);
    let text: string;
    let maybeValid = false;
    if (chance(0.35) || paths.length === 0) text = deep;
    else if (chance(0.5)) {
      // Replace one field by the deep value, written textually.
      const marker = "\u0001DEEP\u0001";
      text = JSON.stringify(setAt(v, pick(paths), marker)).replace(JSON.stringify(marker), deep);
    } else {
      text = JSON.stringify(v).replace(/^\{/, `{"nested":${deep},`);
      maybeValid = !r.strict; // an unknown key is stripped by the loose OpenAI schema
    }
    bodyCase("deep-nesting", `depth ${depth}, ${text.length} bytes`, r, maybeValid, jsonBody(text));
  }

  // 6. Invalid UTF-8: whole bodies of bad bytes, bad bytes inside string values, inside keys.
  for (let i = 0; i < 150; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    const [name, bad] = pick(INVALID_UTF8);
    const v = validFor(r);
    const paths = stringPaths(v);
    const mode = i % 3;
    if (mode === 0 || paths.length === 0) {
      bodyCase("invalid-utf8", `body of ${name}`, r, false, bytesBody(concat(bad, "{}", bad)));
    } else if (mode === 1) {
      // Decoded with U+FFFD by the runtime: the body may well be valid.
      const marker = "@@BAD@@";
      const text = JSON.stringify(setAt(v, pick(paths), `ok${marker}ok`));
      const [before, after] = text.split(marker) as [string, string];
      bodyCase("invalid-utf8", `${name} inside a string`, r, true, bytesBody(concat(before, bad, after)));
    } else {
      const text = JSON.stringify(v);
      bodyCase("invalid-utf8", `${name} inside a key`, r, !r.strict, bytesBody(concat('{"k', bad, '":1,', text.slice(1))));
    }
  }

  // 7. NUL bytes: escaped in strings, raw in the body, in keys.
  for (let i = 0; i < 120; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    const v = validFor(r);
    const paths = stringPaths(v);
    const [name, s] = pick(NUL_STRINGS);
    const mode = i % 4;
    if ((mode === 0 || mode === 1) && paths.length) {
      const p = pick(paths);
      bodyCase("nul-bytes", `${name} in ${p.join(".")}`, r, true, jsonBody(JSON.stringify(setAt(v, p, `${getAt(v, p)}${s()}`))));
    } else if (mode === 2) {
      bodyCase("nul-bytes", "raw NUL around the body", r, false, bytesBody(concat([0], JSON.stringify(v), [0])));
    } else {
      bodyCase("nul-bytes", `${name} as a key`, r, !r.strict, jsonBody(JSON.stringify({ ...v, [s()]: 1 })));
    }
  }

  // 8. __proto__ / constructor / prototype keys, top-level and nested.
  for (let i = 0; i < 170; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    const key = pick(PROTO_KEYS);
    const payload = pick(PROTO_PAYLOADS);
    const v = validFor(r);
    const inner = JSON.stringify(v).slice(1, -1);
    const objectPaths = fieldPaths(v).filter((p) => jsonType(getAt(v, p)) === "object");
    let text: string;
    let maybeValid = !r.strict;
    if (i % 3 === 0 || inner === "") text = `{"${key}":${payload}${inner ? "," + inner : ""}}`;
    else if (i % 3 === 1 && objectPaths.length) {
      const p = pick(objectPaths);
      const marker = "\u0001P\u0001";
      text = JSON.stringify(setAt(v, [...p, "x"], marker)).replace(`"x":${JSON.stringify(marker)}`, `"${key}":${payload}`);
      // The OpenAI messages are loose objects too.
      maybeValid = !r.strict;
    } else {
      // Key duplicated after a valid field, or the only key in a nested object of an unknown field.
      text = `{${inner},"${key}":{"${pick(PROTO_KEYS)}":${payload}}}`;
    }
    bodyCase("proto-keys", `${key}: ${payload}`, r, maybeValid, jsonBody(text));
  }

  // 9. Unicode edge cases in every string field (lone surrogates written as JSON escapes).
  for (let i = 0; i < 200; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    const v = validFor(r);
    const paths = stringPaths(v);
    const [name, s] = UNICODE_EDGES[i % UNICODE_EDGES.length]!;
    if (!paths.length) {
      bodyCase("unicode", `${name} as a key`, r, false, jsonBody(JSON.stringify({ [s()]: s() })));
      continue;
    }
    const p = pick(paths);
    const value = chance(0.5) ? s() : `${getAt(v, p)}${s()}`;
    // JSON.stringify writes lone surrogates as \udXXX escapes (well-formed JSON.stringify).
    bodyCase("unicode", `${name} in ${p.join(".")}`, r, true, jsonBody(JSON.stringify(setAt(v, p, value))));
  }

  // 10. Oversized and odd headers.
  const authed = ["/api/me", "/api/conversations", "/v1/models", "/api/me/export", "/api/me/consents"];
  const HOSTILE_AUTH = [
    () => `Bearer ${junk(10_240)}`,
    () => `Bearer ${u.A.accessToken}${junk(10_000)}`,
    () => `Bearer ${u.A.accessToken}, Bearer ${u.B.accessToken}`,
    () => `Bearer ${u.A.accessToken} `,
    () => `Bearer  ${u.A.accessToken}`,
    () => `bearer ${u.A.accessToken}`,
    () => `Basic ${btoa("admin:admin")}`,
    () => "Bearer",
    () => "Bearer ",
    () => `Bearer ${"A".repeat(8193)}`,
    () => `Bearer ${"a.b.c".repeat(2000)}`,
    () => `Bearer ${u.A.accessToken.split(".").slice(0, 2).join(".")}.`,
    () => `Bearer ${junk(100, "!#$%&'*^`|~<>{}[]\"\\")}`,
    () => `Bearer ${adminToken()}`,
    () => `Bearer ${adminToken()}${junk(10_000)}`,
    () => `Bearer ${testConfig().METRICS_TOKEN}x`,
    () => `Bearer ${testConfig().METRICS_TOKEN.slice(0, -1)}`,
    () => `${u.A.accessToken}`,
  ];
  for (let i = 0; i < 96; i++) {
    const a = HOSTILE_AUTH[i % HOSTILE_AUTH.length]!;
    const toAdmin = i % 4 === 3;
    const toMetrics = i % 8 === 5;
    const path = toAdmin ? pick([`/api/admin/users/${u.A.id}`, "/api/admin/reviews?limit=1"]) : toMetrics ? "/metrics" : pick(authed);
    const value = a();
    // Only the admin token on the admin routes, and the user's own well-formed token elsewhere, may pass.
    // (The HTTP layer trims header values: a trailing space is not a different token.)
    const mayPass = toAdmin ? value.trim() === `Bearer ${adminToken()}` : toMetrics ? false : value.trim() === `Bearer ${u.A.accessToken}`;
    add({ category: "headers", label: `authorization ${value.length} bytes on ${path}`, method: "GET", path, who: "raw", headers: { authorization: value }, expect: mayPass ? "any" : "refuse" });
  }
  for (let i = 0; i < 24; i++) {
    const headers: Record<string, string> = {};
    for (let h = 0; h < 100; h++) headers[`x-fuzz-${h}-${junk(6).toLowerCase()}`] = junk(20 + int(200));
    const path = pick(authed);
    const withToken = chance(0.5);
    if (withToken) headers.authorization = `Bearer ${u.A.accessToken}`;
    add({ category: "headers", label: `100 headers on ${path}`, method: "GET", path, who: "raw", headers, expect: withToken ? "any" : "refuse" });
  }
  const COOKIES = [
    () => `ua_refresh=${junk(8192)}`,
    () => Array.from({ length: 200 }, (_, k) => `c${k}=${junk(30)}`).join("; "),
    () => `ua_refresh=${junk(40)}; ua_refresh=${junk(40)}`,
    () => "ua_refresh=%E0%A4%A; x=%",
    () => "ua_refresh=%00%00",
    () => `ua_refresh="${junk(43)}"`,
    () => "ua_refresh=",
    () => `=${junk(10)}; ;;; ua_refresh`,
    () => `ua_refresh=${"%41".repeat(2000)}`,
    () => `ua_refresh=${junk(43)}`,
  ];
  for (let i = 0; i < 60; i++) {
    const cookie = COOKIES[i % COOKIES.length]!();
    const logout = i % 3 === 2;
    add({
      category: "headers", label: `cookie ${cookie.length} bytes on ${logout ? "logout" : "refresh"}`, method: "POST",
      path: logout ? "/api/auth/logout" : "/api/auth/refresh", who: "raw", headers: { cookie }, expect: logout ? "any" : "refuse",
    });
  }
  const REQUEST_IDS = ["a".repeat(256), "../../etc/passwd", "<script>", "x y", "id;drop", junk(255), "", "\"quoted\"", "%00", "-".repeat(50)];
  for (let i = 0; i < 30; i++) {
    const rid = REQUEST_IDS[i % REQUEST_IDS.length]!;
    add({ category: "headers", label: `x-request-id ${JSON.stringify(rid.slice(0, 20))}`, method: "GET", path: pick(["/api/me", "/api/nope", "/api/conversations/x"]), who: "raw", headers: { "x-request-id": rid }, expect: "refuse" });
  }
  // (ASCII only: workerd warns about, and browsers refuse, non-ASCII header values.)
  const ODD: Record<string, string>[] = [
    { "cf-connecting-ip": junk(500) }, { "cf-connecting-ip": "::::::1" }, { "cf-connecting-ip": "999.999.999.999" }, { origin: "null" },
    { origin: `https://${junk(3000)}.test` }, { "accept-language": junk(9000) }, { "user-agent": junk(10_000) }, { accept: "text/html" },
    { "content-length": "0" }, { "x-forwarded-for": junk(3000) }, { "accept-encoding": "gzip, br, zstd, " + junk(2000) },
  ];
  for (let i = 0; i < 44; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    const v = validFor(r);
    // The body is broken, so nothing may be accepted whatever the header does.
    const text = JSON.stringify(v).slice(0, -1);
    bodyCase("headers", `${JSON.stringify(Object.keys(ODD[i % ODD.length]!))} with a broken body`, r, false, jsonBody(text), { ...ct, ...ODD[i % ODD.length]! });
  }

  // 11. Ids: traversal, encoded NUL, very long, other users' ids.
  for (let i = 0; i < 300; i++) {
    const id = TRAVERSAL_IDS[i % TRAVERSAL_IDS.length]!;
    const variant = int(6);
    const target = pick(["conv-get", "conv-patch", "conv-delete", "admin-get", "admin-patch", "admin-as-user", "review-post"] as const);
    const [who, other] = chance(0.5) ? (["A", "B"] as const) : (["B", "A"] as const);
    // Prefixed by the OTHER user's conversation: whatever the path resolves to, never the sender's.
    const suffix = variant === 0 ? `${u[other].conv}/${id}` : variant === 1 ? `${id}${u[other].conv}` : id;
    if (target.startsWith("conv")) {
      const method = target === "conv-get" ? "GET" : target === "conv-patch" ? "PATCH" : "DELETE";
      // ".." segments can resolve onto another route (GET /api/me...): only reads may succeed.
      add({
        category: "path-ids", label: `${method} conversations/${suffix.slice(0, 40)}`, method, path: `/api/conversations/${suffix}`, who,
        headers: method === "PATCH" ? ct : undefined, body: method === "PATCH" ? jsonBody(JSON.stringify({ title: "x" })) : undefined,
        expect: method === "GET" ? "any" : "refuse",
      });
    } else if (target === "review-post") {
      add({
        category: "path-ids", label: `POST reviews/${suffix.slice(0, 40)}`, method: "POST", path: `/api/admin/reviews/${variant === 0 ? `${seededUuid()}/${id}` : suffix}`,
        who: chance(0.8) ? "admin" : "A", headers: ct, body: jsonBody(JSON.stringify({ decision: "approved" })), expect: "refuse",
      });
    } else {
      const method = target === "admin-patch" ? "PATCH" : "GET";
      add({
        category: "path-ids", label: `${target} users/${suffix.slice(0, 40)}`, method, path: `/api/admin/users/${variant === 0 ? `${seededUuid()}/${id}` : suffix}`,
        who: target === "admin-as-user" ? "A" : "admin",
        // Even a well-formed patch must meet "not found": the ids are never a user's.
        headers: method === "PATCH" ? ct : undefined, body: method === "PATCH" ? jsonBody(JSON.stringify({ tier: "basic" })) : undefined,
        expect: "refuse",
      });
    }
  }
  // Other users' ids with every method: exactly "not found".
  for (let i = 0; i < 40; i++) {
    const method = pick(["GET", "PATCH", "DELETE"]);
    const [me, other] = chance(0.5) ? (["A", "B"] as const) : (["B", "A"] as const);
    const id = pick([u[other].conv, u[other].conv.toUpperCase(), u.C.conv, u[other].id]);
    add({
      category: "path-ids", label: `${method} another user's id`, method, path: `/api/conversations/${id}`, who: me,
      headers: method === "PATCH" ? ct : undefined, body: method === "PATCH" ? jsonBody(JSON.stringify({ title: "pwned" })) : undefined, expect: "refuse",
    });
  }

  // 12. Wrong methods on every route.
  // (workerd refuses to build a Request with an unknown method such as "FOO": only registered ones.)
  const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND", "purge", "MKCOL", "TRACE"];
  for (let i = 0; i < 150; i++) {
    const route = SURFACE[i % SURFACE.length]!;
    const method = METHODS[int(METHODS.length)]!;
    if (route.methods.includes(method.toUpperCase())) continue;
    const path = route.path(u);
    add({
      category: "wrong-methods", label: `${method} ${path.replace(/[0-9a-f-]{36}/, ":id")}`, method, path, who: pick(["A", "anon", "admin"] as const),
      headers: method === "OPTIONS" && chance(0.5) ? { origin: "http://app.test", "access-control-request-method": "POST" } : undefined,
      // CORS preflights are answered; HEAD is GET without a body.
      expect: method === "OPTIONS" || method === "HEAD" ? "any" : "refuse",
    });
  }

  // 13. Wrong content types, with a VALID body: the type alone must refuse it.
  const BAD_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx",
    "application/json-patch+json", "application/ld+json", "text/json", "json", "application/*", "*/*", "", "application /json",
    "application/xml", "application/json\""];
  const GOOD_TYPES = ["APPLICATION/JSON", "application/json; charset=utf-8", "application/json;charset=utf-16", "Application/Json ; x=y"];
  for (let i = 0; i < 150; i++) {
    const r = ROUTES[i % ROUTES.length]!;
    if (r.sink === "ignore") continue;
    const good = i % 5 === 0;
    const type = good ? pick(GOOD_TYPES) : pick(BAD_TYPES);
    const headers: Record<string, string> = type === "" && chance(0.5) ? {} : { "content-type": type };
    if (good) bodyCase("content-types", `${JSON.stringify(type)} (acceptable)`, r, true, jsonBody(JSON.stringify(validFor(r))), headers);
    else {
      // The valid body of A's own route: the only thing wrong is the type.
      const who = r.who === "A" ? pick(["A", "B"] as const) : r.who;
      const body = JSON.stringify(r.valid(u, who === "B" ? "B" : "A"));
      add({
        category: "content-types", label: `${r.name}: ${JSON.stringify(type)}`, method: r.method, path: r.path(u, who === "B" ? "B" : "A"), who, headers,
        body: jsonBody(body), email: r.name === "register" ? emailOf(body) : undefined, expect: "refuse",
      });
    }
  }

  // 14. Junk query strings.
  const LIMITS = ["-1", "0", "1e309", "-1e309", "NaN", "Infinity", "1.5", "101", "99999999999999999999999", "0x10", "%205", "5abc", "", "%00", "1,2", "20", "100", "1"];
  const cursor = (s: string) => encodeURIComponent(btoa(s));
  const CURSORS = [
    "garbage", "=", "%ff", "%", "a".repeat(201), "a".repeat(200), "!!!!", "%E0%A4%A", cursor("x|y"), cursor(`2026-01-01T00:00:00.000Z|${seededUuid()}`),
    cursor("-200000-01-01T00:00:00.000Z|" + seededUuid()), cursor("+275760-09-13T00:00:00.000Z|" + seededUuid()), cursor("0001-01-01T00:00:00.000Z|" + seededUuid()),
    cursor(`9999-12-31T23:59:59.999Z|${u.B.conv}`), cursor("\u0000|\u0000"), cursor(`2026-01-01|${seededUuid()}|extra`), cursor(`1e309|${seededUuid()}`),
    cursor(`0|${seededUuid()}`), cursor(`-1|${seededUuid()}`), cursor(`Infinity|${seededUuid()}`), cursor(`2026-02-30T25:61:00Z|${seededUuid()}`),
    cursor(`Sat Jan 01 -100000|${seededUuid()}`), cursor(`1970|${"0".repeat(8)}-0000-1000-8000-${"0".repeat(12)}`),
  ];
  for (let i = 0; i < 160; i++) {
    const parts: string[] = [];
    if (chance(0.7)) parts.push(`limit=${pick(LIMITS)}`);
    if (chance(0.7)) parts.push(`cursor=${pick(CURSORS)}`);
    if (chance(0.2)) parts.push(pick(["limit=1&limit=2", "limit[]=1", "__proto__=1", "constructor[prototype][x]=1", "cursor", "&&&", "=x", "a=%", `x=${junk(4000)}`]));
    const q = parts.join("&");
    const path = chance(0.85) ? `/api/conversations?${q}` : `${pick(["/api/me", "/v1/models", "/api/me/consents", "/api/me/export"])}?${q}`;
    add({ category: "query", label: q.slice(0, 80), method: "GET", path, who: pick(["A", "B", "anon"] as const), expect: "any" });
  }
  // The admin lists: the review queue's filters and cursor, the audit verification's chain ids.
  const CHAINS = ["-1", "1e3", "abc", "1,2,x", "9999999999", "%00", "1".repeat(10), "0x1", "%201", "1;drop", "3", "3,4", "1&chain=x", "__proto__"];
  for (let i = 0; i < 70; i++) {
    let path: string;
    if (i % 3 === 2) path = `/api/admin/audit/verify?chain=${pick(CHAINS)}`;
    else {
      const parts = [`status=${pick(["pending", "approved", "flagged", "weird", "", "%00", "PENDING"])}`, `domain=${pick(["legal", "medical", "x", "__proto__"])}`];
      if (chance(0.6)) parts.push(`cursor=${pick(CURSORS)}`);
      if (chance(0.5)) parts.push(`limit=${pick(LIMITS)}`);
      path = `/api/admin/reviews?${parts.filter(() => chance(0.8)).join("&")}`;
    }
    add({ category: "query", label: path.slice(0, 80), method: "GET", path, who: chance(0.85) ? "admin" : pick(["A", "anon"] as const), expect: "any" });
  }
  for (let i = 0; i < 30; i++) {
    // Junk query on a body route with a broken body: still refused.
    const r = ROUTES[i % ROUTES.length]!;
    if (r.sink === "ignore") continue;
    const where = placeInvalid(r, u);
    add({ category: "query", label: `${r.name} with junk query`, method: r.method, ...where, path: `${where.path}?${pick(["conversationId=../", "model=x", "__proto__[tier]=enterprise", "a=%"])}`, headers: ct, body: jsonBody("{") });
  }
  // The health check (a public route): junk queries, oversized and odd headers. Last, so the
  // cases above stay what they were for this seed.
  const HEALTH_HEADERS: Record<string, string>[] = [
    {}, { authorization: `Bearer ${junk(8000)}` }, { "x-request-id": "../../etc/passwd" }, { "accept-language": junk(9000) },
    { cookie: Array.from({ length: 200 }, (_, k) => `c${k}=${junk(30)}`).join("; ") }, { origin: "null" },
  ];
  for (let i = 0; i < 12; i++) {
    const q = pick(["", "?check=redis", "?__proto__[x]=1", `?x=${junk(4000)}`, "?a=%", "?%00", "?verbose=true&verbose=false"]);
    add({ category: "query", label: `health ${q.slice(0, 30)}`, method: "GET", path: `/health${q}`, who: pick(["anon", "A", "raw"] as const), headers: HEALTH_HEADERS[i % HEALTH_HEADERS.length], expect: "any" });
  }
  return cases;
}

function emailOf(body: BodyInit): string | undefined {
  try {
    const text = typeof body === "string" ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : undefined;
    const v = text ? JSON.parse(text) : undefined;
    return typeof v?.email === "string" ? v.email.normalize("NFKC").trim().toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Sending and checking

const LEAK = /\n\s+at |node_modules|\/work\/|file:\/\/|\.ts:\d+|\.js:\d+|"stack"\s*:|SyntaxError|TypeError|RangeError|ReferenceError|NeonDbError|PostgresError|DrizzleError|Failed query/;
const ERROR_KEYS = new Set(["code", "message", "requestId", "details"]);

interface Outcome {
  c: Case;
  status: number;
  problem?: string;
  requestId?: string | null;
  /** Sent a second time after a 503 (see send). */
  retried?: boolean;
}

function headersFor(c: Case, u: Users): Record<string, string> {
  const h: Record<string, string> = { ...c.headers };
  const token = c.who === "A" || c.who === "B" || c.who === "C" ? u[c.who].accessToken : c.who === "admin" ? adminToken() : undefined;
  if (token && !("authorization" in h)) h.authorization = `Bearer ${token}`;
  return h;
}

/** Requests answered 503 and sent again (dependency slowness under load, not the input). */
const retries: string[] = [];

async function sendOnce(c: Case, u: Users): Promise<{ res?: Response; outcome?: Outcome }> {
  let req: Request;
  try {
    const body = c.body?.();
    req = new Request(`https://gw.test${c.path}`, {
      method: c.method,
      headers: headersFor(c, u),
      body,
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch (e) {
    return { outcome: { c, status: -1, problem: `client could not build the request: ${(e as Error).message}` } };
  }
  try {
    return { res: await worker().fetch(req) };
  } catch (e) {
    return { outcome: { c, status: 0, problem: `worker threw: ${(e as Error).message}` } };
  }
}

/**
 * A 503 is the fail-closed answer of a guard whose Redis or PostgreSQL did not answer in
 * time, which happens when the whole suite loads this small machine. Such a request is sent
 * again (twice at most, after 0.5 s then 2 s): an input that CAUSES a 503 gets it every time
 * and is reported; a 500 is never retried.
 */
async function send(c: Case, u: Users): Promise<Outcome> {
  let { res, outcome } = await sendOnce(c, u);
  if (outcome) return outcome;
  let retried = false;
  for (const delay of [500, 2000]) {
    if (res!.status !== 503) break;
    retries.push(`${c.method} ${c.path.slice(0, 60)} ${c.label} (request ${res!.headers.get("x-request-id")})`);
    await res!.body?.cancel();
    await new Promise((r) => setTimeout(r, delay));
    ({ res, outcome } = await sendOnce(c, u));
    if (outcome) return outcome;
    retried = true;
  }
  return { c, status: res!.status, requestId: res!.headers.get("x-request-id"), retried, problem: await check(c, res!) };
}

async function check(c: Case, res: Response): Promise<string | undefined> {
  const rid = res.headers.get("x-request-id");
  const text = c.method.toUpperCase() === "HEAD" ? "" : await res.text();
  if (res.status >= 500) return `status ${res.status}: ${text.slice(0, 300)}`;
  if (!rid) return "no X-Request-Id header";
  if (LEAK.test(text)) return `leak in body: ${text.match(LEAK)![0]} in ${text.slice(0, 200)}`;
  if (c.expect === "refuse" && (res.status < 400 || res.status >= 500)) return `expected a refusal, got ${res.status}: ${text.slice(0, 200)}`;
  if (res.status >= 400 && c.method.toUpperCase() !== "HEAD") {
    if (!(res.headers.get("content-type") ?? "").startsWith("application/json")) return `refusal not JSON (${res.headers.get("content-type")}): ${text.slice(0, 200)}`;
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      return `refusal body does not parse: ${text.slice(0, 200)}`;
    }
    const e = body?.error;
    if (!e || Object.keys(body).length !== 1) return `refusal not {"error":...}: ${text.slice(0, 200)}`;
    if (typeof e.code !== "string" || typeof e.message !== "string" || typeof e.requestId !== "string") return `error fields missing: ${text.slice(0, 200)}`;
    if (Object.keys(e).some((k) => !ERROR_KEYS.has(k))) return `unexpected error fields: ${Object.keys(e).join(",")}`;
    if (e.requestId !== rid) return `requestId ${e.requestId} != header ${rid}`;
  }
  return undefined;
}

const worker = () => (workerExports as unknown as { default: { fetch(req: Request): Promise<Response> } }).default;

async function runAll(cases: Case[], u: Users, concurrency = 8): Promise<Outcome[]> {
  const out: Outcome[] = new Array(cases.length);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < cases.length) {
      const i = next++;
      out[i] = await send(cases[i]!, u);
    }
  }));
  return out;
}

// ---------------------------------------------------------------------------------------
// State snapshot of A and B

async function snapshot(u: Users) {
  const db = await withDb(async (db) => {
    const out: Record<string, unknown> = {};
    for (const x of [u.A, u.B]) {
      const count = async (table: typeof conversations | typeof messages | typeof usage | typeof consents | typeof userKeys, col: any) =>
        Number((await db.select({ n: sql<number>`count(*)` }).from(table as any).where(eq(col, x.id)))[0]!.n);
      const [row] = await db.select().from(users).where(eq(users.id, x.id));
      const tokens = await db.select({ id: refreshTokens.id, rotatedAt: refreshTokens.rotatedAt, revokedAt: refreshTokens.revokedAt }).from(refreshTokens)
        .where(eq(refreshTokens.userId, x.id)).orderBy(refreshTokens.id);
      const review = await db.select({ id: reviews.id, status: reviews.status, reviewer: reviews.reviewer, note: reviews.note, decidedAt: reviews.decidedAt })
        .from(reviews).where(eq(reviews.userId, x.id));
      out[x.id] = {
        user: row, tokens, review,
        conversations: await count(conversations, conversations.userId),
        messages: await count(messages, messages.userId),
        usage: await count(usage, usage.userId),
        consents: await count(consents, consents.userId),
        userKeys: await count(userKeys, userKeys.userId),
      };
    }
    return out;
  });
  const api: Record<string, unknown> = {};
  for (const [name, x] of [["A", u.A], ["B", u.B]] as const) {
    const read = async (path: string, token: string) => {
      const res = await call(path, { token });
      return { status: res.status, body: res.status === 200 ? await res.json() : null };
    };
    api[name] = {
      admin: await read(`/api/admin/users/${x.id}`, adminToken()),
      list: await read("/api/conversations?limit=100", x.accessToken),
      conv: await read(`/api/conversations/${x.conv}`, x.accessToken),
      consents: await read("/api/me/consents", x.accessToken),
    };
  }
  return { db, api };
}

// ---------------------------------------------------------------------------------------

async function fuzzUser(tier: string): Promise<TestUser & { conv: string }> {
  const user = await signUp(uniqueEmail("fuzz"));
  const res = await admin(`/users/${user.id}`, { method: "PATCH", body: { tier } });
  if (res.status !== 200) throw new Error(`tier: ${res.status}`);
  const conv = await withDb(async (db) => {
    const dk = await loadUserDataKey(db, testConfig(), user.id);
    const id = await createConversation(db, dk, user.id, "Conversation de fuzz");
    await appendMessage(db, dk, { userId: user.id, conversationId: id, role: "user", content: "Bonjour" });
    await appendMessage(db, dk, { userId: user.id, conversationId: id, role: "assistant", content: "Salut" });
    // A pending human review of the user's (legal-domain) answer: no fuzzed decision may touch it.
    await db.insert(reviews).values({
      userId: user.id, conversationId: id, requestId: `fuzz-${crypto.randomUUID()}`, domain: "legal", model: "gpt-4o-mini", modelVersion: "openai/demo",
      guards: {}, inputHash: "0".repeat(64), outputHash: "0".repeat(64),
    });
    return id;
  });
  return { ...user, conv };
}

let u: Users;
let before: Awaited<ReturnType<typeof snapshot>>;
let cases: Case[];
const counts = new Map<string, number>();
const logLines: string[] = [];
const started = Date.now();

describe(`hostile-input fuzz (seed 0x${FUZZ_SEED.toString(16)})`, () => {
  beforeAll(async () => {
    // Enterprise: the rate limit (checked before the body) must not hide the validation.
    const [A, B, C] = await Promise.all([fuzzUser("enterprise"), fuzzUser("enterprise"), fuzzUser("premium")]);
    u = { A, B, C };
    cases = buildCases(u);
    for (const c of cases) counts.set(c.category, (counts.get(c.category) ?? 0) + 1);
    console.info(`fuzz seed 0x${FUZZ_SEED.toString(16)}: ${cases.length} requests`, Object.fromEntries(counts));
    before = await snapshot(u);
  }, 60_000);

  afterAll(() => {
    vi.restoreAllMocks();
    if (retries.length) console.info(`fuzz: ${retries.length} request(s) were answered 503 and sent again:`, retries);
    console.info(`fuzz: ${cases?.length ?? 0} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it("generates at least 2,000 requests, deterministically", () => {
    expect(cases.length).toBeGreaterThanOrEqual(2000);
    expect(mulberry32(FUZZ_SEED)()).toBe(mulberry32(FUZZ_SEED)());
  });

  // Checked against the Worker's own route table, so a route added later without fuzz cases
  // fails here instead of going untested.
  it("sends hostile requests to every route of the Worker", () => {
    const routes = [...new Set(createApp().routes.filter((r) => r.method !== "ALL" && !r.path.includes("*")).map((r) => `${r.method} ${r.path}`))];
    expect(routes.length).toBeGreaterThan(15);
    const matchers = routes.map((key) => {
      const [method, path] = key.split(" ") as [string, string];
      return { key, method, re: new RegExp(`^${path.replace(/:[A-Za-z]+/g, "[^/?]+")}(\\?|$)`) };
    });
    const perRoute = new Map(routes.map((k) => [k, 0]));
    for (const c of cases) {
      const m = matchers.find((x) => x.method === c.method && x.re.test(c.path));
      if (m) perRoute.set(m.key, perRoute.get(m.key)! + 1);
    }
    console.info(`fuzz: requests per route: ${[...perRoute].map(([k, n]) => `${k} ${n}`).join(", ")}`);
    const untested = [...perRoute].filter(([, n]) => n < 10).map(([k, n]) => `${k} (${n})`);
    expect(untested, "routes with fewer than 10 fuzz requests").toEqual([]);
  });

  const CATEGORIES = ["truncated-json", "malformed-json", "wrong-types", "huge-strings", "deep-nesting", "invalid-utf8", "nul-bytes", "proto-keys",
    "unicode", "headers", "path-ids", "wrong-methods", "content-types", "query"];
  const BODY_CATEGORIES = new Set(["truncated-json", "malformed-json", "wrong-types", "huge-strings", "deep-nesting", "invalid-utf8", "nul-bytes", "proto-keys", "unicode", "content-types"]);
  for (const category of CATEGORIES) {
    it(`${category}: no 5xx, every refusal a JSON error with the request id, nothing leaked`, async () => {
      const mine = cases.filter((c) => c.category === category);
      expect(mine.length).toBeGreaterThan(0);
      // The Worker logs every request: keep them, and look for unhandled errors.
      const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
        logLines.push(args.map(String).join(" "));
      });
      let outcomes: Outcome[];
      try {
        outcomes = await runAll(mine, u);
      } finally {
        spy.mockRestore();
      }
      // An authenticated body case must reach the body checks: a 401 would mean the fuzz tested nothing.
      if (BODY_CATEGORIES.has(category)) {
        for (const o of outcomes) if (!o.problem && o.c.who !== "anon" && o.status === 401) o.problem = "401 for an authenticated case: the body was never checked";
      }
      const tally: Record<number, number> = {};
      for (const o of outcomes) tally[o.status] = (tally[o.status] ?? 0) + 1;
      console.info(`fuzz ${category}: ${mine.length} requests, statuses ${JSON.stringify(tally)}`);
      // The Worker's own log lines of a failing request say why (they were captured above).
      const logsOf = (rid?: string | null) => (rid ? logLines.filter((l) => l.includes(rid)).map((l) => l.slice(0, 400)).join(" | ") : "");
      const problems = outcomes.filter((o) => o.problem).map((o) => `${o.c.method} ${o.c.path.slice(0, 80)} [${o.c.who}] ${o.c.label}: ${o.problem} ${logsOf(o.requestId)}`);
      expect(problems.slice(0, 15), `${problems.length} of ${mine.length} failed`).toEqual([]);
    }, 120_000);
  }

  it("no request raised an unhandled error in the Worker", () => {
    const unhandled = logLines.filter((l) => /"msg":"unhandled error"/.test(l));
    expect(unhandled.slice(0, 5)).toEqual([]);
  });

  it("refused requests changed no state of A and B", async () => {
    // Deferred writes (audit, usage) of the last requests land after their responses.
    await new Promise((r) => setTimeout(r, 300));
    const after = await snapshot(u);
    expect(after).toEqual(before);
    expect((after.api.A as any).conv.body.messages).toHaveLength(2);
  }, 30_000);

  it("refused registrations created no account", async () => {
    const refused = cases.filter((c) => c.category && c.email && c.expect === "refuse").map((c) => c.email!);
    expect(refused.length).toBeGreaterThan(50);
    const found = await withDb((db) => db.select({ email: users.email }).from(users).where(inArray(users.email, refused)));
    expect(found).toEqual([]);
  }, 30_000);
});

/** Bugs the fuzz found, kept as named cases (each was a 500 from PostgreSQL). */
describe("fuzz regressions", () => {
  const expect400 = async (res: Response) => {
    const body = await res.json<any>();
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  };

  it("a NUL in the login email is a 400, not a 500 (PostgreSQL text cannot hold U+0000)", async () => {
    await expect400(await call("/api/auth/login", { body: { email: "a\u0000b@example.test", password: "Wrong-Password-0000" } }));
  });

  it("a NUL or control character in a consent version is a 400, at sign-up and in /api/me/consents", async () => {
    const email = uniqueEmail("nul");
    await expect400(await call("/api/auth/register", { body: { email, password: "Correct-Horse-Battery-42", consent: { terms: true, version: "2026\u000011" } } }));
    const u = await signUp();
    for (const version of ["v\u0000", "\u0000", "v\u001b[31m"]) {
      await expect400(await call("/api/me/consents", { token: u.accessToken, body: { kind: "processing", granted: true, version } }));
    }
    const consentsOf = await call("/api/me/consents", { token: u.accessToken });
    expect((await consentsOf.json<any>()).history).toHaveLength(2); // the two of sign-up only
    const ghost = await withDb((db) => db.select({ id: users.id }).from(users).where(eq(users.email, email)));
    expect(ghost).toEqual([]);
  });

  it("a conversation cursor whose date PostgreSQL cannot hold (year 0, beyond 9999, 6-digit years) is a 400", async () => {
    const u = await signUp();
    const id = crypto.randomUUID();
    for (const iso of ["+275760-09-13T00:00:00.000Z", "-200000-01-01T00:00:00.000Z", "+010000-01-01T00:00:00.000Z", "0000-06-01T00:00:00.000Z"]) {
      const cursor = encodeURIComponent(btoa(`${iso}|${id}`));
      await expect400(await call(`/api/conversations?cursor=${cursor}`, { token: u.accessToken }));
    }
    // The edges PostgreSQL does hold still page normally.
    for (const iso of ["0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"]) {
      const res = await call(`/api/conversations?cursor=${encodeURIComponent(btoa(`${iso}|${id}`))}`, { token: u.accessToken });
      expect(res.status).toBe(200);
    }
  });

  it("the review queue: a cursor date PostgreSQL cannot hold, a NUL in a decision's note or reviewer, are 400s", async () => {
    const id = crypto.randomUUID();
    for (const iso of ["-200000-01-01T00:00:00.000Z", "+275760-09-13T00:00:00.000Z", "0000-06-01T00:00:00.000Z"]) {
      await expect400(await admin(`/reviews?cursor=${encodeURIComponent(btoa(`${iso}|${id}`))}`));
    }
    expect((await admin(`/reviews?cursor=${encodeURIComponent(btoa(`0001-01-01T00:00:00.000Z|${id}`))}&limit=1`)).status).toBe(200);
    for (const body of [{ decision: "approved", note: "ok\u0000" }, { decision: "flagged", reviewer: "dr\u0000x" }, { decision: "flagged", reviewer: "dr\u001b[2J" }]) {
      await expect400(await admin(`/reviews/${id}`, { method: "POST", body }));
    }
    // A multi-line note is still a note.
    expect((await admin(`/reviews/${id}`, { method: "POST", body: { decision: "approved", note: "ligne 1\nligne 2" } })).status).toBe(404);
  });
});
