// npm run soak -- [seed] [steps] [checkEvery]: the long money soak (100,000 operations by default).
import { runSoak, SoakFailure } from './driver';

const seed = Number(process.argv[2] ?? Date.now() % 2_147_483_647);
const steps = Number(process.argv[3] ?? 100_000);
const checkEvery = Number(process.argv[4] ?? 1000);
console.log(
  `money soak: seed ${seed}, ${steps} steps, invariants every ${checkEvery} (database: ${process.env.JISHI_TEST_DB === 'postgres' ? 'postgres' : 'pglite'})`,
);
try {
  const result = await runSoak({
    seed,
    steps,
    checkEvery,
    onCheck: ({ step, elapsedMs, terms }) =>
      console.log(
        `step ${step}/${steps}  ${Math.round((step * 1000) / elapsedMs)} ops/s  payments ${terms.buyerPayments}  escrow ${terms.escrowHeld}  refunds ${terms.refundsToBuyers}  merchants ${terms.merchantBalances}  commission ${terms.commission}`,
      ),
  });
  console.log(
    `ok: ${steps} ops in ${(result.elapsedMs / 1000).toFixed(1)} s (${Math.round((steps * 1000) / result.elapsedMs)} ops/s), ${result.checks} checks`,
  );
  console.log(
    JSON.stringify(
      { attempted: result.counts, accepted: result.accepted, orders: result.orders, terms: result.terms },
      null,
      2,
    ),
  );
  process.exit(0);
} catch (err) {
  console.error(err instanceof SoakFailure ? err.message : err);
  process.exit(1);
}
