import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, type APIRequestContext } from '@playwright/test';
import { inTransaction, withDb } from './db.ts';
import { endRunningWorkflows } from './temporal.ts';

/** `npm test` passes the card-link service token; against `npm start`, the one it keeps in .data/. */
function cardLinkApiToken(): string {
  if (process.env.CARD_LINK_API_TOKEN) return process.env.CARD_LINK_API_TOKEN;
  return fs.readFileSync(path.join(import.meta.dirname, '..', '..', '.data', 'card-link-api-token'), 'utf8').trim();
}

/** A customer of this test alone (the `newCustomer` fixture); its id has no "decline", which the partner sandbox would refuse. */
export async function createCustomer(name: string): Promise<string> {
  const customerId = `cus_e2e_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await withDb((client) =>
    client.query('INSERT INTO customers (customer_id, name, email, country) VALUES ($1, $2, $3, $4)', [customerId, name, `${customerId}@example.com`, 'US']),
  );
  return customerId;
}

/**
 * Removes the customers and their card links: first ends whichever of their workflows still runs (card links of
 * every evaluation, reconciliations, unlinks), so none acts on rows that are gone, then deletes their shadow
 * comparisons, subscriptions, links, cards and the customers. Audit entries stay: the log is append-only.
 */
export async function removeCustomers(customerIds: string[]): Promise<void> {
  if (customerIds.length === 0) return;
  const workflowIds = await withDb(async (client) => {
    const cards = await client.query<{ customer_id: string; fingerprint: string; link_generation: number }>(
      'SELECT customer_id, fingerprint, link_generation FROM payment_methods WHERE customer_id = ANY($1)',
      [customerIds],
    );
    const links = await client.query<{ link_id: string }>('SELECT link_id FROM membership_links WHERE customer_id = ANY($1)', [customerIds]);
    // The card-link workflow ids (cardLinkWorkflowId, reconciliationWorkflowId and the unlink's in the Temporal contract).
    const cardLinks = cards.rows.flatMap((card) =>
      Array.from({ length: card.link_generation + 1 }, (_, generation) => `card-link:${card.customer_id}:${card.fingerprint}${generation > 0 ? `.r${generation}` : ''}`),
    );
    return [...cardLinks.flatMap((id) => [id, `${id}:reconciliation`]), ...links.rows.map((link) => `card-unlink:${link.link_id}`)];
  });
  await endRunningWorkflows(workflowIds, 'e2e cleanup: the test that started it is over');
  await inTransaction(async (client) => {
    await client.query('DELETE FROM shadow_comparisons WHERE customer_id = ANY($1)', [customerIds]);
    await client.query('DELETE FROM dashpass_subscriptions WHERE customer_id = ANY($1)', [customerIds]);
    await client.query('DELETE FROM membership_links WHERE customer_id = ANY($1)', [customerIds]);
    await client.query('DELETE FROM payment_methods WHERE customer_id = ANY($1)', [customerIds]);
    await client.query('DELETE FROM customers WHERE customer_id = ANY($1)', [customerIds]);
  });
}

/** A Chase card (Visa BIN 414721, US) the partner sandbox finds eligible: it links at once. */
export const ELIGIBLE_CARD = { bin: '414721', last4: '4242', network: 'visa', country: 'US' } as const;

/**
 * Partner sandbox rules (worker/partner-sandbox/server.ts): a Chase card (Mastercard BIN 552433, US) ending
 * 0005 is a multi-match that the partner never answers, so it waits until someone resolves it.
 */
export const UNANSWERED_MULTI_MATCH_CARD = { bin: '552433', last4: '0005', network: 'mastercard', country: 'US' } as const;
/** Chase's business BIN range 414728-414729: live v1 says eligible, the candidate v2 in shadow mode declines it. */
export const SHADOW_MISMATCH_CARD = { bin: '414728', last4: '1881', network: 'visa', country: 'US' } as const;

export interface CardLinkAnswer {
  workflowId: string;
  status: string;
  partnerId?: string;
  reason?: string;
}

/** Adds a card through the synchronous card-link API, as the customer app does, and returns its decision. */
export async function linkCard(
  request: APIRequestContext,
  customerId: string,
  card: { bin: string; last4: string; network: string; country: string },
): Promise<CardLinkAnswer> {
  const response = await request.post('/api/card-links', {
    headers: { authorization: `Bearer ${cardLinkApiToken()}` },
    data: {
      customerId,
      card: { ...card, fingerprint: `fp_e2e_${randomUUID().replace(/-/g, '')}`, expMonth: 12, expYear: new Date().getUTCFullYear() + 3 },
    },
  });
  const body = (await response.json()) as CardLinkAnswer & { error?: string };
  expect(response.status(), body.error).toBe(200);
  return body;
}

/** Shadow comparisons are written asynchronously after the decision: wait until this link's is there. */
export async function waitForShadowComparison(workflowId: string): Promise<{ matched: boolean }> {
  let row: { matched: boolean } | undefined;
  await expect
    .poll(
      async () => {
        row = await withDb(async (client) => (await client.query<{ matched: boolean }>('SELECT matched FROM shadow_comparisons WHERE workflow_id = $1', [workflowId])).rows[0]);
        return row !== undefined;
      },
      { message: `a shadow comparison for ${workflowId}`, timeout: 20_000 },
    )
    .toBe(true);
  return row!;
}
