/**
 * How to ask every HTTP route of every service: the request (path, body, headers, fixtures) and
 * the status a successful answer has. WHO may ask is not written here: the roles of each route
 * are its service's route table (libs/http `serveRoutes`, the `roles` of each `RouteSpec`; `admin`
 * may use everything), read from the service's own express app (`builtApp`). The spec
 * (role-matrix.e2e.spec.ts) asks each route without a token (→ 401), with a forged token (→ 401),
 * with an expired one (→ 401), with every role the table does not allow (→ 403) and with every
 * role it allows (→ `ok`, default 200), directly and — for the four services — through the
 * console's gateway (`/api/<service>/...`). Routes without roles are public: listed in
 * {@link PUBLIC} and asked without a token; only probes, metrics, the OpenAPI document, sign-in
 * and the SPA may be public ({@link MAY_BE_PUBLIC}).
 *
 * `route` is the route exactly as the service registers it with express (`METHOD /path/:param`).
 * The specs fail when a route of a table has no request here, or a request names a route no
 * table has — so a new route cannot escape the matrix.
 *
 * Write routes get a fixture of their own for every allowed request (`fresh`: a new call,
 * incident, case, unit or district in the state the command needs), so each allowed role's
 * request must succeed on its own (2xx; a 409 is a failure), independent of the others' effects.
 * Denied requests and requests without a valid token use the shared fixtures: they must be
 * refused before the handler runs.
 *
 * To add a route: declare it (with its roles) in the service's route table, add one request line
 * here (and a `fresh` fixture if it writes).
 */
import { randomUUID } from 'node:crypto';

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
  /** the incident a fresh one is linked to as its duplicate (POST /incidents/:id/link: the shared incident) */
  duplicateOfIncidentId?: string;
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
  /** status an allowed role gets (default 200) */
  ok?: number;
  /** a server-sent-events stream: only the status line is read */
  stream?: boolean;
  /** fixtures of its own for each allowed request (write routes), merged over the shared ones */
  fresh?: (api: FixtureApi, shared: Fixtures) => Promise<Partial<Fixtures>>;
  /** what `fresh` takes from the pre-made pools per allowed request (so they are made in one batch) */
  pools?: { incidents?: number; cases?: number };
}

/** A public route (no roles in its table), with the status it answers without a token. */
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
  fresh: freshCall(opts),
});

const freshIncident = async (api: FixtureApi) => ({ incidentId: await api.pendingIncident() });
const freshUnit = async (api: FixtureApi) => ({ unitId: await api.newUnit() });
const freshCase = async (api: FixtureApi) => ({ caseId: await api.openCase() });
const DISPOSITION = { codes: ['advice-given'], note: 'role matrix' };

/**
 * One overdue alert for the acknowledge row (its id travels in the callId slot of the fixtures): a
 * new unit dispatched to a pending incident, not en route, alerted by dispatch's timer after
 * 60 s. Made once: acknowledging is idempotent, so every allowed request gets 200 on the same one.
 */
let overdueAlert: Promise<string> | undefined;
const freshAlert = async (api: FixtureApi) => {
  overdueAlert ??= (async () => {
    const unitId = await api.newUnit();
    await api.admin('dispatch', 'POST', `/incidents/${await api.pendingIncident()}/assignments`, { unitId });
    for (const deadline = Date.now() + 150_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
      const alert = ((await api.admin('dispatch', 'GET', '/alerts?limit=500')) as { items: { id: string; unitId: string }[] }).items.find((a) => a.unitId === unitId);
      if (alert) return alert.id;
    }
    throw new Error(`no overdue alert for ${unitId} within 150 s`);
  })();
  return { callId: await overdueAlert };
};

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
  { route: `GET ${path}` as const, path: () => `${path}${query ? `?${query}` : ''}` },
  { route: `GET ${path}` as const, path: () => `${path}?${query ? `${query}&` : ''}format=csv` },
]);

