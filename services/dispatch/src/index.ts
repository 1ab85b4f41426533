export { createServer, createDispatchService } from './server';
export * from './dispatch-service';
export * from './recommend/recommend';
export * from './recommend/eta';
export * from './recommend/run-cards';
export * from './map/county-map';
export * from './units/duty';
export { loadSeed } from './units/seed';
