export { createServer } from './server';
export * from './facts/project';
