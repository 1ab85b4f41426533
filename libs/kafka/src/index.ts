export * from './client';
export { fixKafkajsRequestQueue } from './request-queue';
export * from './trace-headers';
export * from './outbox-relay';
export * from './consumer';
export * from './consumer-faults';
export * from './dead-letter';
export * from './sealing';
export * from './sealed-messages';
