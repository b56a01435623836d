import type { App } from '../kernel/context';
import { aftersalesRoutes } from './aftersales';
import { catalogRoutes } from './catalog';
import { databankRoutes } from './databank';
import { governanceRoutes } from './governance';
import { groupBuyRoutes } from './groupbuy';
import { identityRoutes } from './identity';
import { inventoryRoutes } from './inventory';
import { ledgerRoutes } from './ledger';
import { merchantsRoutes } from './merchants';
import { penaltiesRoutes } from './penalties';
import { pointsRoutes } from './points';
import { presaleRoutes } from './presale';
import { programmesRoutes } from './programmes';
import { flashSaleRoutes, promotionsRoutes } from './promotions';
import { rankingsRoutes } from './rankings';
import { reviewsRoutes } from './reviews';
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
  { name: 'aftersales', routes: aftersalesRoutes },
  { name: 'points', routes: pointsRoutes },
  { name: 'promotions', routes: promotionsRoutes },
  { name: 'flash-sales', routes: flashSaleRoutes },
  { name: 'group-buys', routes: groupBuyRoutes },
  { name: 'presales', routes: presaleRoutes },
  { name: 'penalties', routes: penaltiesRoutes },
  { name: 'reviews', routes: reviewsRoutes },
  { name: 'programmes', routes: programmesRoutes },
  { name: 'databank', routes: databankRoutes },
  { name: 'rankings', routes: rankingsRoutes },
];
