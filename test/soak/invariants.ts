// Invariants of the money soak (test/soak/driver.ts). They read the tables directly: this is an
// auditor's view across modules, which production code never takes.
import { sql } from 'drizzle-orm';
import type { Executor } from '../../src/db';
import { checkLedger } from '../../src/modules/ledger';

export async function sqlRows<T>(db: Executor, query: ReturnType<typeof sql>): Promise<T[]> {
  const res = (await db.execute(query)) as unknown as { rows?: T[] };
  return res.rows ?? (res as unknown as T[]);
}

/** Ledger transaction kinds where a shop is charged (its balance, then deposit, then a platform advance). */
const SHOP_CHARGE_KINDS = ['refund', 'refund.return_postage', 'complaint.compensation'];
/** Kinds that carry buyers' money; every posting on a trade account must come from one of these. */
const TRADE_KINDS = [
  'payment',
  'payment_refund',
  'refund',
  'trade_settlement',
  'refund.return_postage',
  'refund.return_insurance_claim',
  'complaint.compensation',
];

export interface MoneyTerms {
  buyerPayments: number;
  merchantBalances: number;
  commission: number;
  returnInsurancePremiums: number;
  refundsToBuyers: number;
  compensationPaidByMerchants: number;
  escrowHeld: number;
  chargesDrawnFromDeposits: number;
  platformAdvances: number;
}

/**
 * The buyer-money identity, every term from ledger postings (debits positive):
 *
 *   buyer payments                       (platform:cash debits of `payment` transactions)
 * = merchant balances                    (shop:*:balance)
 * + platform commission                  (platform:revenue:commission, net of commission handed back)
 * + return-insurance premiums            (platform:revenue:return_insurance)
 * + refunds to buyers                    (platform:cash credits of `refund` and `payment_refund`)
 * + compensation paid by merchants       (shop-side debits of `complaint.compensation` and seller-paid
 *                                         `refund.return_postage`)
 * + escrow still held                    (platform:escrow)
 * − charges drawn from deposits          (shop:*:deposit debits of shop charges: not buyers' money)
 * − platform advances                    (platform:asset:merchant_receivables debits of shop charges)
 *
 * The last two subtract because a charge a shop's balance could not cover was paid from money that
 * never came from buyers (the frozen deposit, or the platform's own capital).
 */
export async function moneyTerms(db: Executor): Promise<{ terms: MoneyTerms; problems: string[] }> {
  const sums = await sqlRows<{ kind: string; code: string; debit: string; credit: string }>(
    db,
    sql`select t.kind, a.code,
          coalesce(sum(case when p.amount > 0 then p.amount else 0 end), 0)::text as debit,
          coalesce(sum(case when p.amount < 0 then -p.amount else 0 end), 0)::text as credit
        from ledger_postings p
        join ledger_transactions t on t.id = p.transaction_id
        join ledger_accounts a on a.id = p.account_id
        group by t.kind, a.code`,
  );
  const problems: string[] = [];
  const family = (code: string) => (code.startsWith('shop:') ? `shop:*:${code.split(':')[2]}` : code);
  const TRADE_ACCOUNTS = [
    'platform:escrow',
    'shop:*:balance',
    'platform:revenue:commission',
    'platform:revenue:return_insurance',
    'platform:asset:merchant_receivables',
  ];
  const t: MoneyTerms = {
    buyerPayments: 0,
    merchantBalances: 0,
    commission: 0,
    returnInsurancePremiums: 0,
    refundsToBuyers: 0,
    compensationPaidByMerchants: 0,
    escrowHeld: 0,
    chargesDrawnFromDeposits: 0,
    platformAdvances: 0,
  };
  for (const s of sums) {
    const debit = Number(s.debit);
    const credit = Number(s.credit);
    const net = credit - debit; // natural balance of a liability or revenue account
    const f = family(s.code);
    if (TRADE_ACCOUNTS.includes(f) && !TRADE_KINDS.includes(s.kind)) {
      problems.push(`unaccounted ledger kind ${s.kind} moves ${f} (debit ${debit}, credit ${credit})`);
    }
    if (f === 'shop:*:deposit' && debit > 0 && !SHOP_CHARGE_KINDS.includes(s.kind)) {
      // Deposits leave only through charges here (no shop closes in the soak).
      problems.push(`unexpected ${s.kind} debit of ${debit} on a deposit`);
    }
    if (f === 'platform:cash' && s.kind === 'payment') t.buyerPayments += debit - credit;
    if (f === 'shop:*:balance') t.merchantBalances += net;
    if (f === 'platform:revenue:commission') t.commission += net;
    if (f === 'platform:revenue:return_insurance') t.returnInsurancePremiums += net;
    if (f === 'platform:escrow') t.escrowHeld += net;
    if (f === 'platform:cash' && (s.kind === 'refund' || s.kind === 'payment_refund')) {
      t.refundsToBuyers += credit - debit;
    }
    const shopSide = ['shop:*:balance', 'shop:*:deposit', 'platform:asset:merchant_receivables'].includes(f);
    if (shopSide && (s.kind === 'complaint.compensation' || s.kind === 'refund.return_postage')) {
      t.compensationPaidByMerchants += debit;
    }
    if (SHOP_CHARGE_KINDS.includes(s.kind) && f === 'shop:*:deposit') t.chargesDrawnFromDeposits += debit;
    if (SHOP_CHARGE_KINDS.includes(s.kind) && f === 'platform:asset:merchant_receivables') {
      t.platformAdvances += debit;
    }
  }
  const rhs =
    t.merchantBalances +
    t.commission +
    t.returnInsurancePremiums +
    t.refundsToBuyers +
    t.compensationPaidByMerchants +
    t.escrowHeld -
    t.chargesDrawnFromDeposits -
    t.platformAdvances;
  if (rhs !== t.buyerPayments) {
    problems.push(`buyer payments ${t.buyerPayments} != accounted ${rhs}: ${JSON.stringify(t)}`);
  }
  if (t.escrowHeld < 0) problems.push(`escrow is negative: ${t.escrowHeld}`);
  return { terms: t, problems };
}

