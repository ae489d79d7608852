import type { ReactNode } from 'react';

/** Placeholder rows while a table or list loads. */
export function SkeletonRows({ rows = 5, label }: { rows?: number; label: string }) {
  return (
    <div role="status" aria-busy="true" aria-label={label} className="space-y-2">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="h-9 animate-pulse rounded bg-slate-200/70" />
      ))}
      <span className="sr-only">{label}</span>
    </div>
  );
}

/** Nothing to show yet: says why, and what to do. */
export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-center">
      <p className="font-medium">{title}</p>
      {children && <div className="mt-1 text-sm text-slate-600">{children}</div>}
      {action && <div className="mt-3">{action}</div>}
    </div>
  );
}

/** A failed load: the error, and a retry button. */
export function ErrorState({ title, error, onRetry }: { title: string; error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-800">
      <p className="font-medium">
        <span aria-hidden="true">✕ </span>
        {title}
      </p>
      <p className="mt-1 break-words">{message}</p>
      {onRetry && (
        <button type="button" onClick={onRetry} className="mt-3 rounded border border-red-400 bg-white px-3 py-1 font-medium hover:bg-red-100">
          Retry
        </button>
      )}
    </div>
  );
}
