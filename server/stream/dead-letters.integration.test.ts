import { randomUUID } from 'node:crypto';
import type { KafkaMessage, Producer } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { db } from '../db/client.ts';
import { temporal } from '../temporal/client.ts';
import { DeadLetterNotFoundError, DeadLetterNotPendingError, DiscardReasonRequiredError, InvalidDeadLetterQueryError } from './dead-letter-errors.ts';
import { countDeadLetters, getDeadLetter, listDeadLetters } from './dead-letter-query.ts';
import { recordDeadLetter, type DeadLetterMessage } from './dead-letter-record.ts';
import { discardDeadLetter, replayDeadLetter, type DeadLetterDeps } from './dead-letter-replay.ts';
import { runBulkPage } from './bulk-run.ts';
import { decodeMessage } from './decode.ts';
import type { SubProcessorRegistry } from './run-sub-processor.ts';
import type { AnyChange, SubProcessor } from './sub-processor.ts';
import type { InventoryLevelRow } from './tables.ts';
import { advance, classify, readWatermark } from './watermarks.ts';
import { streamTestKit } from '../testing/stream-test-kit.ts';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createStreamDeadLetterActivities } from '../../worker/activities/stream-dead-letters.ts';
import { streamWorkflowId, type StreamMessage } from '../temporal/contract.ts';
import type { Actor } from '../auth/actor.ts';

const kit = streamTestKit('dl');
const { prefix, admin, producer, topics } = kit;
const readTopic = (topic: string, count: number) => kit.readTopic(topic, count);
const log = pino({ level: 'silent' });
const actor: Actor = { id: `${prefix}-engineer`, role: 'engineer' };

/** Each test its own source topic name (the dead letters only reference it) and DLQ topic. */
let topicCount = 0;
async function freshTopic(): Promise<string> {
  const topic = `${prefix}-${++topicCount}.inventory_levels`;
  topics.push(`${topic}.dlq`);
  await admin.createTopics({ topics: [{ topic: `${topic}.dlq`, numPartitions: 1 }], waitForLeaders: true });
  return topic;
}

beforeAll(() => kit.connect());

afterAll(() => kit.cleanup());

// ─── Fixtures ──────────────────────────────────────────────────────────────────────────────────────────

const WALL = BigInt(Date.now()) * 1_000_000n;
const hlc = (step: number) => `${WALL}.${String(step).padStart(10, '0')}`;

/** Counts applications per `rowKey@updated`; throws for any store listed in `failing`. */
function countingSubProcessor(name: string) {
  const applied = new Map<string, number>();
  const failing = new Set<string>();
  const sp: SubProcessor<InventoryLevelRow> = {
    name,
    accepts: () => true,
    async process(change) {
      const storeId = String(change.key[0]);
      if (failing.has(storeId)) throw new Error(`store ${storeId} is still broken`);
      const id = `${change.rowKey}@${change.updatedText}`;
      applied.set(id, (applied.get(id) ?? 0) + 1);
      return { outcome: 'applied', workflowId: `wf-${name}` };
    },
    onError: () => 'retry',
  };
  return { sp, applied, failing };
}

function levelMessage(topic: string, offset: number, storeId: string, updated: string, value?: string) {
  const key = [storeId, 'sku-1'];
  return {
    key: JSON.stringify(key),
    value: value ?? JSON.stringify({ after: { store_id: storeId, sku: 'sku-1', on_hand: 3 }, before: null, key, updated }),
    headers: { 'trace-id': `trace-${offset}` },
    topic,
    partition: 0,
    offset: String(offset),
  };
}

function changeOf(message: ReturnType<typeof levelMessage>): AnyChange {
  const decoded = decodeMessage('inventory_levels', message);
  if (decoded.kind !== 'change') throw new Error(`fixture did not decode: ${decoded.kind}`);
  return decoded.change;
}

/** Dead-letters `message` as the processor would after `sp` gave up on it. */
async function seed(message: ReturnType<typeof levelMessage>, subProcessor: { name: string } | 'decode', error = new Error('boom')) {
  const decoded = decodeMessage('inventory_levels', message);
  return recordDeadLetter({
    producer,
    db: db(),
    message,
    table: 'inventory_levels',
    subProcessor,
    ...(decoded.kind === 'change' ? { change: decoded.change } : {}),
    error: decoded.kind === 'malformed' ? decoded.error : error,
    attempts: subProcessor === 'decode' ? 1 : 5,
    firstFailedAt: new Date(Date.now() - 1000),
  });
}

