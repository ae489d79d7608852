import type { KafkaMessage, Producer } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { db } from '../../server/db/client.ts';
import { temporal } from '../../server/temporal/client.ts';
import { DeadLetterNotPendingError } from '../../server/stream/dead-letter-errors.ts';
import { replayDeadLetter, type DeadLetterDeps } from '../../server/stream/dead-letter-replay.ts';
import type { SubProcessorRegistry } from '../../server/stream/run-sub-processor.ts';
import type { Change, SubProcessor } from '../../server/stream/sub-processor.ts';
import type { InventoryLevelRow } from '../../server/stream/tables.ts';
import { startKafkaProcessors, type KafkaProcessors } from './kafka-processor.ts';
import { streamTestKit } from '../../server/testing/stream-test-kit.ts';
import type { Actor } from '../../server/auth/actor.ts';

const kit = streamTestKit('proc');
const { prefix, kafka, admin, producer, topics, groups } = kit;
const log = pino({ level: 'silent' });
const actor: Actor = { id: `${prefix}-engineer`, role: 'engineer' };

const running: KafkaProcessors[] = [];
let scenarioCount = 0;

beforeAll(() => kit.connect());

afterAll(() => kit.cleanup(running.map((processors) => () => processors.stop())));

// ─── Test fixtures ─────────────────────────────────────────────────────────────────────────────────────

const WALL = BigInt(Date.now()) * 1_000_000n;
/** Changefeed `updated` text, `step` logical ticks after the run's base wall clock. */
const hlc = (step: number) => `${WALL}.${String(step).padStart(10, '0')}`;

function level(storeId: string, sku: string, onHand: number): InventoryLevelRow {
  return { store_id: storeId, sku, on_hand: onHand, updated_at: new Date().toISOString() };
}

function envelope(row: Record<string, unknown> & { store_id: string; sku: string }, updated: string, before: unknown = null) {
  const key = [row.store_id, row.sku];
  return { key: JSON.stringify(key), value: JSON.stringify({ after: row, before, key, updated }) };
}

/**
 * A test-only sub-processor whose side effect is an audit_log row (actor = its name, target = row key), so
 * the test can count exactly how often it applied each version. `fault.active` makes it throw.
 */
function auditingSubProcessor(name: string, options: { accepts?: (change: Change<InventoryLevelRow>) => boolean; nonRetryable?: boolean } = {}) {
  const fault = { active: false };
  const calls: string[] = [];
  const sp: SubProcessor<InventoryLevelRow> = {
    name,
    accepts: options.accepts ?? (() => true),
    async process(change, ctx) {
      calls.push(change.updatedText);
      if (fault.active) throw new TypeError(`injected fault in ${name}`);
      await ctx.db.auditLog.create({
        data: { actor: name, actorRole: 'test', action: 'test.applied', target: change.rowKey, details: { updated: change.updatedText, onHand: change.after?.on_hand ?? null } },
      });
      return { outcome: 'applied', workflowId: `wf-${name}-${change.rowKey}` };
    },
    onError: (_change, error) => (options.nonRetryable && error instanceof TypeError ? 'dead-letter' : 'retry'),
  };
  return { sp, fault, calls };
}

async function appliedVersions(spName: string, rowKey: string): Promise<string[]> {
  const rows = await db().auditLog.findMany({ where: { actor: spName, target: rowKey, action: 'test.applied' }, orderBy: { id: 'asc' } });
  return rows.map((row) => (row.details as { updated: string }).updated);
}

