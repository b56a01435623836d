CREATE TABLE "group_buy_groups" (
	"id" text PRIMARY KEY NOT NULL,
	"group_buy_id" text NOT NULL,
	"shop_id" text NOT NULL,
	"leader_buyer_id" text NOT NULL,
	"size" integer NOT NULL,
	"taken" integer DEFAULT 1 NOT NULL,
	"paid" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"opened_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	CONSTRAINT "group_buy_groups_places" CHECK ("group_buy_groups"."taken" >= 0 and "group_buy_groups"."taken" <= "group_buy_groups"."size" and "group_buy_groups"."paid" <= "group_buy_groups"."taken")
);
--> statement-breakpoint
CREATE TABLE "group_buy_members" (
	"id" text PRIMARY KEY NOT NULL,
	"group_id" text NOT NULL,
	"group_buy_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"order_id" text NOT NULL,
	"role" text NOT NULL,
	"quantity" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"joined_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "group_buys" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"sku_id" text NOT NULL,
	"product_id" text NOT NULL,
	"list_price" bigint NOT NULL,
	"group_price" bigint NOT NULL,
	"group_size" integer NOT NULL,
	"window_hours" integer NOT NULL,
	"stock" integer NOT NULL,
	"claimed" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "group_buys_claimed" CHECK ("group_buys"."claimed" >= 0 and "group_buys"."claimed" <= "group_buys"."stock"),
	CONSTRAINT "group_buys_size" CHECK ("group_buys"."group_size" between 2 and 10000),
	CONSTRAINT "group_buys_price" CHECK ("group_buys"."group_price" > 0 and "group_buys"."group_price" < "group_buys"."list_price"),
	CONSTRAINT "group_buys_window" CHECK ("group_buys"."ends_at" > "group_buys"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "presale_orders" (
	"order_id" text PRIMARY KEY NOT NULL,
	"presale_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"quantity" integer NOT NULL,
	"deposit" bigint NOT NULL,
	"total" bigint NOT NULL,
	"status" text DEFAULT 'awaiting_deposit' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "presales" (
	"id" text PRIMARY KEY NOT NULL,
	"shop_id" text NOT NULL,
	"sku_id" text NOT NULL,
	"product_id" text NOT NULL,
	"list_price" bigint NOT NULL,
	"presale_price" bigint NOT NULL,
	"deposit" bigint NOT NULL,
	"deposit_value" bigint NOT NULL,
	"quota" integer NOT NULL,
	"claimed" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"deposit_from" timestamp with time zone NOT NULL,
	"deposit_until" timestamp with time zone NOT NULL,
	"balance_from" timestamp with time zone NOT NULL,
	"balance_until" timestamp with time zone NOT NULL,
	"announced_ship_by" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "presales_claimed" CHECK ("presales"."claimed" >= 0 and "presales"."claimed" <= "presales"."quota"),
	CONSTRAINT "presales_deposit" CHECK ("presales"."deposit" > 0 and "presales"."deposit_value" >= "presales"."deposit"),
	CONSTRAINT "presales_price" CHECK ("presales"."presale_price" <= "presales"."list_price" and "presales"."deposit_value" < "presales"."presale_price")
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "campaign_kind" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "campaign_id" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "ship_hold" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "deposit_amount" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "deposit_paid_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "balance_from" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "balance_by" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "balance_payment_id" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "announced_ship_by" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "group_buy_groups_campaign" ON "group_buy_groups" USING btree ("group_buy_id","status","expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "group_buy_members_once" ON "group_buy_members" USING btree ("group_id","buyer_id") WHERE "group_buy_members"."status" <> 'left';--> statement-breakpoint
CREATE UNIQUE INDEX "group_buy_members_order" ON "group_buy_members" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "group_buy_members_group" ON "group_buy_members" USING btree ("group_id","joined_at");--> statement-breakpoint
CREATE INDEX "group_buys_shop" ON "group_buys" USING btree ("shop_id","created_at","id");--> statement-breakpoint
CREATE INDEX "group_buys_sku" ON "group_buys" USING btree ("sku_id","starts_at");--> statement-breakpoint
CREATE INDEX "presale_orders_presale" ON "presale_orders" USING btree ("presale_id","status");--> statement-breakpoint
CREATE INDEX "presales_shop" ON "presales" USING btree ("shop_id","created_at","id");--> statement-breakpoint
CREATE INDEX "presales_sku" ON "presales" USING btree ("sku_id","deposit_from");--> statement-breakpoint
CREATE INDEX "orders_balance_payment" ON "orders" USING btree ("balance_payment_id");--> statement-breakpoint
CREATE INDEX "orders_campaign" ON "orders" USING btree ("campaign_id");