import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  InputNumber,
  List,
  message,
  Rate,
  Row,
  Space,
  Spin,
  Statistic,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, get, getToken, type Page, post, qs } from '../api';
import { attrs, categoryName, dateTime, money, priceRange } from '../format';
import type { Category, Product, ProductCard, Shop, ShopRating } from '../types';
import { QueryState, showError } from '../ui';
import { CouponOffers } from './deals';

/** The shop's coupons to claim, shown only when it has some. */
function ShopCoupons({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const offers = useQuery({
    queryKey: ['coupon-offers', shopId],
    queryFn: () => get<{ items: unknown[] }>(`/coupons/offers?shopId=${shopId}`),
  });
  if (!offers.data?.items.length) return null;
  return (
    <div data-testid="shop-coupons">
      <Typography.Title level={4} style={{ marginTop: 16 }}>
        {t('deals.shopCoupons')}
      </Typography.Title>
      <CouponOffers shopId={shopId} />
    </div>
  );
}

export function useCategories() {
  return useQuery({
    queryKey: ['categories'],
    queryFn: () => get<{ items: Category[] }>('/categories'),
    staleTime: 300_000,
  });
}

function Picture({
  src,
  alt,
  height = 160,
}: {
  src: string | null | undefined;
  alt: string;
  height?: number;
}) {
  // Demo data points at image hosts that may not answer: a broken picture falls back to the placeholder.
  const [broken, setBroken] = useState(false);
  return src && !broken ? (
    <img
      src={src}
      alt={alt}
      onError={() => setBroken(true)}
      style={{ width: '100%', height, objectFit: 'cover' }}
    />
  ) : (
    <div
      className="picture-placeholder"
      // Inline: antd's card cover styles its children as blocks.
      style={{ height, display: 'flex', alignItems: 'center', justifyContent: 'center' }}
      role="img"
      aria-label={alt}
    >
      {alt.slice(0, 2)}
    </div>
  );
}

/** Products on sale matching the filters, paged with "more". */
export function ProductGrid({ filters }: { filters: { q?: string; categoryId?: string; shopId?: string } }) {
  const { t } = useTranslation();
  const query = useInfiniteQuery({
    queryKey: ['products', filters],
    queryFn: ({ pageParam }) =>
      get<Page<ProductCard>>(`/products${qs({ ...filters, cursor: pageParam, limit: 20 })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  if (query.isPending) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (query.isError) return <Empty description={query.error.message} />;
  const items = query.data.pages.flatMap((p) => p.items);
  if (!items.length) return <Empty description={t('store.noProducts')} />;
  return (
    <>
      <Row gutter={[12, 12]} data-testid="product-grid">
        {items.map((p) => (
          <Col key={p.id} xs={12} sm={8} md={6} lg={6} xl={4}>
            <Link to={`/products/${p.id}`} data-testid="product-card">
              <Card hoverable size="small" cover={<Picture src={p.image} alt={p.title} />}>
                <Typography.Paragraph ellipsis={{ rows: 2 }} style={{ minHeight: 44, marginBottom: 4 }}>
                  {p.title}
                </Typography.Paragraph>
                <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
                  <span className="price">{money(p.minPrice)}</span>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('store.sold', { n: p.salesCount })}
                  </Typography.Text>
                </Space>
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
      {query.hasNextPage && (
        <div style={{ textAlign: 'center', marginTop: 16 }}>
          <Button onClick={() => query.fetchNextPage()} loading={query.isFetchingNextPage}>
            {t('common.more')}
          </Button>
        </div>
      )}
    </>
  );
}

export function HomePage() {
  const { t } = useTranslation();
  const categories = useCategories();
  const [params, setParams] = useSearchParams();
  const categoryId = params.get('category') ?? undefined;
  const top = categories.data?.items ?? [];
  const selectedTop = top.find((c) => c.id === categoryId || c.children.some((s) => s.id === categoryId));
  return (
    <>
      <nav className="category-bar" aria-label={t('store.categories')}>
        <Tag.CheckableTag checked={!categoryId} onChange={() => setParams({})}>
          {t('store.all')}
        </Tag.CheckableTag>
        {top.map((c) => (
          <Tag.CheckableTag
            key={c.id}
            checked={selectedTop?.id === c.id}
            onChange={() => setParams({ category: c.id })}
          >
            {categoryName(c)}
          </Tag.CheckableTag>
        ))}
      </nav>
      {selectedTop && selectedTop.children.length > 0 && (
        <div className="category-bar sub">
          {selectedTop.children.map((c) => (
            <Tag.CheckableTag
              key={c.id}
              checked={categoryId === c.id}
              onChange={() => setParams({ category: c.id })}
            >
              {categoryName(c)}
            </Tag.CheckableTag>
          ))}
        </div>
      )}
      <Typography.Title level={4}>
        {selectedTop ? categoryName(selectedTop) : t('store.featured')}
      </Typography.Title>
      <ProductGrid filters={{ categoryId }} />
    </>
  );
}

export function SearchPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const q = params.get('q') ?? '';
  return (
    <>
      <Typography.Title level={4}>{t('store.resultsFor', { q })}</Typography.Title>
      <ProductGrid filters={{ q }} />
    </>
  );
}

function ShopName({ shopId }: { shopId: string }) {
  const shop = useQuery({ queryKey: ['shop', shopId], queryFn: () => get<Shop>(`/shops/${shopId}`) });
  return <>{shop.data?.name ?? '…'}</>;
}

export function ProductPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const product = useQuery({ queryKey: ['product', id], queryFn: () => get<Product>(`/products/${id}`) });
  const reviews = useQuery({
    queryKey: ['product-reviews', id],
    queryFn: () =>
      get<
        Page<{
          id: string;
          rating: number;
          stars: { item: number };
          text: string | null;
          buyer: string;
          createdAt: string;
        }>
      >(`/products/${id}/reviews?limit=10`),
  });
  const [skuId, setSkuId] = useState<string>();
  const [quantity, setQuantity] = useState(1);
  const [busy, setBusy] = useState(false);

  return (
    <QueryState query={product}>
      {(p) => {
        const skus = p.skus.filter((s) => s.status === 'active');
        const sku = skus.find((s) => s.id === skuId) ?? (skus.length === 1 ? skus[0] : undefined);
        const add = async (then?: string) => {
          if (!sku) {
            message.warning(t('store.pickSku'));
            return;
          }
          if (!getToken()) {
            navigate(`/login?next=${encodeURIComponent(`/products/${p.id}`)}`);
            return;
          }
          setBusy(true);
          try {
            await post('/cart/items', { skuId: sku.id, quantity });
            await qc.invalidateQueries({ queryKey: ['cart'] });
            message.success(t('store.added'));
            if (then) navigate(then);
          } catch (err) {
            showError(err);
          } finally {
            setBusy(false);
          }
        };
        return (
          <Row gutter={[24, 24]}>
            <Col xs={24} md={10}>
              <Picture src={p.images[0]} alt={p.title} height={320} />
            </Col>
            <Col xs={24} md={14}>
              <Typography.Title level={3}>{p.title}</Typography.Title>
              <Space wrap>
                {p.category && <Tag>{categoryName(p.category)}</Tag>}
                {p.brand && <Tag color="gold">{p.brand.name}</Tag>}
                <Link to={`/shops/${p.shopId}`} data-testid="shop-link">
                  <ShopName shopId={p.shopId} />
                </Link>
              </Space>
              <div className="price big" data-testid="price" style={{ margin: '16px 0' }}>
                {sku ? money(sku.price) : priceRange(p.minPrice, p.maxPrice)}
              </div>
              <Typography.Text strong id="sku-label">
                {t('store.sku')}
              </Typography.Text>
              <div role="radiogroup" aria-labelledby="sku-label" className="sku-picker">
                {skus.map((s) => (
                  <Button
                    key={s.id}
                    role="radio"
                    aria-checked={sku?.id === s.id}
                    type={sku?.id === s.id ? 'primary' : 'default'}
                    ghost={sku?.id === s.id}
                    disabled={s.available <= 0}
                    onClick={() => {
                      setSkuId(s.id);
                      setQuantity(1);
                    }}
                  >
                    {attrs(s.attributes) || s.code}
                  </Button>
                ))}
              </div>
              <Space style={{ margin: '12px 0', display: 'flex' }} wrap>
                <label htmlFor="quantity">{t('store.quantity')}</label>
                <InputNumber
                  id="quantity"
                  min={1}
                  max={sku?.available || 1}
                  value={quantity}
                  onChange={(v) => setQuantity(v ?? 1)}
                />
                <Typography.Text type="secondary" data-testid="stock">
                  {sku
                    ? sku.available > 0
                      ? t('store.inStock', { n: sku.available })
                      : t('store.soldOut')
                    : t('store.totalStock', { n: skus.reduce((n, s) => n + s.available, 0) })}
                </Typography.Text>
              </Space>
              <Space wrap>
                <Button size="large" onClick={() => add()} loading={busy} disabled={sku?.available === 0}>
                  {t('store.addToCart')}
                </Button>
                <Button
                  size="large"
                  type="primary"
                  onClick={() => add('/cart')}
                  loading={busy}
                  disabled={sku?.available === 0}
                >
                  {t('store.buyNow')}
                </Button>
              </Space>
              {p.shipWithinHours && (
                <p style={{ marginTop: 12 }}>
                  <Typography.Text type="secondary">
                    {t('store.shipsWithin', { h: p.shipWithinHours })}
                  </Typography.Text>
                </p>
              )}
              {p.description && (
                <Typography.Paragraph style={{ marginTop: 16 }}>{p.description}</Typography.Paragraph>
              )}
            </Col>
            <Col span={24}>
              <Typography.Title level={5}>{t('store.reviews')}</Typography.Title>
              <QueryState query={reviews} empty={(r) => r.items.length === 0}>
                {(r) => (
                  <List
                    dataSource={r.items}
                    renderItem={(rv) => (
                      <List.Item>
                        <List.Item.Meta
                          title={
                            <Space>
                              {rv.buyer}
                              <Tag color={rv.rating > 0 ? 'green' : rv.rating < 0 ? 'red' : 'default'}>
                                {t(`review.rating.${rv.rating}`)}
                              </Tag>
                              <Rate disabled value={rv.stars.item} style={{ fontSize: 12 }} />
                            </Space>
                          }
                          description={`${rv.text ?? ''} · ${dateTime(rv.createdAt)}`}
                        />
                      </List.Item>
                    )}
                  />
                )}
              </QueryState>
            </Col>
          </Row>
        );
      }}
    </QueryState>
  );
}

interface Follow {
  following: boolean;
  followedAt: string | null;
  fans: number;
}

/** Follow (关注) a shop: the fans count for everyone, the button for signed-in buyers. */
function FollowButton({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const signedIn = !!getToken();
  // Answers following=false without a token, so anonymous visitors still see the fans count.
  const follow = useQuery({
    queryKey: ['shop-follow', shopId, signedIn],
    queryFn: () => get<Follow>(`/shops/${shopId}/follow`),
  });
  const toggle = async () => {
    if (!getToken()) {
      navigate(`/login?next=${encodeURIComponent(`/shops/${shopId}`)}`);
      return;
    }
    setBusy(true);
    try {
      const r = await api<Follow>(follow.data?.following ? 'DELETE' : 'PUT', `/shops/${shopId}/follow`);
      qc.setQueryData(['shop-follow', shopId, signedIn], r);
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  };
  const f = follow.data;
  return (
    <Space data-testid="shop-follow" data-following={f?.following ? 'true' : 'false'}>
      <Button
        type={f?.following ? 'default' : 'primary'}
        loading={busy}
        disabled={follow.isPending}
        onClick={toggle}
      >
        {f?.following ? t('shop.unfollow') : t('shop.follow')}
      </Button>
      {f && <Typography.Text type="secondary">{t('shop.fans', { n: f.fans })}</Typography.Text>}
    </Space>
  );
}

export function ShopPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const shop = useQuery({ queryKey: ['shop', id], queryFn: () => get<Shop>(`/shops/${id}`) });
  const rating = useQuery({
    queryKey: ['shop-rating', id],
    queryFn: () => get<ShopRating>(`/shops/${id}/rating`),
  });
  const badges = useQuery({
    queryKey: ['shop-badges', id],
    queryFn: () => get<{ items: { programmeId: string; name: string }[] }>(`/shops/${id}/badges`),
  });
  return (
    <QueryState query={shop}>
      {(s) => (
        <>
          <Card className="shop-banner">
            <Space direction="vertical" style={{ width: '100%' }}>
              <Space wrap>
                <Typography.Title level={3} style={{ margin: 0 }}>
                  {s.name}
                </Typography.Title>
                <Tag color={s.kind === 'mall' ? 'red' : 'blue'}>{t(`shop.kind.${s.kind}`)}</Tag>
                <FollowButton shopId={s.id} />
                {badges.data?.items.map((b) => (
                  <Tag key={b.programmeId} color="gold">
                    {b.name}
                  </Tag>
                ))}
              </Space>
              {rating.data && (
                <Descriptions size="small" column={{ xs: 2, sm: 4 }} data-testid="shop-rating">
                  <Descriptions.Item label={t('shop.dsrItem')}>
                    {rating.data.dsr?.item.toFixed(1) ?? '—'}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('shop.dsrService')}>
                    {rating.data.dsr?.service.toFixed(1) ?? '—'}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('shop.dsrLogistics')}>
                    {rating.data.dsr?.logistics.toFixed(1) ?? '—'}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('shop.positiveRate')}>
                    {rating.data.positiveRate === null
                      ? '—'
                      : `${(rating.data.positiveRate * 100).toFixed(1)}%`}
                  </Descriptions.Item>
                </Descriptions>
              )}
              {rating.data && <Statistic title={t('shop.credit')} value={rating.data.credit} />}
            </Space>
          </Card>
          <ShopCoupons shopId={s.id} />
          <Typography.Title level={4} style={{ marginTop: 16 }}>
            {t('shop.products')}
          </Typography.Title>
          <ProductGrid filters={{ shopId: s.id }} />
        </>
      )}
    </QueryState>
  );
}
