import type { DeadLetterState } from '@/server/stream/requests.ts';

const STYLES: Record<DeadLetterState, { icon: string; label: string; className: string }> = {
  pending: { icon: '●', label: 'Pending', className: 'border-amber-300 bg-amber-50 text-amber-900' },
  replayed: { icon: '✓', label: 'Replayed', className: 'border-emerald-300 bg-emerald-50 text-emerald-900' },
  superseded: { icon: '↷', label: 'Superseded', className: 'border-sky-300 bg-sky-50 text-sky-900' },
  discarded: { icon: '✕', label: 'Discarded', className: 'border-slate-300 bg-slate-100 text-slate-700' },
};

/** The entry's state as an icon and a word, never colour alone. */
export function StateBadge({ state }: { state: DeadLetterState }) {
  const style = STYLES[state];
  return (
    <span className={`inline-flex items-center gap-1 whitespace-nowrap rounded border px-1.5 py-0.5 text-xs font-semibold ${style.className}`}>
      <span aria-hidden="true">{style.icon}</span>
      <span>{style.label}</span>
    </span>
  );
}

export const stateLabel = (state: DeadLetterState) => STYLES[state].label;
