import { InvalidEnrollmentQueryError, listEnrollments } from '@/server/card-link/enrollments.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { temporal } from '@/server/temporal/client.ts';
import { partnerNames } from './partner-names.ts';
import { enrollmentSearchSchema } from './schemas.ts';
import { withTemporal } from './temporal-errors.ts';

export const dynamic = 'force-dynamic';

/** A customer's card-link enrollments, newest first, each with its progress. Support and admin. */
export const GET = apiRoute({ area: 'enrollments', errors: [[InvalidEnrollmentQueryError, 422]] }, async ({ searchParams }) => {
  const { customerId } = enrollmentSearchSchema.parse({ customerId: searchParams.get('customerId') ?? undefined });
  const [enrollments, partners] = await Promise.all([withTemporal(() => listEnrollments(temporal(), customerId)), partnerNames()]);
  return { customerId, partners, enrollments };
});
