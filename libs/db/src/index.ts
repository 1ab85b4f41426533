export * from './urls';
export * from './ensure-database';
export * from './migrate-deploy';
export { pendingSchemaChanges, hasStatements } from './migrate-create';
export * from './pg-errors';
export * from './pool';
export * from './sql';
export * from './rows';
export * from './table';
