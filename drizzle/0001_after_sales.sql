CREATE TABLE "complaints" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"shop_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"shop_kind" text NOT NULL,
	"reason" text NOT NULL,
	"detail" text,
	"status" text NOT NULL,
	"compensation" bigint DEFAULT 0 NOT NULL,
	"compensation_payout" text,
	"compensated_at" timestamp with time zone,
	"compensated_voluntarily" boolean DEFAULT false NOT NULL,
	"penalty_points" integer DEFAULT 0 NOT NULL,
	"penalty_track" text,
	"decision_note" text,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refund_events" (
	"id" text PRIMARY KEY NOT NULL,
	"refund_id" text NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"note" text,
	"detail" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refund_lines" (
	"refund_id" text NOT NULL,
	"order_line_id" text NOT NULL,
	"sku_id" text NOT NULL,
	"category_id" text NOT NULL,
	"quantity" integer NOT NULL,
	"amount" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"shop_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"shop_kind" text NOT NULL,
	"kind" text NOT NULL,
	"reason" text NOT NULL,
	"detail" text,
	"stage" text NOT NULL,
	"status" text NOT NULL,
	"amount" bigint NOT NULL,
	"return_postage" bigint DEFAULT 0 NOT NULL,
	"postage_paid_by" text,
	"postage_refund" bigint DEFAULT 0 NOT NULL,
	"return_carrier" text,
	"return_tracking_no" text,
	"return_shipped_at" timestamp with time zone,
	"act_by" timestamp with time zone,
	"refusal_reason" text,
	"refused_at" timestamp with time zone,
	"escalated_at" timestamp with time zone,
	"decision_note" text,
	"decided_by" text,
	"funded_from" text,
	"refunded_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"close_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "search_adjustments" (
	"shop_id" text NOT NULL,
	"source" text NOT NULL,
	"category_id" text,
	"effect" text NOT NULL,
	"until" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "search_adjustments_key" UNIQUE NULLS NOT DISTINCT("shop_id","source","category_id")
);
--> statement-breakpoint
CREATE TABLE "penalty_records" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"year" integer NOT NULL,
	"track" text NOT NULL,
	"points" integer NOT NULL,
	"reason" text NOT NULL,
	"note" text,
	"ref" text,
	"issued_by" text,
	"fake_orders" integer,
	"offence" integer,
	"late_detected" boolean,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "penalty_totals" (
	"shop_id" text NOT NULL,
	"year" integer NOT NULL,
	"general" integer DEFAULT 0 NOT NULL,
	"serious" integer DEFAULT 0 NOT NULL,
	"counterfeit" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "penalty_totals_shop_id_year_pk" PRIMARY KEY("shop_id","year")
);
--> statement-breakpoint
CREATE TABLE "shop_penalties" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"action" text NOT NULL,
	"ladder" text NOT NULL,
	"node" integer NOT NULL,
	"days" integer,
	"record_id" text NOT NULL,
	"status" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "points_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"buyer_id" text NOT NULL,
	"delta" integer NOT NULL,
	"reason" text NOT NULL,
	"ref" text,
	"lot_id" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "points_lots" (
	"id" text PRIMARY KEY NOT NULL,
	"buyer_id" text NOT NULL,
	"points" integer NOT NULL,
	"remaining" integer NOT NULL,
	"fen_per_point" integer NOT NULL,
	"reason" text NOT NULL,
	"ref" text,
	"granted_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quality_programme_evaluations" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"programme_id" text NOT NULL,
	"shop_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"qualified" boolean NOT NULL,
	"outcome" text NOT NULL,
	"results" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quality_programme_members" (
	"programme_id" text NOT NULL,
	"shop_id" text NOT NULL,
	"status" text NOT NULL,
	"admitted_at" timestamp with time zone NOT NULL,
	"demoted_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "quality_programme_members_programme_id_shop_id_pk" PRIMARY KEY("programme_id","shop_id")
);
--> statement-breakpoint
CREATE TABLE "quality_programme_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"programme_id" text NOT NULL,
	"trigger" text NOT NULL,
	"actor_id" text,
	"at" timestamp with time zone NOT NULL,
	"shops_evaluated" integer NOT NULL,
	"admitted" integer NOT NULL,
	"demoted" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quality_programmes" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"category_id" text NOT NULL,
	"criteria" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_evaluated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "quality_checks" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"category_id" text NOT NULL,
	"product_id" text,
	"passed" boolean NOT NULL,
	"note" text,
	"inspected_at" timestamp with time zone NOT NULL,
	"recorded_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "review_pair_months" (
	"shop_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"month" text NOT NULL,
	"scoring" integer DEFAULT 0 NOT NULL,
	"rated" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "review_pair_months_shop_id_buyer_id_month_pk" PRIMARY KEY("shop_id","buyer_id","month")
);
--> statement-breakpoint
CREATE TABLE "review_products" (
	"review_id" text NOT NULL,
	"product_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "review_products_review_id_product_id_pk" PRIMARY KEY("review_id","product_id")
);
--> statement-breakpoint
CREATE TABLE "reviews" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"shop_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"buyer_alias" text NOT NULL,
	"order_total" bigint NOT NULL,
	"pair_month" text NOT NULL,
	"rating" integer NOT NULL,
	"original_rating" integer NOT NULL,
	"stars_item" integer NOT NULL,
	"stars_service" integer NOT NULL,
	"stars_logistics" integer NOT NULL,
	"text" text,
	"scoring" boolean NOT NULL,
	"points" integer NOT NULL,
	"dsr_counted" boolean NOT NULL,
	"trade_succeeded_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revised_at" timestamp with time zone,
	"follow_up_text" text,
	"follow_up_at" timestamp with time zone,
	"reply_text" text,
	"reply_at" timestamp with time zone,
	"reply_by" text
);
--> statement-breakpoint
ALTER TABLE "shops" ADD COLUMN "penalty_general" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "shops" ADD COLUMN "penalty_serious" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "shops" ADD COLUMN "penalty_counterfeit" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "shops" ADD COLUMN "restriction" text;--> statement-breakpoint
ALTER TABLE "shops" ADD COLUMN "restricted_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "shops" ADD COLUMN "restricted_reason" text;--> statement-breakpoint
ALTER TABLE "shops" ADD COLUMN "gives_return_insurance" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "order_lines" ADD COLUMN "paid_amount" bigint;--> statement-breakpoint
UPDATE "order_lines" SET "paid_amount" = "line_total";--> statement-breakpoint
ALTER TABLE "order_lines" ALTER COLUMN "paid_amount" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "order_lines" ADD COLUMN "refunded_quantity" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "order_lines" ADD COLUMN "refunded_amount" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "return_insurance" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "return_insurance_premium" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "refund_lines" ADD CONSTRAINT "refund_lines_refund_id_refunds_id_fk" FOREIGN KEY ("refund_id") REFERENCES "public"."refunds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_products" ADD CONSTRAINT "review_products_review_id_reviews_id_fk" FOREIGN KEY ("review_id") REFERENCES "public"."reviews"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "complaints_order_reason" ON "complaints" USING btree ("order_id","reason");--> statement-breakpoint
CREATE INDEX "complaints_status" ON "complaints" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "complaints_shop" ON "complaints" USING btree ("shop_id","created_at");--> statement-breakpoint
CREATE INDEX "complaints_buyer" ON "complaints" USING btree ("buyer_id","created_at");--> statement-breakpoint
CREATE INDEX "refund_events_refund" ON "refund_events" USING btree ("refund_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "refund_lines_pk" ON "refund_lines" USING btree ("refund_id","order_line_id");--> statement-breakpoint
CREATE INDEX "refund_lines_category" ON "refund_lines" USING btree ("category_id");--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_one_open_per_order" ON "refunds" USING btree ("order_id") WHERE status in ('requested', 'refused', 'escalated', 'awaiting_return', 'return_shipped');--> statement-breakpoint
CREATE INDEX "refunds_order" ON "refunds" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "refunds_shop" ON "refunds" USING btree ("shop_id","status","created_at");--> statement-breakpoint
CREATE INDEX "refunds_buyer" ON "refunds" USING btree ("buyer_id","created_at");--> statement-breakpoint
CREATE INDEX "refunds_refunded" ON "refunds" USING btree ("refunded_at");--> statement-breakpoint
CREATE INDEX "search_adjustments_effect" ON "search_adjustments" USING btree ("effect","until");--> statement-breakpoint
CREATE INDEX "penalty_records_shop" ON "penalty_records" USING btree ("shop_id","created_at","id");--> statement-breakpoint
CREATE INDEX "penalty_records_reason" ON "penalty_records" USING btree ("shop_id","reason","year");--> statement-breakpoint
CREATE UNIQUE INDEX "shop_penalties_one_active" ON "shop_penalties" USING btree ("shop_id") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "shop_penalties_shop" ON "shop_penalties" USING btree ("shop_id","starts_at");--> statement-breakpoint
CREATE INDEX "points_entries_buyer" ON "points_entries" USING btree ("buyer_id","at","id");--> statement-breakpoint
CREATE INDEX "points_lots_buyer" ON "points_lots" USING btree ("buyer_id","expires_at");--> statement-breakpoint
CREATE INDEX "quality_programme_evaluations_shop" ON "quality_programme_evaluations" USING btree ("shop_id","programme_id","at");--> statement-breakpoint
CREATE INDEX "quality_programme_evaluations_run" ON "quality_programme_evaluations" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "quality_programme_members_shop" ON "quality_programme_members" USING btree ("shop_id");--> statement-breakpoint
CREATE INDEX "quality_programme_runs_programme" ON "quality_programme_runs" USING btree ("programme_id","at");--> statement-breakpoint
CREATE INDEX "quality_programmes_created" ON "quality_programmes" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "quality_checks_shop" ON "quality_checks" USING btree ("shop_id","inspected_at");--> statement-breakpoint
CREATE INDEX "review_products_product" ON "review_products" USING btree ("product_id","created_at","review_id");--> statement-breakpoint
CREATE UNIQUE INDEX "reviews_order" ON "reviews" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "reviews_shop" ON "reviews" USING btree ("shop_id","created_at","id");--> statement-breakpoint
CREATE INDEX "reviews_buyer" ON "reviews" USING btree ("buyer_id","created_at","id");