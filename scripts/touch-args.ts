import { parseArgs } from 'node:util';
import { z } from 'zod';
import { REDRIVE_CLI_MAX_ROWS, REDRIVE_MAX_ROWS, redriveRequestSchema, type RedriveRequest } from '../server/inventory/redrive.ts';

/** The command line of `npm run touch`, checked by the same schema as the console's re-drive. */

export const TOUCH_USAGE = `Usage: npm run touch -- --store <id> [--sku-prefix <prefix>] [--lots] [--limit <n>] --reason "<why>" [--yes]

Re-drives rows: bumps updated_at on one store's inventory_levels (and, with --lots, inventory_lots) whose SKU
starts with the prefix (case-sensitive, literal; none means every SKU), so they flow through the change stream
again. Prints the count and asks before touching anything; audited as system:cli:<your user>.

  --store <id>          the store (required)
  --sku-prefix <p>      only SKUs starting with <p>
  --lots                include the store's lots
  --limit <n>           refuse if more than <n> rows match (default ${REDRIVE_MAX_ROWS}, at most ${REDRIVE_CLI_MAX_ROWS})
  --reason "<why>"      why, for the audit log (required)
  --yes                 do not ask (needed without a terminal, e.g. in CI)

Needs DATABASE_URL (the console's database).`;

export class TouchUsageError extends Error {
  override name = 'TouchUsageError';
}

export type TouchArgs =
  | { help: true }
  | { help: false; request: z.output<typeof redriveRequestSchema>; limit: number; yes: boolean };

const FLAG_OF: Record<string, string> = { storeId: '--store', skuPrefix: '--sku-prefix', includeLots: '--lots', reason: '--reason' };

const limitSchema = z
  .string()
  .regex(/^\d+$/, '--limit must be a whole number of rows')
  .transform(Number)
  .pipe(z.number().min(1, '--limit must be at least 1').max(REDRIVE_CLI_MAX_ROWS, `--limit is at most ${REDRIVE_CLI_MAX_ROWS}`));

/** Parses `npm run touch` arguments; throws TouchUsageError naming every problem. */
export function parseTouchArgs(argv: string[]): TouchArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        store: { type: 'string' },
        'sku-prefix': { type: 'string' },
        lots: { type: 'boolean', default: false },
        limit: { type: 'string' },
        reason: { type: 'string' },
        yes: { type: 'boolean', short: 'y', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    // node:util reports unknown flags, missing values and stray words as TypeErrors with a clear message.
    if (err instanceof TypeError) throw new TouchUsageError(err.message);
    throw err;
  }
  if (values.help) return { help: true };

  const problems: string[] = [];
  const request = redriveRequestSchema.safeParse({
    storeId: values.store,
    skuPrefix: values['sku-prefix'],
    includeLots: values.lots,
    reason: values.reason,
  } satisfies Partial<RedriveRequest>);
  if (!request.success) {
    for (const issue of request.error.issues) problems.push(`${FLAG_OF[String(issue.path[0])] ?? 'input'}: ${issue.message}`);
  }
  const limit = limitSchema.safeParse(values.limit ?? String(REDRIVE_MAX_ROWS));
  if (!limit.success) problems.push(...limit.error.issues.map((issue) => issue.message));
  if (!request.success || !limit.success) throw new TouchUsageError(problems.join('\n'));
  return { help: false, request: request.data, limit: limit.data, yes: values.yes };
}
