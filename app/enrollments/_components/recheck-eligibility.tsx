'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useId, useState } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { Button } from '@/components/ui/button.tsx';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import type { LinkCardResult } from '@/server/card-link/link-card.ts';
import { enrollmentHref } from './view-model.ts';
import { actionError } from './action-error.ts';

/**
 * The guarded action: evaluate a declined card again now, whatever its cool-down, with a reason (audited on the
 * server). Offered only on the card's latest evaluation, the one a re-check supersedes; an older one points to it.
 */
export function RecheckEligibility({ workflowId, latestEvaluation, partner, card }: { workflowId: string; latestEvaluation: string | null; partner: string; card: string }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationFn: ({ reason }: { reason: string }) =>
      apiFetch<LinkCardResult>(`/api/enrollments/${encodeURIComponent(workflowId)}/recheck`, { method: 'POST', body: { reason } }),
    onSuccess: () => setOpen(false),
    onSettled: async () => {
      await Promise.all([queryClient.invalidateQueries({ queryKey: ['enrollment', workflowId] }), queryClient.invalidateQueries({ queryKey: ['enrollments'] })]);
    },
  });
  const error = actionError(mutation.error);
  const result = mutation.data;

  return (
    <section aria-labelledby={`${id}-heading`} className="rounded-lg border border-slate-200 bg-white p-4">
      <h2 id={`${id}-heading`} className="font-semibold">
        Re-check eligibility
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        The customer&apos;s own re-submission is evaluated again only after a cool-down. If the reason for the decline is gone (the partner fixed the account,
        another benefit ended), evaluate {card} with {partner} again now. Recorded in the audit log with your reason.
      </p>
      {result ? (
        <p role="status" className="mt-3 text-sm">
          New evaluation: <strong>{result.status.replace(/_/g, ' ')}</strong>.{' '}
          <Link href={enrollmentHref(result.workflowId)} className="font-medium text-blue-700 hover:underline">
            Open the new evaluation →
          </Link>
        </p>
      ) : latestEvaluation !== workflowId ? (
        <p className="mt-3 text-sm">
          {latestEvaluation ? (
            <>
              This is not the card&apos;s latest evaluation: re-check from the latest one.{' '}
              <Link href={enrollmentHref(latestEvaluation)} className="font-medium text-blue-700 hover:underline">
                Open the latest evaluation →
              </Link>
            </>
          ) : (
            'The card of this evaluation is not on record, so it cannot be re-checked.'
          )}
        </p>
      ) : (
        <Button
          variant="primary"
          className="mt-3"
          onClick={() => {
            mutation.reset();
            setOpen(true);
          }}
        >
          Re-check eligibility…
        </Button>
      )}
      <ConfirmDialog
        open={open}
        title="Re-check this card's eligibility"
        confirmLabel="Re-check eligibility"
        reasonLabel="Reason (goes into the audit log)"
        pending={mutation.isPending}
        error={error}
        onCancel={() => setOpen(false)}
        onConfirm={(reason) => mutation.mutate({ reason })}
      >
        <p>
          {card} with {partner} is evaluated again from the start, as a new card link. A link is created if it is eligible now.
        </p>
      </ConfirmDialog>
    </section>
  );
}
