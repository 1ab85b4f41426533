/**
 * The role × route matrix: for every HTTP route of every service, the roles that may use it.
 * `admin` may use everything and is checked on every route without being listed. The spec
 * (role-matrix.e2e.spec.ts) asks each route without a token (→ 401), with a forged token
 * (→ 401), with an expired one (→ 401), with every role not allowed (→ 403) and with every
 * allowed role (→ `ok`, default 200), directly and — for the four services — through the
 * console's gateway (`/api/<service>/...`).
 *
 * `route` is the route exactly as the service registers it with express (`METHOD /path/:param`).
 * The spec builds each service's express app (`createServer()`) and fails when a registered
 * route is listed neither here nor in {@link PUBLIC}, or when a line names a route that no longer
 * exists — so a new route cannot escape the matrix.
 *
 * Write routes get a fixture of their own for every allowed request (`fresh`: a new call,
 * incident, case, unit or district in the state the command needs), so each allowed role's
 * request must succeed on its own (2xx; a 409 is a failure), independent of the others' effects.
 * Denied requests and requests without a valid token use the shared fixtures: they must be
 * refused before the handler runs.
 *
 * To add a route: add one line to its service's table (and a `fresh` fixture if it writes).
 */
import type { Role } from '@cad110/auth';

/** The shared fixtures, made through the APIs before the matrix runs. */
export interface Fixtures {
  /** a call handed to dispatch */
  callId: string;
  /** its incident (dispatch) */
  incidentId: string;
  /** its case (records) */
  caseId: string;
  /** a unit of the seed roster */
  unitId: string;
  /** a district of the seed roster */
  district: string;
  /** another call, handed to dispatch (the shared call): the target of duplicate-link and confirm-new */
  otherCallId: string;
}

