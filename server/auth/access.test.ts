import { describe, expect, it } from 'vitest';
import { AREAS, canAccess, canChange } from './access.ts';
import { ROLES } from './actor.ts';

describe('console access', () => {
  it('the viewer reads every area and may change none', () => {
    for (const { area } of AREAS) {
      expect(canAccess('viewer', area)).toBe(true);
      expect(canChange('viewer', area)).toBe(false);
    }
  });

  it('every other role changes exactly the areas it can read', () => {
    for (const role of ROLES.filter((candidate) => candidate !== 'viewer')) {
      for (const { area } of AREAS) expect(canChange(role, area)).toBe(canAccess(role, area));
    }
    expect(canChange('engineer', 'dead-letters')).toBe(true);
    expect(canChange('engineer', 'inventory')).toBe(false);
  });
});
