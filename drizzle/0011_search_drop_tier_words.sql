-- Search vectors lose the sales tier words that 0008 added (s:<floor(log2(sales_count + 1))>,
-- `filterTerms` in src/modules/catalog/search.ts): the best sellers are looked up in the sales
-- bands' own indexes (0010), nothing reads the words, and keeping them made a sale that crossed a
-- power of two rewrite the vector. A row holds one of s:0 to s:31; only rows holding one are rewritten.
UPDATE "products" SET "search_vector" = ts_delete("search_vector", t.words)
FROM (SELECT array_agg('s:' || n) AS words FROM generate_series(0, 31) n) t
WHERE tsvector_to_array("search_vector") && t.words;
