/** An inventory_adjustments row as the console shows it (the stock ledger), wherever a page lists or traces one. */
export interface LedgerEntry {
  id: string;
  delta: number;
  reason: string;
  note: string | null;
  actor: string;
  onHandAfter: number;
  createdAt: string;
}

/** The columns `ledgerEntry` reads, as raw SQL returns them. */
export interface LedgerEntryColumns {
  id: bigint;
  delta: number;
  reason: string;
  note: string | null;
  actor: string;
  on_hand_after: number;
  created_at: Date;
}

export function ledgerEntry(row: LedgerEntryColumns): LedgerEntry {
  return {
    id: row.id.toString(),
    delta: row.delta,
    reason: row.reason,
    note: row.note,
    actor: row.actor,
    onHandAfter: row.on_hand_after,
    createdAt: row.created_at.toISOString(),
  };
}
