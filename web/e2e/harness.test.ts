// When the browser tests run, skip, or fail for want of a browser.
import { describe, expect, it } from 'vitest';
import { e2eEnabled } from './harness';

describe('browser tests switch', () => {
  const missing = '/nonexistent/chromium';

  it('runs them where the browser is', () => {
    expect(e2eEnabled(process.execPath, {})).toBe(true);
  });

  it('skips them without a browser, unless CI requires them', () => {
    expect(e2eEnabled(missing, {})).toBe(false);
    expect(() => e2eEnabled(missing, { JISHI_REQUIRE_E2E: '1' })).toThrow(/JISHI_REQUIRE_E2E=1/);
  });

  it('leaves them to the PGlite pass of the suite', () => {
    expect(e2eEnabled(process.execPath, { JISHI_TEST_DB: 'postgres', JISHI_REQUIRE_E2E: '1' })).toBe(false);
  });
});
