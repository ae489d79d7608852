import type { Admin, Message, Producer, TopicMessages } from 'kafkajs';
import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import type { Logger } from 'pino';
import { kafkaAdmin } from '../../server/kafka/client.ts';
import { compareHlc, formatHlc, hlcFromDate, type Hlc, type ResolvedEnvelope } from '../../server/stream/envelope.ts';
import { changefeedTables, DEFAULT_TOPIC_PARTITIONS, dlqTopicFor, topicFor, type ChangefeedTable } from '../../server/stream/tables.ts';
import { changeMessages, type OutgoingMessage, type PublishedTable } from './change-messages.ts';
import { Fifo } from './fifo.ts';
import { acknowledgeArgument, formatLsn, maxLsn, parseLsn, type Lsn } from './lsn.ts';
import { confirmedPosition, ensurePublication, ensureSlot, ensureTopics } from './setup.ts';

export interface CdcRelayOptions {
  /** Postgres with `wal_level=logical`; the user needs the REPLICATION attribute (or superuser). */
  connectionString: string;
  /** A connected producer; the relay sends with `acks: -1` and never disconnects it. */
  producer: Producer;
  /** Creates the topics; defaults to the process' shared admin (server/kafka/client.ts). */
  admin?: Admin;
  tables: readonly ChangefeedTable[];
  slotName: string;
  publicationName: string;
  resolvedIntervalMs: number;
  log: Logger;
  /** Partitions of topics the relay creates (existing topics keep theirs). Default 3. */
  partitions?: number;
  /** Reconnect backoff after a replication or Kafka error, doubling from `initialMs` to `maxMs`. */
  reconnect?: { initialMs: number; maxMs: number };
  /** Upper bound of one Kafka request, well under the broker's 1 MiB default batch limit. Default 512 KiB. */
  maxBatchBytes?: number;
  /** Stop reading from Postgres while this much is waiting for Kafka. Default 32 MiB. */
  maxQueuedBytes?: number;
  /** Fault injection for tests. */
  faults?: CdcRelayFaults;
  /** For tests: called with each position the relay has read up to (commits and keepalives), before it is in Kafka. */
  onReceived?: (lsn: string) => void;
}

export interface CdcRelayFaults {
  /**
   * Called after Kafka acknowledged a batch, before the commit it completes is confirmed to Postgres (of
   * several, the last). `xid` (as in `pg_current_xact_id()::xid`) and `changes` describe that commit's
   * transaction. Returning true makes the relay behave as if its process died there: no confirmation, no
   * reconnect, the connection dropped.
   */
  crashBeforeAcknowledge?(commit: { lsn: string; xid: number; changes: number }): boolean;
}

/**
 * What the worker's metrics sampler reads (worker/metrics-sampler.ts: relay rows, confirmed age). Where the slot is
 * confirmed and whether it is streaming, Postgres says (pg_replication_slots, server/stream/slot-lag.ts); why a
 * session failed and when streaming resumed, the relay's log says.
 */
export interface CdcRelayStatus {
  slotName: string;
  /** Change envelopes Kafka acknowledged since start (resolved messages not counted). */
  messagesProduced: number;
  /** The last resolved timestamp produced. */
  lastResolved: string | null;
}

export interface CdcRelay {
  stop(): Promise<void>;
  status(): CdcRelayStatus;
}

export class InvalidRelayOptionsError extends Error {
  override name = 'InvalidRelayOptionsError';
}

export class ReplicationProtocolError extends Error {
  override name = 'ReplicationProtocolError';
}

/** Thrown by the `crashBeforeAcknowledge` fault; ends the relay as a process death would. */
export class SimulatedCrashError extends Error {
  override name = 'SimulatedCrashError';
}

// Both names are interpolated into replication commands by pg-logical-replication, so they stay plain.
const NAME_PATTERN = /^[a-z0-9_]{1,63}$/;

