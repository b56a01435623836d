import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Form,
  InputNumber,
  List,
  Result,
  Select,
  Space,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, get, post, qs } from '../api';
import { RequireAuth } from '../auth';
import { attrs, money } from '../format';
import type { Cart } from '../types';
import { AddressFields, QueryState, showError } from '../ui';
import { useMyCoupons } from './deals';
import { couponValue } from './promotions';

function useCart() {
  return useQuery({ queryKey: ['cart'], queryFn: () => get<Cart>('/cart') });
}

export function CartPage() {
  return <RequireAuth>{() => <CartView />}</RequireAuth>;
}

function CartView() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const cart = useCart();
  const navigate = useNavigate();
  const change = async (skuId: string, quantity: number | null) => {
    try {
      const next =
        quantity === null || quantity <= 0
          ? await api<Cart>('DELETE', `/cart/items/${skuId}`)
          : await api<Cart>('PATCH', `/cart/items/${skuId}`, { quantity });
      qc.setQueryData(['cart'], next ?? undefined);
      if (!next) await qc.invalidateQueries({ queryKey: ['cart'] });
    } catch (err) {
      showError(err);
    }
  };
  return (
    <QueryState query={cart} empty={(c) => c.shops.length === 0}>
      {(c) => (
        <>
          <Typography.Title level={3}>{t('nav.cart')}</Typography.Title>
          {c.shops.map((shop) => (
            <Card
              key={shop.shopId}
              size="small"
              style={{ marginBottom: 12 }}
              data-testid="cart-shop"
              title={<Link to={`/shops/${shop.shopId}`}>{shop.shopName}</Link>}
              extra={`${t('cart.subtotal')} ${money(shop.subtotal)}`}
            >
              <List
                dataSource={shop.lines}
                renderItem={(line) => (
                  <List.Item
                    actions={[
                      <InputNumber
                        key="q"
                        aria-label={t('store.quantity')}
                        min={0}
                        max={Math.max(line.available, line.quantity)}
                        value={line.quantity}
                        onChange={(v) => change(line.skuId, v)}
                        style={{ width: 72 }}
                      />,
                      <Button key="rm" type="link" danger onClick={() => change(line.skuId, 0)}>
                        {t('common.remove')}
                      </Button>,
                    ]}
                  >
                    <List.Item.Meta
                      title={
                        line.productId ? (
                          <Link to={`/products/${line.productId}`}>{line.title}</Link>
                        ) : (
                          line.title
                        )
                      }
                      description={
                        <Space wrap>
                          {attrs(line.attributes)}
                          <span>
                            {money(line.unitPrice)} × {line.quantity} = <b>{money(line.lineTotal)}</b>
                          </span>
                          {line.problem && (
                            <Typography.Text type="danger">
                              {t(`cart.problem.${line.problem}`)}
                            </Typography.Text>
                          )}
                        </Space>
                      }
                    />
                  </List.Item>
                )}
              />
            </Card>
          ))}
          <Card size="small">
            <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
              <span>
                {t('cart.total')}{' '}
                <span className="price big" data-testid="cart-total">
                  {money(c.total)}
                </span>
              </span>
              <Button type="primary" size="large" onClick={() => navigate('/checkout')}>
                {t('cart.checkout')}
              </Button>
            </Space>
          </Card>
        </>
      )}
    </QueryState>
  );
}

export function CheckoutPage() {
  return <RequireAuth>{() => <CheckoutView />}</RequireAuth>;
}

interface AddressForm {
  address: { name: string; phone: string; region: string; line: string };
  returnInsurance: boolean;
}

interface Pricing {
  listTotal: number;
  discountTotal: number;
  total: number;
  pointsUsed: number;
  lines: { skuId: string; discounts: { kind: string; amount: number }[] }[];
  coupons: { couponId: string; applied: boolean; reason?: string; missing?: number; explanation?: string }[];
}

