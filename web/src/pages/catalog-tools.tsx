// The merchant's product tools: editing a product and its SKUs, and moving the catalogue in and out
// as CSV. Export pages through the API and builds the file here; import parses the file here
// (papaparse) and makes one API call at a time, so a bad row fails alone and says why.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Progress,
  Select,
  Space,
  Table,
  TreeSelect,
  Typography,
  Upload,
} from 'antd';
import Papa from 'papaparse';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, allPages, api, get, post, saveFile } from '../api';
import type { Product, ProductCard, Sku, Warehouse } from '../types';
import { pointerToName, QueryState, StatusTag, showError, yuanToFen } from '../ui';
import { leafTree } from './seller';
import { useCategories } from './store';

/** "颜色=黑色; 尺码=M" <-> {颜色: 黑色, 尺码: M}: readable in a spreadsheet, exact on the way back. */
export function formatAttributes(a: Record<string, string>): string {
  return Object.entries(a)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}
export function parseAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/[;；]/)) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k) out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------- editing

export function ProductEditor({
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
  const categories = useCategories();
  const [form] = Form.useForm();
  const [skuForm] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const product = useQuery({
    queryKey: ['seller-product', shopId, productId],
    queryFn: () => get<Product>(`/seller/shops/${shopId}/products/${productId}`),
  });
  const refresh = async () => {
    await qc.invalidateQueries({ queryKey: ['seller-product', shopId, productId] });
    await qc.invalidateQueries({ queryKey: ['seller-products', shopId] });
  };
  const save = async (v: {
    title: string;
    description?: string;
    categoryId: string;
    shipWithinHours?: number | null;
  }) => {
    setBusy(true);
    try {
      await api('PATCH', `/seller/shops/${shopId}/products/${productId}`, {
        title: v.title,
        description: v.description ?? '',
        categoryId: v.categoryId,
        shipWithinHours: v.shipWithinHours ?? null,
      });
      await refresh();
    } catch (err) {
      showError(err, form);
    } finally {
      setBusy(false);
    }
  };
  const act = async (call: () => Promise<unknown>) => {
    try {
      await call();
      await refresh();
    } catch (err) {
      showError(err);
    }
  };
  const addSku = async (v: { code: string; attributes?: string; price: number; stock?: number }) => {
    try {
      await post(`/seller/shops/${shopId}/products/${productId}/skus`, {
        code: v.code,
        attributes: parseAttributes(v.attributes ?? ''),
        price: yuanToFen(v.price),
        stock: warehouses[0] && v.stock ? [{ warehouseId: warehouses[0].id, quantity: v.stock }] : [],
      });
      skuForm.resetFields();
      await refresh();
    } catch (err) {
      showError(err, skuForm, (name) => (name[0] === 'attributes' ? ['attributes'] : name));
    }
  };
  return (
    <Modal open title={t('catalog.editProduct')} onCancel={onClose} footer={null} width={860} destroyOnHidden>
      <QueryState query={product}>
        {(p) => (
          <>
            <Space style={{ marginBottom: 12 }} wrap>
              <StatusTag status={p.status} />
              {p.status !== 'published' ? (
                <Button
                  size="small"
                  type="primary"
                  onClick={() => act(() => post(`/seller/shops/${shopId}/products/${p.id}/publish`))}
                >
                  {t('seller.publish')}
                </Button>
              ) : (
                <Button
                  size="small"
                  onClick={() => act(() => post(`/seller/shops/${shopId}/products/${p.id}/unpublish`))}
                >
                  {t('seller.unpublish')}
                </Button>
              )}
            </Space>
            <Form
              form={form}
              name="edit-product"
              layout="vertical"
              onFinish={save}
              initialValues={{
                title: p.title,
                description: p.description,
                categoryId: p.categoryId,
                shipWithinHours: p.shipWithinHours,
              }}
            >
              <Form.Item
                name="title"
                label={t('seller.productTitle')}
                rules={[{ required: true, message: t('form.required') }]}
              >
                <Input maxLength={100} />
              </Form.Item>
              <Form.Item name="categoryId" label={t('seller.category')}>
                <TreeSelect
                  aria-label={t('seller.category')}
                  showSearch
                  treeNodeFilterProp="title"
                  treeData={leafTree(categories.data?.items ?? [])}
                />
              </Form.Item>
              <Form.Item name="description" label={t('seller.description')}>
                <Input.TextArea rows={2} />
              </Form.Item>
              <Space wrap align="end">
                <Form.Item name="shipWithinHours" label={t('seller.shipWithinHours')}>
                  <InputNumber min={1} max={720} />
                </Form.Item>
                <Form.Item>
                  <Button type="primary" htmlType="submit" loading={busy}>
                    {t('catalog.save')}
                  </Button>
                </Form.Item>
              </Space>
            </Form>
            <Typography.Title level={5}>{t('seller.skus')}</Typography.Title>
            <Table
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={p.skus}
              scroll={{ x: true }}
              columns={[
                { title: t('seller.skuCode'), dataIndex: 'code' },
                {
                  title: t('catalog.attributes'),
                  key: 'attributes',
                  render: (_: unknown, s: Sku) => (
                    <SkuEditor shopId={shopId} productId={p.id} sku={s} onSaved={refresh} />
                  ),
                },
                { title: t('seller.available'), dataIndex: 'available' },
                {
                  title: t('common.status'),
                  dataIndex: 'status',
                  render: (v: string) => t(`catalog.skuStatus.${v}`),
                },
              ]}
            />
            <Form form={skuForm} name="add-sku" layout="inline" onFinish={addSku} style={{ marginTop: 12 }}>
              <Form.Item name="code" rules={[{ required: true, message: t('form.required') }]}>
                <Input
                  placeholder={t('seller.skuCode')}
                  aria-label={t('seller.skuCode')}
                  style={{ width: 130 }}
                />
              </Form.Item>
              <Form.Item name="attributes">
                <Input
                  placeholder="颜色=黑色; 尺码=M"
                  aria-label={t('catalog.attributes')}
                  style={{ width: 180 }}
                />
              </Form.Item>
              <Form.Item name="price" rules={[{ required: true, message: t('form.required') }]}>
                <InputNumber
                  min={0.01}
                  precision={2}
                  prefix="¥"
                  placeholder={t('seller.price')}
                  aria-label={t('seller.price')}
                />
              </Form.Item>
              <Form.Item name="stock">
                <InputNumber min={0} placeholder={t('seller.stock')} aria-label={t('seller.stock')} />
              </Form.Item>
              <Button htmlType="submit">{t('seller.addSku')}</Button>
            </Form>
          </>
        )}
      </QueryState>
    </Modal>
  );
}

/** One SKU's price, attributes and status, saved with one PATCH. */
function SkuEditor({
  shopId,
  productId,
  sku,
  onSaved,
}: {
  shopId: string;
  productId: string;
  sku: Sku;
  onSaved: () => Promise<void>;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const save = async (v: { price: number; attributes: string; status: string }) => {
    try {
      await api('PATCH', `/seller/shops/${shopId}/products/${productId}/skus/${sku.id}`, {
        price: yuanToFen(v.price),
        attributes: parseAttributes(v.attributes ?? ''),
        status: v.status,
      });
      await onSaved();
    } catch (err) {
      showError(err, form, (name) => (name[0] === 'attributes' ? ['attributes'] : name));
    }
  };
  return (
    <Form
      form={form}
      layout="inline"
      onFinish={save}
      initialValues={{
        price: sku.price / 100,
        attributes: formatAttributes(sku.attributes),
        status: sku.status,
      }}
    >
      <Form.Item name="attributes">
        <Input aria-label={`${t('catalog.attributes')} ${sku.code}`} style={{ width: 160 }} />
      </Form.Item>
      <Form.Item name="price" rules={[{ required: true, message: t('form.required') }]}>
        <InputNumber
          min={0.01}
          precision={2}
          prefix="¥"
          aria-label={`${t('seller.price')} ${sku.code}`}
          style={{ width: 120 }}
        />
      </Form.Item>
      <Form.Item name="status">
        <Select
          aria-label={`${t('common.status')} ${sku.code}`}
          style={{ width: 100 }}
          options={['active', 'inactive'].map((s) => ({ value: s, label: t(`catalog.skuStatus.${s}`) }))}
        />
      </Form.Item>
      <Button size="small" htmlType="submit">
        {t('catalog.save')}
      </Button>
    </Form>
  );
}

// ---------------------------------------------------------------- CSV

/** The file's columns, in order; the export writes them and the import reads them by name. */
export const CSV_COLUMNS = [
  'product_id',
  'title',
  'category_id',
  'description',
  'ship_within_hours',
  'status',
  'sku_id',
  'sku_code',
  'attributes',
  'price',
  'stock',
] as const;
type CsvRow = Record<(typeof CSV_COLUMNS)[number], string>;

interface RowError {
  line: number;
  code: string;
  message: string;
}

function problemText(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = (err.problem.errors ?? []).map((e) => `${pointerToName(e.path).join('.')}: ${e.message}`);
    return [err.problem.detail || err.problem.title, ...fields].filter(Boolean).join(' · ');
  }
  return err instanceof Error ? err.message : String(err);
}

/** Yuan as written in a spreadsheet ("1,299.00", "¥59") -> fen, or null when it is not a price. */
function priceFen(text: string): number | null {
  const n = Number(text.replace(/[¥,\s]/g, ''));
  return Number.isFinite(n) && n > 0 ? Math.round(n * 100) : null;
}

export function ProductCsvTools({
  shopId,
  shopName,
  warehouses,
}: {
  shopId: string;
  shopName: string;
  warehouses: Warehouse[];
}) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [progress, setProgress] = useState<{ label: string; done: number; total: number } | null>(null);
  const [errors, setErrors] = useState<RowError[]>([]);
  const [summary, setSummary] = useState<string | null>(null);
  const running = progress !== null && progress.done < progress.total;

  const exportCsv = async () => {
    setErrors([]);
    setSummary(null);
    try {
      setProgress({ label: t('catalog.exporting'), done: 0, total: 1 });
      const cards = await allPages<ProductCard>(`/seller/shops/${shopId}/products`);
      const rows: CsvRow[] = [];
      setProgress({ label: t('catalog.exporting'), done: 0, total: cards.length });
      for (const [i, card] of cards.entries()) {
        const p = await get<Product>(`/seller/shops/${shopId}/products/${card.id}`);
        for (const s of p.skus) {
          rows.push({
            product_id: p.id,
            title: p.title,
            category_id: p.categoryId,
            description: p.description,
            ship_within_hours: p.shipWithinHours === null ? '' : String(p.shipWithinHours),
            status: p.status,
            sku_id: s.id,
            sku_code: s.code,
            attributes: formatAttributes(s.attributes),
            price: (s.price / 100).toFixed(2),
            stock: String(s.available),
          });
        }
        setProgress({ label: t('catalog.exporting'), done: i + 1, total: cards.length });
      }
      const csv = Papa.unparse({
        fields: [...CSV_COLUMNS],
        data: rows.map((r) => CSV_COLUMNS.map((c) => r[c])),
      });
      const day = new Date().toISOString().slice(0, 10);
      saveFile(`products-${shopName}-${day}.csv`, csv);
      setSummary(t('catalog.exported', { products: cards.length, skus: rows.length }));
      if (cards.length === 0) setProgress(null);
    } catch (err) {
      setProgress(null);
      showError(err);
    }
  };

  const importCsv = async (file: File) => {
    setErrors([]);
    setSummary(null);
    const text = await file.text();
    const parsed = Papa.parse<Partial<CsvRow>>(text.replace(/^\ufeff/, ''), {
      header: true,
      skipEmptyLines: 'greedy',
      transformHeader: (h) => h.trim(),
    });
    const problems: RowError[] = parsed.errors.map((e) => ({
      line: (e.row ?? 0) + 2,
      code: '',
      message: e.message,
    }));
    const missing = ['sku_code', 'price'].filter((c) => !parsed.meta.fields?.includes(c));
    if (missing.length) {
      setErrors([
        { line: 1, code: '', message: t('catalog.missingColumns', { columns: missing.join(', ') }) },
      ]);
      return;
    }
    // Rows of one product travel together: by product_id, or by title and category for new ones.
    const groups = new Map<string, { line: number; row: Partial<CsvRow>; price: number }[]>();
    parsed.data.forEach((row, i) => {
      const line = i + 2;
      const code = row.sku_code?.trim() ?? '';
      const price = priceFen(row.price ?? '');
      if (!code) problems.push({ line, code, message: t('catalog.rowNoCode') });
      else if (price === null)
        problems.push({ line, code, message: t('catalog.rowBadPrice', { price: row.price ?? '' }) });
      else if (!row.product_id?.trim() && (!row.title?.trim() || !row.category_id?.trim()))
        problems.push({ line, code, message: t('catalog.rowNoProduct') });
      else {
        const key = row.product_id?.trim() || `new:${row.title?.trim()}|${row.category_id?.trim()}`;
        groups.set(key, [...(groups.get(key) ?? []), { line, row, price }]);
      }
    });
    const total = [...groups.values()].reduce((n, g) => n + g.length, 0);
    let done = 0;
    let created = 0;
    let updated = 0;
    setErrors([...problems]);
    setProgress({ label: t('catalog.importing'), done, total });
    const step = (n: number) => {
      done += n;
      setProgress({ label: t('catalog.importing'), done, total });
    };
    const fail = (line: number, code: string, err: unknown) => {
      problems.push({ line, code, message: problemText(err) });
      setErrors([...problems]);
    };
    const stock = (row: Partial<CsvRow>) => {
      const q = Number(row.stock ?? '');
      return warehouses[0] && Number.isInteger(q) && q > 0
        ? [{ warehouseId: warehouses[0].id, quantity: q }]
        : [];
    };
    const setStatus = async (id: string, current: string | null, wanted: string | undefined) => {
      const w = wanted?.trim();
      if (w === 'published' && current !== 'published')
        await post(`/seller/shops/${shopId}/products/${id}/publish`);
      if ((w === 'delisted' || w === 'draft') && current === 'published')
        await post(`/seller/shops/${shopId}/products/${id}/unpublish`);
    };
    for (const [key, rows] of groups) {
      const first = rows[0];
      if (!first) continue;
      const head = first.row;
      const ship = Number(head.ship_within_hours ?? '');
      const shipWithinHours = head.ship_within_hours?.trim() && Number.isInteger(ship) ? ship : null;
      if (key.startsWith('new:')) {
        // A new product: one call with all its SKUs, then publish if the file says so.
        try {
          const p = await post<{ id: string }>(`/seller/shops/${shopId}/products`, {
            title: head.title?.trim(),
            categoryId: head.category_id?.trim(),
            ...(head.description ? { description: head.description } : {}),
            ...(shipWithinHours ? { shipWithinHours } : {}),
            skus: rows.map(({ row, price }) => ({
              code: row.sku_code?.trim(),
              attributes: parseAttributes(row.attributes ?? ''),
              price,
              stock: stock(row),
            })),
          });
          created += rows.length;
          await setStatus(p.id, 'draft', head.status);
        } catch (err) {
          // A SKU's field error names its row (/skus/1/price); anything else is the whole product's.
          const at =
            err instanceof ApiError
              ? (err.problem.errors ?? [])
                  .map((e) => pointerToName(e.path))
                  .filter((n) => n[0] === 'skus' && typeof n[1] === 'number')
                  .map((n) => n[1] as number)
              : [];
          const blamed = at.length ? rows.filter((_, i) => at.includes(i)) : rows;
          for (const r of blamed) fail(r.line, r.row.sku_code ?? '', err);
        }
        step(rows.length);
        continue;
      }
      // An existing product: fields that differ, each SKU updated or added, one call at a time.
      let current: Product;
      try {
        current = await get<Product>(`/seller/shops/${shopId}/products/${key}`);
      } catch (err) {
        for (const r of rows) fail(r.line, r.row.sku_code ?? '', err);
        step(rows.length);
        continue;
      }
      const patch: Record<string, unknown> = {};
      if (head.title?.trim() && head.title.trim() !== current.title) patch.title = head.title.trim();
      if (head.description !== undefined && head.description !== current.description)
        patch.description = head.description;
      if (head.category_id?.trim() && head.category_id.trim() !== current.categoryId)
        patch.categoryId = head.category_id.trim();
      if (head.ship_within_hours !== undefined && shipWithinHours !== current.shipWithinHours)
        patch.shipWithinHours = shipWithinHours;
      try {
        if (Object.keys(patch).length) await api('PATCH', `/seller/shops/${shopId}/products/${key}`, patch);
      } catch (err) {
        fail(first.line, head.sku_code ?? '', err);
      }
      for (const { line, row, price } of rows) {
        const code = row.sku_code?.trim() ?? '';
        const sku = current.skus.find((s) =>
          row.sku_id?.trim() ? s.id === row.sku_id.trim() : s.code === code,
        );
        const attributes = parseAttributes(row.attributes ?? '');
        try {
          if (!sku) {
            await post(`/seller/shops/${shopId}/products/${key}/skus`, {
              code,
              attributes,
              price,
              stock: stock(row),
            });
            created += 1;
          } else if (
            sku.price !== price ||
            formatAttributes(sku.attributes) !== formatAttributes(attributes)
          ) {
            await api('PATCH', `/seller/shops/${shopId}/products/${key}/skus/${sku.id}`, {
              price,
              attributes,
            });
            updated += 1;
          }
        } catch (err) {
          fail(line, code, err);
        }
        step(1);
      }
      try {
        await setStatus(key, current.status, head.status);
      } catch (err) {
        fail(first.line, head.sku_code ?? '', err);
      }
    }
    setProgress({ label: t('catalog.importing'), done: total, total: Math.max(total, 1) });
    setSummary(t('catalog.imported', { created, updated, failed: problems.length }));
    await qc.invalidateQueries({ queryKey: ['seller-products', shopId] });
  };

  return (
    <Card size="small" title={t('catalog.csv')} style={{ marginBottom: 12 }} data-testid="csv-tools">
      <Space wrap>
        <Button onClick={exportCsv} disabled={running}>
          {t('catalog.export')}
        </Button>
        <Upload
          accept=".csv,text/csv"
          showUploadList={false}
          disabled={running}
          beforeUpload={(file) => {
            void importCsv(file);
            // Read here, never sent anywhere as a file.
            return false;
          }}
        >
          <Button disabled={running}>{t('catalog.import')}</Button>
        </Upload>
        <Typography.Text type="secondary">{t('catalog.csvHint')}</Typography.Text>
      </Space>
      {progress && (
        <div style={{ marginTop: 12 }}>
          <Typography.Text>
            {progress.label} {progress.done} / {progress.total}
          </Typography.Text>
          <Progress
            percent={progress.total ? Math.round((progress.done / progress.total) * 100) : 100}
            status={running ? 'active' : errors.length ? 'exception' : 'success'}
            data-testid="csv-progress"
          />
        </div>
      )}
      {summary && (
        <Alert
          type={errors.length ? 'warning' : 'success'}
          showIcon
          message={summary}
          data-testid="csv-summary"
        />
      )}
      {errors.length > 0 && (
        <div data-testid="csv-errors">
          <Table
            rowKey={(e) => `${e.line}-${e.code}-${e.message}`}
            size="small"
            style={{ marginTop: 12 }}
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            dataSource={errors}
            columns={[
              { title: t('catalog.line'), dataIndex: 'line', width: 80 },
              { title: t('seller.skuCode'), dataIndex: 'code', width: 140 },
              { title: t('catalog.error'), dataIndex: 'message' },
            ]}
          />
        </div>
      )}
    </Card>
  );
}
