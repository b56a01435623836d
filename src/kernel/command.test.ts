import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, client, makeTestApp, signUp, type TestContext } from '../../test/helpers';

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
    const a = await client(ctx.app, alice.token).post(
      '/auth/login',
      { login: 'idem_alice', password: 'password123' },
      { 'idempotency-key': 'shared-key' },
    );
    const b = await client(ctx.app, bob.token).post(
      '/auth/login',
      { login: 'idem_bob', password: 'password123' },
      { 'idempotency-key': 'shared-key' },
    );
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.headers['idempotent-replayed']).toBeUndefined();
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(a.body.account.id).toBe(alice.accountId);
    expect(b.body.account.id).toBe(bob.accountId);
    // Within one caller, the key still replays.
    const aAgain = await client(ctx.app, alice.token).post(
      '/auth/login',
      { login: 'idem_alice', password: 'password123' },
      { 'idempotency-key': 'shared-key' },
    );
    expect(aAgain.headers['idempotent-replayed']).toBe('true');
    expect(aAgain.body.token).toBe(a.body.token);

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
    // Each signed-in session is its own caller only through its account.
    expect((await client(ctx.app, a.body.token).get('/me')).status).toBe(200);
    expect((await client(ctx.app, b.body.token).get('/me')).status).toBe(200);

    // Anonymous and signed-in callers do not share keys either.
    const anon = await register(
      { login: 'idem_scope_1', password: 'password123', displayName: 'x' },
      'scope-key',
    );
    const signedIn = await register(
      { login: 'idem_scope_2', password: 'password123', displayName: 'y' },
      'scope-key',
      a.body.token,
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
});
