import { Jieba } from '@node-rs/jieba';
// The `.js` suffix lets plain Node ESM resolve it too (the package has no exports map).
import { dict } from '@node-rs/jieba/dict.js';
import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../db';

/**
 * Chinese search without a database extension: titles are cut into words here with jieba, and the
 * database only ever sees space-separated, lower-cased words made of letters and digits. The `simple`
 * text-search configuration then splits on those spaces alone, so PGlite and PostgreSQL build the
 * same lexemes whatever their locale.
 */

// Loading the dictionary takes a moment and some memory: once per process.
let jieba: Jieba | undefined;
function segmenter(): Jieba {
  jieba ??= Jieba.withDict(dict);
  return jieba;
}

// Function words that carry no meaning in a product search; a query word must be in the title, so
// keeping "的" would make "女士的连衣裙" find nothing.
const STOP_WORDS = new Set(['的', '了', '和', '与', '及', '或', '之', '是', '在', '也', '并', '等', '个']);

const NOT_LETTER_OR_DIGIT = /[^\p{L}\p{N}]+/u;
const MAX_TERM = 64;

/** Lower-cased, punctuation dropped: the one spelling both sides agree on. */
function normalise(words: string[]): string[] {
  const out: string[] = [];
  for (const word of words) {
    for (const part of word.toLowerCase().split(NOT_LETTER_OR_DIGIT)) {
      if (part && part.length <= MAX_TERM && !STOP_WORDS.has(part)) out.push(part);
    }
  }
  return out;
}

// Buyers write "iphone15" and "iPhone 15" alike: the index holds the whole word and its letter and
// digit runs, and a query looks for the runs, so either spelling finds either title.
const ALNUM_RUNS = /[a-z]+|[0-9]+/g;
function alnumRuns(term: string): string[] | undefined {
  if (!/^[a-z0-9]+$/.test(term)) return undefined;
  const runs = term.match(ALNUM_RUNS) ?? [];
  return runs.length > 1 ? runs : undefined;
}

// Text is NFKC-folded before cutting, so full-width ＡＰＰＬＥ is cut as the word it is.

/** Words to index for a piece of text: search mode also yields the shorter words inside long ones (连衣裙 -> 连衣, 衣裙). */
export function indexTerms(text: string): string[] {
  if (!text) return [];
  return normalise(segmenter().cutForSearch(text.normalize('NFKC'), true)).flatMap((t) => [
    t,
    ...(alnumRuns(t) ?? []),
  ]);
}

/** Words of a buyer's query, each of which must appear in a matching product. */
export function queryTerms(q: string): string[] {
  if (!q) return [];
  return [
    ...new Set(normalise(segmenter().cut(q.normalize('NFKC'), true)).flatMap((t) => alnumRuns(t) ?? [t])),
  ];
}

/** The weighted parts of a product that search looks at: title first, then brand, category, SKU attributes. */
export interface SearchDocument {
  title: string;
  brand: string[];
  category: string[];
  attributes: string[];
  /** The category and its ancestors, root first, and the lowest price: see `filterTerms`. */
  categoryIds: string[];
  minPrice: number | null;
}

/** The word lists of a document, which are all `searchTexts` reads. */
type SearchWords = Omit<SearchDocument, 'categoryIds' | 'minPrice'>;

const WEIGHTS = ['A', 'B', 'C', 'D'] as const;

/** The indexed words of each weighted part (title, brand, category, attributes), space-separated. */
export function searchTexts(doc: SearchWords): [string, string, string, string] {
  const words = (texts: string[]) => texts.flatMap(indexTerms).join(' ');
  return [words([doc.title]), words(doc.brand), words(doc.category), words(doc.attributes)];
}

/**
 * Filter words: the product's category and each of its ancestors (`c:<id>`) and its price bucket
 * (`p:<n>`), so that words within a category or within a stretch of prices are one lookup of the
 * word index instead of reading every match from the table. A buyer's query never holds them (its
 * words are letters and digits), and ranking looks only at the buyer's words. Sales are not a word:
 * the best sellers are looked up in the sales bands' own indexes (`SALES_BANDS`), so a sale never
 * rewrites the vector.
 */
export function filterTerms(doc: Pick<SearchDocument, 'categoryIds' | 'minPrice'>): string[] {
  const bucket = doc.minPrice === null ? null : priceBucket(doc.minPrice);
  const ids = doc.categoryIds;
  return [...ids.map(categoryTerm), bucketTerm(bucket), ...ids.map((id) => bucketTerm(bucket, id))];
}

/**
 * The sales tier of a sales count: floor(log2(sales + 1)), so tier 0 is no sale, 1 is 1 to 2,
 * 2 is 3 to 6, and a product in tier t sells at least 2^t - 1. Every product of a tier sells more
 * than every product of the tiers below, so the best sellers among a query's matches are found by
 * looking up the tiers from the top (the sales bands are whole tiers).
 */
