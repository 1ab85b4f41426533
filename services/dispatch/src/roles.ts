/** Roles that may read dispatch's views. */
export const READ = ['dispatcher', 'supervisor', 'call_taker', 'analyst'] as const;
/** Roles that may dispatch units and change incidents. */
export const DISPATCH = ['dispatcher', 'supervisor'] as const;