/**
 * Starts the CDC relay: ensures the publication, slot and topics exist, then streams the slot into Kafka in
 * the background until `stop()`. Setup errors reject; later errors are logged and retried with backoff.
 */
export async function startCdcRelay(options: CdcRelayOptions): Promise<CdcRelay> {
  for (const [what, name] of [['slotName', options.slotName], ['publicationName', options.publicationName]] as const) {
    if (!NAME_PATTERN.test(name)) throw new InvalidRelayOptionsError(`${what} "${name}" must match ${NAME_PATTERN}`);
  }
  if (options.tables.length === 0) throw new InvalidRelayOptionsError('tables must name at least one changefeed table');
  if (!(options.resolvedIntervalMs > 0)) throw new InvalidRelayOptionsError('resolvedIntervalMs must be positive');

  const client = new pg.Client(sessionConfig(options.connectionString));
  await client.connect();
  try {
    const added = await ensurePublication(client, options.publicationName, options.tables);
    const { created } = await ensureSlot(client, options.slotName);
    options.log.info({ publication: options.publicationName, added, slot: options.slotName, created }, 'CDC publication and slot ready');
  } finally {
    await client.end();
  }

  const topics = options.tables.map(topicFor);
  const admin = options.admin ?? (await kafkaAdmin());
  const partitions = await ensureTopics(admin, [...topics, ...topics.map(dlqTopicFor)], options.partitions ?? DEFAULT_TOPIC_PARTITIONS);

  const relay = new Relay(options, new Map(topics.map((topic) => [topic, partitions.get(topic) ?? []])));
  relay.start();
  return { stop: () => relay.stop(), status: () => relay.status() };
}

/**
 * The walsender formats every value as text under these settings; row-encoding.ts expects ISO dates, and
 * UTC keeps timestamptz offsets trivial (other offsets are still handled).
 */
function sessionConfig(connectionString: string): pg.ClientConfig {
  return { connectionString, application_name: 'dashops-cdc-relay', options: '-c DateStyle=ISO -c TimeZone=UTC' };
}

/**
 * pgoutput's parser runs each text value through node-postgres' global type parsers, which lose
 * timestamptz microseconds and shift `date` into local time. Keep the text; row-encoding.ts encodes it.
 */
class RawTextPgoutputPlugin extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    if (message.tag === 'relation') for (const column of message.columns) column.parser = (raw: unknown) => raw;
    return message;
  }
}

type QueueItem =
  | { kind: 'messages'; messages: OutgoingMessage[]; bytes: number }
  | { kind: 'commit'; lsn: Lsn; xid: number; hlc: Hlc; changes: number }
  | { kind: 'keepalive'; lsn: Lsn; asOf: number | null }
  | { kind: 'tick' };

interface OpenTransaction {
  xid: number;
  wallNanos: bigint;
  changes: number;
  pending: OutgoingMessage[];
  pendingBytes: number;
}

/** What outlives one replication connection. */
class Relay {
  readonly tables: Map<string, PublishedTable>;
  readonly maxBatchBytes: number;
  readonly maxQueuedBytes: number;
  private stopping = false;
  private session: Session | null = null;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private wakeUp: (() => void) | null = null;

  acked: Lsn | null = null;
  received: Lsn | null = null;
  produced = 0;
  lastCommit: Hlc | null = null;
  /** Ping time of the newest keepalive confirmed with nothing before it unsent: caught up as of then. */
  caughtUpAt: number | null = null;
  resolved: Hlc | null = null;

  constructor(
    readonly options: CdcRelayOptions,
    readonly partitions: Map<string, number[]>,
  ) {
    this.tables = new Map(
      options.tables.map((table) => [table, { table, topic: topicFor(table), primaryKey: changefeedTables[table].primaryKey }]),
    );
    this.maxBatchBytes = options.maxBatchBytes ?? 512 * 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 32 * 1024 * 1024;
  }

  get log(): Logger {
    return this.options.log;
  }

