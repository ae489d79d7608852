'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { Button } from '@/components/ui/button.tsx';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { DataTable, type Column } from '@/components/ui/data-table.tsx';
import type { PartnerVersionChangeResponse, PartnerVersions, PartnerVersionsResponse } from '@/server/card-link/partner-versions.ts';
import { actionError } from './action-error.ts';

type Change = { action: 'shadow'; version: string } | { action: 'stop_shadow' } | { action: 'promote' };

/** Admin only: which partner version decides, which runs in shadow mode beside it; each change audited with a reason. */
export function PartnerVersionsPanel() {
  const id = useId();
  const query = useQuery({
    queryKey: ['partner-versions'],
    queryFn: ({ signal }) => apiFetch<PartnerVersionsResponse>('/api/partners', { signal }),
  });
  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-3">
      <div>
        <h2 id={`${id}-heading`} className="text-lg font-semibold">
          Partner versions
        </h2>
        <p className="text-sm text-slate-600">Put a partner&apos;s integration version into shadow mode, stop it, or promote it to live. Admins only; every change is audited.</p>
      </div>
      <DataTable
        caption="Partner integration versions"
        columns={COLUMNS}
        rows={query.data?.partners}
        rowKey={(partner) => partner.partnerId}
        loading={query.isPending}
        loadingLabel="Loading partner versions"
        error={query.isError ? query.error : undefined}
        errorTitle="Could not load partner versions"
        onRetry={() => void query.refetch()}
      />
    </section>
  );
}

const COLUMNS: Column<PartnerVersions>[] = [
  { id: 'partner', header: 'Partner', rowHeader: true, className: 'font-medium', cell: (partner) => partner.name },
  { id: 'live', header: 'Live', className: 'font-mono', cell: (partner) => `v${partner.liveVersion}` },
  {
    id: 'shadow',
    header: 'In shadow',
    className: 'font-mono',
    cell: (partner) => (partner.candidateVersion ? `v${partner.candidateVersion}` : <span className="font-sans text-slate-500">none</span>),
  },
  { id: 'actions', header: <span className="sr-only">Actions</span>, cell: (partner) => <PartnerActions partner={partner} /> },
];

/** The row's shadow / stop / promote buttons and their confirmation (each row keeps its own picked version and dialog). */
function PartnerActions({ partner }: { partner: PartnerVersions }) {
  const others = partner.available.filter((version) => version !== partner.liveVersion);
  const [picked, setPicked] = useState(others.find((v) => v !== partner.candidateVersion) ?? others[0] ?? '');
  // After a promotion the picked version may be live now: fall back to one that can still be shadowed.
  const version = others.includes(picked) ? picked : (others[0] ?? '');
  const [pending, setPending] = useState<Change | null>(null);
  const id = useId();
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationFn: ({ change, reason }: { change: Change; reason: string }) =>
      apiFetch<PartnerVersionChangeResponse>(`/api/partners/${encodeURIComponent(partner.partnerId)}/versions`, { method: 'POST', body: { ...change, reason } }),
    onSuccess: () => setPending(null),
    onSettled: async () => {
      await Promise.all([queryClient.invalidateQueries({ queryKey: ['partner-versions'] }), queryClient.invalidateQueries({ queryKey: ['enrollments-shadow'] })]);
    },
  });
  const error = actionError(mutation.error);
  const open = (change: Change) => {
    mutation.reset();
    setPending(change);
  };
  const title =
    pending?.action === 'shadow'
      ? `Run ${partner.name} v${pending.version} in shadow mode`
      : pending?.action === 'promote'
        ? `Promote ${partner.name} v${partner.candidateVersion} to live`
        : `Stop shadow mode for ${partner.name}`;

  return (
    <>
      <div className="flex flex-wrap items-center justify-end gap-2">
        {others.length > 0 && (
          <>
            <label htmlFor={`${id}-version`} className="sr-only">
              Version of {partner.name} to shadow
            </label>
            <select id={`${id}-version`} value={version} onChange={(event) => setPicked(event.target.value)} className="rounded border border-slate-300 bg-white px-2 py-1 text-sm">
              {others.map((v) => (
                <option key={v} value={v}>
                  v{v}
                </option>
              ))}
            </select>
            <Button size="xs" onClick={() => open({ action: 'shadow', version })}>
              Shadow<span className="sr-only"> {partner.name}</span>
            </Button>
          </>
        )}
        {partner.candidateVersion && (
          <>
            <Button size="xs" onClick={() => open({ action: 'stop_shadow' })}>
              Stop shadow<span className="sr-only"> of {partner.name}</span>
            </Button>
            <Button variant="primary" size="xs" onClick={() => open({ action: 'promote' })}>
              Promote v{partner.candidateVersion}
              <span className="sr-only"> of {partner.name}</span>
            </Button>
          </>
        )}
      </div>
      <ConfirmDialog
        open={pending !== null}
        title={title}
        confirmLabel={pending?.action === 'promote' ? 'Promote' : pending?.action === 'stop_shadow' ? 'Stop shadow' : 'Start shadow'}
        reasonLabel="Reason (goes into the audit log)"
        destructive={pending?.action === 'promote'}
        pending={mutation.isPending}
        error={error}
        onCancel={() => setPending(null)}
        onConfirm={(reason) => {
          if (pending) mutation.mutate({ change: pending, reason });
        }}
      >
        <p>
          {pending?.action === 'promote'
            ? `v${partner.candidateVersion} decides every new ${partner.name} card link from now on; v${partner.liveVersion} stops.`
            : pending?.action === 'shadow'
              ? `v${pending.version} computes, without writing anything, the link it would create beside live v${partner.liveVersion}.`
              : `Nothing runs beside live v${partner.liveVersion} any more.`}
        </p>
      </ConfirmDialog>
    </>
  );
}
