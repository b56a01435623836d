import { Jieba } from '@node-rs/jieba';
// The `.js` suffix lets plain Node ESM resolve it too (the package has no exports map).
import { dict } from '@node-rs/jieba/dict.js';
import { type SQL, sql } from 'drizzle-orm';

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
}

const WEIGHTS = ['A', 'B', 'C', 'D'] as const;

/** The indexed words of each weighted part (title, brand, category, attributes), space-separated. */
export function searchTexts(doc: SearchDocument): [string, string, string, string] {
  const words = (texts: string[]) => texts.flatMap(indexTerms).join(' ');
  return [words([doc.title]), words(doc.brand), words(doc.category), words(doc.attributes)];
}

/**
 * The tsvector built from the four word lists of `searchTexts`, given as SQL (bound parameters, or
 * columns of a bulk insert, so a bulk load builds exactly the vector a single write does).
 */
export function weightedVectorSql(texts: readonly [SQL, SQL, SQL, SQL]): SQL {
  return sql.join(
    texts.map((t, i) => sql`setweight(to_tsvector('simple', ${t}), ${sql.raw(`'${WEIGHTS[i]}'`)})`),
    sql` || `,
  );
}

/** SQL for the product's tsvector; every text is a bound parameter. */
export function searchVectorSql(doc: SearchDocument): SQL {
  const [a, b, c, d] = searchTexts(doc);
  return sql`(${weightedVectorSql([sql`${a}`, sql`${b}`, sql`${c}`, sql`${d}`])})`;
}

/** The tsquery for a buyer's words, ANDed; undefined when nothing searchable is left. */
export function searchQuerySql(q: string | undefined): SQL | undefined {
  const terms = queryTerms(q ?? '');
  if (terms.length === 0) return undefined;
  return sql`plainto_tsquery('simple', ${terms.join(' ')})`;
}
