export * from './sql';
export * from './event-store';
export * from './pg-transaction';
export * from './command-handler';
