import type { PrismaClient } from '../../server/db/generated/client.ts';
import { touchExpiredLots } from '../../server/inventory/touch.ts';

export function createExpirySweepActivities({ db }: { db: PrismaClient }) {
  return {
    /** Re-emits expired lots that still hold stock; the expiry write-off sub-processor takes it from there. */
    async touchExpiredLots(): Promise<{ touched: number }> {
      return { touched: await touchExpiredLots(db) };
    },
  };
}
