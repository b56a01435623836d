import type { Executor } from '../../db';
import { checkLedger } from './ledger';

/** For tests that move money: throws, listing every problem, unless the ledger is balanced. */
export async function expectLedgerBalanced(db: Executor): Promise<void> {
  const problems = await checkLedger(db);
  if (problems.length) {
    throw new Error(`ledger is not balanced:\n${problems.map((p) => `- ${p.code}: ${p.detail}`).join('\n')}`);
  }
}
