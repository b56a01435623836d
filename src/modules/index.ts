import type { App } from '../kernel/context';
import { identityRoutes } from './identity';

/**
 * Every module's HTTP routes, registered under /api/v1 in this order. A module registers its deadline
 * handlers and event consumers when its index is imported.
 */
export const moduleRoutes: { name: string; routes: (app: App) => Promise<void> }[] = [
  { name: 'identity', routes: identityRoutes },
];
