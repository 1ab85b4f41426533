import { EventEnvelopeSchema, type PublicEvent } from '@cad110/contracts';

export type { PublicEvent };

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const CODE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function pick(value: unknown, re: RegExp, max = 64): string | undefined {
  return typeof value === 'string' && value.length <= max && re.test(value) ? value : undefined;
}

function compact<T extends object>(o: T): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length ? (Object.fromEntries(entries) as T) : undefined;
}

/**
 * Projects a Kafka message value (an event envelope as JSON text) onto its {@link PublicEvent}.
 * Works for every event type, including types added later (it reads the envelope and known field
 * names, not the per-type schemas).
 * @returns undefined when the value is not a valid envelope
 */
export function toPublicEvent(value: Buffer | string | null): PublicEvent | undefined {
  if (value === null) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString());
  } catch {
    return undefined;
  }
  const env = EventEnvelopeSchema.safeParse(raw);
  if (!env.success) return undefined;
  const e = env.data;
  const d = (typeof e.data === 'object' && e.data !== null ? e.data : {}) as Record<string, unknown>;
  const location = (typeof d.location === 'object' && d.location !== null ? d.location : {}) as Record<string, unknown>;
  const ids = compact({
    callId: pick(d.callId, ID),
    incidentId: pick(d.incidentId, ID),
    unitId: pick(d.unitId, ID),
    caseId: pick(d.caseId, ID),
    caseNumber: pick(d.caseNumber, ID, 32),
  }) ?? {};
  const priority = typeof d.priority === 'number' && Number.isInteger(d.priority) && d.priority >= 1 && d.priority <= 4 ? d.priority : undefined;
  const classification = compact({ kind: pick(d.kind, CODE), category: pick(d.category, CODE), subtype: pick(d.subtype, CODE), priority });
  const isStatusChange = /StatusChanged$|LevelChanged$/.test(e.type);
  const status = isStatusChange ? compact({ from: pick(d.from, CODE, 32), to: pick(d.to, CODE, 32) }) : undefined;
  const districtRaw = d.district ?? location.district;
  const district = typeof districtRaw === 'string' && districtRaw.length <= 64 ? districtRaw : undefined;
  const outsideServiceArea = d.outsideServiceArea === true || location.outsideServiceArea === true;
  return {
    eventId: e.eventId,
    type: e.type,
    source: e.source,
    streamId: e.streamId,
    streamVersion: e.streamVersion,
    occurredAt: e.occurredAt,
    recordedAt: e.recordedAt,
    ids,
    ...(classification ? { classification } : {}),
    ...(status ? { status } : {}),
    ...(district !== undefined ? { district } : {}),
    ...(outsideServiceArea ? { outsideServiceArea: true as const } : {}),
  };
}
