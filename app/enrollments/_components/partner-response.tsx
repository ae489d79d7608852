const KEY_LABELS: Record<string, string> = {
  version: 'Version',
  decision: 'Decision',
  reference: 'Reference',
  candidates: 'Candidate accounts',
  matched: 'Matched',
  resolvedBy: 'Resolved by',
  polls: 'Polls',
  reason: 'Reason',
  linkId: 'Link',
  subscriptionId: 'Subscription',
  partnerId: 'Partner',
  benefitEndsAt: 'Benefit ends',
  matchReference: 'Match reference',
};

export function keyLabel(key: string): string {
  return KEY_LABELS[key] ?? key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ').replace(/^./, (first) => first.toUpperCase());
}

function valueText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** A partner's answer (or an outcome) as a compact list of fields. */
export function FieldList({ value, label, omit = [] }: { value: unknown; label: string; omit?: string[] }) {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    return (
      <p className="text-sm">
        <span className="font-medium">{label}: </span>
        <span className="font-mono">{valueText(value)}</span>
      </p>
    );
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([key]) => !omit.includes(key));
  if (entries.length === 0) return null;
  return (
    <dl aria-label={label} className="grid grid-cols-[max-content_1fr] gap-x-3 gap-y-0.5 text-sm">
      {entries.map(([key, field]) => (
        <div key={key} className="contents">
          <dt className="text-slate-500">{keyLabel(key)}</dt>
          <dd className="break-all font-mono text-slate-800">{valueText(field)}</dd>
        </div>
      ))}
    </dl>
  );
}
