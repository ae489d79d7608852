import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { Kafka } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator, kafkaLogLevel, SETTLING_CLUSTER_ERRORS } from './kafka-log.ts';

const LOADING = "The coordinator is loading and hence can't process requests for this group";

/** A kafkajs client logging through kafkaLogCreator into a pino logger at `level`; returns the JSON lines written. */
function kafkaLoggingAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level }, sink);
  const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: kafkaLogLevel(level), logCreator: kafkaLogCreator(log) });
  return { logger: kafka.logger(), lines };
}

describe('kafkaLogCreator', () => {
  it('only names errors kafkajs itself marks retriable', () => {
    const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
      errorCodes: { type: string; message: string; retriable: boolean }[];
    };
    for (const message of SETTLING_CLUSTER_ERRORS) {
      expect(errorCodes.find((code) => code.message === message), message).toMatchObject({ retriable: true });
    }
  });

  it('logs a retried "coordinator is loading" answer at debug, not error', () => {
    const atInfo = kafkaLoggingAt('info');
    atInfo.logger.namespace('Connection').error('Response JoinGroup(key: 11, version: 5)', { error: LOADING, correlationId: 3 });
    expect(atInfo.lines).toEqual([]);

    const atDebug = kafkaLoggingAt('debug');
    atDebug.logger.namespace('Connection').error('Response JoinGroup(key: 11, version: 5)', { error: LOADING, correlationId: 3 });
    expect(atDebug.lines).toEqual([
      expect.objectContaining({ level: 20, component: 'kafkajs', namespace: 'Connection', error: LOADING, correlationId: 3, msg: 'Response JoinGroup(key: 11, version: 5)' }),
    ]);
  });

  it('keeps every other error and warning at its level, with its fields', () => {
    const { logger, lines } = kafkaLoggingAt('info');
    logger.namespace('Connection').error('Response Produce(key: 0, version: 7)', { error: 'The request included a message larger than the max message size the server will accept' });
    logger.namespace('Consumer').error('Crash: KafkaJSNumberOfRetriesExceeded: ' + LOADING, { groupId: 'g1' });
    logger.namespace('Runner').warn('Consumer was rebalancing', { groupId: 'g1' });
    expect(lines.map((line) => [line.level, line.namespace, line.msg])).toEqual([
      [50, 'Connection', 'Response Produce(key: 0, version: 7)'],
      [50, 'Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded: ' + LOADING],
      [40, 'Runner', 'Consumer was rebalancing'],
    ]);
    expect(lines[1]).toMatchObject({ groupId: 'g1', component: 'kafkajs' });
    expect(lines[1]).not.toHaveProperty('timestamp');
  });

  it("passes kafkajs's info lines (group joins) only when debugging", () => {
    const atInfo = kafkaLoggingAt('info');
    atInfo.logger.namespace('ConsumerGroup').info('Consumer has joined the group', { groupId: 'g1' });
    expect(atInfo.lines).toEqual([]);
    const atDebug = kafkaLoggingAt('debug');
    atDebug.logger.namespace('ConsumerGroup').info('Consumer has joined the group', { groupId: 'g1' });
    expect(atDebug.lines).toEqual([expect.objectContaining({ level: 30, msg: 'Consumer has joined the group' })]);
  });
});
