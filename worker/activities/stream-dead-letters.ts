import type { Producer } from 'kafkajs';
import type { PrismaClient } from '../../server/db/generated/client.ts';
import { recordDeadLetter } from '../../server/stream/dead-letter-record.ts';
import { messageSource, type StreamRun } from '../../server/stream/effect-ledger.ts';
import { isChangefeedTable, topicFor } from '../../server/stream/tables.ts';
import type { StreamDeadLetterInput } from '../../server/temporal/contract.ts';
import { activityRun } from './inventory-stream.ts';

export interface StreamDeadLetterDeps {
  db: PrismaClient;
  producer: () => Promise<Producer>;
  currentRun?: () => StreamRun;
}

/** Thrown when a message names no changefeed table: it cannot be filed under a topic. Never expected from our own signals. */
export class UnfileableStreamMessageError extends Error {
  override name = 'UnfileableStreamMessageError';
}

/** 2^53 − 1: a stable pseudo-offset for messages signalled before they carried their source offset. */
const MAX_SAFE_OFFSET = 9_007_199_254_740_991n;

function pseudoOffset(id: string): string {
  let hash = 0n;
  for (const char of id) hash = (hash * 131n + BigInt(char.codePointAt(0)!)) % MAX_SAFE_OFFSET;
  return hash.toString();
}

/** The activity a stream workflow runs for each message its batch activity gave up on. */
export function createStreamDeadLetterActivities({ db, producer, currentRun = activityRun }: StreamDeadLetterDeps) {
  return {
    /**
     * Records the message as a dead letter of stage `workflow` (with the workflow and run, the error and the attempts),
     * and its copy on `<topic>.dlq`. Idempotent per (topic, partition, offset, sub-processor, stage): a retried call
     * records it once.
     */
    async recordStreamDeadLetter({ subProcessor, activity, message, error, attempts }: StreamDeadLetterInput): Promise<{ id: string; created: boolean }> {
      const origin = messageSource(message);
      const table = message.source?.table ?? origin?.table;
      if (!table || !isChangefeedTable(table)) throw new UnfileableStreamMessageError(`stream message ${message.id} names no changefeed table`);
      const run = currentRun();
      const failure = new Error(error);
      failure.name = 'StreamBatchFailed';
      return recordDeadLetter({
        producer: await producer(),
        db,
        message: {
          key: origin?.rowKey ?? null,
          value: JSON.stringify({ activity, message }),
          topic: message.source?.topic ?? topicFor(table),
          // Messages signalled before they carried a source get a stable pseudo-position, so the entry is still unique.
          partition: message.source?.partition ?? -1,
          offset: message.source?.offset ?? pseudoOffset(message.id),
        },
        table,
        subProcessor: { name: subProcessor },
        hints: { rowKey: origin?.rowKey, updated: origin?.updated },
        error: failure,
        errorKind: 'retries_exhausted',
        stage: 'workflow',
        workflowId: run.workflowId,
        runId: run.runId,
        attempts,
        firstFailedAt: new Date(),
      });
    },
  };
}
