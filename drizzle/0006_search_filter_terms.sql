-- Search vectors gain filter words (`filterTerms` in src/modules/catalog/search.ts): the product's
-- category and each of its ancestors (c:<id>), the bucket of its lowest price (p:<n>, four to each
-- doubling of the price in fen, `priceBucket`; p:none without a price), and the bucket within each
-- of those categories (c:<id>:<n>).
UPDATE "products" p SET "search_vector" = p."search_vector" || array_to_tsvector(
  array(SELECT 'c:' || x FROM unnest(f.ids) x)
  || ('p:' || f.bucket)
  || array(SELECT 'c:' || x || ':' || f.bucket FROM unnest(f.ids) x)
)
FROM (
  SELECT q."id",
    string_to_array(trim(both '/' from c."path"), '/') AS ids,
    coalesce((
      SELECT CASE WHEN b.fen < 1 THEN 0
        ELSE 1 + 4 * b.k + ((CASE WHEN b.k >= 2 THEN b.fen >> (b.k - 2) ELSE b.fen << (2 - b.k) END) - 4)::integer END
      FROM (SELECT q."min_price" AS fen, 64 - position('1' in q."min_price"::bit(64)::text) AS k) b
    )::text, 'none') AS bucket
  FROM "products" q JOIN "categories" c ON c."id" = q."category_id"
) f
WHERE f."id" = p."id";
