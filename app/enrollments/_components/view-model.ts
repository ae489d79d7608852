import type { CardLinkProgress, CardLinkStep, CompletedStep } from '@/server/temporal/contract.ts';
import { formatPercent } from '@/components/format.ts';
import type { CardNetwork } from '@/server/card-link/card-rules.ts';
import type { Enrollment } from '@/server/card-link/enrollments.ts';
import { CUSTOMER_ID_PATTERN } from '@/server/card-link/requests.ts';

// ─── Customer IDs ──────────────────────────────────────────────────────────────────────────────────────

/** null when fine (the server's rule, CUSTOMER_ID_PATTERN), else what is wrong, in words a support agent can act on. */
export function customerIdProblem(value: string): string | null {
  const id = value.trim();
  if (!id) return 'Enter a customer ID, such as cus_priya_raman.';
  if (id.length > 64) return `A customer ID is at most 64 characters; this one has ${id.length}.`;
  if (/\s/.test(id)) return 'A customer ID has no spaces. Paste it exactly as the customer app shows it, such as cus_priya_raman.';
  if (!CUSTOMER_ID_PATTERN.test(id)) {
    return 'A customer ID starts with a letter or digit and has only letters, digits, _ . : or -, such as cus_priya_raman.';
  }
  return null;
}

// ─── Status ────────────────────────────────────────────────────────────────────────────────────────────

export type Tone = 'ok' | 'pending' | 'running' | 'neutral' | 'bad';
export interface StatusView {
  label: string;
  /** Shown beside the label so that colour is never the only signal. */
  icon: string;
  tone: Tone;
}

const OUTCOME_VIEWS: Record<string, StatusView> = {
  linked: { label: 'Linked', icon: '✓', tone: 'ok' },
  not_eligible: { label: 'Not eligible', icon: '⊘', tone: 'neutral' },
  reconciliation_failed: { label: 'Reconciliation failed', icon: '✕', tone: 'bad' },
};

const CLOSED_VIEWS: Record<string, StatusView> = {
  FAILED: { label: 'Failed', icon: '✕', tone: 'bad' },
  TERMINATED: { label: 'Terminated', icon: '■', tone: 'bad' },
  CANCELLED: { label: 'Cancelled', icon: '■', tone: 'bad' },
  TIMED_OUT: { label: 'Timed out', icon: '✕', tone: 'bad' },
  CONTINUED_AS_NEW: { label: 'Continued as new', icon: '↻', tone: 'neutral' },
};

/** One label for a card link: the workflow's state, refined by its outcome (or the LinkStatus search attribute). */
export function enrollmentStatus(enrollment: Pick<Enrollment, 'status' | 'linkStatus' | 'progress'>): StatusView {
  const outcome = enrollment.progress?.outcome?.status ?? (enrollment.linkStatus && enrollment.linkStatus !== 'in_progress' ? enrollment.linkStatus : null);
  if (enrollment.status === 'RUNNING') {
    return outcome === 'pending_reconciliation' ? { label: 'Multi-match pending', icon: '⋯', tone: 'pending' } : { label: 'In progress', icon: '◔', tone: 'running' };
  }
  if (enrollment.status === 'COMPLETED') return (outcome && OUTCOME_VIEWS[outcome]) || { label: 'Completed', icon: '✓', tone: 'neutral' };
  return CLOSED_VIEWS[enrollment.status] ?? { label: enrollment.status.toLowerCase().replace(/_/g, ' '), icon: '•', tone: 'neutral' };
}

export const TONE_CLASSES: Record<Tone, string> = {
  ok: 'border-emerald-300 bg-emerald-50 text-emerald-800',
  pending: 'border-amber-300 bg-amber-50 text-amber-900',
  running: 'border-sky-300 bg-sky-50 text-sky-800',
  neutral: 'border-slate-300 bg-slate-100 text-slate-700',
  bad: 'border-red-300 bg-red-50 text-red-800',
};

// ─── Steps and timeline ────────────────────────────────────────────────────────────────────────────────

