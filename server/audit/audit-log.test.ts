import { describe, expect, it } from 'vitest';
import { auditWhere } from './audit-log.ts';

describe('auditWhere', () => {
  it('matches actor and action exactly, target and reason as case-insensitive substrings, and the range inclusively', () => {
    const from = new Date('2025-01-01T00:00:00Z');
    const to = new Date('2025-01-02T00:00:00Z');
    expect(auditWhere({ actor: 'admin', action: 'dead_letter.replay', target: 'TO-201', reason: 'walk-in', from, to })).toEqual({
      actor: 'admin',
      action: 'dead_letter.replay',
      target: { contains: 'TO-201', mode: 'insensitive' },
      reason: { contains: 'walk-in', mode: 'insensitive' },
      createdAt: { gte: from, lte: to },
    });
  });

  it('escapes LIKE wildcards so they match literally', () => {
    expect(auditWhere({ target: '50%_off\\' })).toEqual({ target: { contains: '50\\%\\_off\\\\', mode: 'insensitive' } });
  });

  it('leaves out what is not given, including an open-ended range', () => {
    const from = new Date('2025-01-01T00:00:00Z');
    expect(auditWhere({})).toEqual({});
    expect(auditWhere({ from })).toEqual({ createdAt: { gte: from } });
  });
});
