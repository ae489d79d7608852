'use client';

import { useCanChange } from '@/components/can-change.tsx';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { Button } from '@/components/ui/button.tsx';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { Time } from '@/components/ui/time.tsx';
import type { LinkSummary } from '@/server/card-link/enrollment-answers.ts';
import type { UnlinkResult } from '@/server/card-link/unlink-card.ts';
import { actionError } from './action-error.ts';

/** Plain words for a subscription's status. */
const SUBSCRIPTION_LABEL: Record<string, string> = {
  provisional: 'Provisional (multi-match being reconciled)',
  scheduled: 'Scheduled: starts later',
  active: 'Active',
  lapsed: 'Lapsed: its end date passed',
  ended: 'Ended',
};

/**
 * The link this enrollment created and its benefit's dates, and the guarded action: support ends the link (and
 * its subscription) with a reason, audited on the server; the partner is told in the background.
 */
export function LinkPanel({ workflowId, link, card, partner }: { workflowId: string; link: LinkSummary; card: string; partner: string }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationFn: (reason: string) => apiFetch<UnlinkResult>(`/api/enrollments/${encodeURIComponent(workflowId)}/unlink`, { method: 'POST', body: { reason } }),
    onSuccess: () => setOpen(false),
    onSettled: async () => {
      await Promise.all([queryClient.invalidateQueries({ queryKey: ['enrollment', workflowId] }), queryClient.invalidateQueries({ queryKey: ['enrollments'] })]);
    },
  });
  const error = actionError(mutation.error);
  const subscription = link.subscription;
  const ended = link.status === 'ended';
  const canChange = useCanChange();

  return (
    <section aria-labelledby={`${id}-heading`} className="rounded-lg border border-slate-200 bg-white p-4">
      <h2 id={`${id}-heading`} className="mb-2 font-semibold">
        Link and benefit
      </h2>
      <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-sm md:grid-cols-4">
        <div>
          <dt className="text-slate-500">Link</dt>
          <dd>
            {ended ? 'Ended' : link.status === 'active' ? 'Active' : 'Pending reconciliation'}
            {link.endedReason ? <span className="block text-slate-600">{link.endedReason}</span> : null}
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">Subscription</dt>
          <dd>{subscription ? (SUBSCRIPTION_LABEL[subscription.status] ?? subscription.status) : '—'}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Benefit starts</dt>
          <dd>{subscription ? <Time iso={subscription.startsAt} /> : '—'}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Benefit ends</dt>
          <dd>{subscription?.endsAt ? <Time iso={subscription.endsAt} /> : 'While linked'}</dd>
        </div>
      </dl>
      {!ended && canChange && (
        <Button
          variant="danger-outline"
          className="mt-3"
          onClick={() => {
            mutation.reset();
            setOpen(true);
          }}
        >
          Unlink card…
        </Button>
      )}
      <ConfirmDialog
        open={open}
        title="Unlink this card"
        confirmLabel="Unlink card"
        reasonLabel="Reason (goes into the audit log)"
        destructive
        pending={mutation.isPending}
        error={error}
        onCancel={() => setOpen(false)}
        onConfirm={(reason) => mutation.mutate(reason)}
      >
        <p>
          {card} with {partner}: the link and the customer&apos;s DashPass subscription end now, and {partner} is told. This cannot be undone; the
          customer can link a card again.
        </p>
      </ConfirmDialog>
    </section>
  );
}
