import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../server/auth/passwords.ts';
import { withDb } from './db.ts';

export interface NewUser {
  username: string;
  password: string;
}

/** A console user of the test's own, with a fresh password; removed by `removeUsers`. */
export async function createUser(role: string, displayName: string): Promise<NewUser> {
  const username = `e2e-session-${randomUUID().slice(0, 8)}`;
  const password = randomUUID();
  const passwordHash = await hashPassword(password);
  await withDb((client) =>
    client.query('INSERT INTO users (user_id, username, display_name, role, password_hash) VALUES ($1, $1, $2, $3, $4)', [username, displayName, role, passwordHash]),
  );
  return { username, password };
}

export async function removeUsers(usernames: string[]): Promise<void> {
  if (usernames.length === 0) return;
  await withDb((client) => client.query('DELETE FROM users WHERE username = ANY($1)', [usernames]));
}
