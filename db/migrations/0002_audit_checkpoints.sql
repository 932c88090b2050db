CREATE TABLE "audit_checkpoints" (
	"chain_id" integer PRIMARY KEY NOT NULL,
	"through_seq" bigint NOT NULL,
	"hash" text NOT NULL,
	"pruned_at" timestamp with time zone DEFAULT now() NOT NULL
);
