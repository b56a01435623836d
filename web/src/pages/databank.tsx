// The merchant's data bank: the AIPL funnel of the shop's brands and categories today, its history,
// the flows between stages as a Sankey chart, the CRM layers, saved segments (with their CSV
// export) and where the shop's products stand in the category rankings.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Form,
  Input,
  InputNumber,
  Modal,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from 'antd';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { get, getText, type Page, post, qs, saveFile } from '../api';
import { type ChartOption, EChart } from '../chart';
import { categoryName, dateTime, money } from '../format';
import i18n from '../i18n';
import type { Category, ProductCard } from '../types';
import { QueryState, showError, yuanToFen } from '../ui';
import { WithShop } from './seller';
import { useCategories } from './store';

const STAGES = ['awareness', 'interest', 'purchase', 'loyalty'] as const;
type Stage = (typeof STAGES)[number];
type Stages = Record<Stage, number>;
const LAYERS = ['member', 'customer', 'friend', 'fan', 'guest', 'visitor'] as const;
const STAGE_COLORS: Record<Stage, string> = {
  awareness: '#91caff',
  interest: '#1677ff',
  purchase: '#ff7a45',
  loyalty: '#cf1322',
};

interface Funnel {
  day: string;
  windows: Record<string, number>;
  scopes: { scope: string; stages: Stages; total: number }[];
}
interface Flows {
  scope: string;
  from: string;
  to: string;
  before: Stages;
  after: Stages;
  assetsBefore: number;
  assetsAfter: number;
  growth: number | null;
  summary: string;
  flows: { from: Stage | 'none'; to: Stage | 'none'; consumers: number }[];
}
interface Segment {
  id: string;
  name: string;
  filter: Record<string, unknown>;
  consumers: number;
  createdAt: string;
}
interface RankingEntry {
  rank: number;
  productId: string;
  shopId: string;
  value: number;
  badges: string[];
  explanation: string;
}

function findCategory(items: Category[], id: string): Category | undefined {
  for (const c of items) {
    if (c.id === id) return c;
    const inner = findCategory(c.children, id);
    if (inner) return inner;
  }
  return undefined;
}

/** "brand:…" / "category:…" as a person reads it. */
function useScopeName() {
  const { t } = useTranslation();
  const categories = useCategories();
  const brands = useQuery({
    queryKey: ['brands'],
    queryFn: () => get<{ items: { id: string; name: string }[] }>('/brands'),
    staleTime: 300_000,
  });
  return (scope: string) => {
    const [kind, id = ''] = scope.split(/:(.*)/s);
    if (kind === 'category') {
      const c = findCategory(categories.data?.items ?? [], id);
      return `${t('databank.category')} · ${c ? categoryName(c) : id}`;
    }
    const b = (brands.data?.items ?? []).find((x) => x.id === id);
    return `${t('databank.brand')} · ${b?.name ?? id}`;
  };
}

export function SellerDatabank() {
  return <WithShop>{(shopId) => <Databank key={shopId} shopId={shopId} />}</WithShop>;
}

