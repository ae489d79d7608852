import type { SlotHealth } from '@/server/stream/slot-lag.ts';
import { formatBytes } from '@/components/format.ts';

const LOOK = {
  ok: { icon: '✓', box: 'border-slate-200 bg-white', text: 'text-slate-800' },
  warn: { icon: '⚠', box: 'border-amber-300 bg-amber-50', text: 'text-amber-900' },
  error: { icon: '✕', box: 'border-red-300 bg-red-50', text: 'text-red-900' },
} as const;

/** The relay's replication slot, read live: whether Postgres still keeps its WAL, and the way back when it does not. */
export function SlotStatus({ slot }: { slot: SlotHealth }) {
  const look = LOOK[slot.level];
  const reading = slot.reading;
  return (
    <section aria-labelledby="slot-heading" className={`rounded-lg border p-3 text-sm ${look.box} ${look.text}`} data-testid="slot-status" data-state={slot.state}>
      <h3 id="slot-heading" className="font-semibold">
        <span aria-hidden="true">{look.icon} </span>
        Replication slot{slot.slotName && <span className="font-mono"> {slot.slotName}</span>}
      </h3>
      <p className="mt-1" role={slot.level === 'error' ? 'alert' : undefined}>
        {slot.summary}
      </p>
      {reading && slot.state !== 'lost' && (
        <p className="mt-1 text-xs">
          WAL held for the relay: {formatBytes(reading.lagBytes)} ·{' '}
          {reading.safeWalBytes === null ? (
            <>no max_slot_wal_keep_size limit: a stalled relay can fill the database&apos;s disk</>
          ) : (
            <>{formatBytes(Math.max(0, reading.safeWalBytes))} more before Postgres invalidates the slot (max_slot_wal_keep_size)</>
          )}
        </p>
      )}
      {slot.recovery.length > 0 && (
        <div className="mt-2">
          <p className="font-medium">To recover:</p>
          <ol className="mt-1 list-decimal space-y-1 pl-5">
            {slot.recovery.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
