import type { RunOutcome } from './run-sub-processor.ts';

export interface SubProcessorCounters {
  /** Changes this sub-processor was given. */
  messages: number;
  applied: number;
  /** Handed to a stream workflow; applied later by its batch activity. */
  signalled: number;
  duplicates: number;
  stale: number;
  ignored: number;
  deadLetters: number;
}

export interface TopicMetrics {
  topic: string;
  /** Messages consumed, resolved checkpoints and malformed ones included. */
  messages: number;
  resolved: number;
  malformed: number;
  /** Average over the last minute (or since start, if sooner). */
  messagesPerSecond: number;
  /** As of the last batch kafkajs fetched per partition: high watermark minus the last offset in the batch. */
  lag: { total: number; partitions: { partition: number; lag: number; at: string }[] };
  subProcessors: ({ name: string } & SubProcessorCounters)[];
}

export interface MetricsSnapshot {
  at: string;
  startedAt: string;
  topics: TopicMetrics[];
}

const WINDOW_SECONDS = 60;

interface TopicState {
  messages: number;
  resolved: number;
  malformed: number;
  /** Messages per second for the last WINDOW_SECONDS seconds, indexed by epoch second modulo the window. */
  buckets: { second: number; count: number }[];
  lag: Map<number, { lag: number; at: number }>;
  subProcessors: Map<string, SubProcessorCounters>;
}

const OUTCOME_COUNTER: Record<RunOutcome, keyof SubProcessorCounters> = {
  applied: 'applied',
  signalled: 'signalled',
  ignored: 'ignored',
  duplicate: 'duplicates',
  stale: 'stale',
  dead_lettered: 'deadLetters',
};

/** In-process counters for the general processor, per topic and per (topic, sub-processor). */
export class ProcessorMetrics {
  private readonly topics = new Map<string, TopicState>();
  private readonly startedAt: number;

  constructor(private readonly clock: () => number = Date.now) {
    this.startedAt = clock();
  }

  message(topic: string, kind: 'change' | 'resolved' | 'malformed'): void {
    const state = this.topic(topic);
    state.messages++;
    if (kind === 'resolved') state.resolved++;
    if (kind === 'malformed') state.malformed++;
    const second = Math.floor(this.clock() / 1000);
    const bucket = state.buckets[second % WINDOW_SECONDS];
    if (bucket && bucket.second === second) bucket.count++;
    else state.buckets[second % WINDOW_SECONDS] = { second, count: 1 };
  }

  outcome(topic: string, subProcessor: string, outcome: RunOutcome): void {
    const counters = this.subProcessor(topic, subProcessor);
    counters.messages++;
    counters[OUTCOME_COUNTER[outcome]]++;
  }

  lag(topic: string, partition: number, lag: number): void {
    this.topic(topic).lag.set(partition, { lag, at: this.clock() });
  }

  snapshot(): MetricsSnapshot {
    const now = this.clock();
    const nowSecond = Math.floor(now / 1000);
    const windowSeconds = Math.max(1, Math.min(WINDOW_SECONDS, (now - this.startedAt) / 1000));
    const topics = [...this.topics.entries()].map(([topic, state]): TopicMetrics => {
      const recent = state.buckets.reduce((sum, bucket) => (bucket && nowSecond - bucket.second < WINDOW_SECONDS ? sum + bucket.count : sum), 0);
      const partitions = [...state.lag.entries()]
        .sort(([a], [b]) => a - b)
        .map(([partition, { lag, at }]) => ({ partition, lag, at: new Date(at).toISOString() }));
      return {
        topic,
        messages: state.messages,
        resolved: state.resolved,
        malformed: state.malformed,
        messagesPerSecond: Math.round((recent / windowSeconds) * 100) / 100,
        lag: { total: partitions.reduce((sum, p) => sum + p.lag, 0), partitions },
        subProcessors: [...state.subProcessors.entries()].map(([name, counters]) => ({ name, ...counters })),
      };
    });
    return { at: new Date(now).toISOString(), startedAt: new Date(this.startedAt).toISOString(), topics };
  }

  private topic(topic: string): TopicState {
    let state = this.topics.get(topic);
    if (!state) {
      state = { messages: 0, resolved: 0, malformed: 0, buckets: [], lag: new Map(), subProcessors: new Map() };
      this.topics.set(topic, state);
    }
    return state;
  }

  private subProcessor(topic: string, name: string): SubProcessorCounters {
    const counters = this.topic(topic).subProcessors;
    let entry = counters.get(name);
    if (!entry) {
      entry = { messages: 0, applied: 0, signalled: 0, duplicates: 0, stale: 0, ignored: 0, deadLetters: 0 };
      counters.set(name, entry);
    }
    return entry;
  }
}