function deps(registry: SubProcessorRegistry): DeadLetterDeps {
  return { db: db(), temporal: temporal(), registry, log, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 } };
}

/** Messages on `<topic>.dlq`, exactly: from the partitions' offsets, so no waiting for "no more". */
async function dlqCount(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(`${topic}.dlq`);
  return offsets.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0);
}

const headersOf = (message: KafkaMessage | undefined) =>
  Object.fromEntries(Object.entries(message?.headers ?? {}).map(([name, value]) => [name, Buffer.isBuffer(value) ? value.toString() : String(value)]));

// ─── Tests ─────────────────────────────────────────────────────────────────────────────────────────────

describe('recordDeadLetter', () => {
  it('produces the original message with dlq headers and records one row, however often the message fails', async () => {
    const topic = await freshTopic();
    const sp = { name: `${prefix}-record` };
    const message = levelMessage(topic, 7, 'st-r', hlc(1));

    const first = await seed(message, sp, new RangeError('first failure'));
    const again = await seed(message, sp, new RangeError('second failure'));
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });

    const row = await getDeadLetter(db(), first.id);
    expect(row).toMatchObject({
      topic,
      partition: 0,
      offset: '7',
      messageKey: '["st-r","sku-1"]',
      payload: message.value,
      subProcessor: sp.name,
      tableName: 'inventory_levels',
      rowKey: '["st-r","sku-1"]',
      updated: hlc(1),
      errorMessage: 'RangeError: second failure',
      attempts: 5,
      status: 'pending',
      replayAttempts: 0,
    });
    expect(row?.headers).toMatchObject({ 'trace-id': 'trace-7', 'dlq-original-offset': '7', 'dlq-error-kind': 'retries_exhausted' });

    // One copy on the DLQ topic, however often the message failed.
    expect(await dlqCount(topic)).toBe(1);
    const dlq = await readTopic(`${topic}.dlq`, 1);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.key?.toString()).toBe(message.key);
    expect(dlq[0]?.value?.toString()).toBe(message.value);
    const headers = Object.fromEntries(Object.entries(dlq[0]?.headers ?? {}).map(([name, value]) => [name, value?.toString()]));
    expect(headers).toMatchObject({
      'trace-id': 'trace-7',
      'dlq-original-topic': topic,
      'dlq-original-partition': '0',
      'dlq-original-offset': '7',
      'dlq-original-key': message.key,
      'dlq-sub-processor': sp.name,
      'dlq-error': 'RangeError: first failure',
      'dlq-error-kind': 'retries_exhausted',
      'dlq-attempts': '5',
      'dlq-stage': 'processor',
      'dlq-dead-letter-id': first.id,
    });
    expect(Date.parse(headers['dlq-first-failure'] ?? '')).toBeGreaterThan(Date.now() - 120_000);

    // Once resolved, a later failure of the same message leaves the entry alone.
    await discardDeadLetter(deps({}), first.id, actor, 'known bad data');
    expect(await seed(message, sp, new RangeError('third failure'))).toEqual({ id: first.id, created: false });
    expect(await getDeadLetter(db(), first.id)).toMatchObject({ status: 'discarded', errorMessage: 'RangeError: second failure' });
  });
});

