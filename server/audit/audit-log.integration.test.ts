import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { cleanupAll } from '../testing/cleanup.ts';
import { listAuditActions, listAuditLog } from './audit-log.ts';
import { parseAuditQuery } from './requests.ts';

const prefix = `test-audit-${randomUUID().slice(0, 8)}`;
const actor = `${prefix}-admin`;
const other = `${prefix}-engineer`;
const base = Date.parse('2025-03-01T12:00:00Z');

beforeAll(async () => {
  // Five entries a minute apart, plus two in the same instant (the keyset must order them by id).
  await db().auditLog.createMany({
    data: [
      ...Array.from({ length: 5 }, (_, i) => ({
        actor,
        actorRole: 'admin',
        action: `${prefix}.adjust`,
        target: `inventory_levels:TO-${i}/SKU-50%`,
        reason: i % 2 === 0 ? 'Cycle count' : 'damaged in transit',
        details: { n: i },
        createdAt: new Date(base + i * 60_000),
      })),
      { actor: other, actorRole: 'engineer', action: `${prefix}.replay`, target: 'dead_letter:1', reason: null, details: undefined, createdAt: new Date(base + 10 * 60_000) },
      { actor: other, actorRole: 'engineer', action: `${prefix}.replay`, target: 'dead_letter:2', reason: null, details: undefined, createdAt: new Date(base + 10 * 60_000) },
    ],
  });
});

afterAll(async () => {
  await cleanupAll(prefix, [() => db().auditLog.deleteMany({ where: { actor: { startsWith: prefix } } }), () => db().$disconnect()]);
});

const list = (qs: string) => listAuditLog(db(), parseAuditQuery(new URLSearchParams(qs)));

describe('listAuditLog', () => {
  it('lists newest first, ties broken by id, and pages by keyset without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`target=&actor=&limit=3${cursor ? `&cursor=${cursor}` : ''}&from=2025-03-01T11:00:00Z&to=2025-03-01T13:00:00Z`);
      seen.push(...page.entries.filter((e) => e.actor.startsWith(prefix)).map((e) => e.target));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toEqual(['dead_letter:2', 'dead_letter:1', ...[4, 3, 2, 1, 0].map((i) => `inventory_levels:TO-${i}/SKU-50%`)]);
  });

  it('filters by actor and action exactly, target and reason by substring (case-insensitive), and time range', async () => {
    const byActor = await list(`actor=${other}`);
    expect(byActor.entries.map((e) => e.target)).toEqual(['dead_letter:2', 'dead_letter:1']);
    expect(byActor.entries[0]).toMatchObject({ actorRole: 'engineer', reason: null, details: null });

    const byReason = await list(`action=${prefix}.adjust&reason=DAMAGED`);
    expect(byReason.entries.map((e) => e.details)).toEqual([{ n: 3 }, { n: 1 }]);
    expect(byReason.nextCursor).toBeNull();

    const byTarget = await list(`actor=${actor}&target=${encodeURIComponent('sku-50%')}`);
    expect(byTarget.entries).toHaveLength(5);
    expect((await list(`actor=${actor}&target=${encodeURIComponent('sku-5_%')}`)).entries).toHaveLength(0);

    const byTime = await list(`actor=${actor}&from=2025-03-01T12:01:00Z&to=2025-03-01T12:03:00Z`);
    expect(byTime.entries.map((e) => e.createdAt)).toEqual(['2025-03-01T12:03:00.000Z', '2025-03-01T12:02:00.000Z', '2025-03-01T12:01:00.000Z']);
  });
});

describe('listAuditActions', () => {
  it('lists each action name once, sorted', async () => {
    const actions = (await listAuditActions(db())).filter((a) => a.startsWith(prefix));
    expect(actions).toEqual([`${prefix}.adjust`, `${prefix}.replay`]);
  });
});

describe('listAuditActions: the trust-boundary actions', () => {
  it('offers sign-in, webhook and card-link API actions before any was recorded', async () => {
    const actions = await listAuditActions(db());
    expect(actions).toEqual(expect.arrayContaining(['auth.sign_in', 'auth.sign_in_failed', 'auth.sign_in_throttled', 'partner_webhook.received', 'card_link_api.call']));
    expect(actions).toEqual([...actions].sort());
  });
});