/** A scenario: its own topic (1 partition), DLQ topic and consumer group, and a running processor. */
async function scenario(registry: SubProcessorRegistry, retry = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 }, dlqProducer: Producer = producer) {
  const topicPrefix = `${prefix}-${++scenarioCount}.`;
  const topic = `${topicPrefix}inventory_levels`;
  const groupPrefix = `${prefix}-${scenarioCount}`;
  topics.push(topic, `${topic}.dlq`);
  groups.push(`${groupPrefix}.inventory_levels`);
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const processors = await startKafkaProcessors({
    kafka,
    producer: dlqProducer,
    db: db(),
    temporal: temporal(),
    registry,
    log,
    groupPrefix,
    topicPrefix,
    tables: ['inventory_levels'],
    retry,
    consumerConfig: { maxWaitTimeInMs: 100 },
  });
  running.push(processors);
  const send = async (...messages: { key: string | null; value: string }[]) => {
    await producer.send({ topic, messages });
  };
  const counters = (name: string) => processors.metrics().topics.find((t) => t.topic === topic)?.subProcessors.find((sp) => sp.name === name);
  return { topic, processors, send, counters };
}

const readTopic = (topic: string, count: number) => kit.readTopic(topic, count);

const headerText = (message: KafkaMessage | undefined, name: string) => message?.headers?.[name]?.toString();
const waitUntil = (assertion: () => Promise<void> | void) => vi.waitFor(assertion, { timeout: 45_000, interval: 150 });

// ─── Scenarios ─────────────────────────────────────────────────────────────────────────────────────────

