import { randomUUID } from 'node:crypto';
import { cardLinkRequestSchema, type CardLinkRequest } from '../card-link/requests.ts';

/**
 * A card-link request for a fresh card (a fingerprint of its own), a US Chase Visa unless told otherwise. The
 * partner sandbox answers by last4: 0002 not eligible, 0003 multi-match, anything else eligible.
 */
export function testCardRequest(customerId: string, card: { last4?: string; bin?: string; network?: string } = {}): CardLinkRequest {
  return cardLinkRequestSchema.parse({
    customerId,
    card: {
      fingerprint: `fp_${randomUUID().replace(/-/g, '')}`,
      bin: card.bin ?? '414721',
      last4: card.last4 ?? '4242',
      country: 'US',
      network: card.network ?? 'visa',
      expMonth: 12,
      expYear: new Date().getUTCFullYear() + 2,
    },
  });
}
