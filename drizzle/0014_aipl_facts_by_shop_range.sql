-- aipl_facts partitioned by range of shop_id: a full rebuild loads and keys each range on a
-- connection of its own, at once (see rebuildAllFacts). One range for all shops until then.
ALTER TABLE "aipl_facts" RENAME TO "aipl_facts_unpartitioned";--> statement-breakpoint
ALTER TABLE "aipl_facts_unpartitioned" RENAME CONSTRAINT "aipl_facts_shop_id_scope_consumer_id_pk" TO "aipl_facts_unpartitioned_pk";--> statement-breakpoint
CREATE TABLE "aipl_facts" (LIKE "aipl_facts_unpartitioned" INCLUDING DEFAULTS) PARTITION BY RANGE ("shop_id");--> statement-breakpoint
CREATE TABLE "aipl_facts_p0" PARTITION OF "aipl_facts" FOR VALUES FROM (MINVALUE) TO (MAXVALUE);--> statement-breakpoint
ALTER TABLE "aipl_facts" ADD CONSTRAINT "aipl_facts_shop_id_scope_consumer_id_pk" PRIMARY KEY ("shop_id", "scope", "consumer_id");--> statement-breakpoint
INSERT INTO "aipl_facts" SELECT * FROM "aipl_facts_unpartitioned";--> statement-breakpoint
DROP TABLE "aipl_facts_unpartitioned";
