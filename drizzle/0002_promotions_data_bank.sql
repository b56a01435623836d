CREATE TABLE "aipl_daily" (
	"shop_id" text NOT NULL,
	"scope" text NOT NULL,
	"day" integer NOT NULL,
	"awareness" integer NOT NULL,
	"interest" integer NOT NULL,
	"purchase" integer NOT NULL,
	"loyalty" integer NOT NULL,
	CONSTRAINT "aipl_daily_shop_id_scope_day_pk" PRIMARY KEY("shop_id","scope","day")
);
--> statement-breakpoint
CREATE TABLE "aipl_facts" (
	"shop_id" text NOT NULL,
	"scope" text NOT NULL,
	"consumer_id" text NOT NULL,
	"exposure_day" integer,
	"view_days" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"active_day" integer,
	"purchase_days" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"praise_day" integer,
	"spend" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "aipl_facts_shop_id_scope_consumer_id_pk" PRIMARY KEY("shop_id","scope","consumer_id")
);
--> statement-breakpoint
CREATE TABLE "aipl_snapshot_days" (
	"day" integer PRIMARY KEY NOT NULL,
	"taken_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aipl_stage_changes" (
	"shop_id" text NOT NULL,
	"scope" text NOT NULL,
	"consumer_id" text NOT NULL,
	"day" integer NOT NULL,
	"stage" text NOT NULL,
	CONSTRAINT "aipl_stage_changes_shop_id_scope_consumer_id_day_pk" PRIMARY KEY("shop_id","scope","consumer_id","day")
);
--> statement-breakpoint
CREATE TABLE "crm_relations" (
	"shop_id" text NOT NULL,
	"consumer_id" text NOT NULL,
	"visited_at" timestamp with time zone,
	"interacted_at" timestamp with time zone,
	"followed_at" timestamp with time zone,
	"friend_at" timestamp with time zone,
	"bought_at" timestamp with time zone,
	"purchases" integer DEFAULT 0 NOT NULL,
	"spend" bigint DEFAULT 0 NOT NULL,
	"region" text,
	"last_seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "crm_relations_shop_id_consumer_id_pk" PRIMARY KEY("shop_id","consumer_id")
);
--> statement-breakpoint
CREATE TABLE "databank_devices" (
	"device_id" text PRIMARY KEY NOT NULL,
	"buyer_id" text NOT NULL,
	"linked_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "databank_items" (
	"product_id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"brand_id" text,
	"category_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "databank_settings" (
	"id" integer PRIMARY KEY NOT NULL,
	"retention_days" integer NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "membership_programme_shops" (
	"programme_id" text NOT NULL,
	"shop_id" text NOT NULL,
	"added_at" timestamp with time zone NOT NULL,
	CONSTRAINT "membership_programme_shops_programme_id_shop_id_pk" PRIMARY KEY("programme_id","shop_id"),
	CONSTRAINT "membership_programme_shops_shop_id_unique" UNIQUE("shop_id")
);
--> statement-breakpoint
CREATE TABLE "membership_programmes" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"owner_shop_id" text NOT NULL,
	"levels" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memberships" (
	"programme_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"joined_at" timestamp with time zone NOT NULL,
	"joined_via_shop_id" text NOT NULL,
	CONSTRAINT "memberships_programme_id_buyer_id_pk" PRIMARY KEY("programme_id","buyer_id")
);
--> statement-breakpoint
CREATE TABLE "segments" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"name" text NOT NULL,
	"filter" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "checkout_points" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"buyer_id" text NOT NULL,
	"points" integer NOT NULL,
	"fen_per_point" integer NOT NULL,
	"lots" jsonb NOT NULL,
	"returned" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "coupon_templates" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"amount" bigint DEFAULT 0 NOT NULL,
	"percent_off_bp" integer DEFAULT 0 NOT NULL,
	"cap" bigint DEFAULT 0 NOT NULL,
	"threshold" bigint DEFAULT 0 NOT NULL,
	"category_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"total_limit" integer NOT NULL,
	"per_buyer_limit" integer NOT NULL,
	"claimed" integer DEFAULT 0 NOT NULL,
	"used" integer DEFAULT 0 NOT NULL,
	"audience" text DEFAULT 'all' NOT NULL,
	"audience_buyer_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"segment_id" text,
	"funder" text NOT NULL,
	"platform_share_bp" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "coupons" (
	"id" text PRIMARY KEY NOT NULL,
	"template_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"claim_no" integer NOT NULL,
	"status" text DEFAULT 'unused' NOT NULL,
	"payment_id" text,
	"claimed_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "full_reductions" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text,
	"name" text NOT NULL,
	"mode" text NOT NULL,
	"tiers" jsonb NOT NULL,
	"cap" bigint DEFAULT 0 NOT NULL,
	"shop_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"funder" text NOT NULL,
	"platform_share_bp" integer DEFAULT 0 NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_discounts" (
	"id" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"order_id" text NOT NULL,
	"order_line_id" text NOT NULL,
	"shop_id" text NOT NULL,
	"kind" text NOT NULL,
	"promotion_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"merchant_funded" bigint NOT NULL,
	"platform_funded" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subsidies" (
	"id" text PRIMARY KEY NOT NULL,
	"sku_id" text NOT NULL,
	"per_unit" bigint NOT NULL,
	"budget" bigint NOT NULL,
	"committed" bigint DEFAULT 0 NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "timed_discounts" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"sku_id" text NOT NULL,
	"unit_price" bigint NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "flash_buyer_tallies" (
	"flash_sale_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"taken" integer NOT NULL,
	"per_buyer_limit" integer NOT NULL,
	CONSTRAINT "flash_buyer_tallies_flash_sale_id_buyer_id_pk" PRIMARY KEY("flash_sale_id","buyer_id"),
	CONSTRAINT "flash_buyer_tallies_within_limit" CHECK ("flash_buyer_tallies"."taken" >= 0 and "flash_buyer_tallies"."taken" <= "flash_buyer_tallies"."per_buyer_limit")
);
--> statement-breakpoint
CREATE TABLE "flash_claims" (
	"id" text PRIMARY KEY NOT NULL,
	"flash_sale_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"order_id" text NOT NULL,
	"quantity" integer NOT NULL,
	"status" text DEFAULT 'held' NOT NULL,
	"shards" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL,
	"sold_at" timestamp with time zone,
	"released_at" timestamp with time zone,
	CONSTRAINT "flash_claims_quantity" CHECK ("flash_claims"."quantity" >= 1)
);
--> statement-breakpoint
CREATE TABLE "flash_sale_shards" (
	"flash_sale_id" text NOT NULL,
	"shard" integer NOT NULL,
	"quota" integer NOT NULL,
	"claimed" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "flash_sale_shards_flash_sale_id_shard_pk" PRIMARY KEY("flash_sale_id","shard"),
	CONSTRAINT "flash_sale_shards_within_quota" CHECK ("flash_sale_shards"."claimed" >= 0 and "flash_sale_shards"."claimed" <= "flash_sale_shards"."quota")
);
--> statement-breakpoint
CREATE TABLE "flash_sales" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"sku_id" text NOT NULL,
	"product_id" text NOT NULL,
	"list_price" bigint NOT NULL,
	"flash_price" bigint NOT NULL,
	"quota" integer NOT NULL,
	"per_buyer_limit" integer NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "flash_sales_window" CHECK ("flash_sales"."ends_at" > "flash_sales"."starts_at"),
	CONSTRAINT "flash_sales_price" CHECK ("flash_sales"."flash_price" > 0 and "flash_sales"."flash_price" < "flash_sales"."list_price"),
	CONSTRAINT "flash_sales_limit" CHECK ("flash_sales"."per_buyer_limit" >= 1 and "flash_sales"."per_buyer_limit" <= "flash_sales"."quota")
);
--> statement-breakpoint
CREATE TABLE "ranking_flags" (
	"record_id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"found_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ranking_products" (
	"product_id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"category_id" text NOT NULL,
	"launched_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "ranking_sales" (
	"line_id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"shop_id" text NOT NULL,
	"product_id" text NOT NULL,
	"category_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"units" integer NOT NULL,
	"amount" bigint NOT NULL,
	"refunded_units" integer DEFAULT 0 NOT NULL,
	"refunded_amount" bigint DEFAULT 0 NOT NULL,
	"paid_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "order_lines" ADD COLUMN "points_amount" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "order_lines" ADD COLUMN "platform_funded" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "points_amount" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "databank_items_shop" ON "databank_items" USING btree ("shop_id","product_id");--> statement-breakpoint
CREATE INDEX "segments_shop" ON "segments" USING btree ("shop_id","created_at","id");--> statement-breakpoint
CREATE INDEX "coupon_templates_shop" ON "coupon_templates" USING btree ("shop_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "coupons_buyer_claim" ON "coupons" USING btree ("template_id","buyer_id","claim_no");--> statement-breakpoint
CREATE INDEX "coupons_buyer" ON "coupons" USING btree ("buyer_id","status");--> statement-breakpoint
CREATE INDEX "coupons_payment" ON "coupons" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "full_reductions_window" ON "full_reductions" USING btree ("valid_from","valid_until");--> statement-breakpoint
CREATE INDEX "order_discounts_order" ON "order_discounts" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "order_discounts_promotion" ON "order_discounts" USING btree ("promotion_id");--> statement-breakpoint
CREATE INDEX "order_discounts_payment" ON "order_discounts" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "subsidies_sku" ON "subsidies" USING btree ("sku_id","valid_from");--> statement-breakpoint
CREATE INDEX "timed_discounts_sku" ON "timed_discounts" USING btree ("sku_id","valid_from");--> statement-breakpoint
CREATE UNIQUE INDEX "flash_claims_order" ON "flash_claims" USING btree ("flash_sale_id","order_id");--> statement-breakpoint
CREATE INDEX "flash_claims_by_order" ON "flash_claims" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "flash_claims_buyer" ON "flash_claims" USING btree ("flash_sale_id","buyer_id");--> statement-breakpoint
CREATE INDEX "flash_sales_sku" ON "flash_sales" USING btree ("sku_id","starts_at");--> statement-breakpoint
CREATE INDEX "flash_sales_shop" ON "flash_sales" USING btree ("shop_id","created_at","id");--> statement-breakpoint
CREATE INDEX "flash_sales_window" ON "flash_sales" USING btree ("ends_at","starts_at");--> statement-breakpoint
CREATE INDEX "ranking_flags_shop" ON "ranking_flags" USING btree ("shop_id","found_at");--> statement-breakpoint
CREATE INDEX "ranking_products_category" ON "ranking_products" USING btree ("category_id","launched_at");--> statement-breakpoint
CREATE INDEX "ranking_sales_category" ON "ranking_sales" USING btree ("category_id","paid_at");--> statement-breakpoint
CREATE INDEX "ranking_sales_order" ON "ranking_sales" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "ranking_sales_product" ON "ranking_sales" USING btree ("product_id","buyer_id");