import { randomUUID } from 'node:crypto';
import { ContractError, eventRegistry, PERSONAL_FIELDS, REDACTED } from '@cad110/contracts';
import { generateKeyringEntry, isSealed, openPersonalFields, parseKeyring, redactSealedFields, sealPersonalFields, SealError, SEALED_PREFIX } from './sealing';
import { parseEventMessage, sealMessageValue } from './sealed-messages';

const k1 = generateKeyringEntry('k1');
const k2 = generateKeyringEntry('k2');
const ring1 = parseKeyring(k1);
const callId = '6f1c2f0e-8a8e-4a53-9d55-0d1b8f1f6a11';
const narrative = { callId, text: 'Mrs Example at Lindenstrasse 7 says her neighbour shouts', sopAnswers: [{ index: 0, question: 'Any weapons?', answer: 'no' }] };

describe('personal-data sealing (libs/kafka sealing.ts)', () => {
  it('seals every personal field and opens it back (round trip); other fields stay clear', () => {
    const sealed = sealPersonalFields('CallNarrativeAppended', narrative, ring1, 'e1') as Record<string, unknown>;
    expect(isSealed(sealed.text)).toBe(true);
    expect(sealed.text).toMatch(/^sealed:v1:k1:[A-Za-z0-9_-]+$/);
    expect(sealed.sopAnswers).toMatch(/^sealed:v1:k1:json:[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(sealed)).not.toContain('Lindenstrasse');
    expect(sealed.callId).toBe(callId);
    expect(narrative.text).toContain('Lindenstrasse'); // the input is not changed
    expect(openPersonalFields('CallNarrativeAppended', sealed, ring1, 'e1')).toEqual(narrative);
  });

  it('seals nested paths (location.address) and leaves district and coordinates clear', () => {
    const data = { callId, location: { address: 'Hauptstrasse 1', lat: 31.2, lon: 121.4, district: 'D1' } };
    const sealed = sealPersonalFields('CallHandedToDispatch', data, ring1, 'e2') as { location: Record<string, unknown> };
    expect(isSealed(sealed.location.address)).toBe(true);
    expect(sealed.location).toMatchObject({ lat: 31.2, lon: 121.4, district: 'D1' });
    expect(openPersonalFields('CallHandedToDispatch', sealed, ring1, 'e2')).toEqual(data);
    // the input's nested object is not changed by sealing, opening or redacting its copy
    expect(data.location.address).toBe('Hauptstrasse 1');
    const opened = openPersonalFields('CallHandedToDispatch', sealed, ring1, 'e2') as { location: Record<string, unknown> };
    expect(isSealed(sealed.location.address)).toBe(true);
    expect((redactSealedFields('CallHandedToDispatch', sealed) as { location: Record<string, unknown> }).location.address).toBe(REDACTED);
    expect(isSealed(sealed.location.address)).toBe(true);
    expect(opened.location).not.toBe(sealed.location);
  });

  it('a type without personal fields, and absent fields, are unchanged', () => {
    const unit = { unitId: 'u1', status: 'available' };
    expect(sealPersonalFields('UnitStatusChanged', unit, ring1)).toBe(unit);
    expect(sealPersonalFields('CallCancelled', { callId, reason: 'duplicate' }, ring1)).toEqual({ callId, reason: 'duplicate' });
  });

  it('rotation: the first key seals, every key of the ring opens', () => {
    const old = sealPersonalFields('CallLocated', { callId, address: 'Am Markt 3' }, ring1, 'e3') as { address: string };
    const rotated = parseKeyring(`${k2},${k1}`);
    expect(rotated.sealKid).toBe('k2');
    const fresh = sealPersonalFields('CallLocated', { callId, address: 'Am Markt 3' }, rotated, 'e4') as { address: string };
    expect(fresh.address.startsWith(`${SEALED_PREFIX}k2:`)).toBe(true);
    expect(openPersonalFields('CallLocated', old, rotated, 'e3')).toEqual({ callId, address: 'Am Markt 3' });
    expect(openPersonalFields('CallLocated', fresh, rotated, 'e4')).toEqual({ callId, address: 'Am Markt 3' });
    // k1 destroyed: what it sealed no longer opens (crypto-shredding)
    expect(() => openPersonalFields('CallLocated', old, parseKeyring(k2), 'e3')).toThrow(new SealError('CallLocated.address: unknown key id k1'));
  });

  it('a wrong key, an altered value or another event id fails with a clear error', () => {
    const sealed = sealPersonalFields('CallLocated', { callId, address: 'Am Markt 3' }, ring1, 'e5') as { address: string };
    const impostor = parseKeyring(generateKeyringEntry('k1'));
    expect(() => openPersonalFields('CallLocated', sealed, impostor, 'e5')).toThrow('CallLocated.address: authentication failed (wrong key k1 or altered value)');
    // alter a character inside the base64url (each carries 6 bits of the sealed bytes; the last one
    // may carry unused padding bits, so changing it can leave the bytes as they were — a 1-in-16 flake)
    const at = sealed.address.length - 8;
    const altered = sealed.address.slice(0, at) + (sealed.address[at] === 'A' ? 'B' : 'A') + sealed.address.slice(at + 1);
    expect(() => openPersonalFields('CallLocated', { ...sealed, address: altered }, ring1, 'e5')).toThrow(/authentication failed/);
    expect(() => openPersonalFields('CallLocated', sealed, ring1, 'another-event')).toThrow(/authentication failed/);
    expect(() => openPersonalFields('CallLocated', { address: 'sealed:v1:k1' }, ring1)).toThrow('CallLocated.address: malformed sealed value');
  });

  it('the key ring is validated without echoing a key', () => {
    expect(() => parseKeyring('')).toThrow(SealError);
    expect(() => parseKeyring('k1:c2hvcnQ=')).toThrow('key k1: must be base64 of exactly 32 bytes');
    expect(() => parseKeyring(`${k1},${k1}`)).toThrow('key k1: listed twice');
    expect(() => parseKeyring('bad kid:abc')).toThrow(/entry 1/);
    try {
      parseKeyring('k1:c2hvcnQ=');
    } catch (e) {
      expect((e as Error).message).not.toContain('c2hvcnQ');
    }
  });

  it('readers without keys see [redacted] (strings) or nothing (JSON values), never ciphertext', () => {
    const sealed = sealPersonalFields('CallNarrativeAppended', narrative, ring1, 'e6');
    expect(redactSealedFields('CallNarrativeAppended', sealed)).toEqual({ callId, text: REDACTED });
    // clear values (messages from before sealing) are left alone
    expect(redactSealedFields('CallNarrativeAppended', narrative)).toEqual(narrative);
  });

  it('covers exactly the PERSONAL_FIELDS list', () => {
    expect(Object.keys(PERSONAL_FIELDS).sort()).toEqual(['CallCancelled', 'CallHandedToDispatch', 'CallLocated', 'CallNarrativeAppended', 'CallerRecorded', 'IncidentClosed', 'IncidentNoteAdded', 'IncidentOpened']);
  });
});

describe('sealed messages: relay and consumer (libs/kafka sealed-messages.ts)', () => {
  const envelope = (data: unknown, type = 'CallNarrativeAppended') =>
    JSON.stringify({
      eventId: randomUUID(),
      type,
      schemaVersion: eventRegistry.get(type)!.version,
      streamId: `call-${callId}`,
      streamVersion: 2,
      occurredAt: '2026-12-06T03:00:00.000Z',
      recordedAt: '2026-12-06T03:00:00.000Z',
      source: 'intake',
      metadata: { actor: { id: 'u1' }, correlationId: callId, causationId: null },
      data,
    });

  it('the relay seals a message value; a keyed consumer opens and validates it', () => {
    const long = { ...narrative, text: 'x'.repeat(3900) + ' Lindenstrasse' };
    const value = sealMessageValue(envelope(long), ring1);
    expect(value).not.toContain('Lindenstrasse');
    expect(value).toContain(SEALED_PREFIX);
    expect(parseEventMessage(eventRegistry, Buffer.from(value), ring1).data).toEqual(long);
  });

  it('a keyless consumer gets a valid event with [redacted] fields', () => {
    const value = sealMessageValue(envelope(narrative), ring1);
    expect(parseEventMessage(eventRegistry, value).data).toEqual({ callId, text: REDACTED });
  });

  it('a message that does not open is a ContractError with the reason (dead-lettered by the consumer)', () => {
    const value = sealMessageValue(envelope(narrative), ring1);
    expect(() => parseEventMessage(eventRegistry, value, parseKeyring(k2))).toThrow(new ContractError('personal data does not open: CallNarrativeAppended.text: unknown key id k1'));
  });

  it('a type without personal fields leaves the relay as the same string', () => {
    const v = envelope({ callId, closedAt: '2026-12-06T03:00:00.000Z' }, 'CallClosed');
    expect(sealMessageValue(v, ring1)).toBe(v);
  });
});