describe('recordDeadLetter on poison', () => {
  async function recordMalformed(message: DeadLetterMessage, producerToUse: Producer = producer) {
    const decoded = decodeMessage('inventory_levels', message);
    if (decoded.kind !== 'malformed') throw new Error(`fixture decoded as ${decoded.kind}`);
    return recordDeadLetter({
      producer: producerToUse,
      db: db(),
      message,
      table: 'inventory_levels',
      subProcessor: 'decode',
      hints: { rowKey: decoded.rowKey, updated: decoded.updated },
      error: decoded.error,
      attempts: 1,
      firstFailedAt: new Date(),
    });
  }

  it('keeps a value with NUL characters as raw bytes, and NUL in the key, headers and error as escaped text', async () => {
    const topic = await freshTopic();
    const value = Buffer.from(JSON.stringify({ after: { store_id: 'st-n', sku: 'sku-1', on_hand: 3 }, before: null, updated: hlc(1) }).replace('"st-n"', '"st-\u0000n"'));
    const key = Buffer.from('["st-\u0000n","sku-1"]');
    const message = { key, value, headers: { 'trace-\u0000id': Buffer.from('a\u0000b') }, topic, partition: 0, offset: '3' };
    const recorded = await recordDeadLetter({
      producer,
      db: db(),
      message,
      table: 'inventory_levels',
      subProcessor: { name: `${prefix}-nul` },
      hints: { rowKey: '["st-\u0000n","sku-1"]' },
      error: new Error('broke on \u0000 and a lone \uD800 surrogate'),
      attempts: 2,
      firstFailedAt: new Date(),
    });
    expect(recorded.created).toBe(true);

    const row = await db().deadLetter.findUniqueOrThrow({ where: { id: BigInt(recorded.id) } });
    expect(Buffer.from(row.payloadBytes ?? [])).toEqual(value);
    expect(Buffer.from(row.messageKeyBytes ?? [])).toEqual(key);
    expect(row.payload).toMatch(/^\[payload holds NUL characters, shown here as \\u0000; the raw \d+ bytes are kept in payload_bytes\]\n\{"after":\{"store_id":"st-\\u0000n"/);
    expect(row.messageKey).toMatch(/key holds NUL characters.*message_key_bytes\]\n\["st-\\u0000n","sku-1"\]$/s);
    expect(row.rowKey).toBe('["st-\\u0000n","sku-1"]');
    expect(row.errorMessage).toBe('Error: broke on \\u0000 and a lone \uFFFD surrogate');
    expect(row.headers).toMatchObject({ 'trace-\\u0000id': 'a\\u0000b' });
    expect(row.dlqProducedAt).toBeInstanceOf(Date);

    const view = await getDeadLetter(db(), recorded.id);
    expect(view).toMatchObject({ stage: 'processor', payloadBase64: value.toString('base64'), payloadByteLength: value.length, messageKeyBase64: key.toString('base64') });
    expect(view).not.toHaveProperty('payloadBytes');

    expect(await dlqCount(topic)).toBe(1);
    const [copy] = await readTopic(`${topic}.dlq`, 1);
    expect(copy?.value).toEqual(value);
    expect(copy?.key).toEqual(key);
    expect(headersOf(copy)).toMatchObject({ 'trace-\u0000id': 'a\u0000b', 'dlq-original-key': key.toString(), 'dlq-dead-letter-id': recorded.id });
  });

  it('keeps a binary (Confluent-framed Avro) value as raw bytes and copies it to the DLQ unchanged', async () => {
    const topic = await freshTopic();
    const value = Buffer.from([0, 0, 0, 0, 42, 0x02, 0x0a, 0xff, 0xfe, 0x80]);
    const message = { key: Buffer.from('["st-b","sku-1"]'), value, topic, partition: 0, offset: '4' };
    const { id } = await recordMalformed(message);

    const view = await getDeadLetter(db(), id);
    expect(view).toMatchObject({ stage: 'decode', subProcessor: 'decode', messageKey: '["st-b","sku-1"]', messageKeyBase64: null, payloadBase64: value.toString('base64') });
    expect(view?.payload).toBe('[binary payload: 10 bytes that are not valid UTF-8; the raw bytes are kept in payload_bytes]');
    expect(view?.errorMessage).toMatch(/value is binary: magic byte 0 then schema id 42/);
    const [copy] = await readTopic(`${topic}.dlq`, 1);
    expect(copy?.value).toEqual(value);
    expect(headersOf(copy)).toMatchObject({ 'dlq-stage': 'decode', 'dlq-error-kind': 'malformed', 'dlq-dead-letter-id': id });
  });

  it('copies a value over 1 MB to the DLQ without its value, and keeps the bytes in the row', async () => {
    const topic = await freshTopic();
    const value = Buffer.alloc(1_200_000, 0xff);
    const { id } = await recordMalformed({ key: null, value, topic, partition: 0, offset: '5' });

    const row = await db().deadLetter.findUniqueOrThrow({ where: { id: BigInt(id) } });
    expect(row.payloadBytes?.length).toBe(1_200_000);
    expect(row.errorMessage).toMatch(/value is 1200000 bytes, over the 1048576-byte limit/);
    expect((await getDeadLetter(db(), id))?.payloadByteLength).toBe(1_200_000);
    expect(await dlqCount(topic)).toBe(1);
    const [copy] = await readTopic(`${topic}.dlq`, 1);
    expect(copy?.value?.length ?? 0).toBe(0);
    expect(headersOf(copy)).toMatchObject({ 'dlq-value-omitted': '1200000', 'dlq-dead-letter-id': id });
  });

  it('copies without the value when the DLQ topic refuses its size, instead of failing on every retry', async () => {
    const topic = `${prefix}-small.inventory_levels`;
    topics.push(`${topic}.dlq`);
    await admin.createTopics({ topics: [{ topic: `${topic}.dlq`, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }], waitForLeaders: true });
    const value = JSON.stringify({ after: { store_id: 'st-s', sku: 'sku-1', on_hand: 'x'.repeat(5000) }, before: null, updated: hlc(1) });
    const { id } = await recordMalformed({ key: '["st-s","sku-1"]', value, topic, partition: 0, offset: '6' });

    expect((await getDeadLetter(db(), id))?.payload).toBe(value);
    expect(await dlqCount(topic)).toBe(1);
    const [copy] = await readTopic(`${topic}.dlq`, 1);
    expect(headersOf(copy)).toMatchObject({ 'dlq-value-omitted': String(value.length), 'dlq-original-offset': '6' });
  });

  it('after a DLQ produce that failed, the retry records one row and produces exactly one copy', async () => {
    const topic = await freshTopic();
    let sends = 0;
    const flaky: Producer = {
      ...producer,
      send: async (record) => {
        if (++sends === 1) throw new Error('broker unreachable');
        return producer.send(record);
      },
    };
    const message = levelMessage(topic, 8, 'st-f', hlc(1), '{"after": {');
    await expect(recordMalformed(message, flaky)).rejects.toThrow('broker unreachable');
    const pending = await db().deadLetter.findMany({ where: { topic } });
    expect(pending).toEqual([expect.objectContaining({ dlqProducedAt: null, status: 'pending' })]);
    expect(await dlqCount(topic)).toBe(0);

    const retried = await recordMalformed(message, flaky);
    expect(retried).toEqual({ id: pending[0]?.id.toString(), created: false });
    const again = await recordMalformed(message, flaky);
    expect(again.id).toBe(retried.id);

    expect(await db().deadLetter.count({ where: { topic } })).toBe(1);
    expect(await dlqCount(topic)).toBe(1);
    expect(sends).toBe(2);
    expect((await db().deadLetter.findUniqueOrThrow({ where: { id: BigInt(retried.id) } })).dlqProducedAt).toBeInstanceOf(Date);
  });

  it('reopens a resolved workflow-stage entry when the message fails there again, without a second copy', async () => {
    const topic = await freshTopic();
    const sp = { name: `${prefix}-workflow` };
    const streamMessage = JSON.stringify({ id: '["st-w","sku-1"]@1', payload: { storeId: 'st-w' } });
    const record = (runId: string, error: string) =>
      recordDeadLetter({
        producer,
        db: db(),
        message: { key: '["st-w","sku-1"]', value: streamMessage, topic, partition: 0, offset: '9' },
        table: 'inventory_levels',
        subProcessor: sp,
        stage: 'workflow',
        workflowId: `${prefix}-wf-st-w`,
        runId,
        error: new Error(error),
        attempts: 4,
        firstFailedAt: new Date(),
      });

    const first = await record('run-1', 'batch activity gave up');
    expect(await getDeadLetter(db(), first.id)).toMatchObject({ stage: 'workflow', workflowId: `${prefix}-wf-st-w`, runId: 'run-1', payload: streamMessage });
    // The processor stage of the same message is a different entry.
    const processorEntry = await seed(levelMessage(topic, 9, 'st-w', hlc(1)), sp);
    expect(processorEntry.id).not.toBe(first.id);

    await discardDeadLetter(deps({}), first.id, actor, 'replayed by hand');
    const reopened = await record('run-2', 'failed again after the replay');
    expect(reopened).toEqual({ id: first.id, created: false });
    expect(await getDeadLetter(db(), first.id)).toMatchObject({
      status: 'pending',
      resolution: null,
      resolvedAt: null,
      runId: 'run-2',
      errorMessage: 'Error: failed again after the replay',
    });
    expect(await dlqCount(topic)).toBe(2);
    const copies = await readTopic(`${topic}.dlq`, 2);
    expect(copies.map((copy) => headersOf(copy)['dlq-stage']).sort()).toEqual(['processor', 'workflow']);
    expect(headersOf(copies.find((copy) => headersOf(copy)['dlq-stage'] === 'workflow'))).toMatchObject({ 'dlq-workflow-id': `${prefix}-wf-st-w`, 'dlq-run-id': 'run-1' });
  });
});

describe('listing', () => {
  it('filters, counts and pages newest first', async () => {
    const topic = await freshTopic();
    const spA = { name: `${prefix}-list-a` };
    const spB = { name: `${prefix}-list-b` };
    const ids: string[] = [];
    for (let offset = 0; offset < 5; offset++) {
      const { id } = await seed(levelMessage(topic, offset, `st-l${offset}`, hlc(1)), offset % 2 ? spB : spA, new Error(offset === 3 ? 'Timeout talking to Temporal' : 'boom'));
      ids.push(id);
    }
    await seed(levelMessage(topic, 5, 'st-l5', hlc(1), '{nope'), 'decode');

    expect(await countDeadLetters(db(), { topic })).toBe(6);
    expect(await countDeadLetters(db(), { topic, subProcessor: spB.name })).toBe(2);
    expect(await countDeadLetters(db(), { topic, subProcessor: 'decode', status: 'pending' })).toBe(1);
    expect(await countDeadLetters(db(), { topic, status: ['replayed', 'discarded'] })).toBe(0);
    expect(await countDeadLetters(db(), { topic, errorText: 'timeout TALKING' })).toBe(1);
    expect(await countDeadLetters(db(), { topic, from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) })).toBe(6);
    expect(await countDeadLetters(db(), { topic, to: new Date(Date.now() - 60_000) })).toBe(0);

    const page1 = await listDeadLetters(db(), { topic, limit: 4 });
    expect(page1.items.map((item) => item.offset)).toEqual(['5', '4', '3', '2']);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await listDeadLetters(db(), { topic, limit: 4, cursor: page1.nextCursor ?? undefined });
    expect(page2.items.map((item) => item.id)).toEqual([ids[1], ids[0]]);
    expect(page2.nextCursor).toBeNull();
    expect((await listDeadLetters(db(), { topic, subProcessor: spA.name })).items.map((i) => i.offset)).toEqual(['4', '2', '0']);

    await expect(listDeadLetters(db(), { topic, cursor: 'abc' })).rejects.toBeInstanceOf(InvalidDeadLetterQueryError);
    await expect(listDeadLetters(db(), { topic, limit: 0 })).rejects.toBeInstanceOf(InvalidDeadLetterQueryError);
    expect(await getDeadLetter(db(), '999999999999')).toBeNull();
    expect(await getDeadLetter(db(), 'not-an-id')).toBeNull();
  });
});

