export * from './mapping';
export * from './map-row';
export * from './read-csv';
export * from './post-calls';
export * from './dispositions';
export * from './replay-dispositions';
export * from './replay-dispatch';
