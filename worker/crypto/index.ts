/** Crypto helpers on WebCrypto only: encodings, AEAD, envelope keys, passwords, JWT. */
export * from "./encoding";
export * from "./errors";
export * from "./util";
export * from "./aead";
export * from "./keyring";
export * from "./password";
export * from "./password-policy";
export type { Jwk, Jwks } from "./jwk";
export * from "./jwt";
export * from "./jwks";
