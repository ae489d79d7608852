'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { Button } from '@/components/ui/button.tsx';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import type { ResolveResponse } from '@/server/card-link/enrollment-answers.ts';
import { actionError } from './action-error.ts';

type Choice = 'matched' | 'not_matched';

/** The guarded action: settle a pending multi-match by hand, with the answer and a reason (audited on the server). */
export function ResolveMultiMatch({ workflowId, partner, card }: { workflowId: string; partner: string; card: string }) {
  const [open, setOpen] = useState(false);
  const [choice, setChoice] = useState<Choice | null>(null);
  const [choiceMissing, setChoiceMissing] = useState(false);
  const id = useId();
  const queryClient = useQueryClient();

  const mutation = useMutation({
    mutationFn: ({ matched, reason }: { matched: boolean; reason: string }) =>
      apiFetch<ResolveResponse>(`/api/enrollments/${encodeURIComponent(workflowId)}/resolve`, { method: 'POST', body: { matched, reason } }),
    onSuccess: () => setOpen(false),
    onSettled: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['enrollment', workflowId] }),
        queryClient.invalidateQueries({ queryKey: ['enrollments'] }),
      ]);
    },
  });

  const error = actionError(mutation.error);

  return (
    <section aria-labelledby={`${id}-heading`} className="rounded-lg border border-amber-300 bg-amber-50 p-4">
      <h2 id={`${id}-heading`} className="font-semibold text-amber-950">
        <span aria-hidden="true">⋯ </span>Multi-match waiting for {partner}
      </h2>
      <p className="mt-1 text-sm text-amber-950">
        If {partner} confirmed or denied the match another way (phone, partner portal), resolve it by hand. This answers the reconciliation as the
        partner&apos;s webhook would, and is recorded in the audit log with your reason.
      </p>
      <Button
        variant="primary"
        className="mt-3"
        onClick={() => {
          setChoice(null);
          setChoiceMissing(false);
          mutation.reset();
          setOpen(true);
        }}
      >
        Resolve multi-match by hand…
      </Button>
      <ConfirmDialog
        open={open}
        title="Resolve this multi-match by hand"
        confirmLabel="Resolve multi-match"
        reasonLabel="Reason (goes into the audit log)"
        destructive={choice === 'not_matched'}
        pending={mutation.isPending}
        error={choiceMissing ? 'Choose whether the partner matched this customer’s account.' : error}
        onCancel={() => setOpen(false)}
        onConfirm={(reason) => {
          if (!choice) {
            setChoiceMissing(true);
            return;
          }
          setChoiceMissing(false);
          mutation.mutate({ matched: choice === 'matched', reason });
        }}
      >
        <p>
          {card} with {partner}. The workflow finishes as soon as it gets the answer; this cannot be undone.
        </p>
        <fieldset className="mt-3 space-y-2" aria-describedby={choiceMissing ? `${id}-choice-error` : undefined}>
          <legend className="text-sm font-medium text-slate-900">{partner}&apos;s answer</legend>
          <label className="flex items-start gap-2 rounded border border-slate-200 p-2 has-checked:border-slate-900">
            <input type="radio" name={`${id}-choice`} value="matched" checked={choice === 'matched'} onChange={() => setChoice('matched')} className="mt-0.5" />
            <span>
              <span className="font-medium">Matched</span>
              <span className="block text-slate-600">Confirm the link and activate the DashPass subscription.</span>
            </span>
          </label>
          <label className="flex items-start gap-2 rounded border border-slate-200 p-2 has-checked:border-slate-900">
            <input type="radio" name={`${id}-choice`} value="not_matched" checked={choice === 'not_matched'} onChange={() => setChoice('not_matched')} className="mt-0.5" />
            <span>
              <span className="font-medium">Not matched</span>
              <span className="block text-slate-600">End the provisional subscription and the link.</span>
            </span>
          </label>
        </fieldset>
      </ConfirmDialog>
    </section>
  );
}
