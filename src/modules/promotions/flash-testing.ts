// Test fixtures for the flash-sale suites. Not used by production code.
import { connect } from 'node:net';
import { makeTestApp, type TestContext } from '../../../test/helpers';
import type { Config } from '../../config';
import type { Tx } from '../../db';
import { makeCategoryId, makeSeller, makeSku, type Seller } from '../trade/testing';
import { RedisFlashGate } from './flash-gate';
import { configureFlashGate, createFlashSale, type FlashSale, flashGateSettled } from './flash-sales';

export const REDIS_URL = process.env.JISHI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Whether the Redis-gate variants run: when Redis answers, or always in CI (JISHI_REQUIRE_REDIS=1,
 * where a missing Redis must fail). On a machine without Redis they are skipped, so `npm test`
 * still runs everything else.
 */
export async function withRedis(): Promise<boolean> {
  if (process.env.JISHI_REQUIRE_REDIS === '1') return true;
  const url = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The gate modes to test: without Redis always, with it when withRedis() says so. */
export async function gateModes(): Promise<{ redis: boolean }[]> {
  return (await withRedis()) ? [{ redis: false }, { redis: true }] : [{ redis: false }];
}

/** A test app (the promotions module registers the flash-sale routes). */
export async function makeFlashTestApp(
  overrides: Partial<Config> = {},
  opts: { poolSize?: number } = {},
): Promise<TestContext> {
  return makeTestApp(overrides, opts);
}

/**
 * Wires the Redis gate (or takes it away). Errors the gate reports (it
 * swallows them so checkout goes on) are collected in `gateErrors`, which tests expect empty.
 */
export const gateErrors: string[] = [];
export async function useGate(on: boolean): Promise<RedisFlashGate | undefined> {
  await flashGateSettled();
  configureFlashGate(null);
  if (!on) return undefined;
  const gate = await RedisFlashGate.connect(REDIS_URL);
  configureFlashGate({
    gate,
    onError: (err, what) => gateErrors.push(`${what}: ${String(err)}`),
  });
  return gate;
}

export interface SaleFixture {
  seller: Seller;
  skuId: string;
  productId: string;
  sale: FlashSale;
}

/**
 * A market shop with one SKU (10,000 fen) and a flash sale of it starting a minute from now and
 * lasting an hour; the clock is then moved to the start.
 */
export async function liveFlashSale(
  ctx: TestContext,
  opts: { quota: number; perBuyerLimit: number; stock?: number; flashPrice?: number; start?: boolean },
): Promise<SaleFixture> {
  const categoryId = await makeCategoryId(ctx);
  const seller = await makeSeller(ctx, 'market');
  const { skuId, productId } = await makeSku(seller, categoryId, {
    stock: opts.stock ?? opts.quota,
    price: 10_000,
  });
  const now = ctx.clock.now();
  const sale = await ctx.db.transaction((tx: Tx) =>
    createFlashSale(
      tx,
      seller.shopId,
      {
        skuId,
        flashPrice: opts.flashPrice ?? 1_990,
        quota: opts.quota,
        perBuyerLimit: opts.perBuyerLimit,
        startsAt: new Date(now.getTime() + 60_000),
        endsAt: new Date(now.getTime() + 3_600_000),
      },
      seller.owner.accountId,
      now,
    ),
  );
  if (opts.start !== false) await ctx.advance({ minutes: 1 });
  return { seller, skuId, productId, sale };
}
