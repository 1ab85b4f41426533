/**
 * Sealing at the edges of Kafka (issue 19 item 6): the outbox relay seals the personal fields of
 * each message value just before it is sent ({@link sealMessageValue}); consumers open them right
 * after parsing the JSON and before the registry upcasts and validates ({@link parseEventMessage}),
 * because a sealed value is longer than a field's `max` and a sealed array is a string.
 */
import { ContractError, SEALED_FIELDS, type EventEnvelope, type EventRegistry } from '@cad110/contracts';
import { openPersonalFields, redactSealedFields, sealPersonalFields, SealError, type PersonalDataKeyring } from './sealing';

/**
 * An outbox payload (the JSON of an event envelope) with the personal fields of its `data`
 * sealed, as JSON text. A payload whose type has no personal fields is returned unchanged (same
 * string).
 * @throws SyntaxError when `payload` is not JSON (the relay wrote it, so never in practice)
 * @throws SealError when the sealing key is missing from the ring
 */
export function sealMessageValue(payload: string, keyring: PersonalDataKeyring): string {
  const env = JSON.parse(payload) as { eventId?: unknown; type?: unknown; data?: unknown };
  if (typeof env.type !== 'string' || !SEALED_FIELDS[env.type]) return payload;
  return JSON.stringify({ ...env, data: sealPersonalFields(env.type, env.data, keyring, String(env.eventId ?? '')) });
}

/**
 * Parses a consumed message value into a validated envelope (the registry upcasts and validates
 * it), its sealed personal fields first opened with `keyring`, or, without a key ring, replaced by
 * `[redacted]` / removed (libs/kafka `redactSealedFields`: statistics and the console never open).
 * @throws ContractError for bad JSON, an invalid envelope or data, and for a sealed field that
 *   does not open (unknown key id, failed authentication) — the consumer dead-letters it with the reason
 */
export function parseEventMessage(registry: EventRegistry, raw: Buffer | string | null, keyring?: PersonalDataKeyring): EventEnvelope {
  return openEventMessage(registry, readMessageJson(raw), keyring);
}

/**
 * The first step of {@link parseEventMessage}: the message value's JSON, not yet opened or
 * validated — enough to read its `type` and skip an event a consumer does not act on before
 * paying for its opening and validation.
 * @throws ContractError when the value is not JSON
 */
export function readMessageJson(raw: Buffer | string | null): unknown {
  try {
    return JSON.parse((raw ?? '').toString());
  } catch (e) {
    throw new ContractError(`message is not JSON: ${(e as Error).message}`);
  }
}

/**
 * The second step of {@link parseEventMessage}: opens the sealed personal fields of a parsed
 * message value (or redacts them without a key ring), then upcasts and validates it.
 * @throws ContractError as {@link parseEventMessage}
 */
export function openEventMessage(registry: EventRegistry, value: unknown, keyring?: PersonalDataKeyring): EventEnvelope {
  const env = value as { eventId?: unknown; type?: unknown; data?: unknown } | null;
  if (env && typeof env === 'object' && typeof env.type === 'string' && SEALED_FIELDS[env.type]) {
    try {
      const data = keyring ? openPersonalFields(env.type, env.data, keyring, String(env.eventId ?? '')) : redactSealedFields(env.type, env.data);
      value = { ...env, data };
    } catch (e) {
      if (e instanceof SealError) throw new ContractError(`personal data does not open: ${e.message}`);
      throw e;
    }
  }
  return registry.parse(value);
}
