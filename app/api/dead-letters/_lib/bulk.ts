import 'server-only';
import { z } from 'zod';
import { deadLetterFilterSchema, deadLetterIdSchema } from '@/app/dead-letters/_lib/query.ts';
import { BULK_IDS_MAX, BulkOpConflictError, BulkOpNotFoundError, type BulkSelection } from '@/server/stream/bulk-ops.ts';

export const bulkOpErrors = [
  [BulkOpNotFoundError, 404],
  [BulkOpConflictError, 409],
] as const;

/** `{ ids }` or `{ filter }` (strict keys: a misspelt filter field would otherwise widen the selection to everything). */
export const bulkSelectionSchema = z
  .strictObject({
    ids: z.array(deadLetterIdSchema).min(1, 'Select at least one dead letter.').max(BULK_IDS_MAX, `At most ${BULK_IDS_MAX} ids; select by filter for more.`).optional(),
    filter: z
      .strictObject(
        { topic: z.unknown(), subProcessor: z.unknown(), errorText: z.unknown(), from: z.unknown(), to: z.unknown() },
        {
          error: (issue) =>
            issue.code === 'unrecognized_keys'
              ? `unknown filter field ${issue.keys.join(', ')}: the filter takes topic, subProcessor, errorText, from and to`
              : 'filter must be an object',
        },
      )
      .partial()
      .pipe(deadLetterFilterSchema)
      .optional(),
  })
  .refine((selection) => (selection.ids === undefined) !== (selection.filter === undefined), {
    message: 'Send either { "ids": [...] } or { "filter": { topic?, subProcessor?, errorText?, from?, to? } }.',
  })
  .transform((selection): BulkSelection => (selection.ids ? { ids: selection.ids } : { filter: selection.filter ?? {} }));
