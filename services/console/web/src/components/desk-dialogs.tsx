import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Recommendation } from '@cad110/contracts/src/events/dispatch';
import type { ApiError } from '../api';
import { addNote, asApiError, assignUnit, cancelIncident, changePriority, closeIncident, fetchRecs, linkDuplicate, type LiveRecs } from '../desk-actions';
import { DISPOSITIONS } from '../dispatch-logic';
import { useI18n, type MessageKey } from '../i18n';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { formatEta } from '../timers';
import type { ActionKind, Incident, Unit } from '../desk-types';
import { CircleBadges } from './desk-recs';
import { ProblemBox } from './problem';

/** Units a dispatcher may send: not replayed, free (available or cleared) and on duty now. */
export function freeUnits(units: Unit[]): Unit[] {
  return units.filter((u) => !u.replay && (u.status === 'available' || u.status === 'cleared') && (u.dutyNow?.onDuty ?? u.onDuty));
}

function Modal(props: { title: string; testId: string; kind?: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div className={`modal${props.wide ? ' wide' : ''}`} role="dialog" aria-modal="true" aria-label={props.title} data-testid={props.testId} data-kind={props.kind} onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), props.onClose())}>
        <div className="panel-head">
          <h2>{props.title}</h2>
          <button type="button" className="link-button" onClick={props.onClose} aria-label="Esc">
            Esc ✕
          </button>
        </div>
        {props.children}
      </div>
    </div>
  );
}

/**
 * 派任意空闲警力 (F7): every free on-duty unit, searchable by call sign, id, type and district (zh-CN or
 * English), ranked by ETA to the incident with its 1/3/5-minute circle badges (dispatch's live
 * ranking with all alternates, `GET .../recommendations?alternates=20`). ↑/↓ move, Enter sends.
 */
export function SendUnitDialog(props: { incident: Incident; units: Unit[]; districtName: (k: string | null) => string; onSent: (unitId: string) => void; onClose: () => void }) {
  const { t, tx } = useI18n();
  const [q, setQ] = useState('');
  const [pos, setPos] = useState(0);
  const [ranked, setRanked] = useState<LiveRecs<Recommendation>>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    fetchRecs<Recommendation>(props.incident.id, 20).then(setRanked, (e) => setError(asApiError(e)));
  }, [props.incident.id]);
  const byUnit = useMemo(() => new Map((ranked?.recommendations ?? []).map((r) => [r.unitId, r])), [ranked]);
  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return freeUnits(props.units)
      .filter((u) => !needle || [u.callSign, u.id, u.type, tx(`unitType.${u.type}`), u.district, props.districtName(u.district)].some((s) => s.toLowerCase().includes(needle)))
      .sort((a, b) => (byUnit.get(a.id)?.etaSeconds ?? Infinity) - (byUnit.get(b.id)?.etaSeconds ?? Infinity) || a.callSign.localeCompare(b.callSign));
  }, [props.units, q, byUnit, tx, props.districtName]); // eslint-disable-line react-hooks/exhaustive-deps
  const send = async (u: Unit) => {
    setBusy(true);
    try {
      await assignUnit(props.incident.id, u.id);
      props.onSent(u.id);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('sendAnyUnit')} testId="send-unit-dialog" onClose={props.onClose} wide>
      <input
        autoFocus
        className="search"
        placeholder={t('searchUnit')}
        value={q}
        onChange={(e) => (setQ(e.target.value), setPos(0))}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') (e.preventDefault(), setPos((p) => Math.min(p + 1, rows.length - 1)));
          if (e.key === 'ArrowUp') (e.preventDefault(), setPos((p) => Math.max(p - 1, 0)));
          if (e.key === 'Enter' && rows[pos] && !busy) void send(rows[pos]);
        }}
        data-testid="unit-search"
      />
      {error && <ProblemBox error={error} title={t('assignFailed')} />}
      {rows.length === 0 && <div className="muted empty">{t('noFreeUnit')}</div>}
      <ol className="send-list" data-testid="free-units">
        {rows.map((u, k) => {
          const r = byUnit.get(u.id);
          return (
            <li key={u.id} className={k === pos ? 'active' : ''} data-testid="free-unit" data-unit-id={u.id} onMouseEnter={() => setPos(k)}>
              <strong>{u.callSign}</strong>
              <span className="muted small">{tx(`unitType.${u.type}`)}</span>
              <span className="small">{props.districtName(u.district)}</span>
              <span className="eta" data-testid="free-unit-eta">
                {t('eta')} {formatEta(r?.etaSeconds)}
              </span>
              {r ? <CircleBadges circles={r.circles} /> : <span />}
              {r && r.rank <= 3 ? <span className="tag">#{r.rank}</span> : <span />}
              <button type="button" className={k === pos ? 'primary' : ''} disabled={busy} onClick={() => void send(u)} data-testid="send-unit">
                {t('send')}
              </button>
            </li>
          );
        })}
      </ol>
    </Modal>
  );
}


const CANCEL_REASONS = ['caller-cancelled', 'duplicate', 'false-report', 'no-police-matter', 'other'] as const;

/**
 * One incident command as a small form: cancel with a reason, close without a unit with a
 * disposition (default 电话处置), a note, a priority change with its reason, or a link as the
 * duplicate of another open incident. Enter confirms, Esc closes.
 */
