// The operator's category tree: add, rename, re-flag and move categories, with the commission each
// shop kind pays in it under the rule set in force. Changing a rate publishes a new rule-set version
// (orders keep the rules of their time).
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Button,
  Card,
  Checkbox,
  Form,
  Input,
  InputNumber,
  Modal,
  message,
  Space,
  Table,
  Tag,
  TreeSelect,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, get, type Page, post } from '../api';
import { categoryName } from '../format';
import type { Category } from '../types';
import { QueryState, showError } from '../ui';

interface AdminCategory extends Category {
  slug: string;
  sort: number;
  noReasonReturn: boolean;
  special: boolean;
  children: AdminCategory[];
}
interface RuleSet {
  id: string;
  kind: 'mall' | 'market';
  version: number;
  effectiveFrom: string;
  rules: {
    commission?: { defaultRateBp: number; categoryRatesBp: Record<string, number> };
    [key: string]: unknown;
  };
}

/** The rule set of each shop kind in force now: the latest whose start has passed. */
function useCommission() {
  const sets = useQuery({
    queryKey: ['rule-sets', 'all'],
    queryFn: () => get<Page<RuleSet>>('/admin/rule-sets?limit=100'),
  });
  const now = Date.now();
  const current = (kind: 'mall' | 'market') =>
    (sets.data?.items ?? [])
      .filter((s) => s.kind === kind && new Date(s.effectiveFrom).getTime() <= now)
      .sort((a, b) => b.version - a.version)[0];
  const latest = (kind: 'mall' | 'market') =>
    (sets.data?.items ?? []).filter((s) => s.kind === kind).sort((a, b) => b.version - a.version)[0];
  const rate = (kind: 'mall' | 'market', categoryId: string) => {
    const c = current(kind)?.rules.commission;
    if (!c) return null;
    const own = c.categoryRatesBp[categoryId];
    return { bp: own ?? c.defaultRateBp, own: own !== undefined };
  };
  return Object.assign(rate, { current, latest, refetch: sets.refetch });
}

/**
 * Publishes the next rule-set version of each kind whose rate for the category changed: the latest
 * version's rules with the new rate, effective a minute from now (or from the latest version's start).
 */
async function publishCommission(
  commission: ReturnType<typeof useCommission>,
  categoryId: string,
  rates: { mall?: number | null; market?: number | null },
) {
  for (const kind of ['mall', 'market'] as const) {
    const pct = rates[kind];
    const base = commission.latest(kind);
    if (pct == null || !base?.rules.commission) continue;
    const bp = Math.round(pct * 100);
    if (commission(kind, categoryId)?.bp === bp) continue;
    const start = Math.max(Date.now(), new Date(base.effectiveFrom).getTime()) + 60_000;
    await post('/admin/rule-sets', {
      kind,
      effectiveFrom: new Date(start).toISOString(),
      rules: {
        ...base.rules,
        commission: {
          ...base.rules.commission,
          categoryRatesBp: { ...base.rules.commission.categoryRatesBp, [categoryId]: bp },
        },
      },
    });
  }
}

interface TreeOption {
  value: string;
  title: string;
  children: TreeOption[];
}

function treeOptions(items: AdminCategory[], except?: string): TreeOption[] {
  return items
    .filter((c) => c.id !== except)
    .map((c) => ({ value: c.id, title: categoryName(c), children: treeOptions(c.children, except) }));
}

interface CategoryForm {
  parentId?: string | null;
  nameZh: string;
  nameEn: string;
  slug: string;
  sort?: number;
  noReasonReturn?: boolean;
  special?: boolean;
}

