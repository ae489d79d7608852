import fs from 'node:fs';
import path from 'node:path';

/**
 * Record batches and records of a topic between two sets of offsets, read from the broker's own segment files
 * (record batch format v2: baseOffset int64, batchLength int32, …, recordsCount int32 at byte 57). One produce
 * request appends one batch per partition, so records per batch says how much each contestant put in a request.
 */
export function recordBatches(logDir: string, topic: string, from: Map<number, bigint>, to: Map<number, bigint>): { batches: number; records: number } {
  let batches = 0;
  let records = 0;
  for (const [partition, end] of to) {
    const start = from.get(partition) ?? 0n;
    const dir = path.join(logDir, `${topic}-${partition}`);
    if (end <= start || !fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.log'))) {
      const bytes = fs.readFileSync(path.join(dir, file));
      for (let at = 0; at + 61 <= bytes.length; ) {
        const baseOffset = bytes.readBigInt64BE(at);
        const length = bytes.readInt32BE(at + 8);
        if (length <= 0) break;
        if (baseOffset >= start && baseOffset < end) {
          batches += 1;
          records += bytes.readInt32BE(at + 57);
        }
        at += 12 + length;
      }
    }
  }
  return { batches, records };
}
