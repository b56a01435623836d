import type { App } from '../../kernel/context';

// Routes of the ledger module: being written (see its routes.ts once it lands).
export async function ledgerRoutes(_app: App): Promise<void> {}
