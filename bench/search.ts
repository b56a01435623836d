import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { Pool } from 'undici';
import { loadConfig } from '../src/config';
import { type Database, type Executor, migrateDatabase, openDatabase } from '../src/db';
import { SystemClock } from '../src/kernel/clock';
import { createBrand } from '../src/modules/catalog';
import { filterTerms, queryTerms, searchTexts, weightedVectorSql } from '../src/modules/catalog/search';
import { ensureDefaultRuleSets } from '../src/modules/governance';
import { createAccount, ensureOperator } from '../src/modules/identity';
import { payDeposit, submitApplication } from '../src/modules/merchants';
import { seedIfEmpty } from '../src/seed';
import { DEMO_IMAGE_HOST, demoProducts, idNumberCheckDigit, mulberry32 } from '../src/seed/demo-data';
import { machine, PG_ADMIN_URL, percentile, saveResult, startServer } from './lib';

/**
 * Storefront search at scale, as issue 8 asks: N generated products with Chinese titles spread over
 * the demo seed's real category tree, bulk-loaded into PostgreSQL with the search vectors our own
 * jieba code builds, then `GET /products?q=…` driven over HTTP against a `jishi serve` process with a
 * mix of Chinese queries at a few concurrency levels.
 *
 * The loaded database (`jishi_bench_search_<N>`) is kept, so a rerun at the same size reuses it;
 * `--reload` builds it afresh, `--drop` removes it at the end.
 */
export async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      products: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '20261111' },
      concurrency: { type: 'string', default: '1,8,32' },
      seconds: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '3' },
      port: { type: 'string', default: '3998' },
      connections: { type: 'string', default: '3' },
      batch: { type: 'string', default: '5000' },
      reload: { type: 'boolean', default: false },
      drop: { type: 'boolean', default: false },
    },
  });
  const total = Number(values.products);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(total) || total < 1) throw new Error('--products must be a positive integer');
  const dbName = `jishi_bench_search_${total}`;
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${dbName}`;
  const dbUrl = url.toString();

  const load = await prepare(dbName, dbUrl, total, seed, {
    reload: values.reload,
    connections: Number(values.connections),
    batch: Number(values.batch),
  });

  const database = await openDatabase({ databaseUrl: dbUrl, poolSize: 2 });
  let summary: Record<string, unknown>;
  try {
    const queries = await buildQueries(database);
    const hits = await countHits(database, queries);
    const server = await startServer(
      { DATABASE_URL: dbUrl, JISHI_SCHEDULER_INTERVAL_MS: '1000' },
      Number(values.port),
    );
    const levels = [];
    const load0 = loadAverage();
    try {
      for (const c of values.concurrency.split(',').map(Number)) {
        levels.push(
          await runLevel(Number(values.port), c, Number(values.seconds), Number(values.warmup), queries),
        );
      }
    } finally {
      await stopServer(server);
    }
    summary = {
      bench: 'search',
      date: new Date().toISOString(),
      machine: machine(),
      conditions: `one jishi serve process on PostgreSQL (${dbUrl.replace(/\/\/.*@/, '//')}), load generator in another process on the same machine, closed loop over a fixed mix of ${queries.length} queries, 20 results a page`,
      loadAverage: { before: load0, after: loadAverage() },
      products: total,
      seed,
      load,
      queries: queries.map((q, i) => ({ kind: q.kind, path: q.path, label: q.label, wordHits: hits[i] })),
      levels,
      target: { p99Ms: 20, at: '1M products, two cores' },
    };
    console.log(
      `\n${total.toLocaleString('en')} products; load ${load.reused ? 'reused' : `${load.seconds.toFixed(1)} s`}`,
    );
    for (const r of levels) {
      console.log(
        `C=${String(r.concurrency).padStart(3)}  ${r.queriesPerSecond.toFixed(0)} queries/s  p50 ${r.p50Ms.toFixed(1)} ms  p95 ${r.p95Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  errors ${r.errors}  load ${r.loadAverage.start[0]} -> ${r.loadAverage.end[0]}`,
      );
      for (const [kind, k] of Object.entries(r.byKind)) {
        console.log(
          `        ${kind.padEnd(10)} p50 ${k.p50Ms.toFixed(1)} ms  p99 ${k.p99Ms.toFixed(1)} ms  (${k.count})`,
        );
      }
      console.log(
        `        slowest: ${r.slowest.map((q) => `${q.label} ${q.maxMs.toFixed(0)} ms`).join('; ')}`,
      );
    }
  } finally {
    await database.close();
  }
  console.log(`written to ${saveResult('search', summary)}`);
  if (values.drop) await adminQuery(`drop database if exists ${dbName} with (force)`);
}

/** SIGTERM, then waits for the exit (SIGKILL after 10 s), so `--drop` finds no connection of it. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// The scratch database

async function adminQuery(text: string): Promise<pg.QueryResult> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    return await admin.query(text);
  } finally {
    await admin.end();
  }
}

/** Reuses the database when it already holds this many generated products, else builds it. */
async function prepare(
  dbName: string,
  dbUrl: string,
  total: number,
  seed: number,
  opts: { reload: boolean; connections: number; batch: number },
): Promise<{ reused: boolean; seconds: number; productsPerSecond?: number; indexSeconds?: number }> {
  const exists = (await adminQuery(`select 1 from pg_database where datname = '${dbName}'`)).rowCount === 1;
  if (exists && !opts.reload) {
    const database = await openDatabase({ databaseUrl: dbUrl, poolSize: 1 });
    try {
      const r = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from products`);
      const generated = ((r as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0) - demoProducts.length;
      if (generated === total) {
        console.log(
          `reusing ${dbName}: ${total.toLocaleString('en')} generated products (--reload to rebuild)`,
        );
        return { reused: true, seconds: 0 };
      }
      console.log(`${dbName} holds ${generated} generated products, not ${total}: rebuilding`);
    } finally {
      await database.close();
    }
  }
  if (exists) await adminQuery(`drop database ${dbName} with (force)`);
  await adminQuery(`create database ${dbName}`);
  const database = await openDatabase({ databaseUrl: dbUrl, poolSize: opts.connections + 1 });
  try {
    return { reused: false, ...(await loadCatalogue(database, total, seed, opts)) };
  } finally {
    await database.close();
  }
}

