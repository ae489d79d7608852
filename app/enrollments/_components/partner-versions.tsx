'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ApiError, apiFetch } from '@/components/api-client.ts';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import type { PartnerVersions } from '@/server/card-link/partner-versions.ts';

type Change = { action: 'shadow'; version: string } | { action: 'stop_shadow' } | { action: 'promote' };

/** Admin only: which partner version decides, which runs in shadow mode beside it; each change audited with a reason. */
export function PartnerVersionsPanel() {
  const id = useId();
  const query = useQuery({
    queryKey: ['partner-versions'],
    queryFn: ({ signal }) => apiFetch<{ partners: PartnerVersions[] }>('/api/partners', { signal }),
  });
  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-3">
      <div>
        <h2 id={`${id}-heading`} className="text-lg font-semibold">
          Partner versions
        </h2>
        <p className="text-sm text-slate-600">Put a partner&apos;s integration version into shadow mode, stop it, or promote it to live. Admins only; every change is audited.</p>
      </div>
      {query.isPending ? (
        <SkeletonRows rows={3} label="Loading partner versions" />
      ) : query.isError ? (
        <ErrorState title="Could not load partner versions" error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Partner integration versions</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
              <tr>
                <th scope="col" className="px-3 py-2">Partner</th>
                <th scope="col" className="px-3 py-2">Live</th>
                <th scope="col" className="px-3 py-2">In shadow</th>
                <th scope="col" className="px-3 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {query.data.partners.map((partner) => (
                <PartnerRow key={partner.partnerId} partner={partner} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function PartnerRow({ partner }: { partner: PartnerVersions }) {
  const others = partner.available.filter((version) => version !== partner.liveVersion);
  const [picked, setPicked] = useState(others.find((v) => v !== partner.candidateVersion) ?? others[0] ?? '');
  // After a promotion the picked version may be live now: fall back to one that can still be shadowed.
  const version = others.includes(picked) ? picked : (others[0] ?? '');
  const [pending, setPending] = useState<Change | null>(null);
  const id = useId();
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationFn: ({ change, reason }: { change: Change; reason: string }) =>
      apiFetch<{ partner: PartnerVersions }>(`/api/partners/${encodeURIComponent(partner.partnerId)}/versions`, { method: 'POST', body: { ...change, reason } }),
    onSuccess: () => setPending(null),
    onSettled: async () => {
      await Promise.all([queryClient.invalidateQueries({ queryKey: ['partner-versions'] }), queryClient.invalidateQueries({ queryKey: ['enrollments-shadow'] })]);
    },
  });
  const error = mutation.error instanceof ApiError ? (mutation.error.fieldError('reason') ?? mutation.error.message) : mutation.error ? String(mutation.error) : null;
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
    <tr>
      <th scope="row" className="px-3 py-2 font-medium">
        {partner.name}
      </th>
      <td className="px-3 py-2 font-mono">v{partner.liveVersion}</td>
      <td className="px-3 py-2 font-mono">{partner.candidateVersion ? `v${partner.candidateVersion}` : <span className="font-sans text-slate-500">none</span>}</td>
      <td className="px-3 py-2">
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
              <button type="button" onClick={() => open({ action: 'shadow', version })} className="rounded border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100">
                Shadow<span className="sr-only"> {partner.name}</span>
              </button>
            </>
          )}
          {partner.candidateVersion && (
            <>
              <button type="button" onClick={() => open({ action: 'stop_shadow' })} className="rounded border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100">
                Stop shadow<span className="sr-only"> of {partner.name}</span>
              </button>
              <button type="button" onClick={() => open({ action: 'promote' })} className="rounded bg-slate-900 px-2 py-1 text-xs font-medium text-white hover:bg-slate-700">
                Promote v{partner.candidateVersion}
                <span className="sr-only"> of {partner.name}</span>
              </button>
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
      </td>
    </tr>
  );
}
