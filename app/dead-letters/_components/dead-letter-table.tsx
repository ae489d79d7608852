'use client';

import Link from 'next/link';
import { formatTime } from './format.ts';
import { StateBadge } from './state-badge.tsx';
import type { DeadLetterSummary } from './types.ts';

/** Dense table of entries; only pending ones can be selected for a bulk replay. */
export function DeadLetterTable({
  items,
  selected,
  openId,
  hrefFor,
  onToggle,
  onToggleAll,
}: {
  items: DeadLetterSummary[];
  selected: ReadonlySet<string>;
  openId: string | null;
  hrefFor: (id: string) => string;
  onToggle: (id: string) => void;
  onToggleAll: (ids: string[], select: boolean) => void;
}) {
  const selectable = items.filter((item) => item.status === 'pending').map((item) => item.id);
  const allSelected = selectable.length > 0 && selectable.every((id) => selected.has(id));
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full min-w-[56rem] border-collapse text-left text-sm">
        <caption className="sr-only">Dead letters, newest first</caption>
        <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
          <tr>
            <th scope="col" className="w-8 px-2 py-2">
              <input
                type="checkbox"
                aria-label="Select all pending entries shown"
                checked={allSelected}
                disabled={selectable.length === 0}
                onChange={() => onToggleAll(selectable, !allSelected)}
                className="size-4"
              />
            </th>
            <th scope="col" className="px-2 py-2">
              Entry
            </th>
            <th scope="col" className="px-2 py-2">
              State
            </th>
            <th scope="col" className="px-2 py-2">
              Sub-processor
            </th>
            <th scope="col" className="px-2 py-2">
              Origin
            </th>
            <th scope="col" className="px-2 py-2">
              Row key
            </th>
            <th scope="col" className="px-2 py-2">
              Error
            </th>
            <th scope="col" className="px-2 py-2 text-right">
              Attempts
            </th>
            <th scope="col" className="px-2 py-2">
              Last failed
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => {
            const open = item.id === openId;
            return (
              <tr key={item.id} aria-current={open ? 'true' : undefined} className={`border-t border-slate-100 align-top ${open ? 'bg-blue-50' : 'hover:bg-slate-50'}`}>
                <td className="px-2 py-1.5">
                  {item.status === 'pending' ? (
                    <input
                      type="checkbox"
                      aria-label={`Select dead letter ${item.id}`}
                      checked={selected.has(item.id)}
                      onChange={() => onToggle(item.id)}
                      className="size-4"
                    />
                  ) : null}
                </td>
                <td className="px-2 py-1.5 font-mono">
                  <Link href={hrefFor(item.id)} scroll={false} aria-label={`Open dead letter ${item.id}`} className="font-medium text-blue-800 underline-offset-2 hover:underline">
                    #{item.id}
                  </Link>
                </td>
                <td className="px-2 py-1.5">
                  <StateBadge state={item.status} />
                </td>
                <td className="px-2 py-1.5 font-mono text-xs">{item.subProcessor}</td>
                <td className="px-2 py-1.5 font-mono text-xs whitespace-nowrap" title="topic / partition @ offset">
                  {item.topic} / {item.partition} @ {item.offset}
                </td>
                <td className="max-w-48 px-2 py-1.5 font-mono text-xs break-all">{item.rowKey ?? '—'}</td>
                <td className="max-w-80 px-2 py-1.5 text-xs">
                  <span className="line-clamp-2 break-words" title={item.errorMessage}>
                    {item.errorMessage}
                  </span>
                </td>
                <td className="px-2 py-1.5 text-right tabular-nums">
                  {item.attempts}
                  {item.replayAttempts > 0 && <span className="block text-xs text-slate-500">{item.replayAttempts} replay{item.replayAttempts === 1 ? '' : 's'}</span>}
                </td>
                <td className="px-2 py-1.5 text-xs whitespace-nowrap">{formatTime(item.lastFailedAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
