/** The customer-facing availability flag, as text and icon (never colour alone). */
export function AvailabilityBadge({ available }: { available: boolean | null }) {
  if (available === null) {
    return (
      <span className="inline-flex items-center gap-1 rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 text-xs font-medium text-slate-700" title="The change stream has not written availability for this row yet">
        <span aria-hidden="true">?</span> Unknown
      </span>
    );
  }
  return available ? (
    <span className="inline-flex items-center gap-1 rounded border border-emerald-300 bg-emerald-50 px-1.5 py-0.5 text-xs font-medium text-emerald-800">
      <span aria-hidden="true">✓</span> Available
    </span>
  ) : (
    <span className="inline-flex items-center gap-1 rounded border border-red-300 bg-red-50 px-1.5 py-0.5 text-xs font-medium text-red-800">
      <span aria-hidden="true">✕</span> Sold out
    </span>
  );
}
