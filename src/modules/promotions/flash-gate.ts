import { Redis } from 'ioredis';

/**
 * The optional Redis gate in front of a flash sale's conditional UPDATEs (see flash-sales.ts).
 *
 * Per sale, three keys (one hash tag, so a cluster keeps them on one node):
 * - `state`: hash { left, limit }: units the gate may still admit, and the per-buyer limit;
 * - `buyers`: hash buyerId -> units admitted to that buyer and not given back;
 * - `pending`: hash orderId -> "buyerId|quantity|admittedAtMs": admissions whose database
 *   transaction has not been seen to commit or roll back yet.
 * Every step is one call of the one Lua script below, so each is atomic in Redis.
 *
 * The database stays the source of truth: the gate only refuses early (sold out, over the limit),
 * and whatever it admits still has to pass the database's conditional updates. Its counts follow
 * the database's through these steps:
 * - peek: what admit would refuse (sold out, over the limit), changing nothing: checkFlashClaim
 *   asks it before any database transaction is opened, so a refused buyer costs Redis one call
 *   (shared with the others refused in the same turn) and PostgreSQL nothing;
 * - admit: takes the units and records a pending token;
 * - the claim's batch commits it: the claimer settles the token (the units stay taken);
 * - the batch refuses the admitted claim (or fails): the claimer refunds at once;
 * - a release (order closed unpaid, refunded before shipping) gives the units back before its
 *   transaction commits, so a crash can lose the commit but never the give-back.
 *
 * Crash cases, and why the gate may under-admit only for a while and never admits what the database
 * would not also accept eventually:
 * - process dies between admit and settle or refund: the token stays pending, counted as taken
 *   (the gate under-admits) until the sweep (deadline `flash_sale.gate_sweep`, every minute while
 *   the sale is on) resolves tokens older than a minute by probing for their claims (probeClaims);
 * - a refund or give-back lost to a Redis error: the sweep's `raise` sets `left` to at least the
 *   committed room minus the pending tokens, and lowers buyers' counts to committed plus pending;
 * - a release that gave back and then rolled back, a claim that bypassed the gate while Redis was
 *   down, a seed taken while claims were still open: the gate admits a few too many, and the
 *   database refuses them (answers are the same as without the gate, only later).
 *
 * Seeding: when `state` is missing (first claim of a sale, Redis restarted or lost the keys, the TTL
 * of a day after the end passed) the script answers `miss`; the claimer reads the committed room
 * (quota minus claimed units) and the buyers' tallies from the database and seeds the keys only if
 * nobody did first (one winner), then admits again. The sweep seeds a minute before the start, so
 * the stampede does not begin with a burst of seed reads.
 */
