/**
 * One jest run over every workspace. TypeScript is compiled by SWC (no type checking here:
 * `npm run typecheck` does that). Integration tests talk to the real Kafka broker
 * (KAFKA_BROKERS, started by `npm test`) and the real PostgreSQL (POSTGRES_URL).
 */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testMatch: ['<rootDir>/{libs,services,tools,bench,infra}/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/generated/'],
  testTimeout: 60_000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/tools/devstack/skip-reporter.cjs'],
};
