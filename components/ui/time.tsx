import { formatDateTime } from '../format.ts';

/** A timestamp in the reader's locale and zone (components/format.ts), with the exact ISO time on hover and for assistive tech. */
export function Time({ iso, className }: { iso: string | null | undefined; className?: string }) {
  if (!iso) return <span className={className}>—</span>;
  if (Number.isNaN(new Date(iso).getTime())) return <span className={className}>{iso}</span>;
  return (
    <time dateTime={iso} title={iso} className={className}>
      {formatDateTime(iso)}
    </time>
  );
}
