import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  List,
  Modal,
  Radio,
  Rate,
  Select,
  Space,
  Statistic,
  Table,
  Tabs,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { get, type Page, post, qs } from '../api';
import { RequireAuth } from '../auth';
import { attrs, dateTime, money, timeLeft } from '../format';
import type { Complaint, Order, Refund } from '../types';
import { QueryState, StatusTag, showError } from '../ui';

const ORDER_TABS = [
  'all',
  'awaiting_payment',
  'deposit_paid',
  'paid',
  'shipped',
  'succeeded',
  'closed',
] as const;

/** Next deadline of an order, in words ("ship by … (2 d left)"). */
export function Deadline({ order }: { order: Order }) {
  const { t } = useTranslation();
  const d = order.deadlines;
  // A group order's ship-by clock waits for the group to fill: there is no ship-by yet.
  if (order.shipHold === 'group_forming')
    return (
      <Typography.Text type="secondary" data-testid="ship-hold">
        {t('order.groupForming')}
      </Typography.Text>
    );
  const which =
    order.status === 'awaiting_payment'
      ? 'payBy'
      : order.status === 'deposit_paid'
        ? 'balanceBy'
        : order.status === 'paid'
          ? 'shipBy'
          : order.status === 'shipped'
            ? 'confirmBy'
            : null;
  const at = which ? d[which] : undefined;
  if (!which || !at) return null;
  const left = timeLeft(at);
  return (
    <Typography.Text type={left.overdue ? 'danger' : 'secondary'} data-testid="deadline">
      {t(`order.deadline.${which}`)} {dateTime(at)} ({left.text})
    </Typography.Text>
  );
}

export function OrdersPage() {
  return <RequireAuth>{() => <OrdersView />}</RequireAuth>;
}

function OrdersView() {
  const { t } = useTranslation();
  const [tab, setTab] = useState<(typeof ORDER_TABS)[number]>('all');
  const orders = useInfiniteQuery({
    queryKey: ['orders', tab],
    queryFn: ({ pageParam }) =>
      get<Page<Order>>(
        `/orders${qs({ status: tab === 'all' ? undefined : tab, cursor: pageParam, limit: 20 })}`,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // The sandbox provider's callback marks orders paid a moment after the payment.
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) => p.items.some((o) => o.status === 'awaiting_payment')) ? 2000 : false,
  });
  return (
    <>
      <Typography.Title level={3}>{t('nav.orders')}</Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={(k) => setTab(k as typeof tab)}
        items={ORDER_TABS.map((k) => ({ key: k, label: k === 'all' ? t('store.all') : t(`status.${k}`) }))}
      />
      <QueryState query={orders} empty={(d) => d.pages[0]?.items.length === 0}>
        {(d) => (
          <>
            {d.pages
              .flatMap((p) => p.items)
              .map((o) => (
                <OrderCard key={o.id} order={o} />
              ))}
            {orders.hasNextPage && (
              <Button block onClick={() => orders.fetchNextPage()} loading={orders.isFetchingNextPage}>
                {t('common.more')}
              </Button>
            )}
          </>
        )}
      </QueryState>
    </>
  );
}

/** Where a campaign order came from: its group (to share) or its presale. */
export function CampaignLink({ order }: { order: Order }) {
  const { t } = useTranslation();
  if (!order.campaign) return null;
  return order.campaign.kind === 'group_buy' ? (
    <Link to={`/group-buys/groups/${order.campaign.id}`} data-testid="campaign-link">
      <Tag color="red">{t('campaign.groupBuy')}</Tag>
    </Link>
  ) : (
    <Link to={`/presales/${order.campaign.id}`} data-testid="campaign-link">
      <Tag color="purple">{t('campaign.presale')}</Tag>
    </Link>
  );
}

/** Inside the balance window a deposit-paid order can pay its balance. */
function inBalanceWindow(order: Order, now = Date.now()) {
  const p = order.presale;
  if (order.status !== 'deposit_paid' || !p?.balanceFrom || !p.balanceBy) return false;
  return now >= new Date(p.balanceFrom).getTime() && now < new Date(p.balanceBy).getTime();
}

