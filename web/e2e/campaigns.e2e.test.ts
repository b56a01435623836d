/**
 * Group buying and presale end to end, in Chinese: a merchant creates a two-person group buy in the
 * console, buyer A opens a group and pays, buyer B joins through the shared group page and pays, and
 * the group shows formed; a presale deposit is paid and the order shows deposit_paid with its
 * balance deadline. Data the UI is not about (the product, the presale) is set up through the API.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zhCN as T } from '../src/locales/zh-CN';
import { type Api, e2eEnabled, type Market, startMarket } from './harness';

const enabled = e2eEnabled();
const locale = 'zh-CN';

describe.skipIf(!enabled)('group buying and presale end to end (zh-CN)', { timeout: 120_000 }, () => {
  let market: Market;
  let shop: { api: Api; shopId: string; warehouseId: string; login: string };
  let buyerA: { api: Api; login: string };
  let buyerB: { api: Api; login: string };
  let productId = '';
  let skuId = '';

  const choose = async (page: Page, label: string, option: string | RegExp) => {
    await page.getByLabel(label, { exact: true }).click();
    await page
      .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: option })
      .first()
      .click();
  };

  const open = async (login: string) => {
    const ctx = await market.context(locale, login);
    const page = await ctx.newPage();
    page.setDefaultNavigationTimeout(60_000);
    page.setDefaultTimeout(30_000);
    return { ctx, page };
  };

  /** The campaign order form: a delivery address, then the sandbox payment. */
  const orderAndPay = async (page: Page, name: string) => {
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(T.checkout.name, { exact: true }).fill(name);
    await dialog.getByLabel(T.checkout.phone, { exact: true }).fill('13900139000');
    await dialog.getByLabel(T.checkout.region, { exact: true }).fill('上海市 徐汇区');
    await dialog.getByLabel(T.checkout.line, { exact: true }).fill('漕溪北路 100 号');
    await dialog.getByRole('button', { name: T.checkout.placeOrder }).click();
    await page.waitForURL(/\/pay\//);
    await page.getByRole('button', { name: T.pay.payNow }).click();
  };

  beforeAll(async () => {
    market = await startMarket('campaigns');
    const root = await market.operator.ok<{ id: string }>('POST', '/admin/categories', {
      nameZh: '零食',
      nameEn: 'Snacks',
      slug: 'snacks-campaigns',
    });
    const categoryId = (
      await market.operator.ok<{ id: string }>('POST', '/admin/categories', {
        parentId: root.id,
        nameZh: '坚果',
        nameEn: 'Nuts',
        slug: 'nuts-campaigns',
      })
    ).id;
    shop = await market.openShop('e2e_camp_shop', '山里坚果铺');
    const p = await shop.api.ok<{ id: string; skus: { id: string }[] }>(
      'POST',
      `/seller/shops/${shop.shopId}/products`,
      {
        title: '每日坚果 750g',
        categoryId,
        description: '30 袋装',
        skus: [
          {
            code: 'NUT-750',
            attributes: { 规格: '750g' },
            price: 9_900,
            stock: [{ warehouseId: shop.warehouseId, quantity: 50 }],
          },
        ],
      },
    );
    productId = p.id;
    skuId = p.skus[0]?.id ?? '';
    await shop.api.ok('POST', `/seller/shops/${shop.shopId}/products/${productId}/publish`);
    buyerA = await market.signUp('e2e_camp_a', '阿杰');
    buyerB = await market.signUp('e2e_camp_b', '小贝');
  }, 420_000);

  afterAll(async () => {
    await market?.stop();
  });

  it('1. a two-person group: A opens and pays, B joins through the shared page and pays, the group forms', async () => {
    const seller = await open(shop.login);
    await seller.page.goto(`${market.base}/seller/campaigns`);
    await seller.page.getByRole('button', { name: T.campaign.newGroupBuy }).click();
    const dialog = seller.page.getByRole('dialog');
    await choose(seller.page, T.promo.product, '每日坚果');
    await choose(seller.page, T.promo.sku, 'NUT-750');
    await dialog.getByLabel(T.campaign.groupPrice, { exact: true }).fill('59');
    await dialog.getByRole('button', { name: T.common.submit }).click();
    await dialog.waitFor({ state: 'hidden' });
    const link = seller.page.getByTestId('group-buy-table').getByTestId('group-buy-link');
    await link.waitFor();
    const groupBuyPath = (await link.getAttribute('href')) ?? '';
    await seller.ctx.close();
    const created = await shop.api.ok<{ items: { groupSize: number; groupPrice: number }[] }>(
      'GET',
      `/seller/shops/${shop.shopId}/group-buys`,
    );
    expect(created.items.map((g) => [g.groupSize, g.groupPrice])).toEqual([[2, 5_900]]);
    // The window starts at the browser's minute; the server's manual clock moves past it.
    await market.advance(1);

    const a = await open(buyerA.login);
    await a.page.goto(`${market.base}${groupBuyPath}`);
    await a.page.getByTestId('open-group-button').click();
    await orderAndPay(a.page, '阿杰');
    await a.page.waitForURL(/\/group-buys\/groups\//);
    const groupUrl = a.page.url();
    await a.page.locator('[data-testid=group][data-status=forming]').waitFor();
    await a.ctx.close();

    const b = await open(buyerB.login);
    await b.page.goto(groupUrl);
    await b.page.getByTestId('join-group').click();
    await orderAndPay(b.page, '小贝');
    await b.page.waitForURL(groupUrl);
    await b.page.locator('[data-testid=group][data-status=formed]').waitFor();
    expect(await b.page.getByTestId('group-member').count()).toBe(2);
    await market.shot(b.page, 'group-formed');
    await b.ctx.close();

    for (const buyer of [buyerA, buyerB]) {
      const orders = await buyer.api.ok<{
        items: { status: string; shipHold: string | null; total: number }[];
      }>('GET', '/orders');
      expect(orders.items.map((o) => [o.status, o.shipHold, o.total])).toEqual([['paid', null, 5_900]]);
    }
  });

  it('2. a presale deposit is paid and the order shows deposit_paid with its balance deadline', async () => {
    const { now } = await market.operator.ok<{ now: string }>('GET', '/admin/clock');
    const at = (hours: number) => new Date(new Date(now).getTime() + hours * 3_600_000).toISOString();
    const presale = await shop.api.ok<{ id: string }>('POST', `/seller/shops/${shop.shopId}/presales`, {
      skuId,
      presalePrice: 8_900,
      deposit: 1_000,
      depositValue: 2_000,
      quota: 10,
      depositFrom: at(0),
      depositUntil: at(2),
      balanceFrom: at(3),
      balanceUntil: at(27),
    });

    const { ctx, page } = await open(buyerA.login);
    await page.goto(`${market.base}/presales/${presale.id}`);
    await page.locator('[data-testid=presale][data-phase=deposit]').waitFor();
    // Inflation: ¥89 − (¥20 − ¥10) = ¥79 final, ¥69 of it as the balance.
    expect(await page.getByTestId('presale').textContent()).toContain('¥79.00');
    await page.getByTestId('pay-deposit').click();
    await orderAndPay(page, '阿杰');
    await page.waitForURL(/\/orders\/.+/);
    await page.locator('[data-testid=status][data-status=deposit_paid]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('deadline').textContent()).toContain(T.order.deadline.balanceBy);
    await page.getByTestId('balance-window').waitFor();
    await market.shot(page, 'presale-deposit-paid');
    await ctx.close();

    const orders = await buyerA.api.ok<{
      items: {
        status: string;
        deadlines: { balanceBy?: string };
        presale: { deposit: number; balance: number; balanceBy: string | null } | null;
      }[];
    }>('GET', '/orders?status=deposit_paid');
    expect(orders.items.map((o) => [o.presale?.deposit, o.presale?.balance])).toEqual([[1_000, 6_900]]);
    expect(orders.items[0]?.deadlines.balanceBy).toBe(at(27));
  });
  it('3. the shop page shows its fans; a visitor is sent to sign in, a buyer follows', async () => {
    const visitor = await open('');
    await visitor.page.goto(`${market.base}/shops/${shop.shopId}`);
    const follow = visitor.page.getByTestId('shop-follow');
    await follow.getByText(T.shop.fans.replace('{{n}}', '0')).waitFor();
    await follow.getByRole('button', { name: T.shop.follow }).click();
    await visitor.page.waitForURL(/\/login\?next=/);
    await visitor.ctx.close();

    const { ctx, page } = await open(buyerB.login);
    await page.goto(`${market.base}/shops/${shop.shopId}`);
    await page.getByTestId('shop-follow').getByRole('button', { name: T.shop.follow }).click();
    await page.locator('[data-testid=shop-follow][data-following=true]').waitFor();
    await page.getByTestId('shop-follow').getByText(T.shop.fans.replace('{{n}}', '1')).waitFor();
    await ctx.close();
    const state = await buyerB.api.ok<{ following: boolean; fans: number }>(
      'GET',
      `/shops/${shop.shopId}/follow`,
    );
    expect([state.following, state.fans]).toEqual([true, 1]);
  });
});
