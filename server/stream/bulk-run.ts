import { setTimeout as sleep } from 'node:timers/promises';
import type { Actor, Role } from '../auth/actor.ts';
import type { DeadLetterBulkResult, PrismaClient } from '../db/generated/client.ts';
import type { DeadLetterBulkCounts } from '../temporal/contract.ts';
import { BulkOpNotFoundError, selectionWhere, storedSelectionSchema } from './bulk-ops.ts';
import { DeadLetterConflictError, DeadLetterNotFoundError } from './dead-letter-errors.ts';
import { discardDeadLetter, replayDeadLetter, type DeadLetterDeps } from './dead-letter-replay.ts';
import { describeError } from './run-sub-processor.ts';

/**
 * One page of a bulk operation, as its workflow's activity runs it. Entries are claimed in Postgres first: a claim
 * row per entry (primary key: the entry), taken over only from an op that is no longer running. So two ops, started
 * from any console, never work on one entry at once; an op that finds an entry claimed by another running op skips
 * it (result `skipped`, naming that op) rather than waiting or being refused. Each entry's result, the op's counts and
 * the claim's release are one transaction, and a result already recorded (an activity retry) is not processed again.
 */

/** Entries of one page in flight at once (never two of one row key). */
const BULK_LANES = 4;

function laneOf(key: string): number {
  let hash = 0;
  for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % BULK_LANES;
}

export interface BulkPageInput {
  opId: string;
  /** Entries with ids above this one are next. */
  cursor: string;
  pageSize: number;
  ratePerSecond: number;
}

export interface BulkPageResult {
  cursor: string;
  /** No selected entry is left above the cursor. */
  exhausted: boolean;
  counts: DeadLetterBulkCounts;
}

export interface BulkRunDeps {
  deadLetters: DeadLetterDeps;
  /** Called after each entry (the activity heartbeats). */
  onEntry?: (done: number) => void;
}

/** Claims what no running op holds (or this op holds already) among `ids`; returns the ids this op now holds. */
async function claim(db: PrismaClient, opId: string, ids: bigint[]): Promise<Set<bigint>> {
  const rows = await db.$queryRaw<{ dead_letter_id: bigint }[]>`
    INSERT INTO dead_letter_bulk_claims (dead_letter_id, op_id)
    SELECT id, ${opId} FROM unnest(${ids}::bigint[]) AS id
    ON CONFLICT (dead_letter_id) DO UPDATE SET op_id = EXCLUDED.op_id, claimed_at = now()
      WHERE dead_letter_bulk_claims.op_id = EXCLUDED.op_id
         OR NOT EXISTS (SELECT 1 FROM dead_letter_bulk_ops o WHERE o.id = dead_letter_bulk_claims.op_id AND o.status = 'running')
    RETURNING dead_letter_id`;
  return new Set(rows.map((row) => row.dead_letter_id));
}

/** Records one entry's result once, counts it, and releases the claim: one statement, so one round trip and atomic. */
async function record(db: PrismaClient, opId: string, deadLetterId: bigint, result: DeadLetterBulkResult, detail: string | null): Promise<void> {
  await db.$executeRaw`
    WITH inserted AS (
      INSERT INTO dead_letter_bulk_results (op_id, dead_letter_id, result, detail)
      VALUES (${opId}, ${deadLetterId}, ${result}::"DeadLetterBulkResult", ${detail})
      ON CONFLICT (op_id, dead_letter_id) DO NOTHING
      RETURNING result
    ), counted AS (
      UPDATE dead_letter_bulk_ops o
         SET done = o.done + 1,
             succeeded = o.succeeded + (CASE WHEN i.result IN ('replayed', 'discarded') THEN 1 ELSE 0 END),
             superseded = o.superseded + (CASE WHEN i.result = 'superseded' THEN 1 ELSE 0 END),
             failed = o.failed + (CASE WHEN i.result = 'failed' THEN 1 ELSE 0 END),
             skipped = o.skipped + (CASE WHEN i.result = 'skipped' THEN 1 ELSE 0 END),
             updated_at = now()
        FROM inserted i
       WHERE o.id = ${opId}
    )
    DELETE FROM dead_letter_bulk_claims WHERE dead_letter_id = ${deadLetterId} AND op_id = ${opId}`;
}

async function processEntry(deps: DeadLetterDeps, kind: 'replay' | 'discard', id: bigint, actor: Actor, reason: string): Promise<{ result: DeadLetterBulkResult; detail: string | null }> {
  try {
    if (kind === 'discard') {
      await discardDeadLetter(deps, id, actor, reason);
      return { result: 'discarded', detail: reason };
    }
    const replay = await replayDeadLetter(deps, id, actor);
    if (replay.status === 'pending') return { result: 'failed', detail: replay.error ?? 'the replay failed; the entry stays pending' };
    return { result: replay.status, detail: replay.resolution ?? null };
  } catch (err) {
    // No longer pending, gone, or being replayed by hand right now: someone else dealt with it.
    if (err instanceof DeadLetterConflictError || err instanceof DeadLetterNotFoundError) return { result: 'skipped', detail: describeError(err) };
    // One entry that cannot be processed must not stop the rest: it stays pending, and its result says why.
    // (If Postgres itself is down, recording this result fails too and the activity is retried.)
    deps.log.error({ err, deadLetter: id.toString() }, 'bulk operation: entry failed');
    return { result: 'failed', detail: describeError(err) };
  }
}

