import i18n from './i18n';

/** Integer fen as yuan: 129900 -> ¥1,299.00. */
export function money(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return '—';
  const yuan = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(
    Math.abs(fen) / 100,
  );
  return `${fen < 0 ? '-' : ''}¥${yuan}`;
}

export function priceRange(min: number | null, max: number | null): string {
  if (min === null) return '—';
  return max !== null && max !== min ? `${money(min)} – ${money(max)}` : money(min);
}

/** A moment in the viewer's own time zone and language. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(i18n.language === 'en' ? 'en-GB' : 'zh-CN', {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(iso));
}

/** "2 d 3 h left" / "overdue 5 h" against `now` (the server's clock may be a manual one). */
export function timeLeft(iso: string, now: number = Date.now()): { text: string; overdue: boolean } {
  const ms = new Date(iso).getTime() - now;
  const overdue = ms < 0;
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const span =
    d > 0 ? i18n.t('time.dh', { d, h }) : h > 0 ? i18n.t('time.hm', { h, m }) : i18n.t('time.m', { m });
  return { text: overdue ? i18n.t('time.overdue', { span }) : i18n.t('time.left', { span }), overdue };
}

/** SKU attributes as "颜色: 红 / 尺码: M". */
export function attrs(a: Record<string, string> | undefined): string {
  return Object.entries(a ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join(' / ');
}

export function categoryName(c: { nameZh: string; nameEn: string } | null | undefined): string {
  if (!c) return '';
  return i18n.language === 'en' ? c.nameEn : c.nameZh;
}