export function AdminCategories() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm<CategoryForm>();
  // null: closed; {id}: editing that category; {parentId}: adding under it (undefined: a root).
  const [editing, setEditing] = useState<{ id?: string; parentId?: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const commission = useCommission();
  const [rateForm] = Form.useForm<{ mall?: number | null; market?: number | null }>();
  const [rating, setRating] = useState<AdminCategory | null>(null);
  const saveRates = async (v: { mall?: number | null; market?: number | null }) => {
    if (!rating) return;
    setBusy(true);
    try {
      await publishCommission(commission, rating.id, v);
      setRating(null);
      message.success(t('adminCatalog.commissionSaved'));
      await commission.refetch();
    } catch (err) {
      showError(err, rateForm);
    } finally {
      setBusy(false);
    }
  };
  const categories = useQuery({
    queryKey: ['categories'],
    queryFn: () => get<{ items: AdminCategory[] }>('/categories'),
  });
  const open = (target: { id?: string; parentId?: string | null }, values?: Partial<CategoryForm>) => {
    form.resetFields();
    form.setFieldsValue({ parentId: target.parentId ?? null, ...values });
    setEditing(target);
  };
  const save = async (v: CategoryForm) => {
    setBusy(true);
    try {
      const body = {
        parentId: v.parentId ?? null,
        nameZh: v.nameZh,
        nameEn: v.nameEn,
        slug: v.slug,
        ...(v.sort != null ? { sort: v.sort } : {}),
        ...(v.noReasonReturn !== undefined ? { noReasonReturn: v.noReasonReturn } : {}),
        ...(v.special !== undefined ? { special: v.special } : {}),
      };
      if (editing?.id) await api('PATCH', `/admin/categories/${editing.id}`, body);
      else await post('/admin/categories', body);
      setEditing(null);
      await qc.invalidateQueries({ queryKey: ['categories'] });
    } catch (err) {
      showError(err, form);
    } finally {
      setBusy(false);
    }
  };
  const rate = (kind: 'mall' | 'market', id: string) => {
    const r = commission(kind, id);
    if (!r) return '—';
    return <Tag color={r.own ? 'orange' : 'default'}>{(r.bp / 100).toFixed(2)}%</Tag>;
  };
  return (
    <Card
      size="small"
      title={t('adminCatalog.title')}
      extra={
        <Button
          type="primary"
          onClick={() => open({ parentId: null }, { noReasonReturn: true, special: false })}
        >
          {t('adminCatalog.addRoot')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">
        {t('adminCatalog.commissionHint')} <Link to="/admin/rule-sets">{t('admin.ruleSets')}</Link>
      </Typography.Paragraph>
      <QueryState query={categories} empty={(c) => c.items.length === 0}>
        {(c) => (
          <div data-testid="category-table">
            <Table
              rowKey="id"
              size="small"
              dataSource={c.items}
              pagination={false}
              scroll={{ x: true }}
              expandable={{ childrenColumnName: 'children' }}
              columns={[
                { title: t('adminCatalog.nameZh'), dataIndex: 'nameZh' },
                { title: t('adminCatalog.nameEn'), dataIndex: 'nameEn' },
                { title: t('adminCatalog.slug'), dataIndex: 'slug' },
                { title: t('adminCatalog.sort'), dataIndex: 'sort' },
                {
                  title: t('adminCatalog.noReasonReturn'),
                  dataIndex: 'noReasonReturn',
                  render: (v: boolean) => (v ? t('common.yes') : t('common.no')),
                },
                {
                  title: t('adminCatalog.special'),
                  dataIndex: 'special',
                  render: (v: boolean) => (v ? t('common.yes') : t('common.no')),
                },
                {
                  title: t('adminCatalog.commissionMall'),
                  key: 'mall',
                  render: (_: unknown, r: AdminCategory) => rate('mall', r.id),
                },
                {
                  title: t('adminCatalog.commissionMarket'),
                  key: 'market',
                  render: (_: unknown, r: AdminCategory) => rate('market', r.id),
                },
                {
                  title: '',
                  key: 'actions',
                  render: (_: unknown, r: AdminCategory) => (
                    <Space>
                      <Button
                        size="small"
                        onClick={() =>
                          open(
                            { id: r.id, parentId: r.parentId },
                            {
                              nameZh: r.nameZh,
                              nameEn: r.nameEn,
                              slug: r.slug,
                              sort: r.sort,
                              noReasonReturn: r.noReasonReturn,
                              special: r.special,
                            },
                          )
                        }
                      >
                        {t('catalog.edit')}
                      </Button>
                      <Button
                        size="small"
                        onClick={() =>
                          open({ parentId: r.id }, { noReasonReturn: r.noReasonReturn, special: r.special })
                        }
                      >
                        {t('adminCatalog.addChild')}
                      </Button>
                      <Button
                        size="small"
                        onClick={() => {
                          rateForm.setFieldsValue({
                            mall: (commission('mall', r.id)?.bp ?? 0) / 100,
                            market: (commission('market', r.id)?.bp ?? 0) / 100,
                          });
                          setRating(r);
                        }}
                      >
                        {t('adminCatalog.commissionEdit')}
                      </Button>
                    </Space>
                  ),
                },
              ]}
            />
          </div>
        )}
      </QueryState>
      <Modal
        open={!!rating}
        title={t('adminCatalog.commissionTitle', { name: rating ? categoryName(rating) : '' })}
        onCancel={() => setRating(null)}
        onOk={() => rateForm.submit()}
        confirmLoading={busy}
        okText={t('common.submit')}
      >
        <Typography.Paragraph type="secondary">{t('adminCatalog.commissionPublish')}</Typography.Paragraph>
        <Form form={rateForm} name="commission" layout="vertical" onFinish={saveRates}>
          {(['mall', 'market'] as const).map((kind) => (
            <Form.Item
              key={kind}
              name={kind}
              label={t('adminCatalog.commissionRate', {
                kind: t(kind === 'mall' ? 'adminCatalog.commissionMall' : 'adminCatalog.commissionMarket'),
              })}
              rules={[{ type: 'number', min: 0, max: 100, message: t('form.required') }]}
            >
              <InputNumber min={0} max={100} step={0.1} precision={2} />
            </Form.Item>
          ))}
        </Form>
      </Modal>
      <Modal
        open={!!editing}
        title={editing?.id ? t('adminCatalog.edit') : t('adminCatalog.add')}
        onCancel={() => setEditing(null)}
        onOk={() => form.submit()}
        confirmLoading={busy}
        okText={t('common.submit')}
      >
        <Form form={form} name="category" layout="vertical" onFinish={save}>
          <Form.Item name="parentId" label={t('adminCatalog.parent')}>
            <TreeSelect
              allowClear
              aria-label={t('adminCatalog.parent')}
              treeData={treeOptions(categories.data?.items ?? [], editing?.id)}
              placeholder={t('adminCatalog.root')}
            />
          </Form.Item>
          <Form.Item
            name="nameZh"
            label={t('adminCatalog.nameZh')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <Input maxLength={40} />
          </Form.Item>
          <Form.Item
            name="nameEn"
            label={t('adminCatalog.nameEn')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <Input maxLength={80} />
          </Form.Item>
          <Form.Item
            name="slug"
            label={t('adminCatalog.slug')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <Input maxLength={64} />
          </Form.Item>
          <Form.Item name="sort" label={t('adminCatalog.sort')}>
            <InputNumber />
          </Form.Item>
          <Space>
            <Form.Item name="noReasonReturn" valuePropName="checked">
              <Checkbox>{t('adminCatalog.noReasonReturn')}</Checkbox>
            </Form.Item>
            <Form.Item name="special" valuePropName="checked">
              <Checkbox>{t('adminCatalog.special')}</Checkbox>
            </Form.Item>
          </Space>
        </Form>
      </Modal>
    </Card>
  );
}