/**
 * Claims the next page of the op's selection above `cursor` and processes each claimed entry (in a few lanes, one row
 * key's entries in id order in one lane), starts paced to `ratePerSecond`. Returns the new cursor (the page's last id) and the op's counts.
 */
export async function runBulkPage(deps: BulkRunDeps, input: BulkPageInput): Promise<BulkPageResult> {
  const { db } = deps.deadLetters;
  const op = await db.deadLetterBulkOp.findUnique({ where: { id: input.opId } });
  if (!op) throw new BulkOpNotFoundError(input.opId);
  const counts = (row: typeof op): DeadLetterBulkCounts => ({ done: row.done, succeeded: row.succeeded, superseded: row.superseded, failed: row.failed, skipped: row.skipped });
  if (op.status !== 'running') return { cursor: input.cursor, exhausted: true, counts: counts(op) };

  const selection = storedSelectionSchema.parse(op.selection);
  const where = selectionWhere(selection, op.maxId);
  const candidates = await db.deadLetter.findMany({
    where: { AND: [where, { id: { gt: BigInt(input.cursor) } }] },
    orderBy: { id: 'asc' },
    take: input.pageSize,
    select: { id: true, rowKey: true },
  });
  if (candidates.length === 0) return { cursor: input.cursor, exhausted: true, counts: counts(op) };
  const ids = candidates.map((row) => row.id);
  const mine = await claim(db, op.id, ids);
  const recorded = new Set((await db.deadLetterBulkResultRow.findMany({ where: { opId: op.id, deadLetterId: { in: ids } }, select: { deadLetterId: true } })).map((row) => row.deadLetterId));
  // Another op releases its claim only after it resolved the entry: one claimed but no longer pending was done meanwhile.
  const pendingNow = new Set((await db.deadLetter.findMany({ where: { id: { in: [...mine] }, status: 'pending' }, select: { id: true } })).map((row) => row.id));

  const others = ids.filter((id) => !mine.has(id) && !recorded.has(id));
  if (others.length > 0) {
    const holders = await db.deadLetterBulkClaim.findMany({ where: { deadLetterId: { in: others } }, select: { deadLetterId: true, opId: true } });
    const holderOf = new Map(holders.map((holder) => [holder.deadLetterId, holder.opId]));
    for (const id of others) {
      const holder = holderOf.get(id);
      // Released between our claim and this read: the other op has finished with it.
      await record(db, op.id, id, 'skipped', holder ? `claimed by bulk operation ${holder}` : 'handled by another bulk operation meanwhile');
    }
  }

  const actor: Actor = { id: op.startedBy, role: op.startedByRole as Role };
  const intervalMs = 1000 / op.ratePerSecond;
  let nextSlot = Date.now();
  let processed = 0;
  const doOne = async (id: bigint) => {
    if (recorded.has(id)) {
      await db.deadLetterBulkClaim.deleteMany({ where: { deadLetterId: id, opId: op.id } });
      return;
    }
    if (!pendingNow.has(id)) {
      await record(db, op.id, id, 'skipped', 'no longer pending when its turn came (resolved by another operation or by hand)');
      return;
    }
    // The rate caps starts across every lane.
    const at = Math.max(Date.now(), nextSlot);
    nextSlot = at + intervalMs;
    if (at > Date.now()) await sleep(at - Date.now());
    const { result, detail } = await processEntry(deps.deadLetters, op.kind, id, actor, op.reason);
    await record(db, op.id, id, result, detail);
    deps.onEntry?.(++processed);
  };
  // A few lanes overlap the round trips; one row key's entries share a lane, so its versions still go in id order.
  const lanes: bigint[][] = Array.from({ length: BULK_LANES }, () => []);
  for (const { id, rowKey } of candidates) if (mine.has(id)) lanes[laneOf(rowKey ?? id.toString())]!.push(id);
  // Every lane ends before a failure is rethrown, so a retried activity never overlaps this one's stragglers.
  const settled = await Promise.allSettled(
    lanes.map(async (lane) => {
      for (const id of lane) await doOne(id);
    }),
  );
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;

  const cursor = ids.at(-1)!.toString();
  const after = await db.deadLetterBulkOp.update({ where: { id: op.id }, data: { cursor: BigInt(cursor), updatedAt: new Date() } });
  return { cursor, exhausted: candidates.length < input.pageSize, counts: counts(after) };
}
