export * from './problem';
export * from './app';
export * from './route-table';
