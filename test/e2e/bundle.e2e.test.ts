/**
 * The production build of the web chat (`vite build` -> web/dist) ships no secret and
 * keeps its security headers: no provider key, no server secret (even when they are in
 * the build's environment), no token literal, no inline script or style, the CSP in both
 * the <meta> and the Cloudflare Pages `_headers` file.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./support/stack";

const DIST = path.join(ROOT, "web", "dist");
const VITE = path.join(ROOT, "node_modules", ".bin", "vite");
const CONFIG = path.join(ROOT, "web", "vite.config.ts");

const CSP_HEADER =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const CSP_META = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'";

/** Secrets planted in the build's environment: none may reach the bundle. */
const CANARIES: Record<string, string> = {
  JWT_SECRET: "e2e-canary-jwt-secret-3b1f9c7d2a6e4f80b5c1d9e7a3f2b6c4",
  ADMIN_TOKEN: "e2e-canary-admin-token-9d8c7b6a5f4e3d2c1b0a",
  METRICS_TOKEN: "e2e-canary-metrics-token-1a2b3c4d",
  ENCRYPTION_KEYS: "e2e1:Y2FuYXJ5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGVzISE=",
  OPENAI_API_KEY: "sk-e2ecanaryopenai0123456789abcdef",
  ANTHROPIC_API_KEY: "sk-ant-e2ecanary0123456789abcdef",
  MISTRAL_API_KEY: "e2ecanarymistral0123456789abcdef",
  UPSTASH_REDIS_REST_TOKEN: "e2e-canary-upstash-token-0123456789",
  DATABASE_URL: "postgres://canary:e2e-canary-db-password@db.example.test/unialist",
};

function build(extraEnv: Record<string, string>, outDir?: string): void {
  const args = ["build", "--config", CONFIG, "--logLevel", "warn"];
  if (outDir) args.push("--outDir", outDir, "--emptyOutDir");
  const res = spawnSync(VITE, args, {
    cwd: ROOT,
    env: { ...process.env, ...CANARIES, ...extraEnv, PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}` },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (res.status !== 0) throw new Error(`vite build failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
}

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

/** Secret values this machine knows about: the dev stack's generated secrets and .dev.vars. */
function localSecretValues(): string[] {
  const values: string[] = [];
  const secretsFile = path.join(ROOT, ".dev", "secrets.json");
  if (fs.existsSync(secretsFile)) {
    try {
      values.push(...Object.values(JSON.parse(fs.readFileSync(secretsFile, "utf8")) as Record<string, string>));
    } catch {
      // unreadable: skip
    }
  }
  const devVars = path.join(ROOT, ".dev.vars");
  if (fs.existsSync(devVars)) {
    for (const line of fs.readFileSync(devVars, "utf8").split(/\r?\n/)) {
      const m = /^(?:export\s+)?([A-Z0-9_]*(?:SECRET|TOKEN|KEY|KEYS|PASSWORD|DATABASE_URL)[A-Z0-9_]*)\s*=\s*["'`]?([^"'`#\s]+)/.exec(line.trim());
      if (m) values.push(m[2]!);
    }
  }
  for (const [k, v] of Object.entries(process.env)) {
    if (v && /SECRET|TOKEN|API_KEY|ENCRYPTION_KEYS|PASSWORD/.test(k) && v.length >= 12) values.push(v);
  }
  // Each key of a key ring separately, too.
  return [...new Set(values.flatMap((v) => [v, ...v.split(",").map((p) => p.split(":").slice(1).join(":"))]).filter((v) => v.length >= 12))];
}

let tmp: string;
let bundle: { file: string; text: string }[];
let apiBundleDir: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "unialist-bundle-"));
  build({ VITE_CACHE_DIR: path.join(tmp, "cache") });
  bundle = files(DIST).map((file) => ({ file: path.relative(DIST, file), text: fs.readFileSync(file, "utf8") }));
  apiBundleDir = path.join(tmp, "dist-api");
  build({ VITE_CACHE_DIR: path.join(tmp, "cache-api"), VITE_API_BASE: "https://api.unialist.example/" }, apiBundleDir);
}, 240_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const hits = (re: RegExp) => bundle.flatMap(({ file, text }) => [...text.matchAll(new RegExp(re.source, re.flags.includes("g") ? re.flags : `${re.flags}g`))].map((m) => `${file}: …${text.slice(Math.max(0, m.index! - 30), m.index! + m[0].length + 30)}…`));