describe('discardDeadLetter', () => {
  it('requires a reason, then marks the entry discarded with an audit row; a resolved entry cannot be acted on', async () => {
    const topic = await freshTopic();
    const { sp } = countingSubProcessor(`${prefix}-discard`);
    const { id } = await seed(levelMessage(topic, 0, 'st-x', hlc(1)), sp);
    const registry = { inventory_levels: [sp] };

    await expect(discardDeadLetter(deps(registry), id, actor, '')).rejects.toBeInstanceOf(DiscardReasonRequiredError);
    await expect(discardDeadLetter(deps(registry), id, actor, '   ')).rejects.toBeInstanceOf(DiscardReasonRequiredError);
    expect(await getDeadLetter(db(), id)).toMatchObject({ status: 'pending' });

    const discarded = await discardDeadLetter(deps(registry), id, actor, '  duplicate of a manual fix  ');
    expect(discarded).toMatchObject({ id, status: 'discarded', resolution: 'duplicate of a manual fix', resolvedBy: actor.id });
    expect(discarded.resolvedAt).toBeInstanceOf(Date);
    const audit = await db().auditLog.findMany({ where: { target: `dead_letter:${id}` } });
    expect(audit).toEqual([expect.objectContaining({ actor: actor.id, actorRole: 'engineer', action: 'dead_letter.discard', reason: 'duplicate of a manual fix' })]);

    const notPending = await discardDeadLetter(deps(registry), id, actor, 'again').catch((err: unknown) => err);
    expect(notPending).toBeInstanceOf(DeadLetterNotPendingError);
    expect(notPending).toMatchObject({ id, status: 'discarded' });
    await expect(replayDeadLetter(deps(registry), id, actor)).rejects.toBeInstanceOf(DeadLetterNotPendingError);
    await expect(discardDeadLetter(deps(registry), '999999999999', actor, 'x')).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    expect(await db().auditLog.count({ where: { target: `dead_letter:${id}` } })).toBe(1);
  });
});

