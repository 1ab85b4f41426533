import { useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import { useI18n } from '../i18n';
import { labelOf, type SubtypeEntry, type TaxonomyFile } from '../taxonomy';
import { ProblemBox } from './problem';
import { TraceLink } from './trace-link';

/** What intake's call commands answer: the call's id, its new version and status, the events appended. */
export type CommandResult = { callId: string; version: number; status: string; events: string[] };

/** The call just handled at this desk: what was done, and its version for the next command. */
export interface Current {
  callId: string;
  version: number;
  status: string;
  ms: number;
  events: string[];
  subtype?: string;
  priority?: number;
  answerSeconds?: number;
  note?: 'linked' | 'confirmedNew';
}

/** POST with `If-Match: "<version>"` and an `Idempotency-Key` (a retry of the same step replays, never appends twice). */
export const callCommand = (path: string, body: unknown, version: number) => api<CommandResult>('POST', path, body, { headers: { 'if-match': `"${version}"`, 'idempotency-key': crypto.randomUUID() } });

/**
 * The call just handled: status, answer time, and what can still be done to it — append
 * narrative, reclassify with a reason, override the priority with a reason (each a command with
 * `If-Match` of the version last seen).
 */
export function CurrentCallPanel({ current, setCurrent, entries, taxonomy }: { current: Current; setCurrent: (c: Current) => void; entries: SubtypeEntry[]; taxonomy: TaxonomyFile | undefined }) {
  const { t, tx, lang } = useI18n();
  const [text, setText] = useState('');
  const [subtype, setSubtype] = useState(current.subtype ?? '');
  const [priority, setPriority] = useState(String(current.priority ?? ''));
  const [reason, setReason] = useState('');
  const [err, setErr] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setSubtype(current.subtype ?? '');
    setPriority(String(current.priority ?? ''));
  }, [current.callId, current.subtype, current.priority]);
  const open = current.status === 'open' || current.status === 'handed-to-dispatch';
  const exec = async (path: string, body: unknown, patch: Partial<Current> = {}) => {
    setBusy(true);
    setErr(undefined);
    try {
      const r = await callCommand(`/api/intake/calls/${current.callId}/${path}`, body, current.version);
      setCurrent({ ...current, ...patch, version: r.version, status: r.status, events: r.events });
      return true;
    } catch (e) {
      setErr(e instanceof ApiError ? e : new ApiError(0, 'Error', String(e)));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="panel current-call" data-testid="accepted" data-call-id={current.callId} data-status={current.status} role="status">
      <div className="panel-head">
        <h2>
          ✔ {t('accepted')} · {tx(`status.${current.status}`)}
        </h2>
        <span className="muted small">
          {current.ms} {t('ms')}
        </span>
      </div>
      <div className="small">
        {t('callId')} <code>{current.callId}</code> <TraceLink callId={current.callId} />
        {current.subtype && <span> · {labelOf(taxonomy, current.subtype, lang)}</span>}
        {current.priority && <span className={`prio p${current.priority}`}>P{current.priority}</span>}
        {current.answerSeconds !== undefined && (
          <span data-testid="answer-time">
            {' '}
            · {t('answerTime')} {current.answerSeconds} {t('seconds')}
          </span>
        )}
        {current.note && <div className="note-ok">{t(current.note)}</div>}
        <div className="muted small" data-testid="current-events">
          {current.events.join(' → ')}
        </div>
      </div>
      {open && (
        <div className="current-actions">
          <div className="row">
            <label className="grow">
              {t('appendNarrative')}
              <input name="appendText" value={text} onChange={(e) => setText(e.target.value)} />
            </label>
            <button type="button" disabled={busy || !text.trim()} data-testid="append-narrative" onClick={() => void exec('narrative', { text: text.trim() }).then((ok) => ok && setText(''))}>
              {t('append')}
            </button>
          </div>
          <div className="row">
            <label className="grow">
              {t('reclassify')}
              <select name="reclassify" value={subtype} onChange={(e) => setSubtype(e.target.value)}>
                {entries.map((s) => (
                  <option key={s.code} value={s.code}>
                    {s.category[lang]} · {s[lang]}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('priorityOverride')}
              <select name="priority" value={priority} onChange={(e) => setPriority(e.target.value)}>
                {[1, 2, 3, 4].map((p) => (
                  <option key={p} value={p}>
                    P{p}
                  </option>
                ))}
              </select>
            </label>
            <label className="grow">
              {t('reason')}
              <input name="reclassifyReason" value={reason} onChange={(e) => setReason(e.target.value)} />
            </label>
            <button
              type="button"
              disabled={busy || !subtype || !reason.trim()}
              data-testid="apply-classification"
              onClick={() => void exec('classification', { subtype, ...(priority ? { priority: Number(priority) } : {}), reason: reason.trim() }, { subtype, priority: Number(priority) }).then((ok) => ok && setReason(''))}
            >
              {t('apply')}
            </button>
          </div>
        </div>
      )}
      {err && <ProblemBox error={err} title={t('invalidFields')} />}
    </div>
  );
}
