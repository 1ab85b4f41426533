export { createServer } from './server';
export * from './incidents/recommend';
