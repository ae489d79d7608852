import { searchEnrollments, type EnrollmentSearchResponse } from '@/server/card-link/enrollment-answers.ts';
import { InvalidEnrollmentQueryError } from '@/server/card-link/enrollments.ts';
import { enrollmentSearchSchema } from '@/server/card-link/requests.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { temporal } from '@/server/temporal/client.ts';
import { withTemporal } from './temporal-errors.ts';

export const dynamic = 'force-dynamic';

/** A customer's card-link enrollments, newest first, each with its progress. Support and admin. */
export const GET = apiRoute({ area: 'enrollments', errors: [[InvalidEnrollmentQueryError, 422]] }, async ({ searchParams }): Promise<EnrollmentSearchResponse> => {
  const { customerId } = enrollmentSearchSchema.parse({ customerId: searchParams.get('customerId') ?? undefined });
  return withTemporal(() => searchEnrollments({ db: db(), temporal: temporal() }, customerId));
});
