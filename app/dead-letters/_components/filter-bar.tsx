'use client';

import { useState, type FormEvent } from 'react';
import { DEAD_LETTER_STATES, type DeadLetterQuery } from '@/server/stream/requests.ts';
import { fromLocalInput, toLocalInput } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import { stateLabel } from './state-badge.tsx';

const input = 'mt-1 block w-full rounded border border-slate-300 bg-white px-2 py-1.5 text-sm';

/** The filters; applied together on submit (Enter in any field) so typing does not reload the table. */
export function FilterBar({
  query,
  topics,
  subProcessors,
  onApply,
}: {
  query: DeadLetterQuery;
  topics: string[];
  subProcessors: string[];
  onApply: (query: DeadLetterQuery) => void;
}) {
  const [topic, setTopic] = useState(query.topic ?? '');
  const [subProcessor, setSubProcessor] = useState(query.subProcessor ?? '');
  const [errorText, setErrorText] = useState(query.errorText ?? '');
  const [state, setState] = useState<DeadLetterQuery['state']>(query.state);
  const [from, setFrom] = useState(toLocalInput(query.from));
  const [to, setTo] = useState(toLocalInput(query.to));
  const [rangeError, setRangeError] = useState<string | null>(null);

  // A shared link may name a topic or sub-processor not in the lists (e.g. a retired one): keep it selectable.
  const topicOptions = query.topic && !topics.includes(query.topic) ? [...topics, query.topic] : topics;
  const spOptions = query.subProcessor && !subProcessors.includes(query.subProcessor) ? [...subProcessors, query.subProcessor] : subProcessors;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const fromDate = fromLocalInput(from);
    const toDate = fromLocalInput(to);
    if (fromDate && toDate && fromDate >= toDate) {
      setRangeError('"From" must be before "To".');
      return;
    }
    setRangeError(null);
    onApply({
      topic: topic || undefined,
      subProcessor: subProcessor || undefined,
      errorText: errorText.trim() || undefined,
      state,
      from: fromDate,
      to: toDate,
    });
  };

  const clear = () => {
    setTopic('');
    setSubProcessor('');
    setErrorText('');
    setState('pending');
    setFrom('');
    setTo('');
    setRangeError(null);
    onApply({ state: 'pending' });
  };

  return (
    <form role="search" aria-label="Filter dead letters" onSubmit={submit} className="rounded-lg border border-slate-200 bg-white p-3">
      <div className="grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-6">
        <label className="text-sm font-medium">
          State
          <select value={state} onChange={(e) => setState(e.target.value as DeadLetterQuery['state'])} className={input}>
            {DEAD_LETTER_STATES.map((s) => (
              <option key={s} value={s}>
                {stateLabel(s)}
              </option>
            ))}
            <option value="all">Any state</option>
          </select>
        </label>
        <label className="text-sm font-medium">
          Topic
          <select value={topic} onChange={(e) => setTopic(e.target.value)} className={input}>
            <option value="">Any topic</option>
            {topicOptions.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm font-medium">
          Sub-processor
          <select value={subProcessor} onChange={(e) => setSubProcessor(e.target.value)} className={input}>
            <option value="">Any sub-processor</option>
            {spOptions.map((sp) => (
              <option key={sp} value={sp}>
                {sp === 'decode' ? 'decode (malformed message)' : sp}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm font-medium">
          Error contains
          <input type="search" value={errorText} onChange={(e) => setErrorText(e.target.value)} maxLength={200} placeholder="e.g. ECONNREFUSED" className={input} />
        </label>
        <label className="text-sm font-medium">
          Recorded from
          <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} className={input} />
        </label>
        <label className="text-sm font-medium">
          Recorded before
          <input
            type="datetime-local"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            aria-invalid={rangeError !== null}
            aria-describedby={rangeError ? 'dl-range-error' : undefined}
            className={input}
          />
        </label>
      </div>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        <Button onClick={clear}>Clear</Button>
        {rangeError && (
          <p id="dl-range-error" role="alert" className="text-sm text-red-700">
            {rangeError}
          </p>
        )}
      </div>
    </form>
  );
}
