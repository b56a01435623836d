import type { App } from '../kernel/context';
import { catalogRoutes } from './catalog';
import { governanceRoutes } from './governance';
import { identityRoutes } from './identity';
import { inventoryRoutes } from './inventory';
import { ledgerRoutes } from './ledger';
import { merchantsRoutes } from './merchants';
import { tradeRoutes } from './trade';

/**
 * Every module's HTTP routes, registered under /api/v1 in this order. A module registers its deadline
 * handlers and event consumers when its index is imported.
 */
export const moduleRoutes: { name: string; routes: (app: App) => Promise<void> }[] = [
  { name: 'identity', routes: identityRoutes },
  { name: 'governance', routes: governanceRoutes },
  { name: 'ledger', routes: ledgerRoutes },
  { name: 'merchants', routes: merchantsRoutes },
  { name: 'catalog', routes: catalogRoutes },
  { name: 'inventory', routes: inventoryRoutes },
  { name: 'trade', routes: tradeRoutes },
];