/**
 * Migrates, loads the demo marketplace (the real category tree, brands, shops), adds more brands
 * and market shops, then bulk-inserts the generated products with the product indexes dropped and
 * rebuilds them afterwards (one index build is far cheaper than a million index updates).
 */
async function loadCatalogue(
  database: Database,
  total: number,
  seed: number,
  opts: { connections: number; batch: number },
) {
  const db = database.db;
  const config = loadConfig();
  const now = new Date();
  const started = performance.now();
  await migrateDatabase(database);
  await ensureDefaultRuleSets(db, now);
  await ensureOperator(db, { login: config.adminLogin, password: 'bench-operator-1' }, now);
  await seedIfEmpty(db, new SystemClock(), (m) => console.log(m), {
    identitySecret: config.identitySecret,
    operatorLogin: config.adminLogin,
  });

  const cats = rows<{ id: string; slug: string; path: string; name_zh: string; name_en: string }>(
    await db.execute(sql`select id, slug, path, name_zh, name_en from categories`),
  );
  const catById = new Map(cats.map((c) => [c.id, c]));
  const leaves = new Map<string, { id: string; names: string[]; lineage: string[] }>();
  for (const c of cats) {
    if (!LEAVES[c.slug]) continue;
    // Root first, as categoryLineage answers it.
    const lineage = c.path
      .split('/')
      .filter(Boolean)
      .map((id) => catById.get(id));
    leaves.set(c.slug, {
      id: c.id,
      names: lineage.flatMap((l) => (l ? [l.name_zh, l.name_en] : [])),
      lineage: lineage.flatMap((l) => (l ? [l.id] : [])),
    });
  }
  const missing = Object.keys(LEAVES).filter((s) => !leaves.has(s));
  if (missing.length) throw new Error(`the seed has no category ${missing.join(', ')}`);

  // The demo seed's brands are reused by name; the others are created.
  const brandIds = new Map<string, { id: string; names: string[] }>();
  for (const b of rows<{ id: string; name: string; name_en: string | null }>(
    await db.execute(sql`select id, name, name_en from brands`),
  )) {
    brandIds.set(b.name, { id: b.id, names: [b.name, b.name_en ?? ''] });
  }
  await db.transaction(async (tx) => {
    for (const family of Object.values(FAMILIES)) {
      for (const [name, nameEn] of family.brands) {
        if (brandIds.has(name)) continue;
        const b = await createBrand(tx, { name, nameEn }, now);
        brandIds.set(name, { id: b.id, names: [b.name, b.nameEn ?? ''] });
      }
    }
  });
  const shopIds = [
    ...rows<{ id: string }>(await db.execute(sql`select id from shops order by id`)).map((s) => s.id),
    ...(await openBenchShops(db, 20, config.identitySecret, now)),
  ];
  console.log(`catalogue: ${leaves.size} leaf categories, ${brandIds.size} brands, ${shopIds.length} shops`);

  // Drop the product indexes (their definitions are read back from the catalogue, so this follows
  // whatever the migrations made), load, then build them again.
  const indexes = rows<{ indexname: string; indexdef: string }>(
    await db.execute(
      sql`select indexname, indexdef from pg_indexes where tablename = 'products' and indexname <> 'products_pkey'`,
    ),
  );
  for (const ix of indexes) await db.execute(sql.raw(`drop index ${ix.indexname}`));

  const gen = new ProductGenerator(seed, leaves, brandIds, shopIds, now);
  const loadStart = performance.now();
  let produced = 0;
  const worker = async () => {
    while (produced < total) {
      const n = Math.min(opts.batch, total - produced);
      const from = produced;
      produced += n;
      await insertProducts(db, gen.batch(from, n));
      if (Math.floor((from + n) / 100_000) > Math.floor(from / 100_000)) {
        console.log(`  ${(from + n).toLocaleString('en')} products`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, worker));
  const loadSeconds = (performance.now() - loadStart) / 1000;

  const ix0 = performance.now();
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local maintenance_work_mem = '512MB'`);
    for (const ix of indexes) await tx.execute(sql.raw(ix.indexdef));
  });
  await db.execute(sql`vacuum analyze products`);
  const indexSeconds = (performance.now() - ix0) / 1000;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `loaded ${total.toLocaleString('en')} products in ${loadSeconds.toFixed(1)} s (${Math.round(total / loadSeconds).toLocaleString('en')}/s), indexes and analyze ${indexSeconds.toFixed(1)} s`,
  );
  return { seconds, productsPerSecond: Math.round(total / loadSeconds), indexSeconds };
}

function rows<T>(r: unknown): T[] {
  return (r as { rows: T[] }).rows;
}

/** Market shops opened the way a merchant's is (account, application, deposit insurance). */
async function openBenchShops(db: Database['db'], n: number, identitySecret: string, now: Date) {
  const ids: string[] = [];
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const owner = await createAccount(
        tx,
        { login: `bench_search_owner_${i}`, password: 'bench-pass-1', displayName: `压测店主${i}` },
        now,
      );
      // Distinct, valid identity numbers: one shop per identity.
      const first17 = `110105198801${String(10 + (i % 18)).padStart(2, '0')}${String(100 + i).padStart(3, '0')}`;
      const app = await submitApplication(
        tx,
        {
          kind: 'market',
          shopName: `${SHOP_NAMES[i % SHOP_NAMES.length]}${i >= SHOP_NAMES.length ? i : ''}`,
          realName: `压测${i}`,
          idNumber: first17 + idNumberCheckDigit(first17),
          depositPlan: 'insurance',
          applicantAccountId: owner.id,
          identitySecret,
        },
        now,
      );
      await payDeposit(tx, app.shopId as string, now);
      ids.push(app.shopId as string);
    }
  });
  return ids;
}

interface GeneratedProduct {
  id: string;
  shopId: string;
  categoryId: string;
  brandId: string | null;
  title: string;
  description: string;
  images: string;
  minPrice: number;
  maxPrice: number;
  sales: number;
  publishedAt: Date;
  texts: [string, string, string, string];
  /** `filterTerms`, space-separated (they hold no spaces). */
  filters: string;
}

/** One multi-row insert through unnest arrays; the vector is built by the same SQL a single write uses. */
async function insertProducts(db: Executor, batch: GeneratedProduct[]) {
  const col = <T>(f: (p: GeneratedProduct) => T) => sql.param(batch.map(f));
  const vector = weightedVectorSql(
    [sql.raw('u.a'), sql.raw('u.b'), sql.raw('u.c'), sql.raw('u.d')],
    sql.raw(`string_to_array(u.f, ' ')`),
  );
  await db.execute(sql`
    insert into products (id, shop_id, category_id, brand_id, title, description, images, status,
      min_price, max_price, sales_count, search_vector, published_at, created_at, updated_at)
    select u.id, u.shop_id, u.category_id, u.brand_id, u.title, u.description, u.images::jsonb, 'published',
      u.min_price, u.max_price, u.sales, ${vector}, u.published_at, u.published_at, u.published_at
    from unnest(${col((p) => p.id)}::text[], ${col((p) => p.shopId)}::text[], ${col((p) => p.categoryId)}::text[],
      ${col((p) => p.brandId)}::text[], ${col((p) => p.title)}::text[], ${col((p) => p.description)}::text[],
      ${col((p) => p.images)}::text[], ${col((p) => p.minPrice)}::bigint[], ${col((p) => p.maxPrice)}::bigint[],
      ${col((p) => p.sales)}::integer[], ${col((p) => p.publishedAt.toISOString())}::timestamptz[],
      ${col((p) => p.texts[0])}::text[], ${col((p) => p.texts[1])}::text[], ${col((p) => p.texts[2])}::text[],
      ${col((p) => p.texts[3])}::text[], ${col((p) => p.filters)}::text[])
      as u(id, shop_id, category_id, brand_id, title, description, images, min_price, max_price, sales,
        published_at, a, b, c, d, f)`);
}

// ---------------------------------------------------------------------------------------------
// Product generator: titles the way Taobao listings read (brand, season, style, material, noun,
// selling point), deterministic from the seed and the product's position.

interface Family {
  /** Brands of this family's goods: [name, English name]; some are the demo seed's own. */
  brands: [string, string][];
  styles: string[];
  materials: string[];
  points: string[];
  colours: string[];
  /** Size or specification values (SKU attributes) and the attribute's name. */
  sizes: string[];
  seasonal: boolean;
}

interface Leaf {
  family: keyof typeof FAMILIES;
  nouns: string[];
  price: [number, number];
  /** Share of the catalogue, relative. */
  weight: number;
}

const SEASONS = [
  '2026春季新款',
  '2026夏季新款',
  '2026秋冬新款',
  '春秋款',
  '夏季',
  '冬季加厚',
  '四季通用',
  '2026新款',
];
const CLOTHES_COLOURS = [
  '黑色',
  '白色',
  '杏色',
  '雾霾蓝',
  '燕麦色',
  '酒红色',
  '墨绿色',
  '卡其色',
  '藏青色',
  '浅灰色',
];
const GADGET_COLOURS = ['曜石黑', '云母白', '雾霾蓝', '樱花粉', '远峰灰', '星光金', '薄荷绿'];
const HOME_COLOURS = ['米白', '浅灰', '雾蓝', '豆沙粉', '原木色', '奶油白'];

const FAMILIES = {
  clothing: {
    brands: [
      ['云裳', 'Cloudress'],
      ['素锦', 'Sujin'],
      ['棉语', 'Cotton Talk'],
      ['南风衫', 'Southwind'],
      ['初见', 'First Sight'],
      ['拾光', 'Timepick'],
    ],
    styles: [
      '法式',
      '复古',
      '韩版',
      '宽松',
      '修身',
      '显瘦',
      '高级感',
      '气质',
      '通勤',
      '温柔风',
      '简约',
      '小众设计',
    ],
    materials: ['纯棉', '真丝', '桑蚕丝', '雪纺', '亚麻', '针织', '醋酸', '羊毛', '牛仔', '灯芯绒'],
    points: ['大码', '小个子', '显高', '百搭', '遮肉', '不起球', '垂感', '透气', '可机洗'],
    colours: CLOTHES_COLOURS,
    sizes: ['S', 'M', 'L', 'XL', 'XXL'],
    seasonal: true,
  },
  kids: {
    brands: [
      ['小禾', 'Little Sprout'],
      ['童趣岛', 'Kidsle'],
      ['贝贝熊', 'BabyBear'],
    ],
    styles: ['卡通', '宽松', '亲子', '益智', '早教', '可爱'],
    materials: ['纯棉', 'A类', '有机棉', '环保', '食品级硅胶'],
    points: ['新生儿', '3岁+', '男童', '女童', '婴儿', '中大童'],
    colours: ['奶白', '粉色', '天蓝', '姜黄', '牛油果绿'],
    sizes: ['80', '90', '100', '110', '120', '130', '140'],
    seasonal: true,
  },
  digital: {
    brands: [
      ['声悦', 'SonicJoy'],
      ['极客派', 'GeekPie'],
      ['极光', 'Aurora Mobile'],
      ['星澜', 'Starwave'],
      ['拓极', 'Tuoji'],
      ['闪充', 'FlashCharge'],
    ],
    styles: ['旗舰', '轻薄', '便携', '智能', '高音质', '低延迟', '超长续航', '迷你', '专业'],
    materials: ['氮化镓', '铝合金', '液态硅胶', '钢化', '碳纤维'],
    points: ['蓝牙5.4', 'Type-C快充', '降噪', 'IPX7防水', '无线充电', '120W快充', '长续航', '全网通'],
    colours: GADGET_COLOURS,
    sizes: ['标准版', 'Pro版', '128GB', '256GB', '512GB', '20W', '65W', '100W'],
    seasonal: false,
  },
  home: {
    brands: [
      ['暖居', 'WarmNest'],
      ['木语', 'Muyu Living'],
      ['厨艺家', 'ChefHome'],
      ['悦家', 'Joyhome'],
      ['拾物', 'Shiwu'],
    ],
    styles: ['北欧风', '简约', '轻奢', '日式', '加厚', '家用', '大容量', '可折叠', '极简'],
    materials: ['纯棉', '乳胶', '实木', '304不锈钢', '铸铁', '陶瓷', '竹纤维', '珐琅'],
    points: ['1.5m床', '1.8m床', '带盖', '防潮', '少油烟', '无频闪', '免安装', '送货上门'],
    colours: HOME_COLOURS,
    sizes: ['小号', '中号', '大号', '1.5m', '1.8m', '24cm', '28cm', '32cm'],
    seasonal: false,
  },
  beauty: {
    brands: [
      ['青柠', 'Lime & Dew'],
      ['花间集', 'Florilege'],
      ['水漾', 'Aquaflow'],
      ['颜究所', 'Facelab'],
    ],
    styles: ['补水保湿', '修护', '温和', '控油', '美白', '抗皱', '持妆', '哑光', '清爽'],
    materials: ['玻尿酸', '烟酰胺', '神经酰胺', '积雪草', '氨基酸', '视黄醇'],
    points: ['敏感肌', '学生党', '油皮', '干皮', '礼盒装', '小样', '正品'],
    colours: ['#01 正红', '#02 豆沙', '#03 枫叶', '#04 奶茶', '#05 珊瑚'],
    sizes: ['30ml', '50ml', '100ml', '5片装', '10片装', '20片装'],
    seasonal: false,
  },
  food: {
    brands: [
      ['谷丰', 'Harvest Valley'],
      ['茶乡', 'Tea Hometown'],
      ['果园直送', 'Orchard Direct'],
      ['山里鲜', 'Mountain Fresh'],
      ['味小仙', 'Weixiaoxian'],
    ],
    styles: ['云南特产', '东北', '现摘', '新鲜', '手工', '古树', '明前', '低糖', '有机', '当季'],
    materials: ['高山', '原生态', '农家', '古法', '野生'],
    points: ['礼盒装', '独立包装', '顺丰冷链', '产地直发', '整箱', '家庭装'],
    colours: [],
    sizes: ['250g', '500g', '1kg', '2.5kg', '5斤装', '10斤装', '礼盒装'],
    seasonal: true,
  },
  sports: {
    brands: [
      ['乐跑', 'JoyRun'],
      ['山野', 'Wildridge'],
      ['驰风', 'Chifeng'],
      ['原力', 'Forcefit'],
    ],
    styles: ['缓震', '竞速', '轻量', '透气', '专业', '防滑', '户外', '速干', '防水'],
    materials: ['碳板', '网面', '天然橡胶', 'Gore-Tex', '冰丝', '加绒'],
    points: ['男女同款', '情侣款', '大码', '宽楦', '夜跑反光', '三合一'],
    colours: ['黑白', '荧光黄', '雾蓝', '全黑', '森林绿', '岩石灰'],
    sizes: ['38', '39', '40', '41', '42', '43', '44', 'M', 'L', 'XL'],
    seasonal: true,
  },
  books: {
    brands: [
      ['墨香书局', 'Inkwood Press'],
      ['青山出版社', 'Green Hill Press'],
      ['星火文库', 'Spark Library'],
    ],
    styles: ['精装', '平装', '签名版', '典藏版', '修订版', '全新正版'],
    materials: ['悬疑', '科幻', '历史', '推理', '治愈', '经典'],
    points: ['畅销', '获奖作品', '附赠书签', '全彩插图', '第2版', '第3版'],
    colours: [],
    sizes: ['平装', '精装'],
    seasonal: false,
  },
} satisfies Record<string, Family>;

const LEAVES: Record<string, Leaf> = {
  dresses: {
    family: 'clothing',
    nouns: ['连衣裙', '碎花连衣裙', '吊带连衣裙', '针织连衣裙', '衬衫连衣裙', '茶歇连衣裙', '长裙'],
    price: [5900, 59900],
    weight: 60,
  },
  'womens-tshirts': {
    family: 'clothing',
    nouns: ['T恤', '短袖T恤', '印花T恤', '打底衫', 'polo衫'],
    price: [2900, 19900],
    weight: 50,
  },
  'womens-shirts': {
    family: 'clothing',
    nouns: ['衬衫', '雪纺衫', '条纹衬衫', '白衬衫', '娃娃领衬衫'],
    price: [5900, 39900],
    weight: 35,
  },
  skirts: {
    family: 'clothing',
    nouns: ['半身裙', 'A字裙', '百褶裙', '包臀裙', '牛仔裙'],
    price: [3900, 29900],
    weight: 30,
  },
  'womens-coats': {
    family: 'clothing',
    nouns: ['风衣', '西装外套', '羽绒服', '羊毛大衣', '针织开衫', '夹克'],
    price: [19900, 159900],
    weight: 45,
  },
  headphones: {
    family: 'digital',
    nouns: ['蓝牙耳机', '降噪耳机', '头戴式耳机', '运动耳机', '骨传导耳机', '游戏耳机'],
    price: [4900, 199900],
    weight: 30,
  },
  phones: {
    family: 'digital',
    nouns: ['5G手机', '智能手机', '拍照手机', '游戏手机', '折叠屏手机'],
    price: [99900, 899900],
    weight: 10,
  },
  chargers: {
    family: 'digital',
    nouns: ['充电器', '快充头', '充电宝', '数据线', '无线充电器'],
    price: [1990, 29900],
    weight: 25,
  },
  'phone-cases': {
    family: 'digital',
    nouns: ['手机壳', '保护壳', '钢化膜', '手机支架'],
    price: [990, 9900],
    weight: 30,
  },
  speakers: {
    family: 'digital',
    nouns: ['蓝牙音箱', '智能音箱', '桌面音响', '回音壁'],
    price: [9900, 199900],
    weight: 10,
  },
  smartwatches: {
    family: 'digital',
    nouns: ['智能手表', '运动手表', '手环', '儿童手表'],
    price: [9900, 399900],
    weight: 10,
  },
  bedding: {
    family: 'home',
    nouns: ['四件套', '蚕丝被', '乳胶枕', '夏凉被', '床笠', '羽绒被'],
    price: [9900, 99900],
    weight: 25,
  },
  storage: {
    family: 'home',
    nouns: ['收纳箱', '收纳柜', '收纳袋', '收纳盒', '置物架'],
    price: [1990, 19900],
    weight: 20,
  },
  cookware: {
    family: 'home',
    nouns: ['炒锅', '珐琅锅', '汤锅', '刀具套装', '平底锅', '电饭煲'],
    price: [2990, 59900],
    weight: 20,
  },
  lighting: {
    family: 'home',
    nouns: ['吸顶灯', '台灯', '落地灯', '小夜灯', '吊灯'],
    price: [3990, 59900],
    weight: 12,
  },
  'custom-furniture': {
    family: 'home',
    nouns: ['定制衣柜', '榻榻米', '定制书柜', '定制橱柜'],
    price: [99900, 999900],
    weight: 4,
  },
  'plants-flowers': {
    family: 'home',
    nouns: ['鲜花束', '绿萝', '多肉', '玫瑰花束', '发财树'],
    price: [1990, 29900],
    weight: 6,
  },
  skincare: {
    family: 'beauty',
    nouns: ['面霜', '精华液', '爽肤水', '洗面奶', '防晒霜', '眼霜'],
    price: [4900, 69900],
    weight: 30,
  },
  makeup: {
    family: 'beauty',
    nouns: ['口红', '粉底液', '眼影盘', '散粉', '眉笔', '腮红'],
    price: [2900, 39900],
    weight: 25,
  },
  'face-masks': {
    family: 'beauty',
    nouns: ['面膜', '泥膜', '睡眠面膜', '贴片面膜'],
    price: [2900, 19900],
    weight: 15,
  },
  fragrance: {
    family: 'beauty',
    nouns: ['香水', '香氛礼盒', '固体香膏', '车载香薰'],
    price: [4900, 129900],
    weight: 8,
  },
  'fresh-fruit': {
    family: 'food',
    nouns: ['蓝莓', '橙子', '阳光玫瑰葡萄', '草莓', '芒果', '石榴', '车厘子', '猕猴桃'],
    price: [1990, 19900],
    weight: 25,
  },
  snacks: {
    family: 'food',
    nouns: ['鲜花饼', '牛肉干', '坚果礼盒', '每日坚果', '手撕面包', '辣条', '薯片'],
    price: [990, 9900],
    weight: 30,
  },
  tea: {
    family: 'food',
    nouns: ['普洱茶', '红茶', '白茶', '绿茶', '龙井', '铁观音', '乌龙茶'],
    price: [3900, 99900],
    weight: 15,
  },
  'grain-oil': {
    family: 'food',
    nouns: ['大米', '小米', '香油', '菜籽油', '挂面', '酱油'],
    price: [1990, 19900],
    weight: 12,
  },
  'running-shoes': {
    family: 'sports',
    nouns: ['跑鞋', '跑步鞋', '训练鞋', '运动鞋', '马拉松跑鞋'],
    price: [19900, 129900],
    weight: 20,
  },
  hiking: {
    family: 'sports',
    nouns: ['冲锋衣', '登山杖', '登山包', '速干裤', '帐篷', '徒步鞋'],
    price: [4900, 199900],
    weight: 15,
  },
  yoga: {
    family: 'sports',
    nouns: ['瑜伽垫', '瑜伽服', '瑜伽砖', '健身裤', '运动内衣'],
    price: [2900, 29900],
    weight: 12,
  },
  cycling: {
    family: 'sports',
    nouns: ['骑行头盔', '骑行手套', '尾灯', '骑行服', '自行车'],
    price: [4900, 299900],
    weight: 8,
  },
  diapers: { family: 'kids', nouns: ['纸尿裤', '拉拉裤', '湿巾'], price: [2900, 29900], weight: 10 },
  'infant-formula': {
    family: 'kids',
    nouns: ['婴儿奶粉', '配方奶粉', '米粉'],
    price: [9900, 49900],
    weight: 5,
  },
  'kids-clothing': {
    family: 'kids',
    nouns: ['儿童卫衣', '童装外套', '儿童睡衣', '连体衣', '儿童羽绒服'],
    price: [3900, 29900],
    weight: 20,
  },
  toys: {
    family: 'kids',
    nouns: ['积木', '拼图', '遥控汽车', '毛绒玩具', '绘本'],
    price: [1990, 59900],
    weight: 15,
  },
  fiction: {
    family: 'books',
    nouns: ['长篇小说', '悬疑小说', '科幻小说', '散文集', '短篇小说集'],
    price: [1990, 12900],
    weight: 8,
  },
  'tech-books': {
    family: 'books',
    nouns: ['编程入门', '数据库原理', '算法导论', '机器学习实战', '系统设计'],
    price: [3900, 19900],
    weight: 4,
  },
  'childrens-books': {
    family: 'books',
    nouns: ['绘本', '童话故事', '科普百科', '拼音读物'],
    price: [1990, 9900],
    weight: 6,
  },
  magazines: { family: 'books', nouns: ['期刊', '杂志', '年度合订本'], price: [990, 5900], weight: 2 },
};

const SHOP_NAMES = [
  '小林数码',
  '阿芳家居',
  '山野生活馆',
  '花姐美妆',
  '老王食品铺',
  '童心母婴',
  '书香小筑',
  '跑者驿站',
  '衣橱日记',
  '厨房好物',
];

class ProductGenerator {
  private readonly leafList: { slug: string; leaf: Leaf; id: string; names: string[]; lineage: string[] }[];
  private readonly cumulative: number[];
  /** Indexed words of texts shared by many products (category paths, brands, attribute sets). */
  private readonly words = new Map<string, string>();

  constructor(
    private readonly seed: number,
    leaves: Map<string, { id: string; names: string[]; lineage: string[] }>,
    private readonly brands: Map<string, { id: string; names: string[] }>,
    private readonly shopIds: string[],
    private readonly now: Date,
  ) {
    this.leafList = Object.entries(LEAVES).map(([slug, leaf]) => ({
      slug,
      leaf,
      ...(leaves.get(slug) as { id: string; names: string[]; lineage: string[] }),
    }));
    let sum = 0;
    const weights = this.leafList.map((l) => (sum += l.leaf.weight));
    this.cumulative = weights.map((w) => w / sum);
  }

  /** Products `from` … `from + n - 1`; each depends only on the seed and its position. */
  batch(from: number, n: number): GeneratedProduct[] {
    return Array.from({ length: n }, (_, i) => this.product(from + i));
  }

  private cached(key: string, texts: string[], part: 1 | 2 | 3): string {
    let w = this.words.get(key);
    if (w === undefined) {
      const doc = { title: '', brand: [], category: [], attributes: [] } as {
        title: string;
        brand: string[];
        category: string[];
        attributes: string[];
      };
      if (part === 1) doc.brand = texts;
      else if (part === 2) doc.category = texts;
      else doc.attributes = texts;
      w = searchTexts(doc)[part];
      if (this.words.size < 200_000) this.words.set(key, w);
    }
    return w;
  }

  private product(n: number): GeneratedProduct {
    const r = mulberry32((this.seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const some = <T>(xs: readonly T[], k: number): T[] => {
      const out = new Set<T>();
      while (out.size < Math.min(k, xs.length)) out.add(pick(xs));
      return [...out];
    };
    const u = r();
    let li = this.cumulative.findIndex((c) => u < c);
    if (li < 0) li = this.cumulative.length - 1;
    const {
      leaf,
      id: categoryId,
      names,
      lineage,
      slug,
    } = this.leafList[li] as (typeof this.leafList)[number];
    const family: Family = FAMILIES[leaf.family];

    // About one listing in five is unbranded (market shops' own goods).
    const brand = r() < 0.8 ? pick(family.brands)[0] : null;
    const noun = pick(leaf.nouns);
    const parts = [
      brand,
      family.seasonal && r() < 0.6 ? pick(SEASONS) : r() < 0.2 ? '新款' : null,
      `${some(family.styles, 1 + Math.floor(r() * 2)).join('')}${r() < 0.5 ? pick(family.materials) : ''}${noun}`,
      r() < 0.7 ? pick(family.points) : null,
      r() < 0.3 ? pick(family.points) : null,
      family.colours.length && r() < 0.25 ? pick(family.colours) : null,
    ];
    const title = [...new Set(parts.filter((p): p is string => !!p))].join(' ');

    const colours = family.colours.length ? some(family.colours, 1 + Math.floor(r() * 3)) : [];
    const sizes = some(family.sizes, 1 + Math.floor(r() * 3));
    const attributes = [...colours, ...sizes];
    const base = shelfPrice(leaf.price[0] + Math.floor(r() * (leaf.price[1] - leaf.price[0])));
    const maxPrice = Math.min(leaf.price[1], base + (sizes.length - 1) * Math.ceil(base * 0.2));
    // A long tail: most listings sell little, a few sell tens of thousands (月销 1万+).
    const sales = Math.floor(Math.exp(r() ** 2 * Math.log(100_000))) - 1;
    const publishedAt = new Date(this.now.getTime() - Math.floor(r() * 365 * 86_400_000));
    const shopId = this.shopIds[Math.floor(r() ** 1.5 * this.shopIds.length)] as string;
    const b = brand ? this.brands.get(brand) : undefined;
    const id = `prod_bench${String(n).padStart(8, '0')}`;
    return {
      id,
      shopId,
      categoryId,
      brandId: b?.id ?? null,
      title,
      description: `${title}。${some(family.points, 2).join('，')}。`,
      images: JSON.stringify([`${DEMO_IMAGE_HOST}/jishi-bench/${slug}/${n}.jpg`]),
      minPrice: base,
      maxPrice: Math.max(base, maxPrice),
      sales,
      publishedAt,
      texts: [
        searchTexts({ title, brand: [], category: [], attributes: [] })[0],
        b ? this.cached(`b:${brand}`, b.names, 1) : '',
        this.cached(`c:${categoryId}`, names, 2),
        this.cached(`a:${attributes.join('|')}`, attributes, 3),
      ],
      filters: filterTerms({ categoryIds: lineage, minPrice: base }).join(' '),
    };
  }
}

/** A shelf price in fen: 9.90, 39.90, 129.00, 1999.00. */
function shelfPrice(raw: number): number {
  const yuan = raw / 100;
  return (Math.floor(yuan / 10) * 10 + 9) * 100 + (yuan >= 100 ? 0 : 90);
}

// ---------------------------------------------------------------------------------------------
// The query mix

interface BenchQuery {
  kind: 'word' | 'two-words' | 'brand' | 'filtered' | 'few-hits' | 'many-hits' | 'no-hits';
  label: string;
  path: string;
}

/** A fixed mix: what buyers type (single words, two words, brand + noun), with and without filters. */
async function buildQueries(database: Database): Promise<BenchQuery[]> {
  const cats = rows<{ id: string; slug: string }>(
    await database.db.execute(sql`select id, slug from categories`),
  );
  const cat = (slug: string) => cats.find((c) => c.slug === slug)?.id as string;
  const q = (
    kind: BenchQuery['kind'],
    words: string,
    extra: Record<string, string | number> = {},
  ): BenchQuery => {
    const params = new URLSearchParams({
      ...(words ? { q: words } : {}),
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])),
    });
    const label = [
      words,
      ...Object.entries(extra).map(
        ([k, v]) => `${k}=${k === 'categoryId' ? (cats.find((c) => c.id === v)?.slug ?? v) : v}`,
      ),
    ]
      .filter(Boolean)
      .join(' ');
    return { kind, label, path: `/api/v1/products?${params}` };
  };
  return [
    q('word', '连衣裙'),
    q('word', '蓝牙耳机'),
    q('word', '面膜'),
    q('word', '羽绒服'),
    q('word', '口红'),
    q('word', '跑鞋'),
    q('word', '普洱茶'),
    q('word', '积木'),
    q('two-words', '纯棉 T恤'),
    q('two-words', '降噪 耳机'),
    q('two-words', '真丝 衬衫'),
    q('two-words', '防水 冲锋衣'),
    q('two-words', '补水 面膜'),
    q('two-words', '碎花连衣裙 显瘦'),
    q('brand', '云裳 连衣裙'),
    q('brand', '声悦 耳机'),
    q('brand', '极客派 充电器'),
    q('brand', '花间集 口红'),
    q('brand', '乐跑 跑鞋'),
    q('brand', '茶乡 白茶'),
    q('filtered', '连衣裙', { minPrice: 10000, maxPrice: 30000 }),
    q('filtered', '耳机', { categoryId: cat('electronics'), sort: 'price_asc' }),
    q('filtered', '纯棉', { categoryId: cat('womens-clothing') }),
    q('filtered', '新款', { categoryId: cat('dresses'), sort: 'sales' }),
    q('filtered', '', { categoryId: cat('beauty'), sort: 'sales' }),
    q('filtered', '手机壳', { maxPrice: 2000, sort: 'price_asc' }),
    q('few-hits', '桑蚕丝 茶歇连衣裙 酒红色 XXL'),
    q('few-hits', '骨传导耳机 樱花粉 IPX7防水'),
    q('few-hits', '墨香书局 签名版 科幻小说'),
    q('few-hits', '珐琅锅 日式 28cm'),
    q('many-hits', '2026'),
    q('many-hits', '黑色'),
    q('many-hits', '新款'),
    q('many-hits', '女装'),
    q('no-hits', '量子 冰箱'),
  ];
}

/** How many products each query's words find, before its filters (the mix spans few to many hits). */
async function countHits(database: Database, queries: BenchQuery[]): Promise<number[]> {
  const out: number[] = [];
  for (const query of queries) {
    const words = new URLSearchParams(query.path.split('?')[1]).get('q') ?? '';
    const terms = queryTerms(words);
    const r = terms.length
      ? await database.db.execute(
          sql`select count(*)::int as n from products where status = 'published' and search_vector @@ plainto_tsquery('simple', ${terms.join(' ')})`,
        )
      : await database.db.execute(sql`select count(*)::int as n from products where status = 'published'`);
    out.push(rows<{ n: number }>(r)[0]?.n ?? 0);
  }
  return out;
}

async function runLevel(
  port: number,
  concurrency: number,
  seconds: number,
  warmup: number,
  queries: BenchQuery[],
) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
  let next = 0;
  let errors = 0;
  const firstErrors: string[] = [];
  const latencies: number[] = [];
  const byKind = new Map<string, number[]>();
  const byQuery = new Map<string, number[]>();
  const once = async (record: boolean) => {
    const query = queries[next++ % queries.length] as BenchQuery;
    const started = performance.now();
    try {
      const r = await pool.request({ method: 'GET', path: query.path });
      const text = await r.body.text();
      if (r.statusCode !== 200) throw new Error(`${query.label} -> ${r.statusCode} ${text.slice(0, 200)}`);
      const ms = performance.now() - started;
      if (record) {
        latencies.push(ms);
        const list = byKind.get(query.kind) ?? [];
        list.push(ms);
        byKind.set(query.kind, list);
        const mine = byQuery.get(query.label) ?? [];
        mine.push(ms);
        byQuery.set(query.label, mine);
      }
    } catch (e) {
      if (record) errors++;
      if (firstErrors.length < 3) firstErrors.push(String(e));
    }
  };
  const loop = async (until: number, record: boolean) => {
    while (performance.now() < until) await once(record);
  };
  const warmEnd = performance.now() + warmup * 1000;
  await Promise.all(Array.from({ length: concurrency }, () => loop(warmEnd, false)));
  const load = loadAverage();
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => loop(start + seconds * 1000, true)));
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  if (firstErrors.length) console.error(`C=${concurrency} first errors:\n  ${firstErrors.join('\n  ')}`);
  latencies.sort((a, b) => a - b);
  const kinds: Record<string, { count: number; p50Ms: number; p99Ms: number }> = {};
  for (const [kind, list] of byKind) {
    list.sort((a, b) => a - b);
    kinds[kind] = { count: list.length, p50Ms: percentile(list, 50), p99Ms: percentile(list, 99) };
  }
  // The queries whose slowest runs make the tail: a kind's p99 is often one query of it.
  const slowest = [...byQuery]
    .map(([label, list]) => ({ label, count: list.length, maxMs: Math.max(...list) }))
    .sort((a, b) => b.maxMs - a.maxMs)
    .slice(0, 5);
  return {
    concurrency,
    seconds: elapsed,
    queries: latencies.length,
    errors,
    queriesPerSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    loadAverage: { start: load, end: loadAverage() },
    byKind: kinds,
    slowest,
  };
}

function loadAverage(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}
