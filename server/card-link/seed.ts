import type { PrismaClient } from '../db/generated/client.ts';
import type { CardFacts } from '../temporal/contract.ts';

/**
 * What the partner sandbox answers for a demo card (see worker/partner-sandbox/server.ts), so the demo covers
 * every path of the card-link workflow.
 */
export type DemoScenario =
  | 'eligible'
  | 'not_eligible'
  | 'multi_match_matched'
  | 'multi_match_rejected'
  | 'multi_match_unanswered'
  | 'no_partner'
  /** Eligible under chase@1; chase@2, in shadow mode, declines it: a recorded mismatch. */
  | 'shadow_mismatch';

/** A demo card's facts (its fingerprint is derived: demoFingerprint), whose they are and what the sandbox answers. */
export interface DemoCard extends Omit<CardFacts, 'fingerprint'> {
  customerId: string;
  partnerId: string | null;
  scenario: DemoScenario;
}

export const DEMO_PARTNERS = [
  { partnerId: 'chase', name: 'Chase', liveVersion: '1', candidateVersion: '2' },
  { partnerId: 'rbc', name: 'RBC', liveVersion: '1', candidateVersion: null },
  { partnerId: 'afterpay', name: 'Afterpay', liveVersion: '1', candidateVersion: null },
];

export const DEMO_CUSTOMERS = [
  { customerId: 'cus_maya_chen', name: 'Maya Chen', email: 'maya.chen@example.com', country: 'US' },
  { customerId: 'cus_jordan_brooks', name: 'Jordan Brooks', email: 'jordan.brooks@example.com', country: 'US' },
  { customerId: 'cus_priya_raman', name: 'Priya Raman', email: 'priya.raman@example.com', country: 'US' },
  { customerId: 'cus_noah_kim', name: 'Noah Kim', email: 'noah.kim@example.com', country: 'US' },
  { customerId: 'cus_decline_riley_park', name: 'Riley Park', email: 'riley.park@example.com', country: 'US' },
  { customerId: 'cus_luc_tremblay', name: 'Luc Tremblay', email: 'luc.tremblay@example.ca', country: 'CA' },
  { customerId: 'cus_amelie_gagnon', name: 'Amélie Gagnon', email: 'amelie.gagnon@example.ca', country: 'CA' },
  { customerId: 'cus_olivia_nguyen', name: 'Olivia Nguyen', email: 'olivia.nguyen@example.com.au', country: 'AU' },
  { customerId: 'cus_ethan_walker', name: 'Ethan Walker', email: 'ethan.walker@example.com', country: 'US' },
];

type CardRow = Omit<DemoCard, 'paymentMethodId'>;
const card = (customerId: string, network: string, bin: string, last4: string, country: string, expiry: string, partnerId: string | null, scenario: DemoScenario): CardRow => {
  const [month, year] = expiry.split('/').map(Number);
  return { customerId, network, bin, last4, country, expMonth: month!, expYear: 2000 + year!, partnerId, scenario };
};

const CARDS: CardRow[] = [
  card('cus_maya_chen', 'visa', '414721', '4242', 'US', '08/29', 'chase', 'eligible'),
  card('cus_jordan_brooks', 'visa', '414725', '0003', 'US', '03/28', 'chase', 'multi_match_matched'),
  card('cus_priya_raman', 'mastercard', '552433', '0005', 'US', '11/30', 'chase', 'multi_match_unanswered'),
  card('cus_priya_raman', 'visa', '414728', '1881', 'US', '06/29', 'chase', 'shadow_mismatch'),
  card('cus_noah_kim', 'visa', '414726', '0002', 'US', '01/28', 'chase', 'not_eligible'),
  card('cus_decline_riley_park', 'visa', '414723', '9034', 'US', '09/29', 'chase', 'not_eligible'),
  card('cus_luc_tremblay', 'visa', '450062', '7310', 'CA', '05/29', 'rbc', 'eligible'),
  card('cus_amelie_gagnon', 'visa', '450067', '0004', 'CA', '12/28', 'rbc', 'multi_match_rejected'),
  card('cus_olivia_nguyen', 'mastercard', '535317', '0003', 'AU', '07/30', 'afterpay', 'multi_match_matched'),
  card('cus_ethan_walker', 'mastercard', '535318', '5120', 'US', '10/29', 'afterpay', 'eligible'),
  card('cus_ethan_walker', 'amex', '378282', '1005', 'US', '02/29', null, 'no_partner'),
];

export const DEMO_CARDS: DemoCard[] = CARDS.map((row) => ({ ...row, paymentMethodId: `pm_${row.customerId.slice(4)}_${row.last4}` }));

/** Stands in for the payment processor's card fingerprint: stable per card, opaque. */
export function demoFingerprint(paymentMethodId: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const char of paymentMethodId) hash = BigInt.asUintN(64, (hash ^ BigInt(char.codePointAt(0)!)) * 0x100000001b3n);
  return `fp_${hash.toString(16).padStart(16, '0')}`;
}

/** Partners, customers and their cards for the card-link demo. Idempotent: existing rows are left as they are. */
export async function seedCardLinkDemo(prisma: PrismaClient): Promise<Record<string, number>> {
  const [partners, customers, paymentMethods] = await prisma.$transaction([
    prisma.partner.createMany({ data: DEMO_PARTNERS, skipDuplicates: true }),
    prisma.customer.createMany({ data: DEMO_CUSTOMERS, skipDuplicates: true }),
    prisma.paymentMethod.createMany({
      data: DEMO_CARDS.map(({ partnerId: _partnerId, scenario: _scenario, ...pm }) => ({ ...pm, fingerprint: demoFingerprint(pm.paymentMethodId) })),
      skipDuplicates: true,
    }),
  ]);
  return { partners: partners.count, customers: customers.count, paymentMethods: paymentMethods.count };
}
