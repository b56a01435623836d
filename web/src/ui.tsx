// Shared pieces: problem+json into forms, loading / empty / error states, status tags.
import type { UseQueryResult } from '@tanstack/react-query';
import { Alert, Button, Empty, Form, type FormInstance, Input, message, Result, Spin, Tag } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from './api';
import i18n from './i18n';

/** '/address/phone' -> ['address', 'phone'] (a JSON pointer as an antd name path). */
export function pointerToName(pointer: string): (string | number)[] {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/**
 * Shows a failed request: field errors next to their fields (when the form has them), the rest as
 * a message. `fieldMap` renames API paths to form fields where the form differs from the body.
 */
export function showError(
  err: unknown,
  form?: FormInstance,
  fieldMap?: (name: (string | number)[]) => (string | number)[],
) {
  if (!(err instanceof ApiError)) {
    message.error(err instanceof Error ? err.message : String(err));
    return;
  }
  const errors = err.problem.errors ?? [];
  const unplaced: string[] = [];
  if (form && errors.length) {
    const known = new Set(Object.keys(form.getFieldsValue(true) ?? {}));
    const fields = [];
    for (const e of errors) {
      const name = fieldMap ? fieldMap(pointerToName(e.path)) : pointerToName(e.path);
      if (name.length && known.has(String(name[0]))) fields.push({ name, errors: [e.message] });
      else unplaced.push(e.message);
    }
    form.setFields(fields);
    if (fields.length && !unplaced.length) return;
  }
  message.error([err.problem.detail || err.problem.title, ...unplaced].filter(Boolean).join(' '));
}

/** Loading, error and empty states around a query's data. */
export function QueryState<T>({
  query,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  empty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  const { t } = useTranslation();
  if (query.isPending) {
    return (
      <div style={{ textAlign: 'center', padding: 48 }}>
        <Spin aria-label={t('common.loading')} />
      </div>
    );
  }
  if (query.isError) {
    const e = query.error;
    if (e instanceof ApiError && e.status === 404)
      return <Result status="404" title={t('common.notFound')} />;
    return (
      <Alert
        type="error"
        showIcon
        message={t('common.loadFailed')}
        description={e.message}
        action={<Button onClick={() => query.refetch()}>{t('common.retry')}</Button>}
      />
    );
  }
  if (empty?.(query.data)) return <Empty description={t('common.empty')} />;
  return <>{children(query.data)}</>;
}

const statusColors: Record<string, string> = {
  awaiting_payment: 'orange',
  paid: 'blue',
  shipped: 'cyan',
  succeeded: 'green',
  closed: 'default',
  requested: 'orange',
  refused: 'red',
  escalated: 'purple',
  awaiting_return: 'gold',
  return_shipped: 'cyan',
  refunded: 'green',
  open: 'orange',
  upheld: 'red',
  dismissed: 'default',
  pending: 'orange',
  approved: 'green',
  rejected: 'red',
  draft: 'default',
  published: 'green',
  delisted: 'default',
  active: 'green',
  paused: 'default',
  upcoming: 'blue',
  live: 'volcano',
  ended: 'default',
  unused: 'green',
  held: 'orange',
  used: 'default',
  expired: 'default',
};

export function StatusTag({ status }: { status: string }) {
  return (
    <Tag color={statusColors[status] ?? 'default'} data-testid="status" data-status={status}>
      {i18n.t(`status.${status}`, { defaultValue: status })}
    </Tag>
  );
}

/** Money typed in yuan by a person -> integer fen. */
export function yuanToFen(yuan: number | string | null | undefined): number {
  return Math.round(Number(yuan ?? 0) * 100);
}

/** The delivery address of a checkout form, under `address` as the API takes it. */
export function AddressFields() {
  const { t } = useTranslation();
  const required = { required: true, message: t('form.required') };
  return (
    <>
      <Form.Item name={['address', 'name']} label={t('checkout.name')} rules={[required]}>
        <Input autoComplete="name" />
      </Form.Item>
      <Form.Item
        name={['address', 'phone']}
        label={t('checkout.phone')}
        rules={[required, { pattern: /^\+?[\d\s-]{5,20}$/, message: t('checkout.phoneInvalid') }]}
      >
        <Input autoComplete="tel" inputMode="tel" />
      </Form.Item>
      <Form.Item name={['address', 'region']} label={t('checkout.region')} rules={[required]}>
        <Input placeholder={t('checkout.regionHint')} />
      </Form.Item>
      <Form.Item name={['address', 'line']} label={t('checkout.line')} rules={[required]}>
        <Input autoComplete="street-address" />
      </Form.Item>
    </>
  );
}
