// Prisma 7 keeps the connection URL out of schema.prisma. The CLI reads it from here; the service
// itself connects through @prisma/adapter-pg (src/db/client.ts) and never needs this file.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/anton' },
});