export function salesTier(sales: number): number {
  let k = 0;
  while (2 ** (k + 1) <= sales + 1) k++;
  return k;
}

/** The highest tier an integer sales count can reach (at most 2^31 - 1, so sales + 1 is at most 2^31). */
export const TOP_SALES_TIER = 31;

export const categoryTerm = (categoryId: string) => `c:${categoryId}`;

/**
 * The filter word of a price bucket (`p:<bucket>`; `p:none` while no SKU is on sale), or of a price
 * bucket within a category (`c:<id>:<bucket>`): a price sort within a category looks up only the
 * category's products of each bucket, not every product of the bucket.
 */
export const bucketTerm = (bucket: number | null, categoryId?: string) =>
  `${categoryId ? `c:${categoryId}:` : 'p:'}${bucket ?? 'none'}`;

/**
 * The price bucket of a price in fen: four to each doubling (¥40.96 to ¥51.19 is one), so a bucket
 * holds prices within a quarter of each other and a price sort reads the buckets in order. Bucket
 * 0 holds 0; integers only, so the SQL of the migration that added them (`priceBucketSql`) agrees.
 */
export function priceBucket(fen: number): number {
  if (fen < 1) return 0;
  let k = 0;
  while (2 ** (k + 1) <= fen) k++;
  return 1 + 4 * k + Math.floor(((fen - 2 ** k) * 4) / 2 ** k);
}

/** The highest bucket a price can fall in (a bigint price is below 2^63 fen). */
export const TOP_PRICE_BUCKET = 1 + 4 * 62 + 3;

/** `priceBucket` in SQL, for a bigint expression: exact integer arithmetic, as in JavaScript. */
export function priceBucketSql(fen: SQL): SQL {
  return sql`(SELECT CASE WHEN b.fen < 1 THEN 0
      ELSE 1 + 4 * b.k + ((CASE WHEN b.k >= 2 THEN b.fen >> (b.k - 2) ELSE b.fen << (2 - b.k) END) - 4)::integer END
    FROM (SELECT (${fen})::bigint AS fen, 64 - position('1' in (${fen})::bigint::bit(64)::text) AS k) b)`;
}

/**
 * The tsvector built from the four word lists of `searchTexts` and the `filterTerms`, given as SQL
 * (bound parameters, or columns of a bulk insert, so a bulk load builds exactly the vector a single
 * write does).
 */
export function weightedVectorSql(texts: readonly [SQL, SQL, SQL, SQL], filters: SQL): SQL {
  return sql.join(
    [
      ...texts.map((t, i) => sql`setweight(to_tsvector('simple', ${t}), ${sql.raw(`'${WEIGHTS[i]}'`)})`),
      sql`array_to_tsvector(${filters}::text[])`,
    ],
    sql` || `,
  );
}

/** SQL for the product's tsvector; every text is a bound parameter. */
export function searchVectorSql(doc: SearchDocument): SQL {
  const [a, b, c, d] = searchTexts(doc);
  return sql`(${weightedVectorSql([sql`${a}`, sql`${b}`, sql`${c}`, sql`${d}`], sql`${sql.param(filterTerms(doc))}`)})`;
}

/** The tsquery for a buyer's words, ANDed; undefined when nothing searchable is left. */
export function searchQuerySql(q: string | undefined): SQL | undefined {
  const terms = queryTerms(q ?? '');
  if (terms.length === 0) return undefined;
  return sql`plainto_tsquery('simple', ${terms.join(' ')})`;
}

/** A tsquery of filter words, all of them (`'c:x' & 'c:y'`). */
export function filterQuerySql(all: string[]): SQL {
  return sql`${filterQueryText(all)}::tsquery`;
}

