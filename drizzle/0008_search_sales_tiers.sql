-- Search vectors gain the sales tier word (`filterTerms` in src/modules/catalog/search.ts):
-- s:<floor(log2(sales_count + 1))>, so the best sellers among a query's matches are found by
-- looking up the tiers from the top. floor(log2(n)) is the place of n's highest set bit, computed
-- in integers as `salesTierSql` does.
UPDATE "products" SET "search_vector" = "search_vector" || array_to_tsvector(array[
  's:' || (64 - position('1' in (greatest(0, "sales_count")::bigint + 1)::bit(64)::text))
]);
