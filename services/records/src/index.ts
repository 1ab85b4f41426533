export { createServer } from './server';
export * from './cases/case-number';
export * from './cases/case';
export * from './cases/case-query';
export { EXPORT_COLUMNS } from './cases/case-export';
export { buildEido } from './eido/export';
export { loadEidoSchema, describeErrors, type EidoSchema } from './eido/schema';
