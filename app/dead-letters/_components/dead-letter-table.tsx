'use client';

import Link from 'next/link';
import type { Wire } from '@/components/api-client.ts';
import { formatDateTime } from '@/components/format.ts';
import { DataTable, type Column } from '@/components/ui/data-table.tsx';
import type { DeadLetterSummary } from '@/server/stream/dead-letter-answers.ts';
import { StateBadge } from './state-badge.tsx';

type Row = Wire<DeadLetterSummary>;

/** Dense table of entries; only pending ones can be selected for a bulk replay. */
export function DeadLetterTable({
  items,
  selected,
  openId,
  hrefFor,
  onToggle,
  onToggleAll,
}: {
  items: Row[];
  selected: ReadonlySet<string>;
  openId: string | null;
  hrefFor: (id: string) => string;
  onToggle: (id: string) => void;
  onToggleAll: (ids: string[], select: boolean) => void;
}) {
  const selectable = items.filter((item) => item.status === 'pending').map((item) => item.id);
  const allSelected = selectable.length > 0 && selectable.every((id) => selected.has(id));
  const columns: Column<Row>[] = [
    {
      id: 'select',
      header: (
        <input
          type="checkbox"
          aria-label="Select all pending entries shown"
          checked={allSelected}
          disabled={selectable.length === 0}
          onChange={() => onToggleAll(selectable, !allSelected)}
          className="size-4"
        />
      ),
      headerClassName: 'w-8',
      cell: (item) =>
        item.status === 'pending' ? (
          <input type="checkbox" aria-label={`Select dead letter ${item.id}`} checked={selected.has(item.id)} onChange={() => onToggle(item.id)} className="size-4" />
        ) : null,
    },
    {
      id: 'entry',
      header: 'Entry',
      className: 'font-mono',
      cell: (item) => (
        <Link href={hrefFor(item.id)} scroll={false} aria-label={`Open dead letter ${item.id}`} className="font-medium text-blue-800 underline-offset-2 hover:underline">
          #{item.id}
        </Link>
      ),
    },
    { id: 'state', header: 'State', cell: (item) => <StateBadge state={item.status} /> },
    { id: 'sub-processor', header: 'Sub-processor', className: 'font-mono text-xs', cell: (item) => item.subProcessor },
    {
      id: 'origin',
      header: 'Origin',
      className: 'font-mono text-xs whitespace-nowrap',
      cell: (item) => (
        <span title="topic / partition @ offset">
          {item.topic} / {item.partition} @ {item.offset}
        </span>
      ),
    },
    { id: 'row-key', header: 'Row key', className: 'max-w-48 font-mono text-xs break-all', cell: (item) => item.rowKey ?? '—' },
    {
      id: 'error',
      header: 'Error',
      className: 'max-w-80 text-xs',
      cell: (item) => (
        <span className="line-clamp-2 break-words" title={item.errorMessage}>
          {item.errorMessage}
        </span>
      ),
    },
    {
      id: 'attempts',
      header: 'Attempts',
      align: 'right',
      className: 'tabular-nums',
      cell: (item) => (
        <>
          {item.attempts}
          {item.replayAttempts > 0 && <span className="block text-xs text-slate-500">{item.replayAttempts} replay{item.replayAttempts === 1 ? '' : 's'}</span>}
        </>
      ),
    },
    { id: 'last-failed', header: 'Last failed', className: 'text-xs whitespace-nowrap', cell: (item) => formatDateTime(item.lastFailedAt) },
  ];
  return (
    <DataTable
      columns={columns}
      rows={items}
      rowKey={(item) => item.id}
      caption="Dead letters, newest first"
      isRowCurrent={(item) => item.id === openId}
      density="compact"
      tableClassName="min-w-[56rem]"
    />
  );
}