  start(): void {
    this.running = this.runSessions();
    this.timer = setInterval(() => this.session?.tick(), this.options.resolvedIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.wakeUp?.();
    await this.session?.close();
    await this.running;
  }

  status(): CdcRelayStatus {
    return {
      slotName: this.options.slotName,
      messagesProduced: this.produced,
      lastResolved: this.resolved ? formatHlc(this.resolved) : null,
    };
  }

  noteReceived(lsn: Lsn): void {
    this.received = this.received === null ? lsn : maxLsn(this.received, lsn);
    this.options.onReceived?.(formatLsn(lsn));
  }

  /** The resolved timestamp to publish now, or null when nothing is known yet. Never goes backwards. */
  resolvedCandidate(idle: boolean): Hlc | null {
    let candidate = this.lastCommit;
    if (idle && this.caughtUpAt !== null) candidate = maxHlc(candidate, hlcFromDate(new Date(this.caughtUpAt)));
    return candidate && maxHlc(candidate, this.resolved);
  }

  private async runSessions(): Promise<void> {
    const { initialMs, maxMs } = this.options.reconnect ?? { initialMs: 500, maxMs: 30_000 };
    let delay = initialMs;
    while (!this.stopping) {
      const session = new Session(this);
      this.session = session;
      try {
        await session.run();
      } catch (err) {
        // A session that got as far as streaming resets the backoff.
        if (session.streamed) delay = initialMs;
        if (err instanceof SimulatedCrashError) {
          this.log.warn({ slot: this.options.slotName }, 'CDC relay halted by an injected crash');
          return;
        }
        if (!this.stopping) {
          this.log.error({ err, slot: this.options.slotName, retryInMs: delay }, 'CDC replication failed; reconnecting');
        }
      } finally {
        this.session = null;
      }
      if (this.stopping) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
      delay = Math.min(delay * 2, maxMs);
    }
  }
}

/**
 * One replication connection. Handlers run synchronously in stream order and append to a queue that one
 * loop drains: change messages go to Kafka in batches, and a commit (or an idle keepalive) is confirmed to
 * Postgres only after Kafka acknowledged everything queued before it. Any failure ends the session; the next
 * one resumes at the slot's confirmed position, so unconfirmed work is redelivered, never skipped.
 */
class Session {
  private readonly service: LogicalReplicationService;
  private readonly queue = new Fifo<QueueItem>();
  private queuedBytes = 0;
  private open: OpenTransaction | null = null;
  private draining: Promise<void> | null = null;
  /**
   * True while a drain loop runs, cleared in the same synchronous step that sees the queue empty. `draining` alone
   * stayed set until a microtask after the loop ended, and a commit enqueued in between (one socket read carries a
   * keepalive and a transaction) waited for the next resolved tick: the seconds-long latency tail.
   */
  private drainRunning = false;
  private failure: Error | null = null;
  private closing = false;
  private paused = false;
  private tickQueued = false;
  private lastPingAt: number | null = null;
  private readonly warned = new Set<string>();
  streamed = false;

  constructor(private readonly relay: Relay) {
    // Manual confirmation only: with a timeout the library confirms the last *received* LSN on its own.
    this.service = new LogicalReplicationService(sessionConfig(relay.options.connectionString), {
      acknowledge: { auto: false, timeoutSeconds: 0 },
    });
  }

  async run(): Promise<void> {
    const { options } = this.relay;
    const client = new pg.Client(sessionConfig(options.connectionString));
    await client.connect();
    try {
      this.relay.acked = await confirmedPosition(client, options.slotName);
    } finally {
      await client.end();
    }
    if (this.closing) return;

    this.service.on('start', () => this.onStart());
    this.service.on('data', (lsn: string, message: Pgoutput.Message) => this.onData(lsn, message));
    this.service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => this.onKeepalive(lsn, shouldRespond));
    this.service.on('error', (err: Error) => this.fail(err));
    try {
      const plugin = new RawTextPgoutputPlugin({ protoVersion: 1, publicationNames: [options.publicationName] });
      // From 0/0 the server resumes at the slot's confirmed position. A reused service would resume at the
      // last LSN it *received*, skipping what was never confirmed.
      await this.service.subscribe(plugin, options.slotName, '0/0');
      if (!this.closing) this.fail(new ReplicationProtocolError('the replication stream ended'));
    } catch (err) {
      if (!this.closing) this.fail(err);
    }
    await this.draining;
    await this.service.destroy();
    if (this.failure) throw this.failure;
  }

