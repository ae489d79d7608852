import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * kafkajs's connection logs every error answer at ERROR, even the ones its retrier is about to retry. These come from
 * a cluster still settling (a group coordinator loading its offsets after a broker start, a leader being elected for
 * a new topic): kafkajs retries them, and only a retry that runs out reaches our code, as a thrown error.
 * The texts are kafkajs's own (src/protocol/error.js); kafka-log.test.ts checks them against it.
 */
export const SETTLING_CLUSTER_ERRORS: ReadonlySet<string> = new Set([
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
]);

const PINO_LEVEL = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
} as const;

/** kafkajs's level for a pino level: its DEBUG is a dump of every protocol request, too much even for debugging us. */
export function kafkaLogLevel(pinoLevel: string): logLevel {
  return pinoLevel === 'debug' || pinoLevel === 'trace' ? logLevel.INFO : logLevel.WARN;
}

/** The pino level an entry goes out at: a retried answer from a settling cluster is routine, so it is debug. */
export function levelOf({ namespace, level, log }: LogEntry): (typeof PINO_LEVEL)[keyof typeof PINO_LEVEL] | undefined {
  if (level === logLevel.NOTHING) return undefined;
  if (level === logLevel.ERROR && namespace === 'Connection' && typeof log.error === 'string' && SETTLING_CLUSTER_ERRORS.has(log.error)) return 'debug';
  return PINO_LEVEL[level];
}

/** kafkajs's logs as structured lines of the process's pino logger (`component: kafkajs`), not its own console JSON. */
export function kafkaLogCreator(log: Logger): logCreator {
  const kafkaLog = log.child({ component: 'kafkajs' });
  return () => (entry) => {
    const level = levelOf(entry);
    if (!level) return;
    const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry.log;
    kafkaLog[level]({ namespace: entry.namespace, ...fields }, message);
  };
}
