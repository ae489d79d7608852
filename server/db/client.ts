import { PrismaPg } from '@prisma/adapter-pg';
import { env } from '../env.ts';
import { PrismaClient } from './generated/client.ts';

const globalForPrisma = globalThis as unknown as { dashopsPrisma?: PrismaClient };

/** One Prisma client per process; cached on globalThis so dev hot reload reuses its pool. */
export function db(): PrismaClient {
  globalForPrisma.dashopsPrisma ??= new PrismaClient({
    adapter: new PrismaPg({ connectionString: env().DATABASE_URL }),
  });
  return globalForPrisma.dashopsPrisma;
}
