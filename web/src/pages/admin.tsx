import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, get, type Page, post, qs } from '../api';
import { dateTime, money } from '../format';
import type { Application, Complaint, Refund } from '../types';
import { QueryState, StatusTag, showError } from '../ui';
import { ComplaintTable } from './orders';

/** A decision that needs a written note (reject, uphold, dismiss, decide). */
function NoteModal({
  title,
  field,
  open,
  onCancel,
  onSubmit,
  extra,
}: {
  title: string;
  field: string;
  open: boolean;
  onCancel: () => void;
  onSubmit: (values: Record<string, string>) => Promise<void>;
  extra?: React.ReactNode;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  return (
    <Modal
      open={open}
      title={title}
      onCancel={onCancel}
      onOk={() => form.submit()}
      confirmLoading={busy}
      okText={t('common.submit')}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        onFinish={async (v) => {
          setBusy(true);
          try {
            await onSubmit(v);
          } catch (err) {
            showError(err, form);
          } finally {
            setBusy(false);
          }
        }}
      >
        {extra}
        <Form.Item
          name={field}
          label={t('admin.note')}
          rules={[{ required: true, min: 2, message: t('form.minChars', { n: 2 }) }]}
        >
          <Input.TextArea rows={3} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export function AdminApplications() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [status, setStatus] = useState<string | undefined>('pending');
  const [rejecting, setRejecting] = useState<Application | null>(null);
  const apps = useQuery({
    queryKey: ['admin-applications', status],
    queryFn: () => get<Page<Application>>(`/admin/merchant/applications${qs({ status, limit: 100 })}`),
  });
  const refresh = () => qc.invalidateQueries({ queryKey: ['admin-applications'] });
  const approve = async (a: Application) => {
    try {
      await post(`/admin/merchant/applications/${a.id}/approve`);
      await refresh();
    } catch (err) {
      showError(err);
    }
  };
  return (
    <>
      <Typography.Title level={4}>{t('admin.applications')}</Typography.Title>
      <Select
        allowClear
        aria-label={t('common.status')}
        style={{ width: 160, marginBottom: 12 }}
        value={status}
        onChange={setStatus}
        options={['pending', 'approved', 'rejected'].map((s) => ({ value: s, label: t(`status.${s}`) }))}
      />
      <QueryState query={apps} empty={(a) => a.items.length === 0}>
        {(a) => (
          <Table
            rowKey="id"
            size="small"
            dataSource={a.items}
            scroll={{ x: true }}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              { title: t('complaint.createdAt'), dataIndex: 'createdAt', render: (v: string) => dateTime(v) },
              { title: t('seller.shopName'), dataIndex: 'shopName' },
              { title: t('seller.shopKind'), dataIndex: 'kind', render: (v: string) => t(`shop.kind.${v}`) },
              { title: t('seller.realName'), dataIndex: 'realName' },
              { title: t('seller.idNumber'), dataIndex: 'idNumberMasked' },
              { title: t('seller.brandName'), dataIndex: 'brandName' },
              {
                title: t('seller.depositPlan'),
                dataIndex: 'depositPlan',
                render: (v: string) => t(`seller.depositPlans.${v}`),
              },
              {
                title: t('common.status'),
                dataIndex: 'status',
                render: (v: string) => <StatusTag status={v} />,
              },
              {
                title: '',
                key: 'actions',
                render: (_: unknown, x: Application) =>
                  x.status === 'pending' && (
                    <Space>
                      <Button size="small" type="primary" onClick={() => approve(x)}>
                        {t('seller.approve')}
                      </Button>
                      <Button size="small" danger onClick={() => setRejecting(x)}>
                        {t('admin.reject')}
                      </Button>
                    </Space>
                  ),
              },
            ]}
          />
        )}
      </QueryState>
      <NoteModal
        title={t('admin.reject')}
        field="reason"
        open={!!rejecting}
        onCancel={() => setRejecting(null)}
        onSubmit={async (v) => {
          await post(`/admin/merchant/applications/${rejecting?.id}/reject`, v);
          setRejecting(null);
          await refresh();
        }}
      />
    </>
  );
}

