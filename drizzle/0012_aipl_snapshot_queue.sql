CREATE TABLE "aipl_snapshot_queue" (
	"day" integer NOT NULL,
	"shop_id" text NOT NULL,
	CONSTRAINT "aipl_snapshot_queue_day_shop_id_pk" PRIMARY KEY("day","shop_id")
);
