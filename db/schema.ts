/**
 * The one database schema. Columns are named like their properties (snake_case in SQL).
 * No table holds message plaintext: messages keep ciphertext, IV and key id only.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  /** Normalized (trimmed, lower-cased); replaced by an opaque value when the user is erased. */
  email: text("email").notNull(),
  passwordHash: text("password_hash"),
  /** Subject at the external identity provider, for users provisioned from a JWKS token. */
  externalSubject: text("external_subject"),
  tier: text("tier", { enum: ["free", "basic", "premium", "enterprise"] }).notNull().default("free"),
  subscriptionActive: boolean("subscription_active").notNull().default(true),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
  deletedAt: ts("deleted_at"),
}, (t) => [
  uniqueIndex("users_email_unique").on(t.email),
  uniqueIndex("users_external_subject_unique").on(t.externalSubject),
]);

/** Each user's data key, only ever stored wrapped by a key-encryption key of the ring. */
export const userKeys = pgTable("user_keys", {
  userId: uuid("user_id").primaryKey().references(() => users.id, { onDelete: "cascade" }),
  /** Recorded on every message and title encrypted with this key. */
  dataKeyId: text("data_key_id").notNull(),
  wrappedKey: bytea("wrapped_key").notNull(),
  wrapIv: bytea("wrap_iv").notNull(),
  kekId: text("kek_id").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
  rewrappedAt: ts("rewrapped_at"),
}, (t) => [index("user_keys_kek_id_idx").on(t.kekId)]);

export const refreshTokens = pgTable("refresh_tokens", {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  /** All tokens descending from one sign-in share a family; reuse revokes the family. */
  familyId: uuid("family_id").notNull(),
  tokenHash: text("token_hash").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
  expiresAt: ts("expires_at").notNull(),
  rotatedAt: ts("rotated_at"),
  revokedAt: ts("revoked_at"),
}, (t) => [
  uniqueIndex("refresh_tokens_token_hash_unique").on(t.tokenHash),
  index("refresh_tokens_family_idx").on(t.familyId),
  index("refresh_tokens_user_idx").on(t.userId),
]);

export const consents = pgTable("consents", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  /** "terms" at sign-up, "processing" for the chat (withdrawable). */
  kind: text("kind").notNull(),
  version: text("version").notNull(),
  granted: boolean("granted").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
}, (t) => [index("consents_user_idx").on(t.userId, t.kind, t.createdAt)]);

export const conversations = pgTable("conversations", {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  /** Encrypted like messages: titles are user text. */
  titleCiphertext: bytea("title_ciphertext"),
  titleIv: bytea("title_iv"),
  keyId: text("key_id"),
  createdAt: ts("created_at").notNull().defaultNow(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
}, (t) => [index("conversations_user_updated_idx").on(t.userId, t.updatedAt, t.id)]);

export const messages = pgTable("messages", {
  id: uuid("id").primaryKey().defaultRandom(),
  conversationId: uuid("conversation_id").notNull().references(() => conversations.id, { onDelete: "cascade" }),
  userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
  role: text("role", { enum: ["user", "assistant"] }).notNull(),
  ciphertext: bytea("ciphertext").notNull(),
  iv: bytea("iv").notNull(),
  keyId: text("key_id").notNull(),
  requestId: text("request_id"),
  /** Set when an answer was cut after part of it had been shown (moderation, output filter). */
  withdrawn: boolean("withdrawn").notNull().default(false),
  flagged: boolean("flagged").notNull().default(false),
  createdAt: ts("created_at").notNull().defaultNow(),
}, (t) => [index("messages_conversation_idx").on(t.conversationId, t.createdAt)]);

export const usage = pgTable("usage", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  /** Null once the user is erased: the ledger stays, the person does not. */
  userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
  model: text("model").notNull(),
  provider: text("provider").notNull(),
  inputTokens: integer("input_tokens").notNull().default(0),
  outputTokens: integer("output_tokens").notNull().default(0),
  costEur: numeric("cost_eur", { precision: 14, scale: 8 }).notNull().default("0"),
  latencyMs: integer("latency_ms"),
  timeToFirstTokenMs: integer("time_to_first_token_ms"),
  status: text("status").notNull(),
  requestId: text("request_id").notNull(),
  details: jsonb("details").$type<Record<string, unknown>>(),
  createdAt: ts("created_at").notNull().defaultNow(),
}, (t) => [
  uniqueIndex("usage_request_id_unique").on(t.requestId),
  index("usage_user_month_idx").on(t.userId, t.createdAt),
]);

export const auditEvents = pgTable("audit_events", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
  type: text("type").notNull(),
  severity: text("severity", { enum: ["info", "low", "medium", "high", "critical"] }).notNull(),
  requestId: text("request_id"),
  /** Rule ids, counts, hashes: never user text. */
  details: jsonb("details").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  /** Idempotency key so the outbox writes each event exactly once. */
  eventKey: text("event_key").notNull(),
  createdAt: ts("created_at").notNull().defaultNow(),
  /** Tamper evidence: rows form hash chains; each row's hash covers its content and the previous hash. */
  chainId: integer("chain_id"),
  chainSeq: bigint("chain_seq", { mode: "number" }),
  prevHash: text("prev_hash"),
  hash: text("hash"),
}, (t) => [
  uniqueIndex("audit_events_event_key_unique").on(t.eventKey),
  uniqueIndex("audit_events_chain_unique").on(t.chainId, t.chainSeq),
  index("audit_events_user_idx").on(t.userId, t.createdAt),
  index("audit_events_type_idx").on(t.type, t.createdAt),
]);


/**
 * EU AI Act human oversight: answers in critical domains (legal, financial, medical) are
 * traced and queued for review. Content is encrypted with the user's data key; only hashes
 * and guard names are in clear.
 */
export const reviews = pgTable("reviews", {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
  conversationId: uuid("conversation_id"),
  messageId: uuid("message_id"),
  requestId: text("request_id").notNull(),
  domain: text("domain").notNull(),
  model: text("model").notNull(),
  modelVersion: text("model_version").notNull(),
  guards: jsonb("guards").$type<Record<string, unknown>>().notNull(),
  inputHash: text("input_hash").notNull(),
  outputHash: text("output_hash").notNull(),
  contentCiphertext: bytea("content_ciphertext"),
  contentIv: bytea("content_iv"),
  keyId: text("key_id"),
  status: text("status", { enum: ["pending", "approved", "flagged"] }).notNull().default("pending"),
  reviewer: text("reviewer"),
  note: text("note"),
  decidedAt: ts("decided_at"),
  createdAt: ts("created_at").notNull().defaultNow(),
}, (t) => [
  uniqueIndex("reviews_request_id_unique").on(t.requestId),
  index("reviews_status_created_idx").on(t.status, t.createdAt),
  index("reviews_user_idx").on(t.userId),
]);

/**
 * Where audit retention cut each chain: the last pruned row's seq and hash. The verifier
 * starts the chain from here instead of the genesis hash.
 */
export const auditCheckpoints = pgTable("audit_checkpoints", {
  chainId: integer("chain_id").primaryKey(),
  throughSeq: bigint("through_seq", { mode: "number" }).notNull(),
  hash: text("hash").notNull(),
  prunedAt: ts("pruned_at").notNull().defaultNow(),
});
