/**
 * The demo marketplace: categories, brands, shops with their owners and warehouses, products with
 * SKUs and opening stock, and buyers. Pure data, no database: the seed loader (seed/index.ts) creates
 * it through the modules. Fully deterministic: everything random comes from one seeded PRNG, so every
 * run, machine and process produces exactly the same marketplace.
 */

/** The password of every demo account (owners, staff, buyers). Letters and digits, 15 characters. */
export const DEMO_PASSWORD = 'jishi-demo-2026';

/** Where demo images live: a placeholder host (example.com is reserved for documentation). */
export const DEMO_IMAGE_HOST = 'https://img.example.com';

// ---------------------------------------------------------------------------------------------
// Types

export interface DemoCategory {
  /** Unique, lower-case words joined by '-' (the catalog's slug pattern). */
  slug: string;
  nameZh: string;
  nameEn: string;
  /** Seven-day no-reason returns apply (false for perishables, custom-made goods, periodicals). */
  noReasonReturn: boolean;
  /** Special category: its own compensation floor and return rules (fresh, custom-made, live goods). */
  special: boolean;
  /** Sub-categories, in display order; empty for a leaf. */
  children: DemoCategory[];
}

export interface DemoBrand {
  /** Stable key products refer to. */
  key: string;
  name: string;
  nameEn: string;
}

export type DemoLocale = 'zh-CN' | 'en';

export interface DemoAccount {
  login: string;
  displayName: string;
  locale: DemoLocale;
}

export interface DemoWarehouse {
  /** Stable key stock lines refer to, unique within the shop. */
  key: string;
  name: string;
  region: string;
}

export interface DemoShop {
  /** Stable key products refer to. */
  key: string;
  kind: 'mall' | 'market';
  name: string;
  owner: DemoAccount;
  /** The owner's (legal representative's) real name and 18-character resident identity number. */
  realName: string;
  idNumber: string;
  depositPlan: 'deposit' | 'insurance';
  /** Mall shops only. */
  mallType?: 'flagship';
  trademarkStatus?: 'R';
  brandName?: string;
  brandKey?: string;
  trademarkNo?: string;
  /** Top-level category slugs the shop sells in; every product's category is under one of them. */
  categories: string[];
  warehouses: DemoWarehouse[];
  /** Extra staff besides the owner. */
  staff: (DemoAccount & { role: 'warehouse' | 'operations' })[];
}

export interface DemoSku {
  /** The merchant's own code, unique within the shop, no spaces. */
  code: string;
  /** Sale attributes: 颜色 / 尺码 / 规格. */
  attributes: Record<string, string>;
  /** Integer fen. */
  price: number;
  /** Opening on-hand quantity per warehouse of the shop. */
  stock: { warehouseKey: string; quantity: number }[];
}

export interface DemoProduct {
  shopKey: string;
  /** A leaf category's slug. */
  categorySlug: string;
  brandKey: string | null;
  title: string;
  description: string;
  images: string[];
  /** The listing's own shipping promise in hours; null means the shop kind's default. */
  shipWithinHours: number | null;
  skus: DemoSku[];
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32: a tiny, well-mixed 32-bit PRNG; the same seed always gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Dice {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
  /** `n` distinct items in their original order. */
  some<T>(items: readonly T[], n: number): T[] {
    const chosen = new Set<number>();
    const want = Math.min(n, items.length);
    while (chosen.size < want) chosen.add(Math.floor(this.next() * items.length));
    return [...chosen].sort((a, b) => a - b).map((i) => items[i] as T);
  }
}

// ---------------------------------------------------------------------------------------------
// PRC resident identity numbers (GB 11643-1999)

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS = '10X98765432';

/** The ISO 7064 MOD 11-2 check character for the first 17 digits of an identity number. */
export function idNumberCheckDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('an identity number check digit needs 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (ID_WEIGHTS[i] ?? 0);
  return ID_CHECK_CHARS[sum % 11] as string;
}

/** True for 18 characters with a real birth date (1900 on) and the right check character. */
export function isValidIdNumber(id: string): boolean {
  if (!/^[1-9]\d{16}[\dX]$/.test(id)) return false;
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return false;
  }
  return idNumberCheckDigit(id.slice(0, 17)) === id[17];
}

/** Region (6 digits) + birth date (YYYYMMDD) + sequence (3 digits; odd for men, even for women). */
function idNumber(region: string, birth: string, sequence: string): string {
  const first17 = `${region}${birth}${sequence}`;
  return first17 + idNumberCheckDigit(first17);
}

// ---------------------------------------------------------------------------------------------
// Categories

const cat = (
  slug: string,
  nameZh: string,
  nameEn: string,
  children: DemoCategory[] = [],
  flags: { noReasonReturn?: boolean; special?: boolean } = {},
): DemoCategory => ({
  slug,
  nameZh,
  nameEn,
  noReasonReturn: flags.noReasonReturn ?? true,
  special: flags.special ?? false,
  children,
});

/** Goods that perish or are made to order: no seven-day no-reason return, and a special category. */
const PERISHABLE = { noReasonReturn: false, special: true };

