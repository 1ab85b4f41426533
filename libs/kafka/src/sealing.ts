/**
 * Field-level encryption ("sealing") of the personal fields of published events (issue 19 item 6):
 * on Kafka, every field listed in libs/contracts `SEALED_FIELDS` (the personal fields and the case
 * file's free text) is AES-256-GCM ciphertext, so
 * only the services holding the key ring (intake, dispatch, records) can read it; statistics and
 * the console never get a key and never open anything. The services' databases keep clear values.
 *
 * Wire form of a sealed field (always a string, whatever the original type):
 * - a string value:      `sealed:v1:<kid>:<b64>`
 * - any other JSON value (e.g. `sopAnswers`, an array): `sealed:v1:<kid>:json:<b64>`
 * where `<kid>` names the key (`[A-Za-z0-9_-]{1,32}`) and `<b64>` is base64url (no padding) of
 * `iv (12 bytes) | ciphertext | tag (16 bytes)`. The plaintext is the string's UTF-8 (or the
 * value's JSON). The additional authenticated data binds the ciphertext to its place:
 * `cad110:v1|<event id>|<event type>|<field path>` — a sealed value copied into another field or
 * event does not open.
 *
 * Source: NIST SP 800-38D (GCM): 96-bit random IV per encryption (8.2.2; at most 2^32 encryptions
 * per key, so rotate keys well before that), 128-bit tag.
 *
 * Key ring (`CAD110_PERSONAL_DATA_KEYS`): comma-separated `kid:base64key` entries, each key 32
 * bytes; the first seals, every entry opens (rotation: prepend the new key, keep the old ones
 * until the messages they sealed are past Kafka's retention, then delete them — any copy of those
 * messages is then unreadable: crypto-shredding).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { copyAlongPaths, SEALED_FIELDS, REDACTED } from '@cad110/contracts';

/** Prefix of every sealed value. */
export const SEALED_PREFIX = 'sealed:v1:';

const KID = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The keys of personal-data sealing: `sealKid` seals, every key in `keys` opens. */
export interface PersonalDataKeyring {
  /** id of the key that seals (the first of the configured list) */
  readonly sealKid: string;
  /** key id → 32-byte AES-256 key */
  readonly keys: ReadonlyMap<string, Buffer>;
}

/** A key ring that does not parse, or a sealed value that does not open. Never carries key material or clear values. */
export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

/**
 * Parses `kid:base64key[,kid:base64key...]` (standard or url-safe base64 of 32 bytes).
 * @throws SealError naming the bad entry by position and kid (never the key)
 */
export function parseKeyring(text: string): PersonalDataKeyring {
  const keys = new Map<string, Buffer>();
  let sealKid = '';
  const entries = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) throw new SealError('no keys (expected kid:base64key[,kid:base64key...])');
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const kid = colon < 0 ? '' : entry.slice(0, colon);
    if (!KID.test(kid)) throw new SealError(`entry ${i + 1}: the key id must be 1-32 letters, digits, _ or - followed by ':'`);
    const b64 = entry.slice(colon + 1);
    const key = Buffer.from(b64, 'base64');
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64) || key.length !== 32) throw new SealError(`key ${kid}: must be base64 of exactly 32 bytes`);
    if (keys.has(kid)) throw new SealError(`key ${kid}: listed twice`);
    keys.set(kid, key);
    if (i === 0) sealKid = kid;
  });
  return { sealKid, keys };
}

/** A new random key ring entry `kid:base64key` (32 random bytes), e.g. for a test stack. */
export function generateKeyringEntry(kid = `k${Date.now().toString(36)}`): string {
  return `${kid}:${randomBytes(32).toString('base64')}`;
}

/** True when `v` is a sealed value (a string starting with {@link SEALED_PREFIX}). */
export function isSealed(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(SEALED_PREFIX);
}

const aadOf = (type: string, path: readonly string[], eventId: string) => Buffer.from(`cad110:v1|${eventId}|${type}|${path.join('.')}`, 'utf8');

