// Storefront deals: coupon offers to claim (the platform's and a shop's), my coupons, and flash sales
// with their countdown to the start or the end.
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Button,
  Card,
  Col,
  Empty,
  List,
  message,
  Progress,
  Row,
  Space,
  Statistic,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { get, getToken, type Page, post } from '../api';
import { RequireAuth } from '../auth';
import { attrs, dateTime, money } from '../format';
import type { Product } from '../types';
import { QueryState, StatusTag, showError } from '../ui';
import { type CouponOffer, couponValue, type FlashSale } from './promotions';

export interface MyCoupon {
  id: string;
  status: 'unused' | 'held' | 'used' | 'expired';
  offer: CouponOffer;
  claimedAt: string;
}

export function useMyCoupons(enabled = true) {
  return useQuery({
    queryKey: ['my-coupons'],
    enabled,
    queryFn: () => get<{ items: MyCoupon[] }>('/me/coupons'),
  });
}

/** One coupon as a ticket: its value, threshold and window, with a claim button or its status. */
function CouponTicket({ offer, action }: { offer: CouponOffer; action: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Card size="small" className="coupon-ticket" data-testid="coupon-offer">
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <div>
          <div className="price big">{couponValue(offer)}</div>
          <Typography.Text strong>{offer.name}</Typography.Text>
          <div>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('deals.validUntil', { at: dateTime(offer.validUntil) })}
              {offer.shopId ? '' : ` · ${t('deals.platformCoupon')}`}
            </Typography.Text>
          </div>
        </div>
        {action}
      </Space>
    </Card>
  );
}