function OrderCard({ order }: { order: Order }) {
  const { t } = useTranslation();
  return (
    <Card
      size="small"
      style={{ marginBottom: 12 }}
      data-testid="order-card"
      data-status={order.status}
      title={
        <Space wrap>
          <Link to={`/orders/${order.id}`}>{t('order.number', { id: order.id.slice(-8) })}</Link>
          <StatusTag status={order.status} />
          <CampaignLink order={order} />
        </Space>
      }
      extra={money(order.total)}
    >
      {order.lines.map((l) => (
        <div key={l.id}>
          {l.title} <Typography.Text type="secondary">{attrs(l.attributes)}</Typography.Text> × {l.quantity}
        </div>
      ))}
      <Space wrap style={{ marginTop: 8, justifyContent: 'space-between', width: '100%' }}>
        <Deadline order={order} />
        <Link to={`/orders/${order.id}`}>
          <Button size="small">{t('order.details')}</Button>
        </Link>
      </Space>
    </Card>
  );
}

const REFUND_REASONS = [
  'not_shipped_on_time',
  'no_longer_needed',
  'ordered_by_mistake',
  'no_reason',
  'not_received',
  'quality_issue',
  'not_as_described',
  'damaged',
  'wrong_item',
  'missing_parts',
  'other',
];
const COMPLAINT_REASONS = [
  'late_shipment',
  'not_as_described',
  'refused_after_sales',
  'fake_shipment',
  'counterfeit',
  'other',
];

export function OrderPage() {
  return <RequireAuth>{() => <OrderView />}</RequireAuth>;
}