export const demoCategories: DemoCategory[] = [
  cat('womens-clothing', '女装', "Women's clothing", [
    cat('dresses', '连衣裙', 'Dresses'),
    cat('womens-tshirts', 'T恤', 'T-shirts'),
    cat('womens-shirts', '衬衫', 'Shirts & blouses'),
    cat('skirts', '半身裙', 'Skirts'),
    cat('womens-coats', '外套', 'Coats & jackets'),
  ]),
  cat('electronics', '数码', 'Electronics', [
    cat('headphones', '耳机', 'Headphones'),
    cat('phones', '手机', 'Phones'),
    cat('chargers', '充电器', 'Chargers'),
    cat('phone-cases', '手机壳', 'Phone cases'),
    cat('speakers', '音箱', 'Speakers'),
    cat('smartwatches', '智能手表', 'Smartwatches'),
  ]),
  cat('home', '家居', 'Home', [
    cat('bedding', '床上用品', 'Bedding'),
    cat('storage', '收纳整理', 'Storage'),
    cat('cookware', '厨具', 'Cookware'),
    cat('lighting', '灯具', 'Lighting'),
    cat('custom-furniture', '定制家具', 'Custom furniture', [], PERISHABLE),
    cat('plants-flowers', '鲜花绿植', 'Flowers & plants', [], PERISHABLE),
  ]),
  cat('beauty', '美妆', 'Beauty', [
    cat('skincare', '护肤', 'Skincare'),
    cat('makeup', '彩妆', 'Makeup'),
    cat('face-masks', '面膜', 'Face masks'),
    cat('fragrance', '香水', 'Fragrance'),
  ]),
  cat('food', '食品', 'Food', [
    cat('fresh-fruit', '生鲜水果', 'Fresh fruit', [], PERISHABLE),
    cat('snacks', '休闲零食', 'Snacks'),
    cat('tea', '茶叶', 'Tea'),
    cat('grain-oil', '粮油调味', 'Grain, oil & seasoning'),
  ]),
  cat('sports-outdoor', '运动户外', 'Sports & outdoor', [
    cat('running-shoes', '跑鞋', 'Running shoes'),
    cat('hiking', '登山徒步', 'Hiking'),
    cat('yoga', '瑜伽', 'Yoga'),
    cat('cycling', '骑行', 'Cycling'),
  ]),
  cat('mother-baby', '母婴', 'Mother & baby', [
    cat('diapers', '纸尿裤', 'Diapers'),
    cat('infant-formula', '奶粉', 'Infant formula'),
    cat('kids-clothing', '童装', "Children's clothing"),
    cat('toys', '玩具', 'Toys'),
  ]),
  cat('books', '图书', 'Books', [
    cat('fiction', '小说', 'Fiction'),
    cat('tech-books', '计算机', 'Computing'),
    cat('childrens-books', '童书', "Children's books"),
    // Periodicals are excluded from no-reason returns by the online-shopping return rules.
    cat('magazines', '期刊杂志', 'Magazines', [], { noReasonReturn: false }),
  ]),
];

