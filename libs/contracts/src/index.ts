import { EventRegistry } from './registry';
import { CALL_EVENTS } from './events/call';
import { DISPATCH_EVENTS } from './events/dispatch';
import { CASE_EVENTS } from './events/case';
import { FLAG_EVENTS } from './events/flag';
import { ROSTER_EVENTS } from './events/roster';

export * from './envelope';
export * from './registry';
export * from './topics';
export * from './time';
export * from './counting';
export * from './taxonomy';
export * from './events/common';
export * from './events/call';
export * from './events/dispatch';
export * from './events/case';
export * from './events/flag';
export * from './events/roster';
export * from './unit-lifecycle';
export * from './public-event';
export * from './commands';
export * from './personal-data';

/** Every event type of cad110, for consumers that read all topics. */
export const ALL_EVENTS = [...CALL_EVENTS, ...DISPATCH_EVENTS, ...ROSTER_EVENTS, ...CASE_EVENTS, ...FLAG_EVENTS];

/** Registry of all event types (parse + upcast + validate). */
export const eventRegistry = new EventRegistry(ALL_EVENTS);