describe('replayDeadLetter', () => {
  it('keeps a still-malformed decode entry pending with a clear error; a decode entry that now decodes runs every sub-processor', async () => {
    const topic = await freshTopic();
    const first = countingSubProcessor(`${prefix}-decode-1`);
    const second = countingSubProcessor(`${prefix}-decode-2`);
    const registry = { inventory_levels: [first.sp, second.sp] };

    const broken = await seed(levelMessage(topic, 0, 'st-d', hlc(1), '{"after": [}'), 'decode');
    const result = await replayDeadLetter(deps(registry), broken.id, actor);
    expect(result).toMatchObject({ status: 'pending', outcomes: [] });
    expect(result.error).toMatch(/^still cannot be decoded: .*value is not valid JSON/);
    expect(await getDeadLetter(db(), broken.id)).toMatchObject({ status: 'pending', replayAttempts: 1, errorMessage: result.error });
    expect(await db().auditLog.findFirst({ where: { target: `dead_letter:${broken.id}` } })).toMatchObject({ action: 'dead_letter.replay' });

    // As if the decoder had since learned to read it: stored as a decode failure, payload valid today.
    const fixed = await recordDeadLetter({
      producer,
      db: db(),
      message: levelMessage(topic, 1, 'st-d', hlc(2)),
      table: 'inventory_levels',
      subProcessor: 'decode',
      error: new Error('unknown column type'),
      attempts: 1,
      firstFailedAt: new Date(),
    });
    const replayed = await replayDeadLetter(deps(registry), fixed.id, actor);
    expect(replayed).toMatchObject({
      status: 'replayed',
      outcomes: [
        { subProcessor: first.sp.name, outcome: 'applied' },
        { subProcessor: second.sp.name, outcome: 'applied' },
      ],
    });
    expect(first.applied.get(`["st-d","sku-1"]@${hlc(2)}`)).toBe(1);
    expect(second.applied.get(`["st-d","sku-1"]@${hlc(2)}`)).toBe(1);
  });

  it('keeps the entry pending with the new error when the sub-processor still fails, and reports an unregistered one', async () => {
    const topic = await freshTopic();
    const { sp, failing } = countingSubProcessor(`${prefix}-still-broken`);
    failing.add('st-b');
    const { id } = await seed(levelMessage(topic, 0, 'st-b', hlc(1)), sp);

    const result = await replayDeadLetter(deps({ inventory_levels: [sp] }), id, actor);
    expect(result).toMatchObject({ status: 'pending', outcomes: [{ subProcessor: sp.name, outcome: 'dead_lettered', attempts: 2 }] });
    expect(await getDeadLetter(db(), id)).toMatchObject({
      status: 'pending',
      replayAttempts: 1,
      errorMessage: `${sp.name} failed after 2 attempt(s): Error: store st-b is still broken`,
    });
    expect(await readWatermark(db(), sp, 'inventory_levels', '["st-b","sku-1"]')).toBeNull();

    const unregistered = await replayDeadLetter(deps({ inventory_levels: [] }), id, actor);
    expect(unregistered.error).toMatch(/is not registered for inventory_levels/);
    expect(await getDeadLetter(db(), id)).toMatchObject({ status: 'pending', replayAttempts: 2 });
  });
});

