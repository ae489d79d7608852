import type { CardLinkProgress, CardLinkStep, CompletedStep } from '@/server/temporal/contract.ts';
import type { Enrollment, ManualResolutionRecord } from '@/server/card-link/enrollments.ts';
import type { PartnerShadowStatus, ShadowMismatch } from '@/server/card-link/shadow.ts';
import type { UnlinkRecord } from '@/server/card-link/unlink-card.ts';

export type { UnlinkRecord };

/** The membership link an enrollment created, with its latest subscription (dates as ISO strings). */
export interface LinkSummary {
  linkId: string;
  status: string;
  endedReason: string | null;
  subscription: { status: string; startsAt: string; endsAt: string | null; endedAt: string | null; endedReason: string | null } | null;
}

/** What the enrollment API routes answer (app/api/enrollments/**). */
export interface EnrollmentSearchResponse {
  customerId: string;
  partners: Record<string, string>;
  enrollments: Enrollment[];
}
export interface EnrollmentDetailResponse {
  enrollment: Enrollment;
  resolutions: ManualResolutionRecord[];
  partners: Record<string, string>;
  canResolve: boolean;
  /** Absent from servers older than the unlink action. */
  link?: LinkSummary | null;
  unlinks?: UnlinkRecord[];
  /** The card's latest evaluation, the only one a re-check may supersede; null when the card is not on record. */
  latestEvaluation?: string | null;
}
export interface ResolveResponse {
  workflowId: string;
  reconciliationWorkflowId: string;
  matched: boolean;
}
export interface ShadowResponse {
  window: ShadowWindow;
  partners: PartnerShadowStatus[];
}
export interface MismatchesResponse {
  mismatches: ShadowMismatch[];
}
export type { Enrollment, ManualResolutionRecord, PartnerShadowStatus, ShadowMismatch };

export const SHADOW_WINDOWS = [
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: 'all', label: 'All time' },
] as const;
export type ShadowWindow = (typeof SHADOW_WINDOWS)[number]['value'];

// ─── Customer IDs ──────────────────────────────────────────────────────────────────────────────────────

/** Same rule as the server's customerIdSchema (server/card-link/link-card.ts); a unit test keeps them in step. */
const CUSTOMER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** null when fine, else what is wrong, in words a support agent can act on. */
export function customerIdProblem(value: string): string | null {
  const id = value.trim();
  if (!id) return 'Enter a customer ID, such as cus_priya_raman.';
  if (id.length > 64) return `A customer ID is at most 64 characters; this one has ${id.length}.`;
  if (/\s/.test(id)) return 'A customer ID has no spaces. Paste it exactly as the customer app shows it, such as cus_priya_raman.';
  if (!CUSTOMER_ID.test(id)) {
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

const NETWORKS: Record<string, string> = {
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
  return `${NETWORKS[card.network] ?? card.network} •••• ${card.last4}`;
}

export function partnerName(partners: Record<string, string>, partnerId: string | null | undefined): string {
  if (!partnerId) return 'No partner';
  return partners[partnerId] ?? partnerId;
}

/** Time since the workflow started, for a step: `+42 ms`, `+1.3 s`, `+2 min 5 s`, `+3 h 4 min`, `+2 d 1 h`. */
export function elapsed(fromIso: string, toIso: string): string {
  const ms = Math.max(0, Date.parse(toIso) - Date.parse(fromIso));
  if (!Number.isFinite(ms)) return '';
  if (ms < 1000) return `+${Math.round(ms)} ms`;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `+${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `+${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `+${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export function formatRate(rate: number, comparisons: number): string {
  if (comparisons === 0) return '—';
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.001 ? 2 : 1)} %`;
}

/** The console's own detail page for a card-link workflow. */
export function enrollmentHref(workflowId: string): string {
  return `/enrollments/${encodeURIComponent(workflowId)}`;
}
