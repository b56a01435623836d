import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  TreeSelect,
  Typography,
} from 'antd';
import { BarChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { api, get, type Page, post, qs } from '../api';
import { RequireAuth } from '../auth';
import { attrs, categoryName, dateTime, money, timeLeft } from '../format';
import i18n from '../i18n';
import type {
  Application,
  Category,
  Complaint,
  Order,
  Product,
  ProductCard,
  Refund,
  ShopRef,
  Warehouse,
} from '../types';
import { QueryState, StatusTag, showError, yuanToFen } from '../ui';
import { ProductCsvTools, ProductEditor } from './catalog-tools';
import { ComplaintTable, Deadline } from './orders';
import { useCategories } from './store';

echarts.use([BarChart, PieChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

const ShopContext = createContext<{ shop: ShopRef | null; shops: ShopRef[] }>({ shop: null, shops: [] });
const useShop = () => useContext(ShopContext);
const SHOP_KEY = 'jishi_seller_shop';

/** Signed in, with the shops the account works for; the chosen one for every console page. */
export function SellerShell({ children }: { children: (extra: ReactNode) => ReactNode }) {
  return <RequireAuth>{(me) => <ShopChooser shops={me.shops ?? []}>{children}</ShopChooser>}</RequireAuth>;
}

function ShopChooser({ shops, children }: { shops: ShopRef[]; children: (extra: ReactNode) => ReactNode }) {
  const { t } = useTranslation();
  const [chosen, setChosen] = useState(() => localStorage.getItem(SHOP_KEY));
  const shop = shops.find((s) => s.id === chosen) ?? shops[0] ?? null;
  const extra = shops.length > 0 && (
    <Select
      aria-label={t('seller.shop')}
      size="small"
      style={{ minWidth: 160 }}
      value={shop?.id}
      options={shops.map((s) => ({ value: s.id, label: s.name }))}
      onChange={(id) => {
        localStorage.setItem(SHOP_KEY, id);
        setChosen(id);
      }}
    />
  );
  return <ShopContext.Provider value={{ shop, shops }}>{children(extra)}</ShopContext.Provider>;
}

/** The console page for the chosen shop, or the way to open one. */
export function WithShop({ children }: { children: (shopId: string) => ReactNode }) {
  const { shop } = useShop();
  if (!shop) return <SellerApply />;
  return <>{children(shop.id)}</>;
}

// ---------------------------------------------------------------- applications

export function SellerApply() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const kind = Form.useWatch('kind', form);
  const applications = useQuery({
    queryKey: ['my-applications'],
    queryFn: () => get<Page<Application>>('/merchant/applications'),
    refetchInterval: (q) => (q.state.data?.items.some((a) => a.status === 'pending') ? 5000 : false),
  });
  const submit = async (v: Record<string, string>) => {
    setBusy(true);
    try {
      const body: Record<string, string> = {
        kind: v.kind as string,
        shopName: v.shopName as string,
        realName: v.realName as string,
        idNumber: v.idNumber as string,
        depositPlan: v.depositPlan as string,
      };
      if (v.kind === 'mall')
        Object.assign(body, {
          brandName: v.brandName,
          trademarkNo: v.trademarkNo,
          mallType: v.mallType,
          trademarkStatus: v.trademarkStatus,
        });
      const a = await post<Application>('/merchant/applications', body);
      form.resetFields();
      await qc.invalidateQueries({ queryKey: ['my-applications'] });
      // A market shop opens at once: the account now works for it.
      if (a.shopId) {
        localStorage.setItem(SHOP_KEY, a.shopId);
        await qc.invalidateQueries({ queryKey: ['me'] });
      }
    } catch (err) {
      showError(err, form);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Row gutter={[16, 16]}>
      <Col span={24} style={{ paddingBottom: 0 }}>
        <MyInvitations />
      </Col>
      <Col xs={24} lg={12}>
        <Card title={t('seller.applyTitle')}>
          <Form
            form={form}
            layout="vertical"
            onFinish={submit}
            initialValues={{
              kind: 'market',
              depositPlan: 'deposit',
              mallType: 'flagship',
              trademarkStatus: 'R',
            }}
          >
            <Form.Item name="kind" label={t('seller.shopKind')}>
              <Radio.Group>
                <Radio value="market">{t('shop.kind.market')}</Radio>
                <Radio value="mall">{t('shop.kind.mall')}</Radio>
              </Radio.Group>
            </Form.Item>
            <Form.Item
              name="shopName"
              label={t('seller.shopName')}
              rules={[{ required: true, min: 2, max: 60, message: t('form.between', { min: 2, max: 60 }) }]}
            >
              <Input />
            </Form.Item>
            <Form.Item
              name="realName"
              label={t('seller.realName')}
              rules={[{ required: true, message: t('form.required') }]}
            >
              <Input autoComplete="name" />
            </Form.Item>
            <Form.Item
              name="idNumber"
              label={t('seller.idNumber')}
              rules={[
                { required: true, message: t('form.required') },
                { pattern: /^\d{17}[\dXx]$/, message: t('seller.idNumberFormat') },
              ]}
            >
              <Input maxLength={18} />
            </Form.Item>
            {kind === 'mall' && (
              <>
                <Form.Item
                  name="brandName"
                  label={t('seller.brandName')}
                  rules={[{ required: true, message: t('form.required') }]}
                >
                  <Input />
                </Form.Item>
                <Form.Item
                  name="trademarkNo"
                  label={t('seller.trademarkNo')}
                  rules={[{ required: true, message: t('form.required') }]}
                >
                  <Input />
                </Form.Item>
                <Form.Item name="mallType" label={t('seller.mallType')}>
                  <Select
                    options={['flagship', 'specialty', 'franchise'].map((v) => ({
                      value: v,
                      label: t(`seller.mallTypes.${v}`),
                    }))}
                  />
                </Form.Item>
                <Form.Item name="trademarkStatus" label={t('seller.trademarkStatus')}>
                  <Radio.Group
                    options={[
                      { value: 'R', label: '®' },
                      { value: 'TM', label: '™' },
                    ]}
                  />
                </Form.Item>
              </>
            )}
            <Form.Item name="depositPlan" label={t('seller.depositPlan')}>
              <Radio.Group>
                <Radio value="deposit">{t('seller.depositPlans.deposit')}</Radio>
                <Radio value="insurance">{t('seller.depositPlans.insurance')}</Radio>
              </Radio.Group>
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={busy}>
              {t('seller.submitApplication')}
            </Button>
          </Form>
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title={t('seller.myApplications')}>
          <QueryState query={applications} empty={(a) => a.items.length === 0}>
            {(a) => (
              <Table
                rowKey="id"
                size="small"
                pagination={false}
                dataSource={a.items}
                scroll={{ x: true }}
                columns={[
                  { title: t('seller.shopName'), dataIndex: 'shopName' },
                  {
                    title: t('seller.shopKind'),
                    dataIndex: 'kind',
                    render: (v: string) => t(`shop.kind.${v}`),
                  },
                  {
                    title: t('common.status'),
                    dataIndex: 'status',
                    render: (v: string) => <StatusTag status={v} />,
                  },
                  { title: t('seller.rejectReason'), dataIndex: 'rejectReason' },
                  {
                    title: t('complaint.createdAt'),
                    dataIndex: 'createdAt',
                    render: (v: string) => dateTime(v),
                  },
                ]}
              />
            )}
          </QueryState>
        </Card>
      </Col>
    </Row>
  );
}

// ---------------------------------------------------------------- dashboard

function Chart({
  option,
  height = 260,
  label,
}: {
  option: echarts.EChartsCoreOption;
  height?: number;
  label: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current);
    chart.setOption(option);
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [option]);
  return (
    <div ref={ref} role="img" aria-label={label} style={{ width: '100%', height }} data-testid="chart" />
  );
}

interface SellerShop {
  id: string;
  name: string;
  kind: string;
  status: string;
  tier: string | null;
  deposit: { plan: string; status: string; amount: number; insuredUntil: string | null };
  penaltyPoints: number;
  rating: number | null;
  role: string;
}

export function SellerDashboard() {
  return <WithShop>{(shopId) => <Dashboard shopId={shopId} />}</WithShop>;
}

function Dashboard({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const shop = useQuery({
    queryKey: ['seller-shop', shopId],
    queryFn: () => get<SellerShop>(`/seller/shops/${shopId}`),
  });
  const stats = useQuery({
    queryKey: ['seller-stats', shopId],
    queryFn: () =>
      get<{ days: number; due: number; onTime: number; late: number; onTimeRate: number | null }>(
        `/seller/shops/${shopId}/orders/stats`,
      ),
  });
  const orders = useQuery({
    queryKey: ['seller-orders-chart', shopId],
    queryFn: () => get<Page<Order>>(`/seller/shops/${shopId}/orders?limit=100`),
  });
  const refunds = useQuery({
    queryKey: ['seller-refunds-count', shopId],
    queryFn: () => get<Page<Refund>>(`/seller/shops/${shopId}/refunds?limit=100`),
  });
  const salesOption = useMemo(() => {
    // Paid orders of the last 14 days by day (the viewer's calendar).
    const days: string[] = [];
    const now = new Date();
    for (let i = 13; i >= 0; i--) {
      const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i);
      days.push(`${d.getMonth() + 1}/${d.getDate()}`);
    }
    const sales = new Map(days.map((d) => [d, 0]));
    const count = new Map(days.map((d) => [d, 0]));
    for (const o of orders.data?.items ?? []) {
      if (!o.paidAt) continue;
      const d = new Date(o.paidAt);
      const key = `${d.getMonth() + 1}/${d.getDate()}`;
      if (sales.has(key)) {
        sales.set(key, (sales.get(key) ?? 0) + o.total / 100);
        count.set(key, (count.get(key) ?? 0) + 1);
      }
    }
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: [t('seller.chart.sales'), t('seller.chart.orders')] },
      grid: { left: 56, right: 40, top: 48, bottom: 28 },
      xAxis: { type: 'category', data: days },
      yAxis: [
        { type: 'value', name: '¥' },
        { type: 'value', minInterval: 1 },
      ],
      series: [
        {
          name: t('seller.chart.sales'),
          type: 'bar',
          data: days.map((d) => Number((sales.get(d) ?? 0).toFixed(2))),
          itemStyle: { color: '#ff5000' },
        },
        {
          name: t('seller.chart.orders'),
          type: 'bar',
          yAxisIndex: 1,
          data: days.map((d) => count.get(d) ?? 0),
          itemStyle: { color: '#1677ff' },
        },
      ],
    };
  }, [orders.data, t]);
  const statusOption = useMemo(() => {
    const by = new Map<string, number>();
    for (const o of orders.data?.items ?? []) by.set(o.status, (by.get(o.status) ?? 0) + 1);
    return {
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'pie',
          radius: ['40%', '70%'],
          data: [...by].map(([k, v]) => ({ name: t(`status.${k}`), value: v })),
        },
      ],
    };
  }, [orders.data, t]);
  const orderCount = orders.data?.items.length ?? 0;
  const refundCount = refunds.data?.items.length ?? 0;
  const payDeposit = async () => {
    try {
      await post(`/seller/shops/${shopId}/deposit`);
      await qc.invalidateQueries({ queryKey: ['seller-shop', shopId] });
    } catch (err) {
      showError(err);
    }
  };
  return (
    <QueryState query={shop}>
      {(s) => (
        <>
          <Card size="small" style={{ marginBottom: 12 }}>
            <Space wrap size="large">
              <Typography.Title level={4} style={{ margin: 0 }}>
                {s.name}
              </Typography.Title>
              <Tag color={s.kind === 'mall' ? 'red' : 'blue'}>{t(`shop.kind.${s.kind}`)}</Tag>
              <Tag>{t(`seller.roles.${s.role}`, { defaultValue: s.role })}</Tag>
              <Link to={`/shops/${s.id}`}>{t('seller.viewStorefront')}</Link>
            </Space>
            <Descriptions size="small" column={{ xs: 1, sm: 2, md: 4 }} style={{ marginTop: 12 }}>
              <Descriptions.Item label={t('seller.deposit')}>
                {t(`seller.depositPlans.${s.deposit.plan}`)} ·{' '}
                {t(`seller.depositStatus.${s.deposit.status}`, { defaultValue: s.deposit.status })} ·{' '}
                {money(s.deposit.amount)}
                {s.deposit.status === 'unpaid' && s.role === 'owner' && (
                  <Button size="small" type="link" onClick={payDeposit}>
                    {t('seller.payDeposit')}
                  </Button>
                )}
              </Descriptions.Item>
              <Descriptions.Item label={t('complaint.penaltyPoints')}>{s.penaltyPoints}</Descriptions.Item>
              <Descriptions.Item label={t('seller.rating')}>{s.rating ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('seller.tier')}>{s.tier ?? '—'}</Descriptions.Item>
            </Descriptions>
          </Card>
          <Row gutter={[12, 12]} style={{ marginBottom: 12 }}>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic
                  title={t('seller.stats.onTimeRate')}
                  value={
                    stats.data?.onTimeRate == null ? '—' : `${(stats.data.onTimeRate * 100).toFixed(1)}%`
                  }
                />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic title={t('seller.stats.late')} value={stats.data?.late ?? '—'} />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic title={t('seller.stats.orders')} value={orderCount} />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic
                  title={t('seller.stats.refundRate')}
                  value={orderCount ? `${((refundCount / orderCount) * 100).toFixed(1)}%` : '—'}
                />
              </Card>
            </Col>
          </Row>
          <Row gutter={[12, 12]}>
            <Col xs={24} lg={16}>
              <Card size="small" title={t('seller.chart.title')}>
                <Chart option={salesOption} label={t('seller.chart.title')} />
              </Card>
            </Col>
            <Col xs={24} lg={8}>
              <Card size="small" title={t('seller.chart.byStatus')}>
                <Chart option={statusOption} label={t('seller.chart.byStatus')} />
              </Card>
            </Col>
          </Row>
        </>
      )}
    </QueryState>
  );
}

