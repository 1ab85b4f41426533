import type { ActingUser } from '@cad110/contracts';

/** Dispatch itself as the actor (seeding, consumers, timers). */
export const SYSTEM_ACTOR: ActingUser = { actor: { id: 'system:dispatch' } };
