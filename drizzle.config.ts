import { defineConfig } from 'drizzle-kit';

// Every module keeps its tables in its own schema.ts; migrations are generated from all of them.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/kernel/schema.ts', './src/modules/*/schema.ts'],
  out: './drizzle',
});
