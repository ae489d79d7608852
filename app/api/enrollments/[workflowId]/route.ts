import { enrollmentDetail, type EnrollmentDetailResponse } from '@/server/card-link/enrollment-answers.ts';
import { EnrollmentNotFoundError, InvalidEnrollmentQueryError } from '@/server/card-link/enrollments.ts';
import { workflowIdParam } from '@/server/card-link/requests.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { temporal } from '@/server/temporal/client.ts';
import { withTemporal } from '../temporal-errors.ts';

export const dynamic = 'force-dynamic';

/** One enrollment with its progress, any hand resolutions, and whether one may be made now. Support and admin. */
export const GET = apiRoute<{ workflowId: string }>(
  {
    area: 'enrollments',
    errors: [
      [InvalidEnrollmentQueryError, 422],
      [EnrollmentNotFoundError, 404],
    ],
  },
  async ({ params }): Promise<EnrollmentDetailResponse> => withTemporal(() => enrollmentDetail({ db: db(), temporal: temporal() }, workflowIdParam(params.workflowId))),
);
