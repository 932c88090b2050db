/**
 * A local identity provider for tests (Node side, started by the global setup).
 *
 *   GET  /.well-known/jwks.json        the public keys: one RSA-2048 (RS256), one P-256 (ES256)
 *   GET  /__control/jwks-requests      how many times the key set was fetched (test-only)
 *   POST /sign                         {alg: "RS256"|"ES256", claims, header?} -> {token}
 *   POST /sign-hs256-with-public-key   {claims, header?, secret?: "pem"|"jwk"} -> {token}
 *
 * `/sign` lets tests inside workerd mint tokens with the private keys, which never leave
 * this process. `header` is merged over the default {alg, typ, kid}, so a test can forge a
 * header (unknown kid, no kid, another alg) while the signature still uses the named key.
 * `/sign-hs256-with-public-key` is the classic key-confusion attack: an HS256 token whose
 * HMAC secret is the RSA public key as its SPKI PEM text (default) or its JWK JSON.
 * The keys are generated per run; nothing is written to disk.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export const IDP_RSA_KID = "idp-rsa-1";
export const IDP_EC_KID = "idp-ec-1";

export interface RunningIdp {
  url: string;
  jwksUrl: string;
  close(): Promise<void>;
}

type Alg = "RS256" | "ES256";

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

function jws(header: Record<string, unknown>, claims: Record<string, unknown>, signer: (input: Buffer) => Buffer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(signer(Buffer.from(input)))}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export async function startIdp(opts: { port?: number; host?: string } = {}): Promise<RunningIdp> {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 0x10001 });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const publicJwk = (key: KeyObject, kid: string, alg: Alg) => ({ ...key.export({ format: "jwk" }), kid, alg, use: "sig" });
  const rsaJwk = publicJwk(rsa.publicKey, IDP_RSA_KID, "RS256");
  const ecJwk = publicJwk(ec.publicKey, IDP_EC_KID, "ES256");
  const jwks = { keys: [rsaJwk, ecJwk] };
  const rsaPem = rsa.publicKey.export({ format: "pem", type: "spki" }) as string;
  let jwksRequests = 0;

  const signers: Record<Alg, { kid: string; sign: (input: Buffer) => Buffer }> = {
    RS256: { kid: IDP_RSA_KID, sign: (input) => sign("sha256", input, rsa.privateKey) },
    // JWS ES256 signatures are raw r||s (RFC 7518 §3.4), not DER.
    ES256: { kid: IDP_EC_KID, sign: (input) => sign("sha256", input, { key: ec.privateKey, dsaEncoding: "ieee-p1363" }) },
  };

  const sendJson = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
  };

  const readBody = (req: http.IncomingMessage) =>
    new Promise<unknown>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
        } catch (e) {
          reject(e);
        }
      });
      req.on("error", reject);
    });

  const server = http.createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? "/", "http://idp").pathname;
      if (req.method === "GET" && path === "/.well-known/jwks.json") {
        jwksRequests++;
        return sendJson(res, 200, jwks);
      }
      if (req.method === "GET" && path === "/__control/jwks-requests") return sendJson(res, 200, { count: jwksRequests });
      if (req.method === "POST" && path === "/sign") {
        const body = await readBody(req);
        if (!isObject(body) || (body.alg !== "RS256" && body.alg !== "ES256") || !isObject(body.claims)) {
          return sendJson(res, 400, { error: "expected {alg: RS256|ES256, claims, header?}" });
        }
        const signer = signers[body.alg];
        const header = { alg: body.alg, typ: "JWT", kid: signer.kid, ...(isObject(body.header) ? body.header : {}) };
        return sendJson(res, 200, { token: jws(header, body.claims, signer.sign) });
      }
      if (req.method === "POST" && path === "/sign-hs256-with-public-key") {
        const body = await readBody(req);
        if (!isObject(body) || !isObject(body.claims)) return sendJson(res, 400, { error: "expected {claims, header?, secret?}" });
        const secret = body.secret === "jwk" ? JSON.stringify(rsaJwk) : rsaPem;
        const header = { alg: "HS256", typ: "JWT", kid: IDP_RSA_KID, ...(isObject(body.header) ? body.header : {}) };
        return sendJson(res, 200, { token: jws(header, body.claims, (input) => createHmac("sha256", secret).update(input).digest()) });
      }
      sendJson(res, 404, { error: "not found" });
    } catch (e) {
      sendJson(res, 400, { error: e instanceof Error ? e.message : String(e) });
    }
  });

  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    jwksUrl: `${url}/.well-known/jwks.json`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