/** tsquery text for all of `all` and, when given, one of `anyOf` (`'c:x' & ('p:3' | 'p:4')`). */
export function filterQueryText(all: string[], anyOf: string[] = []): string {
  // Quoted lexemes, read as they are: no parsing, so a `:` stays part of the word.
  const lexeme = (t: string) => `'${t.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  const parts = all.map(lexeme);
  if (anyOf.length) parts.push(`(${anyOf.map(lexeme).join(' | ')})`);
  return parts.join(' & ');
}

/**
 * What the database's own statistics (`pg_stats`, kept by ANALYZE and autovacuum) say about the
 * catalogue: how often each common word occurs and how sales are spread. Search uses them only to
 * choose how to find a query's best sellers; a stale or missing figure costs time, never a result.
 */
export interface SearchStatistics {
  /** Products in the table (pg_class.reltuples). */
  rows: number;
  /** Share of products holding each of the most common words. */
  wordShare: Map<string, number>;
  /** Every other word is held by at most this share. */
  rareShare: number;
  /** Sales counts, and the share of products selling at least that many, best first. */
  salesShares: { sales: number; share: number }[];
}

const STATISTICS_TTL_MS = 5 * 60_000;
let statistics: { at: number; value: Promise<SearchStatistics | undefined> } | undefined;

/** The statistics, read at most every five minutes per process (a few kB from the catalogue). */
export function searchStatistics(tx: Executor, now = Date.now()): Promise<SearchStatistics | undefined> {
  if (!statistics || now - statistics.at > STATISTICS_TTL_MS) {
    const value = readStatistics(tx).catch(() => undefined);
    statistics = { at: now, value };
  }
  return statistics.value;
}

async function readStatistics(tx: Executor): Promise<SearchStatistics | undefined> {
  const result = await tx.execute(sql`
    with t as (
      select c.reltuples::float8 as rows, n.nspname as schema
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.oid = to_regclass('products')
    )
    select t.rows,
      array_to_json(w.most_common_elems::text::text[]) as words,
      array_to_json(w.most_common_elem_freqs) as word_freqs,
      array_to_json(s.most_common_vals::text::bigint[]) as sales_values,
      array_to_json(s.most_common_freqs) as sales_freqs,
      array_to_json(s.histogram_bounds::text::bigint[]) as sales_bounds,
      s.null_frac as sales_nulls
    from t
    left join pg_stats w on w.schemaname = t.schema and w.tablename = 'products' and w.attname = 'search_vector'
    left join pg_stats s on s.schemaname = t.schema and s.tablename = 'products' and s.attname = 'sales_count'`);
  const r = (result as unknown as { rows: Record<string, unknown>[] }).rows[0];
  const json = <T>(v: unknown): T | undefined =>
    (typeof v === 'string' ? JSON.parse(v) : (v ?? undefined)) as T | undefined;
  const rows = Number(r?.rows ?? -1);
  const words = json<string[]>(r?.words);
  const wordFreqs = json<number[]>(r?.word_freqs);
  if (!r || !(rows > 0) || !words || !wordFreqs) return undefined;
  const wordShare = new Map(words.map((w, i) => [w, wordFreqs[i] ?? 0]));
  // The element frequencies end with their minimum and maximum.
  const rareShare = wordFreqs[words.length] ?? 0;
  const salesShares = salesDistribution(
    json<number[]>(r.sales_values) ?? [],
    json<number[]>(r.sales_freqs) ?? [],
    json<number[]>(r.sales_bounds) ?? [],
    Number(r.sales_nulls ?? 0),
  );
  return { rows, wordShare, rareShare, salesShares };
}

/**
 * For a few sales counts, the share of products selling at least that many: the common values carry
 * their own share, the histogram spreads the rest evenly over its buckets, and a bucket counts when
 * it starts at or above the count (so a share is never overstated, and a floor never set too high).
 */
function salesDistribution(values: number[], freqs: number[], bounds: number[], nulls: number) {
  const common = values.map((v, i) => ({ v: Number(v), f: freqs[i] ?? 0 }));
  const histogramShare = Math.max(0, 1 - nulls - common.reduce((s, c) => s + c.f, 0));
  const buckets = bounds.length - 1;
  const points = [...new Set([...bounds.map(Number), ...common.map((c) => c.v)])].sort((a, b) => b - a);
  return points.map((sales) => {
    const above = bounds.slice(0, -1).filter((b) => Number(b) >= sales).length;
    const fromHistogram = buckets > 0 ? (histogramShare * above) / buckets : 0;
    const fromCommon = common.reduce((s, c) => s + (c.v >= sales ? c.f : 0), 0);
    return { sales, share: fromHistogram + fromCommon };
  });
}

/**
 * How many products a query's words find, roughly. The statistics know each word's share but not
 * how words go together, and words typed together mostly do (a brand and its goods, a material and
 * a garment): multiplying the shares as if unrelated underestimates a pair 3 to 10 times, while the
 * rarest word's count overestimates it about as much. So a third of the rarest word's products for
 * two words, and a third again for each further word.
 */
export function estimatedMatches(stats: SearchStatistics, terms: string[]): number {
  if (terms.length === 0) return stats.rows;
  const rarest = Math.min(...terms.map((t) => stats.wordShare.get(t) ?? stats.rareShare));
  return rarest * stats.rows * TOGETHER ** (terms.length - 1);
}
const TOGETHER = 1 / 3;

/** The highest sales count that at least `share` of products reach (0 when none is higher). */
export function salesFloorFor(stats: SearchStatistics, share: number): number {
  for (const p of stats.salesShares) if (p.share >= share) return p.sales;
  return 0;
}
