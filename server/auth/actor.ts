/** Who is acting: a signed-in person with a role, or a system process. Every mutation records one. */
export const ROLES = ['associate', 'support', 'engineer', 'admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  id: string;
  role: Role | 'system';
}