export function AdminComplaints() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [status, setStatus] = useState<string | undefined>('open');
  const [deciding, setDeciding] = useState<{ complaint: Complaint; outcome: 'uphold' | 'dismiss' } | null>(
    null,
  );
  const complaints = useQuery({
    queryKey: ['admin-complaints', status],
    queryFn: () => get<Page<Complaint>>(`/admin/complaints${qs({ status, limit: 100 })}`),
  });
  return (
    <>
      <Typography.Title level={4}>{t('admin.complaints')}</Typography.Title>
      <Select
        allowClear
        aria-label={t('common.status')}
        style={{ width: 160, marginBottom: 12 }}
        value={status}
        onChange={setStatus}
        options={['open', 'upheld', 'dismissed'].map((s) => ({ value: s, label: t(`status.${s}`) }))}
      />
      <QueryState query={complaints} empty={(c) => c.items.length === 0}>
        {(c) => (
          <ComplaintTable
            items={c.items}
            actions={(x) =>
              x.status === 'open' && (
                <Space>
                  <Button
                    size="small"
                    type="primary"
                    danger
                    onClick={() => setDeciding({ complaint: x, outcome: 'uphold' })}
                  >
                    {t('admin.uphold')}
                  </Button>
                  <Button size="small" onClick={() => setDeciding({ complaint: x, outcome: 'dismiss' })}>
                    {t('admin.dismiss')}
                  </Button>
                </Space>
              )
            }
          />
        )}
      </QueryState>
      <NoteModal
        title={deciding?.outcome === 'uphold' ? t('admin.uphold') : t('admin.dismiss')}
        field="note"
        open={!!deciding}
        onCancel={() => setDeciding(null)}
        onSubmit={async (v) => {
          if (!deciding) return;
          await post(`/admin/complaints/${deciding.complaint.id}/${deciding.outcome}`, v);
          setDeciding(null);
          await qc.invalidateQueries({ queryKey: ['admin-complaints'] });
        }}
      />
    </>
  );
}

export function AdminRefunds() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [deciding, setDeciding] = useState<Refund | null>(null);
  const refunds = useQuery({
    queryKey: ['admin-refunds'],
    queryFn: () => get<Page<Refund>>('/admin/refunds?status=escalated&limit=100'),
  });
  return (
    <>
      <Typography.Title level={4}>{t('admin.refunds')}</Typography.Title>
      <QueryState query={refunds} empty={(r) => r.items.length === 0}>
        {(r) => (
          <Table
            rowKey="id"
            size="small"
            dataSource={r.items}
            scroll={{ x: true }}
            columns={[
              { title: t('complaint.createdAt'), dataIndex: 'createdAt', render: (v: string) => dateTime(v) },
              { title: t('order.title'), dataIndex: 'orderId', render: (v: string) => v.slice(-8) },
              { title: t('refund.kind'), dataIndex: 'kind', render: (v: string) => t(`refund.kinds.${v}`) },
              {
                title: t('refund.reason'),
                dataIndex: 'reason',
                render: (v: string) => t(`refund.reasons.${v}`),
              },
              { title: t('refund.detail'), dataIndex: 'detail' },
              { title: t('seller.refuseReason'), dataIndex: 'refusalReason' },
              { title: t('pay.amount'), dataIndex: 'amount', render: (v: number) => money(v) },
              {
                title: '',
                key: 'actions',
                render: (_: unknown, x: Refund) => (
                  <Button size="small" type="primary" onClick={() => setDeciding(x)}>
                    {t('admin.decide')}
                  </Button>
                ),
              },
            ]}
          />
        )}
      </QueryState>
      <NoteModal
        title={t('admin.decide')}
        field="note"
        open={!!deciding}
        onCancel={() => setDeciding(null)}
        extra={
          <Form.Item
            name="outcome"
            label={t('admin.outcome')}
            rules={[{ required: true, message: t('form.required') }]}
          >
            <Radio.Group>
              <Radio value="refund">{t('admin.outcomes.refund')}</Radio>
              <Radio value="reject">{t('admin.outcomes.reject')}</Radio>
            </Radio.Group>
          </Form.Item>
        }
        onSubmit={async (v) => {
          await post(`/admin/refunds/${deciding?.id}/decide`, v);
          setDeciding(null);
          await qc.invalidateQueries({ queryKey: ['admin-refunds'] });
        }}
      />
    </>
  );
}

interface RuleSet {
  id: string;
  kind: 'mall' | 'market';
  version: number;
  effectiveFrom: string;
  rules: Record<string, unknown>;
}

