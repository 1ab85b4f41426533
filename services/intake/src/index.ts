export { createServer } from './server';
export * from './calls/call';
