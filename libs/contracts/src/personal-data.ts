/**
 * Personal data in events (issue 19 item 6): which fields of which event types identify or
 * describe a person, so that each service can make its stored copies unreadable once the
 * retention period (`CAD110_PERSONAL_DATA_RETENTION_DAYS`) has passed. Kafka needs no list: the
 * topics' `retention.ms` deletes whole messages (README "Personal data").
 *
 * A field is a JSON path inside the event's `data`. Redaction replaces a string with
 * {@link REDACTED} (so required fields still satisfy their schema and a reader shows that
 * something was there) and removes any other value (arrays such as the SOP answers). Free-text
 * fields that a call taker or dispatcher types are listed too: they routinely hold names,
 * addresses and phone numbers.
 */

/** The value a redacted string field holds. */
export const REDACTED = '[redacted]';

/** Paths (inside `data`) of the personal fields, by event type. Types not listed carry none. */
export const PERSONAL_FIELDS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  // intake: the caller's number and name (the Kafka copy has only the masked number)
  CallerRecorded: [['callerNumber'], ['callerNumberMasked'], ['callerName']],
  CallLocated: [['address']],
  CallNarrativeAppended: [['text'], ['sopAnswers']],
  CallHandedToDispatch: [['location', 'address']],
  CallCancelled: [['note']],
  // dispatch: its copy of the address and the dispatchers' free text
  IncidentOpened: [['location', 'address']],
  IncidentNoteAdded: [['text']],
  IncidentClosed: [['note']],
};

/**
 * Free text of the case file that records publishes on `cases.v1` and no reader of that topic
 * needs (statistics counts codes and numbers; the console forwards ids): sealed on Kafka like the
 * personal fields (libs/kafka `sealing.ts`), but not swept — the case file keeps it past the
 * retention period (README "Personal data": case files are outside the sweep).
 */
export const CASE_FILE_TEXT_FIELDS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  CaseNarrativeAdded: [['text']],
  DispositionRecorded: [['note']],
};

/** Every field sealed on Kafka: {@link PERSONAL_FIELDS} and {@link CASE_FILE_TEXT_FIELDS}. */
export const SEALED_FIELDS: Readonly<Record<string, readonly (readonly string[])[]>> = { ...PERSONAL_FIELDS, ...CASE_FILE_TEXT_FIELDS };

/** Event types with personal fields (keys of {@link PERSONAL_FIELDS}). */
export const PERSONAL_EVENT_TYPES = Object.keys(PERSONAL_FIELDS);

/** Days → milliseconds, rounded to whole milliseconds (Kafka's `retention.ms`). */
export function retentionMsOfDays(days: number): number {
  return Math.round(days * 86_400_000);
}

/**
 * A copy of `data` in which every object on the way to a field of `paths` is copied (shallow), so
 * that setting or deleting those fields in the copy leaves `data` unchanged; everything else is
 * shared with `data`. Cheaper than a deep clone (`structuredClone`, 0.7–0.8 % of each consumer's
 * CPU in `npm run bench -- --quick --profile`) for the one or two fields an event type has.
 * @param data a plain JSON object (not an array); paths of object keys, as {@link PERSONAL_FIELDS}
 */
export function copyAlongPaths(data: Record<string, unknown>, paths: readonly (readonly string[])[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data };
  for (const path of paths) {
    let node = out;
    for (const key of path.slice(0, -1)) {
      const child = node[key];
      if (typeof child !== 'object' || child === null) break;
      // a second path through the same object copies the (already private) copy again: harmless
      const copy = (Array.isArray(child) ? child.slice() : { ...child }) as Record<string, unknown>;
      node[key] = copy;
      node = copy;
    }
  }
  return out;
}

/**
 * `data` with every personal field of its event type redacted (a copy; `data` is not changed).
 * The same rule as the SQL of libs/eventstore `redactPersonalFields`, for code that redacts in memory.
 */
export function redactPersonalData(type: string, data: unknown): unknown {
  const paths = PERSONAL_FIELDS[type];
  if (!paths || data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const out = copyAlongPaths(data as Record<string, unknown>, paths);
  for (const path of paths) {
    let node: Record<string, unknown> | undefined = out;
    for (const key of path.slice(0, -1)) node = node && typeof node[key] === 'object' && node[key] !== null ? (node[key] as Record<string, unknown>) : undefined;
    const last = path[path.length - 1]!;
    if (!node || !(last in node)) continue;
    if (typeof node[last] === 'string') node[last] = REDACTED;
    else delete node[last];
  }
  return out;
}