/** on hand + shipped = received, per stock row, and reservations agree with the stock rows. */
export async function stockProblems(db: Executor): Promise<string[]> {
  const problems: string[] = [];
  const levels = await sqlRows<{
    sku_id: string;
    warehouse_id: string;
    on_hand: number;
    reserved: number;
    received: string | null;
    shipped: string | null;
    moved_reserved: string | null;
    held: string | null;
    committed: string | null;
  }>(
    db,
    sql`select s.sku_id, s.warehouse_id, s.on_hand, s.reserved,
          (select sum(m.delta_on_hand) from stock_movements m
            where m.sku_id = s.sku_id and m.warehouse_id = s.warehouse_id and m.reason <> 'shipment')::text as received,
          (select -sum(m.delta_on_hand) from stock_movements m
            where m.sku_id = s.sku_id and m.warehouse_id = s.warehouse_id and m.reason = 'shipment')::text as shipped,
          (select sum(m.delta_reserved) from stock_movements m
            where m.sku_id = s.sku_id and m.warehouse_id = s.warehouse_id)::text as moved_reserved,
          (select sum(r.quantity) from reservations r
            where r.sku_id = s.sku_id and r.warehouse_id = s.warehouse_id and r.status = 'held')::text as held,
          (select sum(r.quantity) from reservations r
            where r.sku_id = s.sku_id and r.warehouse_id = s.warehouse_id and r.status = 'committed')::text as committed
        from stock s`,
  );
  for (const l of levels) {
    const where = `sku ${l.sku_id} in ${l.warehouse_id}`;
    const received = Number(l.received ?? 0);
    const shipped = Number(l.shipped ?? 0);
    if (l.on_hand + shipped !== received) {
      problems.push(`${where}: on hand ${l.on_hand} + shipped ${shipped} != received ${received}`);
    }
    if (l.reserved !== Number(l.held ?? 0) || l.reserved !== Number(l.moved_reserved ?? 0)) {
      problems.push(
        `${where}: reserved ${l.reserved}, held reservations ${l.held ?? 0}, movements ${l.moved_reserved ?? 0}`,
      );
    }
    if (shipped !== Number(l.committed ?? 0)) {
      problems.push(`${where}: shipped ${shipped} != committed reservations ${l.committed ?? 0}`);
    }
    if (l.on_hand < 0 || l.reserved < 0 || l.reserved > l.on_hand) {
      problems.push(`${where}: on hand ${l.on_hand}, reserved ${l.reserved}`);
    }
  }
  return problems;
}

/** Orders in states the state machine must never produce. */
export async function orderProblems(db: Executor): Promise<string[]> {
  const found = await sqlRows<{ id: string; problem: string }>(
    db,
    sql`select o.id, 'closed with a held reservation' as problem from orders o
          join order_lines l on l.order_id = o.id
          join reservations r on r.id = l.reservation_id
          where o.status = 'closed' and r.status = 'held'
        union all
        select o.id, 'shipped or succeeded with a held reservation' from orders o
          join order_lines l on l.order_id = o.id
          join reservations r on r.id = l.reservation_id
          where o.status in ('shipped', 'succeeded') and r.status = 'held'
        union all
        select o.id, 'succeeded without a settlement' from orders o
          where o.status = 'succeeded'
            and (select sum(l.paid_amount - l.refunded_amount) from order_lines l where l.order_id = o.id) > 0
            and not exists (select 1 from ledger_transactions t where t.kind = 'trade_settlement' and t.ref = o.id)
        union all
        select t.ref, 'settled more than once' from ledger_transactions t
          where t.kind = 'trade_settlement' group by t.ref having count(*) > 1
        union all
        select o.id, 'settled but not succeeded' from orders o
          where o.status <> 'succeeded'
            and exists (select 1 from ledger_transactions t where t.kind = 'trade_settlement' and t.ref = o.id)
        union all
        select l.order_id, 'refunded beyond the line' from order_lines l
          where l.refunded_quantity > l.quantity or l.refunded_amount > l.paid_amount
             or l.refunded_quantity < 0 or l.refunded_amount < 0
        union all
        select o.id, 'paid-side state without a payment time' from orders o
          where o.status in ('paid', 'shipped', 'succeeded') and o.paid_at is null
        union all
        select o.id, 'past payment but its payment did not succeed' from orders o
          join payments p on p.id = o.payment_id
          where o.status in ('paid', 'shipped', 'succeeded') and p.status <> 'succeeded'
        union all
        select o.id, 'shipped without a shipping time' from orders o
          where o.status in ('shipped', 'succeeded') and o.shipped_at is null and o.paid_at is not null
            and exists (select 1 from order_events e where e.order_id = o.id and e.to_status = 'shipped')
        union all
        select o.id, 'closed without a reason' from orders o where o.status = 'closed' and o.close_reason is null`,
  );
  return found.map((f) => `order ${f.id}: ${f.problem}`);
}

/** Every invariant; an empty list when all hold. */
export async function checkInvariants(db: Executor): Promise<{ problems: string[]; terms: MoneyTerms }> {
  const ledger = (await checkLedger(db)).map((p) => `ledger ${p.code}: ${p.detail}`);
  const money = await moneyTerms(db);
  return {
    problems: [...ledger, ...money.problems, ...(await stockProblems(db)), ...(await orderProblems(db))],
    terms: money.terms,
  };
}