export function AdminRuleSets() {
  const { t } = useTranslation();
  const [kind, setKind] = useState<string>();
  const sets = useQuery({
    queryKey: ['rule-sets', kind],
    queryFn: () => get<Page<RuleSet>>(`/admin/rule-sets${qs({ kind, limit: 100 })}`),
  });
  return (
    <>
      <Typography.Title level={4}>{t('admin.ruleSets')}</Typography.Title>
      <Select
        allowClear
        aria-label={t('seller.shopKind')}
        placeholder={t('seller.shopKind')}
        style={{ width: 160, marginBottom: 12 }}
        value={kind}
        onChange={setKind}
        options={['mall', 'market'].map((k) => ({ value: k, label: t(`shop.kind.${k}`) }))}
      />
      <QueryState query={sets} empty={(s) => s.items.length === 0}>
        {(s) => (
          <Table
            rowKey="id"
            size="small"
            dataSource={s.items}
            scroll={{ x: true }}
            expandable={{
              expandedRowRender: (r: RuleSet) => (
                <pre style={{ maxHeight: 400, overflow: 'auto', fontSize: 12 }}>
                  {JSON.stringify(r.rules, null, 2)}
                </pre>
              ),
            }}
            columns={[
              { title: t('seller.shopKind'), dataIndex: 'kind', render: (v: string) => t(`shop.kind.${v}`) },
              { title: t('admin.version'), dataIndex: 'version', render: (v: number) => <Tag>v{v}</Tag> },
              {
                title: t('admin.effectiveFrom'),
                dataIndex: 'effectiveFrom',
                render: (v: string) => dateTime(v),
              },
              {
                title: t('admin.shipDeadline'),
                key: 'ship',
                render: (_: unknown, r: RuleSet) =>
                  `${(r.rules as { shipping?: { deadlineHours?: number } }).shipping?.deadlineHours ?? '—'} h`,
              },
            ]}
          />
        )}
      </QueryState>
    </>
  );
}

export function AdminClock() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const clock = useQuery({ queryKey: ['admin-clock'], queryFn: () => get<{ now: string }>('/admin/clock') });
  if (clock.isError && clock.error instanceof ApiError && clock.error.status === 404) {
    return <Alert type="info" showIcon message={t('admin.clockOff')} />;
  }
  const advance = async (v: { days?: number; hours?: number; minutes?: number }) => {
    setBusy(true);
    try {
      const r = await post<{ now: string }>('/admin/clock/advance', v);
      qc.setQueryData(['admin-clock'], r);
      // Deadlines ran: every list may have changed.
      await qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'admin-clock' });
    } catch (err) {
      showError(err, form);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('admin.clock')} style={{ maxWidth: 560 }}>
      <QueryState query={clock}>
        {(c) => (
          <Typography.Paragraph>
            {t('admin.clockNow')} <b data-testid="clock-now">{dateTime(c.now)}</b>
          </Typography.Paragraph>
        )}
      </QueryState>
      <Form form={form} layout="inline" onFinish={advance} initialValues={{ days: 0, hours: 0, minutes: 0 }}>
        <Form.Item name="days" label={t('admin.days')}>
          <InputNumber min={0} max={3650} />
        </Form.Item>
        <Form.Item name="hours" label={t('admin.hours')}>
          <InputNumber min={0} max={87600} />
        </Form.Item>
        <Form.Item name="minutes" label={t('admin.minutes')}>
          <InputNumber min={0} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t('admin.advance')}
        </Button>
      </Form>
    </Card>
  );
}

interface PlatformLedger {
  currency: string;
  accounts: { code: string; kind: string; balance: number }[];
  shops: { deposit: number; balance: number };
  total: number;
}

export function AdminLedger() {
  const { t } = useTranslation();
  const ledger = useQuery({
    queryKey: ['admin-ledger'],
    queryFn: () => get<PlatformLedger>('/admin/ledger'),
  });
  return (
    <>
      <Typography.Title level={4}>{t('admin.ledger')}</Typography.Title>
      <QueryState query={ledger}>
        {(l) => (
          <>
            <Card size="small" style={{ marginBottom: 12 }}>
              <Space wrap size="large">
                <Statistic title={t('admin.shopsBalance')} value={money(l.shops.balance)} />
                <Statistic title={t('admin.shopsDeposit')} value={money(l.shops.deposit)} />
                <Statistic title={t('admin.ledgerTotal')} value={money(l.total)} data-testid="ledger-total" />
              </Space>
            </Card>
            <Table
              rowKey="code"
              size="small"
              pagination={false}
              dataSource={l.accounts}
              scroll={{ x: true }}
              columns={[
                { title: t('seller.account'), dataIndex: 'code' },
                {
                  title: t('admin.accountKind'),
                  dataIndex: 'kind',
                  render: (v: string) => t(`admin.accountKinds.${v}`),
                },
                { title: t('seller.balance'), dataIndex: 'balance', render: (v: number) => money(v) },
              ]}
            />
          </>
        )}
      </QueryState>
    </>
  );
}