/** Makes fixtures through the services' APIs (as admin, directly, each request checked for 2xx). */
export interface FixtureApi {
  /** a new call in intake, open (not handed to dispatch); `classified` adds a classification */
  openCall(opts?: { classified?: boolean }): Promise<string>;
  /** a pending incident of a call of its own (no unit on it) */
  pendingIncident(): Promise<string>;
  /** an open case of a call of its own */
  openCase(): Promise<string>;
  /** a newly registered unit, available and on duty, in `district` (default: the shared district) */
  newUnit(district?: string): Promise<string>;
  /** a new unique name (unit ids, call signs, districts) */
  unique(prefix: string): string;
  /** an admin request that must answer 2xx; returns the JSON body */
  admin(target: Target, method: Method, path: string, body?: unknown): Promise<unknown>;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteCase {
  /** the express route it exercises: `METHOD /path/:param` as registered */
  route: `${Method} /${string}`;
  /** the request path (with query) for the fixtures */
  path: (fx: Fixtures) => string;
  body?: (fx: Fixtures) => unknown;
  headers?: (fx: Fixtures) => Record<string, string>;
  /** roles allowed besides admin */
  allowed: Role[];
  /** status an allowed role gets (default 200) */
  ok?: number;
  /** a server-sent-events stream: only the status line is read */
  stream?: boolean;
  /** fixtures of its own for each allowed request (write routes), merged over the shared ones */
  fresh?: (api: FixtureApi, shared: Fixtures) => Promise<Partial<Fixtures>>;
  /** what `fresh` takes from the pre-made pools per allowed request (so they are made in one batch) */
  pools?: { incidents?: number; cases?: number };
}

/** A route that needs no token, with the status it answers without one. */
export interface PublicRoute {
  route: `${Method} /${string}`;
  path: string;
  body?: (ctx: { demoPassword: string }) => unknown;
  accept?: string;
  ok: number | number[];
  /** also asked through the gateway (`/api/<service>/...`; the four services only) */
  gateway?: boolean;
  why: string;
}

export type Target = 'intake' | 'dispatch' | 'records' | 'statistics' | 'console';
export const TARGETS: Target[] = ['intake', 'dispatch', 'records', 'statistics', 'console'];

const ALL: Role[] = ['call_taker', 'dispatcher', 'supervisor', 'analyst', 'ops'];
const INTAKE_WRITE: Role[] = ['call_taker', 'supervisor'];
const INTAKE_READ: Role[] = ['call_taker', 'dispatcher', 'supervisor', 'analyst'];
const DISPATCH_READ: Role[] = ['dispatcher', 'supervisor', 'call_taker', 'analyst'];
const DISPATCH_WRITE: Role[] = ['dispatcher', 'supervisor'];
const RECORDS_READ: Role[] = ['dispatcher', 'supervisor', 'analyst'];
const RECORDS_WRITE: Role[] = ['dispatcher', 'supervisor'];
const STATS_READ: Role[] = ['analyst', 'supervisor', 'ops', 'dispatcher'];
const METRICS: Role[] = ['ops', 'analyst', 'supervisor'];

export const SHARED_DISTRICT = 'Precinct 1';

/** A valid new call (handed to dispatch), for POST /calls and the shared fixtures. */
export const CALL_BODY = {
  channel: '110',
  location: { lat: 44.9778, lon: -93.265, district: SHARED_DISTRICT },
  classification: { subtype: 'snatching' },
  narrative: 'role matrix test call',
  handToDispatch: true,
};

/** Intake's commands need `If-Match` (428 without); `*` = any version. */
const anyVersion = () => ({ 'if-match': '*' });
const freshCall = (opts?: { classified?: boolean }) => async (api: FixtureApi) => ({ callId: await api.openCall(opts) });
/** An intake command on a new open call of its own. */
const intakeCommand = (command: string, body: (fx: Fixtures) => unknown, opts?: { classified?: boolean }): RouteCase => ({
  route: `POST /calls/:id/${command}`,
  path: (fx) => `/calls/${fx.callId}/${command}`,
  body,
  headers: anyVersion,
  allowed: INTAKE_WRITE,
  fresh: freshCall(opts),
});

const freshIncident = async (api: FixtureApi) => ({ incidentId: await api.pendingIncident() });
const freshUnit = async (api: FixtureApi) => ({ unitId: await api.newUnit() });
const freshCase = async (api: FixtureApi) => ({ caseId: await api.openCase() });
const DISPOSITION = { codes: ['advice-given'], note: 'role matrix' };

/** Every figure of statistics, asked as JSON and as its CSV download. */
const FIGURES: { path: `/stats/${string}`; query?: string }[] = [
  { path: '/stats/counts', query: 'by=category' },
  { path: '/stats/totals' },
  { path: '/stats/compare', query: 'from=2026-01-01&to=2026-01-31' },
  { path: '/stats/days-without', query: 'from=2026-01-01&to=2026-01-31' },
  { path: '/stats/outcomes' },
  { path: '/stats/response-times' },
  { path: '/stats/compliance' },
  { path: '/stats/hotspots/cells' },
  { path: '/stats/hotspots' },
  { path: '/stats/deployment' },
  { path: '/stats/throughput' },
];
const figureCases: RouteCase[] = FIGURES.flatMap(({ path, query }) => [
  { route: `GET ${path}` as const, path: () => `${path}${query ? `?${query}` : ''}`, allowed: STATS_READ },
  { route: `GET ${path}` as const, path: () => `${path}?${query ? `${query}&` : ''}format=csv`, allowed: STATS_READ },
]);

export const ROUTES: Record<Target, RouteCase[]> = {
  intake: [
    { route: 'POST /calls', path: () => '/calls', body: () => CALL_BODY, allowed: INTAKE_WRITE, ok: 201 },
    { route: 'GET /calls', path: () => '/calls', allowed: INTAKE_READ },
    { route: 'GET /calls/:id', path: (fx) => `/calls/${fx.callId}`, allowed: INTAKE_READ },
    { route: 'GET /calls/:id', path: (fx) => `/calls/${fx.callId}?reveal=caller`, allowed: INTAKE_READ },
    intakeCommand('caller', () => ({ number: '13800001234', name: 'Role Matrix' })),
    intakeCommand('location', () => ({ lat: 44.9779, lon: -93.2651, district: SHARED_DISTRICT, source: 'manual' })),
    intakeCommand('classification', () => ({ subtype: 'theft' })),
    intakeCommand('narrative', () => ({ text: 'role matrix narrative' })),
    intakeCommand('duplicate-link', (fx) => ({ duplicateOfCallId: fx.otherCallId, reason: 'same snatching, second caller' })),
    intakeCommand('confirm-new', (fx) => ({ candidateCallIds: [fx.otherCallId], reason: 'different event' })),
    intakeCommand('transfer', () => ({ to: 'medical-120', reason: 'injured person' })),
    intakeCommand('cancel', () => ({ reason: 'misdial' })),
    intakeCommand('hand-over', () => ({}), { classified: true }),
    intakeCommand('close', () => ({ reason: 'resolved on the phone' })),
    { route: 'GET /calls/:id/duplicates', path: (fx) => `/calls/${fx.callId}/duplicates`, allowed: INTAKE_WRITE },
    { route: 'POST /duplicates/search', path: () => '/duplicates/search', body: () => ({ lat: 44.9778, lon: -93.265, subtype: 'snatching' }), allowed: INTAKE_WRITE },
    { route: 'GET /taxonomy', path: () => '/taxonomy', allowed: [...INTAKE_READ, 'ops'] },
    // the call-taker desk (issue 16)
    { route: 'GET /gazetteer', path: () => `/gazetteer?q=${encodeURIComponent('人民大道')}`, allowed: INTAKE_WRITE },
    { route: 'POST /history/search', path: () => '/history/search', body: () => ({ callerNumber: '13800001234', lat: 44.9778, lon: -93.265 }), allowed: INTAKE_WRITE },
    { route: 'GET /flags', path: () => '/flags', allowed: ['call_taker', 'dispatcher', 'supervisor'] },
    { route: 'POST /flags', path: () => '/flags', body: () => ({ kind: 'location', label: 'role matrix hazard', lat: 44.9778, lon: -93.265 }), allowed: ['supervisor'], ok: 201 },
    {
      route: 'POST /flags/:id/retire',
      path: (fx) => `/flags/${fx.callId}/retire`,
      body: () => ({ reason: 'role matrix' }),
      allowed: ['supervisor'],
      // a flag of its own (its id travels in the callId slot of the fixtures)
      fresh: async (api) => ({ callId: ((await api.admin('intake', 'POST', '/flags', { kind: 'person', label: 'role matrix person', number: '13800001234' })) as { flagId: string }).flagId }),
    },
    { route: 'POST /telephony/ringing', path: () => '/telephony/ringing', body: () => ({ number: '13800001234', lat: 44.9778, lon: -93.265, uncertaintyMetres: 50 }), allowed: INTAKE_WRITE, ok: 201 },
    { route: 'GET /telephony/ringing', path: () => '/telephony/ringing', allowed: INTAKE_WRITE },
    {
      route: 'POST /telephony/ringing/:id/answer',
      path: (fx) => `/telephony/ringing/${fx.callId}/answer`,
      body: () => ({}),
      allowed: INTAKE_WRITE,
      // a ring of its own (its id travels in the callId slot of the fixtures)
      fresh: async (api) => ({ callId: ((await api.admin('intake', 'POST', '/telephony/ringing', { number: '13800001234' })) as { ringId: string }).ringId }),
    },
  ],
  dispatch: [
    { route: 'GET /incidents', path: () => '/incidents', allowed: DISPATCH_READ },
    { route: 'GET /incidents/queue', path: () => '/incidents/queue', allowed: DISPATCH_READ },
    { route: 'GET /incidents/:id', path: (fx) => `/incidents/${fx.incidentId}`, allowed: DISPATCH_READ },
    { route: 'GET /incidents/:id/recommendations', path: (fx) => `/incidents/${fx.incidentId}/recommendations`, allowed: DISPATCH_READ },
    {
      route: 'POST /incidents/:id/assignments',
      path: (fx) => `/incidents/${fx.incidentId}/assignments`,
      body: (fx) => ({ unitId: fx.unitId }),
      allowed: DISPATCH_WRITE,
      ok: 201,
      fresh: async (api) => ({ incidentId: await api.pendingIncident(), unitId: await api.newUnit() }),
      pools: { incidents: 1 },
    },
    { route: 'POST /incidents/:id/cancel', path: (fx) => `/incidents/${fx.incidentId}/cancel`, body: () => ({ reason: 'caller called back: no help needed' }), allowed: DISPATCH_WRITE, fresh: freshIncident, pools: { incidents: 1 } },
    { route: 'POST /incidents/:id/close', path: (fx) => `/incidents/${fx.incidentId}/close`, body: () => ({ reason: 'resolved by phone' }), allowed: DISPATCH_WRITE, fresh: freshIncident, pools: { incidents: 1 } },
    { route: 'GET /units', path: () => '/units', allowed: DISPATCH_READ },
    { route: 'GET /units/:unitId', path: (fx) => `/units/${fx.unitId}`, allowed: DISPATCH_READ },
    {
      route: 'POST /units',
      path: () => '/units',
      body: (fx) => unitBody(fx.unitId, fx.district),
      allowed: ['supervisor'],
      ok: 201,
      fresh: async (api) => ({ unitId: api.unique('RM-REG') }),
    },
    { route: 'POST /units/:unitId/status', path: (fx) => `/units/${fx.unitId}/status`, body: () => ({ status: 'out-of-service' }), allowed: DISPATCH_WRITE, fresh: freshUnit },
    { route: 'POST /units/:unitId/position', path: (fx) => `/units/${fx.unitId}/position`, body: () => ({ lat: 44.979, lon: -93.266 }), allowed: ['dispatcher', 'supervisor', 'ops'], fresh: freshUnit },
    { route: 'GET /alerts', path: () => '/alerts', allowed: DISPATCH_READ },
    { route: 'GET /duty-levels', path: () => '/duty-levels', allowed: DISPATCH_READ },
    {
      route: 'PUT /duty-levels/:district',
      path: (fx) => `/duty-levels/${encodeURIComponent(fx.district)}`,
      body: () => ({ level: 'reinforced', reason: 'role matrix' }),
      allowed: ['supervisor'],
      // a district of its own (known to dispatch through its one unit), still at the default level
      fresh: async (api) => {
        const district = api.unique('RM District');
        await api.newUnit(district);
        return { district };
      },
    },
    { route: 'GET /map', path: () => '/map', allowed: DISPATCH_READ },
    { route: 'GET /run-cards', path: () => '/run-cards', allowed: DISPATCH_READ },
    { route: 'GET /eta-model', path: () => '/eta-model', allowed: DISPATCH_READ },
  ],
  records: [
    { route: 'GET /cases', path: () => '/cases', allowed: RECORDS_READ },
    { route: 'GET /cases/export.csv', path: () => '/cases/export.csv', allowed: RECORDS_READ },
    { route: 'GET /cases/:id', path: (fx) => `/cases/${fx.caseId}`, allowed: RECORDS_READ },
    { route: 'GET /cases/:id/timeline', path: (fx) => `/cases/${fx.caseId}/timeline`, allowed: RECORDS_READ },
    { route: 'GET /cases/:id/eido', path: (fx) => `/cases/${fx.caseId}/eido`, allowed: RECORDS_READ },
    { route: 'POST /cases/:id/narratives', path: (fx) => `/cases/${fx.caseId}/narratives`, body: () => ({ text: 'unit on scene, parties spoken to' }), allowed: RECORDS_WRITE, ok: 201, fresh: freshCase, pools: { cases: 1 } },
    { route: 'POST /cases/:id/parties', path: (fx) => `/cases/${fx.caseId}/parties`, body: () => ({ role: 'witness', name: 'Role Matrix' }), allowed: RECORDS_WRITE, ok: 201, fresh: freshCase, pools: { cases: 1 } },
    { route: 'POST /cases/:id/disposition', path: (fx) => `/cases/${fx.caseId}/disposition`, body: () => DISPOSITION, allowed: RECORDS_WRITE, fresh: freshCase, pools: { cases: 1 } },
    {
      route: 'POST /cases/:id/close',
      path: (fx) => `/cases/${fx.caseId}/close`,
      body: () => ({}),
      allowed: RECORDS_WRITE,
      // closing needs a disposition
      fresh: async (api) => {
        const caseId = await api.openCase();
        await api.admin('records', 'POST', `/cases/${caseId}/disposition`, DISPOSITION);
        return { caseId };
      },
      pools: { cases: 1 },
    },
    {
      route: 'POST /cases/:id/reopen',
      path: (fx) => `/cases/${fx.caseId}/reopen`,
      body: () => ({ reason: 'new evidence' }),
      allowed: ['supervisor'],
      // only a closed case can be reopened
      fresh: async (api) => {
        const caseId = await api.openCase();
        await api.admin('records', 'POST', `/cases/${caseId}/disposition`, DISPOSITION);
        await api.admin('records', 'POST', `/cases/${caseId}/close`, {});
        return { caseId };
      },
      pools: { cases: 1 },
    },
  ],
  statistics: [
    ...figureCases,
    { route: 'POST /stats/admin/rebuild', path: () => '/stats/admin/rebuild', body: () => ({}), allowed: ['ops'] },
  ],
  console: [
    { route: 'GET /auth/me', path: () => '/auth/me', allowed: ALL },
    { route: 'GET /api/live', path: () => '/api/live', allowed: ALL, stream: true },
    { route: 'GET /api/console/taxonomy', path: () => '/api/console/taxonomy', allowed: ALL },
    { route: 'GET /api/console/map', path: () => '/api/console/map', allowed: ALL },
    { route: 'GET /api/console/config', path: () => '/api/console/config', allowed: ALL },
    { route: 'GET /api/intake/metrics', path: () => '/api/intake/metrics', allowed: METRICS },
    { route: 'GET /api/dispatch/metrics', path: () => '/api/dispatch/metrics', allowed: METRICS },
    { route: 'GET /api/records/metrics', path: () => '/api/records/metrics', allowed: METRICS },
    { route: 'GET /api/statistics/metrics', path: () => '/api/statistics/metrics', allowed: METRICS },
  ],
};

/** Body of POST /units for a unit `id` in `district`: a car on a 24 h shift at the default duty level. */
export function unitBody(id: string, district: string) {
  return {
    id,
    callSign: `${id}-CS`,
    type: 'station-car',
    district,
    homeStation: `${district} station`,
    geometry: { type: 'Point', coordinates: [-93.266, 44.978] },
    crewSize: 2,
  };
}

const BASE: PublicRoute[] = [
  { route: 'GET /healthz', path: '/healthz', ok: 200, gateway: true, why: 'liveness probe' },
  { route: 'GET /readyz', path: '/readyz', ok: 200, gateway: true, why: 'readiness probe' },
  // through the gateway /api/<service>/metrics needs a role: see ROUTES.console
  { route: 'GET /metrics', path: '/metrics', ok: 200, why: 'Prometheus scrape on the service port' },
];

const OPENAPI: PublicRoute = { route: 'GET /openapi.json', path: '/openapi.json', ok: 200, gateway: true, why: "the service's API document, built from its route table (libs/http/README.md)" };

/**
 * Routes that need no token, by design (README "Sign-in and roles"): probes, metrics,
 * each service's OpenAPI document, sign-in and the SPA. The spec asks each without a token.
 */
export const PUBLIC: Record<Target, PublicRoute[]> = {
  intake: [...BASE, OPENAPI],
  // dispatch serves /openapi.json once its routes are a route table (issue 12, after the dispatch slices)
  dispatch: BASE,
  records: [...BASE, OPENAPI],
  statistics: [...BASE, OPENAPI],
  console: [
    ...BASE,
    { ...OPENAPI, gateway: false },
    { route: 'POST /auth/login', path: '/auth/login', body: ({ demoPassword }) => ({ username: 'calltaker', password: demoPassword }), ok: 200, why: 'sign-in' },
    // 200 with the production build, 503 problem+json when it has not been built
    { route: 'GET /^\\/(?!api\\/|auth\\/|healthz$|readyz$|metrics$).*/', path: '/dispatcher', accept: 'text/html', ok: [200, 503], why: 'the SPA (index.html for client routes)' },
  ],
};
