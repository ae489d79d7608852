'use client';

import { Fragment, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import { EmptyState, ErrorState, SkeletonRows } from './states.tsx';

/** One column: its header and how a row shows in it. */
export interface Column<Row> {
  /** Stable React key for the column. */
  id: string;
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  align?: 'left' | 'right';
  /** Extra classes for this column's cells (width, font, wrapping). */
  className?: string;
  headerClassName?: string;
  /** The cell is the row's header (<th scope="row">), for screen readers. */
  rowHeader?: boolean;
}

type Density = 'compact' | 'normal';
const CELL: Record<Density, string> = { compact: 'px-2 py-1.5', normal: 'px-3 py-1.5' };
const HEAD: Record<Density, string> = { compact: 'px-2 py-2', normal: 'px-3 py-2' };

// A click on a control inside a row belongs to that control, not to the row.
const INTERACTIVE = 'a, button, input, select, textarea, label, summary, [role="button"]';
const fromControl = (event: MouseEvent | KeyboardEvent) => event.target instanceof Element && event.target !== event.currentTarget && event.target.closest(INTERACTIVE) !== null;

/**
 * A table of rows with its loading, failed and empty states. With `onRowClick` a row is focusable and opens on
 * Enter or Space as well as on a click.
 */
export function DataTable<Row>({
  columns,
  rows,
  rowKey,
  caption,
  label,
  onRowClick,
  rowLabel,
  isRowCurrent,
  rowClassName,
  expandedRow,
  loading = false,
  loadingLabel = 'Loading…',
  loadingRows,
  error,
  errorTitle = 'Could not load this table',
  onRetry,
  empty,
  density = 'normal',
  className = '',
  tableClassName = '',
}: {
  columns: readonly Column<Row>[];
  rows: readonly Row[] | undefined;
  rowKey: (row: Row, index: number) => string;
  /** A visible-to-screen-readers caption; or `label` for an aria-label. */
  caption?: string;
  label?: string;
  onRowClick?: (row: Row) => void;
  /** The accessible name of a clickable row. */
  rowLabel?: (row: Row) => string;
  isRowCurrent?: (row: Row) => boolean;
  rowClassName?: (row: Row) => string;
  /** A row's details, shown under it across every column (`id` for the aria-controls of its toggle); null when closed. */
  expandedRow?: (row: Row) => { id: string; content: ReactNode } | null;
  loading?: boolean;
  loadingLabel?: string;
  loadingRows?: number;
  error?: unknown;
  errorTitle?: string;
  onRetry?: () => void;
  /** What shows when there are no rows; default "Nothing to show". */
  empty?: ReactNode;
  density?: Density;
  className?: string;
  tableClassName?: string;
}) {
  if (error !== undefined && error !== null) return <ErrorState title={errorTitle} error={error} onRetry={onRetry} />;
  if (loading || rows === undefined) return <SkeletonRows rows={loadingRows} label={loadingLabel} />;
  if (rows.length === 0) return <>{empty ?? <EmptyState title="Nothing to show" />}</>;

  const align = (column: Column<Row>) => (column.align === 'right' ? 'text-right' : '');
  return (
    <div className={`overflow-x-auto rounded-lg border border-slate-200 bg-white ${className}`}>
      <table aria-label={label} className={`w-full border-collapse text-left text-sm ${tableClassName}`}>
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
          <tr>
            {columns.map((column) => (
              <th key={column.id} scope="col" className={`${HEAD[density]} font-semibold ${align(column)} ${column.headerClassName ?? ''}`}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((row, index) => {
            const current = isRowCurrent?.(row) ?? false;
            const clickable = onRowClick !== undefined;
            const expanded = expandedRow?.(row) ?? null;
            return (
              <Fragment key={rowKey(row, index)}>
                <tr
                  aria-current={current ? 'true' : undefined}
                  aria-label={clickable ? rowLabel?.(row) : undefined}
                  tabIndex={clickable ? 0 : undefined}
                  onClick={clickable ? (event) => !fromControl(event) && onRowClick(row) : undefined}
                  onKeyDown={
                    clickable
                      ? (event) => {
                          if (event.target !== event.currentTarget || (event.key !== 'Enter' && event.key !== ' ')) return;
                          event.preventDefault();
                          onRowClick(row);
                        }
                      : undefined
                  }
                  className={`align-top ${current ? 'bg-sky-50' : 'hover:bg-slate-50'} ${clickable ? 'cursor-pointer focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-sky-600' : ''} ${rowClassName?.(row) ?? ''}`}
                >
                  {columns.map((column) => {
                    const classes = `${CELL[density]} ${align(column)} ${column.className ?? ''}`;
                    return column.rowHeader ? (
                      <th key={column.id} scope="row" className={`${classes} font-normal`}>
                        {column.cell(row)}
                      </th>
                    ) : (
                      <td key={column.id} className={classes}>
                        {column.cell(row)}
                      </td>
                    );
                  })}
                </tr>
                {expanded && (
                  <tr id={expanded.id} className="bg-slate-50">
                    <td colSpan={columns.length} className={CELL[density]}>
                      {expanded.content}
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
