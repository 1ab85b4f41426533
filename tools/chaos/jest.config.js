/**
 * The fault suite (`npm run chaos`): real 3-broker KRaft cluster (infra/kafka/kafka-cluster.sh,
 * ports 19300–19322 unless CAD110_KAFKA_CLUSTER_PORT), real PostgreSQL. Not part of `npm test`.
 * Bounded: every spec has its own timeout; everything runs on 127.0.0.1.
 */
const base = require('../../jest.config.js');
module.exports = { ...base, rootDir: '../..', testMatch: ['<rootDir>/tools/chaos/**/*.chaos.ts'], testTimeout: 300_000, maxWorkers: 1 };
