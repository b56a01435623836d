ALTER TABLE "aipl_facts" ALTER COLUMN "shop_id" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "aipl_facts" ALTER COLUMN "scope" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "aipl_facts" ALTER COLUMN "consumer_id" SET DATA TYPE text collate "C";