/** The workflow's steps in order (CARD_LINK_STEPS; kept here so the browser bundle needs no Temporal code). */
export const STEP_ORDER = ['validate_card', 'select_partner', 'check_eligibility', 'create_link', 'reconcile', 'complete'] as const satisfies readonly CardLinkStep[];

const STEP_LABELS: Record<string, string> = {
  validate_card: 'Validate card',
  select_partner: 'Select partner',
  check_eligibility: 'Check eligibility with the partner',
  create_link: 'Create link and subscription',
  reconcile: 'Reconcile multi-match',
  complete: 'Complete',
  done: 'Done',
};

/** A step name as words; an unknown (newer) step still reads sensibly. */
export function stepLabel(step: string): string {
  return STEP_LABELS[step] ?? step.replace(/_/g, ' ').replace(/^./, (first) => first.toUpperCase());
}

export type StepState = 'done' | 'failed' | 'current' | 'waiting' | 'skipped';

export interface TimelineEntry {
  key: string;
  step: string;
  label: string;
  state: StepState;
  /** The recorded step, for done and failed ones. */
  record?: CompletedStep;
}

export const STEP_STATE_VIEWS: Record<StepState, StatusView> = {
  done: { label: 'Done', icon: '✓', tone: 'ok' },
  failed: { label: 'Failed', icon: '✕', tone: 'bad' },
  current: { label: 'In progress', icon: '◔', tone: 'running' },
  waiting: { label: 'Not reached yet', icon: '○', tone: 'neutral' },
  skipped: { label: 'Not needed', icon: '–', tone: 'neutral' },
};

/**
 * The timeline: every recorded step in the order it happened, then the step running now, then the steps not
 * reached (still to come while the workflow runs, not needed once it closed). Steps the UI does not know yet
 * are shown with their own name, so a newer workflow version still renders.
 */
export function timeline(progress: CardLinkProgress, running: boolean): TimelineEntry[] {
  const entries: TimelineEntry[] = progress.completed.map((record, index) => ({
    key: `${record.step}-${index}`,
    step: record.step,
    label: stepLabel(record.step),
    state: record.outcome.startsWith('failed') ? 'failed' : 'done',
    record,
  }));
  const seen = new Set<string>(progress.completed.map((record) => record.step));
  if (running && progress.currentStep !== 'done' && !seen.has(progress.currentStep)) {
    entries.push({ key: progress.currentStep, step: progress.currentStep, label: stepLabel(progress.currentStep), state: 'current' });
    seen.add(progress.currentStep);
  }
  for (const step of STEP_ORDER) {
    if (seen.has(step)) continue;
    // A link that never multi-matched has no reconcile step to wait for.
    if (running && step === 'reconcile' && progress.completed.some((record) => record.step === 'create_link') && progress.currentStep !== 'reconcile') continue;
    entries.push({ key: step, step, label: stepLabel(step), state: running ? 'waiting' : 'skipped' });
  }
  return entries;
}

// ─── Formatting ────────────────────────────────────────────────────────────────────────────────────────

const NETWORKS: Record<CardNetwork, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'Amex',
  discover: 'Discover',
  jcb: 'JCB',
  unionpay: 'UnionPay',
  diners: 'Diners',
};

/** `Mastercard •••• 0005`; the platform only ever holds last4. */
export function maskedCard(card: CardLinkProgress['card'] | undefined | null): string {
  if (!card) return 'Card unknown';
  return `${NETWORKS[card.network as CardNetwork] ?? card.network} •••• ${card.last4}`;
}

export function partnerName(partners: Record<string, string>, partnerId: string | null | undefined): string {
  if (!partnerId) return 'No partner';
  return partners[partnerId] ?? partnerId;
}

/** A shadow pair's mismatch rate; a dash before the first comparison. */
export function mismatchRate(rate: number, comparisons: number): string {
  return comparisons === 0 ? '—' : formatPercent(rate);
}

/** The console's own detail page for a card-link workflow. */
export function enrollmentHref(workflowId: string): string {
  return `/enrollments/${encodeURIComponent(workflowId)}`;
}
