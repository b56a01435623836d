// Promotions in the two consoles: a shop's coupons, full reductions, timed discounts and flash sales
// (merchant), and the platform's coupons, cross-shop full reductions, subsidies and the flash-sale
// overview (operator). Each campaign can be paused, resumed and reported on (orders and who funded
// the discount).
import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import {
  type InfiniteData,
  type UseQueryResult,
  useInfiniteQuery,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import {
  Button,
  Card,
  DatePicker,
  Form,
  type FormInstance,
  Input,
  InputNumber,
  Modal,
  Radio,
  Select,
  Space,
  Statistic,
  Table,
  Tabs,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { get, type Page, post, qs } from '../api';
import { attrs, dateTime, money } from '../format';
import i18n from '../i18n';
import type { Product, ProductCard } from '../types';
import { QueryState, StatusTag, showError, yuanToFen } from '../ui';
import { WithShop } from './seller';

// ---------------------------------------------------------------- shapes

export interface CouponOffer {
  id: string;
  shopId: string | null;
  name: string;
  kind: 'amount' | 'percent';
  amount: number;
  percentOffBp: number;
  cap: number;
  threshold: number;
  categoryIds: string[];
  validFrom: string;
  validUntil: string;
  totalLimit: number;
  perBuyerLimit: number;
  claimed: number;
  used: number;
  audience: string;
  funder: string;
  platformShareBp: number;
  status: string;
}
interface FullReduction {
  id: string;
  shopId: string | null;
  name: string;
  mode: 'tiered' | 'every';
  tiers: { threshold: number; off: number }[];
  cap: number;
  shopIds: string[];
  funder: string;
  validFrom: string;
  validUntil: string;
  status: string;
}
interface TimedDiscount {
  id: string;
  skuId: string;
  unitPrice: number;
  validFrom: string;
  validUntil: string;
  status: string;
}
interface Subsidy {
  id: string;
  skuId: string;
  perUnit: number;
  budget: number;
  committed: number;
  validFrom: string;
  validUntil: string;
  status: string;
}
interface Campaigns {
  coupons: CouponOffer[];
  fullReductions: FullReduction[];
  timedDiscounts: TimedDiscount[];
  subsidies: Subsidy[];
}
export interface FlashSale {
  id: string;
  shopId: string;
  skuId: string;
  productId: string;
  listPrice: number;
  flashPrice: number;
  quota: number;
  perBuyerLimit: number;
  claimed?: number;
  sold?: number;
  remaining: number;
  soldOut: boolean;
  status?: 'active' | 'paused';
  phase: 'upcoming' | 'live' | 'ended' | 'paused';
  startsAt: string;
  endsAt: string;
  serverTime?: string;
}
type CampaignKind = 'coupon' | 'full_reduction' | 'timed_discount' | 'subsidy';

/** Where a console's campaign calls go: a shop's, or the platform's (shopId null). */
function campaignBase(shopId: string | null) {
  return shopId ? `/seller/shops/${shopId}` : '/admin';
}

// ---------------------------------------------------------------- shared pieces

/** A coupon's value in words: "¥20 off" / "15% off (at most ¥50)", with its threshold. */
export function couponValue(c: Pick<CouponOffer, 'kind' | 'amount' | 'percentOffBp' | 'cap' | 'threshold'>) {
  const t = (k: string, o?: Record<string, unknown>) => i18nT(k, o);
  const off =
    c.kind === 'amount'
      ? t('promo.amountOff', { amount: money(c.amount) })
      : `${t('promo.percentOff', { pct: c.percentOffBp / 100 })}${c.cap ? t('promo.capped', { cap: money(c.cap) }) : ''}`;
  return c.threshold ? `${t('promo.threshold', { amount: money(c.threshold) })} ${off}` : off;
}

const i18nT = (k: string, o?: Record<string, unknown>) => i18n.t(k, o) as string;

function tiersText(fr: Pick<FullReduction, 'mode' | 'tiers' | 'cap'>) {
  const parts = fr.tiers.map((x) =>
    i18nT(fr.mode === 'every' ? 'promo.everyTier' : 'promo.tier', {
      threshold: money(x.threshold),
      off: money(x.off),
    }),
  );
  return `${parts.join(' / ')}${fr.cap ? i18nT('promo.capped', { cap: money(fr.cap) }) : ''}`;
}

function windowText(from: string, until: string) {
  return `${dateTime(from)} – ${dateTime(until)}`;
}

/** Today's start to a week on: a campaign window a person rarely needs to change. */
function defaultWindow(): [Dayjs, Dayjs] {
  return [dayjs().startOf('day'), dayjs().add(7, 'day').endOf('day')];
}

function WindowField({ name = 'window', label }: { name?: string; label?: string }) {
  const { t } = useTranslation();
  return (
    <Form.Item
      name={name}
      label={label ?? t('promo.window')}
      rules={[{ required: true, message: t('form.required') }]}
    >
      <DatePicker.RangePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
    </Form.Item>
  );
}

/** API field paths onto this module's form names: the window's two ends, percent as a share. */
function fieldMap(name: (string | number)[]) {
  const [head] = name;
  if (head === 'validFrom' || head === 'validUntil' || head === 'startsAt' || head === 'endsAt')
    return ['window'];
  if (head === 'percentOffBp') return ['percentOff'];
  if (head === 'platformShareBp') return ['platformShare'];
  return name;
}

function yuanInput(label: string, extra?: { min?: number }) {
  return (
    <InputNumber
      aria-label={label}
      min={extra?.min ?? 0.01}
      step={1}
      precision={2}
      prefix="¥"
      style={{ width: 160 }}
    />
  );
}

/** Runs a form's create call, closing the modal on success and placing field errors on failure. */
function useSubmit(form: FormInstance, onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const submit = async (call: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await call();
      onDone();
    } catch (err) {
      showError(err, form, fieldMap);
    } finally {
      setBusy(false);
    }
  };
  return { busy, submit };
}

/**
 * Product, then SKU: the seller's own products (any status) or, for operators, the storefront's
 * products found by search.
 */
export function SkuPicker({ form, shopId }: { form: FormInstance; shopId: string | null }) {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const productId = Form.useWatch('productId', form) as string | undefined;
  const products = useQuery({
    queryKey: ['sku-picker-products', shopId, q],
    queryFn: () =>
      get<Page<ProductCard>>(
        shopId
          ? `/seller/shops/${shopId}/products${qs({ q: q || undefined, limit: 100 })}`
          : `/products${qs({ q: q || undefined, limit: 50 })}`,
      ),
  });
  const product = useQuery({
    queryKey: ['sku-picker-product', shopId, productId],
    enabled: !!productId,
    queryFn: () =>
      get<Product>(shopId ? `/seller/shops/${shopId}/products/${productId}` : `/products/${productId}`),
  });
  return (
    <>
      <Form.Item
        name="productId"
        label={t('promo.product')}
        rules={[{ required: true, message: t('form.required') }]}
      >
        <Select
          aria-label={t('promo.product')}
          showSearch
          filterOption={false}
          onSearch={setQ}
          loading={products.isFetching}
          options={(products.data?.items ?? []).map((p) => ({ value: p.id, label: p.title }))}
          onChange={() => form.setFieldValue('skuId', undefined)}
        />
      </Form.Item>
      <Form.Item
        name="skuId"
        label={t('promo.sku')}
        rules={[{ required: true, message: t('form.required') }]}
      >
        <Select
          aria-label={t('promo.sku')}
          loading={product.isFetching}
          options={(product.data?.skus ?? []).map((s) => ({
            value: s.id,
            label: `${s.code} · ${attrs(s.attributes)} · ${money(s.price)} · ${t('seller.available')} ${s.available}`,
          }))}
        />
      </Form.Item>
    </>
  );
}

function FunderFields({ form }: { form: FormInstance }) {
  const { t } = useTranslation();
  const funder = Form.useWatch('funder', form);
  return (
    <Space wrap>
      <Form.Item name="funder" label={t('promo.funder')}>
        <Radio.Group
          options={['platform', 'merchant', 'shared'].map((f) => ({
            value: f,
            label: t(`promo.funders.${f}`),
          }))}
        />
      </Form.Item>
      {funder === 'shared' && (
        <Form.Item
          name="platformShare"
          label={t('promo.platformShare')}
          rules={[{ required: true, message: t('form.required') }]}
        >
          <InputNumber aria-label={t('promo.platformShare')} min={1} max={99} suffix="%" />
        </Form.Item>
      )}
    </Space>
  );
}

function windowBody(w: [Dayjs, Dayjs]) {
  return { validFrom: w[0].toISOString(), validUntil: w[1].toISOString() };
}

// ---------------------------------------------------------------- create forms

function CouponModal({ shopId, onClose }: { shopId: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const kind = Form.useWatch('kind', form);
  const { busy, submit } = useSubmit(form, onClose);
  const finish = (v: {
    name: string;
    kind: 'amount' | 'percent';
    amount?: number;
    percentOff?: number;
    cap?: number;
    threshold?: number;
    window: [Dayjs, Dayjs];
    totalLimit: number;
    perBuyerLimit: number;
    audience: string;
    funder?: string;
    platformShare?: number;
  }) =>
    submit(() =>
      post(`${campaignBase(shopId)}/coupons`, {
        name: v.name,
        kind: v.kind,
        ...(v.kind === 'amount'
          ? { amount: yuanToFen(v.amount) }
          : {
              percentOffBp: Math.round((v.percentOff ?? 0) * 100),
              ...(v.cap ? { cap: yuanToFen(v.cap) } : {}),
            }),
        threshold: yuanToFen(v.threshold),
        ...windowBody(v.window),
        totalLimit: v.totalLimit,
        perBuyerLimit: v.perBuyerLimit,
        audience: v.audience,
        ...(shopId
          ? {}
          : {
              funder: v.funder,
              ...(v.funder === 'shared' ? { platformShareBp: Math.round((v.platformShare ?? 0) * 100) } : {}),
            }),
      }),
    );
  return (
    <Modal
      open
      title={t('promo.newCoupon')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={busy}
      okText={t('common.submit')}
      width={640}
    >
      <Form
        form={form}
        name="coupon"
        layout="vertical"
        onFinish={finish}
        initialValues={{
          kind: 'amount',
          window: defaultWindow(),
          totalLimit: 1000,
          perBuyerLimit: 1,
          audience: 'all',
          funder: 'platform',
          threshold: 0,
        }}
      >
        <Form.Item
          name="name"
          label={t('promo.name')}
          rules={[{ required: true, message: t('form.required') }]}
        >
          <Input maxLength={60} />
        </Form.Item>
        <Form.Item name="kind" label={t('promo.couponKind')}>
          <Radio.Group
            options={[
              { value: 'amount', label: t('promo.couponKinds.amount') },
              { value: 'percent', label: t('promo.couponKinds.percent') },
            ]}
          />
        </Form.Item>
        <Space wrap>
          {kind === 'percent' ? (
            <>
              <Form.Item
                name="percentOff"
                label={t('promo.percent')}
                rules={[{ required: true, message: t('form.required') }]}
              >
                <InputNumber aria-label={t('promo.percent')} min={1} max={99} suffix="%" />
              </Form.Item>
              <Form.Item name="cap" label={t('promo.cap')}>
                {yuanInput(t('promo.cap'))}
              </Form.Item>
            </>
          ) : (
            <Form.Item
              name="amount"
              label={t('promo.amount')}
              rules={[{ required: true, message: t('form.required') }]}
            >
              {yuanInput(t('promo.amount'))}
            </Form.Item>
          )}
          <Form.Item name="threshold" label={t('promo.minSpend')}>
            {yuanInput(t('promo.minSpend'), { min: 0 })}
          </Form.Item>
        </Space>
        <WindowField />
        <Space wrap>
          <Form.Item
            name="totalLimit"
            label={t('promo.totalLimit')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <InputNumber aria-label={t('promo.totalLimit')} min={1} />
          </Form.Item>
          <Form.Item
            name="perBuyerLimit"
            label={t('promo.perBuyerLimit')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <InputNumber aria-label={t('promo.perBuyerLimit')} min={1} max={100} />
          </Form.Item>
          <Form.Item name="audience" label={t('promo.audience')}>
            <Select
              aria-label={t('promo.audience')}
              style={{ width: 160 }}
              options={['all', 'new_buyers'].map((a) => ({ value: a, label: t(`promo.audiences.${a}`) }))}
            />
          </Form.Item>
        </Space>
        {!shopId && <FunderFields form={form} />}
      </Form>
    </Modal>
  );
}

function FullReductionModal({ shopId, onClose }: { shopId: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const { busy, submit } = useSubmit(form, onClose);
  const finish = (v: {
    name: string;
    mode: 'tiered' | 'every';
    tiers: { threshold: number; off: number }[];
    cap?: number;
    window: [Dayjs, Dayjs];
    funder?: string;
    platformShare?: number;
    shopIds?: string;
  }) =>
    submit(() =>
      post(`${campaignBase(shopId)}/full-reductions`, {
        name: v.name,
        mode: v.mode,
        tiers: v.tiers.map((x) => ({ threshold: yuanToFen(x.threshold), off: yuanToFen(x.off) })),
        ...(v.cap ? { cap: yuanToFen(v.cap) } : {}),
        ...windowBody(v.window),
        ...(shopId
          ? {}
          : {
              funder: v.funder,
              ...(v.funder === 'shared' ? { platformShareBp: Math.round((v.platformShare ?? 0) * 100) } : {}),
              ...(v.shopIds?.trim()
                ? { shopIds: [...new Set(v.shopIds.split(/[\s,，]+/).filter(Boolean))] }
                : {}),
            }),
      }),
    );
  return (
    <Modal
      open
      title={t('promo.newFullReduction')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={busy}
      okText={t('common.submit')}
      width={640}
    >
      <Form
        form={form}
        name="full-reduction"
        layout="vertical"
        onFinish={finish}
        initialValues={{
          mode: 'tiered',
          tiers: [{ threshold: undefined, off: undefined }],
          window: defaultWindow(),
          funder: 'platform',
        }}
      >
        <Form.Item
          name="name"
          label={t('promo.name')}
          rules={[{ required: true, message: t('form.required') }]}
        >
          <Input maxLength={60} />
        </Form.Item>
        <Form.Item name="mode" label={t('promo.mode')}>
          <Radio.Group
            options={[
              { value: 'tiered', label: t('promo.modes.tiered') },
              { value: 'every', label: t('promo.modes.every') },
            ]}
          />
        </Form.Item>
        <Typography.Paragraph strong style={{ marginBottom: 8 }}>
          {t('promo.tiers')}
        </Typography.Paragraph>
        <Form.List name="tiers">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field, i) => (
                <Space key={field.key} wrap align="baseline" data-testid="tier-row">
                  <Form.Item
                    name={[field.name, 'threshold']}
                    label={t('promo.tierThreshold')}
                    rules={[{ required: true, message: t('form.required') }]}
                  >
                    {yuanInput(`${t('promo.tierThreshold')} ${i + 1}`)}
                  </Form.Item>
                  <Form.Item
                    name={[field.name, 'off']}
                    label={t('promo.tierOff')}
                    rules={[{ required: true, message: t('form.required') }]}
                  >
                    {yuanInput(`${t('promo.tierOff')} ${i + 1}`)}
                  </Form.Item>
                  {fields.length > 1 && (
                    <MinusCircleOutlined aria-label={t('common.remove')} onClick={() => remove(field.name)} />
                  )}
                </Space>
              ))}
              {fields.length < 10 && (
                <Button
                  type="dashed"
                  onClick={() => add()}
                  icon={<PlusOutlined />}
                  block
                  style={{ marginBottom: 12 }}
                >
                  {t('promo.addTier')}
                </Button>
              )}
            </>
          )}
        </Form.List>
        <Form.Item name="cap" label={t('promo.cap')}>
          {yuanInput(t('promo.cap'))}
        </Form.Item>
        <WindowField />
        {!shopId && (
          <>
            <FunderFields form={form} />
            <Form.Item name="shopIds" label={t('promo.shopIds')} extra={t('promo.shopIdsHint')}>
              <Input.TextArea rows={2} />
            </Form.Item>
          </>
        )}
      </Form>
    </Modal>
  );
}

function TimedDiscountModal({ shopId, onClose }: { shopId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const { busy, submit } = useSubmit(form, onClose);
  return (
    <Modal
      open
      title={t('promo.newTimedDiscount')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={busy}
      okText={t('common.submit')}
      width={640}
    >
      <Form
        form={form}
        name="timed-discount"
        layout="vertical"
        initialValues={{ window: defaultWindow() }}
        onFinish={(v: { skuId: string; unitPrice: number; window: [Dayjs, Dayjs] }) =>
          submit(() =>
            post(`/seller/shops/${shopId}/timed-discounts`, {
              skuId: v.skuId,
              unitPrice: yuanToFen(v.unitPrice),
              ...windowBody(v.window),
            }),
          )
        }
      >
        <SkuPicker form={form} shopId={shopId} />
        <Form.Item
          name="unitPrice"
          label={t('promo.unitPrice')}
          rules={[{ required: true, message: t('form.required') }]}
        >
          {yuanInput(t('promo.unitPrice'))}
        </Form.Item>
        <WindowField />
      </Form>
    </Modal>
  );
}

function SubsidyModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const { busy, submit } = useSubmit(form, onClose);
  return (
    <Modal
      open
      title={t('promo.newSubsidy')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={busy}
      okText={t('common.submit')}
      width={640}
    >
      <Form
        form={form}
        name="subsidy"
        layout="vertical"
        initialValues={{ window: defaultWindow() }}
        onFinish={(v: { skuId: string; perUnit: number; budget: number; window: [Dayjs, Dayjs] }) =>
          submit(() =>
            post('/admin/subsidies', {
              skuId: v.skuId,
              perUnit: yuanToFen(v.perUnit),
              budget: yuanToFen(v.budget),
              ...windowBody(v.window),
            }),
          )
        }
      >
        <SkuPicker form={form} shopId={null} />
        <Space wrap>
          <Form.Item
            name="perUnit"
            label={t('promo.perUnit')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            {yuanInput(t('promo.perUnit'))}
          </Form.Item>
          <Form.Item
            name="budget"
            label={t('promo.budget')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            {yuanInput(t('promo.budget'))}
          </Form.Item>
        </Space>
        <WindowField />
      </Form>
    </Modal>
  );
}

function FlashSaleModal({ shopId, onClose }: { shopId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const { busy, submit } = useSubmit(form, onClose);
  // A sale must start in the future: ten minutes from now, for two hours, unless changed.
  const start = dayjs().add(10, 'minute').startOf('minute');
  return (
    <Modal
      open
      title={t('promo.newFlashSale')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={busy}
      okText={t('common.submit')}
      width={640}
    >
      <Form
        form={form}
        name="flash-sale"
        layout="vertical"
        initialValues={{ window: [start, start.add(2, 'hour')], quota: 10, perBuyerLimit: 1 }}
        onFinish={(v: {
          skuId: string;
          flashPrice: number;
          quota: number;
          perBuyerLimit: number;
          window: [Dayjs, Dayjs];
        }) =>
          submit(() =>
            post(`/seller/shops/${shopId}/flash-sales`, {
              skuId: v.skuId,
              flashPrice: yuanToFen(v.flashPrice),
              quota: v.quota,
              perBuyerLimit: v.perBuyerLimit,
              startsAt: v.window[0].toISOString(),
              endsAt: v.window[1].toISOString(),
            }),
          )
        }
      >
        <SkuPicker form={form} shopId={shopId} />
        <Space wrap>
          <Form.Item
            name="flashPrice"
            label={t('promo.flashPrice')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            {yuanInput(t('promo.flashPrice'))}
          </Form.Item>
          <Form.Item
            name="quota"
            label={t('promo.quota')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <InputNumber aria-label={t('promo.quota')} min={1} />
          </Form.Item>
          <Form.Item
            name="perBuyerLimit"
            label={t('promo.perBuyerLimit')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <InputNumber aria-label={t('promo.perBuyerLimit')} min={1} max={99} />
          </Form.Item>
        </Space>
        <WindowField label={t('promo.flashWindow')} />
      </Form>
    </Modal>
  );
}

// ---------------------------------------------------------------- lists

interface Report {
  orders: number;
  discount: number;
  merchantFunded: number;
  platformFunded: number;
}

function ReportModal({
  shopId,
  kind,
  id,
  name,
  onClose,
}: {
  shopId: string | null;
  kind: CampaignKind;
  id: string;
  name: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const report = useQuery({
    queryKey: ['promotion-report', shopId, kind, id],
    queryFn: () =>
      get<Report>(
        shopId
          ? `/seller/shops/${shopId}/promotions/${kind}/${id}/report`
          : `/admin/promotions/${kind}/${id}/report`,
      ),
  });
  return (
    <Modal open title={`${t('promo.report')} · ${name}`} onCancel={onClose} footer={null}>
      <QueryState query={report}>
        {(r) => (
          <Space wrap size="large" data-testid="promotion-report">
            <Statistic title={t('promo.reportOrders')} value={r.orders} />
            <Statistic title={t('promo.reportDiscount')} value={money(r.discount)} />
            <Statistic title={t('promo.funders.merchant')} value={money(r.merchantFunded)} />
            <Statistic title={t('promo.funders.platform')} value={money(r.platformFunded)} />
          </Space>
        )}
      </QueryState>
    </Modal>
  );
}

/** Pause / resume and report buttons of one campaign row. */
function CampaignActions({
  shopId,
  kind,
  row,
  name,
  onReport,
}: {
  shopId: string | null;
  kind: CampaignKind;
  row: { id: string; status: string };
  name: string;
  onReport: (r: { kind: CampaignKind; id: string; name: string }) => void;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const base = shopId ? `/seller/shops/${shopId}/promotions` : '/admin/promotions';
  const flip = async () => {
    try {
      await post(`${base}/${kind}/${row.id}/${row.status === 'active' ? 'pause' : 'resume'}`);
      await qc.invalidateQueries({ queryKey: ['promotions', shopId] });
    } catch (err) {
      showError(err);
    }
  };
  return (
    <Space>
      <Button size="small" onClick={flip}>
        {row.status === 'active' ? t('promo.pause') : t('promo.resume')}
      </Button>
      <Button size="small" onClick={() => onReport({ kind, id: row.id, name })}>
        {t('promo.report')}
      </Button>
    </Space>
  );
}

const statusColumn = (t: (k: string) => string) => ({
  title: t('common.status'),
  dataIndex: 'status',
  render: (v: string) => <StatusTag status={v} />,
});

function CampaignTabs({
  shopId,
  extraTabs,
}: {
  shopId: string | null;
  extraTabs?: { key: string; label: string; children: ReactNode }[];
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [creating, setCreating] = useState<CampaignKind | null>(null);
  const [report, setReport] = useState<{ kind: CampaignKind; id: string; name: string } | null>(null);
  const campaigns = useQuery({
    queryKey: ['promotions', shopId],
    queryFn: () => get<Campaigns>(shopId ? `/seller/shops/${shopId}/promotions` : '/admin/promotions'),
  });
  const close = () => {
    setCreating(null);
    void qc.invalidateQueries({ queryKey: ['promotions', shopId] });
  };
  const actions = (kind: CampaignKind, name: (r: { id: string }) => string) => ({
    title: '',
    key: 'actions',
    render: (_: unknown, r: { id: string; status: string }) => (
      <CampaignActions shopId={shopId} kind={kind} row={r} name={name(r)} onReport={setReport} />
    ),
  });
  const windowColumn = {
    title: t('promo.window'),
    key: 'window',
    render: (_: unknown, r: { validFrom: string; validUntil: string }) =>
      windowText(r.validFrom, r.validUntil),
  };
  const newButton = (kind: CampaignKind, label: string) => (
    <Button
      type="primary"
      icon={<PlusOutlined />}
      onClick={() => setCreating(kind)}
      style={{ marginBottom: 12 }}
    >
      {label}
    </Button>
  );
  const tabs = (c: Campaigns) => [
    {
      key: 'coupons',
      label: t('promo.coupons'),
      children: (
        <>
          {newButton('coupon', t('promo.newCoupon'))}
          <div data-testid="coupon-table">
            <Table
              rowKey="id"
              size="small"
              dataSource={c.coupons}
              scroll={{ x: true }}
              pagination={{ pageSize: 20, hideOnSinglePage: true }}
              columns={[
                { title: t('promo.name'), dataIndex: 'name' },
                {
                  title: t('promo.value'),
                  key: 'value',
                  render: (_: unknown, r: CouponOffer) => couponValue(r),
                },
                windowColumn,
                {
                  title: t('promo.claimedUsed'),
                  key: 'claimed',
                  render: (_: unknown, r: CouponOffer) => `${r.claimed} / ${r.used} / ${r.totalLimit}`,
                },
                {
                  title: t('promo.audience'),
                  dataIndex: 'audience',
                  render: (v: string) => t(`promo.audiences.${v}`),
                },
                {
                  title: t('promo.funder'),
                  dataIndex: 'funder',
                  render: (v: string) => t(`promo.funders.${v}`),
                },
                statusColumn(t),
                actions('coupon', (r) => (r as CouponOffer).name),
              ]}
            />
          </div>
        </>
      ),
    },
    {
      key: 'full-reductions',
      label: t('promo.fullReductions'),
      children: (
        <>
          {newButton('full_reduction', t('promo.newFullReduction'))}
          <Table
            rowKey="id"
            size="small"
            dataSource={c.fullReductions}
            scroll={{ x: true }}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              { title: t('promo.name'), dataIndex: 'name' },
              {
                title: t('promo.tiers'),
                key: 'tiers',
                render: (_: unknown, r: FullReduction) => tiersText(r),
              },
              windowColumn,
              ...(shopId
                ? []
                : [
                    {
                      title: t('promo.shops'),
                      key: 'shops',
                      render: (_: unknown, r: FullReduction) =>
                        r.shopIds.length ? r.shopIds.length : t('promo.allShops'),
                    },
                  ]),
              {
                title: t('promo.funder'),
                dataIndex: 'funder',
                render: (v: string) => t(`promo.funders.${v}`),
              },
              statusColumn(t),
              actions('full_reduction', (r) => (r as FullReduction).name),
            ]}
          />
        </>
      ),
    },
    ...(shopId
      ? [
          {
            key: 'timed-discounts',
            label: t('promo.timedDiscounts'),
            children: (
              <>
                {newButton('timed_discount', t('promo.newTimedDiscount'))}
                <Table
                  rowKey="id"
                  size="small"
                  dataSource={c.timedDiscounts}
                  scroll={{ x: true }}
                  pagination={{ pageSize: 20, hideOnSinglePage: true }}
                  columns={[
                    { title: t('promo.sku'), dataIndex: 'skuId' },
                    { title: t('promo.unitPrice'), dataIndex: 'unitPrice', render: (v: number) => money(v) },
                    windowColumn,
                    statusColumn(t),
                    actions('timed_discount', (r) => (r as TimedDiscount).skuId),
                  ]}
                />
              </>
            ),
          },
        ]
      : [
          {
            key: 'subsidies',
            label: t('promo.subsidies'),
            children: (
              <>
                {newButton('subsidy', t('promo.newSubsidy'))}
                <Table
                  rowKey="id"
                  size="small"
                  dataSource={c.subsidies}
                  scroll={{ x: true }}
                  pagination={{ pageSize: 20, hideOnSinglePage: true }}
                  columns={[
                    { title: t('promo.sku'), dataIndex: 'skuId' },
                    { title: t('promo.perUnit'), dataIndex: 'perUnit', render: (v: number) => money(v) },
                    {
                      title: t('promo.budgetUsed'),
                      key: 'budget',
                      render: (_: unknown, r: Subsidy) => `${money(r.committed)} / ${money(r.budget)}`,
                    },
                    windowColumn,
                    statusColumn(t),
                    actions('subsidy', (r) => (r as Subsidy).skuId),
                  ]}
                />
              </>
            ),
          },
        ]),
    ...(extraTabs ?? []),
  ];
  return (
    <>
      <QueryState query={campaigns}>{(c) => <Tabs items={tabs(c)} destroyOnHidden />}</QueryState>
      {creating === 'coupon' && <CouponModal shopId={shopId} onClose={close} />}
      {creating === 'full_reduction' && <FullReductionModal shopId={shopId} onClose={close} />}
      {creating === 'timed_discount' && shopId && <TimedDiscountModal shopId={shopId} onClose={close} />}
      {creating === 'subsidy' && <SubsidyModal onClose={close} />}
      {report && <ReportModal shopId={shopId} {...report} onClose={() => setReport(null)} />}
    </>
  );
}

/** A product's title: the merchant's own view (any status) or the storefront's. */
function ProductName({ productId, shopId }: { productId: string; shopId?: string }) {
  const product = useQuery({
    queryKey: shopId ? ['seller-product', shopId, productId] : ['product', productId],
    queryFn: () =>
      get<Product>(shopId ? `/seller/shops/${shopId}/products/${productId}` : `/products/${productId}`),
    staleTime: 60_000,
  });
  return <>{product.data?.title ?? productId}</>;
}

/** A list of flash sales, newest first, paged with "more"; actions for the merchant's own. */
function FlashSaleTable({ path, shopId, showShop }: { path: string; shopId?: string; showShop?: boolean }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const sales = useInfiniteQuery({
    queryKey: ['flash-sales-console', path],
    queryFn: ({ pageParam }) =>
      get<Page<FlashSale>>(
        `${path}${path.includes('?') ? '&' : '?'}${qs({ cursor: pageParam, limit: 20 }).slice(1)}`,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const flip = async (s: FlashSale) => {
    try {
      await post(`/seller/shops/${shopId}/flash-sales/${s.id}/${s.status === 'paused' ? 'resume' : 'pause'}`);
      await qc.invalidateQueries({ queryKey: ['flash-sales-console', path] });
    } catch (err) {
      showError(err);
    }
  };
  // An infinite query has the states QueryState reads (pending, error, refetch).
  const state = sales as unknown as UseQueryResult<InfiniteData<Page<FlashSale>>>;
  return (
    <QueryState query={state} empty={(d) => d.pages.every((p) => p.items.length === 0)}>
      {(d) => (
        <>
          <div data-testid="flash-sale-table">
            <Table
              rowKey="id"
              size="small"
              dataSource={d.pages.flatMap((p) => p.items)}
              scroll={{ x: true }}
              pagination={false}
              columns={[
                ...(showShop
                  ? [
                      {
                        title: t('promo.shop'),
                        dataIndex: 'shopId',
                        render: (v: string) => <Link to={`/shops/${v}`}>{v}</Link>,
                      },
                    ]
                  : []),
                {
                  title: t('promo.product'),
                  dataIndex: 'productId',
                  render: (v: string, s: FlashSale) => (
                    <Link to={`/flash-sales/${s.id}`}>
                      <ProductName productId={v} shopId={shopId} />
                    </Link>
                  ),
                },
                {
                  title: t('promo.flashPrice'),
                  key: 'price',
                  render: (_: unknown, s: FlashSale) => (
                    <span>
                      <span className="price">{money(s.flashPrice)}</span>{' '}
                      <Typography.Text delete type="secondary">
                        {money(s.listPrice)}
                      </Typography.Text>
                    </span>
                  ),
                },
                {
                  title: t('promo.soldOfQuota'),
                  key: 'sold',
                  render: (_: unknown, s: FlashSale) => `${s.sold ?? 0} / ${s.claimed ?? 0} / ${s.quota}`,
                },
                { title: t('promo.remaining'), dataIndex: 'remaining' },
                { title: t('promo.perBuyerLimit'), dataIndex: 'perBuyerLimit' },
                {
                  title: t('promo.flashWindow'),
                  key: 'window',
                  render: (_: unknown, s: FlashSale) => windowText(s.startsAt, s.endsAt),
                },
                {
                  title: t('common.status'),
                  dataIndex: 'phase',
                  render: (v: string) => <StatusTag status={v} />,
                },
                ...(shopId
                  ? [
                      {
                        title: '',
                        key: 'actions',
                        render: (_: unknown, s: FlashSale) =>
                          s.phase !== 'ended' && (
                            <Button size="small" onClick={() => flip(s)}>
                              {s.status === 'paused' ? t('promo.resume') : t('promo.pause')}
                            </Button>
                          ),
                      },
                    ]
                  : []),
              ]}
            />
          </div>
          {sales.hasNextPage && (
            <div style={{ textAlign: 'center', marginTop: 12 }}>
              <Button onClick={() => sales.fetchNextPage()} loading={sales.isFetchingNextPage}>
                {t('common.more')}
              </Button>
            </div>
          )}
        </>
      )}
    </QueryState>
  );
}

function SellerFlashSales({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [creating, setCreating] = useState(false);
  return (
    <>
      <Button
        type="primary"
        icon={<PlusOutlined />}
        onClick={() => setCreating(true)}
        style={{ marginBottom: 12 }}
      >
        {t('promo.newFlashSale')}
      </Button>
      <FlashSaleTable path={`/seller/shops/${shopId}/flash-sales`} shopId={shopId} />
      {creating && (
        <FlashSaleModal
          shopId={shopId}
          onClose={() => {
            setCreating(false);
            void qc.invalidateQueries({ queryKey: ['flash-sales-console'] });
          }}
        />
      )}
    </>
  );
}

// ---------------------------------------------------------------- pages

export function SellerPromotions() {
  const { t } = useTranslation();
  return (
    <WithShop>
      {(shopId) => (
        <Card size="small" title={t('promo.title')}>
          <CampaignTabs
            key={shopId}
            shopId={shopId}
            extraTabs={[
              {
                key: 'flash-sales',
                label: t('promo.flashSales'),
                children: <SellerFlashSales shopId={shopId} />,
              },
            ]}
          />
        </Card>
      )}
    </WithShop>
  );
}

export function AdminPromotions() {
  const { t } = useTranslation();
  return (
    <Card size="small" title={t('promo.platformTitle')}>
      <CampaignTabs shopId={null} />
    </Card>
  );
}

export function AdminFlashSales() {
  const { t } = useTranslation();
  const [shopId, setShopId] = useState('');
  return (
    <Card size="small" title={t('promo.flashSales')}>
      <Input.Search
        allowClear
        aria-label={t('promo.shopId')}
        placeholder={t('promo.shopId')}
        style={{ maxWidth: 320, marginBottom: 12 }}
        onSearch={(v) => setShopId(v.trim())}
      />
      <FlashSaleTable path={`/admin/flash-sales${qs({ shopId: shopId || undefined })}`} showShop />
    </Card>
  );
}