export const ROUTES: Record<Target, RouteCase[]> = {
  intake: [
    { route: 'POST /calls', path: () => '/calls', body: () => CALL_BODY, ok: 201 },
    // a batch of one call, a new Idempotency-Key each time (200 overall; the item's own status is POST /calls')
    { route: 'POST /calls/batch', path: () => '/calls/batch', body: () => ({ items: [{ idempotencyKey: randomUUID(), call: CALL_BODY }] }) },
    { route: 'GET /calls', path: () => '/calls' },
    { route: 'GET /calls/:id', path: (fx) => `/calls/${fx.callId}` },
    { route: 'GET /calls/:id', path: (fx) => `/calls/${fx.callId}?reveal=caller` },
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
    { route: 'GET /calls/:id/duplicates', path: (fx) => `/calls/${fx.callId}/duplicates` },
    { route: 'POST /duplicates/search', path: () => '/duplicates/search', body: () => ({ lat: 44.9778, lon: -93.265, subtype: 'snatching' }) },
    { route: 'GET /taxonomy', path: () => '/taxonomy' },
    // the audit of caller-number reveals (issue 19.5)
    { route: 'GET /audit/reveals', path: () => '/audit/reveals?limit=5' },
    // the call-taker desk (issue 16)
    { route: 'GET /gazetteer', path: () => `/gazetteer?q=${encodeURIComponent('人民大道')}` },
    { route: 'POST /history/search', path: () => '/history/search', body: () => ({ callerNumber: '13800001234', lat: 44.9778, lon: -93.265 }) },
    { route: 'GET /flags', path: () => '/flags' },
    { route: 'POST /flags', path: () => '/flags', body: () => ({ kind: 'location', label: 'role matrix hazard', lat: 44.9778, lon: -93.265 }), ok: 201 },
    {
      route: 'POST /flags/:id/retire',
      path: (fx) => `/flags/${fx.callId}/retire`,
      body: () => ({ reason: 'role matrix' }),
      // a flag of its own (its id travels in the callId slot of the fixtures)
      fresh: async (api) => ({ callId: ((await api.admin('intake', 'POST', '/flags', { kind: 'person', label: 'role matrix person', number: '13800001234' })) as { flagId: string }).flagId }),
    },
    { route: 'POST /telephony/ringing', path: () => '/telephony/ringing', body: () => ({ number: '13800001234', lat: 44.9778, lon: -93.265, uncertaintyMetres: 50 }), ok: 201 },
    { route: 'GET /telephony/ringing', path: () => '/telephony/ringing' },
    {
      route: 'POST /telephony/ringing/:id/answer',
      path: (fx) => `/telephony/ringing/${fx.callId}/answer`,
      body: () => ({}),
      // a ring of its own (its id travels in the callId slot of the fixtures)
      fresh: async (api) => ({ callId: ((await api.admin('intake', 'POST', '/telephony/ringing', { number: '13800001234' })) as { ringId: string }).ringId }),
    },
  ],
  dispatch: [
    { route: 'GET /incidents', path: () => '/incidents' },
    { route: 'GET /incidents/queue', path: () => '/incidents/queue' },
    { route: 'GET /incidents/:id', path: (fx) => `/incidents/${fx.incidentId}` },
    { route: 'GET /incidents/:id/recommendations', path: (fx) => `/incidents/${fx.incidentId}/recommendations` },
    {
      route: 'POST /incidents/:id/assignments',
      path: (fx) => `/incidents/${fx.incidentId}/assignments`,
      body: (fx) => ({ unitId: fx.unitId }),
      ok: 201,
      fresh: async (api) => ({ incidentId: await api.pendingIncident(), unitId: await api.newUnit() }),
      pools: { incidents: 1 },
    },
    // a batch of one dispatch command: the unit goes out of service (200 overall; the item's own status is the route's)
    { route: 'POST /commands/batch', path: () => '/commands/batch', body: (fx) => ({ commands: [{ type: 'changeUnitStatus', unitId: fx.unitId, status: 'out-of-service' }] }), fresh: freshUnit },
    { route: 'POST /incidents/:id/cancel', path: (fx) => `/incidents/${fx.incidentId}/cancel`, body: () => ({ reason: 'caller called back: no help needed' }), fresh: freshIncident, pools: { incidents: 1 } },
    { route: 'POST /incidents/:id/close', path: (fx) => `/incidents/${fx.incidentId}/close`, body: () => ({ disposition: 'resolved-by-phone', note: 'role matrix' }), fresh: freshIncident, pools: { incidents: 1 } },
    { route: 'POST /incidents/:id/notes', path: (fx) => `/incidents/${fx.incidentId}/notes`, body: () => ({ text: 'caller called back: suspect left northbound' }), fresh: freshIncident, pools: { incidents: 1 } },
    // the fixture calls are snatching (priority 1): 3 is always a change
    {
      route: 'POST /incidents/:id/link',
      path: (fx) => `/incidents/${fx.incidentId}/link`,
      body: (fx) => ({ duplicateOf: fx.duplicateOfIncidentId, reason: 'same snatching, second caller' }),
      fresh: async (api, shared) => ({ incidentId: await api.pendingIncident(), duplicateOfIncidentId: shared.incidentId }),
      pools: { incidents: 1 },
    },
    { route: 'POST /incidents/:id/priority', path: (fx) => `/incidents/${fx.incidentId}/priority`, body: () => ({ priority: 3, reason: 'suspect gone, nobody hurt' }), fresh: freshIncident, pools: { incidents: 1 } },
    { route: 'GET /units', path: () => '/units' },
    { route: 'GET /units/:unitId', path: (fx) => `/units/${fx.unitId}` },
    {
      route: 'POST /units',
      path: () => '/units',
      body: (fx) => unitBody(fx.unitId, fx.district),
      ok: 201,
      fresh: async (api) => ({ unitId: api.unique('RM-REG') }),
    },
    { route: 'POST /units/:unitId/status', path: (fx) => `/units/${fx.unitId}/status`, body: () => ({ status: 'out-of-service' }), fresh: freshUnit },
    { route: 'POST /units/:unitId/position', path: (fx) => `/units/${fx.unitId}/position`, body: () => ({ lat: 44.979, lon: -93.266 }), fresh: freshUnit },
    { route: 'GET /roster', path: () => '/roster' },
    { route: 'PUT /units/:unitId/service', path: (fx) => `/units/${fx.unitId}/service`, body: () => ({ inService: false, reason: 'training' }), fresh: freshUnit },
    { route: 'PUT /units/:unitId/shift', path: (fx) => `/units/${fx.unitId}/shift`, body: () => ({ name: 'day', start: '08:00', end: '20:00' }), fresh: freshUnit },
    { route: 'PUT /units/:unitId/crew', path: (fx) => `/units/${fx.unitId}/crew`, body: () => ({ crewSize: 2, officers: ['王警官'] }), fresh: freshUnit },
    { route: 'GET /alerts', path: () => '/alerts' },
    { route: 'POST /alerts/:id/acknowledge', path: (fx) => `/alerts/${/^\d+$/.test(fx.callId) ? fx.callId : '1'}/acknowledge`, body: () => ({}), fresh: freshAlert },
    { route: 'GET /duty-levels', path: () => '/duty-levels' },
    {
      route: 'PUT /duty-levels/:district',
      path: (fx) => `/duty-levels/${encodeURIComponent(fx.district)}`,
      body: () => ({ level: 'reinforced', reason: 'role matrix' }),
      // a district of its own (known to dispatch through its one unit), still at the default level
      fresh: async (api) => {
        const district = api.unique('RM District');
        await api.newUnit(district);
        return { district };
      },
    },
    { route: 'GET /map', path: () => '/map' },
    { route: 'GET /run-cards', path: () => '/run-cards' },
    { route: 'GET /eta-model', path: () => '/eta-model' },
  ],
  records: [
    { route: 'GET /cases', path: () => '/cases' },
    { route: 'GET /cases/export.csv', path: () => '/cases/export.csv' },
    { route: 'GET /cases/:id', path: (fx) => `/cases/${fx.caseId}` },
    { route: 'GET /cases/:id/timeline', path: (fx) => `/cases/${fx.caseId}/timeline` },
    { route: 'GET /cases/:id/eido', path: (fx) => `/cases/${fx.caseId}/eido` },
    {
      route: 'POST /cases/dispositions',
      path: () => '/cases/dispositions',
      // one item on a case of its own, recorded and closed (200 with the item's 200)
      body: (fx) => ({ items: [{ callId: fx.callId, ...DISPOSITION, close: true }] }),
      fresh: async (api) => {
        const caseId = await api.openCase();
        const { callId } = (await api.admin('records', 'GET', `/cases/${caseId}`)) as { callId: string };
        return { caseId, callId };
      },
      pools: { cases: 1 },
    },
    { route: 'POST /cases/:id/narratives', path: (fx) => `/cases/${fx.caseId}/narratives`, body: () => ({ text: 'unit on scene, parties spoken to' }), ok: 201, fresh: freshCase, pools: { cases: 1 } },
    { route: 'POST /cases/:id/parties', path: (fx) => `/cases/${fx.caseId}/parties`, body: () => ({ role: 'witness', name: 'Role Matrix' }), ok: 201, fresh: freshCase, pools: { cases: 1 } },
    { route: 'POST /cases/:id/disposition', path: (fx) => `/cases/${fx.caseId}/disposition`, body: () => DISPOSITION, fresh: freshCase, pools: { cases: 1 } },
    {
      route: 'POST /cases/:id/close',
      path: (fx) => `/cases/${fx.caseId}/close`,
      body: () => ({}),
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
    { route: 'POST /stats/admin/rebuild', path: () => '/stats/admin/rebuild', body: () => ({}) },
  ],
  console: [
    { route: 'GET /auth/me', path: () => '/auth/me' },
    { route: 'POST /auth/logout', path: () => '/auth/logout', ok: 204 },
    // starting an enrolment (no code) is 200 every time for a user without a confirmed factor
    { route: 'POST /auth/totp/enrolment', path: () => '/auth/totp/enrolment', body: () => ({}) },
    { route: 'GET /api/audit', path: () => '/api/audit?limit=5' },
    { route: 'GET /api/auth/sessions', path: () => '/api/auth/sessions' },
    // the demo user `ops` (seeded by the stack): revoking its sessions (none or some) is 200 every time
    { route: 'POST /api/auth/users/:username/revoke-sessions', path: () => '/api/auth/users/ops/revoke-sessions', body: () => ({}) },
    { route: 'GET /api/live', path: () => '/api/live', stream: true },
    { route: 'GET /api/console/taxonomy', path: () => '/api/console/taxonomy' },
    { route: 'GET /api/console/map', path: () => '/api/console/map' },
    { route: 'GET /api/console/config', path: () => '/api/console/config' },
    { route: 'GET /api/intake/metrics', path: () => '/api/intake/metrics' },
    { route: 'GET /api/dispatch/metrics', path: () => '/api/dispatch/metrics' },
    { route: 'GET /api/records/metrics', path: () => '/api/records/metrics' },
    { route: 'GET /api/statistics/metrics', path: () => '/api/statistics/metrics' },
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
 * How to ask the public routes (those without roles in their table; README "Sign-in and roles"):
 * probes, metrics, each service's OpenAPI document, sign-in and the SPA. The spec asks each
 * without a token.
 */
export const PUBLIC: Record<Target, PublicRoute[]> = {
  intake: [...BASE, OPENAPI],
  dispatch: [...BASE, OPENAPI],
  records: [...BASE, OPENAPI],
  statistics: [...BASE, OPENAPI],
  console: [
    ...BASE,
    { ...OPENAPI, gateway: false },
    { route: 'POST /auth/login', path: '/auth/login', body: ({ demoPassword }) => ({ username: 'calltaker', password: demoPassword }), ok: 200, why: 'sign-in' },
    { route: 'POST /auth/refresh', path: '/auth/refresh', body: () => ({ refreshToken: 'unknown.session' }), ok: 401, why: 'the refresh token is the credential (401 for an unknown session)' },
    // 200 with the production build, 503 problem+json when it has not been built
    { route: 'GET /^\\/(?!api\\/|auth\\/|healthz$|readyz$|metrics$).*/', path: '/dispatcher', accept: 'text/html', ok: [200, 503], why: 'the SPA (index.html for client routes)' },
  ],
};

/**
 * The only routes a route table may leave without roles (public by design): probes, metrics, the
 * OpenAPI document, sign-in and the console's SPA. A table that leaves any other route public
 * fails the specs.
 */
export const MAY_BE_PUBLIC: readonly string[] = ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json', 'POST /auth/login', 'POST /auth/refresh'];

/** Whether `route` (`METHOD /path`) may be public: {@link MAY_BE_PUBLIC} or the console's SPA (a RegExp route). */
export const mayBePublic = (target: Target, route: string): boolean => MAY_BE_PUBLIC.includes(route) || (target === 'console' && route.startsWith('GET /^'));