export function ActionDialog(props: { kind: ActionKind; incident: Incident; others: Incident[]; taxonomy: TaxonomyFile | undefined; districtName: (k: string | null) => string; onDone: () => void; onClose: () => void }) {
  const { t, tx, lang } = useI18n();
  const { kind, incident } = props;
  const [choice, setChoice] = useState<string>(kind === 'close' ? 'resolved-by-phone' : kind === 'cancel' ? 'caller-cancelled' : kind === 'priority' ? String(Math.max(1, incident.priority - 1)) : (props.others[0]?.id ?? ''));
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const first = useRef<HTMLSelectElement & HTMLTextAreaElement>(null);
  useEffect(() => first.current?.focus(), []);
  const titles: Record<ActionKind, MessageKey> = { cancel: 'cancelIncident', close: 'closeNoUnit', note: 'addNote', priority: 'changePriority', link: 'linkAsDuplicate' };
  const confirm = async () => {
    setBusy(true);
    try {
      if (kind === 'cancel') await cancelIncident(incident.id, choice);
      else if (kind === 'close') await closeIncident(incident.id, choice, text.trim() || undefined);
      else if (kind === 'note') await addNote(incident.id, text.trim());
      else if (kind === 'priority') await changePriority(incident.id, Number(choice), text.trim() || tx('priorityReasonDefault'));
      else await linkDuplicate(incident.id, choice);
      props.onDone();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  const disabled = busy || (kind === 'note' && !text.trim()) || (kind === 'link' && !choice);
  const options: [string, string][] =
    kind === 'close'
      ? DISPOSITIONS.map((d) => [d, tx(`disposition.${d}`)])
      : kind === 'cancel'
        ? CANCEL_REASONS.map((d) => [d, tx(`disposition.${d}`)])
        : kind === 'priority'
          ? [1, 2, 3, 4].map((p) => [String(p), `P${p} ${tx(`priorityName.${p}`)}`])
          : kind === 'link'
            ? props.others.map((o) => [o.id, `P${o.priority} ${labelOf(props.taxonomy, o.subtype, lang)} · ${props.districtName(o.district)}${o.address ? ` · ${o.address}` : ''} · ${o.id.slice(0, 8)}`])
            : [];
  return (
    <Modal title={t(titles[kind])} testId="action-dialog" kind={kind} onClose={props.onClose}>
      <form
        className="action-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!disabled) void confirm();
        }}
      >
        {kind !== 'note' && (
          <label>
            <span className="muted small">{kind === 'close' ? t('disposition') : kind === 'cancel' ? t('cancelReason') : kind === 'priority' ? t('priority') : t('duplicateOf')}</span>
            <select ref={first} value={choice} onChange={(e) => setChoice(e.target.value)} data-testid="action-select" onKeyDown={(e) => e.key === 'Enter' && (e.preventDefault(), !disabled && void confirm())}>
              {options.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        )}
        {(kind === 'note' || kind === 'priority' || kind === 'close') && (
          <label>
            <span className="muted small">{kind === 'note' ? t('noteText') : kind === 'close' ? t('closeNoteText') : t('reasonText')}</span>
            <textarea ref={kind === 'note' ? first : undefined} rows={kind === 'note' ? 3 : 1} value={text} onChange={(e) => setText(e.target.value)} data-testid="action-text" onKeyDown={(e) => e.key === 'Enter' && !e.shiftKey && (e.preventDefault(), !disabled && void confirm())} />
          </label>
        )}
        {error && <ProblemBox error={error} />}
        <div className="form-buttons">
          <button type="submit" className="primary" disabled={disabled} data-testid="action-confirm">
            {t('confirm')} ⏎
          </button>
          <button type="button" onClick={props.onClose}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** The keyboard help (F1 or `?`): function keys and the command line's verbs. */
export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const keys: [string, MessageKey][] = [
    ['F1', 'key.F1'],
    ['F2', 'key.F2'],
    ['F3', 'key.F3'],
    ['F4', 'key.F4'],
    ['F6', 'key.F6'],
    ['F7', 'key.F7'],
    ['F8', 'key.F8'],
    ['F9', 'key.F9'],
    ['F10', 'key.F10'],
    ['Alt+P', 'key.altP'],
    ['Alt+L', 'key.altL'],
    ['Alt+K', 'key.altK'],
    ['Alt+↑/↓', 'key.updown'],
    ['Esc', 'key.esc'],
  ];
  const cmds: MessageKey[] = ['cmd.D', 'cmd.S', 'cmd.C', 'cmd.X', 'cmd.G', 'cmd.R', 'cmd.N', 'cmd.P', 'cmd.L', 'cmd.A', 'cmd.F', 'cmd.M'];
  return (
    <Modal title={t('helpTitle')} testId="help-overlay" onClose={onClose} wide>
      <div className="help-cols">
        <ul className="help-list">
          {keys.map(([key, k]) => (
            <li key={k}>
              <kbd>{key}</kbd> {t(k)}
            </li>
          ))}
        </ul>
        <ul className="help-list">
          {cmds.map((k) => (
            <li key={k}>
              <code>{t(k)}</code>
            </li>
          ))}
        </ul>
      </div>
    </Modal>
  );
}