describe('general Kafka processor', () => {
  it('applies a redelivered envelope once and drops an older version after a newer one, counting both', async () => {
    const name = `${prefix}-dedupe`;
    const { sp, calls } = auditingSubProcessor(name);
    // A second sub-processor that acts only on big stock: the ignored changes still advance its watermark.
    const picky = auditingSubProcessor(`${prefix}-picky`, { accepts: (change) => (change.after?.on_hand ?? 0) > 10 });
    const { topic, send, counters } = await scenario({ inventory_levels: [sp, picky.sp] });

    const rowKey = JSON.stringify(['st-d', 'sku-d']);
    const newer = envelope(level('st-d', 'sku-d', 5), hlc(2));
    const older = envelope(level('st-d', 'sku-d', 20), hlc(1));
    const newest = envelope(level('st-d', 'sku-d', 30), hlc(3));
    await send(newer, newer, older, newest);

    await waitUntil(async () => expect(await appliedVersions(name, rowKey)).toEqual([hlc(2), hlc(3)]));
    await waitUntil(() => expect(counters(name)).toMatchObject({ messages: 4, applied: 2, duplicates: 1, stale: 1, deadLetters: 0 }));
    expect(calls).toEqual([hlc(2), hlc(3)]);

    // The picky one ignored v2 (on_hand 5), so v1 (on_hand 20) arriving later is stale, not applied; v3 is.
    await waitUntil(() => expect(counters(picky.sp.name)).toMatchObject({ messages: 4, ignored: 1, duplicates: 1, stale: 1, applied: 1 }));
    expect(await appliedVersions(picky.sp.name, rowKey)).toEqual([hlc(3)]);

    const outcomes = await db().changeOutcome.findMany({ where: { subProcessor: name, topic }, orderBy: { offset: 'asc' } });
    expect(outcomes.map((o) => [o.offset, o.updated, o.outcome])).toEqual([
      [0n, hlc(2), 'applied'],
      [1n, hlc(2), 'duplicate'],
      [2n, hlc(1), 'stale'],
      [3n, hlc(3), 'applied'],
    ]);
    expect(outcomes[0]).toMatchObject({ tableName: 'inventory_levels', rowKey, workflowId: `wf-${name}-${rowKey}`, partition: 0 });
    expect(outcomes[0]?.latencyMs).toBeGreaterThanOrEqual(0);
    const watermark = await db().processorWatermark.findUniqueOrThrow({
      where: { subProcessor_tableName_rowKey: { subProcessor: name, tableName: 'inventory_levels', rowKey } },
    });
    expect(watermark).toMatchObject({ updatedWall: WALL, updatedLogical: 3 });
  });

  it('processes envelopes with unknown columns and with a missing nullable column', async () => {
    const name = `${prefix}-evolve`;
    const { sp } = auditingSubProcessor(name);
    const { topic, send } = await scenario({ inventory_levels: [sp] });
    const { updated_at: _omitted, ...withoutUpdatedAt } = level('st-e', 'sku-2', 2);

    await send(
      envelope({ ...level('st-e', 'sku-1', 1), aisle: 'B7', shelf_life_days: 12 }, hlc(1)),
      envelope(withoutUpdatedAt, hlc(1)),
      // A resolved checkpoint between them is skipped.
      { key: null, value: JSON.stringify({ resolved: hlc(1) }) },
    );

    await waitUntil(async () => {
      expect(await appliedVersions(name, JSON.stringify(['st-e', 'sku-1']))).toEqual([hlc(1)]);
      expect(await appliedVersions(name, JSON.stringify(['st-e', 'sku-2']))).toEqual([hlc(1)]);
    });
    expect(await db().deadLetter.count({ where: { topic } })).toBe(0);
  });

  it('dead-letters malformed JSON and a wrong envelope shape at once, and later messages on the partition still flow', async () => {
    const name = `${prefix}-malformed`;
    const { sp } = auditingSubProcessor(name);
    const { topic, send, processors } = await scenario({ inventory_levels: [sp] });

    await send(
      { key: '["st-m","sku-1"]', value: '{"after": {"store_id": "st-m"' },
      { key: '["st-m","sku-2"]', value: JSON.stringify({ row: { store_id: 'st-m' }, ts: 'yesterday' }) },
      envelope(level('st-m', 'sku-3', 3), hlc(1)),
    );

    await waitUntil(async () => expect(await appliedVersions(name, JSON.stringify(['st-m', 'sku-3']))).toEqual([hlc(1)]));
    const entries = await db().deadLetter.findMany({ where: { topic }, orderBy: { offset: 'asc' } });
    expect(entries.map((e) => [e.offset, e.subProcessor, e.status, e.attempts, e.tableName])).toEqual([
      [0n, 'decode', 'pending', 1, 'inventory_levels'],
      [1n, 'decode', 'pending', 1, 'inventory_levels'],
    ]);
    expect(entries[0]?.errorMessage).toMatch(/value is not valid JSON/);
    expect(entries[1]?.errorMessage).toMatch(/invalid changefeed envelope: .*after/);
    expect(entries[0]?.payload).toBe('{"after": {"store_id": "st-m"');

    // The DLQ topic has partitions of its own (keyed by the original key): order by the original offset.
    const dlq = (await readTopic(`${topic}.dlq`, 2)).sort((a, b) => Number(headerText(a, 'dlq-original-offset')) - Number(headerText(b, 'dlq-original-offset')));
    expect(dlq).toHaveLength(2);
    const [first, second] = dlq;
    expect(first?.key?.toString()).toBe('["st-m","sku-1"]');
    expect(first?.value?.toString()).toBe('{"after": {"store_id": "st-m"');
    expect({
      topic: headerText(first, 'dlq-original-topic'),
      partition: headerText(first, 'dlq-original-partition'),
      offset: headerText(first, 'dlq-original-offset'),
      key: headerText(first, 'dlq-original-key'),
      subProcessor: headerText(first, 'dlq-sub-processor'),
      kind: headerText(first, 'dlq-error-kind'),
      attempts: headerText(first, 'dlq-attempts'),
    }).toEqual({ topic, partition: '0', offset: '0', key: '["st-m","sku-1"]', subProcessor: 'decode', kind: 'malformed', attempts: '1' });
    expect(headerText(first, 'dlq-error')).toMatch(/MalformedMessageError: .*not valid JSON/);
    expect(new Date(headerText(first, 'dlq-first-failure') ?? '').getTime()).toBeGreaterThan(Date.now() - 120_000);
    expect(headerText(second, 'dlq-original-offset')).toBe('1');
    expect(headerText(second, 'dlq-error')).toMatch(/invalid changefeed envelope/);

    const metrics = processors.metrics().topics.find((t) => t.topic === topic);
    expect(metrics).toMatchObject({ messages: 3, malformed: 2 });
  });

  it('dead-letters a sub-processor that fails every attempt, with the attempt count; replay after the fix applies it once', async () => {
    const name = `${prefix}-flaky`;
    const flaky = auditingSubProcessor(name);
    const healthy = auditingSubProcessor(`${prefix}-healthy`);
    const fatal = auditingSubProcessor(`${prefix}-fatal`, { nonRetryable: true, accepts: (change) => change.key[1] === 'sku-fatal' });
    const registry: SubProcessorRegistry = { inventory_levels: [flaky.sp, healthy.sp, fatal.sp] };
    const { topic, send, counters } = await scenario(registry, { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40 });
    const rowKey = JSON.stringify(['st-f', 'sku-1']);

    flaky.fault.active = true;
    fatal.fault.active = true;
    await send(envelope(level('st-f', 'sku-1', 0), hlc(1)), envelope(level('st-f', 'sku-fatal', 0), hlc(1)));

    await waitUntil(async () => expect(await db().deadLetter.count({ where: { topic } })).toBe(3));
    const entries = await db().deadLetter.findMany({ where: { topic }, orderBy: [{ offset: 'asc' }, { subProcessor: 'asc' }] });
    const [flakyEntry, otherFlaky, fatalEntry] = [
      entries.find((e) => e.subProcessor === name && e.rowKey === rowKey),
      entries.find((e) => e.subProcessor === name && e.rowKey !== rowKey),
      entries.find((e) => e.subProcessor === fatal.sp.name),
    ];
    expect(flakyEntry).toMatchObject({ attempts: 4, status: 'pending', updated: hlc(1), tableName: 'inventory_levels' });
    expect(flakyEntry?.errorMessage).toBe(`TypeError: injected fault in ${name}`);
    expect(flakyEntry?.headers).toMatchObject({ 'dlq-attempts': '4', 'dlq-error-kind': 'retries_exhausted', 'dlq-sub-processor': name });
    expect(otherFlaky).toBeDefined();
    // onError said `dead-letter`: no retries.
    expect(fatalEntry).toMatchObject({ attempts: 1, headers: expect.objectContaining({ 'dlq-error-kind': 'non_retryable' }) as unknown });
    expect(fatal.calls).toEqual([hlc(1)]);
    // The healthy sub-processor of the same change was not held back.
    expect(await appliedVersions(healthy.sp.name, rowKey)).toEqual([hlc(1)]);
    expect(flaky.calls.filter((u) => u === hlc(1))).toHaveLength(8);
    await waitUntil(() => expect(counters(name)).toMatchObject({ deadLetters: 2, applied: 0 }));

    const dlq = await readTopic(`${topic}.dlq`, 3);
    const header = dlq.find((m) => headerText(m, 'dlq-sub-processor') === name && m.key?.toString() === rowKey);
    expect(headerText(header, 'dlq-attempts')).toBe('4');
    expect(headerText(header, 'dlq-error')).toBe(`TypeError: injected fault in ${name}`);

    flaky.fault.active = false;
    const healthyCalls = healthy.calls.length;
    const deps: DeadLetterDeps = { db: db(), temporal: temporal(), registry, log };
    const result = await replayDeadLetter(deps, flakyEntry?.id ?? 0n, actor);
    expect(result).toMatchObject({ status: 'replayed', outcomes: [{ subProcessor: name, outcome: 'applied', attempts: 1 }] });
    expect(await appliedVersions(name, rowKey)).toEqual([hlc(1)]);
    expect(healthy.calls).toHaveLength(healthyCalls);

    const after = await db().deadLetter.findUniqueOrThrow({ where: { id: flakyEntry?.id ?? 0n } });
    expect(after).toMatchObject({ status: 'replayed', replayAttempts: 1, resolvedBy: actor.id });
    expect(after.resolution).toMatch(new RegExp(`${name}: applied`));
    const audit = await db().auditLog.findMany({ where: { action: 'dead_letter.replay', target: `dead_letter:${after.id}` } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: actor.id, actorRole: 'engineer' });
    expect(await db().changeOutcome.count({ where: { subProcessor: name, rowKey, outcome: 'replayed' } })).toBe(1);

    await expect(replayDeadLetter(deps, after.id, actor)).rejects.toBeInstanceOf(DeadLetterNotPendingError);
    expect(await appliedVersions(name, rowKey)).toEqual([hlc(1)]);
  });

  it('reports a replay as superseded when a newer version of the key was processed since, and does not apply it', async () => {
    const name = `${prefix}-superseded`;
    const flaky = auditingSubProcessor(name);
    const registry: SubProcessorRegistry = { inventory_levels: [flaky.sp] };
    const { topic, send } = await scenario(registry, { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 });
    const rowKey = JSON.stringify(['st-s', 'sku-1']);

    flaky.fault.active = true;
    await send(envelope(level('st-s', 'sku-1', 1), hlc(1)));
    await waitUntil(async () => expect(await db().deadLetter.count({ where: { topic } })).toBe(1));

    flaky.fault.active = false;
    await send(envelope(level('st-s', 'sku-1', 2), hlc(2)));
    await waitUntil(async () => expect(await appliedVersions(name, rowKey)).toEqual([hlc(2)]));

    const entry = await db().deadLetter.findFirstOrThrow({ where: { topic } });
    const result = await replayDeadLetter({ db: db(), temporal: temporal(), registry, log }, entry.id, actor);
    expect(result).toMatchObject({ status: 'superseded', outcomes: [{ subProcessor: name, outcome: 'stale', attempts: 0 }] });
    expect(result.resolution).toContain(`updated ${hlc(2)}`);
    expect(await appliedVersions(name, rowKey)).toEqual([hlc(2)]);
    expect(await db().deadLetter.findUniqueOrThrow({ where: { id: entry.id } })).toMatchObject({ status: 'superseded', resolution: result.resolution });
  });

  it('dead-letters each poison message once and keeps the partition flowing; a far-future watermark cannot block its key', async () => {
    const name = `${prefix}-poison`;
    const { sp } = auditingSubProcessor(name);
    const { topic } = await scenario({ inventory_levels: [sp] });
    const rowKey = JSON.stringify(['st-p', 'sku-1']);
    const future = `${BigInt(Date.UTC(2100, 0, 1)) * 1_000_000n}.0000000000`;
    // A watermark a far-future envelope wrote before such envelopes were refused: it must not make real changes stale.
    await db().processorWatermark.create({
      data: { subProcessor: name, tableName: 'inventory_levels', rowKey, updatedWall: BigInt(Date.UTC(2100, 0, 1)) * 1_000_000n, updatedLogical: 0 },
    });
    // The far-future envelope comes on a key of its own that no later change touches (on `rowKey`, the real change
    // after it would overwrite whatever it wrote): its watermark after the partition has flowed shows what it did.
    const futureKey = ['st-pf', 'sku-1'];
    const futureWatermark = { subProcessor_tableName_rowKey: { subProcessor: name, tableName: 'inventory_levels', rowKey: JSON.stringify(futureKey) } };
    await db().processorWatermark.create({ data: { subProcessor: name, tableName: 'inventory_levels', rowKey: JSON.stringify(futureKey), updatedWall: WALL, updatedLogical: 0 } });

    const good = envelope(level('st-p', 'sku-1', 3), hlc(1));
    await producer.send({
      topic,
      messages: [
        { key: JSON.stringify(futureKey), value: JSON.stringify({ after: level('st-pf', 'sku-1', 1), before: null, key: futureKey, updated: future }) },
        { key: good.key, value: Buffer.from([0, 0, 0, 0, 7, 2, 104, 105]) },
        { key: good.key, value: `{"after":{"store_id":"st-p","sku":"sku-1\u0000","on_hand":1},"before":null,"updated":"${hlc(1)}"}` },
        { key: 'x'.repeat(3000), value: good.value },
        { key: good.key, value: JSON.stringify({ after: level('st-p', 'sku-1', 1), before: null, updated: '99999999999999999999.0000000000' }) },
        // The key only in the Kafka message key, as CockroachDB's Kafka sink sends it without key_in_value.
        { key: good.key, value: JSON.stringify({ after: level('st-p', 'sku-1', 3), before: null, updated: hlc(1) }) },
      ],
    });

    await waitUntil(async () => expect(await appliedVersions(name, rowKey)).toEqual([hlc(1)]));
    await waitUntil(async () => expect(await db().deadLetter.count({ where: { topic } })).toBe(5));
    const entries = await db().deadLetter.findMany({ where: { topic }, orderBy: { offset: 'asc' } });
    expect(entries.map((entry) => [entry.offset, entry.stage, entry.dlqProducedAt !== null])).toEqual([0n, 1n, 2n, 3n, 4n].map((offset) => [offset, 'decode', true]));
    expect(entries[0]?.errorMessage).toMatch(/ahead/);
    expect(entries[1]?.payloadBytes).not.toBeNull();
    // The watermark moved from 2100 to the real change, and nothing went to the DLQ twice.
    const mark = await db().processorWatermark.findUniqueOrThrow({ where: { subProcessor_tableName_rowKey: { subProcessor: name, tableName: 'inventory_levels', rowKey } } });
    expect(`${mark.updatedWall}.${String(mark.updatedLogical).padStart(10, '0')}`).toBe(hlc(1));
    expect(await readTopic(`${topic}.dlq`, 5)).toHaveLength(5);
    // Once the last message's outcome is written, every message before it was handled: the far-future one was
    // dead-lettered once, was not applied, and left its key's watermark where it was.
    await waitUntil(async () => expect(await db().changeOutcome.count({ where: { subProcessor: name, topic, offset: 5n } })).toBe(1));
    expect(await db().deadLetter.count({ where: { topic, rowKey: JSON.stringify(futureKey) } })).toBe(1);
    expect(await appliedVersions(name, JSON.stringify(futureKey))).toEqual([]);
    expect(await db().processorWatermark.findUniqueOrThrow({ where: futureWatermark })).toMatchObject({ updatedWall: WALL, updatedLogical: 0 });
  });

  it('retries a message whose dead letter cannot be recorded, instead of skipping it', async () => {
    const name = `${prefix}-dlq-down`;
    const broken = auditingSubProcessor(name);
    broken.fault.active = true;
    // The DLQ produce fails twice (a broker hiccup), then works.
    let dlqFailuresLeft = 2;
    const flakyProducer: Producer = {
      ...producer,
      send: async (record) => {
        if (record.topic.endsWith('.dlq') && dlqFailuresLeft-- > 0) throw new Error('DLQ broker unavailable');
        return producer.send(record);
      },
    };
    const after = auditingSubProcessor(`${prefix}-dlq-down-next`);
    const { topic, send } = await scenario({ inventory_levels: [broken.sp, after.sp] }, { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 }, flakyProducer);

    await send(envelope(level('st-q', 'sku-1', 1), hlc(1)), envelope(level('st-q', 'sku-2', 2), hlc(1)));

    // Both messages end up dead-lettered exactly once per (message, sub-processor), nothing skipped.
    await waitUntil(async () => expect(await db().deadLetter.count({ where: { topic } })).toBe(2));
    expect(dlqFailuresLeft).toBeLessThan(0);
    await waitUntil(async () => expect(await appliedVersions(after.sp.name, JSON.stringify(['st-q', 'sku-2']))).toEqual([hlc(1)]));
    // The first message was re-run after the failed record: more than its 2 attempts.
    expect(broken.calls.length).toBeGreaterThan(4);
    expect(await appliedVersions(after.sp.name, JSON.stringify(['st-q', 'sku-1']))).toEqual([hlc(1)]);
    const entries = await db().deadLetter.findMany({ where: { topic }, orderBy: { offset: 'asc' } });
    expect(entries.map((e) => [e.offset, e.subProcessor, e.attempts])).toEqual([
      [0n, name, 2],
      [1n, name, 2],
    ]);
  });
});
