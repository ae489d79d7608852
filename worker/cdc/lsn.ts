/** Postgres log sequence numbers (`16/B374D848`) as 64-bit integers, so they compare and step correctly. */
export type Lsn = bigint;

const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export class InvalidLsnError extends Error {
  override name = 'InvalidLsnError';
}

export function parseLsn(text: string): Lsn {
  const match = LSN_PATTERN.exec(text);
  if (!match?.[1] || !match[2]) throw new InvalidLsnError(`"${text}" is not an LSN (hex/hex)`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Postgres' own spelling: upper-case hex halves without padding, e.g. `0/1C31828`. */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export const maxLsn = (a: Lsn, b: Lsn): Lsn => (a > b ? a : b);

/**
 * What to pass to pg-logical-replication's `acknowledge()` to confirm exactly `lsn`. The library reports
 * `lsn + 1` as flushed. Confirming a commit's end LSN + 1 is unsafe: the next transaction's commit record
 * can start exactly at that end LSN, and Postgres skips on restart every transaction whose commit record
 * starts before the confirmed position, so that transaction would be lost. Confirming the end LSN itself
 * (what Postgres' own subscriber and pg_recvlogical do) skips only what was delivered.
 */
export function acknowledgeArgument(lsn: Lsn): string {
  if (lsn <= 0n) throw new InvalidLsnError('cannot confirm LSN 0/0');
  return formatLsn(lsn - 1n);
}
