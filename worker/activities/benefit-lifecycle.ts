import { Prisma, type PrismaClient } from '../../server/db/generated/client.ts';

/**
 * The benefit lifecycle of DashPass subscriptions, derived from their dates only: `scheduled` until starts_at,
 * `active` from then, `lapsed` at ends_at (which also ends the link, so the card can be linked again). Every
 * transition moves forward and is a function of the row's dates and `asOf`, so a timer or sweep that runs late,
 * twice, or after another one changes nothing twice. Provisional, lapsed and ended rows never start; only a
 * provisional, scheduled or active one lapses.
 */

export const BENEFIT_LAPSED_REASON = 'benefit_lapsed';

type Tx = Pick<PrismaClient, '$queryRaw'>;

export interface AdvancedSubscription {
  subscriptionId: string;
  status: 'active' | 'lapsed';
}

/**
 * Moves every due subscription the filter selects forward as of `asOf`, in one statement: starts the scheduled
 * ones whose start has come, lapses the live ones whose end has passed (ended_at is their ends_at, not the time
 * this ran) and ends their links. Returns the rows it changed.
 */
export async function advanceDueSubscriptions(tx: Tx, asOf: Date, filter: Prisma.Sql, limit = 10_000): Promise<AdvancedSubscription[]> {
  return tx.$queryRaw<AdvancedSubscription[]>`
    WITH due AS (
      SELECT subscription_id, (ends_at IS NOT NULL AND ends_at <= ${asOf}::timestamptz) AS lapses
        FROM dashpass_subscriptions
       WHERE ${filter}
         AND ((status = 'scheduled' AND starts_at <= ${asOf}::timestamptz)
              OR (status IN ('provisional', 'scheduled', 'active') AND ends_at IS NOT NULL AND ends_at <= ${asOf}::timestamptz))
       ORDER BY subscription_id
       LIMIT ${limit}
       FOR UPDATE SKIP LOCKED
    ), moved AS (
      UPDATE dashpass_subscriptions s
         SET status = (CASE WHEN due.lapses THEN 'lapsed' ELSE 'active' END)::"SubscriptionStatus",
             active_customer_id = CASE WHEN due.lapses THEN NULL ELSE s.active_customer_id END,
             ended_at = CASE WHEN due.lapses THEN s.ends_at ELSE s.ended_at END,
             ended_reason = CASE WHEN due.lapses THEN ${BENEFIT_LAPSED_REASON} ELSE s.ended_reason END
        FROM due
       WHERE s.subscription_id = due.subscription_id
      RETURNING s.subscription_id, s.link_id, s.status
    ), ended_links AS (
      UPDATE membership_links l
         SET status = 'ended', ended_reason = ${BENEFIT_LAPSED_REASON}, updated_at = now()
        FROM moved
       WHERE moved.status = 'lapsed' AND l.link_id = moved.link_id AND l.status <> 'ended'
      RETURNING l.link_id
    )
    SELECT subscription_id AS "subscriptionId", status::text AS status FROM moved`;
}

export interface SweepInput {
  asOf: string;
  /** Only this customer's subscriptions (a support re-check, or a test sharing its database); all when absent. */
  customerId?: string;
  /** Rows per call; the sweep workflow calls again while a batch comes back full. */
  limit?: number;
}

export function createBenefitLifecycleActivities({ db }: { db: PrismaClient }) {
  return {
    /** Every due subscription (or one customer's), a batch at a time. */
    async sweepBenefitLifecycle({ asOf, customerId, limit = 1000 }: SweepInput): Promise<{ started: number; lapsed: number; full: boolean }> {
      const filter = customerId === undefined ? Prisma.sql`true` : Prisma.sql`customer_id = ${customerId}`;
      const moved = await db.$transaction((tx) => advanceDueSubscriptions(tx, new Date(asOf), filter, limit));
      const lapsed = moved.filter((row) => row.status === 'lapsed').length;
      return { started: moved.length - lapsed, lapsed, full: moved.length >= limit };
    },
  };
}

export type BenefitLifecycleActivities = ReturnType<typeof createBenefitLifecycleActivities>;
