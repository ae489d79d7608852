import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { auditedCardLinkCall } from './card-link-calls.ts';

const customerId = `cus_audit_${randomUUID().slice(0, 8)}`;
const call = (body: unknown) =>
  new Request('http://console.test/api/card-links', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const rowsFor = (id: string) => db().auditLog.findMany({ where: { action: 'card_link_api.call', target: `customer:${id}` }, orderBy: { id: 'asc' } });

afterAll(async () => {
  await db().auditLog.deleteMany({ where: { action: 'card_link_api.call', target: { startsWith: `customer:${customerId}` } } });
});

describe('auditedCardLinkCall', () => {
  it('records the method, status, outcome, workflow and customer of a call, never the card', async () => {
    const handler = auditedCardLinkCall(async (request: Request) => {
      await request.json();
      return Response.json({ status: 'linked', workflowId: 'card-link-1', linkId: 'l1' }, { status: 200 });
    });
    const response = await handler(call({ customerId, cardNumber: '4111111111111111' }));
    expect(await response.json()).toEqual({ status: 'linked', workflowId: 'card-link-1', linkId: 'l1' });
    const [row] = await rowsFor(customerId);
    expect(row).toMatchObject({ actor: 'service:card-link', actorRole: 'service' });
    expect(row!.details).toEqual({ method: 'POST', path: '/api/card-links', status: 200, outcome: 'linked', workflowId: 'card-link-1', customerId });
    expect(JSON.stringify(row!.details)).not.toContain('4111');
  });

  it('records a refusal by its HTTP status, and a handler that throws as 500, rethrowing', async () => {
    const id = `${customerId}-b`;
    await auditedCardLinkCall(async () => Response.json({ error: 'nope' }, { status: 401 }))(call({ customerId: id }));
    await expect(auditedCardLinkCall(async () => Promise.reject(new Error('boom')))(call({ customerId: id }))).rejects.toThrow('boom');
    expect((await rowsFor(id)).map((row) => row.details)).toEqual([
      { method: 'POST', path: '/api/card-links', status: 401, outcome: 'http_401', customerId: id },
      { method: 'POST', path: '/api/card-links', status: 500, outcome: 'error', customerId: id },
    ]);
  });
});
