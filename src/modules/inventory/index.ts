import type { App } from '../../kernel/context';

// Routes of the inventory module: being written (see its routes.ts once it lands).
export async function inventoryRoutes(_app: App): Promise<void> {}
