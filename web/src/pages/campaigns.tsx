// Group buying (拼团) and presale (预售): the storefront pages a buyer reaches through a shared link,
// the seller's campaign console with its reports, and the operator's lists.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Descriptions,
  Drawer,
  Form,
  type FormInstance,
  Input,
  InputNumber,
  List,
  Modal,
  message,
  Progress,
  Space,
  Statistic,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { get, getToken, type Page, post, qs } from '../api';
import { attrs, dateTime, money } from '../format';
import type { Product } from '../types';
import { AddressFields, QueryState, StatusTag, showError, yuanToFen } from '../ui';
import { countdown, useServerNow } from './deals';
import { SkuPicker } from './promotions';
import { WithShop } from './seller';

export interface GroupBuy {
  id: string;
  shopId: string;
  skuId: string;
  productId: string;
  listPrice: number;
  groupPrice: number;
  groupSize: number;
  windowHours: number;
  stock: number;
  remaining: number;
  status: 'active' | 'paused';
  phase: 'upcoming' | 'live' | 'ended' | 'paused';
  startsAt: string;
  endsAt: string;
  createdAt: string;
}
export type GroupStatus = 'pending' | 'forming' | 'formed' | 'failed' | 'abandoned';
export interface Group {
  id: string;
  groupBuyId: string;
  size: number;
  taken: number;
  paid: number;
  placesLeft: number;
  status: GroupStatus;
  openedAt: string | null;
  expiresAt: string | null;
  secondsLeft: number | null;
  serverTime: string;
}
interface GroupBuyReport {
  groups: Record<GroupStatus, number>;
  unitsSold: number;
  unitsRefunded: number;
  buyers: number;
  sales: number;
  discountCost: { merchant: number; platform: number };
  formationRate: number;
}
export type PresalePhase = 'upcoming' | 'deposit' | 'waiting_balance' | 'balance' | 'ended' | 'cancelled';
export interface Presale {
  id: string;
  shopId: string;
  skuId: string;
  productId: string;
  listPrice: number;
  presalePrice: number;
  deposit: number;
  depositValue: number;
  finalUnitPrice: number;
  balancePerUnit: number;
  quota: number;
  remaining: number;
  status: string;
  phase: PresalePhase;
  depositFrom: string;
  depositUntil: string;
  balanceFrom: string;
  balanceUntil: string;
  announcedShipBy: string | null;
  serverTime: string;
}
interface PresaleReport {
  orders: Record<string, number>;
  unitsAwaitingBalance: number;
  unitsSold: number;
  depositsHeld: number;
  depositsForfeited: number;
  depositsRefunded: number;
  sales: number;
  discountCost: { merchant: number; platform: number };
  balanceConversion: number;
}
interface Placed {
  orderId: string;
  payment: { id: string; amount: number };
}

const GROUP_COLORS: Record<GroupStatus, string> = {
  pending: 'default',
  forming: 'processing',
  formed: 'success',
  failed: 'error',
  abandoned: 'default',
};
const PHASE_COLORS: Record<PresalePhase, string> = {
  upcoming: 'blue',
  deposit: 'volcano',
  waiting_balance: 'gold',
  balance: 'volcano',
  ended: 'default',
  cancelled: 'default',
};

export function GroupStatusTag({ status }: { status: GroupStatus }) {
  const { t } = useTranslation();
  return (
    <Tag color={GROUP_COLORS[status]} data-testid="group-status" data-status={status}>
      {t(`campaign.groupStatus.${status}`)}
    </Tag>
  );
}

export function PresalePhaseTag({ phase }: { phase: PresalePhase }) {
  const { t } = useTranslation();
  return (
    <Tag color={PHASE_COLORS[phase]} data-testid="presale-phase" data-phase={phase}>
      {t(`campaign.presalePhase.${phase}`)}
    </Tag>
  );
}

function useProduct(productId: string | undefined) {
  return useQuery({
    queryKey: ['product', productId],
    enabled: !!productId,
    queryFn: () => get<Product>(`/products/${productId}`),
    staleTime: 60_000,
  });
}

