import type { App } from '../../kernel/context';

// Routes of the catalog module: being written (see its routes.ts once it lands).
export async function catalogRoutes(_app: App): Promise<void> {}
