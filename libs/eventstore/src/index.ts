export * from './sql';
export * from './event-store';
export * from './pg-transaction';
