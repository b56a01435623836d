ALTER TABLE "aipl_stage_changes" ADD COLUMN "from_stage" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
UPDATE "aipl_stage_changes" AS c SET "from_stage" = p."from_stage" FROM (
  SELECT "shop_id", "scope", "consumer_id", "day",
    lag("stage", 1, 'none') OVER (PARTITION BY "shop_id", "scope", "consumer_id" ORDER BY "day") AS "from_stage"
  FROM "aipl_stage_changes") AS p
WHERE c."shop_id" = p."shop_id" AND c."scope" = p."scope" AND c."consumer_id" = p."consumer_id" AND c."day" = p."day"
  AND p."from_stage" <> 'none';--> statement-breakpoint
ALTER TABLE "aipl_stage_changes" DROP CONSTRAINT "aipl_stage_changes_shop_id_scope_consumer_id_day_pk";--> statement-breakpoint
ALTER TABLE "aipl_stage_changes" ADD CONSTRAINT "aipl_stage_changes_key" PRIMARY KEY("shop_id","scope","day","consumer_id","stage","from_stage");--> statement-breakpoint
ALTER TABLE "aipl_facts"
  ADD COLUMN "last_day" integer GENERATED ALWAYS AS (greatest(exposure_day, view_days[1], active_day, purchase_days[1], praise_day)) STORED,
  ADD COLUMN "aware_day" integer GENERATED ALWAYS AS (greatest(exposure_day, view_days[1])) STORED,
  ADD COLUMN "interest_day" integer GENERATED ALWAYS AS (greatest(active_day, view_days[2])) STORED,
  ADD COLUMN "purchase_day" integer GENERATED ALWAYS AS (purchase_days[1]) STORED,
  ADD COLUMN "loyal_day" integer GENERATED ALWAYS AS (greatest(praise_day, purchase_days[2])) STORED;
