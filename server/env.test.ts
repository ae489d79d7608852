import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, parseEnv } from './env.ts';

const valid = {
  DATABASE_URL: 'postgresql://u:p@db.internal:5432/dashops',
  KAFKA_BROKERS: 'k1:9092, k2:9092,',
  TEMPORAL_ADDRESS: 'temporal.internal:7233',
};

describe('parseEnv', () => {
  it('splits the broker list and applies documented defaults', () => {
    const env = parseEnv(valid);
    expect(env.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9092']);
    expect(env.TEMPORAL_NAMESPACE).toBe('default');
    expect(env.WORKER_HEARTBEAT_INTERVAL_MS).toBe(5000);
  });

  it('names every invalid or missing variable in one error', () => {
    const attempt = () => parseEnv({ DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'no-port' });
    expect(attempt).toThrow(InvalidEnvironmentError);
    expect(attempt).toThrow(/DATABASE_URL: DATABASE_URL must be a postgres:\/\/ URL/);
    expect(attempt).toThrow(/KAFKA_BROKERS/);
    expect(attempt).toThrow(/TEMPORAL_ADDRESS: TEMPORAL_ADDRESS must be host:port/);
  });

  it('coerces numeric settings and rejects nonsense', () => {
    expect(parseEnv({ ...valid, WORKER_STALE_AFTER_MS: '30000' }).WORKER_STALE_AFTER_MS).toBe(30_000);
    expect(() => parseEnv({ ...valid, WORKER_STALE_AFTER_MS: '-5' })).toThrow(/WORKER_STALE_AFTER_MS/);
  });

  it('runs every worker role by default and refuses an unknown one, naming the valid ones', () => {
    expect(parseEnv(valid).WORKER_ROLES).toEqual(['relay', 'processors', 'stream-worker', 'default-worker', 'cardlink-worker']);
    expect(parseEnv({ ...valid, WORKER_ROLES: ' processors, stream-worker,processors ' }).WORKER_ROLES).toEqual(['processors', 'stream-worker']);
    expect(() => parseEnv({ ...valid, WORKER_ROLES: 'processors,consumer' })).toThrow(
      /WORKER_ROLES\.1: unknown role "consumer"; the roles are relay, processors, stream-worker, default-worker, cardlink-worker/,
    );
    expect(() => parseEnv({ ...valid, WORKER_ROLES: ' , ' })).toThrow(/WORKER_ROLES: name at least one of relay/);
  });
});