function ProductName({ productId }: { productId: string }) {
  const product = useProduct(productId);
  return <Link to={`/products/${productId}`}>{product.data?.title ?? '…'}</Link>;
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

// ---------------------------------------------------------------- ordering (address + quantity)

/**
 * The address and quantity a campaign order needs, posted to `path`; on success the buyer goes to
 * the sandbox payment, which sends them on to `next` (the group page) once paid.
 */
function CampaignOrderModal({
  title,
  path,
  next,
  onClose,
}: {
  title: string;
  path: string;
  next: (placed: Placed & { groupId?: string }) => string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const submit = async (v: { address: Record<string, string>; quantity: number }) => {
    setBusy(true);
    try {
      const r = await post<Placed & { groupId?: string }>(path, { address: v.address, quantity: v.quantity });
      navigate(`/pay/${r.payment.id}${qs({ amount: r.payment.amount, next: next(r) })}`);
    } catch (err) {
      showError(err, form);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={title}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={busy}
      okText={t('checkout.placeOrder')}
    >
      <Form
        form={form}
        name="campaign-order"
        layout="vertical"
        onFinish={submit}
        initialValues={{ quantity: 1 }}
      >
        <AddressFields />
        <Form.Item name="quantity" label={t('campaign.quantity')} rules={[{ required: true }]}>
          <InputNumber aria-label={t('campaign.quantity')} min={1} max={99} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Signed-in buyers get the order form; anyone else goes to sign in and comes back here. */
function useBuyerAction() {
  const navigate = useNavigate();
  return (open: () => void) => {
    if (!getToken()) navigate(`/login?next=${encodeURIComponent(window.location.pathname)}`);
    else open();
  };
}

// ---------------------------------------------------------------- group buying: storefront

export function GroupBuyPage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const asBuyer = useBuyerAction();
  const [order, setOrder] = useState<{ title: string; path: string } | null>(null);
  const data = useQuery({
    queryKey: ['group-buy', id],
    queryFn: () => get<{ groupBuy: GroupBuy; openGroups: Group[] }>(`/group-buys/${id}`),
    refetchInterval: 10_000,
  });
  const product = useProduct(data.data?.groupBuy.productId);
  const now = useServerNow(data.data?.openGroups[0]?.serverTime);
  return (
    <QueryState query={data}>
      {({ groupBuy: g, openGroups }) => {
        const sku = product.data?.skus.find((k) => k.id === g.skuId);
        const live = g.phase === 'live' && g.remaining > 0;
        return (
          <Card style={{ maxWidth: 720, margin: '0 auto' }} data-testid="group-buy">
            <Typography.Title level={3}>
              <Tag color="red">{t('campaign.groupBuy')}</Tag>
              <Link to={`/products/${g.productId}`}>{product.data?.title ?? '…'}</Link>
            </Typography.Title>
            {sku && <Typography.Text type="secondary">{attrs(sku.attributes) || sku.code}</Typography.Text>}
            <Space size="large" wrap style={{ display: 'flex', margin: '16px 0' }}>
              <Statistic
                title={t('campaign.groupPrice')}
                value={money(g.groupPrice)}
                valueStyle={{ color: '#ff5000' }}
              />
              <Statistic title={t('deals.listPrice')} value={money(g.listPrice)} />
              <Statistic title={t('campaign.groupSize')} value={t('campaign.people', { n: g.groupSize })} />
              <Statistic title={t('deals.remaining')} value={g.remaining} />
            </Space>
            <Space wrap style={{ marginBottom: 12 }}>
              <StatusTag status={g.phase} />
              <Typography.Text type="secondary">
                {dateTime(g.startsAt)} – {dateTime(g.endsAt)} ·{' '}
                {t('campaign.windowHours', { n: g.windowHours })}
              </Typography.Text>
            </Space>
            <Button
              type="primary"
              size="large"
              block
              disabled={!live}
              data-testid="open-group-button"
              onClick={() =>
                asBuyer(() =>
                  setOrder({ title: t('campaign.openGroup'), path: `/group-buys/${g.id}/groups` }),
                )
              }
            >
              {live ? t('campaign.openGroupAt', { price: money(g.groupPrice) }) : t('deals.notLive')}
            </Button>
            <Typography.Title level={5} style={{ marginTop: 24 }}>
              {t('campaign.openGroups')}
            </Typography.Title>
            {openGroups.length === 0 ? (
              <Typography.Text type="secondary">{t('campaign.noOpenGroups')}</Typography.Text>
            ) : (
              <List
                dataSource={openGroups}
                renderItem={(gr) => (
                  <List.Item
                    data-testid="open-group"
                    actions={[
                      <Link key="view" to={`/group-buys/groups/${gr.id}`}>
                        {t('campaign.viewGroup')}
                      </Link>,
                      <Button
                        key="join"
                        type="primary"
                        size="small"
                        disabled={!live || gr.placesLeft <= 0}
                        onClick={() =>
                          asBuyer(() =>
                            setOrder({ title: t('campaign.join'), path: `/group-buys/groups/${gr.id}/join` }),
                          )
                        }
                      >
                        {t('campaign.join')}
                      </Button>,
                    ]}
                  >
                    <Space wrap>
                      <GroupStatusTag status={gr.status} />
                      {t('campaign.placesLeft', { n: gr.placesLeft })}
                      {gr.secondsLeft !== null && (
                        <Typography.Text type="secondary">
                          {t('campaign.closesIn', {
                            time: countdown(
                              gr.secondsLeft * 1000 - (now - new Date(gr.serverTime).getTime()),
                            ),
                          })}
                        </Typography.Text>
                      )}
                    </Space>
                  </List.Item>
                )}
              />
            )}
            {order && (
              <CampaignOrderModal
                title={order.title}
                path={order.path}
                next={(r) => `/group-buys/groups/${r.groupId}`}
                onClose={() => setOrder(null)}
              />
            )}
          </Card>
        );
      }}
    </QueryState>
  );
}

export function GroupPage() {
  const { t } = useTranslation();
  const { groupId } = useParams();
  const asBuyer = useBuyerAction();
  const [joining, setJoining] = useState(false);
  const { modal: dialogs } = App.useApp();
  const data = useQuery({
    queryKey: ['group', groupId],
    queryFn: () =>
      get<{ group: Group; members: { role: 'leader' | 'member'; paid: boolean; joinedAt: string }[] }>(
        `/group-buys/groups/${groupId}`,
      ),
    // Members pay through the sandbox provider's callback: the group fills a moment later.
    refetchInterval: (q) =>
      q.state.data && ['formed', 'failed', 'abandoned'].includes(q.state.data.group.status) ? false : 3000,
  });
  const groupBuy = useQuery({
    queryKey: ['group-buy', data.data?.group.groupBuyId],
    enabled: !!data.data,
    queryFn: () =>
      get<{ groupBuy: GroupBuy; openGroups: Group[] }>(`/group-buys/${data.data?.group.groupBuyId}`),
  });
  const now = useServerNow(data.data?.group.serverTime);
  const share = async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      message.success(t('campaign.linkCopied'));
    } catch {
      // No clipboard permission (an insecure origin): show the link to copy by hand.
      dialogs.info({ title: t('campaign.share'), content: window.location.href });
    }
  };
  return (
    <QueryState query={data}>
      {({ group: g, members }) => {
        const g2 = groupBuy.data?.groupBuy;
        const left =
          g.secondsLeft === null ? null : g.secondsLeft * 1000 - (now - new Date(g.serverTime).getTime());
        const canJoin = (g.status === 'forming' || g.status === 'pending') && g.placesLeft > 0;
        return (
          <Card style={{ maxWidth: 720, margin: '0 auto' }} data-testid="group" data-status={g.status}>
            <Typography.Title level={3}>
              {t('campaign.groupTitle')} <GroupStatusTag status={g.status} />
            </Typography.Title>
            {g2 && (
              <Typography.Paragraph>
                <ProductName productId={g2.productId} /> ·{' '}
                <span className="price big">{money(g2.groupPrice)}</span>{' '}
                <Typography.Text delete type="secondary">
                  {money(g2.listPrice)}
                </Typography.Text>{' '}
                <Link to={`/group-buys/${g2.id}`}>{t('campaign.campaignPage')}</Link>
              </Typography.Paragraph>
            )}
            <Space size="large" wrap style={{ display: 'flex', marginBottom: 12 }}>
              <Statistic title={t('campaign.groupSize')} value={t('campaign.people', { n: g.size })} />
              <Statistic title={t('campaign.paidMembers')} value={`${g.paid} / ${g.size}`} />
              <Statistic title={t('campaign.placesLeftTitle')} value={g.placesLeft} />
              {left !== null && (
                <Statistic
                  title={t('campaign.timeLeft')}
                  value={countdown(left)}
                  valueStyle={{ fontVariantNumeric: 'tabular-nums' }}
                />
              )}
            </Space>
            <Progress percent={Math.round((g.paid / Math.max(1, g.size)) * 100)} status="active" />
            {g.status === 'formed' && <Alert type="success" showIcon message={t('campaign.formedHint')} />}
            {g.status === 'failed' && <Alert type="warning" showIcon message={t('campaign.failedHint')} />}
            <List
              style={{ margin: '12px 0' }}
              header={t('campaign.members')}
              dataSource={members}
              renderItem={(m) => (
                <List.Item data-testid="group-member">
                  <Space wrap>
                    <Tag color={m.role === 'leader' ? 'red' : 'blue'}>{t(`campaign.role.${m.role}`)}</Tag>
                    {m.paid ? (
                      <Tag color="green">{t('campaign.memberPaid')}</Tag>
                    ) : (
                      <Tag>{t('campaign.memberUnpaid')}</Tag>
                    )}
                    <Typography.Text type="secondary">{dateTime(m.joinedAt)}</Typography.Text>
                  </Space>
                </List.Item>
              )}
            />
            <Space wrap>
              <Button onClick={share}>{t('campaign.share')}</Button>
              <Button
                type="primary"
                data-testid="join-group"
                disabled={!canJoin}
                onClick={() => asBuyer(() => setJoining(true))}
              >
                {t('campaign.join')}
              </Button>
            </Space>
            {joining && (
              <CampaignOrderModal
                title={t('campaign.join')}
                path={`/group-buys/groups/${g.id}/join`}
                next={() => `/group-buys/groups/${g.id}`}
                onClose={() => setJoining(false)}
              />
            )}
          </Card>
        );
      }}
    </QueryState>
  );
}

// ---------------------------------------------------------------- presale: storefront

export function PresalePage() {
  const { t } = useTranslation();
  const { id } = useParams();
  const asBuyer = useBuyerAction();
  const [ordering, setOrdering] = useState(false);
  const data = useQuery({
    queryKey: ['presale', id],
    queryFn: () => get<Presale>(`/presales/${id}`),
    refetchInterval: 15_000,
  });
  const product = useProduct(data.data?.productId);
  const now = useServerNow(data.data?.serverTime);
  return (
    <QueryState query={data}>
      {(p) => {
        const sku = product.data?.skus.find((k) => k.id === p.skuId);
        const opens = new Date(p.depositFrom).getTime();
        const closes = new Date(p.depositUntil).getTime();
        const open = p.phase === 'deposit' && now >= opens && now < closes && p.remaining > 0;
        return (
          <Card style={{ maxWidth: 720, margin: '0 auto' }} data-testid="presale" data-phase={p.phase}>
            <Typography.Title level={3}>
              <Tag color="purple">{t('campaign.presale')}</Tag>
              <Link to={`/products/${p.productId}`}>{product.data?.title ?? '…'}</Link>
            </Typography.Title>
            {sku && <Typography.Text type="secondary">{attrs(sku.attributes) || sku.code}</Typography.Text>}
            <Space size="large" wrap style={{ display: 'flex', margin: '16px 0' }}>
              <Statistic
                title={t('campaign.finalUnitPrice')}
                value={money(p.finalUnitPrice)}
                valueStyle={{ color: '#ff5000' }}
              />
              <Statistic title={t('campaign.deposit')} value={money(p.deposit)} />
              <Statistic title={t('campaign.balancePerUnit')} value={money(p.balancePerUnit)} />
              <Statistic title={t('deals.listPrice')} value={money(p.listPrice)} />
              <Statistic title={t('deals.remaining')} value={`${p.remaining} / ${p.quota}`} />
            </Space>
            {p.depositValue > p.deposit && (
              <Alert
                type="info"
                showIcon
                style={{ marginBottom: 12 }}
                message={t('campaign.depositCountsFor', {
                  deposit: money(p.deposit),
                  value: money(p.depositValue),
                })}
              />
            )}
            <Space wrap style={{ marginBottom: 12 }}>
              <PresalePhaseTag phase={p.phase} />
              {p.phase === 'upcoming' && (
                <Tag color="blue" data-testid="presale-clock">
                  {t('campaign.depositOpensIn', {
                    time: countdown(opens - now),
                    at: dateTime(p.depositFrom),
                  })}
                </Tag>
              )}
              {p.phase === 'deposit' && (
                <Tag color="volcano" data-testid="presale-clock">
                  {t('deals.endsIn', { time: countdown(closes - now) })}
                </Tag>
              )}
            </Space>
            <Descriptions size="small" column={1} style={{ marginBottom: 12 }}>
              <Descriptions.Item label={t('campaign.depositWindow')}>
                {dateTime(p.depositFrom)} – {dateTime(p.depositUntil)}
              </Descriptions.Item>
              <Descriptions.Item label={t('campaign.balanceWindow')}>
                {dateTime(p.balanceFrom)} – {dateTime(p.balanceUntil)}
              </Descriptions.Item>
              {p.announcedShipBy && (
                <Descriptions.Item label={t('campaign.announcedShipBy')}>
                  {dateTime(p.announcedShipBy)}
                </Descriptions.Item>
              )}
            </Descriptions>
            <Button
              type="primary"
              size="large"
              block
              disabled={!open}
              data-testid="pay-deposit"
              onClick={() => asBuyer(() => setOrdering(true))}
            >
              {open ? t('campaign.payDepositOf', { amount: money(p.deposit) }) : t('deals.notLive')}
            </Button>
            {ordering && (
              <CampaignOrderModal
                title={t('campaign.payDeposit')}
                path={`/presales/${p.id}/deposits`}
                next={(r) => `/orders/${r.orderId}`}
                onClose={() => setOrdering(false)}
              />
            )}
          </Card>
        );
      }}
    </QueryState>
  );
}

// ---------------------------------------------------------------- seller console

export function SellerCampaigns() {
  const { t } = useTranslation();
  return (
    <WithShop>
      {(shopId) => (
        <>
          <Typography.Title level={3}>{t('campaign.title')}</Typography.Title>
          <Tabs
            items={[
              { key: 'group', label: t('campaign.groupBuys'), children: <SellerGroupBuys shopId={shopId} /> },
              { key: 'presale', label: t('campaign.presales'), children: <SellerPresales shopId={shopId} /> },
            ]}
          />
        </>
      )}
    </WithShop>
  );
}

/** API field paths onto the forms' range pickers. */
function windowField(name: (string | number)[]) {
  const [head] = name;
  if (head === 'startsAt' || head === 'endsAt') return ['window'];
  if (head === 'depositFrom' || head === 'depositUntil') return ['depositWindow'];
  if (head === 'balanceFrom' || head === 'balanceUntil') return ['balanceWindow'];
  return name;
}

function useCreate(form: FormInstance, onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const submit = async (call: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await call();
      onDone();
    } catch (err) {
      showError(err, form, windowField);
    } finally {
      setBusy(false);
    }
  };
  return { busy, submit };
}

function yuan(label: string) {
  return (
    <InputNumber aria-label={label} min={0.01} step={1} precision={2} prefix="¥" style={{ width: 160 }} />
  );
}

function Range({ name, label }: { name: string; label: string }) {
  const { t } = useTranslation();
  return (
    <Form.Item name={name} label={label} rules={[{ required: true, message: t('form.required') }]}>
      <DatePicker.RangePicker aria-label={label} showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
    </Form.Item>
  );
}

function GroupBuyModal({ shopId, onClose }: { shopId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const { busy, submit } = useCreate(form, onClose);
  const start = dayjs().startOf('minute');
  return (
    <Modal
      open
      title={t('campaign.newGroupBuy')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={busy}
      okText={t('common.submit')}
      width={640}
    >
      <Form
        form={form}
        name="group-buy"
        layout="vertical"
        initialValues={{ window: [start, start.add(7, 'day')], groupSize: 2, stock: 10, windowHours: 24 }}
        onFinish={(v: {
          skuId: string;
          groupPrice: number;
          groupSize: number;
          stock: number;
          windowHours: number;
          window: [Dayjs, Dayjs];
        }) =>
          submit(() =>
            post(`/seller/shops/${shopId}/group-buys`, {
              skuId: v.skuId,
              groupPrice: yuanToFen(v.groupPrice),
              groupSize: v.groupSize,
              stock: v.stock,
              windowHours: v.windowHours,
              startsAt: v.window[0].toISOString(),
              endsAt: v.window[1].toISOString(),
            }),
          )
        }
      >
        <SkuPicker form={form} shopId={shopId} />
        <Space wrap>
          <Form.Item
            name="groupPrice"
            label={t('campaign.groupPrice')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            {yuan(t('campaign.groupPrice'))}
          </Form.Item>
          <Form.Item
            name="groupSize"
            label={t('campaign.groupSize')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <InputNumber aria-label={t('campaign.groupSize')} min={2} max={10_000} />
          </Form.Item>
          <Form.Item
            name="stock"
            label={t('campaign.stock')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <InputNumber aria-label={t('campaign.stock')} min={2} />
          </Form.Item>
          <Form.Item
            name="windowHours"
            label={t('campaign.windowHoursLabel')}
            extra={t('campaign.windowHoursHint')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <InputNumber aria-label={t('campaign.windowHoursLabel')} min={1} max={720} />
          </Form.Item>
        </Space>
        <Range name="window" label={t('promo.window')} />
      </Form>
    </Modal>
  );
}

function GroupBuyReportDrawer({ shopId, id, onClose }: { shopId: string; id: string; onClose: () => void }) {
  const { t } = useTranslation();
  const report = useQuery({
    queryKey: ['seller-group-buy', shopId, id],
    queryFn: () =>
      get<{ groupBuy: GroupBuy; report: GroupBuyReport }>(`/seller/shops/${shopId}/group-buys/${id}`),
  });
  return (
    <Drawer open width={520} title={t('campaign.report')} onClose={onClose}>
      <QueryState query={report}>
        {({ groupBuy: g, report: r }) => (
          <div data-testid="group-buy-report">
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('campaign.groupPrice')}>{money(g.groupPrice)}</Descriptions.Item>
              {(Object.keys(r.groups) as GroupStatus[]).map((s) => (
                <Descriptions.Item key={s} label={t(`campaign.groupStatus.${s}`)}>
                  {r.groups[s]}
                </Descriptions.Item>
              ))}
              <Descriptions.Item label={t('campaign.formationRate')}>
                {percent(r.formationRate)}
              </Descriptions.Item>
              <Descriptions.Item label={t('campaign.unitsSold')}>{r.unitsSold}</Descriptions.Item>
              <Descriptions.Item label={t('campaign.unitsRefunded')}>{r.unitsRefunded}</Descriptions.Item>
              <Descriptions.Item label={t('campaign.buyers')}>{r.buyers}</Descriptions.Item>
              <Descriptions.Item label={t('campaign.sales')}>{money(r.sales)}</Descriptions.Item>
              <Descriptions.Item label={t('campaign.discountCost')}>
                {money(r.discountCost.merchant)} / {money(r.discountCost.platform)}
              </Descriptions.Item>
            </Descriptions>
          </div>
        )}
      </QueryState>
    </Drawer>
  );
}

function SellerGroupBuys({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [viewing, setViewing] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['seller-group-buys', shopId],
    queryFn: () => get<Page<GroupBuy>>(`/seller/shops/${shopId}/group-buys?limit=100`),
  });
  const act = async (id: string, action: 'pause' | 'resume') => {
    try {
      await post(`/seller/shops/${shopId}/group-buys/${id}/${action}`);
      await qc.invalidateQueries({ queryKey: ['seller-group-buys', shopId] });
    } catch (err) {
      showError(err);
    }
  };
  return (
    <>
      <Button type="primary" style={{ marginBottom: 12 }} onClick={() => setCreating(true)}>
        {t('campaign.newGroupBuy')}
      </Button>
      <QueryState query={list}>
        {(d) => (
          <Table<GroupBuy>
            data-testid="group-buy-table"
            rowKey="id"
            size="small"
            dataSource={d.items}
            pagination={false}
            scroll={{ x: true }}
            columns={[
              { title: t('promo.product'), render: (_, g) => <ProductName productId={g.productId} /> },
              {
                title: t('campaign.groupPrice'),
                render: (_, g) => `${money(g.groupPrice)} / ${money(g.listPrice)}`,
              },
              { title: t('campaign.groupSize'), dataIndex: 'groupSize' },
              { title: t('deals.remaining'), render: (_, g) => `${g.remaining} / ${g.stock}` },
              {
                title: t('promo.window'),
                render: (_, g) => `${dateTime(g.startsAt)} – ${dateTime(g.endsAt)}`,
              },
              { title: t('common.status'), render: (_, g) => <StatusTag status={g.phase} /> },
              {
                title: '',
                render: (_, g) => (
                  <Space wrap>
                    <Link to={`/group-buys/${g.id}`} data-testid="group-buy-link">
                      {t('campaign.storePage')}
                    </Link>
                    <Button size="small" onClick={() => setViewing(g.id)}>
                      {t('campaign.report')}
                    </Button>
                    {g.status === 'active' ? (
                      <Button size="small" onClick={() => act(g.id, 'pause')}>
                        {t('campaign.pause')}
                      </Button>
                    ) : (
                      <Button size="small" onClick={() => act(g.id, 'resume')}>
                        {t('campaign.resume')}
                      </Button>
                    )}
                  </Space>
                ),
              },
            ]}
          />
        )}
      </QueryState>
      {creating && (
        <GroupBuyModal
          shopId={shopId}
          onClose={() => {
            setCreating(false);
            qc.invalidateQueries({ queryKey: ['seller-group-buys', shopId] });
          }}
        />
      )}
      {viewing && <GroupBuyReportDrawer shopId={shopId} id={viewing} onClose={() => setViewing(null)} />}
    </>
  );
}

function PresaleModal({ shopId, onClose }: { shopId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const { busy, submit } = useCreate(form, onClose);
  const price = Form.useWatch('presalePrice', form) as number | undefined;
  const deposit = Form.useWatch('deposit', form) as number | undefined;
  const depositValue = Form.useWatch('depositValue', form) as number | undefined;
  // Deposit inflation (定金膨胀): the deposit counts for more than it costs, lowering the final price.
  const finalPrice =
    price && deposit ? yuanToFen(price) - (yuanToFen(depositValue ?? deposit) - yuanToFen(deposit)) : null;
  // Deposits open tonight at 20:00 (the usual presale start) unless that has passed.
  const tonight = dayjs().hour(20).startOf('hour');
  const from = tonight.isAfter(dayjs()) ? tonight : dayjs().startOf('minute');
  return (
    <Modal
      open
      title={t('campaign.newPresale')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={busy}
      okText={t('common.submit')}
      width={680}
    >
      <Form
        form={form}
        name="presale"
        layout="vertical"
        initialValues={{
          quota: 100,
          depositWindow: [from, from.add(10, 'day')],
          balanceWindow: [from.add(10, 'day'), from.add(12, 'day')],
        }}
        onFinish={(v: {
          skuId: string;
          presalePrice: number;
          deposit: number;
          depositValue?: number;
          quota: number;
          depositWindow: [Dayjs, Dayjs];
          balanceWindow: [Dayjs, Dayjs];
          announcedShipBy?: Dayjs;
        }) =>
          submit(() =>
            post(`/seller/shops/${shopId}/presales`, {
              skuId: v.skuId,
              presalePrice: yuanToFen(v.presalePrice),
              deposit: yuanToFen(v.deposit),
              ...(v.depositValue ? { depositValue: yuanToFen(v.depositValue) } : {}),
              quota: v.quota,
              depositFrom: v.depositWindow[0].toISOString(),
              depositUntil: v.depositWindow[1].toISOString(),
              balanceFrom: v.balanceWindow[0].toISOString(),
              balanceUntil: v.balanceWindow[1].toISOString(),
              ...(v.announcedShipBy ? { announcedShipBy: v.announcedShipBy.toISOString() } : {}),
            }),
          )
        }
      >
        <SkuPicker form={form} shopId={shopId} />
        <Space wrap>
          <Form.Item
            name="presalePrice"
            label={t('campaign.presalePrice')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            {yuan(t('campaign.presalePrice'))}
          </Form.Item>
          <Form.Item
            name="deposit"
            label={t('campaign.deposit')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            {yuan(t('campaign.deposit'))}
          </Form.Item>
          <Form.Item name="depositValue" label={t('campaign.depositValue')}>
            {yuan(t('campaign.depositValue'))}
          </Form.Item>
          <Form.Item
            name="quota"
            label={t('promo.quota')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <InputNumber aria-label={t('promo.quota')} min={1} />
          </Form.Item>
        </Space>
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          data-testid="deposit-inflation"
          message={t('campaign.inflationRule')}
          description={
            finalPrice !== null
              ? t('campaign.inflationExample', {
                  final: money(finalPrice),
                  max: money(Math.floor(finalPrice * 0.2)),
                })
              : undefined
          }
        />
        <Range name="depositWindow" label={t('campaign.depositWindow')} />
        <Range name="balanceWindow" label={t('campaign.balanceWindow')} />
        <Form.Item name="announcedShipBy" label={t('campaign.announcedShipBy')}>
          <DatePicker
            aria-label={t('campaign.announcedShipBy')}
            showTime={{ format: 'HH:mm' }}
            format="YYYY-MM-DD HH:mm"
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function PresaleReportDrawer({ shopId, id, onClose }: { shopId: string; id: string; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [orderId, setOrderId] = useState('');
  const report = useQuery({
    queryKey: ['seller-presale', shopId, id],
    queryFn: () => get<{ presale: Presale; report: PresaleReport }>(`/seller/shops/${shopId}/presales/${id}`),
  });
  const refund = async () => {
    try {
      await post(`/seller/shops/${shopId}/presales/${id}/orders/${orderId.trim()}/refund-deposit`);
      message.success(t('campaign.depositRefunded'));
      setOrderId('');
      await qc.invalidateQueries({ queryKey: ['seller-presale', shopId, id] });
    } catch (err) {
      showError(err);
    }
  };
  return (
    <Drawer open width={520} title={t('campaign.report')} onClose={onClose}>
      <QueryState query={report}>
        {({ report: r }) => (
          <div data-testid="presale-report">
            <Descriptions size="small" column={1} bordered>
              {Object.entries(r.orders).map(([status, n]) => (
                <Descriptions.Item key={status} label={t(`status.${status}`, { defaultValue: status })}>
                  {n}
                </Descriptions.Item>
              ))}
              <Descriptions.Item label={t('campaign.unitsAwaitingBalance')}>
                {r.unitsAwaitingBalance}
              </Descriptions.Item>
              <Descriptions.Item label={t('campaign.unitsSold')}>{r.unitsSold}</Descriptions.Item>
              <Descriptions.Item label={t('campaign.depositsHeld')}>
                {money(r.depositsHeld)}
              </Descriptions.Item>
              <Descriptions.Item label={t('campaign.depositsForfeited')}>
                {money(r.depositsForfeited)}
              </Descriptions.Item>
              <Descriptions.Item label={t('campaign.depositsRefunded')}>
                {money(r.depositsRefunded)}
              </Descriptions.Item>
              <Descriptions.Item label={t('campaign.sales')}>{money(r.sales)}</Descriptions.Item>
              <Descriptions.Item label={t('campaign.balanceConversion')}>
                {percent(r.balanceConversion)}
              </Descriptions.Item>
            </Descriptions>
            <Typography.Title level={5} style={{ marginTop: 16 }}>
              {t('campaign.refundDeposit')}
            </Typography.Title>
            <Space.Compact style={{ width: '100%' }}>
              <Input
                aria-label={t('campaign.orderId')}
                placeholder={t('campaign.orderId')}
                value={orderId}
                onChange={(e) => setOrderId(e.target.value)}
              />
              <Button danger disabled={!orderId.trim()} onClick={refund}>
                {t('campaign.refundDeposit')}
              </Button>
            </Space.Compact>
          </div>
        )}
      </QueryState>
    </Drawer>
  );
}

function SellerPresales({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [viewing, setViewing] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['seller-presales', shopId],
    queryFn: () => get<Page<Presale>>(`/seller/shops/${shopId}/presales?limit=100`),
  });
  // The app's modal API: in the chosen language (the static Modal.confirm is not).
  const { modal: dialogs } = App.useApp();
  const cancel = (p: Presale) =>
    dialogs.confirm({
      title: t('campaign.cancelQ'),
      content: t('campaign.cancelHint'),
      onOk: async () => {
        try {
          const r = await post<{ depositsRefunded: number; ordersClosed: number }>(
            `/seller/shops/${shopId}/presales/${p.id}/cancel`,
          );
          message.success(t('campaign.cancelled', { n: r.ordersClosed }));
          await qc.invalidateQueries({ queryKey: ['seller-presales', shopId] });
        } catch (err) {
          showError(err);
        }
      },
    });
  return (
    <>
      <Button type="primary" style={{ marginBottom: 12 }} onClick={() => setCreating(true)}>
        {t('campaign.newPresale')}
      </Button>
      <QueryState query={list}>
        {(d) => (
          <Table<Presale>
            data-testid="presale-table"
            rowKey="id"
            size="small"
            dataSource={d.items}
            pagination={false}
            scroll={{ x: true }}
            columns={[
              { title: t('promo.product'), render: (_, p) => <ProductName productId={p.productId} /> },
              { title: t('campaign.finalUnitPrice'), render: (_, p) => money(p.finalUnitPrice) },
              {
                title: t('campaign.deposit'),
                render: (_, p) => `${money(p.deposit)} → ${money(p.depositValue)}`,
              },
              { title: t('deals.remaining'), render: (_, p) => `${p.remaining} / ${p.quota}` },
              {
                title: t('campaign.depositWindow'),
                render: (_, p) => `${dateTime(p.depositFrom)} – ${dateTime(p.depositUntil)}`,
              },
              { title: t('common.status'), render: (_, p) => <PresalePhaseTag phase={p.phase} /> },
              {
                title: '',
                render: (_, p) => (
                  <Space wrap>
                    <Link to={`/presales/${p.id}`} data-testid="presale-link">
                      {t('campaign.storePage')}
                    </Link>
                    <Button size="small" onClick={() => setViewing(p.id)}>
                      {t('campaign.report')}
                    </Button>
                    {p.phase !== 'cancelled' && p.phase !== 'ended' && (
                      <Button size="small" danger onClick={() => cancel(p)}>
                        {t('campaign.cancel')}
                      </Button>
                    )}
                  </Space>
                ),
              },
            ]}
          />
        )}
      </QueryState>
      {creating && (
        <PresaleModal
          shopId={shopId}
          onClose={() => {
            setCreating(false);
            qc.invalidateQueries({ queryKey: ['seller-presales', shopId] });
          }}
        />
      )}
      {viewing && <PresaleReportDrawer shopId={shopId} id={viewing} onClose={() => setViewing(null)} />}
    </>
  );
}

// ---------------------------------------------------------------- operator

export function AdminCampaigns() {
  const { t } = useTranslation();
  const groupBuys = useQuery({
    queryKey: ['admin-group-buys'],
    queryFn: () => get<Page<GroupBuy>>('/admin/group-buys?limit=100'),
  });
  const presales = useQuery({
    queryKey: ['admin-presales'],
    queryFn: () => get<Page<Presale>>('/admin/presales?limit=100'),
  });
  return (
    <>
      <Typography.Title level={3}>{t('campaign.title')}</Typography.Title>
      <Tabs
        items={[
          {
            key: 'group',
            label: t('campaign.groupBuys'),
            children: (
              <QueryState query={groupBuys} empty={(d) => d.items.length === 0}>
                {(d) => (
                  <Table<GroupBuy>
                    rowKey="id"
                    size="small"
                    dataSource={d.items}
                    pagination={false}
                    scroll={{ x: true }}
                    columns={[
                      {
                        title: t('promo.product'),
                        render: (_, g) => <ProductName productId={g.productId} />,
                      },
                      {
                        title: t('campaign.shop'),
                        render: (_, g) => <Link to={`/shops/${g.shopId}`}>{g.shopId.slice(-8)}</Link>,
                      },
                      {
                        title: t('campaign.groupPrice'),
                        render: (_, g) => `${money(g.groupPrice)} / ${money(g.listPrice)}`,
                      },
                      { title: t('campaign.groupSize'), dataIndex: 'groupSize' },
                      { title: t('deals.remaining'), render: (_, g) => `${g.remaining} / ${g.stock}` },
                      { title: t('common.status'), render: (_, g) => <StatusTag status={g.phase} /> },
                      {
                        title: '',
                        render: (_, g) => <Link to={`/group-buys/${g.id}`}>{t('campaign.storePage')}</Link>,
                      },
                    ]}
                  />
                )}
              </QueryState>
            ),
          },
          {
            key: 'presale',
            label: t('campaign.presales'),
            children: (
              <QueryState query={presales} empty={(d) => d.items.length === 0}>
                {(d) => (
                  <Table<Presale>
                    rowKey="id"
                    size="small"
                    dataSource={d.items}
                    pagination={false}
                    scroll={{ x: true }}
                    columns={[
                      {
                        title: t('promo.product'),
                        render: (_, p) => <ProductName productId={p.productId} />,
                      },
                      {
                        title: t('campaign.shop'),
                        render: (_, p) => <Link to={`/shops/${p.shopId}`}>{p.shopId.slice(-8)}</Link>,
                      },
                      { title: t('campaign.finalUnitPrice'), render: (_, p) => money(p.finalUnitPrice) },
                      { title: t('campaign.deposit'), render: (_, p) => money(p.deposit) },
                      { title: t('deals.remaining'), render: (_, p) => `${p.remaining} / ${p.quota}` },
                      { title: t('common.status'), render: (_, p) => <PresalePhaseTag phase={p.phase} /> },
                      {
                        title: '',
                        render: (_, p) => <Link to={`/presales/${p.id}`}>{t('campaign.storePage')}</Link>,
                      },
                    ]}
                  />
                )}
              </QueryState>
            ),
          },
        ]}
      />
    </>
  );
}
