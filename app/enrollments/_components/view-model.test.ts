import { describe, expect, it } from 'vitest';
import { CARD_LINK_STEPS, type CardLinkProgress, type CompletedStep } from '@/server/temporal/contract.ts';
import { formatElapsed as elapsed } from '@/components/format.ts';
import { customerIdSchema } from '@/server/card-link/requests.ts';
import { customerIdProblem, enrollmentStatus, maskedCard, mismatchRate, STEP_ORDER, timeline } from './view-model.ts';

const at = '2026-11-23T10:00:00.000Z';
const step = (name: CompletedStep['step'], outcome: string, partnerResponse?: unknown): CompletedStep => ({ step: name, at, outcome, partnerResponse });
const progress = (currentStep: CardLinkProgress['currentStep'], completed: CompletedStep[], outcome: CardLinkProgress['outcome'] = null): CardLinkProgress => ({
  workflowId: 'card-link:cus_1:fp_12345678',
  customerId: 'cus_1',
  partnerId: 'chase',
  card: { network: 'mastercard', last4: '0005' },
  currentStep,
  completed,
  outcome,
});
const upToLink = [step('validate_card', 'valid'), step('select_partner', 'chase@1'), step('check_eligibility', 'multi_match', { decision: 'multi_match' }), step('create_link', 'created')];

describe('customerIdProblem', () => {
  it.each(['cus_priya_raman', 'cust-001', 'A', 'c.u:s-1', 'x'.repeat(64), '  cus_padded  '])('accepts %s like the server does', (id) => {
    expect(customerIdProblem(id)).toBeNull();
    expect(customerIdSchema.safeParse(id.trim()).success).toBe(true);
  });

  it.each([
    ['', 'Enter a customer ID'],
    ['priya raman', 'no spaces'],
    ['_cus', 'starts with a letter or digit'],
    ["cus'; DROP", 'no spaces'],
    ['cus/1', 'starts with a letter or digit'],
    ['x'.repeat(65), 'at most 64 characters'],
  ])('refuses %j, as the server does, saying why', (id, message) => {
    expect(customerIdProblem(id)).toContain(message);
    expect(customerIdSchema.safeParse(id.trim()).success).toBe(false);
  });
});

describe('enrollmentStatus', () => {
  it('names a running multi-match, a running link and each outcome in words with an icon', () => {
    const pending = progress('reconcile', upToLink, { status: 'pending_reconciliation', linkId: 'l', partnerId: 'chase', matchReference: 'mm' });
    expect(enrollmentStatus({ status: 'RUNNING', linkStatus: 'pending_reconciliation', progress: pending })).toMatchObject({ label: 'Multi-match pending', tone: 'pending' });
    expect(enrollmentStatus({ status: 'RUNNING', linkStatus: 'in_progress', progress: progress('check_eligibility', []) })).toMatchObject({ label: 'In progress' });
    expect(enrollmentStatus({ status: 'COMPLETED', linkStatus: 'linked', progress: null })).toMatchObject({ label: 'Linked', icon: '✓', tone: 'ok' });
    expect(enrollmentStatus({ status: 'COMPLETED', linkStatus: 'reconciliation_failed', progress: null })).toMatchObject({ label: 'Reconciliation failed', tone: 'bad' });
    expect(enrollmentStatus({ status: 'FAILED', linkStatus: 'failed', progress: null })).toMatchObject({ label: 'Failed', icon: '✕' });
    expect(enrollmentStatus({ status: 'TERMINATED', linkStatus: 'pending_reconciliation', progress: null })).toMatchObject({ label: 'Terminated' });
  });

  it('prefers the outcome from the progress query to a lagging search attribute', () => {
    const linked = progress('done', [], { status: 'linked', linkId: 'l', subscriptionId: 's', partnerId: 'chase', benefitEndsAt: null });
    expect(enrollmentStatus({ status: 'COMPLETED', linkStatus: 'pending_reconciliation', progress: linked }).label).toBe('Linked');
  });
});

describe('timeline', () => {
  it('keeps the same step order as the workflow contract', () => {
    expect([...STEP_ORDER]).toEqual([...CARD_LINK_STEPS]);
  });

  it('shows a waiting multi-match: recorded steps done, reconcile in progress, complete still to come', () => {
    const entries = timeline(progress('reconcile', upToLink), true);
    expect(entries.map((entry) => [entry.step, entry.state])).toEqual([
      ['validate_card', 'done'],
      ['select_partner', 'done'],
      ['check_eligibility', 'done'],
      ['create_link', 'done'],
      ['reconcile', 'current'],
      ['complete', 'waiting'],
    ]);
    expect(entries[2]?.record?.partnerResponse).toEqual({ decision: 'multi_match' });
  });

  it('marks steps a closed link never needed, and a failed step', () => {
    const declined = timeline(progress('done', [step('validate_card', 'valid'), step('select_partner', 'chase@1'), step('check_eligibility', 'not_eligible'), step('complete', 'not_eligible')]), false);
    expect(declined.map((entry) => [entry.step, entry.state])).toEqual([
      ['validate_card', 'done'],
      ['select_partner', 'done'],
      ['check_eligibility', 'done'],
      ['complete', 'done'],
      ['create_link', 'skipped'],
      ['reconcile', 'skipped'],
    ]);
    const failed = timeline(progress('done', [step('validate_card', 'failed: InvalidCardError: card_expired')]), false);
    expect(failed[0]).toMatchObject({ step: 'validate_card', state: 'failed' });
  });

  it('renders a step it does not know (a newer workflow) under its own name', () => {
    const entries = timeline(progress('check_eligibility', [step('fraud_screen' as CompletedStep['step'], 'clear')]), true);
    expect(entries[0]).toMatchObject({ step: 'fraud_screen', label: 'Fraud screen', state: 'done' });
    expect(entries[1]).toMatchObject({ step: 'check_eligibility', state: 'current' });
  });
});

describe('formatting', () => {
  it('masks a card to network and last4', () => {
    expect(maskedCard({ network: 'mastercard', last4: '0005' })).toBe('Mastercard •••• 0005');
    expect(maskedCard(null)).toBe('Card unknown');
  });

  it('gives time since the start in a readable unit', () => {
    expect(elapsed(at, '2026-11-23T10:00:00.042Z')).toBe('+42 ms');
    expect(elapsed(at, '2026-11-23T10:00:01.300Z')).toBe('+1.3 s');
    expect(elapsed(at, '2026-11-23T10:02:05.000Z')).toBe('+2 min 5 s');
    expect(elapsed(at, '2026-11-25T11:00:00.000Z')).toBe('+2 d 1 h');
  });

  it('shows a rate as a percentage, and a dash without comparisons', () => {
    expect(mismatchRate(0.25, 8)).toBe('25.0 %');
    expect(mismatchRate(0, 0)).toBe('—');
  });
});
