import { idNumberCheckChar } from './id-number';

/**
 * Test support for any module that needs shops. Not used by production code.
 */

let sequence = 0;

/**
 * A valid, distinct resident identity number on each call (or the one for `n`): region 110101
 * (Beijing, Dongcheng), a birth date from 1980-01-01 on, and the right check character.
 */
export function makeIdNumber(n: number = ++sequence): string {
  const birth = new Date(Date.UTC(1980, 0, 1) + Math.floor(n / 1000) * 86_400_000);
  const ymd = birth.toISOString().slice(0, 10).replaceAll('-', '');
  const first17 = `110101${ymd}${String(n % 1000).padStart(3, '0')}`;
  return `${first17}${idNumberCheckChar(first17)}`;
}

interface Poster {
  post(
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: unknown }>;
}

/** Opens a market shop through the API for `owner` (a signed-in test client); answers its id. */
export async function openMarketShop(
  owner: Poster,
  opts: { shopName?: string; depositPlan?: 'deposit' | 'insurance'; idNumber?: string } = {},
): Promise<string> {
  const r = await owner.post('/merchant/applications', {
    kind: 'market',
    shopName: opts.shopName ?? `Shop ${sequence + 1}`,
    realName: '张三',
    idNumber: opts.idNumber ?? makeIdNumber(),
    depositPlan: opts.depositPlan ?? 'deposit',
  });
  if (r.status !== 201) throw new Error(`opening a market shop failed: ${JSON.stringify(r.body)}`);
  return (r.body as { shopId: string }).shopId;
}

/** Submits a mall application for `applicant` and has `operator` approve it; answers the shop id. */
export async function openMallShop(
  applicant: Poster,
  operator: Poster,
  opts: { mallType?: 'flagship' | 'specialty' | 'franchise'; trademarkStatus?: 'R' | 'TM' } = {},
): Promise<string> {
  const r = await applicant.post('/merchant/applications', {
    kind: 'mall',
    shopName: `Brand store ${sequence + 1}`,
    realName: '李四',
    idNumber: makeIdNumber(),
    brandName: 'Acme',
    trademarkNo: '12345678',
    depositPlan: 'deposit',
    mallType: opts.mallType ?? 'flagship',
    trademarkStatus: opts.trademarkStatus ?? 'R',
  });
  if (r.status !== 201) throw new Error(`mall application failed: ${JSON.stringify(r.body)}`);
  const { id } = r.body as { id: string };
  const approved = await operator.post(`/admin/merchant/applications/${id}/approve`);
  if (approved.status !== 200) throw new Error(`approval failed: ${JSON.stringify(approved.body)}`);
  return (approved.body as { shopId: string }).shopId;
}