function sealValue(value: unknown, keyring: PersonalDataKeyring, aad: Buffer): string {
  const key = keyring.keys.get(keyring.sealKid);
  if (!key) throw new SealError(`the sealing key ${keyring.sealKid} is not in the key ring`);
  const json = typeof value !== 'string';
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(json ? JSON.stringify(value) : value, 'utf8'), cipher.final()]);
  const b64 = Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url');
  return `${SEALED_PREFIX}${keyring.sealKid}:${json ? 'json:' : ''}${b64}`;
}

function openValue(sealed: string, keyring: PersonalDataKeyring, aad: Buffer, where: string): unknown {
  const parts = sealed.slice(SEALED_PREFIX.length).split(':');
  const json = parts.length === 3 && parts[1] === 'json';
  if (!(parts.length === 2 || json)) throw new SealError(`${where}: malformed sealed value`);
  const kid = parts[0]!;
  const key = keyring.keys.get(kid);
  if (!key) throw new SealError(`${where}: unknown key id ${KID.test(kid) ? kid : '(malformed)'}`);
  const raw = Buffer.from(parts.at(-1)!, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SealError(`${where}: sealed value too short`);
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  let text: string;
  try {
    text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError(`${where}: authentication failed (wrong key ${kid} or altered value)`);
  }
  if (!json) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new SealError(`${where}: sealed JSON does not parse`);
  }
}

type Visit = (node: Record<string, unknown>, last: string, path: readonly string[]) => void;

/**
 * Calls `visit` for every personal field of `type` present in a copy of `data`; returns the copy
 * (the objects on the fields' paths are copied, the rest shared: libs/contracts `copyAlongPaths`).
 */
function eachPersonalField(type: string, data: unknown, visit: Visit): unknown {
  const paths = SEALED_FIELDS[type];
  if (!paths || data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const out = copyAlongPaths(data as Record<string, unknown>, paths);
  for (const path of paths) {
    let node: Record<string, unknown> | undefined = out;
    for (const key of path.slice(0, -1)) node = node && typeof node[key] === 'object' && node[key] !== null ? (node[key] as Record<string, unknown>) : undefined;
    const last = path[path.length - 1]!;
    if (!node || node[last] === undefined || node[last] === null) continue;
    visit(node, last, path);
  }
  return out;
}

/**
 * `data` (an event's data, latest schema version) with every personal field of `type` sealed
 * (a copy; `data` is not changed). Types without personal fields, absent fields and non-personal
 * fields are returned as they are.
 * @param eventId the envelope's event id, bound into the AAD (the opener must pass the same)
 * @throws SealError when the sealing key is missing from the ring
 */
export function sealPersonalFields(type: string, data: unknown, keyring: PersonalDataKeyring, eventId = ''): unknown {
  return eachPersonalField(type, data, (node, last, path) => {
    node[last] = sealValue(node[last], keyring, aadOf(type, path, eventId));
  });
}

/**
 * `data` with every sealed personal field of `type` opened back to its clear value (a copy).
 * Clear values (messages published before sealing) pass unchanged.
 * @throws SealError `<type>.<path>: unknown key id k1` / `authentication failed ...` / malformed
 */
export function openPersonalFields(type: string, data: unknown, keyring: PersonalDataKeyring, eventId = ''): unknown {
  return eachPersonalField(type, data, (node, last, path) => {
    if (isSealed(node[last])) node[last] = openValue(node[last] as string, keyring, aadOf(type, path, eventId), `${type}.${path.join('.')}`);
  });
}

/**
 * For readers without keys (statistics, the console): `data` with every sealed personal field
 * replaced as the retention sweep redacts — a sealed string becomes `[redacted]` (REDACTED), a
 * sealed JSON value is removed — so the event validates against its schema and no ciphertext is
 * stored or shown. Nothing is decrypted.
 */
export function redactSealedFields(type: string, data: unknown): unknown {
  return eachPersonalField(type, data, (node, last) => {
    const v = node[last];
    if (!isSealed(v)) return;
    if (v.slice(SEALED_PREFIX.length).split(':')[1] === 'json') delete node[last];
    else node[last] = REDACTED;
  });
}
