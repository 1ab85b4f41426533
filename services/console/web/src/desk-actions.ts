/**
 * The dispatcher desk's commands, each one request to dispatch through the console gateway
 * (`/api/dispatch/...`). Dispatch records each as an event with the signed-in actor and the
 * workstation of the token; refusals come back as `ApiError` with dispatch's problem `code`
 * (translated by the UI as `problem.<code>`).
 */
import { ApiError, get, post } from './api';

const inc = (id: string) => `/api/dispatch/incidents/${encodeURIComponent(id)}`;

/** POST /incidents/{id}/assignments `{unitId, reassign?}` — dispatch (出警) or, with `reassign`, take a busy unit (改派). 201. */
export const assignUnit = (incidentId: string, unitId: string, reassign = false) => post(`${inc(incidentId)}/assignments`, reassign ? { unitId, reassign: true } : { unitId });

/** POST /units/{unitId}/status `{status, incidentId?}` — a unit's status report. 200. */
export const setUnitStatus = (unitId: string, status: string, incidentId?: string) => post(`/api/dispatch/units/${encodeURIComponent(unitId)}/status`, { status, ...(incidentId ? { incidentId } : {}) });

/** POST /incidents/{id}/cancel `{reason}` — IncidentCancelled (units still on it are cleared). `reason` is a code (`disposition.*`). */
export const cancelIncident = (incidentId: string, reason: string) => post(`${inc(incidentId)}/cancel`, { reason });

/** POST /incidents/{id}/close `{disposition, note?}` — close without a unit with a disposition code (e.g. resolved-by-phone 电话处置). 409 while units work it. */
export const closeIncident = (incidentId: string, disposition: string, note?: string) => post(`${inc(incidentId)}/close`, { disposition, ...(note ? { note } : {}) });

/** POST /incidents/{id}/notes `{text}` — a note appended to the incident's narrative. */
export const addNote = (incidentId: string, text: string) => post(`${inc(incidentId)}/notes`, { text });

/** POST /incidents/{id}/priority `{priority, reason}` — priority changed (1 most urgent … 4). */
export const changePriority = (incidentId: string, priority: number, reason: string) => post(`${inc(incidentId)}/priority`, { priority, reason });

/** POST /incidents/{id}/link `{duplicateOf}` — the incident is a duplicate of another (linked, not dispatched twice). */
export const linkDuplicate = (incidentId: string, duplicateOf: string) => post(`${inc(incidentId)}/link`, { duplicateOf });

/** POST /alerts/{id}/acknowledge — the dispatcher acknowledged an overdue-unit alert. */
export const acknowledgeAlert = (alertId: string) => post(`/api/dispatch/alerts/${encodeURIComponent(alertId)}/acknowledge`, {});

/** A recommendation list as `GET /incidents/{id}/recommendations` answers it (computed now from the live unit registry). */
export interface LiveRecs<R> {
  incidentId: string;
  asOf: string;
  status: string;
  recommendations: R[];
  runCard?: { id: string; name: string; needs: { count: number; label?: string }[]; unmet: { need: number; missing: number }[] } | null;
  /** why the incident's location gives no ETA and what the ranking used instead (a reason code) */
  locationReason?: { code: string; params?: Record<string, string | number> };
}

/** GET /incidents/{id}/recommendations?alternates=n — recomputed now (read-only). */
export const fetchRecs = <R>(incidentId: string, alternates = 3) => get<LiveRecs<R>>(`${inc(incidentId)}/recommendations?alternates=${alternates}`);

/** Any thrown value as an ApiError (network errors have status 0). */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'Error', String(err));
}

/** Whether a refused assignment means the unit is no longer what the recommendation said (a stale recommendation). */
export function isStaleRefusal(e: ApiError): boolean {
  return e.status === 409 || e.status === 412;
}
