import type { App } from '../../kernel/context';

// Routes of the merchants module: being written (see its routes.ts once it lands).
export async function merchantsRoutes(_app: App): Promise<void> {}
export { requireShopRole, type StaffAccess, staffRole } from './access';