const SCRIPT = `
local op = ARGV[1]
local state, buyers, pending = KEYS[1], KEYS[2], KEYS[3]
if op == 'admit' then
  local buyer, order, qty = ARGV[2], ARGV[3], tonumber(ARGV[4])
  local left = redis.call('HGET', state, 'left')
  if not left then return 'miss' end
  if redis.call('HEXISTS', pending, order) == 1 then return 'duplicate' end
  if tonumber(left) < qty then return 'sold_out' end
  local taken = tonumber(redis.call('HGET', buyers, buyer) or '0')
  if taken + qty > tonumber(redis.call('HGET', state, 'limit')) then return 'buyer_limit' end
  redis.call('HINCRBY', state, 'left', -qty)
  redis.call('HINCRBY', buyers, buyer, qty)
  redis.call('HSET', pending, order, buyer .. '|' .. qty .. '|' .. ARGV[5])
  return 'ok'
elseif op == 'peek' then
  -- What admit would answer to each (buyer, quantity) in ARGV, changing nothing: {limit, verdict, ...}.
  local left, limit = unpack(redis.call('HMGET', state, 'left', 'limit'))
  local out = {tonumber(limit or 0)}
  for i = 2, #ARGV, 2 do
    local qty = tonumber(ARGV[i + 1])
    local verdict = 'ok'
    if not left then verdict = 'miss'
    elseif tonumber(left) < qty then verdict = 'sold_out'
    elseif tonumber(redis.call('HGET', buyers, ARGV[i]) or '0') + qty > tonumber(limit) then verdict = 'buyer_limit'
    end
    out[#out + 1] = verdict
  end
  return out
elseif op == 'settle' or op == 'refund' then
  local token = redis.call('HGET', pending, ARGV[2])
  if not token then return 0 end
  redis.call('HDEL', pending, ARGV[2])
  if op == 'refund' and redis.call('EXISTS', state) == 1 then
    local buyer, qty = string.match(token, '^(.*)|(%d+)|%d+$')
    redis.call('HINCRBY', state, 'left', tonumber(qty))
    if tonumber(redis.call('HINCRBY', buyers, buyer, -tonumber(qty))) <= 0 then redis.call('HDEL', buyers, buyer) end
  end
  return 1
elseif op == 'giveback' then
  if redis.call('EXISTS', state) == 0 then return 0 end
  local qty = tonumber(ARGV[3])
  redis.call('HINCRBY', state, 'left', qty)
  if tonumber(redis.call('HINCRBY', buyers, ARGV[2], -qty)) <= 0 then redis.call('HDEL', buyers, ARGV[2]) end
  return 1
elseif op == 'seed' then
  if redis.call('EXISTS', state) == 1 then return 0 end
  redis.call('DEL', buyers, pending)
  redis.call('HSET', state, 'left', ARGV[2], 'limit', ARGV[3])
  for i = 5, #ARGV, 2 do redis.call('HSET', buyers, ARGV[i], ARGV[i + 1]) end
  for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[4]) end
  return 1
elseif op == 'raise' then
  -- Heals under-admission from lost refunds and give-backs: never lowers 'left', never raises a buyer.
  if redis.call('EXISTS', state) == 0 then return 0 end
  local pendingTotal, pendingBy = 0, {}
  local tokens = redis.call('HGETALL', pending)
  for i = 2, #tokens, 2 do
    local buyer, qty = string.match(tokens[i], '^(.*)|(%d+)|%d+$')
    pendingTotal = pendingTotal + tonumber(qty)
    pendingBy[buyer] = (pendingBy[buyer] or 0) + tonumber(qty)
  end
  local target = tonumber(ARGV[2]) - pendingTotal
  if tonumber(redis.call('HGET', state, 'left')) < target then redis.call('HSET', state, 'left', target) end
  local committed = {}
  for i = 3, #ARGV, 2 do committed[ARGV[i]] = tonumber(ARGV[i + 1]) end
  local gate = redis.call('HGETALL', buyers)
  for i = 1, #gate, 2 do
    local b = gate[i]
    local want = (committed[b] or 0) + (pendingBy[b] or 0)
    if tonumber(gate[i + 1]) > want then
      if want <= 0 then redis.call('HDEL', buyers, b) else redis.call('HSET', buyers, b, want) end
    end
  end
  return 1
end
return redis.error_reply('unknown op ' .. tostring(op))
`;

export type AdmitResult = 'ok' | 'miss' | 'duplicate' | 'sold_out' | 'buyer_limit';
/** What an admission would answer now (`ok` included), with the sale's per-buyer limit; changes nothing. */
export type PeekResult = { verdict: 'ok' | 'miss' | 'sold_out' | 'buyer_limit'; perBuyerLimit: number };

export interface PendingAdmission {
  orderId: string;
  buyerId: string;
  quantity: number;
  admittedAt: Date;
}

export interface FlashGate {
  /** Takes `quantity` units for the buyer if the sale has them and the buyer stays within the limit. */
  admit(
    saleId: string,
    input: { buyerId: string; orderId: string; quantity: number },
    now: Date,
  ): Promise<AdmitResult>;
  /**
   * Whether an admission would be refused now (sold out, over the limit), without taking anything:
   * lets a caller refuse before it opens a database transaction.
   */
  peek(saleId: string, input: { buyerId: string; quantity: number }): Promise<PeekResult>;
  /** The admission's transaction committed: the units stay taken, the pending token goes. */
  settle(saleId: string, orderId: string): Promise<void>;
  /** The admission's transaction did not commit: the units come back. Idempotent (per token). */
  refund(saleId: string, orderId: string): Promise<void>;
  /** A committed claim was released: its units come back. */
  giveBack(saleId: string, buyerId: string, quantity: number): Promise<void>;
  /** Seeds the sale's keys unless they exist; `taken` is every buyer's committed units. */
  seed(
    saleId: string,
    input: { left: number; perBuyerLimit: number; taken: Map<string, number>; ttlMs: number },
  ): Promise<boolean>;
  /** Raises `left` and lowers buyers' counts to what the committed state plus pending tokens allow. */
  raise(saleId: string, input: { left: number; taken: Map<string, number> }): Promise<void>;
  pending(saleId: string): Promise<PendingAdmission[]>;
  /** Drops the sale's keys (tests and operators: the next claim re-seeds from the database). */
  forget(saleId: string): Promise<void>;
  close(): Promise<void>;
}

interface PeekWaiter {
  buyerId: string;
  quantity: number;
  resolve: (r: PeekResult) => void;
  reject: (err: unknown) => void;
}

const keys = (saleId: string) => {
  const tag = `jishi:flash:{${saleId}}`;
  return [`${tag}:state`, `${tag}:buyers`, `${tag}:pending`] as const;
};

