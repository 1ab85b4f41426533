export * from './sql';
export * from './event-store';
