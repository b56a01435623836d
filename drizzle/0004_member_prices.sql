ALTER TABLE "timed_discounts" ADD COLUMN "member_level" text;--> statement-breakpoint
ALTER TABLE "timed_discounts" ADD COLUMN "member_level_rank" integer;