// ---------------------------------------------------------------- products

interface TreeNode {
  value: string;
  title: string;
  selectable: boolean;
  children: TreeNode[];
}

export function leafTree(items: Category[]): TreeNode[] {
  return items.map((c) => ({
    value: c.id,
    title: categoryName(c),
    selectable: c.children.length === 0,
    children: leafTree(c.children),
  }));
}

export function SellerProducts() {
  return <WithShop>{(shopId) => <Products shopId={shopId} />}</WithShop>;
}

function Products({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [status, setStatus] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [stockFor, setStockFor] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const { shop } = useShop();
  const products = useQuery({
    queryKey: ['seller-products', shopId, status],
    queryFn: () => get<Page<ProductCard>>(`/seller/shops/${shopId}/products${qs({ status, limit: 100 })}`),
  });
  const warehouses = useQuery({
    queryKey: ['warehouses', shopId],
    queryFn: () => get<Page<Warehouse>>(`/seller/shops/${shopId}/warehouses`),
  });
  const act = async (path: string) => {
    try {
      await post(path);
      await qc.invalidateQueries({ queryKey: ['seller-products', shopId] });
    } catch (err) {
      showError(err);
    }
  };
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
          {t('seller.newProduct')}
        </Button>
        <Select
          allowClear
          aria-label={t('common.status')}
          placeholder={t('common.status')}
          style={{ width: 140 }}
          value={status}
          onChange={setStatus}
          options={['draft', 'published', 'delisted'].map((s) => ({ value: s, label: t(`status.${s}`) }))}
        />
      </Space>
      <Warehouses shopId={shopId} warehouses={warehouses.data?.items ?? []} />
      <ProductCsvTools
        shopId={shopId}
        shopName={shop?.name ?? shopId}
        warehouses={warehouses.data?.items ?? []}
      />
      <QueryState query={products} empty={(p) => p.items.length === 0}>
        {(p) => (
          <Table
            rowKey="id"
            size="small"
            dataSource={p.items}
            scroll={{ x: true }}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              {
                title: t('seller.productTitle'),
                dataIndex: 'title',
                render: (v: string, r) => <Link to={`/products/${r.id}`}>{v}</Link>,
              },
              { title: t('seller.price'), key: 'price', render: (_: unknown, r) => money(r.minPrice) },
              { title: t('seller.sales'), dataIndex: 'salesCount' },
              {
                title: t('common.status'),
                dataIndex: 'status',
                render: (v: string) => <StatusTag status={v} />,
              },
              {
                title: '',
                key: 'actions',
                render: (_: unknown, r) => (
                  <Space>
                    {r.status !== 'published' ? (
                      <Button
                        size="small"
                        type="primary"
                        onClick={() => act(`/seller/shops/${shopId}/products/${r.id}/publish`)}
                      >
                        {t('seller.publish')}
                      </Button>
                    ) : (
                      <Button
                        size="small"
                        onClick={() => act(`/seller/shops/${shopId}/products/${r.id}/unpublish`)}
                      >
                        {t('seller.unpublish')}
                      </Button>
                    )}
                    <Button size="small" onClick={() => setStockFor(r.id)}>
                      {t('seller.stock')}
                    </Button>
                    <Button size="small" onClick={() => setEditing(r.id)}>
                      {t('catalog.edit')}
                    </Button>
                  </Space>
                ),
              },
            ]}
          />
        )}
      </QueryState>
      {creating && (
        <ProductForm
          shopId={shopId}
          warehouses={warehouses.data?.items ?? []}
          onClose={() => setCreating(false)}
        />
      )}
      {editing && (
        <ProductEditor
          shopId={shopId}
          productId={editing}
          warehouses={warehouses.data?.items ?? []}
          onClose={() => setEditing(null)}
        />
      )}
      {stockFor && (
        <StockModal
          shopId={shopId}
          productId={stockFor}
          warehouses={warehouses.data?.items ?? []}
          onClose={() => setStockFor(null)}
        />
      )}
    </>
  );
}

