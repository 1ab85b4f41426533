// First import of main.ts: starts OpenTelemetry before express, pg and kafkajs load.
import { startTelemetry } from '@cad110/telemetry';

startTelemetry('console');
