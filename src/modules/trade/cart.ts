import { and, asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db';
import { p, statement } from '../../db/statements';
import { AppError, invalidField, notFound } from '../../kernel/errors';
import { getSkuForSale, type SkuForSale } from '../catalog';
import { availableBySku } from '../inventory';
import { type Quote, quoteLines } from '../promotions';
import { cartItems } from './schema';
import './messages';

export const MAX_LINE_QUANTITY = 999;

export type CartProblem = 'not_for_sale' | 'insufficient_stock';

/** Whether a SKU can be bought: its product is published and the SKU is active. */
export function forSale(sku: SkuForSale): boolean {
  return sku.productStatus === 'published' && sku.status === 'active';
}

const unknownSku = (skuId: string) =>
  new AppError(404, 'sku_not_found', { skuId }, [{ path: '/skuId', in: 'body', code: 'field.sku_unknown' }]);

/** The SKU, on sale, or 404 (unknown) / 409 (unpublished or inactive). */
export async function requireSkuForSale(tx: Executor, skuId: string): Promise<SkuForSale> {
  const sku = await getSkuForSale(tx, skuId);
  if (!sku) throw unknownSku(skuId);
  if (!forSale(sku)) throw new AppError(409, 'sku_not_for_sale', { skuId });
  return sku;
}

/**
 * Adds `quantity` to the buyer's line for this SKU (creating it); answers the SKU as read for it and
 * the cart's lines after the change (as cartLines would), read by the same statement.
 */
export async function addToCart(
  tx: Executor,
  buyerId: string,
  input: { skuId: string; quantity: number },
  now: Date,
): Promise<{ sku: SkuForSale; lines: CartLine[] }> {
  const sku = await requireSkuForSale(tx, input.skuId);
  const lines = await addLine(tx, { buyerId, skuId: input.skuId, quantity: input.quantity, now });
  const row = lines.find((l) => l.skuId === input.skuId);
  if (row && row.quantity > MAX_LINE_QUANTITY) {
    throw invalidField('/quantity', 'field.cart_quantity_max', { limit: MAX_LINE_QUANTITY });
  }
  return { sku, lines };
}

export type CartLine = typeof cartItems.$inferSelect;

/** Sets the quantity of a line already in the cart. */
export async function setCartQuantity(
  tx: Executor,
  buyerId: string,
  skuId: string,
  quantity: number,
  now: Date,
): Promise<void> {
  const [row] = await tx
    .update(cartItems)
    .set({ quantity, updatedAt: now })
    .where(and(eq(cartItems.buyerId, buyerId), eq(cartItems.skuId, skuId)))
    .returning();
  if (!row) throw notFound('cart_line_not_found');
}

export async function removeFromCart(tx: Executor, buyerId: string, skuId: string): Promise<void> {
  const gone = await tx
    .delete(cartItems)
    .where(and(eq(cartItems.buyerId, buyerId), eq(cartItems.skuId, skuId)))
    .returning();
  if (gone.length === 0) throw notFound('cart_line_not_found');
}

// The cart statements run on every add and checkout: built once (see statement()).
// The upsert, and the cart as it is after it: the upserted line (which the statement's own snapshot
// does not see in the table) with the buyer's other lines, in cartLines' order.
const addLine = statement((db) => {
  const added = db.$with('added').as(
    db
      .insert(cartItems)
      .values({
        buyerId: p('buyerId'),
        skuId: p('skuId'),
        quantity: p('quantity'),
        addedAt: p('now'),
        updatedAt: p('now'),
      })
      .onConflictDoUpdate({
        target: [cartItems.buyerId, cartItems.skuId],
        set: { quantity: sql`${cartItems.quantity} + ${p('quantity')}::int`, updatedAt: p('now') } as never,
      })
      .returning(),
  );
  // A subquery: a data-modifying WITH must stay at the statement's top level, not in a union's branch.
  const lines = db
    .select()
    .from(added)
    .unionAll(
      db
        .select()
        .from(cartItems)
        .where(and(eq(cartItems.buyerId, p('buyerId')), sql`${cartItems.skuId} <> ${p('skuId')}`)),
    )
    .as('lines');
  return db.with(added).select().from(lines).orderBy(asc(lines.addedAt), asc(lines.skuId));
});
const linesOfCart = statement((db) =>
  db
    .select()
    .from(cartItems)
    .where(eq(cartItems.buyerId, p('buyerId')))
    .orderBy(asc(cartItems.addedAt), asc(cartItems.skuId)),
);
const lockedLinesOfCart = statement((db) =>
  db
    .select()
    .from(cartItems)
    .where(eq(cartItems.buyerId, p('buyerId')))
    .orderBy(asc(cartItems.addedAt), asc(cartItems.skuId))
    .for('update'),
);

/** The buyer's cart lines, oldest first; `lock` holds them until the transaction ends (checkout). */
export async function cartLines(tx: Executor, buyerId: string, opts: { lock?: boolean } = {}) {
  return (opts.lock ? lockedLinesOfCart : linesOfCart)(tx, { buyerId });
}

export interface CartLineView {
  skuId: string;
  productId: string | null;
  title: string;
  attributes: Record<string, string>;
  image: string | null;
  unitPrice: number;
  quantity: number;
  lineTotal: number;
  available: number;
  problem: CartProblem | null;
}

export interface CartView {
  shops: { shopId: string; shopName: string; lines: CartLineView[]; subtotal: number }[];
  total: number;
  currency: string;
  /** The price engine's breakdown of the buyable lines, with the chosen coupons and points. */
  pricing?: Quote['result'] | null;
}

/**
 * The cart grouped by shop at list prices, and (given `now`) what checkout would charge for it with
 * the promotions in force. Lines that cannot be bought carry a problem and count in no subtotal.
 * `known`: SKUs already read in this transaction (the one just added), not read again; `lines`
 * likewise for the cart's lines.
 */
export async function viewCart(
  tx: Executor,
  buyerId: string,
  opts: {
    couponIds?: string[];
    usePoints?: number;
    now?: Date;
    known?: SkuForSale[];
    /** The cart's lines, when the caller has just read them in this transaction (addToCart). */
    lines?: CartLine[];
  } = {},
): Promise<CartView> {
  const known = new Map(opts.known?.map((s) => [s.skuId, s]));
  const lines = opts.lines ?? (await cartLines(tx, buyerId));
  const available = await availableBySku(
    tx,
    lines.map((l) => l.skuId),
  );
  const byShop = new Map<string, CartView['shops'][number]>();
  const categories = new Map<string, string>();
  const kinds = new Map<string, 'mall' | 'market'>();
  for (const line of lines) {
    const sku = known.get(line.skuId) ?? (await getSkuForSale(tx, line.skuId));
    if (!sku) continue; // a SKU cannot be deleted; skip defensively
    const avail = available.get(line.skuId) ?? 0;
    const problem: CartProblem | null = !forSale(sku)
      ? 'not_for_sale'
      : avail < line.quantity
        ? 'insufficient_stock'
        : null;
    categories.set(sku.skuId, sku.categoryId);
    let group = byShop.get(sku.shopId);
    if (!group) {
      const shop = sku.shop; // read with the SKU
      kinds.set(sku.shopId, shop?.kind ?? 'market');
      group = { shopId: sku.shopId, shopName: shop?.name ?? '', lines: [], subtotal: 0 };
      byShop.set(sku.shopId, group);
    }
    const lineTotal = sku.price * line.quantity;
    group.lines.push({
      skuId: sku.skuId,
      productId: sku.productId,
      title: sku.title,
      attributes: sku.attributes as Record<string, string>,
      image: sku.image,
      unitPrice: sku.price,
      quantity: line.quantity,
      lineTotal,
      available: avail,
      problem,
    });
    if (!problem) group.subtotal += lineTotal;
  }
  const shops = [...byShop.values()];
  const buyable = shops.flatMap((g) =>
    g.lines.filter((l) => !l.problem).map((l) => ({ line: l, shopId: g.shopId })),
  );
  let pricing: Quote['result'] | null = null;
  if (opts.now && buyable.length) {
    pricing = (
      await quoteLines(
        tx,
        buyerId,
        buyable.map(({ line, shopId }) => ({
          skuId: line.skuId,
          shopId,
          shopKind: kinds.get(shopId) ?? 'market',
          categoryId: categories.get(line.skuId) ?? '',
          quantity: line.quantity,
          unitPrice: line.unitPrice,
        })),
        { couponIds: opts.couponIds, usePoints: opts.usePoints },
        opts.now,
      )
    ).result;
  }
  return { shops, total: shops.reduce((s, g) => s + g.subtotal, 0), currency: 'CNY', pricing };
}
