export { createServer } from './server';
export * from './calls/call';
export { DuplicateFinder } from './duplicates/finder';
export { geoCell, cellsCovering, CELL_DEG } from './duplicates/geo-cell';
export { duplicateConfig, loadCategoryCompatibility, CategoryCompatibility } from './duplicates/rules';
export { normaliseNumber, scoreCandidate, type DuplicateCandidate, type DuplicateSubject } from './duplicates/score';