function Warehouses({ shopId, warehouses }: { shopId: string; warehouses: Warehouse[] }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const add = async (v: { name: string; region: string }) => {
    try {
      await post(`/seller/shops/${shopId}/warehouses`, v);
      form.resetFields();
      await qc.invalidateQueries({ queryKey: ['warehouses', shopId] });
    } catch (err) {
      showError(err, form);
    }
  };
  return (
    <Card size="small" title={t('seller.warehouses')} style={{ marginBottom: 12 }}>
      <Space wrap style={{ marginBottom: 8 }}>
        {warehouses.map((w) => (
          <Tag key={w.id}>
            {w.name} · {w.region}
          </Tag>
        ))}
        {warehouses.length === 0 && (
          <Typography.Text type="secondary">{t('seller.noWarehouse')}</Typography.Text>
        )}
      </Space>
      <Form form={form} name="warehouse" layout="inline" onFinish={add}>
        <Form.Item name="name" rules={[{ required: true, message: t('form.required') }]}>
          <Input placeholder={t('seller.warehouseName')} aria-label={t('seller.warehouseName')} />
        </Form.Item>
        <Form.Item name="region" rules={[{ required: true, message: t('form.required') }]}>
          <Input placeholder={t('seller.warehouseRegion')} aria-label={t('seller.warehouseRegion')} />
        </Form.Item>
        <Button htmlType="submit">{t('seller.addWarehouse')}</Button>
      </Form>
    </Card>
  );
}