type Scripted = Redis & {
  flashGate(
    k1: string,
    k2: string,
    k3: string,
    ...args: (string | number)[]
  ): Promise<string | number | (string | number)[]>;
};

export class RedisFlashGate implements FlashGate {
  private constructor(private readonly redis: Scripted) {}

  /**
   * Connects to Redis; commands fail fast (no offline queue) so a Redis outage falls back to the
   * database. Auto-pipelining sends the calls made in one event-loop turn in one write: under a
   * stampede that is hundreds of admissions per write instead of one system call each.
   */
  static async connect(url: string): Promise<RedisFlashGate> {
    const redis = new Redis(url, {
      lazyConnect: true,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 2_000,
    });
    // Reconnection is automatic; an 'error' without a listener would end the process.
    redis.on('error', () => {});
    redis.defineCommand('flashGate', { numberOfKeys: 3, lua: SCRIPT });
    await redis.connect();
    return new RedisFlashGate(redis as Scripted);
  }

  private run(saleId: string, ...args: (string | number)[]) {
    const [a, b, c] = keys(saleId);
    return this.redis.flashGate(a, b, c, ...args);
  }

  async admit(saleId: string, input: { buyerId: string; orderId: string; quantity: number }, now: Date) {
    return (await this.run(
      saleId,
      'admit',
      input.buyerId,
      input.orderId,
      input.quantity,
      now.getTime(),
    )) as AdmitResult;
  }

  /**
   * The peeks of one sale made in the same turn of the event loop go in one Lua call, sent once the
   * turn ends (after all of them were asked, so each answer is at least as recent as its question):
   * under a stampede, one call for hundreds of refusals.
   */
  peek(saleId: string, input: { buyerId: string; quantity: number }): Promise<PeekResult> {
    return new Promise((resolve, reject) => {
      let batch = this.peeks.get(saleId);
      if (!batch) {
        batch = [];
        this.peeks.set(saleId, batch);
        setImmediate(() => this.sendPeeks(saleId));
      }
      batch.push({ ...input, resolve, reject });
    });
  }

  private readonly peeks = new Map<string, PeekWaiter[]>();

  private async sendPeeks(saleId: string) {
    const batch = this.peeks.get(saleId) ?? [];
    this.peeks.delete(saleId);
    try {
      const [limit, ...verdicts] = (await this.run(
        saleId,
        'peek',
        ...batch.flatMap((b) => [b.buyerId, b.quantity]),
      )) as [number, ...PeekResult['verdict'][]];
      for (const [i, b] of batch.entries())
        b.resolve({ verdict: verdicts[i]!, perBuyerLimit: Number(limit) });
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  async settle(saleId: string, orderId: string) {
    await this.run(saleId, 'settle', orderId);
  }

  async refund(saleId: string, orderId: string) {
    await this.run(saleId, 'refund', orderId);
  }

  async giveBack(saleId: string, buyerId: string, quantity: number) {
    await this.run(saleId, 'giveback', buyerId, quantity);
  }

  async seed(
    saleId: string,
    input: { left: number; perBuyerLimit: number; taken: Map<string, number>; ttlMs: number },
  ) {
    const pairs = [...input.taken].filter(([, n]) => n > 0).flat();
    const r = await this.run(
      saleId,
      'seed',
      input.left,
      input.perBuyerLimit,
      Math.max(1, Math.round(input.ttlMs)),
      ...pairs,
    );
    return r === 1;
  }

  async raise(saleId: string, input: { left: number; taken: Map<string, number> }) {
    await this.run(saleId, 'raise', input.left, ...[...input.taken].flat());
  }

  async pending(saleId: string): Promise<PendingAdmission[]> {
    const raw = await this.redis.hgetall(keys(saleId)[2]);
    return Object.entries(raw).map(([orderId, token]) => {
      const m = /^(.*)\|(\d+)\|(\d+)$/.exec(token);
      return {
        orderId,
        buyerId: m?.[1] ?? '',
        quantity: Number(m?.[2] ?? 0),
        admittedAt: new Date(Number(m?.[3] ?? 0)),
      };
    });
  }

  /** The gate's view of a sale (tests and the operator report). */
  async snapshot(saleId: string) {
    const [state, buyers, pending] = keys(saleId);
    const [s, b, p] = await Promise.all([
      this.redis.hgetall(state),
      this.redis.hgetall(buyers),
      this.redis.hlen(pending),
    ]);
    if (s.left === undefined) return undefined;
    return {
      left: Number(s.left),
      perBuyerLimit: Number(s.limit),
      buyers: new Map(Object.entries(b).map(([k, v]) => [k, Number(v)])),
      pending: p,
    };
  }

  async forget(saleId: string) {
    await this.redis.del(...keys(saleId));
  }

  async close() {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
