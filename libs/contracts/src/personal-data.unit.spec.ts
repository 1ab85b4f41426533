import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { eventRegistry } from './index';
import { CASE_FILE_TEXT_FIELDS, copyAlongPaths, PERSONAL_FIELDS, REDACTED, SEALED_FIELDS, redactPersonalData, retentionMsOfDays } from './personal-data';

/** The zod schema at `path` inside an object schema (through optional wrappers), or undefined. */
function schemaAt(schema: z.ZodType, path: readonly string[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (const key of path) {
    while (s && 'unwrap' in s && typeof (s as { unwrap?: unknown }).unwrap === 'function' && !('shape' in s)) s = (s as unknown as { unwrap: () => z.ZodType }).unwrap();
    s = s && 'shape' in s ? ((s as unknown as { shape: Record<string, z.ZodType> }).shape[key]) : undefined;
  }
  return s;
}

describe('PERSONAL_FIELDS and SEALED_FIELDS', () => {
  it('names only registered event types and fields their schemas have', () => {
    const wrong: string[] = [];
    for (const [type, paths] of Object.entries(SEALED_FIELDS)) {
      const def = eventRegistry.get(type);
      if (!def) wrong.push(`${type}: not a registered event type`);
      else for (const p of paths) if (!schemaAt(def.schema, p)) wrong.push(`${type}: no field ${p.join('.')}`);
    }
    expect(wrong).toEqual([]);
  });

  it('seals the personal fields and the case file text published on cases.v1, and sweeps only the personal ones', () => {
    expect(SEALED_FIELDS).toEqual({ ...PERSONAL_FIELDS, ...CASE_FILE_TEXT_FIELDS });
    expect(Object.keys(CASE_FILE_TEXT_FIELDS).map((t) => eventRegistry.get(t)?.topic)).toEqual(['cases', 'cases']);
    expect(Object.keys(CASE_FILE_TEXT_FIELDS).filter((t) => t in PERSONAL_FIELDS)).toEqual([]);
  });

  it('redacts strings to the marker and removes arrays; the result still satisfies the schema', () => {
    const callId = randomUUID();
    const narrative = { callId, text: 'caller says 8 Hongqi Rd', sopAnswers: [{ index: 0, question: 'armed?', answer: 'a knife' }] };
    const redacted = redactPersonalData('CallNarrativeAppended', narrative);
    expect(redacted).toEqual({ callId, text: REDACTED });
    expect(narrative.text).toBe('caller says 8 Hongqi Rd');
    expect(eventRegistry.get('CallNarrativeAppended')!.schema.safeParse(redacted).success).toBe(true);

    const handed = { callId, location: { address: '8 Hongqi Rd', lat: 39.9, lon: 116.4, district: 'dongcheng' } };
    expect(redactPersonalData('CallHandedToDispatch', handed)).toEqual({ callId, location: { address: REDACTED, lat: 39.9, lon: 116.4, district: 'dongcheng' } });
    expect(redactPersonalData('CallerRecorded', { callId, callerNumber: '13912345678', callerName: 'Li' })).toEqual({ callId, callerNumber: REDACTED, callerName: REDACTED });
    // types without personal fields pass through unchanged
    const received = { callId, channel: '110' };
    expect(redactPersonalData('CallReceived', received)).toBe(received);
  });

  it('turns days into whole milliseconds', () => {
    expect(retentionMsOfDays(180)).toBe(15_552_000_000);
    expect(retentionMsOfDays(90 / 86_400)).toBe(90_000);
  });
});

describe('copyAlongPaths', () => {
  it('copies the objects on the paths, so changing the copy’s fields there leaves the input as it was; the rest is shared', () => {
    const input = { callId: 'c1', location: { address: 'Am Markt 3', point: { lat: 31.2, lon: 121.4 } }, answers: [{ a: 1 }], note: 'n' };
    const before = structuredClone(input);
    const out = copyAlongPaths(input, [['location', 'address'], ['location', 'district'], ['note'], ['missing', 'x']]);
    (out.location as Record<string, unknown>).address = REDACTED;
    delete (out.location as Record<string, unknown>).district;
    delete out.note;
    expect(input).toEqual(before);
    expect(out).toEqual({ callId: 'c1', location: { address: REDACTED, point: { lat: 31.2, lon: 121.4 } }, answers: [{ a: 1 }] });
    expect(out.location).not.toBe(input.location);
    expect((out.location as { point: unknown }).point).toBe(input.location.point);
    expect(out.answers).toBe(input.answers);
  });

  it('redactPersonalData leaves its input unchanged (nested path)', () => {
    const input = { callId: 'c1', location: { address: 'Am Markt 3', district: 'D1' } };
    expect(redactPersonalData('IncidentOpened', input)).toEqual({ callId: 'c1', location: { address: REDACTED, district: 'D1' } });
    expect(input.location.address).toBe('Am Markt 3');
  });
});