describe("web/dist: no secrets", () => {
  it("has the expected files and no source maps", () => {
    const names = bundle.map((b) => b.file);
    for (const f of ["index.html", "_headers", "privacy.html"]) expect(names).toContain(f);
    expect(names.some((n) => /^assets\/.+\.js$/.test(n))).toBe(true);
    expect(names.some((n) => /^assets\/.+\.css$/.test(n))).toBe(true);
    expect(names.filter((n) => n.endsWith(".map"))).toEqual([]);
    expect(hits(/sourceMappingURL/)).toEqual([]);
  });

  it("contains no provider key (sk-…, sk-ant-…, …) and no key variable names", () => {
    expect(hits(/(?<![A-Za-z0-9])sk-/)).toEqual([]);
    expect(hits(/(?:OPENAI|ANTHROPIC|MISTRAL)_API_KEY/)).toEqual([]);
    expect(hits(/AKIA[0-9A-Z]{16}|xox[abp]-[0-9A-Za-z-]{10,}|ghp_[0-9A-Za-z]{20,}|AIza[0-9A-Za-z_-]{30,}|-----BEGIN [A-Z ]*PRIVATE KEY/)).toEqual([]);
  });

  it("contains no server secret: neither the names nor the values planted in the build environment", () => {
    expect(hits(/JWT_SECRET|ADMIN_TOKEN|METRICS_TOKEN|ENCRYPTION_KEYS|UPSTASH_REDIS_REST_TOKEN|DATABASE_URL/)).toEqual([]);
    for (const [name, value] of Object.entries(CANARIES)) {
      const found = bundle.filter(({ text }) => text.includes(value)).map((b) => b.file);
      expect(found, `${name}'s value leaked into`).toEqual([]);
    }
    expect(hits(/e2e-?canary/i)).toEqual([]);
  });

  it("contains none of this machine's local secrets (.dev/secrets.json, .dev.vars, environment)", () => {
    for (const value of localSecretValues()) {
      const found = bundle.filter(({ text }) => text.includes(value)).map((b) => b.file);
      expect(found, `a local secret (${value.slice(0, 4)}…) is in the bundle`).toEqual([]);
    }
  });

  it("contains no token literal: no JWT, no 'Bearer <token>', no connection string", () => {
    expect(hits(/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/)).toEqual([]);
    expect(hits(/Bearer\s+[A-Za-z0-9._~+/=-]{8,}/)).toEqual([]);
    expect(hits(/(?:postgres(?:ql)?|redis|rediss):\/\//)).toEqual([]);
  });

  it("never stores tokens in web storage or JS-readable cookies", () => {
    const js = bundle.filter((b) => b.file.endsWith(".js")).map((b) => b.text).join("\n");
    expect(js).not.toMatch(/sessionStorage/);
    expect(js).not.toMatch(/document\.cookie/);
    // localStorage holds the language only.
    const uses = [...js.matchAll(/localStorage\.(\w+)\(([^,)]*)/g)].map((m) => `${m[1]}(${m[2]})`);
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) expect(use).toMatch(/^(getItem|setItem)\(/);
    expect(js).toContain("unialist.lang");
  });
});

describe("web/dist: security headers and markup", () => {
  const read = (f: string) => bundle.find((b) => b.file === f)!.text;

  it("_headers sets the CSP, nosniff and the referrer policy for every path", () => {
    const headers = read("_headers");
    expect(headers).toMatch(/^\/\*$/m);
    expect(headers).toContain(`Content-Security-Policy: ${CSP_HEADER}`);
    expect(headers).toMatch(/X-Content-Type-Options: nosniff/);
    expect(headers).toMatch(/Referrer-Policy: (no-referrer|strict-origin-when-cross-origin|same-origin)/);
  });

  it("index.html: lang fr, the meta CSP, no inline script, handler or style", () => {
    const html = read("index.html");
    expect(html).toMatch(/<html lang="fr">/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${CSP_META}">`);
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(m[1], "every script has a src").toMatch(/\bsrc="\/assets\/[^"]+\.js"/);
      expect(m[2]!.trim(), "no inline script body").toBe("");
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it("privacy.html is a French page without scripts", () => {
    const html = read("privacy.html");
    expect(html).toMatch(/<html lang="fr">/);
    expect(html).toContain("Politique de confidentialité");
    expect(html).not.toMatch(/<script\b/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  });

  it("with VITE_API_BASE, its origin (only) is added to connect-src in both places", () => {
    const headers = fs.readFileSync(path.join(apiBundleDir, "_headers"), "utf8");
    const html = fs.readFileSync(path.join(apiBundleDir, "index.html"), "utf8");
    expect(headers).toContain("connect-src 'self' https://api.unialist.example;");
    expect(html).toContain("connect-src 'self' https://api.unialist.example;");
    const js = files(path.join(apiBundleDir, "assets")).filter((f) => f.endsWith(".js")).map((f) => fs.readFileSync(f, "utf8")).join("\n");
    expect(js).toContain("https://api.unialist.example");
  });
});
