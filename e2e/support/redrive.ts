import { withDb } from './db.ts';

export interface RedriveAudit {
  action: string;
  actor: string;
  actor_role: string;
  target: string;
  reason: string | null;
  details: { touched: { levels: number; lots: number; total: number }; completed: boolean; via: string };
}

export async function redriveAudit(id: string): Promise<RedriveAudit | null> {
  return withDb(async (client) => {
    const { rows: found } = await client.query<RedriveAudit>('SELECT action, actor, actor_role, target, reason, details FROM audit_log WHERE id = $1', [id]);
    return found[0] ?? null;
  });
}
