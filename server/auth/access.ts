import type { Role } from './actor.ts';

/** The console's areas: each page under it, and each API route behind it, admits only these roles (`viewer` only to read). */
export type Area = 'inventory' | 'enrollments' | 'dead-letters' | 'pipeline' | 'trace' | 'audit';

export interface AreaInfo {
  area: Area;
  href: string;
  label: string;
  /** Who it is for, shown in the navigation and on the home page. */
  audience: string;
  roles: readonly Role[];
}

export const AREAS: readonly AreaInfo[] = [
  { area: 'inventory', href: '/inventory', label: 'Inventory', audience: 'Store associates', roles: ['associate', 'admin', 'viewer'] },
  { area: 'enrollments', href: '/enrollments', label: 'Enrollments', audience: 'Support', roles: ['support', 'admin', 'viewer'] },
  { area: 'dead-letters', href: '/dead-letters', label: 'Dead letters', audience: 'Engineers', roles: ['engineer', 'admin', 'viewer'] },
  { area: 'pipeline', href: '/pipeline', label: 'Pipeline health', audience: 'Engineers', roles: ['engineer', 'admin', 'viewer'] },
  { area: 'trace', href: '/trace', label: 'Trace a change', audience: 'Engineers', roles: ['engineer', 'admin', 'viewer'] },
  { area: 'audit', href: '/audit', label: 'Audit log', audience: 'Admins', roles: ['admin', 'viewer'] },
];

export function rolesFor(area: Area): readonly Role[] {
  const info = AREAS.find((candidate) => candidate.area === area);
  if (!info) throw new Error(`unknown console area ${area}`);
  return info.roles;
}

export function canAccess(role: Role, area: Area): boolean {
  return rolesFor(area).includes(role);
}

export function areasFor(role: Role): AreaInfo[] {
  return AREAS.filter((info) => info.roles.includes(role));
}

/** Roles that may read their areas and change nothing: every mutating route refuses them (403) and pages hide the actions. */
export const READ_ONLY_ROLES: readonly Role[] = ['viewer'];

export function canChange(role: Role, area: Area): boolean {
  return canAccess(role, area) && !READ_ONLY_ROLES.includes(role);
}
