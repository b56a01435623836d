ALTER TABLE "aipl_snapshot_queue" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "aipl_snapshot_queue" ADD COLUMN "last_error" text;--> statement-breakpoint
ALTER TABLE "aipl_snapshot_queue" ADD COLUMN "retry_at" timestamp with time zone;