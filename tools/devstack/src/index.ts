export * from './paths';
export * from './kafka-broker';
export * from './stack';
export * from './trace-tap';
export * from './pipeline';
export * from './web-build';
export * from './browser';
