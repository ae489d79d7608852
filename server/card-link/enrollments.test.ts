import { describe, expect, it } from 'vitest';
import type { CardLinkProgress } from '../temporal/contract.ts';
import { isReconciliationPending, type Enrollment } from './enrollments.ts';

const progress = (currentStep: CardLinkProgress['currentStep']): CardLinkProgress => ({
  workflowId: 'card-link:cus_1:fp_12345678',
  customerId: 'cus_1',
  partnerId: 'chase',
  card: { network: 'visa', last4: '0005' },
  currentStep,
  completed: [],
  outcome: null,
});

type Pending = Pick<Enrollment, 'status' | 'progress' | 'linkStatus'>;

describe('isReconciliationPending', () => {
  it.each<[string, Pending, boolean]>([
    ['a running link at its reconcile step', { status: 'RUNNING', progress: progress('reconcile'), linkStatus: 'pending_reconciliation' }, true],
    ['a running link still checking eligibility', { status: 'RUNNING', progress: progress('check_eligibility'), linkStatus: 'in_progress' }, false],
    ['a completed link', { status: 'COMPLETED', progress: progress('done'), linkStatus: 'linked' }, false],
    ['a terminated link that was reconciling', { status: 'TERMINATED', progress: progress('reconcile'), linkStatus: 'pending_reconciliation' }, false],
    ['a running link whose progress query failed, by its search attribute', { status: 'RUNNING', progress: null, linkStatus: 'pending_reconciliation' }, true],
    ['a running link whose progress query failed, still in progress', { status: 'RUNNING', progress: null, linkStatus: 'in_progress' }, false],
  ])('%s → %s', (_what, enrollment, expected) => {
    expect(isReconciliationPending(enrollment)).toBe(expected);
  });
});