/** Every category with its parent's slug and depth (0 for top level), parents before children. */
export function flattenCategories(
  tree: readonly DemoCategory[] = demoCategories,
): (DemoCategory & { parentSlug: string | null; depth: number })[] {
  const out: (DemoCategory & { parentSlug: string | null; depth: number })[] = [];
  const walk = (nodes: readonly DemoCategory[], parentSlug: string | null, depth: number) => {
    for (const node of nodes) {
      out.push({ ...node, parentSlug, depth });
      walk(node.children, node.slug, depth + 1);
    }
  };
  walk(tree, null, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Brands (fictional)

export const demoBrands: DemoBrand[] = [
  { key: 'shengyue', name: '声悦', nameEn: 'SonicJoy' },
  { key: 'yunshang', name: '云裳', nameEn: 'Cloudress' },
  { key: 'jikepai', name: '极客派', nameEn: 'GeekPie' },
  { key: 'jiguang', name: '极光', nameEn: 'Aurora Mobile' },
  { key: 'moxiang', name: '墨香书局', nameEn: 'Inkwood Press' },
  { key: 'muyu', name: '木语', nameEn: 'Muyu Living' },
  { key: 'nuanju', name: '暖居', nameEn: 'WarmNest' },
  { key: 'chuyijia', name: '厨艺家', nameEn: 'ChefHome' },
  { key: 'huajianji', name: '花间集', nameEn: 'Florilege' },
  { key: 'qingning', name: '青柠', nameEn: 'Lime & Dew' },
  { key: 'xiaohe', name: '小禾', nameEn: 'Little Sprout' },
  { key: 'shanye', name: '山野', nameEn: 'Wildridge' },
  { key: 'lepao', name: '乐跑', nameEn: 'JoyRun' },
  { key: 'gufeng', name: '谷丰', nameEn: 'Harvest Valley' },
  { key: 'chaxiang', name: '茶乡', nameEn: 'Tea Hometown' },
  { key: 'guoyuan', name: '果园直送', nameEn: 'Orchard Direct' },
];

const brandByKey = new Map(demoBrands.map((b) => [b.key, b]));

// ---------------------------------------------------------------------------------------------
// Shops

export const demoShops: DemoShop[] = [
  {
    key: 'shengyue-flagship',
    kind: 'mall',
    name: '声悦官方旗舰店',
    owner: { login: 'demo_shengyue', displayName: '声悦官方旗舰店', locale: 'zh-CN' },
    realName: '陈志远',
    idNumber: idNumber('440305', '19820614', '031'),
    depositPlan: 'deposit',
    mallType: 'flagship',
    trademarkStatus: 'R',
    brandName: '声悦',
    brandKey: 'shengyue',
    trademarkNo: '38561247',
    categories: ['electronics'],
    warehouses: [
      { key: 'sz', name: '深圳南山仓', region: '广东省深圳市' },
      { key: 'hz', name: '杭州余杭仓', region: '浙江省杭州市' },
    ],
    staff: [{ login: 'demo_shengyue_ops', displayName: '声悦运营小周', locale: 'zh-CN', role: 'operations' }],
  },
  {
    key: 'yunshang-flagship',
    kind: 'mall',
    name: '云裳女装官方旗舰店',
    owner: { login: 'demo_yunshang', displayName: '云裳官方旗舰店', locale: 'zh-CN' },
    realName: '林晓雯',
    idNumber: idNumber('330106', '19880312', '046'),
    depositPlan: 'deposit',
    mallType: 'flagship',
    trademarkStatus: 'R',
    brandName: '云裳',
    brandKey: 'yunshang',
    trademarkNo: '41027735',
    categories: ['womens-clothing'],
    warehouses: [
      { key: 'hz', name: '杭州萧山仓', region: '浙江省杭州市' },
      { key: 'gz', name: '广州白云仓', region: '广东省广州市' },
    ],
    staff: [{ login: 'demo_yunshang_wh', displayName: '云裳仓管阿强', locale: 'zh-CN', role: 'warehouse' }],
  },
  {
    key: 'xiaolin-digital',
    kind: 'market',
    name: '小林数码配件铺',
    owner: { login: 'demo_xiaolin', displayName: '小林', locale: 'zh-CN' },
    realName: '林俊杰',
    idNumber: idNumber('320508', '19930725', '013'),
    depositPlan: 'deposit',
    categories: ['electronics', 'books'],
    warehouses: [
      { key: 'sz', name: '深圳华强北仓', region: '广东省深圳市' },
      { key: 'sh', name: '上海嘉定仓', region: '上海市' },
    ],
    staff: [],
  },
  {
    key: 'afang-home',
    kind: 'market',
    name: '阿芳的家居生活馆',
    owner: { login: 'demo_afang', displayName: '阿芳', locale: 'zh-CN' },
    realName: '王芳',
    idNumber: idNumber('350203', '19900208', '028'),
    depositPlan: 'insurance',
    categories: ['home', 'beauty', 'mother-baby'],
    warehouses: [
      { key: 'xm', name: '厦门思明仓', region: '福建省厦门市' },
      { key: 'yw', name: '义乌小商品仓', region: '浙江省金华市' },
    ],
    staff: [{ login: 'demo_afang_wh', displayName: '打包小能手', locale: 'zh-CN', role: 'warehouse' }],
  },
  {
    key: 'shanye-life',
    kind: 'market',
    name: '山野生活铺·云南特产',
    owner: { login: 'demo_shanye', displayName: '山野阿勇', locale: 'zh-CN' },
    realName: '杨勇',
    idNumber: idNumber('530102', '19870919', '057'),
    depositPlan: 'insurance',
    categories: ['food', 'sports-outdoor'],
    warehouses: [
      { key: 'km', name: '昆明官渡仓', region: '云南省昆明市' },
      { key: 'cd', name: '成都双流仓', region: '四川省成都市' },
    ],
    staff: [],
  },
];

// ---------------------------------------------------------------------------------------------
// Buyers

export const demoBuyers: DemoAccount[] = [
  { login: 'demo_buyer_xiaoming', displayName: '小明', locale: 'zh-CN' },
  { login: 'demo_buyer_lili', displayName: '李丽', locale: 'zh-CN' },
  { login: 'demo_buyer_zhangwei', displayName: '张伟', locale: 'zh-CN' },
  { login: 'demo_buyer_wangjing', displayName: '王静', locale: 'zh-CN' },
  { login: 'demo_buyer_liuyang', displayName: '刘洋', locale: 'zh-CN' },
  { login: 'demo_buyer_chenxi', displayName: '晨曦', locale: 'zh-CN' },
  { login: 'demo_buyer_zhaolei', displayName: '赵磊', locale: 'zh-CN' },
  { login: 'demo_buyer_sunmei', displayName: '孙梅', locale: 'zh-CN' },
  { login: 'demo_buyer_zhoujie', displayName: '周杰', locale: 'zh-CN' },
  { login: 'demo_buyer_wuxia', displayName: '吴霞', locale: 'zh-CN' },
  { login: 'demo_buyer_emma', displayName: '艾玛', locale: 'en' },
  { login: 'demo_buyer_oliver', displayName: '奥利弗', locale: 'en' },
];

// ---------------------------------------------------------------------------------------------
// Products: recipes per leaf category, turned into titles, SKUs and stock by the seeded dice

type Variants = (d: Dice) => Record<string, string>[];

interface Recipe {
  /** Brand keys a market shop may list this under (null: unbranded). Mall shops use their own brand. */
  brands: (string | null)[];
  adjectives: string[];
  nouns: string[];
  specs: string[];
  /** Base price range in fen. */
  price: [number, number];
  variants: Variants;
  /** Selling points; two or three make the description. */
  points: string[];
  /** Builds the whole title instead of brand + adjective + noun + spec (books). */
  title?: (d: Dice, brand: DemoBrand | null) => string;
}

const COLOURS_CLOTHES = ['黑色', '白色', '杏色', '雾霾蓝', '燕麦色', '酒红色', '墨绿色', '碎花黄'];
const SIZES_CLOTHES = ['S', 'M', 'L', 'XL'];
const COLOURS_GADGET = ['曜石黑', '云母白', '雾霾蓝', '樱花粉', '远峰灰'];

/** Colour x size, at most 6 combinations (1-2 colours, 1-3 sizes). */
const colourBySize =
  (colours: string[], sizes: string[], maxColours = 2, maxSizes = 3): Variants =>
  (d) => {
    const cs = d.some(colours, d.int(1, maxColours));
    const ss = d.some(sizes, d.int(1, maxSizes));
    return cs.flatMap((c) => ss.map((s) => ({ 颜色: c, 尺码: s })));
  };
const colourBySpec =
  (colours: string[], specs: string[], maxColours = 3, maxSpecs = 2): Variants =>
  (d) => {
    const cs = d.some(colours, d.int(1, maxColours));
    const ss = d.some(specs, d.int(1, maxSpecs));
    return cs.flatMap((c) => ss.map((s) => ({ 颜色: c, 规格: s })));
  };
const specOnly =
  (specs: string[], max = 3): Variants =>
  (d) =>
    d.some(specs, d.int(1, max)).map((s) => ({ 规格: s }));
const colourOnly =
  (colours: string[], max = 4): Variants =>
  (d) =>
    d.some(colours, d.int(1, max)).map((c) => ({ 颜色: c }));

const BOOK_NAMES = [
  '山海之间',
  '长夜将尽',
  '星河旅人',
  '南方有雨',
  '雾中城',
  '十二月的灯火',
  '远山的回声',
  '海边的图书馆',
  '风起青萍',
  '白鹭归来',
];
const TECH_BOOKS = [
  'TypeScript 工程实践',
  'PostgreSQL 运维与调优',
  'Node.js 服务端开发',
  '分布式系统设计笔记',
  '高并发电商架构',
  '数据结构与算法精讲',
  'Rust 系统编程入门',
  '机器学习实战手册',
];
const AUTHORS = ['林一舟', '苏晚', '周南', '程远', '何青', '叶知秋', '陆川', '沈星'];

const recipes: Record<string, Recipe> = {
  // Every dress and every headphone title carries the word shoppers search for (连衣裙 / 蓝牙耳机),
  // and no other category's titles do, so searching it finds exactly these listings.
  dresses: {
    brands: ['yunshang', null],
    adjectives: ['2026夏季新款', '法式', '气质', '收腰显瘦', '高级感', '温柔风', '复古', '中长款'],
    nouns: [
      '连衣裙',
      '碎花连衣裙',
      '吊带连衣裙',
      '针织连衣裙',
      '衬衫连衣裙',
      '雪纺连衣裙',
      '茶歇连衣裙',
      '赫本风小黑连衣裙',
    ],
    specs: ['宽松大码', '通勤百搭', '海边度假', '小个子显高', '醋酸缎面', '桑蚕丝混纺'],
    price: [9900, 59900],
    variants: colourBySize(COLOURS_CLOTHES, SIZES_CLOTHES),
    points: ['垂坠面料不易皱', '收腰剪裁修饰身形', '可机洗', '内衬防走光', '领口精致包边', '通勤约会皆宜'],
  },
  'womens-tshirts': {
    brands: ['yunshang', null],
    adjectives: ['纯棉', '短袖', '宽松', '修身', '圆领', '2026春夏'],
    nouns: ['T恤', '印花T恤', '打底T恤', '重磅T恤'],
    specs: ['新疆长绒棉', '百搭上衣', '不易变形', '260g重磅'],
    price: [3900, 19900],
    variants: colourBySize(COLOURS_CLOTHES, SIZES_CLOTHES),
    points: ['亲肤透气', '领口罗纹不易松', '多次洗涤不变形', '简约百搭'],
  },
  'womens-shirts': {
    brands: ['yunshang', null],
    adjectives: ['法式', '职业', '复古', '宽松', '长袖'],
    nouns: ['衬衫', '雪纺衬衫', '真丝衬衫', '条纹衬衫', '白衬衫'],
    specs: ['通勤百搭', '垂感面料', '免烫易打理'],
    price: [7900, 39900],
    variants: colourBySize(COLOURS_CLOTHES, SIZES_CLOTHES),
    points: ['垂感好不起皱', '贝母纽扣', '可单穿可内搭', '透气不闷汗'],
  },
  skirts: {
    brands: ['yunshang', null],
    adjectives: ['高腰', '显瘦', '中长款', '百搭', '秋冬'],
    nouns: ['A字半身裙', '百褶半身裙', '包臀半身裙', '牛仔半身裙'],
    specs: ['遮胯显腿长', '后腰松紧', '带内衬'],
    price: [5900, 29900],
    variants: colourBySize(COLOURS_CLOTHES, SIZES_CLOTHES),
    points: ['高腰设计拉长比例', '走路不勒腿', '四季可穿'],
  },
  'womens-coats': {
    brands: ['yunshang', null],
    adjectives: ['秋冬', '中长款', '廓形', '经典', '双面'],
    nouns: ['风衣', '西装外套', '针织开衫', '羊毛大衣', '短款夹克'],
    specs: ['防风保暖', '通勤百搭', '含羊毛50%'],
    price: [19900, 129900],
    variants: colourBySize(COLOURS_CLOTHES, SIZES_CLOTHES),
    points: ['挺括有型', '内里顺滑好穿脱', '肩线利落', '保暖不臃肿'],
  },
  headphones: {
    brands: ['shengyue', 'jikepai', null],
    adjectives: ['2026新款', '旗舰', '轻量', '高音质', '低延迟', '超长续航', 'Hi-Res认证'],
    nouns: [
      '真无线蓝牙耳机',
      '主动降噪蓝牙耳机',
      '头戴式蓝牙耳机',
      '运动蓝牙耳机',
      '骨传导蓝牙耳机',
      '半入耳式蓝牙耳机',
      '挂耳式蓝牙耳机',
      '电竞游戏蓝牙耳机',
    ],
    specs: ['续航40小时', '蓝牙5.4', 'Type-C快充', '通话降噪', 'IPX5防水', '空间音频'],
    price: [4900, 199900],
    variants: colourBySpec(COLOURS_GADGET, ['标准版', '降噪版', '无线充电版']),
    points: ['双设备同时连接', '通话清晰降噪', '佩戴久不胀耳', '开盖即连', '游戏模式低延迟', '一年只换不修'],
  },
  phones: {
    brands: ['jiguang'],
    adjectives: ['2026旗舰', '轻薄', '影像', '长续航', '全网通'],
    nouns: ['5G智能手机', '拍照手机', '游戏手机', '折叠屏手机'],
    specs: ['骁龙芯片', '1英寸大底主摄', '6000mAh大电池', '120W快充'],
    price: [99900, 899900],
    variants: colourBySpec(COLOURS_GADGET, ['8GB+256GB', '12GB+256GB', '12GB+512GB', '16GB+1TB']),
    points: ['全焦段影像', '护眼高刷屏', '双卡双待', '官方正品保修'],
  },
  chargers: {
    brands: ['shengyue', 'jikepai', null],
    adjectives: ['氮化镓', '多口', '迷你', '折叠插脚', '车载'],
    nouns: ['充电器', '快充充电头', '多口充电器', '磁吸无线充电器', '车载充电器'],
    specs: ['20W', '33W', '65W', '100W', '支持PD快充'],
    price: [1990, 29900],
    variants: specOnly(['20W单口', '35W双口', '65W三口', '100W四口']),
    points: ['多重安全保护', '小巧便携', '兼容主流手机和笔记本', '智能分配功率'],
  },
  'phone-cases': {
    brands: ['jikepai', null],
    adjectives: ['防摔', '超薄', '磁吸', '液态硅胶', '透明'],
    nouns: ['手机壳', '保护壳', '全包手机套'],
    specs: ['适用极光X60', '适用极光X60 Pro', '适用极光Fold 3', '镜头全包'],
    price: [990, 9900],
    variants: colourOnly(['透明', '黑色', '薄荷绿', '奶白色', '深海蓝']),
    points: ['四角气囊防摔', '不发黄', '按键灵敏', '支持磁吸充电'],
  },
  speakers: {
    brands: ['shengyue', null],
    adjectives: ['便携', '户外', '桌面', '智能', '重低音'],
    nouns: ['蓝牙音箱', '智能音箱', '桌面音响', '回音壁'],
    specs: ['IPX7防水', '续航24小时', '立体声双连', '支持语音助手'],
    price: [9900, 199900],
    variants: colourOnly(COLOURS_GADGET, 3),
    points: ['低音浑厚', '户外露营好伙伴', '支持两台串联', '一键唤醒'],
  },
  smartwatches: {
    brands: ['shengyue', 'jiguang'],
    adjectives: ['运动', '商务', '轻薄', '长续航'],
    nouns: ['智能手表', '运动手表', '健康手环'],
    specs: ['血氧心率监测', 'eSIM独立通话', '续航14天', '北斗定位'],
    price: [29900, 399900],
    variants: colourBySpec(['曜石黑', '云母白', '星光金'], ['41mm', '45mm'], 2, 2),
    points: ['百种运动模式', '睡眠监测', '50米防水', '消息提醒不漏接'],
  },
  bedding: {
    brands: ['nuanju', null],
    adjectives: ['简约', '北欧风', '加厚', '轻奢', '亲肤'],
    nouns: ['床上四件套', '蚕丝被', '乳胶枕', '夏凉被', '床笠'],
    specs: ['1.5m床', '1.8m床', '亲肤裸睡', 'A类婴幼儿标准'],
    price: [9900, 99900],
    variants: colourBySpec(['米白', '浅灰', '雾蓝', '豆沙粉'], ['1.5m床', '1.8m床', '2.0m床'], 2, 2),
    points: ['亲肤柔软', '不起球不掉色', '透气吸湿', '活性印染'],
  },
  storage: {
    brands: ['muyu', null],
    adjectives: ['大容量', '可折叠', '透明', '抽屉式', '加厚'],
    nouns: ['收纳箱', '收纳柜', '衣物收纳袋', '桌面收纳盒'],
    specs: ['3个装', '带滑轮', '可叠加', '防尘防潮'],
    price: [1990, 19900],
    variants: specOnly(['小号', '中号', '大号', '超大号']),
    points: ['空间利用率高', '承重不变形', '易清洁', '分类一目了然'],
  },
  cookware: {
    brands: ['chuyijia', null],
    adjectives: ['不粘', '铸铁', '304不锈钢', '家用', '少油烟'],
    nouns: ['炒锅', '珐琅锅', '汤锅', '刀具套装', '平底煎锅'],
    specs: ['28cm', '32cm', '燃气电磁炉通用', '带锅盖'],
    price: [2990, 59900],
    variants: specOnly(['24cm', '28cm', '32cm']),
    points: ['受热均匀', '易清洗', '燃气电磁炉通用', '加厚复底'],
  },
  lighting: {
    brands: ['muyu', null],
    adjectives: ['LED', '护眼', '北欧', '智能', '极简'],
    nouns: ['吸顶灯', '台灯', '落地灯', '小夜灯'],
    specs: ['无频闪', '三色调光', '支持米家', '卧室客厅'],
    price: [3990, 59900],
    variants: colourOnly(['白色', '原木色', '黑色'], 2),
    points: ['国AA级照度', '无蓝光危害', '安装简单', '节能省电'],
  },
  'custom-furniture': {
    brands: ['muyu'],
    adjectives: ['全屋', '环保', '北欧', '现代简约'],
    nouns: ['定制衣柜', '定制榻榻米', '定制书柜'],
    specs: ['ENF级板材', '免费上门测量', '按平米计价'],
    price: [99900, 999900],
    variants: specOnly(['每平米 暖白', '每平米 原木', '每平米 胡桃'], 2),
    points: ['上门测量设计', '按尺寸定制生产', '环保板材', '包安装'],
  },
  'plants-flowers': {
    brands: [null],
    adjectives: ['同城', '新鲜', '室内', '节日'],
    nouns: ['鲜花束', '绿萝盆栽', '多肉组合', '玫瑰花束'],
    specs: ['云南基地直发', '含花瓶', '送贺卡'],
    price: [2990, 29900],
    variants: specOnly(['11枝', '19枝', '33枝']),
    points: ['基地直采', '保鲜包装', '坏损包赔'],
  },
  skincare: {
    brands: ['qingning', 'huajianji', null],
    adjectives: ['补水保湿', '修护', '温和', '控油', '敏感肌'],
    nouns: ['面霜', '精华液', '爽肤水', '洁面乳', '防晒霜'],
    specs: ['50ml', '30ml', '120ml', 'SPF50+'],
    price: [4900, 69900],
    variants: specOnly(['30ml', '50ml', '100ml']),
    points: ['无酒精配方', '温和不刺激', '质地清爽好吸收', '专柜同款'],
  },
  makeup: {
    brands: ['huajianji', null],
    adjectives: ['哑光', '持妆', '丝绒', '自然', '新品'],
    nouns: ['口红', '粉底液', '眼影盘', '散粉'],
    specs: ['不沾杯', '遮瑕', '控油定妆', '小样装'],
    price: [2900, 39900],
    variants: colourOnly(['#01 正红', '#02 豆沙', '#03 枫叶', '#04 奶茶', '#05 珊瑚'], 4),
    points: ['显色度高', '持久不脱妆', '轻薄服帖', '国货之光'],
  },
  'face-masks': {
    brands: ['qingning', null],
    adjectives: ['补水', '舒缓', '清洁', '睡眠'],
    nouns: ['面膜', '泥膜', '贴片面膜'],
    specs: ['10片装', '5片装', '100g'],
    price: [2900, 19900],
    variants: specOnly(['5片装', '10片装', '20片装']),
    points: ['精华满满', '服帖不滴液', '敏感肌可用'],
  },
  fragrance: {
    brands: ['huajianji'],
    adjectives: ['淡香', '清新', '木质调', '花果香'],
    nouns: ['香水', '香氛礼盒', '固体香膏'],
    specs: ['30ml', '50ml', '节日礼盒'],
    price: [9900, 129900],
    variants: specOnly(['30ml', '50ml', '100ml']),
    points: ['留香持久', '前中后调层次分明', '礼盒包装'],
  },
  'fresh-fruit': {
    brands: ['guoyuan', null],
    adjectives: ['现摘', '新鲜', '当季', '精选大果'],
    nouns: ['云南蓝莓', '褚橙', '阳光玫瑰葡萄', '丹东草莓', '海南芒果', '突尼斯软籽石榴'],
    specs: ['5斤装', '3斤礼盒装', '净重2.5kg', '顺丰冷链'],
    price: [1990, 19900],
    variants: specOnly(['2斤装', '3斤装', '5斤装', '10斤装']),
    points: ['产地直发', '坏果包赔', '冷链配送', '现摘现发'],
  },
  snacks: {
    brands: ['gufeng', null],
    adjectives: ['云南特产', '手工', '现烤', '低糖'],
    nouns: ['鲜花饼', '牛肉干', '坚果礼盒', '野生菌干货', '手撕面包'],
    specs: ['500g', '礼盒装', '独立小包装'],
    price: [990, 9900],
    variants: specOnly(['250g', '500g', '1kg礼盒']),
    points: ['当天现做', '独立包装方便携带', '无添加防腐剂'],
  },
  tea: {
    brands: ['chaxiang', null],
    adjectives: ['云南', '古树', '特级', '明前', '春茶'],
    nouns: ['普洱茶饼', '滇红茶', '白茶', '绿茶'],
    specs: ['357g', '250g罐装', '礼盒装'],
    price: [3900, 99900],
    variants: specOnly(['100g', '250g', '357g饼', '500g礼盒']),
    points: ['产地直供', '条索紧结', '汤色红亮', '回甘持久'],
  },
  'grain-oil': {
    brands: ['gufeng', null],
    adjectives: ['东北', '新米', '古法', '有机'],
    nouns: ['五常大米', '小粒黄小米', '小磨香油', '菜籽油'],
    specs: ['5kg', '2.5kg', '1L', '真空包装'],
    price: [2990, 19900],
    variants: specOnly(['1kg', '2.5kg', '5kg']),
    points: ['当季新粮', '真空锁鲜', '产地直发'],
  },
  'running-shoes': {
    brands: ['lepao', null],
    adjectives: ['缓震', '竞速', '轻量', '透气', '越野'],
    nouns: ['跑步鞋', '跑鞋', '训练鞋'],
    specs: ['碳板', '回弹中底', '防滑耐磨', '宽楦'],
    price: [19900, 129900],
    variants: colourBySize(
      ['黑白', '荧光黄', '雾蓝', '全黑'],
      ['38', '39', '40', '41', '42', '43', '44'],
      2,
      3,
    ),
    points: ['轻盈回弹', '透气网面', '稳定支撑', '耐磨大底'],
  },
  hiking: {
    brands: ['shanye', null],
    adjectives: ['防水', '轻量', '专业', '户外', '三合一'],
    nouns: ['冲锋衣', '登山杖', '登山包', '速干裤', '露营帐篷'],
    specs: ['防风防泼水', '40L', '碳纤维', '双人'],
    price: [9900, 199900],
    variants: colourBySize(['雪山白', '岩石灰', '森林绿'], ['M', 'L', 'XL'], 2, 2),
    points: ['防风防泼水', '轻量好收纳', '户外徒步露营适用'],
  },
  yoga: {
    brands: ['lepao', null],
    adjectives: ['防滑', '加厚', '高弹', '裸感'],
    nouns: ['瑜伽垫', '瑜伽服套装', '瑜伽砖'],
    specs: ['6mm', '8mm', '天然橡胶'],
    price: [2900, 29900],
    variants: colourOnly(['樱花粉', '薄荷绿', '暮光紫', '深空灰'], 3),
    points: ['双面防滑', '回弹好不塌陷', '易清洁'],
  },
  cycling: {
    brands: ['shanye', null],
    adjectives: ['一体成型', '夜骑', '专业', '透气'],
    nouns: ['骑行头盔', '骑行手套', '自行车尾灯', '骑行服'],
    specs: ['USB充电', '大码', '反光条'],
    price: [4900, 299900],
    variants: specOnly(['M', 'L', 'XL']),
    points: ['安全防护', '透气散热', '夜间醒目'],
  },
  diapers: {
    brands: ['xiaohe', null],
    adjectives: ['超薄', '透气', '夜用', '新生儿'],
    nouns: ['纸尿裤', '拉拉裤'],
    specs: ['箱装', '试用装', '整箱发货'],
    price: [5900, 29900],
    variants: specOnly(['NB码', 'S码', 'M码', 'L码', 'XL码'], 4),
    points: ['干爽透气', '柔软亲肤', '防侧漏'],
  },
  'infant-formula': {
    brands: ['xiaohe'],
    adjectives: ['婴幼儿', '有机', '易吸收'],
    nouns: ['配方奶粉'],
    specs: ['1段 800g', '2段 800g', '3段 800g'],
    price: [9900, 49900],
    variants: specOnly(['1段', '2段', '3段']),
    points: ['营养配方', '易冲调', '罐装密封'],
  },
  'kids-clothing': {
    brands: ['xiaohe', null],
    adjectives: ['纯棉', '春秋', '卡通', '宽松'],
    nouns: ['儿童卫衣', '男童T恤', '女童外套', '儿童睡衣套装'],
    specs: ['A类标准', '亲子装', '100-140cm'],
    price: [3900, 19900],
    variants: colourBySize(['奶白', '粉色', '天蓝', '姜黄'], ['100', '110', '120', '130', '140']),
    points: ['A类婴幼儿标准', '柔软亲肤', '不起球'],
  },
  toys: {
    brands: ['xiaohe', null],
    adjectives: ['益智', '大颗粒', '早教', '3岁+'],
    nouns: ['积木', '拼图', '遥控汽车', '毛绒玩具'],
    specs: ['200片', '礼盒装', '环保材质'],
    price: [1990, 59900],
    variants: specOnly(['基础款', '豪华款'], 2),
    points: ['环保材质', '圆角设计', '锻炼动手能力'],
  },
  fiction: {
    brands: ['moxiang', null],
    adjectives: [],
    nouns: ['长篇小说'],
    specs: ['精装', '平装', '签名版'],
    price: [1990, 12900],
    variants: specOnly(['平装', '精装'], 2),
    points: ['正版图书', '塑封发货', '2026年新版'],
    title: (d, brand) =>
      `《${d.pick(BOOK_NAMES)}》${d.pick(AUTHORS)} 著 ${d.pick(['长篇小说', '悬疑小说', '科幻小说'])} ${
        brand ? `${brand.name}出版` : '正版'
      }`,
  },
  'tech-books': {
    brands: ['moxiang', null],
    adjectives: [],
    nouns: ['计算机图书'],
    specs: ['第2版', '第3版', '附源码'],
    price: [3900, 19900],
    variants: specOnly(['平装', '精装'], 1),
    points: ['正版图书', '附配套源码', '一线工程师撰写'],
    title: (d, brand) =>
      `《${d.pick(TECH_BOOKS)}》${d.pick(['第2版', '第3版', '修订版'])} ${d.pick(AUTHORS)} 著${
        brand ? ` ${brand.name}` : ''
      }`,
  },
};

/** What each shop lists: leaf category and how many products. */
const ASSORTMENT: Record<string, [string, number][]> = {
  'shengyue-flagship': [
    ['headphones', 34],
    ['speakers', 12],
    ['chargers', 10],
    ['smartwatches', 8],
  ],
  'yunshang-flagship': [
    ['dresses', 36],
    ['womens-tshirts', 12],
    ['womens-shirts', 10],
    ['skirts', 8],
    ['womens-coats', 8],
  ],
  'xiaolin-digital': [
    ['headphones', 14],
    ['chargers', 14],
    ['phone-cases', 16],
    ['phones', 8],
    ['tech-books', 10],
    ['fiction', 6],
  ],
  'afang-home': [
    ['bedding', 10],
    ['storage', 12],
    ['cookware', 10],
    ['lighting', 6],
    ['custom-furniture', 3],
    ['plants-flowers', 4],
    ['skincare', 8],
    ['makeup', 6],
    ['face-masks', 5],
    ['fragrance', 3],
    ['diapers', 4],
    ['infant-formula', 2],
    ['kids-clothing', 5],
    ['toys', 6],
  ],
  'shanye-life': [
    ['fresh-fruit', 12],
    ['snacks', 10],
    ['tea', 10],
    ['grain-oil', 6],
    ['hiking', 10],
    ['running-shoes', 8],
    ['yoga', 6],
    ['cycling', 6],
  ],
};

/** A price in fen that looks like a shelf price (9.90, 39.90, 129.00, 1999.00), inside [min, max]. */
function shelfPrice(d: Dice, [min, max]: [number, number]): number {
  const raw = d.int(min, max);
  const yuan = raw / 100;
  const fen = (Math.floor(yuan / 10) * 10 + 9) * 100 + (yuan >= 100 ? 0 : 90);
  return Math.min(max, Math.max(min, fen));
}

const SKU_PREFIX: Record<string, string> = {
  'shengyue-flagship': 'SY',
  'yunshang-flagship': 'YS',
  'xiaolin-digital': 'XL',
  'afang-home': 'AF',
  'shanye-life': 'SL',
};

const MALL_BRANDS = new Set(demoShops.flatMap((s) => (s.kind === 'mall' && s.brandKey ? [s.brandKey] : [])));

function buildProducts(seed: number): DemoProduct[] {
  const d = new Dice(seed);
  const products: DemoProduct[] = [];
  for (const shop of demoShops) {
    const titles = new Set<string>();
    let seq = 0;
    for (const [slug, count] of ASSORTMENT[shop.key] ?? []) {
      const recipe = recipes[slug];
      if (!recipe) throw new Error(`no recipe for category ${slug}`);
      for (let n = 0; n < count; n++) {
        seq++;
        // A mall shop sells its own brand; market shops sell other brands or unbranded goods.
        const brandKey =
          shop.kind === 'mall'
            ? (shop.brandKey ?? null)
            : d.pick(recipe.brands.filter((b) => b === null || !MALL_BRANDS.has(b)));
        const brand = brandKey ? (brandByKey.get(brandKey) ?? null) : null;
        let title = '';
        for (let attempt = 0; attempt < 50 && (title === '' || titles.has(title)); attempt++) {
          title = recipe.title
            ? recipe.title(d, brand)
            : [
                brand?.name,
                `${d.some(recipe.adjectives, d.int(1, 2)).join('')}${d.pick(recipe.nouns)}`,
                d.pick(recipe.specs),
              ]
                .filter(Boolean)
                .join(' ');
        }
        if (titles.has(title)) title = `${title} ${seq}号`;
        titles.add(title);

        const code = `${SKU_PREFIX[shop.key] ?? 'DM'}-${String(seq).padStart(4, '0')}`;
        const base = shelfPrice(d, recipe.price);
        const variants = recipe.variants(d).slice(0, 6);
        // Each bigger spec costs about 20% more, in round steps; colours and sizes of one spec cost the same.
        const unit = base >= 10000 ? 1000 : 100;
        const step = Math.ceil((base * 0.2) / unit) * unit;
        const specs = [...new Set(variants.map((v) => v.规格).filter((v) => v !== undefined))];
        const skus: DemoSku[] = variants.map((attributes, i) => {
          const specRank = attributes.规格 ? specs.indexOf(attributes.规格) : 0;
          const price = Math.min(recipe.price[1], base + specRank * step);
          return {
            code: `${code}-${String(i + 1).padStart(2, '0')}`,
            attributes,
            price,
            stock: shop.warehouses.map((w) => ({
              warehouseKey: w.key,
              quantity: d.chance(0.12) ? 0 : d.int(5, 500),
            })),
          };
        });

        const points = d.some(recipe.points, d.int(2, 3));
        const shipWithinHours = d.chance(0.3) ? 24 : d.chance(0.3) ? 48 : null;
        const description = `${title}。${points.join('，')}。${
          shipWithinHours ? `付款后${shipWithinHours}小时内发货。` : ''
        }${shop.kind === 'mall' ? `${shop.brandName}官方正品，支持七天无理由退换。` : '店主亲自把关品质，有问题随时联系客服。'}`;
        const images = Array.from(
          { length: d.int(1, 4) },
          (_, i) => `${DEMO_IMAGE_HOST}/jishi-demo/${shop.key}/${code.toLowerCase()}-${i + 1}.jpg`,
        );
        products.push({
          shopKey: shop.key,
          categorySlug: slug,
          brandKey,
          title,
          description,
          images,
          shipWithinHours,
          skus,
        });
      }
    }
  }
  return products;
}

/** The seed of the product generator; change it and every product changes (and the test's hash). */
export const DEMO_SEED = 20261111;

/** Builds the products afresh (the same every time); `demoProducts` is the result for DEMO_SEED. */
export function buildDemoProducts(seed = DEMO_SEED): DemoProduct[] {
  return buildProducts(seed);
}

export const demoProducts: DemoProduct[] = buildDemoProducts();
