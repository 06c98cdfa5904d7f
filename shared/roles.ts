// Roles on a notebook, lowest to highest. See docs/ARCHITECTURE.md, "Roles".
export const ROLES = ['viewer', 'runner', 'editor', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function atLeast(role: Role | undefined, minimum: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** What a role may do. One place, so REST and sync agree. */
export const can = {
  readShared: (role: Role | undefined) => atLeast(role, 'viewer'),
  runUserCells: (role: Role | undefined) => atLeast(role, 'runner'),
  editShared: (role: Role | undefined) => atLeast(role, 'editor'),
  runSharedCells: (role: Role | undefined) => atLeast(role, 'owner'),
  manage: (role: Role | undefined) => atLeast(role, 'owner'),
};