/** Offers open now: the platform's (no shopId) or a shop's; claiming needs a signed-in buyer. */
export function CouponOffers({ shopId }: { shopId?: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const signedIn = !!getToken();
  const offers = useQuery({
    queryKey: ['coupon-offers', shopId ?? null],
    queryFn: () => get<{ items: CouponOffer[] }>(`/coupons/offers${shopId ? `?shopId=${shopId}` : ''}`),
  });
  const mine = useMyCoupons(signedIn);
  const held = (offerId: string) => (mine.data?.items ?? []).filter((c) => c.offer.id === offerId).length;
  const claim = async (o: CouponOffer) => {
    if (!getToken()) {
      navigate(`/login?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    try {
      await post(`/coupons/offers/${o.id}/claim`);
      message.success(t('deals.claimed'));
      await qc.invalidateQueries({ queryKey: ['my-coupons'] });
      await qc.invalidateQueries({ queryKey: ['coupon-offers'] });
    } catch (err) {
      showError(err);
    }
  };
  return (
    <QueryState query={offers} empty={(o) => o.items.length === 0}>
      {(o) => (
        <Row gutter={[12, 12]}>
          {o.items.map((offer) => {
            const have = held(offer.id);
            const full = have >= offer.perBuyerLimit;
            return (
              <Col key={offer.id} xs={24} sm={12} lg={8}>
                <CouponTicket
                  offer={offer}
                  action={
                    <Button type="primary" disabled={full} onClick={() => claim(offer)}>
                      {full ? t('deals.claimedAll') : t('deals.claim')}
                    </Button>
                  }
                />
              </Col>
            );
          })}
        </Row>
      )}
    </QueryState>
  );
}

export function CouponsPage() {
  const { t } = useTranslation();
  return (
    <>
      <Typography.Title level={3}>{t('deals.coupons')}</Typography.Title>
      <CouponOffers />
    </>
  );
}

export function MyCouponsPage() {
  return <RequireAuth>{() => <MyCouponsView />}</RequireAuth>;
}

function MyCouponsView() {
  const { t } = useTranslation();
  const coupons = useMyCoupons();
  const [tab, setTab] = useState<MyCoupon['status']>('unused');
  return (
    <>
      <Typography.Title level={3}>{t('nav.myCoupons')}</Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={(k) => setTab(k as MyCoupon['status'])}
        items={(['unused', 'held', 'used', 'expired'] as const).map((s) => ({
          key: s,
          label: `${t(`status.${s}`)} (${(coupons.data?.items ?? []).filter((c) => c.status === s).length})`,
        }))}
      />
      <QueryState query={coupons} empty={(c) => !c.items.some((x) => x.status === tab)}>
        {(c) => (
          <Row gutter={[12, 12]}>
            {c.items
              .filter((x) => x.status === tab)
              .map((x) => (
                <Col key={x.id} xs={24} sm={12} lg={8}>
                  <CouponTicket
                    offer={x.offer}
                    action={
                      <Space direction="vertical" align="end">
                        <StatusTag status={x.status} />
                        {x.status === 'unused' && x.offer.shopId && (
                          <Link to={`/shops/${x.offer.shopId}`}>{t('deals.useInShop')}</Link>
                        )}
                      </Space>
                    }
                  />
                </Col>
              ))}
          </Row>
        )}
      </QueryState>
    </>
  );
}

// ---------------------------------------------------------------- flash sales

/** The server's clock minus this browser's: the countdown runs on the server's (maybe manual) time. */
export function useServerNow(serverTime: string | undefined) {
  const [offset, setOffset] = useState(0);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (serverTime) setOffset(new Date(serverTime).getTime() - Date.now());
  }, [serverTime]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now + offset;
}

export function countdown(ms: number) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const hh = String(Math.floor((s % 86_400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${d > 0 ? `${d}d ` : ''}${hh}:${mm}:${ss}`;
}

/** "Starts in 00:09:12" / "Ends in 01:50:00" / sold out / ended. */
function FlashClock({ sale, now }: { sale: FlashSale; now: number }) {
  const { t } = useTranslation();
  const starts = new Date(sale.startsAt).getTime();
  const ends = new Date(sale.endsAt).getTime();
  if (sale.phase === 'paused') return <Tag>{t('status.paused')}</Tag>;
  if (now >= ends || sale.phase === 'ended') return <Tag>{t('status.ended')}</Tag>;
  if (sale.soldOut) return <Tag color="red">{t('deals.soldOut')}</Tag>;
  if (now < starts)
    return (
      <Tag color="blue" data-testid="flash-clock" data-phase="upcoming">
        {t('deals.startsIn', { time: countdown(starts - now) })}
      </Tag>
    );
  return (
    <Tag color="volcano" data-testid="flash-clock" data-phase="live">
      {t('deals.endsIn', { time: countdown(ends - now) })}
    </Tag>
  );
}

function ProductTitle({ productId }: { productId: string }) {
  const product = useQuery({
    queryKey: ['product', productId],
    queryFn: () => get<Product>(`/products/${productId}`),
    staleTime: 60_000,
  });
  return <>{product.data?.title ?? '…'}</>;
}

export function FlashSalesPage() {
  const { t } = useTranslation();
  const sales = useInfiniteQuery({
    queryKey: ['flash-sales'],
    queryFn: ({ pageParam }) =>
      get<Page<FlashSale>>(
        `/flash-sales?limit=20${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 15_000,
  });
  const items = sales.data?.pages.flatMap((p) => p.items) ?? [];
  const now = useServerNow(items[0]?.serverTime);
  return (
    <>
      <Typography.Title level={3}>{t('deals.flashSales')}</Typography.Title>
      {sales.isPending ? null : items.length === 0 ? (
        <Empty description={t('deals.noFlashSales')} />
      ) : (
        <List
          grid={{ gutter: 12, xs: 1, sm: 2, lg: 3 }}
          dataSource={items}
          renderItem={(s) => (
            <List.Item>
              <Link to={`/flash-sales/${s.id}`} data-testid="flash-sale-card">
                <Card hoverable size="small">
                  <Typography.Paragraph ellipsis={{ rows: 2 }} style={{ minHeight: 44, marginBottom: 4 }}>
                    <ProductTitle productId={s.productId} />
                  </Typography.Paragraph>
                  <Space wrap>
                    <span className="price big">{money(s.flashPrice)}</span>
                    <Typography.Text delete type="secondary">
                      {money(s.listPrice)}
                    </Typography.Text>
                  </Space>
                  <div style={{ marginTop: 8 }}>
                    <FlashClock sale={s} now={now} />
                  </div>
                  <Progress
                    percent={Math.round(((s.quota - s.remaining) / Math.max(1, s.quota)) * 100)}
                    size="small"
                    status={s.soldOut ? 'exception' : 'active'}
                    format={() => t('deals.left', { n: s.remaining })}
                  />
                </Card>
              </Link>
            </List.Item>
          )}
        />
      )}
      {sales.hasNextPage && (
        <div style={{ textAlign: 'center', marginTop: 16 }}>
          <Button onClick={() => sales.fetchNextPage()} loading={sales.isFetchingNextPage}>
            {t('common.more')}
          </Button>
        </div>
      )}
    </>
  );
}

export function FlashSalePage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const sale = useQuery({
    queryKey: ['flash-sale', id],
    queryFn: () => get<FlashSale>(`/flash-sales/${id}`),
    refetchInterval: 5000,
  });
  const product = useQuery({
    queryKey: ['product', sale.data?.productId],
    enabled: !!sale.data,
    queryFn: () => get<Product>(`/products/${sale.data?.productId}`),
  });
  const now = useServerNow(sale.data?.serverTime);
  return (
    <QueryState query={sale}>
      {(s) => {
        const sku = product.data?.skus.find((k) => k.id === s.skuId);
        const live =
          s.phase === 'live' &&
          !s.soldOut &&
          now >= new Date(s.startsAt).getTime() &&
          now < new Date(s.endsAt).getTime();
        // Buying is the ordinary checkout: the price engine gives the flash price while the sale is live.
        const buy = async () => {
          if (!getToken()) {
            navigate(`/login?next=${encodeURIComponent(`/flash-sales/${s.id}`)}`);
            return;
          }
          setBusy(true);
          try {
            await post('/cart/items', { skuId: s.skuId, quantity: 1 });
            await qc.invalidateQueries({ queryKey: ['cart'] });
            navigate('/checkout');
          } catch (err) {
            showError(err);
          } finally {
            setBusy(false);
          }
        };
        return (
          <Card style={{ maxWidth: 720, margin: '0 auto' }} data-testid="flash-sale">
            <Typography.Title level={3}>
              <Link to={`/products/${s.productId}`}>{product.data?.title ?? '…'}</Link>
            </Typography.Title>
            {sku && <Typography.Text type="secondary">{attrs(sku.attributes) || sku.code}</Typography.Text>}
            <Space size="large" wrap style={{ display: 'flex', margin: '16px 0' }}>
              <Statistic
                title={t('deals.flashPrice')}
                value={money(s.flashPrice)}
                valueStyle={{ color: '#ff5000' }}
              />
              <Statistic title={t('deals.listPrice')} value={money(s.listPrice)} />
              <Statistic title={t('deals.remaining')} value={`${s.remaining} / ${s.quota}`} />
              <Statistic title={t('deals.perBuyer')} value={s.perBuyerLimit} />
            </Space>
            <Progress
              percent={Math.round(((s.quota - s.remaining) / Math.max(1, s.quota)) * 100)}
              status={s.soldOut ? 'exception' : 'active'}
            />
            <Space wrap style={{ margin: '12px 0' }}>
              <FlashClock sale={s} now={now} />
              <Typography.Text type="secondary">
                {dateTime(s.startsAt)} – {dateTime(s.endsAt)}
              </Typography.Text>
            </Space>
            <Button type="primary" size="large" block disabled={!live} loading={busy} onClick={buy}>
              {s.soldOut ? t('deals.soldOut') : live ? t('deals.buyNow') : t('deals.notLive')}
            </Button>
          </Card>
        );
      }}
    </QueryState>
  );
}