interface SkuRow {
  code: string;
  value: string;
  price: number;
  stock: number;
}

function ProductForm({
  shopId,
  warehouses,
  onClose,
}: {
  shopId: string;
  warehouses: Warehouse[];
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const categories = useCategories();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const submit = async (v: {
    title: string;
    categoryId: string;
    description?: string;
    shipWithinHours?: number;
    specName: string;
    warehouseId?: string;
    skus: SkuRow[];
    publish: boolean;
  }) => {
    setBusy(true);
    try {
      const created = await post<{ id: string }>(`/seller/shops/${shopId}/products`, {
        title: v.title,
        categoryId: v.categoryId,
        description: v.description || undefined,
        shipWithinHours: v.shipWithinHours ?? undefined,
        skus: v.skus.map((s) => ({
          code: s.code,
          attributes: { [v.specName]: s.value },
          price: yuanToFen(s.price),
          stock: v.warehouseId && s.stock ? [{ warehouseId: v.warehouseId, quantity: s.stock }] : [],
        })),
      });
      if (v.publish) await post(`/seller/shops/${shopId}/products/${created.id}/publish`);
      await qc.invalidateQueries({ queryKey: ['seller-products', shopId] });
      onClose();
    } catch (err) {
      // The API names SKU fields /skus/0/price; the form's rows have the same index.
      showError(err, form, (name) =>
        name[0] === 'skus' && name[2] === 'attributes' ? ['skus', name[1] as number, 'value'] : name,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('seller.newProduct')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={busy}
      width={720}
      okText={t('common.submit')}
    >
      {warehouses.length === 0 && (
        <Alert type="warning" showIcon message={t('seller.noWarehouse')} style={{ marginBottom: 12 }} />
      )}
      <Form
        form={form}
        name="product"
        layout="vertical"
        onFinish={submit}
        initialValues={{
          specName: i18n.language === 'en' ? 'Colour' : '颜色',
          warehouseId: warehouses[0]?.id,
          publish: true,
          skus: [
            { code: '', value: '', price: undefined, stock: 10 },
            { code: '', value: '', price: undefined, stock: 10 },
          ],
        }}
      >
        <Form.Item
          name="title"
          label={t('seller.productTitle')}
          rules={[{ required: true, message: t('form.required') }]}
        >
          <Input maxLength={120} />
        </Form.Item>
        <Form.Item
          name="categoryId"
          label={t('seller.category')}
          rules={[{ required: true, message: t('form.required') }]}
        >
          <TreeSelect
            aria-label={t('seller.category')}
            showSearch
            treeNodeFilterProp="title"
            treeData={leafTree(categories.data?.items ?? [])}
            placeholder={t('seller.pickCategory')}
          />
        </Form.Item>
        <Form.Item name="description" label={t('seller.description')}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Space wrap>
          <Form.Item name="shipWithinHours" label={t('seller.shipWithinHours')}>
            <InputNumber min={1} max={720} />
          </Form.Item>
          <Form.Item name="warehouseId" label={t('seller.warehouse')}>
            <Select
              style={{ width: 200 }}
              options={warehouses.map((w) => ({ value: w.id, label: w.name }))}
            />
          </Form.Item>
          <Form.Item
            name="specName"
            label={t('seller.specName')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <Input style={{ width: 140 }} />
          </Form.Item>
        </Space>
        <Typography.Text strong>{t('seller.skus')}</Typography.Text>
        <Form.List name="skus">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field, i) => (
                <Space key={field.key} wrap align="baseline" data-testid="sku-row">
                  <Form.Item
                    name={[field.name, 'code']}
                    rules={[{ required: true, message: t('form.required') }]}
                  >
                    <Input
                      placeholder={t('seller.skuCode')}
                      aria-label={`${t('seller.skuCode')} ${i + 1}`}
                      style={{ width: 130 }}
                    />
                  </Form.Item>
                  <Form.Item
                    name={[field.name, 'value']}
                    rules={[{ required: true, message: t('form.required') }]}
                  >
                    <Input
                      placeholder={t('seller.specValue')}
                      aria-label={`${t('seller.specValue')} ${i + 1}`}
                      style={{ width: 120 }}
                    />
                  </Form.Item>
                  <Form.Item
                    name={[field.name, 'price']}
                    rules={[{ required: true, message: t('form.required') }]}
                  >
                    <InputNumber
                      min={0.01}
                      step={0.01}
                      precision={2}
                      prefix="¥"
                      placeholder={t('seller.price')}
                      aria-label={`${t('seller.price')} ${i + 1}`}
                      style={{ width: 130 }}
                    />
                  </Form.Item>
                  <Form.Item name={[field.name, 'stock']}>
                    <InputNumber
                      min={0}
                      placeholder={t('seller.stock')}
                      aria-label={`${t('seller.stock')} ${i + 1}`}
                      style={{ width: 100 }}
                    />
                  </Form.Item>
                  {fields.length > 1 && (
                    <MinusCircleOutlined aria-label={t('common.remove')} onClick={() => remove(field.name)} />
                  )}
                </Space>
              ))}
              <Button type="dashed" onClick={() => add({ stock: 10 })} icon={<PlusOutlined />} block>
                {t('seller.addSku')}
              </Button>
            </>
          )}
        </Form.List>
        <Form.Item name="publish" label={t('seller.publishNow')} style={{ marginTop: 12 }}>
          <Radio.Group>
            <Radio value={true}>{t('common.yes')}</Radio>
            <Radio value={false}>{t('common.no')}</Radio>
          </Radio.Group>
        </Form.Item>
      </Form>
    </Modal>
  );
}

