import { join, resolve } from 'node:path';

/** Repository root. */
export const ROOT = resolve(__dirname, '..', '..', '..');
/** Local state (broker data, logs) — git-ignored. */
export const STATE_DIR = join(ROOT, '.cad110');
export const SERVICES = ['intake', 'dispatch', 'records', 'statistics'] as const;
export type ServiceName = (typeof SERVICES)[number];
/** The operator console (sign-in, gateway to the four services, live events, the SPA). */
export const CONSOLE = 'console' as const;
/** Every process a Stack can run: the four services and the console. */
export type StackProcessName = ServiceName | typeof CONSOLE;
/** The console's single-page app and its production build. */
export const CONSOLE_WEB_DIR = join(ROOT, 'services', 'console', 'web');
/** The bundled real-data slice (see data/calls/README.md). */
export const BUNDLED_SLICE = join(ROOT, 'data', 'calls', 'minneapolis-mpd-911-cad.slice-2000.csv');
/** The shared datasets next to the checkout (`CAD110_SHARED_DIR`, default `../shared`). */
export const SHARED_CALLS_DIR = resolve(process.env.CAD110_SHARED_DIR ? resolve(process.env.CAD110_SHARED_DIR) : resolve(ROOT, '..', 'shared'), 'data', 'calls');