describe('runBulkPage (a bulk operation\'s page of work)', () => {
  it('replays the selection in id order with one result per entry: replayed, superseded, failed (left pending); resolved entries are not taken', async () => {
    const topic = await freshTopic();
    const { sp, applied, failing } = countingSubProcessor(`${prefix}-bulk`);
    const registry = { inventory_levels: [sp] };
    const ok = await seed(levelMessage(topic, 0, 'st-ok', hlc(1)), sp);
    const supersededMessage = levelMessage(topic, 1, 'st-new', hlc(1));
    const superseded = await seed(supersededMessage, sp);
    const broken = await seed(levelMessage(topic, 2, 'st-broken', hlc(1)), sp);
    const malformed = await seed(levelMessage(topic, 3, 'st-mal', hlc(1), 'not json'), 'decode');
    const discarded = await seed(levelMessage(topic, 4, 'st-gone', hlc(1)), sp);
    await discardDeadLetter(deps(registry), discarded.id, actor, 'not needed');
    failing.add('st-broken');
    // A newer version of st-new was processed since it was dead-lettered.
    await advance(db(), sp, { ...changeOf(supersededMessage), updated: { wall: WALL, logical: 9 } });

    const runOp = async (id: string, selection: object) => {
      await db().deadLetterBulkOp.create({
        data: { id, kind: 'replay', selection, maxId: BigInt(discarded.id), reason: 'bulk test', ratePerSecond: 1000, total: 0, cursor: 0n, startedBy: actor.id, startedByRole: actor.role, workflowId: `none:${id}` },
      });
      const page = await runBulkPage({ deadLetters: deps(registry) }, { opId: id, cursor: '0', pageSize: 10, ratePerSecond: 1000 });
      const results = await db().deadLetterBulkResultRow.findMany({ where: { opId: id }, orderBy: { deadLetterId: 'asc' } });
      return { page, results: results.map((row) => [row.deadLetterId.toString(), row.result, row.detail] as const) };
    };
    try {
      const first = await runOp(`${prefix}-op-filter`, { filter: { topic } });
      expect(first.page).toMatchObject({ exhausted: true, cursor: malformed.id, counts: { done: 4, succeeded: 1, superseded: 1, failed: 2, skipped: 0 } });
      expect(first.results.map(([id, result]) => [id, result])).toEqual([
        [ok.id, 'replayed'],
        [superseded.id, 'superseded'],
        [broken.id, 'failed'],
        [malformed.id, 'failed'],
      ]);
      expect(first.results[1]?.[2]).toContain(`updated ${hlc(9)}`);
      expect(first.results[2]?.[2]).toContain('store st-broken is still broken');
      expect(applied.get(`["st-ok","sku-1"]@${hlc(1)}`)).toBe(1);
      expect(applied.has(`["st-new","sku-1"]@${hlc(1)}`)).toBe(false);
      expect(await db().auditLog.count({ where: { actor: actor.id, action: 'dead_letter.replay', target: { in: [ok, superseded, broken, malformed].map((e) => `dead_letter:${e.id}`) } } })).toBe(4);
      expect(await db().deadLetterBulkClaim.count({ where: { opId: `${prefix}-op-filter` } })).toBe(0);

      // By ids: only the pending one is taken.
      failing.delete('st-broken');
      const byIds = await runOp(`${prefix}-op-ids`, { ids: [broken.id, ok.id, discarded.id] });
      expect(byIds.results.map(([id, result]) => [id, result])).toEqual([[broken.id, 'replayed']]);
      expect(applied.get(`["st-broken","sku-1"]@${hlc(1)}`)).toBe(1);
    } finally {
      await db().deadLetterBulkOp.deleteMany({ where: { startedBy: actor.id } });
    }
  });
});