function Databank({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const scopeName = useScopeName();
  const [scope, setScope] = useState<string>();
  const [busy, setBusy] = useState(false);
  const funnel = useQuery({
    queryKey: ['databank-funnel', shopId],
    queryFn: () => get<Funnel>(`/seller/shops/${shopId}/databank/funnel`),
  });
  const recompute = async () => {
    setBusy(true);
    try {
      await post(`/seller/shops/${shopId}/databank/recompute`);
      await qc.invalidateQueries({ queryKey: ['databank-funnel', shopId] });
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Card
        size="small"
        title={t('databank.funnel')}
        style={{ marginBottom: 12 }}
        extra={
          <Button size="small" onClick={recompute} loading={busy}>
            {t('databank.recompute')}
          </Button>
        }
      >
        <QueryState query={funnel}>
          {(f) => {
            const chosen = f.scopes.find((s) => s.scope === scope) ?? f.scopes[0];
            if (!chosen) return <Empty description={t('databank.noData')} />;
            return (
              <>
                <Space wrap style={{ marginBottom: 12 }}>
                  <Select
                    aria-label={t('databank.scope')}
                    style={{ minWidth: 260 }}
                    value={chosen.scope}
                    onChange={setScope}
                    options={f.scopes.map((s) => ({ value: s.scope, label: scopeName(s.scope) }))}
                  />
                  <Typography.Text type="secondary">
                    {t('databank.asOf', { day: f.day })} · {t('databank.assets', { n: chosen.total })}
                  </Typography.Text>
                </Space>
                <Row gutter={[12, 12]}>
                  <Col xs={24} lg={10}>
                    <FunnelChart stages={chosen.stages} />
                  </Col>
                  <Col xs={24} lg={14}>
                    <History shopId={shopId} scope={chosen.scope} day={f.day} />
                  </Col>
                  <Col span={24}>
                    <FlowsChart shopId={shopId} scope={chosen.scope} day={f.day} />
                  </Col>
                </Row>
              </>
            );
          }}
        </QueryState>
      </Card>
      <Row gutter={[12, 12]}>
        <Col xs={24} lg={10}>
          <CrmLayers shopId={shopId} />
        </Col>
        <Col xs={24} lg={14}>
          <Segments shopId={shopId} scopes={funnel.data?.scopes.map((s) => s.scope) ?? []} />
        </Col>
        <Col span={24}>
          <Rankings shopId={shopId} />
        </Col>
      </Row>
    </>
  );
}

function FunnelChart({ stages }: { stages: Stages }) {
  const { t } = useTranslation();
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'funnel',
          sort: 'none',
          minSize: '20%',
          label: { show: true, position: 'inside', formatter: '{b}: {c}' },
          data: STAGES.map((s) => ({
            name: t(`databank.stages.${s}`),
            value: stages[s],
            itemStyle: { color: STAGE_COLORS[s] },
          })),
        },
      ],
    }),
    [stages, t],
  );
  return (
    <div data-testid="aipl-funnel">
      <EChart option={option} label={t('databank.funnel')} />
    </div>
  );
}

/** The daily snapshots of the last 30 days (the history chart and the days flows can compare). */
function useHistory(shopId: string, scope: string, day: string) {
  const from = dayjs(day).subtract(29, 'day').format('YYYY-MM-DD');
  return useQuery({
    queryKey: ['databank-history', shopId, scope, day],
    queryFn: () =>
      get<{ items: { day: string; stages: Stages; total: number }[] }>(
        `/seller/shops/${shopId}/databank/history${qs({ scope, from, to: day })}`,
      ),
  });
}

function History({ shopId, scope, day }: { shopId: string; scope: string; day: string }) {
  const { t } = useTranslation();
  const history = useHistory(shopId, scope, day);
  const option = useMemo<ChartOption>(() => {
    const items = history.data?.items ?? [];
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: STAGES.map((s) => t(`databank.stages.${s}`)) },
      grid: { left: 48, right: 16, top: 40, bottom: 28 },
      xAxis: { type: 'category', data: items.map((i) => i.day.slice(5)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: STAGES.map((s) => ({
        name: t(`databank.stages.${s}`),
        type: 'line',
        stack: 'assets',
        areaStyle: {},
        itemStyle: { color: STAGE_COLORS[s] },
        data: items.map((i) => i.stages[s]),
      })),
    };
  }, [history.data, t]);
  return (
    <QueryState query={history}>
      {(h) =>
        h.items.length === 0 ? (
          <Empty description={t('databank.noHistory')} />
        ) : (
          <EChart option={option} label={t('databank.history')} testId="aipl-history" />
        )
      }
    </QueryState>
  );
}

