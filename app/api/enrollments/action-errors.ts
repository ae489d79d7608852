import { ActionNotAllowedError, EnrollmentNotFoundError, InvalidEnrollmentQueryError } from '@/server/card-link/enrollments.ts';
import type { RouteOptions } from '@/server/http/api-route.ts';

/** What every action on one enrollment answers the same way: a role that may not act, no such enrollment, a malformed id. */
export const ENROLLMENT_ACTION_ERRORS: NonNullable<RouteOptions['errors']> = [
  [ActionNotAllowedError, 403],
  [EnrollmentNotFoundError, 404],
  [InvalidEnrollmentQueryError, 422],
];
