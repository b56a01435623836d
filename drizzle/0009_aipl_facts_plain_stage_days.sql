ALTER TABLE "aipl_facts" ALTER COLUMN "last_day" DROP EXPRESSION;--> statement-breakpoint
ALTER TABLE "aipl_facts" ALTER COLUMN "aware_day" DROP EXPRESSION;--> statement-breakpoint
ALTER TABLE "aipl_facts" ALTER COLUMN "interest_day" DROP EXPRESSION;--> statement-breakpoint
ALTER TABLE "aipl_facts" ALTER COLUMN "purchase_day" DROP EXPRESSION;--> statement-breakpoint
ALTER TABLE "aipl_facts" ALTER COLUMN "loyal_day" DROP EXPRESSION;