function FlowsChart({ shopId, scope, day }: { shopId: string; scope: string; day: string }) {
  const { t } = useTranslation();
  // Flows compare two snapshot days: the latest one and an earlier one (a week back unless chosen).
  const history = useHistory(shopId, scope, day);
  const snapshots = (history.data?.items ?? []).map((i) => i.day).sort();
  const to = snapshots[snapshots.length - 1];
  const earlier = snapshots.slice(0, -1);
  const weekBack = dayjs(to).subtract(7, 'day').format('YYYY-MM-DD');
  const [picked, setPicked] = useState<string>();
  const from =
    picked && earlier.includes(picked) ? picked : (earlier.find((d) => d >= weekBack) ?? earlier[0]);
  const flows = useQuery({
    queryKey: ['databank-flows', shopId, scope, from, to],
    enabled: !!from && !!to,
    queryFn: () => get<Flows>(`/seller/shops/${shopId}/databank/flows${qs({ scope, from, to })}`),
  });
  const option = useMemo<ChartOption | null>(() => {
    const f = flows.data;
    if (!f) return null;
    // Left and right are different nodes: "none" on the left is new consumers, on the right lost ones.
    const left = (s: string) =>
      `${s === 'none' ? t('databank.new') : t(`databank.stages.${s}`)} · ${f.from.slice(5)}`;
    const right = (s: string) =>
      `${s === 'none' ? t('databank.lost') : t(`databank.stages.${s}`)} · ${f.to.slice(5)}`;
    const links = f.flows
      .filter((x) => x.consumers > 0 && !(x.from === 'none' && x.to === 'none'))
      .map((x) => ({ source: left(x.from), target: right(x.to), value: x.consumers }));
    if (!links.length) return null;
    const names = [...new Set(links.flatMap((l) => [l.source, l.target]))];
    return {
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'sankey',
          left: 16,
          right: 120,
          nodeAlign: 'justify',
          emphasis: { focus: 'adjacency' },
          data: names.map((name) => ({ name })),
          links,
          lineStyle: { color: 'gradient', curveness: 0.5 },
        },
      ],
    };
  }, [flows.data, t]);
  return (
    <Card
      size="small"
      type="inner"
      title={t('databank.flows')}
      extra={
        earlier.length > 0 && (
          <Space size="small">
            <Select
              size="small"
              aria-label={t('databank.flowsFrom')}
              value={from}
              onChange={setPicked}
              options={earlier.map((d) => ({ value: d, label: d }))}
            />
            → {to}
          </Space>
        )
      }
    >
      {history.isSuccess && !from ? (
        <Empty description={t('databank.needTwoSnapshots')} />
      ) : (
        <QueryState query={flows}>
          {(f) => (
            <>
              <Space wrap size="large" style={{ marginBottom: 8 }}>
                <Statistic title={t('databank.assetsBefore', { day: f.from })} value={f.assetsBefore} />
                <Statistic title={t('databank.assetsAfter', { day: f.to })} value={f.assetsAfter} />
                <Statistic
                  title={t('databank.growth')}
                  value={f.growth === null ? '—' : `${(f.growth * 100).toFixed(1)}%`}
                />
              </Space>
              {option ? (
                <EChart option={option} height={320} label={t('databank.flows')} testId="aipl-flows" />
              ) : (
                <Empty description={t('databank.noFlows')} />
              )}
            </>
          )}
        </QueryState>
      )}
    </Card>
  );
}

function CrmLayers({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const layers = useQuery({
    queryKey: ['crm-layers', shopId],
    queryFn: () =>
      get<{ items: { layer: string; strength: string; consumers: number }[] }>(
        `/seller/shops/${shopId}/crm/layers`,
      ),
  });
  const option = useMemo<ChartOption>(() => {
    const items = layers.data?.items ?? [];
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 72, right: 24, top: 8, bottom: 24 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: items.map((i) => t(`databank.layers.${i.layer}`)) },
      series: [{ type: 'bar', data: items.map((i) => i.consumers), itemStyle: { color: '#ff5000' } }],
    };
  }, [layers.data, t]);
  return (
    <Card size="small" title={t('databank.crm')} style={{ height: '100%' }}>
      <QueryState query={layers}>
        {(l) => (
          <>
            <EChart option={option} height={200} label={t('databank.crm')} testId="crm-layers" />
            <Table
              rowKey="layer"
              size="small"
              pagination={false}
              dataSource={l.items}
              columns={[
                {
                  title: t('databank.layer'),
                  dataIndex: 'layer',
                  render: (v: string) => t(`databank.layers.${v}`),
                },
                {
                  title: t('databank.strength'),
                  dataIndex: 'strength',
                  render: (v: string) => t(`databank.strengths.${v}`),
                },
                { title: t('databank.consumers'), dataIndex: 'consumers' },
              ]}
            />
          </>
        )}
      </QueryState>
    </Card>
  );
}

/** A saved filter in words: "stage: purchase · layer: fan · last 30 days · spend ≥ ¥100.00". */
function filterText(f: Record<string, unknown>, scopeName: (s: string) => string) {
  const t = (k: string, o?: Record<string, unknown>) => String(i18n.t(k, o));
  const parts: string[] = [];
  if (typeof f.scope === 'string') parts.push(scopeName(f.scope));
  if (Array.isArray(f.stages) && f.stages.length)
    parts.push(`${t('databank.stage')}: ${f.stages.map((s) => t(`databank.stages.${s}`)).join(', ')}`);
  if (Array.isArray(f.layers) && f.layers.length)
    parts.push(`${t('databank.layer')}: ${f.layers.map((s) => t(`databank.layers.${s}`)).join(', ')}`);
  if (typeof f.recencyDays === 'number') parts.push(t('databank.lastDays', { n: f.recencyDays }));
  if (typeof f.minSpend === 'number') parts.push(`${t('databank.minSpend')} ${money(f.minSpend)}`);
  if (typeof f.maxSpend === 'number') parts.push(`${t('databank.maxSpend')} ${money(f.maxSpend)}`);
  if (Array.isArray(f.regions) && f.regions.length)
    parts.push(`${t('databank.regions')}: ${f.regions.join(', ')}`);
  return parts.join(' · ') || t('databank.everyone');
}