function StockModal({
  shopId,
  productId,
  warehouses,
  onClose,
}: {
  shopId: string;
  productId: string;
  warehouses: Warehouse[];
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const product = useQuery({
    queryKey: ['seller-product', shopId, productId],
    queryFn: () => get<Product>(`/seller/shops/${shopId}/products/${productId}`),
  });
  const adjust = async (v: { skuId: string; warehouseId: string; delta: number; reason: string }) => {
    try {
      await post(`/seller/shops/${shopId}/stock/adjustments`, v);
      form.resetFields(['delta']);
      await qc.invalidateQueries({ queryKey: ['seller-product', shopId, productId] });
    } catch (err) {
      showError(err, form);
    }
  };
  return (
    <Modal open title={t('seller.stock')} onCancel={onClose} footer={null} width={640}>
      <QueryState query={product}>
        {(p) => (
          <>
            <Table
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={p.skus}
              columns={[
                { title: t('seller.skuCode'), dataIndex: 'code' },
                {
                  title: t('store.sku'),
                  dataIndex: 'attributes',
                  render: (a: Record<string, string>) => attrs(a),
                },
                { title: t('seller.price'), dataIndex: 'price', render: (v: number) => money(v) },
                { title: t('seller.available'), dataIndex: 'available' },
              ]}
            />
            <Form
              form={form}
              name="stock"
              layout="inline"
              onFinish={adjust}
              style={{ marginTop: 12 }}
              initialValues={{ reason: 'receipt', warehouseId: warehouses[0]?.id }}
            >
              <Form.Item name="skuId" rules={[{ required: true, message: t('form.required') }]}>
                <Select
                  aria-label={t('store.sku')}
                  placeholder={t('store.sku')}
                  style={{ width: 140 }}
                  options={p.skus.map((s) => ({ value: s.id, label: s.code }))}
                />
              </Form.Item>
              <Form.Item name="warehouseId" rules={[{ required: true, message: t('form.required') }]}>
                <Select
                  aria-label={t('seller.warehouse')}
                  style={{ width: 140 }}
                  options={warehouses.map((w) => ({ value: w.id, label: w.name }))}
                />
              </Form.Item>
              <Form.Item name="delta" rules={[{ required: true, message: t('form.required') }]}>
                <InputNumber aria-label={t('seller.delta')} placeholder={t('seller.delta')} />
              </Form.Item>
              <Form.Item name="reason">
                <Select
                  aria-label={t('seller.adjustReason')}
                  style={{ width: 140 }}
                  options={['receipt', 'count_correction', 'damage', 'return', 'other'].map((r) => ({
                    value: r,
                    label: t(`seller.adjustReasons.${r}`),
                  }))}
                />
              </Form.Item>
              <Button htmlType="submit" type="primary">
                {t('seller.adjust')}
              </Button>
            </Form>
          </>
        )}
      </QueryState>
    </Modal>
  );
}

// ---------------------------------------------------------------- order desk

export function SellerOrders() {
  return <WithShop>{(shopId) => <OrderDesk shopId={shopId} />}</WithShop>;
}

function OrderDesk({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const location = useLocation();
  const [status, setStatus] = useState<string | undefined>('paid');
  const [within, setWithin] = useState<number>();
  const [shipping, setShipping] = useState<Order | null>(null);
  // Handed to the carrier in this session: the order stays "paid" until the pick-up scan.
  const [handedOver, setHandedOver] = useState<Record<string, string>>({});
  const [form] = Form.useForm();
  const orders = useQuery({
    queryKey: ['seller-orders', shopId, status, within],
    queryFn: () =>
      get<Page<Order>>(
        `/seller/shops/${shopId}/orders${qs({ status, shipWithinHours: within, limit: 100 })}`,
      ),
  });
  const ship = async (v: { carrier: string; trackingNo: string }) => {
    if (!shipping) return;
    try {
      await post(`/seller/shops/${shopId}/orders/${shipping.id}/shipments`, v);
      setHandedOver((h) => ({ ...h, [shipping.id]: `${v.carrier} ${v.trackingNo}` }));
      setShipping(null);
      await qc.invalidateQueries({ queryKey: ['seller-orders', shopId] });
    } catch (err) {
      showError(err, form);
    }
  };
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }} key={location.key}>
        <Select
          allowClear
          aria-label={t('common.status')}
          placeholder={t('common.status')}
          style={{ width: 150 }}
          value={status}
          onChange={setStatus}
          options={['awaiting_payment', 'paid', 'shipped', 'succeeded', 'closed'].map((s) => ({
            value: s,
            label: t(`status.${s}`),
          }))}
        />
        <Select
          allowClear
          aria-label={t('seller.shipWithin')}
          placeholder={t('seller.shipWithin')}
          style={{ width: 180 }}
          value={within}
          onChange={setWithin}
          options={[6, 12, 24, 48].map((h) => ({ value: h, label: t('seller.shipWithinH', { h }) }))}
        />
      </Space>
      <QueryState query={orders} empty={(o) => o.items.length === 0}>
        {(o) => (
          <Table
            rowKey="id"
            size="small"
            dataSource={o.items}
            scroll={{ x: true }}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              { title: t('order.title'), dataIndex: 'id', render: (v: string) => v.slice(-8) },
              {
                title: t('order.items'),
                key: 'lines',
                render: (_: unknown, r: Order) =>
                  r.lines.map((l) => `${l.title} ${attrs(l.attributes)} ×${l.quantity}`).join('；'),
              },
              { title: t('order.total'), dataIndex: 'total', render: (v: number) => money(v) },
              {
                title: t('seller.buyer'),
                key: 'buyer',
                render: (_: unknown, r: Order) => `${r.address.name} ${r.address.phone}`,
              },
              {
                title: t('common.status'),
                dataIndex: 'status',
                render: (v: string, r: Order) => (
                  <Space>
                    <StatusTag status={v} />
                    {r.shipLate && <Tag color="red">{t('order.shipLate')}</Tag>}
                  </Space>
                ),
              },
              {
                title: t('seller.deadline'),
                key: 'deadline',
                render: (_: unknown, r: Order) => <Deadline order={r} />,
              },
              {
                title: '',
                key: 'actions',
                render: (_: unknown, r: Order) =>
                  r.status === 'paid' &&
                  (handedOver[r.id] ? (
                    <Tag color="cyan" data-testid="awaiting-pickup">
                      {t('seller.awaitingPickUp', { tracking: handedOver[r.id] })}
                    </Tag>
                  ) : (
                    <Button size="small" type="primary" onClick={() => setShipping(r)}>
                      {t('seller.ship')}
                    </Button>
                  )),
              },
            ]}
          />
        )}
      </QueryState>
      <Modal
        open={!!shipping}
        title={t('seller.ship')}
        onCancel={() => setShipping(null)}
        onOk={() => form.submit()}
        okText={t('common.submit')}
        destroyOnHidden
      >
        <Form
          form={form}
          name="shipment"
          layout="vertical"
          onFinish={ship}
          initialValues={{ carrier: 'sandbox' }}
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
        </Form>
      </Modal>
    </>
  );
}

