import type { DispositionOutcome, SourceMapping } from './mapping';

/** What a source row says about how its call ended. */
export type RowDisposition =
  | { kind: 'outcome'; outcome: DispositionOutcome; sourceCode: string; at?: string }
  /** empty, or only codes mapped to null (e.g. duplicates): nothing is recorded */
  | { kind: 'none'; sourceCode: string }
  /** a code the mapping does not know: reported, nothing recorded */
  | { kind: 'unmapped'; sourceCode: string; unknown: string[] };

function codeOf(value: string, from: 'whole' | 'before-dash'): string {
  const v = value.trim();
  return from === 'before-dash' ? v.split('-')[0]!.trim() : v;
}

/**
 * A call's disposition from its source values: the disposition value's code(s) looked up and
 * merged (codes in order without repeats; counts = the largest of the values; `unresolved`
 * dropped when another outcome is present), a cancel reason in `cancelReasons` overriding them,
 * a code the table lacks taking the table's `default` when it has one, and `at` (UTC) as given.
 * @returns undefined when the mapping has no dispositions table
 */
export function dispositionFromValues(v: { value: string; cancelReason: string; at?: string }, m: SourceMapping): RowDisposition | undefined {
  const t = m.dispositions;
  if (!t) return undefined;
  const raw = v.value.trim();
  const sourceCode = raw.slice(0, 64);
  const at = v.at;
  const cancel = v.cancelReason ? codeOf(v.cancelReason, 'before-dash') : '';
  const override = cancel ? t.cancelReasons[cancel] : undefined;
  if (override) return { kind: 'outcome', outcome: override, sourceCode: (sourceCode || cancel).slice(0, 64), ...(at ? { at } : {}) };
  if (!raw) return { kind: 'none', sourceCode };
  const values = t.separator ? raw.split(t.separator) : [raw];
  const codes = [...new Set(values.map((x) => codeOf(x, t.codeFrom)).filter(Boolean))];
  const unknown = codes.filter((c) => !(c in t.codes));
  if (unknown.length && t.default === undefined) return { kind: 'unmapped', sourceCode, unknown };
  const outcomes = codes.map((c) => (c in t.codes ? t.codes[c] : t.default)).filter((o): o is DispositionOutcome => !!o);
  if (!outcomes.length) return { kind: 'none', sourceCode };
  let merged = [...new Set(outcomes.flatMap((o) => o.codes))];
  if (merged.length > 1) merged = merged.filter((c) => c !== 'unresolved');
  const outcome: DispositionOutcome = {
    codes: merged,
    suspectsCaught: Math.max(...outcomes.map((o) => o.suspectsCaught)),
    peopleRescued: Math.max(...outcomes.map((o) => o.peopleRescued)),
    ...(outcomes.some((o) => o.note) ? { note: outcomes.map((o) => o.note).filter(Boolean).join('; ') } : {}),
  };
  return { kind: 'outcome', outcome, sourceCode, ...(at ? { at } : {}) };
}