function Segments({ shopId, scopes }: { shopId: string; scopes: string[] }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const scopeName = useScopeName();
  const [creating, setCreating] = useState(false);
  const [viewing, setViewing] = useState<string | null>(null);
  const [form] = Form.useForm();
  const segments = useQuery({
    queryKey: ['segments', shopId],
    queryFn: () => get<{ items: Segment[] }>(`/seller/shops/${shopId}/segments`),
  });
  const viewed = useQuery({
    queryKey: ['segment', shopId, viewing],
    enabled: !!viewing,
    queryFn: () => get<Segment>(`/seller/shops/${shopId}/segments/${viewing}`),
  });
  const create = async (v: {
    name: string;
    scope?: string;
    stages?: string[];
    layers?: string[];
    recencyDays?: number;
    minSpend?: number;
    maxSpend?: number;
    regions?: string[];
  }) => {
    try {
      await post(`/seller/shops/${shopId}/segments`, {
        name: v.name,
        filter: {
          ...(v.scope ? { scope: v.scope } : {}),
          ...(v.stages?.length ? { stages: v.stages } : {}),
          ...(v.layers?.length ? { layers: v.layers } : {}),
          ...(v.recencyDays ? { recencyDays: v.recencyDays } : {}),
          ...(v.minSpend != null ? { minSpend: yuanToFen(v.minSpend) } : {}),
          ...(v.maxSpend != null ? { maxSpend: yuanToFen(v.maxSpend) } : {}),
          ...(v.regions?.length ? { regions: v.regions } : {}),
        },
      });
      setCreating(false);
      form.resetFields();
      await qc.invalidateQueries({ queryKey: ['segments', shopId] });
    } catch (err) {
      // The API names filter fields /filter/stages; the form has them at the top.
      showError(err, form, (name) => (name[0] === 'filter' ? name.slice(1) : name));
    }
  };
  const exportCsv = async (s: Segment) => {
    try {
      saveFile(`segment-${s.name}.csv`, await getText(`/seller/shops/${shopId}/segments/${s.id}/export`));
    } catch (err) {
      showError(err);
    }
  };
  return (
    <Card
      size="small"
      title={t('databank.segments')}
      style={{ height: '100%' }}
      extra={
        <Button size="small" type="primary" onClick={() => setCreating(true)}>
          {t('databank.newSegment')}
        </Button>
      }
    >
      <QueryState query={segments} empty={(s) => s.items.length === 0}>
        {(s) => (
          <Table
            rowKey="id"
            size="small"
            dataSource={s.items}
            scroll={{ x: true }}
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            columns={[
              { title: t('databank.segmentName'), dataIndex: 'name' },
              {
                title: t('databank.filter'),
                key: 'filter',
                render: (_: unknown, x: Segment) => filterText(x.filter, scopeName),
              },
              { title: t('databank.consumers'), dataIndex: 'consumers' },
              {
                title: '',
                key: 'actions',
                render: (_: unknown, x: Segment) => (
                  <Space>
                    <Button size="small" onClick={() => setViewing(x.id)}>
                      {t('databank.view')}
                    </Button>
                    <Button size="small" onClick={() => exportCsv(x)}>
                      {t('databank.exportCsv')}
                    </Button>
                  </Space>
                ),
              },
            ]}
          />
        )}
      </QueryState>
      <Modal
        open={creating}
        title={t('databank.newSegment')}
        onCancel={() => setCreating(false)}
        onOk={() => form.submit()}
        okText={t('common.submit')}
        destroyOnHidden
      >
        <Form form={form} name="segment" layout="vertical" onFinish={create}>
          <Form.Item
            name="name"
            label={t('databank.segmentName')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <Input maxLength={60} />
          </Form.Item>
          <Form.Item name="scope" label={t('databank.scope')}>
            <Select allowClear options={scopes.map((s) => ({ value: s, label: scopeName(s) }))} />
          </Form.Item>
          <Form.Item name="stages" label={t('databank.stage')}>
            <Select
              mode="multiple"
              options={STAGES.map((s) => ({ value: s, label: t(`databank.stages.${s}`) }))}
            />
          </Form.Item>
          <Form.Item name="layers" label={t('databank.layer')}>
            <Select
              mode="multiple"
              options={LAYERS.map((s) => ({ value: s, label: t(`databank.layers.${s}`) }))}
            />
          </Form.Item>
          <Space wrap>
            <Form.Item name="recencyDays" label={t('databank.recencyDays')}>
              <InputNumber min={1} max={3650} />
            </Form.Item>
            <Form.Item name="minSpend" label={t('databank.minSpend')}>
              <InputNumber min={0} precision={2} prefix="¥" />
            </Form.Item>
            <Form.Item name="maxSpend" label={t('databank.maxSpend')}>
              <InputNumber min={0} precision={2} prefix="¥" />
            </Form.Item>
          </Space>
          <Form.Item name="regions" label={t('databank.regions')}>
            <Select mode="tags" tokenSeparators={[',', '，']} />
          </Form.Item>
        </Form>
      </Modal>
      <Modal open={!!viewing} title={viewed.data?.name} onCancel={() => setViewing(null)} footer={null}>
        <QueryState query={viewed}>
          {(x) => (
            <Descriptions column={1} size="small" data-testid="segment-view">
              <Descriptions.Item label={t('databank.filter')}>
                {filterText(x.filter, scopeName)}
              </Descriptions.Item>
              <Descriptions.Item label={t('databank.consumers')}>{x.consumers}</Descriptions.Item>
              <Descriptions.Item label={t('complaint.createdAt')}>{dateTime(x.createdAt)}</Descriptions.Item>
            </Descriptions>
          )}
        </QueryState>
      </Modal>
    </Card>
  );
}

function Rankings({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const categories = useCategories();
  const [categoryId, setCategoryId] = useState<string>();
  // The categories the shop sells in are the lists worth looking at.
  const products = useQuery({
    queryKey: ['seller-products-categories', shopId],
    queryFn: () => get<Page<ProductCard>>(`/seller/shops/${shopId}/products?limit=100`),
  });
  const shopCategories = [...new Set((products.data?.items ?? []).map((p) => p.categoryId))];
  const chosen = categoryId ?? shopCategories[0];
  const rankings = useQuery({
    queryKey: ['seller-rankings', shopId, chosen],
    enabled: !!chosen,
    queryFn: () =>
      get<{ items: { list: string; entries: RankingEntry[] }[] }>(
        `/seller/shops/${shopId}/rankings${qs({ categoryId: chosen })}`,
      ),
  });
  const title = (id: string) => (products.data?.items ?? []).find((p) => p.id === id)?.title ?? id;
  return (
    <Card
      size="small"
      title={t('databank.rankings')}
      extra={
        <Select
          size="small"
          aria-label={t('seller.category')}
          style={{ minWidth: 200 }}
          value={chosen}
          onChange={setCategoryId}
          options={shopCategories.map((id) => {
            const c = findCategory(categories.data?.items ?? [], id);
            return { value: id, label: c ? categoryName(c) : id };
          })}
        />
      }
    >
      {!chosen ? (
        <Empty description={t('databank.noProducts')} />
      ) : (
        <QueryState query={rankings}>
          {(r) => {
            const rows = r.items.flatMap((l) => l.entries.map((e) => ({ ...e, list: l.list })));
            if (!rows.length) return <Alert type="info" showIcon message={t('databank.notRanked')} />;
            return (
              <Table
                rowKey={(e) => `${e.list}-${e.productId}`}
                size="small"
                dataSource={rows}
                scroll={{ x: true }}
                pagination={{ pageSize: 20, hideOnSinglePage: true }}
                columns={[
                  {
                    title: t('databank.list'),
                    dataIndex: 'list',
                    render: (v: string) => t(`databank.lists.${v}`),
                  },
                  {
                    title: t('databank.rank'),
                    dataIndex: 'rank',
                    render: (v: number) => <Tag color="red">#{v}</Tag>,
                  },
                  {
                    title: t('promo.product'),
                    dataIndex: 'productId',
                    render: (v: string) => <Link to={`/products/${v}`}>{title(v)}</Link>,
                  },
                  {
                    title: t('databank.badges'),
                    dataIndex: 'badges',
                    render: (v: string[]) =>
                      v.map((b) => (
                        <Tag key={b} color="gold">
                          {t(`databank.badgeNames.${b}`, { defaultValue: b })}
                        </Tag>
                      )),
                  },
                  { title: t('databank.why'), dataIndex: 'explanation' },
                ]}
              />
            );
          }}
        </QueryState>
      )}
    </Card>
  );
}
