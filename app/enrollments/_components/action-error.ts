import { ApiError } from '@/components/api-client.ts';

/** What a guarded action's dialog shows when it failed: the server's word on the reason field, else its message. */
export function actionError(error: Error | null): string | null {
  if (error instanceof ApiError) return error.fieldError('reason') ?? error.message;
  return error ? error.message : null;
}