// ---------------------------------------------------------------- after-sales

export function SellerRefunds() {
  return <WithShop>{(shopId) => <AfterSales shopId={shopId} />}</WithShop>;
}

function AfterSales({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [open, setOpen] = useState(true);
  const [refusing, setRefusing] = useState<Refund | null>(null);
  const [form] = Form.useForm();
  const refunds = useQuery({
    queryKey: ['seller-refunds', shopId, open],
    queryFn: () =>
      get<Page<Refund>>(`/seller/shops/${shopId}/refunds${qs({ open: open || undefined, limit: 100 })}`),
  });
  const act = async (path: string, body?: unknown) => {
    try {
      await post(path, body);
      setRefusing(null);
      await qc.invalidateQueries({ queryKey: ['seller-refunds', shopId] });
    } catch (err) {
      showError(err, form);
    }
  };
  return (
    <>
      <Radio.Group value={open} onChange={(e) => setOpen(e.target.value)} style={{ marginBottom: 12 }}>
        <Radio.Button value={true}>{t('seller.openRequests')}</Radio.Button>
        <Radio.Button value={false}>{t('store.all')}</Radio.Button>
      </Radio.Group>
      <QueryState query={refunds} empty={(r) => r.items.length === 0}>
        {(r) => (
          <Table
            rowKey="id"
            size="small"
            dataSource={r.items}
            scroll={{ x: true }}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              { title: t('complaint.createdAt'), dataIndex: 'createdAt', render: (v: string) => dateTime(v) },
              { title: t('order.title'), dataIndex: 'orderId', render: (v: string) => v.slice(-8) },
              { title: t('refund.kind'), dataIndex: 'kind', render: (v: string) => t(`refund.kinds.${v}`) },
              {
                title: t('refund.reason'),
                dataIndex: 'reason',
                render: (v: string) => t(`refund.reasons.${v}`),
              },
              { title: t('pay.amount'), dataIndex: 'amount', render: (v: number) => money(v) },
              {
                title: t('common.status'),
                dataIndex: 'status',
                render: (v: string) => <StatusTag status={v} />,
              },
              {
                title: t('refund.actBy'),
                dataIndex: 'actBy',
                render: (v: string | null) => {
                  if (!v) return '—';
                  const left = timeLeft(v);
                  return (
                    <Typography.Text type={left.overdue ? 'danger' : undefined}>
                      {dateTime(v)} ({left.text})
                    </Typography.Text>
                  );
                },
              },
              {
                title: '',
                key: 'actions',
                render: (_: unknown, x: Refund) => (
                  <Space>
                    {x.status === 'requested' && (
                      <Button
                        size="small"
                        type="primary"
                        onClick={() => act(`/seller/shops/${shopId}/refunds/${x.id}/approve`)}
                      >
                        {t('seller.approve')}
                      </Button>
                    )}
                    {['requested', 'return_shipped'].includes(x.status) && (
                      <Button size="small" danger onClick={() => setRefusing(x)}>
                        {t('seller.refuse')}
                      </Button>
                    )}
                    {x.status === 'return_shipped' && (
                      <Button
                        size="small"
                        type="primary"
                        onClick={() => act(`/seller/shops/${shopId}/refunds/${x.id}/confirm-return`)}
                      >
                        {t('seller.confirmReturn')}
                      </Button>
                    )}
                  </Space>
                ),
              },
            ]}
          />
        )}
      </QueryState>
      <Modal
        open={!!refusing}
        title={t('seller.refuse')}
        onCancel={() => setRefusing(null)}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Form
          form={form}
          layout="vertical"
          onFinish={(v) => refusing && act(`/seller/shops/${shopId}/refunds/${refusing.id}/refuse`, v)}
        >
          <Form.Item
            name="reason"
            label={t('seller.refuseReason')}
            rules={[{ required: true, min: 2, message: t('form.minChars', { n: 2 }) }]}
          >
            <Input.TextArea rows={3} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

// ---------------------------------------------------------------- complaints and penalty points

export function SellerComplaints() {
  return <WithShop>{(shopId) => <ComplaintsAndPenalties shopId={shopId} />}</WithShop>;
}

interface Penalties {
  year: number;
  totals: { general: number; serious: number; counterfeit: number; total: number };
  penalty: { actionText: string; until: string | null; reason: string } | null;
  records: Page<{
    id: string;
    track: string;
    points: number;
    reasonText: string;
    note: string | null;
    createdAt: string;
  }>;
}

function ComplaintsAndPenalties({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const complaints = useQuery({
    queryKey: ['seller-complaints', shopId],
    queryFn: () => get<Page<Complaint>>(`/seller/shops/${shopId}/complaints?limit=100`),
  });
  const penalties = useQuery({
    queryKey: ['seller-penalties', shopId],
    queryFn: () => get<Penalties>(`/seller/shops/${shopId}/penalties?limit=100`),
  });
  const compensate = async (c: Complaint) => {
    try {
      await post(`/seller/shops/${shopId}/complaints/${c.id}/compensate`);
      await qc.invalidateQueries({ queryKey: ['seller-complaints', shopId] });
    } catch (err) {
      showError(err);
    }
  };
  return (
    <>
      <Card size="small" title={t('seller.complaints')} style={{ marginBottom: 12 }}>
        <QueryState query={complaints} empty={(c) => c.items.length === 0}>
          {(c) => (
            <ComplaintTable
              items={c.items}
              actions={(x) =>
                x.status === 'open' &&
                x.compensation > 0 &&
                !x.compensatedAt && (
                  <Button size="small" onClick={() => compensate(x)}>
                    {t('seller.compensate')}
                  </Button>
                )
              }
            />
          )}
        </QueryState>
      </Card>
      <Card size="small" title={t('seller.penalties')}>
        <QueryState query={penalties}>
          {(p) => (
            <>
              <Space wrap size="large" style={{ marginBottom: 12 }}>
                <Statistic
                  title={t('seller.penaltyTotals.general', { year: p.year })}
                  value={p.totals.general}
                />
                <Statistic title={t('seller.penaltyTotals.serious')} value={p.totals.serious} />
                <Statistic title={t('seller.penaltyTotals.counterfeit')} value={p.totals.counterfeit} />
              </Space>
              {p.penalty && (
                <Alert
                  type="error"
                  showIcon
                  style={{ marginBottom: 12 }}
                  message={p.penalty.actionText}
                  description={`${p.penalty.reason}${p.penalty.until ? ` · ${t('seller.until', { at: dateTime(p.penalty.until) })}` : ''}`}
                />
              )}
              <Table
                rowKey="id"
                size="small"
                dataSource={p.records.items}
                pagination={false}
                scroll={{ x: true }}
                columns={[
                  {
                    title: t('complaint.createdAt'),
                    dataIndex: 'createdAt',
                    render: (v: string) => dateTime(v),
                  },
                  {
                    title: t('seller.track'),
                    dataIndex: 'track',
                    render: (v: string) => t(`seller.penaltyTotals.${v}`, { year: p.year }),
                  },
                  { title: t('complaint.penaltyPoints'), dataIndex: 'points' },
                  { title: t('complaint.reason'), dataIndex: 'reasonText' },
                  { title: t('complaint.detail'), dataIndex: 'note' },
                ]}
              />
            </>
          )}
        </QueryState>
      </Card>
    </>
  );
}

// ---------------------------------------------------------------- ledger

export function SellerLedger() {
  return <WithShop>{(shopId) => <Ledger shopId={shopId} />}</WithShop>;
}

function Ledger({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const ledger = useQuery({
    queryKey: ['seller-ledger', shopId],
    queryFn: () =>
      get<{
        balance: number;
        frozenDeposit: number;
        lines: Page<{
          id: number;
          kind: string;
          memo: string;
          account: string;
          amount: number;
          balanceAfter: number;
          createdAt: string;
        }>;
      }>(`/seller/shops/${shopId}/ledger?limit=100`),
  });
  return (
    <QueryState query={ledger}>
      {(l) => (
        <>
          <Card size="small" style={{ marginBottom: 12 }}>
            <Space wrap size="large">
              <Statistic title={t('seller.balance')} value={money(l.balance)} data-testid="ledger-balance" />
              <Statistic title={t('seller.frozenDeposit')} value={money(l.frozenDeposit)} />
            </Space>
          </Card>
          <Table
            rowKey="id"
            size="small"
            dataSource={l.lines.items}
            scroll={{ x: true }}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              { title: t('complaint.createdAt'), dataIndex: 'createdAt', render: (v: string) => dateTime(v) },
              { title: t('seller.entry'), dataIndex: 'memo' },
              {
                title: t('seller.account'),
                dataIndex: 'account',
                render: (v: string) => t(`seller.accounts.${v}`),
              },
              {
                title: t('pay.amount'),
                dataIndex: 'amount',
                render: (v: number) => (
                  <span style={{ color: v < 0 ? '#cf1322' : '#389e0d' }}>{money(v)}</span>
                ),
              },
              { title: t('seller.balanceAfter'), dataIndex: 'balanceAfter', render: (v: number) => money(v) },
            ]}
          />
        </>
      )}
    </QueryState>
  );
}

// ---------------------------------------------------------------- staff and roles

const STAFF_ROLES = ['operations', 'service', 'warehouse', 'finance'] as const;

interface Staff {
  members: { accountId: string; login: string; displayName: string; role: string; since: string }[];
  invitations: { id: string; login: string; role: string; status: string; createdAt: string }[];
}

export function SellerStaff() {
  return <WithShop>{(shopId) => <StaffPage shopId={shopId} />}</WithShop>;
}

function StaffPage({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const staff = useQuery({
    queryKey: ['staff', shopId],
    queryFn: () => get<Staff>(`/seller/shops/${shopId}/staff`),
  });
  const refresh = () => qc.invalidateQueries({ queryKey: ['staff', shopId] });
  const run = async (call: () => Promise<unknown>) => {
    try {
      await call();
      await refresh();
    } catch (err) {
      showError(err, form);
    }
  };
  return (
    <QueryState query={staff}>
      {(s) => (
        <>
          <Card size="small" title={t('seller.staff')} style={{ marginBottom: 12 }}>
            <Table
              rowKey="accountId"
              size="small"
              pagination={false}
              dataSource={s.members}
              scroll={{ x: true }}
              columns={[
                { title: t('auth.login'), dataIndex: 'login' },
                { title: t('auth.displayName'), dataIndex: 'displayName' },
                { title: t('seller.role'), dataIndex: 'role', render: (v: string) => t(`seller.roles.${v}`) },
                { title: t('seller.since'), dataIndex: 'since', render: (v: string) => dateTime(v) },
                {
                  title: '',
                  key: 'actions',
                  render: (_: unknown, m: Staff['members'][number]) =>
                    m.role !== 'owner' && (
                      <Button
                        size="small"
                        danger
                        onClick={() =>
                          run(() => api('DELETE', `/seller/shops/${shopId}/staff/${m.accountId}`))
                        }
                      >
                        {t('common.remove')}
                      </Button>
                    ),
                },
              ]}
            />
          </Card>
          <Card size="small" title={t('seller.invitations')}>
            <Form
              form={form}
              name="invite"
              layout="inline"
              initialValues={{ role: 'operations' }}
              onFinish={(v) =>
                run(async () => {
                  await post(`/seller/shops/${shopId}/staff`, v);
                  form.resetFields(['login']);
                })
              }
              style={{ marginBottom: 12 }}
            >
              <Form.Item name="login" rules={[{ required: true, message: t('form.required') }]}>
                <Input placeholder={t('auth.login')} aria-label={t('auth.login')} />
              </Form.Item>
              <Form.Item name="role">
                <Select
                  aria-label={t('seller.role')}
                  style={{ width: 140 }}
                  options={STAFF_ROLES.map((r) => ({ value: r, label: t(`seller.roles.${r}`) }))}
                />
              </Form.Item>
              <Button type="primary" htmlType="submit">
                {t('seller.invite')}
              </Button>
            </Form>
            <Table
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={s.invitations}
              scroll={{ x: true }}
              columns={[
                { title: t('auth.login'), dataIndex: 'login' },
                { title: t('seller.role'), dataIndex: 'role', render: (v: string) => t(`seller.roles.${v}`) },
                {
                  title: t('common.status'),
                  dataIndex: 'status',
                  render: (v: string) => <StatusTag status={v} />,
                },
                {
                  title: t('complaint.createdAt'),
                  dataIndex: 'createdAt',
                  render: (v: string) => dateTime(v),
                },
                {
                  title: '',
                  key: 'actions',
                  render: (_: unknown, i: Staff['invitations'][number]) =>
                    i.status === 'pending' && (
                      <Button
                        size="small"
                        onClick={() =>
                          run(() => post(`/seller/shops/${shopId}/staff-invitations/${i.id}/cancel`))
                        }
                      >
                        {t('seller.cancelInvitation')}
                      </Button>
                    ),
                },
              ]}
            />
          </Card>
        </>
      )}
    </QueryState>
  );
}

/** Invitations to work for a shop, waiting for this account's answer. */
function MyInvitations() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const invitations = useQuery({
    queryKey: ['my-invitations'],
    queryFn: () =>
      get<{ items: { id: string; shop: { id: string; name: string }; role: string }[] }>(
        '/me/staff-invitations',
      ),
  });
  const answer = async (id: string, verb: 'accept' | 'decline') => {
    try {
      await post(`/staff-invitations/${id}/${verb}`);
      await qc.invalidateQueries({ queryKey: ['my-invitations'] });
      await qc.invalidateQueries({ queryKey: ['me'] });
    } catch (err) {
      showError(err);
    }
  };
  const items = invitations.data?.items ?? [];
  if (!items.length) return null;
  return (
    <Card size="small" title={t('seller.invitationsForMe')} style={{ marginBottom: 16 }}>
      {items.map((i) => (
        <Space key={i.id} wrap style={{ display: 'flex', marginBottom: 8 }}>
          <span>
            {i.shop.name} · {t(`seller.roles.${i.role}`)}
          </span>
          <Button size="small" type="primary" onClick={() => answer(i.id, 'accept')}>
            {t('seller.accept')}
          </Button>
          <Button size="small" onClick={() => answer(i.id, 'decline')}>
            {t('seller.decline')}
          </Button>
        </Space>
      ))}
    </Card>
  );
}

// ---------------------------------------------------------------- reviews

interface ShopReview {
  id: string;
  rating: number;
  stars: { item: number; service: number; logistics: number };
  text: string | null;
  buyer: string;
  createdAt: string;
  reply: { text: string; at: string } | null;
  followUp: { text: string; at: string } | null;
}

export function SellerReviews() {
  return <WithShop>{(shopId) => <Reviews shopId={shopId} />}</WithShop>;
}

function Reviews({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [replying, setReplying] = useState<ShopReview | null>(null);
  const [form] = Form.useForm();
  const reviews = useQuery({
    queryKey: ['seller-reviews', shopId],
    queryFn: () => get<Page<ShopReview>>(`/seller/shops/${shopId}/reviews?limit=100`),
  });
  const reply = async (v: { text: string }) => {
    if (!replying) return;
    try {
      await post(`/seller/shops/${shopId}/reviews/${replying.id}/reply`, v);
      setReplying(null);
      await qc.invalidateQueries({ queryKey: ['seller-reviews', shopId] });
    } catch (err) {
      showError(err, form);
    }
  };
  return (
    <>
      <QueryState query={reviews} empty={(r) => r.items.length === 0}>
        {(r) => (
          <Table
            rowKey="id"
            size="small"
            dataSource={r.items}
            scroll={{ x: true }}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              { title: t('complaint.createdAt'), dataIndex: 'createdAt', render: (v: string) => dateTime(v) },
              { title: t('seller.buyer'), dataIndex: 'buyer' },
              {
                title: t('review.ratingLabel'),
                dataIndex: 'rating',
                render: (v: number) => t(`review.rating.${v}`),
              },
              {
                title: t('review.item'),
                key: 'stars',
                render: (_: unknown, x: ShopReview) =>
                  `${x.stars.item} / ${x.stars.service} / ${x.stars.logistics}`,
              },
              { title: t('review.text'), dataIndex: 'text' },
              {
                title: t('seller.reply'),
                key: 'reply',
                render: (_: unknown, x: ShopReview) => x.reply?.text ?? '',
              },
              {
                title: '',
                key: 'actions',
                render: (_: unknown, x: ShopReview) =>
                  !x.reply && (
                    <Button size="small" onClick={() => setReplying(x)}>
                      {t('seller.reply')}
                    </Button>
                  ),
              },
            ]}
          />
        )}
      </QueryState>
      <Modal
        open={!!replying}
        title={t('seller.reply')}
        onCancel={() => setReplying(null)}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Form form={form} name="reply" layout="vertical" onFinish={reply}>
          <Form.Item
            name="text"
            label={t('seller.reply')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <Input.TextArea rows={3} maxLength={500} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
