import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, client, makeTestApp, signUp, type TestContext } from '../../test/helpers';
import { pruneIdempotencyKeys } from './command';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await makeTestApp();
});
afterAll(async () => ctx.close());

async function countAccounts(login: string): Promise<number> {
  const r = await ctx.db.execute(`select count(*)::int as n from accounts where login = '${login}'`);
  return (r as unknown as { rows: { n: number }[] }).rows[0]!.n;
}

async function storedKeys(key: string): Promise<{ scope: string; status_code: number | null }[]> {
  const r = await ctx.db.execute(
    `select scope, status_code from idempotency_keys where key = '${key}' order by scope`,
  );
  return (r as unknown as { rows: { scope: string; status_code: number | null }[] }).rows;
}

const register = (body: Record<string, unknown>, key?: string, token?: string) =>
  client(ctx.app, token).post('/auth/register', body, key ? { 'idempotency-key': key } : {});

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and body, and does the work once', async () => {
    const body = { login: 'idem_same', password: 'password123', displayName: '同一个' };
    const first = await register(body, 'key-same-1');
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const second = await register(body, 'key-same-1');
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.body.account.login).toBe('idem_same');
    expect(await countAccounts('idem_same')).toBe(1);
    // Key order in the body does not make it a different request.
    const reordered = await register(
      { displayName: '同一个', password: 'password123', login: 'idem_same' },
      'key-same-1',
    );
    expect(reordered.status).toBe(201);
    expect(reordered.headers['idempotent-replayed']).toBe('true');
    // Without the key, the same body is a new request (and the login is now taken).
    const again = await register(body);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('login_taken');
  });

  it('answers 409 when the key comes back with a different body, and changes nothing', async () => {
    const first = await register(
      { login: 'idem_diff_a', password: 'password123', displayName: 'A' },
      'key-diff-1',
    );
    expect(first.status).toBe(201);
    const other = await client(ctx.app, undefined, 'en').post(
      '/auth/register',
      { login: 'idem_diff_b', password: 'password123', displayName: 'B' },
      { 'idempotency-key': 'key-diff-1' },
    );
    expect(other.status).toBe(409);
    expect(other.headers['content-type']).toContain('application/problem+json');
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.body).toMatchObject({
      type: 'urn:jishi:problem:idempotency-key-reused',
      status: 409,
      code: 'idempotency_key_reused',
      title: 'This Idempotency-Key was already used for a different request',
    });
    expect(await countAccounts('idem_diff_b')).toBe(0);
    const zh = await client(ctx.app, undefined, 'zh-CN').post(
      '/auth/register',
      { login: 'idem_diff_a', password: 'password123', displayName: 'changed' },
      { 'idempotency-key': 'key-diff-1' },
    );
    expect(zh.status).toBe(409);
    expect(zh.body.title).toBe('该 Idempotency-Key 已用于另一个不同的请求');
  });

  it('lets 20 concurrent duplicates create exactly one account, all with the same answer', async () => {
    const body = { login: 'idem_race', password: 'password123', displayName: '并发' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        ctx.app.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          payload: body,
          headers: { 'idempotency-key': 'key-race-1' },
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(201));
    // Byte for byte: the replay is the stored first answer, not a re-rendering that might differ.
    const bodies = new Set(answers.map((a) => a.body));
    expect(bodies.size).toBe(1);
    const fresh = answers.filter((a) => a.headers['idempotent-replayed'] === undefined);
    expect(fresh).toHaveLength(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
    expect(await countAccounts('idem_race')).toBe(1);
    expect(await storedKeys('key-race-1')).toEqual([{ scope: 'anon', status_code: 201 }]);
  });

  it('does not burn the key when the request fails (400 or 409 from the domain)', async () => {
    // 400 from the domain (password without digits passes the schema, fails the rule).
    const weak = { login: 'idem_fail', password: 'lettersonly', displayName: 'F' };
    const r1 = await register(weak, 'key-fail-1');
    expect(r1.status).toBe(400);
    expect(r1.body.errors[0].path).toBe('/password');
    expect(await storedKeys('key-fail-1')).toEqual([]);
    // The same failing request is evaluated again, not replayed.
    const r2 = await register(weak, 'key-fail-1');
    expect(r2.status).toBe(400);
    expect(r2.headers['idempotent-replayed']).toBeUndefined();
    // A corrected request under the same key is a first request, not a 409.
    const fixed = { ...weak, password: 'letters4nd5digits' };
    const r3 = await register(fixed, 'key-fail-1');
    expect(r3.status).toBe(201);
    expect(r3.headers['idempotent-replayed']).toBeUndefined();
    const r4 = await register(fixed, 'key-fail-1');
    expect(r4.headers['idempotent-replayed']).toBe('true');
    expect(r4.body).toEqual(r3.body);

    // 409 from the domain (login taken).
    const taken = await register(
      { login: 'idem_fail', password: 'password123', displayName: 'again' },
      'key-fail-2',
    );
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('login_taken');
    expect(await storedKeys('key-fail-2')).toEqual([]);
    const other = await register(
      { login: 'idem_fail_2', password: 'password123', displayName: 'again' },
      'key-fail-2',
    );
    expect(other.status).toBe(201);
    expect(await countAccounts('idem_fail_2')).toBe(1);
  });

  it('scopes keys per caller: two accounts (and anonymous callers) use the same key independently', async () => {
    const alice = await signUp(ctx, { login: 'idem_alice' });
    const bob = await signUp(ctx, { login: 'idem_bob' });

    // Same key, different bodies, different callers: both are first requests.
    const apply = (who: typeof alice, idNumber: string, shopName: string) =>
      client(ctx.app, who.token).post(
        '/merchant/applications',
        { kind: 'market', shopName, realName: '测试', idNumber, depositPlan: 'insurance' },
        { 'idempotency-key': 'shared-key' },
      );
    const a = await apply(alice, '11010519491231002X', '爱丽丝小店');
    const b = await apply(bob, '110105194912310046', '鲍勃小店');
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.headers['idempotent-replayed']).toBeUndefined();
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.body.id).not.toBe(a.body.id);
    // Within one caller, the key still replays.
    const aAgain = await apply(alice, '11010519491231002X', '爱丽丝小店');
    expect(aAgain.headers['idempotent-replayed']).toBe('true');
    expect(aAgain.body).toEqual(a.body);

    // A second session of Alice's, to act after her first one signs out.
    const second = await client(ctx.app).post('/auth/login', {
      login: 'idem_alice',
      password: 'password123',
    });
    const aliceToken2: string = second.body.token;

    // Same key and same (empty) body: each account's logout really runs.
    const outA = await client(ctx.app, alice.token).post('/auth/logout', undefined, {
      'idempotency-key': 'logout-key',
    });
    const outB = await client(ctx.app, bob.token).post('/auth/logout', undefined, {
      'idempotency-key': 'logout-key',
    });
    expect([outA.status, outB.status]).toEqual([204, 204]);
    expect(outB.headers['idempotent-replayed']).toBeUndefined();
    expect((await client(ctx.app, alice.token).get('/me')).status).toBe(401);
    expect((await client(ctx.app, bob.token).get('/me')).status).toBe(401);
    // Signing out ends that session only.
    expect((await client(ctx.app, aliceToken2).get('/me')).status).toBe(200);

    // Anonymous and signed-in callers do not share keys either.
    const anon = await register(
      { login: 'idem_scope_1', password: 'password123', displayName: 'x' },
      'scope-key',
    );
    const signedIn = await register(
      { login: 'idem_scope_2', password: 'password123', displayName: 'y' },
      'scope-key',
      aliceToken2,
    );
    expect([anon.status, signedIn.status]).toEqual([201, 201]);
    expect(signedIn.headers['idempotent-replayed']).toBeUndefined();
    expect((await storedKeys('scope-key')).map((k) => k.scope)).toEqual(['acct:' + alice.accountId, 'anon']);
  });

  it('refuses an invalid key with 400 before doing anything', async () => {
    const body = { login: 'idem_badkey', password: 'password123', displayName: 'x' };
    const cases: Record<string, string> = {
      tooLong: 'k'.repeat(300),
      space: 'has space',
      nonAscii: '键值',
      tab: 'a\tb',
      empty: '',
    };
    for (const [name, key] of Object.entries(cases)) {
      let res: Answer;
      try {
        res = await client(ctx.app, undefined, 'en').post('/auth/register', body, { 'idempotency-key': key });
      } catch (e) {
        // Node refuses some header values (non-Latin-1) before they reach the server; that is a refusal too.
        expect(name, String(e)).toBe('nonAscii');
        continue;
      }
      expect(res.status, name).toBe(400);
      expect(res.body, name).toMatchObject({
        code: 'idempotency_key_invalid',
        errors: [{ path: '/idempotency-key', in: 'headers', message: 'has an invalid format' }],
      });
    }
    const maxLength = await register(body, 'k'.repeat(255));
    expect(maxLength.status).toBe(201);
    expect(await countAccounts('idem_badkey')).toBe(1);
  });

  it('keeps answers replayable for 24 hours, then lets the key go', async () => {
    const first = await register(
      { login: 'idem_ttl_1', password: 'password123', displayName: 'x' },
      'ttl-key',
    );
    expect(first.status).toBe(201);
    await ctx.advance({ hours: 23 });
    expect(await pruneIdempotencyKeys(ctx.db, ctx.clock.now())).toBe(0);
    const other = await register(
      { login: 'idem_ttl_2', password: 'password123', displayName: 'y' },
      'ttl-key',
    );
    expect(other.status).toBe(409);
    await ctx.advance({ hours: 2 });
    expect(await pruneIdempotencyKeys(ctx.db, ctx.clock.now())).toBeGreaterThanOrEqual(1);
    expect(await storedKeys('ttl-key')).toEqual([]);
    const again = await register(
      { login: 'idem_ttl_2', password: 'password123', displayName: 'y' },
      'ttl-key',
    );
    expect(again.status).toBe(201);
  });

  it('stores a keyed fingerprint of the request, never the body itself', async () => {
    await register({ login: 'idem_fp', password: 'fingerprint123', displayName: 'x' }, 'fp-key');
    const rows = await ctx.db.execute(`select request_hash from idempotency_keys where key = 'fp-key'`);
    const hash = (rows as unknown as { rows: { request_hash: string }[] }).rows[0]?.request_hash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const { createHash } = await import('node:crypto');
    const plain = createHash('sha256')
      .update('POST /api/v1/auth/register\n{"displayName":"x","login":"idem_fp","password":"fingerprint123"}')
      .digest('hex');
    expect(hash).not.toBe(plain);
  });
});
