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

describe('PARTNER_WEBHOOK_SECRETS', () => {
  const chase = 'c'.repeat(32);
  const rbc = 'r'.repeat(40);

  it('has no default: unset means no partner may send webhooks', () => {
    expect(parseEnv(valid).PARTNER_WEBHOOK_SECRETS.size).toBe(0);
  });

  it('reads partnerId=secret pairs into a map without prototype keys', () => {
    const secrets = parseEnv({ ...valid, PARTNER_WEBHOOK_SECRETS: ` chase=${chase} , rbc=${rbc}=x,` }).PARTNER_WEBHOOK_SECRETS;
    expect([...secrets]).toEqual([
      ['chase', chase],
      ['rbc', `${rbc}=x`],
    ]);
    expect(secrets.get('constructor')).toBeUndefined();
  });

  it('refuses short secrets, repeats and malformed entries without echoing a secret', () => {
    const attempt = (value: string) => () => parseEnv({ ...valid, PARTNER_WEBHOOK_SECRETS: value });
    expect(attempt('chase=too-short-secret')).toThrow(/PARTNER_WEBHOOK_SECRETS: the secret of partner chase must be at least 32 characters/);
    expect(attempt('chase=too-short-secret')).not.toThrow(/too-short-secret/);
    expect(attempt(`chase=${chase},chase=${rbc}`)).toThrow(/partner chase is named twice/);
    expect(attempt(`${chase}`)).toThrow(/entry 1 is not partnerId=secret/);
    expect(attempt(`Chase=${chase}`)).toThrow(/entry 1 is not partnerId=secret/);
  });
});
