export * from './client';
export * from './trace-headers';
export * from './outbox-relay';
export * from './consumer';
