import { TONE_CLASSES, type StatusView } from './view-model.ts';

/** A status as icon + words (never colour alone). */
export function StatusBadge({ view, className = '' }: { view: StatusView; className?: string }) {
  return (
    <span className={`inline-flex items-center gap-1.5 whitespace-nowrap rounded-full border px-2 py-0.5 text-xs font-semibold ${TONE_CLASSES[view.tone]} ${className}`}>
      <span aria-hidden="true">{view.icon}</span>
      {view.label}
    </span>
  );
}