function CheckoutView() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [form] = Form.useForm<AddressForm>();
  const [busy, setBusy] = useState(false);
  const [couponIds, setCouponIds] = useState<string[]>([]);
  const [usePoints, setUsePoints] = useState<number>(0);
  // The cart priced with the chosen coupons and points: every discount and why a coupon does not apply.
  const cart = useQuery({
    queryKey: ['cart', 'priced', couponIds, usePoints],
    queryFn: () =>
      get<Cart & { pricing?: Pricing | null }>(
        `/cart${qs({ couponIds: couponIds.join(',') || undefined, usePoints: usePoints || undefined })}`,
      ),
    placeholderData: (previous) => previous,
  });
  const coupons = useMyCoupons();
  const points = useQuery({
    queryKey: ['points-balance'],
    queryFn: () => get<{ balance: number }>('/me/points?limit=1'),
  });
  const usable = (coupons.data?.items ?? []).filter((c) => c.status === 'unused');
  const submit = async (values: AddressForm) => {
    setBusy(true);
    try {
      const r = await post<{
        orders: { id: string; total: number }[];
        payment: { id: string; amount: number };
      }>('/checkout', {
        address: values.address,
        ...(values.returnInsurance ? { returnInsurance: true } : {}),
        ...(couponIds.length ? { couponIds } : {}),
        ...(usePoints ? { usePoints } : {}),
      });
      await qc.invalidateQueries({ queryKey: ['my-coupons'] });
      await qc.invalidateQueries({ queryKey: ['points-balance'] });
      await qc.invalidateQueries({ queryKey: ['cart'] });
      navigate(`/pay/${r.payment.id}?amount=${r.payment.amount}&orders=${r.orders.length}`);
    } catch (err) {
      showError(err, form);
    } finally {
      setBusy(false);
    }
  };
  return (
    <QueryState query={cart} empty={(c) => c.shops.length === 0}>
      {(c) => (
        <div style={{ maxWidth: 720, margin: '0 auto' }}>
          <Typography.Title level={3}>{t('checkout.title')}</Typography.Title>
          <Form form={form} layout="vertical" onFinish={submit} initialValues={{ returnInsurance: false }}>
            <Card size="small" title={t('checkout.address')} style={{ marginBottom: 12 }}>
              <AddressFields />
              <Form.Item name="returnInsurance" valuePropName="checked" style={{ marginBottom: 0 }}>
                <Checkbox>{t('checkout.returnInsurance')}</Checkbox>
              </Form.Item>
            </Card>
            <Card size="small" title={t('checkout.summary')} style={{ marginBottom: 12 }}>
              <Descriptions column={1} size="small">
                {c.shops.map((s) => (
                  <Descriptions.Item key={s.shopId} label={s.shopName}>
                    {s.lines.map((l) => `${l.title} × ${l.quantity}`).join('，')} — {money(s.subtotal)}
                  </Descriptions.Item>
                ))}
              </Descriptions>
              <Typography.Text type="secondary">
                {t('checkout.onePerShop', { n: c.shops.length })}
              </Typography.Text>
            </Card>
            <Card size="small" title={t('checkout.discounts')} style={{ marginBottom: 12 }}>
              <Form.Item label={t('checkout.coupons')}>
                <Select
                  mode="multiple"
                  allowClear
                  aria-label={t('checkout.coupons')}
                  placeholder={usable.length ? t('checkout.pickCoupons') : t('checkout.noCoupons')}
                  value={couponIds}
                  onChange={setCouponIds}
                  optionFilterProp="label"
                  options={usable.map((x) => ({
                    value: x.id,
                    label: `${x.offer.name} · ${couponValue(x.offer)}`,
                  }))}
                />
              </Form.Item>
              {(c.pricing?.coupons ?? [])
                .filter((x) => !x.applied)
                .map((x) => (
                  <Alert
                    key={x.couponId}
                    type="warning"
                    showIcon
                    style={{ marginBottom: 8 }}
                    data-testid="coupon-not-applied"
                    message={
                      x.explanation ??
                      (x.missing ? t('checkout.spendMore', { amount: money(x.missing) }) : (x.reason ?? ''))
                    }
                  />
                ))}
              <Form.Item
                label={t('checkout.usePoints')}
                extra={t('checkout.pointsBalance', { n: points.data?.balance ?? 0 })}
              >
                <InputNumber
                  aria-label={t('checkout.usePoints')}
                  min={0}
                  max={points.data?.balance ?? 0}
                  step={100}
                  value={usePoints}
                  onChange={(v) => setUsePoints(v ?? 0)}
                  style={{ width: 160 }}
                />
              </Form.Item>
              <PricingSummary pricing={c.pricing ?? null} total={c.total} />
            </Card>
            <Button type="primary" size="large" htmlType="submit" loading={busy} block>
              {t('checkout.placeOrder')}
            </Button>
          </Form>
        </div>
      )}
    </QueryState>
  );
}

/** List price, each discount kind summed in stacking order, points, and what is paid. */
function PricingSummary({ pricing, total }: { pricing: Pricing | null; total: number }) {
  const { t } = useTranslation();
  const byKind = new Map<string, number>();
  for (const line of pricing?.lines ?? [])
    for (const d of line.discounts) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + d.amount);
  return (
    <Descriptions column={1} size="small" data-testid="pricing">
      {pricing && (
        <Descriptions.Item label={t('checkout.listTotal')}>{money(pricing.listTotal)}</Descriptions.Item>
      )}
      {[...byKind].map(([kind, amount]) => (
        <Descriptions.Item key={kind} label={t(`checkout.discountKinds.${kind}`, { defaultValue: kind })}>
          <span data-testid={`discount-${kind}`}>-{money(amount)}</span>
        </Descriptions.Item>
      ))}
      <Descriptions.Item label={t('cart.total')}>
        <span className="price big" data-testid="checkout-total">
          {money(pricing?.total ?? total)}
        </span>
      </Descriptions.Item>
    </Descriptions>
  );
}

export function PayPage() {
  return <RequireAuth>{() => <PayView />}</RequireAuth>;
}

function PayView() {
  const { t } = useTranslation();
  const { id } = useParams();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [paid, setPaid] = useState(false);
  const amount = Number(params.get('amount'));
  // A campaign order (a group, a presale deposit) returns to its own page once paid; only in-app paths.
  const next = params.get('next');
  const pay = async () => {
    setBusy(true);
    try {
      await post(`/payments/${id}/pay`);
      if (next?.startsWith('/') && !next.startsWith('//')) navigate(next);
      else setPaid(true);
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  };
  if (paid) {
    return (
      <Result
        status="success"
        title={t('pay.done')}
        extra={
          <Button type="primary" onClick={() => navigate('/orders')}>
            {t('nav.orders')}
          </Button>
        }
      />
    );
  }
  return (
    <Card style={{ maxWidth: 480, margin: '24px auto' }} title={t('pay.title')}>
      <Alert type="info" showIcon message={t('pay.sandbox')} style={{ marginBottom: 16 }} />
      <Descriptions column={1}>
        <Descriptions.Item label={t('pay.payment')}>{id}</Descriptions.Item>
        {Number.isFinite(amount) && amount > 0 && (
          <Descriptions.Item label={t('pay.amount')}>
            <span className="price big">{money(amount)}</span>
          </Descriptions.Item>
        )}
      </Descriptions>
      <Button type="primary" size="large" block onClick={pay} loading={busy}>
        {t('pay.payNow')}
      </Button>
    </Card>
  );
}