function OrderView() {
  const { t } = useTranslation();
  const { id } = useParams();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const order = useQuery({
    queryKey: ['order', id],
    queryFn: () => get<Order>(`/orders/${id}`),
    refetchInterval: (q) => (q.state.data?.status === 'awaiting_payment' ? 2000 : false),
  });
  const refunds = useQuery({
    queryKey: ['order-refunds', id],
    queryFn: () => get<Page<Refund>>(`/orders/${id}/refunds`),
  });
  const [modal, setModal] = useState<null | 'refund' | 'complaint' | 'review'>(null);
  // The app's modal API: in the chosen language and theme (the static Modal.confirm is not).
  const { modal: dialogs } = App.useApp();
  const [busy, setBusy] = useState(false);
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['order', id] }),
      qc.invalidateQueries({ queryKey: ['order-refunds', id] }),
      qc.invalidateQueries({ queryKey: ['orders'] }),
    ]);
  const act = async (path: string, body?: unknown, form?: Parameters<typeof showError>[1]) => {
    setBusy(true);
    try {
      await post(path, body);
      await refresh();
      setModal(null);
      return true;
    } catch (err) {
      showError(err, form);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const [refundForm] = Form.useForm();
  const [complaintForm] = Form.useForm();
  const [reviewForm] = Form.useForm();

  return (
    <QueryState query={order}>
      {(o) => {
        const openRefund = refunds.data?.items.some((r) => !['refunded', 'closed'].includes(r.status));
        const canRefund = ['paid', 'shipped', 'succeeded'].includes(o.status) && !openRefund;
        return (
          <>
            <Space wrap style={{ marginBottom: 12 }}>
              <Typography.Title level={3} style={{ margin: 0 }}>
                {t('order.number', { id: o.id.slice(-8) })}
              </Typography.Title>
              <StatusTag status={o.status} />
              <CampaignLink order={o} />
              {o.shipLate && <Tag color="red">{t('order.shipLate')}</Tag>}
            </Space>
            <Card size="small" style={{ marginBottom: 12 }}>
              <Descriptions column={{ xs: 1, sm: 2 }} size="small">
                <Descriptions.Item label={t('order.shop')}>
                  <Link to={`/shops/${o.shopId}`}>{t('order.visitShop')}</Link>
                </Descriptions.Item>
                <Descriptions.Item label={t('order.total')}>{money(o.total)}</Descriptions.Item>
                <Descriptions.Item label={t('order.createdAt')}>{dateTime(o.createdAt)}</Descriptions.Item>
                {o.presale && (
                  <>
                    <Descriptions.Item label={t('campaign.deposit')}>
                      {money(o.presale.deposit)}
                    </Descriptions.Item>
                    <Descriptions.Item label={t('campaign.balance')}>
                      {money(o.presale.balance)}
                    </Descriptions.Item>
                    {o.presale.balanceFrom && o.presale.balanceBy && (
                      <Descriptions.Item label={t('campaign.balanceWindow')}>
                        <span data-testid="balance-window">
                          {dateTime(o.presale.balanceFrom)} – {dateTime(o.presale.balanceBy)}
                        </span>
                      </Descriptions.Item>
                    )}
                    {o.presale.announcedShipBy && (
                      <Descriptions.Item label={t('campaign.announcedShipBy')}>
                        {dateTime(o.presale.announcedShipBy)}
                      </Descriptions.Item>
                    )}
                  </>
                )}
                {o.paidAt && (
                  <Descriptions.Item label={t('order.paidAt')}>{dateTime(o.paidAt)}</Descriptions.Item>
                )}
                {o.shippedAt && (
                  <Descriptions.Item label={t('order.shippedAt')}>{dateTime(o.shippedAt)}</Descriptions.Item>
                )}
                {o.succeededAt && (
                  <Descriptions.Item label={t('order.succeededAt')}>
                    {dateTime(o.succeededAt)}
                  </Descriptions.Item>
                )}
                {o.closedAt && (
                  <Descriptions.Item label={t('order.closedAt')}>
                    {dateTime(o.closedAt)}{' '}
                    {o.closeReason
                      ? `(${t(`order.close.${o.closeReason}`, { defaultValue: o.closeReason })})`
                      : ''}
                  </Descriptions.Item>
                )}
                <Descriptions.Item label={t('checkout.address')}>
                  {o.address.name} {o.address.phone} {o.address.region} {o.address.line}
                </Descriptions.Item>
                {o.returnInsurance.providedBy !== 'none' && (
                  <Descriptions.Item label={t('order.returnInsurance')}>
                    {t(`order.insurance.${o.returnInsurance.providedBy}`)} {money(o.returnInsurance.premium)}
                  </Descriptions.Item>
                )}
              </Descriptions>
              <Deadline order={o} />
            </Card>
            <Card size="small" title={t('order.items')} style={{ marginBottom: 12 }}>
              <List
                dataSource={o.lines}
                renderItem={(l) => (
                  <List.Item extra={money(l.lineTotal)}>
                    <List.Item.Meta
                      title={<Link to={`/products/${l.productId}`}>{l.title}</Link>}
                      description={`${attrs(l.attributes)} · ${money(l.unitPrice)} × ${l.quantity}${
                        l.refundedQuantity
                          ? ` · ${t('order.refunded', { n: l.refundedQuantity, amount: money(l.refundedAmount) })}`
                          : ''
                      }`}
                    />
                  </List.Item>
                )}
              />
            </Card>
            <Space wrap style={{ marginBottom: 16 }}>
              {o.status === 'awaiting_payment' && (
                <Button type="primary" onClick={() => navigate(`/pay/${o.paymentId}?amount=${o.total}`)}>
                  {o.presale ? t('campaign.payDeposit') : t('order.pay')}
                </Button>
              )}
              {inBalanceWindow(o) && (
                <Button
                  type="primary"
                  loading={busy}
                  onClick={async () => {
                    setBusy(true);
                    try {
                      const r = await post<{ paymentId: string; amount: number }>(
                        `/orders/${o.id}/balance-payment`,
                      );
                      navigate(`/pay/${r.paymentId}${qs({ amount: r.amount, next: `/orders/${o.id}` })}`);
                    } catch (err) {
                      showError(err);
                    } finally {
                      setBusy(false);
                    }
                  }}
                >
                  {t('campaign.payBalance')}
                </Button>
              )}
              {o.status === 'shipped' && (
                <Button
                  type="primary"
                  loading={busy}
                  onClick={() =>
                    dialogs.confirm({
                      title: t('order.confirmReceiptQ'),
                      content: t('order.confirmReceiptHint'),
                      onOk: () => act(`/orders/${o.id}/confirm-receipt`),
                    })
                  }
                >
                  {t('order.confirmReceipt')}
                </Button>
              )}
              {o.status === 'shipped' && (
                <Button loading={busy} onClick={() => act(`/orders/${o.id}/extend-receipt`)}>
                  {t('order.extendReceipt')}
                </Button>
              )}
              {o.status === 'succeeded' && (
                <Button type="primary" onClick={() => setModal('review')}>
                  {t('order.review')}
                </Button>
              )}
              {canRefund && <Button onClick={() => setModal('refund')}>{t('order.refund')}</Button>}
              {o.status !== 'awaiting_payment' && (
                <Button danger onClick={() => setModal('complaint')}>
                  {t('order.complain')}
                </Button>
              )}
            </Space>
            <QueryState query={refunds} empty={(r) => r.items.length === 0}>
              {(r) => (
                <Card size="small" title={t('nav.refunds')}>
                  <RefundList refunds={r.items} />
                </Card>
              )}
            </QueryState>

            <Modal
              open={modal === 'refund'}
              title={t('order.refund')}
              onCancel={() => setModal(null)}
              onOk={() => refundForm.submit()}
              confirmLoading={busy}
              okText={t('common.submit')}
              destroyOnHidden
            >
              <Form
                form={refundForm}
                name="refund"
                layout="vertical"
                initialValues={{ kind: o.status === 'paid' ? 'refund_only' : 'return_refund' }}
                onFinish={(v) =>
                  act(
                    `/orders/${o.id}/refunds`,
                    { kind: v.kind, reason: v.reason, detail: v.detail || undefined },
                    refundForm,
                  )
                }
              >
                <Form.Item name="kind" label={t('refund.kind')} rules={[{ required: true }]}>
                  <Radio.Group>
                    <Radio value="refund_only">{t('refund.kinds.refund_only')}</Radio>
                    <Radio value="return_refund" disabled={o.status === 'paid'}>
                      {t('refund.kinds.return_refund')}
                    </Radio>
                  </Radio.Group>
                </Form.Item>
                <Form.Item
                  name="reason"
                  label={t('refund.reason')}
                  rules={[{ required: true, message: t('form.required') }]}
                >
                  <Select
                    aria-label={t('refund.reason')}
                    options={REFUND_REASONS.map((r) => ({ value: r, label: t(`refund.reasons.${r}`) }))}
                  />
                </Form.Item>
                <Form.Item name="detail" label={t('refund.detail')}>
                  <Input.TextArea rows={2} maxLength={500} />
                </Form.Item>
              </Form>
            </Modal>

            <Modal
              open={modal === 'complaint'}
              title={t('order.complain')}
              onCancel={() => setModal(null)}
              onOk={() => complaintForm.submit()}
              confirmLoading={busy}
              okText={t('common.submit')}
              destroyOnHidden
            >
              <Form
                form={complaintForm}
                name="complaint"
                layout="vertical"
                initialValues={{ reason: o.shipLate ? 'late_shipment' : undefined }}
                onFinish={(v) =>
                  act(
                    `/orders/${o.id}/complaints`,
                    { reason: v.reason, detail: v.detail || undefined },
                    complaintForm,
                  )
                }
              >
                <Form.Item
                  name="reason"
                  label={t('complaint.reason')}
                  rules={[{ required: true, message: t('form.required') }]}
                >
                  <Select
                    aria-label={t('complaint.reason')}
                    options={COMPLAINT_REASONS.map((r) => ({ value: r, label: t(`complaint.reasons.${r}`) }))}
                  />
                </Form.Item>
                <Form.Item name="detail" label={t('complaint.detail')}>
                  <Input.TextArea rows={3} maxLength={1000} />
                </Form.Item>
              </Form>
            </Modal>

            <Modal
              open={modal === 'review'}
              title={t('order.review')}
              onCancel={() => setModal(null)}
              onOk={() => reviewForm.submit()}
              confirmLoading={busy}
              okText={t('common.submit')}
              destroyOnHidden
            >
              <Form
                form={reviewForm}
                name="review"
                layout="vertical"
                initialValues={{ rating: 1, stars: { item: 5, service: 5, logistics: 5 } }}
                onFinish={async (v) => {
                  if (
                    await act(
                      `/orders/${o.id}/reviews`,
                      { rating: v.rating, stars: v.stars, text: v.text || undefined },
                      reviewForm,
                    )
                  )
                    navigate(`/orders/${o.id}?reviewed=1`, { replace: true });
                }}
              >
                <Form.Item name="rating" label={t('review.ratingLabel')}>
                  <Radio.Group>
                    <Radio value={1}>{t('review.rating.1')}</Radio>
                    <Radio value={0}>{t('review.rating.0')}</Radio>
                    <Radio value={-1}>{t('review.rating.-1')}</Radio>
                  </Radio.Group>
                </Form.Item>
                <Form.Item name={['stars', 'item']} label={t('review.item')}>
                  <Rate />
                </Form.Item>
                <Form.Item name={['stars', 'service']} label={t('review.service')}>
                  <Rate />
                </Form.Item>
                <Form.Item name={['stars', 'logistics']} label={t('review.logistics')}>
                  <Rate />
                </Form.Item>
                <Form.Item name="text" label={t('review.text')}>
                  <Input.TextArea rows={3} maxLength={500} />
                </Form.Item>
              </Form>
            </Modal>
          </>
        );
      }}
    </QueryState>
  );
}

function RefundList({ refunds }: { refunds: Refund[] }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [shipFor, setShipFor] = useState<Refund | null>(null);
  const [form] = Form.useForm();
  const act = async (path: string, body?: unknown) => {
    try {
      await post(path, body);
      await qc.invalidateQueries();
      setShipFor(null);
    } catch (err) {
      showError(err, form);
    }
  };
  return (
    <>
      <List
        dataSource={refunds}
        renderItem={(r) => (
          <List.Item
            data-testid="refund-item"
            actions={[
              r.status === 'awaiting_return' && (
                <Button key="ship" size="small" onClick={() => setShipFor(r)}>
                  {t('refund.sendBack')}
                </Button>
              ),
              r.status === 'refused' && (
                <Button key="esc" size="small" onClick={() => act(`/refunds/${r.id}/escalate`)}>
                  {t('refund.escalate')}
                </Button>
              ),
              ['requested', 'refused', 'awaiting_return'].includes(r.status) && (
                <Button key="wd" size="small" type="link" onClick={() => act(`/refunds/${r.id}/withdraw`)}>
                  {t('refund.withdraw')}
                </Button>
              ),
            ].filter(Boolean)}
          >
            <List.Item.Meta
              title={
                <Space wrap>
                  <StatusTag status={r.status} />
                  {t(`refund.kinds.${r.kind}`)} · {t(`refund.reasons.${r.reason}`)} · {money(r.amount)}
                </Space>
              }
              description={
                <Space direction="vertical" size={0}>
                  <Link to={`/orders/${r.orderId}`}>{t('order.number', { id: r.orderId.slice(-8) })}</Link>
                  {r.actBy && (
                    <span>
                      {t('refund.actBy')} {dateTime(r.actBy)} ({timeLeft(r.actBy).text})
                    </span>
                  )}
                  {r.refusalReason && <span>{t('refund.refusal', { reason: r.refusalReason })}</span>}
                  {r.decisionNote && <span>{t('refund.decision', { note: r.decisionNote })}</span>}
                  {r.refundedAt && <span>{t('refund.refundedAt', { at: dateTime(r.refundedAt) })}</span>}
                </Space>
              }
            />
          </List.Item>
        )}
      />
      <Modal
        open={!!shipFor}
        title={t('refund.sendBack')}
        onCancel={() => setShipFor(null)}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Form
          form={form}
          name="return-shipment"
          layout="vertical"
          onFinish={(v) =>
            shipFor &&
            act(`/refunds/${shipFor.id}/return-shipment`, {
              carrier: v.carrier,
              trackingNo: v.trackingNo,
              postage: Math.round(Number(v.postage ?? 0) * 100),
            })
          }
        >
          <Form.Item
            name="carrier"
            label={t('ship.carrier')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <Input />
          </Form.Item>
          <Form.Item
            name="trackingNo"
            label={t('ship.trackingNo')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <Input />
          </Form.Item>
          <Form.Item name="postage" label={t('refund.postage')}>
            <Input type="number" min={0} step="0.01" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

export function RefundsPage() {
  return <RequireAuth>{() => <RefundsView />}</RequireAuth>;
}

function RefundsView() {
  const { t } = useTranslation();
  const refunds = useQuery({ queryKey: ['refunds'], queryFn: () => get<Page<Refund>>('/refunds?limit=50') });
  return (
    <>
      <Typography.Title level={3}>{t('nav.refunds')}</Typography.Title>
      <QueryState query={refunds} empty={(r) => r.items.length === 0}>
        {(r) => <RefundList refunds={r.items} />}
      </QueryState>
    </>
  );
}

export function ComplaintsPage() {
  return <RequireAuth>{() => <ComplaintsView />}</RequireAuth>;
}

function ComplaintsView() {
  const { t } = useTranslation();
  const complaints = useQuery({
    queryKey: ['complaints'],
    queryFn: () => get<Page<Complaint>>('/complaints?limit=50'),
  });
  return (
    <>
      <Typography.Title level={3}>{t('nav.complaints')}</Typography.Title>
      <QueryState query={complaints} empty={(r) => r.items.length === 0}>
        {(r) => <ComplaintTable items={r.items} />}
      </QueryState>
    </>
  );
}

export function ComplaintTable({
  items,
  actions,
}: {
  items: Complaint[];
  actions?: (c: Complaint) => React.ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <Table
      rowKey="id"
      size="small"
      dataSource={items}
      scroll={{ x: true }}
      pagination={{ pageSize: 20, hideOnSinglePage: true }}
      columns={[
        { title: t('complaint.createdAt'), dataIndex: 'createdAt', render: (v: string) => dateTime(v) },
        { title: t('order.title'), dataIndex: 'orderId', render: (v: string) => v.slice(-8) },
        {
          title: t('complaint.reason'),
          dataIndex: 'reason',
          render: (v: string) => t(`complaint.reasons.${v}`),
        },
        { title: t('complaint.detail'), dataIndex: 'detail' },
        { title: t('common.status'), dataIndex: 'status', render: (v: string) => <StatusTag status={v} /> },
        {
          title: t('complaint.compensation'),
          dataIndex: 'compensation',
          render: (v: number, c) =>
            v
              ? `${money(v)}${c.compensationPayout ? ` (${t(`complaint.payout.${c.compensationPayout}`)})` : ''}`
              : '—',
        },
        { title: t('complaint.penaltyPoints'), dataIndex: 'penaltyPoints' },
        { title: t('complaint.decision'), dataIndex: 'decisionNote' },
        ...(actions ? [{ title: '', key: 'actions', render: (_: unknown, c: Complaint) => actions(c) }] : []),
      ]}
    />
  );
}

export function PointsPage() {
  return <RequireAuth>{() => <PointsView />}</RequireAuth>;
}

function PointsView() {
  const { t } = useTranslation();
  const points = useQuery({
    queryKey: ['points'],
    queryFn: () =>
      get<{
        balance: number;
        expiring: { points: number; expiresAt: string }[];
        history: Page<{ id: string; delta: number; reason: string; at: string }>;
      }>('/me/points?limit=50'),
  });
  return (
    <>
      <Typography.Title level={3}>{t('nav.points')}</Typography.Title>
      <QueryState query={points}>
        {(p) => (
          <>
            <Card size="small" style={{ marginBottom: 12 }}>
              <Space wrap size="large">
                <Statistic title={t('points.balance')} value={p.balance} data-testid="points-balance" />
                {p.expiring.map((e) => (
                  <Statistic
                    key={e.expiresAt}
                    title={t('points.expires', { at: dateTime(e.expiresAt) })}
                    value={e.points}
                  />
                ))}
              </Space>
            </Card>
            <Timeline
              items={p.history.items.map((h) => ({
                color: h.delta >= 0 ? 'green' : 'red',
                children: `${dateTime(h.at)} · ${h.delta > 0 ? '+' : ''}${h.delta} · ${t(`points.reason.${h.reason}`, { defaultValue: h.reason })}`,
              }))}
            />
          </>
        )}
      </QueryState>
    </>
  );
}
