import type { Client } from '@temporalio/client';
import { streamWorkflowId } from '../temporal/contract.ts';
import { signalStream, type SignalStreamOptions } from './stream-signal.ts';

/** How a batch's stream signals are sent: straight to Temporal, or through a coalescer. */
export type SendStreamSignal = (options: SignalStreamOptions<unknown>) => Promise<{ workflowId: string; runId: string }>;

export interface SignalCoalescerOptions {
  /** How long a signal waits for others to the same workflow; 0 = only those sent in the same turn of the event loop. */
  lingerMs?: number;
  /** A merged signal is sent at once when it reaches this many messages… */
  maxMessages?: number;
  /** …or this many bytes of message JSON (Temporal refuses payloads over 2 MB). */
  maxBytes?: number;
}

interface Pending {
  options: SignalStreamOptions<unknown>;
  messages: SignalStreamOptions<unknown>['messages'];
  bytes: number;
  waiters: { resolve: (value: { workflowId: string; runId: string }) => void; reject: (reason: unknown) => void }[];
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Merges the signals that the partitions of one fetch send to the same stream workflow at about the same time into
 * one SignalWithStart: each signal is a history event, and one that finds the workflow idle a workflow task too.
 * Every caller gets the merged call's answer, so a failure fails each of their chunks and Kafka redelivers them.
 * Messages keep their callers' order, and a key's messages come from one partition, so per-key order holds.
 * Hand-written: no library batches Temporal signals.
 */
export function createSignalCoalescer(client: Client, { lingerMs = 2, maxMessages = 500, maxBytes = 256 * 1024 }: SignalCoalescerOptions = {}): SendStreamSignal {
  const pending = new Map<string, Pending>();

  const flush = (key: string) => {
    const entry = pending.get(key);
    if (!entry) return;
    pending.delete(key);
    if (entry.timer) clearTimeout(entry.timer);
    signalStream(client, { ...entry.options, messages: entry.messages }).then(
      (answer) => entry.waiters.forEach((waiter) => waiter.resolve(answer)),
      (err: unknown) => entry.waiters.forEach((waiter) => waiter.reject(err)),
    );
  };

  return (options) => {
    const key = `${options.taskQueue ?? ''}\u0000${streamWorkflowId(options.subProcessor, options.shardKey)}`;
    const bytes = Buffer.byteLength(JSON.stringify(options.messages));
    const existing = pending.get(key);
    // Too big to merge with what waits: send what waits now and start afresh.
    if (existing && (existing.messages.length + options.messages.length > maxMessages || existing.bytes + bytes > maxBytes)) flush(key);
    return new Promise((resolve, reject) => {
      const entry = pending.get(key) ?? { options, messages: [], bytes: 0, waiters: [] };
      entry.messages = [...entry.messages, ...options.messages];
      entry.bytes += bytes;
      entry.waiters.push({ resolve, reject });
      if (!pending.has(key)) {
        pending.set(key, entry);
        if (lingerMs > 0) entry.timer = setTimeout(() => flush(key), lingerMs);
        else setImmediate(() => flush(key));
      }
      if (entry.messages.length >= maxMessages || entry.bytes >= maxBytes) flush(key);
    });
  };
}
