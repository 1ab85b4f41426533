export { createServer } from './server';
export * from './cases/case-number';