  /** Finishes the batch in flight (confirming it), then disconnects. */
  async close(): Promise<void> {
    this.closing = true;
    await this.draining;
    await this.service.stop();
  }

  tick(): void {
    if (!this.streamed || this.closing || this.tickQueued) return;
    this.tickQueued = true;
    this.enqueue({ kind: 'tick' });
  }

  private fail(err: unknown): void {
    if (this.failure || (this.closing && !(err instanceof SimulatedCrashError))) return;
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.closing = true;
    void this.service.stop().catch(() => undefined);
  }

  private onStart(): void {
    // close() may have run while the connection was being set up, before there was anything to stop.
    if (this.closing) {
      void this.service.stop().catch(() => undefined);
      return;
    }
    this.streamed = true;
    this.relay.log.info({ slot: this.relay.options.slotName, from: formatLsn(this.relay.acked ?? 0n) }, 'CDC replication streaming');
    // The reply keepalive tells how far the server has decoded, which confirms we are caught up.
    this.sendStatus(true);
  }

  private onData(lsnText: string, message: Pgoutput.Message): void {
    if (this.closing) return;
    try {
      // A row change sits inside a transaction whose commit is noted; parsing every row's LSN showed in profiles.
      if (message.tag !== 'insert' && message.tag !== 'update' && message.tag !== 'delete') this.relay.noteReceived(parseLsn(lsnText));
      switch (message.tag) {
        case 'begin':
          if (this.open) throw new ReplicationProtocolError('BEGIN inside an open transaction');
          // pgoutput's commit time is in microseconds; changefeed timestamps are nanoseconds.
          this.open = { xid: message.xid, wallNanos: (message.commitTime as unknown as bigint) * 1000n, changes: 0, pending: [], pendingBytes: 0 };
          break;
        case 'insert':
        case 'update':
        case 'delete':
          this.onChange(message);
          break;
        case 'commit': {
          const open = this.requireOpen(message.tag);
          if (!message.commitEndLsn) throw new ReplicationProtocolError('COMMIT without an end LSN');
          this.flushPending(open);
          this.open = null;
          const logical = Math.max(open.changes - 1, 0);
          this.enqueue({ kind: 'commit', lsn: parseLsn(message.commitEndLsn), xid: open.xid, hlc: { wall: open.wallNanos, logical }, changes: open.changes });
          break;
        }
        case 'relation':
          if (message.replicaIdentity !== 'full' && this.relay.tables.has(message.name)) {
            this.warnOnce(`identity:${message.name}`, { table: message.name, replicaIdentity: message.replicaIdentity }, 'table is not REPLICA IDENTITY FULL: updates will carry no before row');
          }
          break;
        case 'truncate':
          this.warnOnce(`truncate`, { tables: message.relations.map((relation) => relation.name) }, 'TRUNCATE has no changefeed message; it is not relayed');
          break;
        default:
          break;
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private onChange(change: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete): void {
    const open = this.requireOpen(change.tag);
    const table = this.relay.tables.get(change.relation.name);
    if (!table) return;
    const messages = changeMessages(table, change, open.wallNanos, open.changes);
    open.changes += messages.length;
    for (const message of messages) {
      open.pending.push(message);
      open.pendingBytes += messageBytes(message);
    }
    // A large transaction goes out in batches as it arrives; pgoutput (v1) sends only committed transactions.
    if (open.pendingBytes >= this.relay.maxBatchBytes) this.flushPending(open);
  }

  private onKeepalive(lsnText: string, shouldRespond: boolean): void {
    if (this.closing) return;
    try {
      const lsn = parseLsn(lsnText);
      this.relay.noteReceived(lsn);
      // Everything the server decoded before this point has been sent ahead of it. Inside a transaction
      // that is not true of the transaction itself, so only a keepalive between transactions may be confirmed.
      if (!this.open) {
        const last = this.queue.last();
        const item = { kind: 'keepalive', lsn, asOf: this.lastPingAt } as const;
        if (last?.kind === 'keepalive') this.queue.replaceLast(item);
        else this.enqueue(item);
      }
      if (shouldRespond) this.sendStatus(false);
    } catch (err) {
      this.fail(err);
    }
  }

  private requireOpen(tag: string): OpenTransaction {
    if (!this.open) throw new ReplicationProtocolError(`${tag.toUpperCase()} outside a transaction`);
    return this.open;
  }

  private flushPending(open: OpenTransaction): void {
    if (open.pending.length === 0) return;
    this.enqueue({ kind: 'messages', messages: open.pending, bytes: open.pendingBytes });
    open.pending = [];
    open.pendingBytes = 0;
  }

  private enqueue(item: QueueItem): void {
    this.queue.push(item);
    if (item.kind === 'messages') this.queuedBytes += item.bytes;
    if (this.queuedBytes > this.relay.maxQueuedBytes) this.setPaused(true);
    if (!this.drainRunning) {
      this.drainRunning = true;
      this.draining = this.drain();
    }
  }

  private async drain(): Promise<void> {
    try {
      // On close the batch in flight still gets confirmed; nothing new is started.
      while (this.queue.length > 0 && !this.closing) {
        const head = this.queue.peek();
        if (head?.kind === 'keepalive') {
          this.queue.shift();
          this.confirmKeepalive(head);
        } else if (head?.kind === 'tick') {
          this.queue.shift();
          await this.publishResolved();
        } else {
          await this.publishBatch();
        }
        if (this.paused && this.queuedBytes <= this.relay.maxQueuedBytes / 2) this.setPaused(false);
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.drainRunning = false;
    }
  }

  /**
   * Sends the queued messages (up to one batch) and confirms the last commit they complete. A commit at the
   * head, whose changes went out in earlier batches, is confirmed on its own: held for the next transaction's
   * send, it would wait on that send and be redelivered if it failed.
   *
   * Keepalives between the queued transactions ride along: a walsender that has caught up sends one after every
   * transaction, and ending the batch there made every transaction its own Kafka round trip (measured by
   * bench:cdc: 1.1 records per Kafka batch at 1,000 single-row commits/s). Each is confirmed after the send,
   * which covers everything before it.
   */
  private async publishBatch(): Promise<void> {
    const messages: OutgoingMessage[] = [];
    let bytes = 0;
    let commit: Extract<QueueItem, { kind: 'commit' }> | undefined;
    let keepalive: Extract<QueueItem, { kind: 'keepalive' }> | undefined;
    for (let head = this.queue.peek(); head && head.kind !== 'tick'; head = this.queue.peek()) {
      if (head.kind === 'messages') {
        if (messages.length > 0 && bytes + head.bytes > this.relay.maxBatchBytes) break;
        messages.push(...head.messages);
        bytes += head.bytes;
      } else if (head.kind === 'commit') {
        commit = head;
      } else {
        keepalive = head;
      }
      this.queue.shift();
      if (head.kind === 'commit' && messages.length === 0) break;
    }
    if (messages.length > 0) {
      await this.relay.options.producer.sendBatch({ topicMessages: byTopic(messages), acks: -1 });
      this.queuedBytes -= bytes;
      this.relay.produced += messages.length;
    }
    if (!commit) return;
    const { lsn, xid, changes } = commit;
    if (this.relay.options.faults?.crashBeforeAcknowledge?.({ lsn: formatLsn(lsn), xid, changes })) {
      throw new SimulatedCrashError(`injected crash before confirming ${formatLsn(lsn)}`);
    }
    this.relay.acked = maxLsn(this.relay.acked ?? 0n, lsn);
    this.relay.lastCommit = maxHlc(commit.hlc, this.relay.lastCommit);
    // A keepalive only ever follows a commit (none is queued inside a transaction), so it is never alone here.
    if (keepalive) this.applyKeepalive(keepalive);
    this.sendStatus(false);
  }

  private confirmKeepalive(keepalive: { lsn: Lsn; asOf: number | null }): void {
    if (this.applyKeepalive(keepalive)) this.sendStatus(false);
  }

  /** Everything queued before the keepalive is in Kafka: confirms its position; returns whether that advanced. */
  private applyKeepalive({ lsn, asOf }: { lsn: Lsn; asOf: number | null }): boolean {
    const advanced = this.relay.acked === null || lsn > this.relay.acked;
    if (advanced) this.relay.acked = lsn;
    if (asOf !== null) this.relay.caughtUpAt = Math.max(this.relay.caughtUpAt ?? 0, asOf);
    return advanced;
  }

  /** `{"resolved": …}` to every partition of every table topic, then a ping to learn how far the server is. */
  private async publishResolved(): Promise<void> {
    this.tickQueued = false;
    const idle = !this.open && this.queue.length === 0 && (this.relay.received ?? 0n) <= (this.relay.acked ?? 0n);
    const resolved = this.relay.resolvedCandidate(idle);
    if (resolved) {
      const value = JSON.stringify({ resolved: formatHlc(resolved) } satisfies ResolvedEnvelope);
      const topicMessages = [...this.relay.partitions].map(([topic, partitions]) => ({
        topic,
        messages: partitions.map((partition): Message => ({ partition, value })),
      }));
      await this.relay.options.producer.sendBatch({ topicMessages, acks: -1 });
      this.relay.resolved = resolved;
    }
    this.sendStatus(true);
  }

  /** Tells the server what is confirmed; with `ping`, asks it to answer with a keepalive. */
  private sendStatus(ping: boolean): void {
    const { acked } = this.relay;
    if (acked === null || acked === 0n || this.failure) return;
    if (ping) this.lastPingAt = Date.now();
    this.service.acknowledge(acknowledgeArgument(acked), ping).catch((err: unknown) => this.fail(err));
  }

  /** Backpressure: stop reading the socket while Kafka is behind (the library does the same in flowControl mode). */
  private setPaused(paused: boolean): void {
    const stream = (this.service as unknown as { _connection?: { stream?: { pause?(): void; resume?(): void } } })._connection?.stream;
    if (paused) stream?.pause?.();
    else stream?.resume?.();
    this.paused = paused;
  }

  private warnOnce(key: string, context: object, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.relay.log.warn({ ...context, slot: this.relay.options.slotName }, message);
  }
}

function messageBytes({ topic, key, value }: OutgoingMessage): number {
  // Close enough for batching: the envelopes are ASCII apart from string values.
  return topic.length + key.length + value.length + 64;
}

function byTopic(messages: readonly OutgoingMessage[]): TopicMessages[] {
  const topics = new Map<string, Message[]>();
  for (const { topic, key, value } of messages) {
    let list = topics.get(topic);
    if (!list) topics.set(topic, (list = []));
    list.push({ key, value });
  }
  return [...topics].map(([topic, list]) => ({ topic, messages: list }));
}

function maxHlc(a: Hlc, b: Hlc | null): Hlc;
function maxHlc(a: Hlc | null, b: Hlc | null): Hlc | null;
function maxHlc(a: Hlc | null, b: Hlc | null): Hlc | null {
  if (!a) return b;
  if (!b) return a;
  return compareHlc(a, b) >= 0 ? a : b;
}
