/**
 * The role × route matrix: for every HTTP route of every service, the roles that may use it.
 * `admin` may use everything and is checked on every route without being listed. The spec
 * (role-matrix.e2e.spec.ts) asks each route without a token (→ 401), with a forged token
 * (→ 401), with every role not allowed (→ 403) and with every allowed role (→ `ok`, default 200),
 * directly and — for the four services — through the console's gateway (`/api/<service>/...`).
 *
 * To add a route: add one line to its service's table. Path and body are functions of the
 * fixtures (a call handed to dispatch, its incident and case, made through the APIs first).
 */
import type { Role } from '@cad110/auth';

export interface Fixtures {
  callId: string;
  incidentId: string;
  caseId: string;
  unitId: string;
  district: string;
}

export interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: (fx: Fixtures) => string;
  body?: (fx: Fixtures) => unknown;
  /** roles allowed besides admin */
  allowed: Role[];
  /** status an allowed role gets (default 200) */
  ok?: number;
  /** a server-sent-events stream: only the status line is read */
  stream?: boolean;
}

export type Target = 'intake' | 'dispatch' | 'records' | 'statistics' | 'console';

const READERS: Role[] = ['call_taker', 'dispatcher', 'supervisor', 'analyst'];
const ALL: Role[] = ['call_taker', 'dispatcher', 'supervisor', 'analyst', 'ops'];

/** A valid new call (handed to dispatch) for the POST /calls rows. */
export const CALL_BODY = {
  channel: '110',
  location: { lat: 44.9778, lon: -93.265, district: 'Precinct 1' },
  classification: { subtype: 'snatching' },
  narrative: 'role matrix test call',
  handToDispatch: true,
};

export const ROUTES: Record<Target, RouteCase[]> = {
  intake: [
    { method: 'POST', path: () => '/calls', body: () => CALL_BODY, allowed: ['call_taker', 'supervisor'], ok: 201 },
    { method: 'GET', path: () => '/calls', allowed: READERS },
    { method: 'GET', path: (fx) => `/calls/${fx.callId}`, allowed: READERS },
  ],
  dispatch: [
    { method: 'GET', path: () => '/incidents', allowed: ['dispatcher', 'supervisor', 'call_taker', 'analyst'] },
    { method: 'GET', path: (fx) => `/incidents/${fx.incidentId}`, allowed: ['dispatcher', 'supervisor', 'call_taker', 'analyst'] },
    { method: 'GET', path: () => '/units', allowed: ['dispatcher', 'supervisor', 'call_taker', 'analyst'] },
  ],
  records: [
    { method: 'GET', path: () => '/cases', allowed: ['dispatcher', 'supervisor', 'analyst'] },
    { method: 'GET', path: (fx) => `/cases/${fx.caseId}`, allowed: ['dispatcher', 'supervisor', 'analyst'] },
    { method: 'GET', path: (fx) => `/cases/${fx.caseId}/timeline`, allowed: ['dispatcher', 'supervisor', 'analyst'] },
  ],
  statistics: [
    { method: 'GET', path: () => '/stats/counts?by=category', allowed: ['analyst', 'supervisor', 'ops', 'dispatcher'] },
    { method: 'GET', path: () => '/stats/counts?by=hour', allowed: ['analyst', 'supervisor', 'ops', 'dispatcher'] },
  ],
  console: [
    { method: 'GET', path: () => '/auth/me', allowed: ALL },
    { method: 'GET', path: () => '/api/live', allowed: ALL, stream: true },
    { method: 'GET', path: () => '/api/console/taxonomy', allowed: ALL },
    { method: 'GET', path: () => '/api/console/map', allowed: ALL },
    { method: 'GET', path: () => '/api/console/config', allowed: ALL },
    { method: 'GET', path: () => '/api/intake/metrics', allowed: ['ops', 'analyst', 'supervisor'] },
    { method: 'GET', path: () => '/api/dispatch/metrics', allowed: ['ops', 'analyst', 'supervisor'] },
    { method: 'GET', path: () => '/api/records/metrics', allowed: ['ops', 'analyst', 'supervisor'] },
    { method: 'GET', path: () => '/api/statistics/metrics', allowed: ['ops', 'analyst', 'supervisor'] },
  ],
};
