import type { App } from '../../kernel/context';

// Routes of the governance module: being written (see its routes.ts once it lands).
export async function governanceRoutes(_app: App): Promise<void> {}