describe('watermarks', () => {
  it('classifies against the high-water mark, and concurrent advances never move it back', async () => {
    const sp = `${prefix}-watermark`;
    const change = (logical: number) => ({ table: 'inventory_levels' as const, rowKey: '["st-w","sku-1"]', updated: { wall: WALL, logical } });
    expect(await classify(db(), sp, change(5))).toBe('new');

    const order = [3, 9, 1, 7, 9, 2, 8, 4, 6, 5];
    const moved = await Promise.all(order.map((logical) => advance(db(), sp, change(logical))));
    expect(moved.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    expect(await readWatermark(db(), sp, 'inventory_levels', '["st-w","sku-1"]')).toEqual({ wall: WALL, logical: 9 });

    expect(await advance(db(), sp, change(4))).toBe(false);
    expect(await classify(db(), sp, change(9))).toBe('duplicate');
    expect(await classify(db(), sp, change(8))).toBe('stale');
    expect(await classify(db(), sp, { ...change(0), updated: { wall: WALL + 1n, logical: 0 } })).toBe('new');
    // Per sub-processor: another one has its own mark.
    expect(await classify(db(), `${sp}-other`, change(1))).toBe('new');
  });
});

describe('workflow-stage dead letters', () => {
  it('records a message a stream workflow gave up on, with its run, and a replay hands it back to that shard workflow', async () => {
    const topic = await freshTopic();
    const subProcessor = `${prefix}-wf-sp`;
    const shardKey = `store-${randomUUID().slice(0, 8)}`;
    const workflowId = streamWorkflowId(subProcessor, shardKey);
    const rowKey = JSON.stringify([shardKey, 'sku-1']);
    const message: StreamMessage = {
      id: `inventory_levels:${rowKey}@${hlc(1)}`,
      payload: { storeId: shardKey, sku: 'sku-1' },
      committedAtMs: Date.now(),
      source: { table: 'inventory_levels', rowKey, updated: hlc(1), topic, partition: 2, offset: '41' },
    };
    const dead = createStreamDeadLetterActivities({ db: db(), producer: async () => producer, currentRun: () => ({ workflowId, runId: 'run-that-gave-up' }) });
    const input = { subProcessor, activity: 'recordReplayed', message, error: 'Error: database said no', attempts: 10 };
    const first = await dead.recordStreamDeadLetter(input);
    // The workflow's activity retries: the same message is recorded once, with one DLQ copy.
    expect(await dead.recordStreamDeadLetter(input)).toEqual({ id: first.id, created: false });
    const entry = await db().deadLetter.findUniqueOrThrow({ where: { id: BigInt(first.id) } });
    expect(entry).toMatchObject({ stage: 'workflow', subProcessor, workflowId, runId: 'run-that-gave-up', attempts: 10, partition: 2, offset: 41n, rowKey, updated: hlc(1), status: 'pending' });
    expect(entry.errorMessage).toContain('database said no');
    expect(await readTopic(`${topic}.dlq`, 1)).toHaveLength(1);

    // Replay: the message goes back to the shard's workflow (a real worker here) and is applied.
    const taskQueue = `${prefix}-replay-${randomUUID().slice(0, 6)}`;
    const replayed: StreamMessage[] = [];
    const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '' });
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../../worker/workflows/index.ts', import.meta.url)),
      activities: { recordReplayed: async (batch: StreamMessage[]) => void replayed.push(...batch) },
    });
    try {
      await worker.runUntil(async () => {
        const result = await replayDeadLetter({ db: db(), temporal: temporal(), registry: {}, log, streamTaskQueue: taskQueue }, first.id, actor);
        expect(result).toMatchObject({ status: 'replayed', outcomes: [{ subProcessor, outcome: 'signalled', workflowId, runId: expect.any(String) as unknown, workflowUrl: expect.stringContaining(`/workflows/${encodeURIComponent(workflowId)}/`) as unknown }] });
        await vi.waitFor(() => expect(replayed.map(({ id }) => id)).toEqual([message.id]), { timeout: 30_000, interval: 100 });
        await temporal().workflow.getHandle(workflowId).terminate('test done');
      });
    } finally {
      await connection.close();
    }
    expect(await db().changeOutcome.count({ where: { subProcessor, rowKey, outcome: 'signalled' } })).toBe(1);
    expect(await db().deadLetter.findUniqueOrThrow({ where: { id: BigInt(first.id) } })).toMatchObject({ status: 'replayed', resolvedBy: actor.id });
  });

  it('reports a workflow-stage entry superseded when a newer version of its key was applied since', async () => {
    const topic = await freshTopic();
    const subProcessor = `${prefix}-wf-sup`;
    const rowKey = JSON.stringify([`st-${randomUUID().slice(0, 6)}`, 'sku-1']);
    const message: StreamMessage = { id: `inventory_levels:${rowKey}@${hlc(1)}`, payload: {}, source: { table: 'inventory_levels', rowKey, updated: hlc(1), topic, partition: 0, offset: '7' } };
    const dead = createStreamDeadLetterActivities({ db: db(), producer: async () => producer, currentRun: () => ({ workflowId: `stream:${subProcessor}:s`, runId: 'r' }) });
    const { id } = await dead.recordStreamDeadLetter({ subProcessor, activity: 'any', message, error: 'Error: no', attempts: 3 });
    await db().streamApplied.create({ data: { subProcessor, messageId: `inventory_levels:${rowKey}@${hlc(2)}`, tableName: 'inventory_levels', rowKey, updated: hlc(2), workflowId: 'w', runId: 'r' } });
    const result = await replayDeadLetter({ db: db(), temporal: temporal(), registry: {}, log }, id, actor);
    expect(result).toMatchObject({ status: 'superseded', outcomes: [{ subProcessor, outcome: 'stale' }] });
    expect(result.resolution).toContain(hlc(2));
  });
});
