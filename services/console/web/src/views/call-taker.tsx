import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import gcoord from 'gcoord';
import { api, ApiError, post } from '../api';
import { DuplicatePanel, HistoryPanel, RingBanner, type Candidate, type History, type Ring } from '../components/desk-panels';
import { MapView } from '../components/map-view';
import { ProblemBox } from '../components/problem';
import { TraceLink } from '../components/trace-link';
import type { LatLon } from '../geo';
import { useI18n } from '../i18n';
import { allSubtypes, labelOf, searchSubtypes, type SubtypeEntry, type TaxonomyFile } from '../taxonomy';
import { useApi, useNow } from '../use-api';

interface Unit {
  id: string;
  callSign: string;
  lat: number | null;
  lon: number | null;
  status: string;
}

/** The call just handled at this desk: what was done, and its version for the next command. */
interface Current {
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

interface PlaceHit {
  id: string;
  kind: string;
  name: string;
  nameAlt?: string;
  district?: string;
  lat: number;
  lon: number;
  score: number;
}

type Crs = 'WGS84' | 'GCJ02' | 'BD09';
type CommandResult = { callId: string; version: number; status: string; events: string[] };

const TRANSFERS = ['medical-120', 'fire-119', 'traffic-122', '12345'] as const;
const CANCELS = ['misdial', 'silent', 'prank', 'caller-hung-up', 'other'] as const;

const emptyForm = () => ({ number: '', address: '', lat: '', lon: '', district: '', narrative: '', query: '', answers: {} as Record<number, string> });

/** POST with `If-Match: "<version>"` and an `Idempotency-Key` (a retry of the same step replays, never appends twice). */
const command = (path: string, body: unknown, version: number) => api<CommandResult>('POST', path, body, { headers: { 'if-match': `"${version}"`, 'idempotency-key': crypto.randomUUID() } });

/** Typed coordinates in WGS84: GCJ-02 and BD-09 (Chinese map apps, carriers) converted with gcoord. */
export function toWgs84(lat: number, lon: number, crs: Crs): { lat: number; lon: number } {
  if (crs === 'WGS84') return { lat, lon };
  const [x, y] = gcoord.transform([lon, lat], crs === 'GCJ02' ? gcoord.GCJ02 : gcoord.BD09, gcoord.WGS84) as [number, number];
  return { lat: Math.round(y * 1e6) / 1e6, lon: Math.round(x * 1e6) / 1e6 };
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const h = setTimeout(() => setV(value), ms);
    return () => clearTimeout(h);
  }, [value, ms]);
  return v;
}

/**
 * 接警 — the call taker's keyboard-first desk. Caller number, location (address with fuzzy
 * gazetteer search, coordinates typed in WGS84 / GCJ-02 / BD-09 or picked on the map), category
 * picker (↑/↓/Enter), the subtype's SOP questions, narrative. Beside the form: the ringing 110
 * line (F4 answers it and pre-fills number and carrier location; answer time is ringing →
 * answered), duplicate candidates while typing (Alt+1…9 links the call to one; Ctrl+Enter
 * confirms a new incident and hands it to dispatch), caller and location history with flags.
 * F6 transfers (119/120/122/12345), F9 cancels (misdial, silent, prank, hung up); the current
 * call can be reclassified, get a priority override or more narrative. F2 starts a new call.
 */
export function CallTakerView({ taxonomy, geojson }: { taxonomy: TaxonomyFile | undefined; geojson: unknown }) {
  const { t, tx, lang } = useI18n();
  const now = useNow(1000);
  const [form, setForm] = useState(emptyForm);
  const [picked, setPicked] = useState<SubtypeEntry>();
  const [highlight, setHighlight] = useState(0);
  const [handToDispatch, setHandToDispatch] = useState(true);
  const [locSource, setLocSource] = useState<'caller-reported' | 'manual' | 'device'>('caller-reported');
  const [crs, setCrs] = useState<Crs>('WGS84');
  const [answeredAt, setAnsweredAt] = useState(() => new Date().toISOString());
  const [ring, setRing] = useState<Ring>();
  const [busy, setBusy] = useState(false);
  const [current, setCurrent] = useState<Current>();
  const [error, setError] = useState<ApiError>();
  const [outcome, setOutcome] = useState<'transfer' | 'cancel'>();
  const [outTarget, setOutTarget] = useState<string>('medical-120');
  const [outReason, setOutReason] = useState('');
  const [places, setPlaces] = useState<PlaceHit[]>([]);
  const [placeHi, setPlaceHi] = useState(0);
  const [placeOpen, setPlaceOpen] = useState(false);
  const [candidates, setCandidates] = useState<Candidate[]>();
  const [history, setHistory] = useState<History>();
  const [rings, setRings] = useState<Ring[]>([]);
  const numberRef = useRef<HTMLInputElement>(null);
  const idemKey = useRef(crypto.randomUUID());
  const units = useApi<{ items: Unit[] }>('/api/dispatch/units');

  const entries = useMemo(() => (taxonomy ? allSubtypes(taxonomy) : []), [taxonomy]);
  const matches = useMemo(() => searchSubtypes(entries, form.query).slice(0, 8), [entries, form.query]);
  const set = (k: keyof ReturnType<typeof emptyForm>, v: string) => setForm((f) => ({ ...f, [k]: v }));

  // the form's point in WGS84 (typed in the chosen datum), or undefined
  const point = useMemo(() => {
    const lat = Number(form.lat);
    const lon = Number(form.lon);
    if (!form.lat.trim() || !form.lon.trim() || !Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
    return toWgs84(lat, lon, crs);
  }, [form.lat, form.lon, crs]);
  const digits = form.number.replace(/[^0-9+]/g, '');
  const lookup = useDebounced(JSON.stringify({ n: digits.length >= 3 ? form.number.trim() : undefined, p: point, s: picked?.code }), 300);

  // duplicates and history while typing (POST: the number stays out of URLs and logs)
  useEffect(() => {
    const q = JSON.parse(lookup) as { n?: string; p?: { lat: number; lon: number }; s?: string };
    if (!q.n && !q.p) {
      setCandidates(undefined);
      setHistory(undefined);
      return;
    }
    let stale = false;
    const body = { ...(q.n ? { callerNumber: q.n } : {}), ...(q.p ? { lat: q.p.lat, lon: q.p.lon } : {}) };
    post<{ candidates: Candidate[] }>('/api/intake/duplicates/search', { ...body, ...(q.s ? { subtype: q.s } : {}) })
      .then((r) => !stale && setCandidates(r.candidates))
      .catch(() => !stale && setCandidates(undefined));
    post<History>('/api/intake/history/search', body)
      .then((r) => !stale && setHistory(r))
      .catch(() => !stale && setHistory(undefined));
    return () => {
      stale = true;
    };
  }, [lookup]);

  // gazetteer: fuzzy search as the address is typed
  const placeQuery = useDebounced(form.address.trim(), 200);
  const placeTyped = useRef(false);
  useEffect(() => {
    if (!placeTyped.current || placeQuery.length < 2) {
      setPlaces([]);
      return;
    }
    let stale = false;
    api<{ items: PlaceHit[] }>('GET', `/api/intake/gazetteer?q=${encodeURIComponent(placeQuery)}&limit=8`)
      .then((r) => {
        if (stale) return;
        setPlaces(r.items);
        setPlaceHi(0);
        setPlaceOpen(r.items.length > 0);
      })
      .catch(() => undefined);
    return () => {
      stale = true;
    };
  }, [placeQuery]);

  // ringing 110 lines (the CTI hand-off), polled every 1.5 s while the desk is open
  useEffect(() => {
    let alive = true;
    const poll = () =>
      api<{ items: Ring[] }>('GET', '/api/intake/telephony/ringing')
        .then((r) => alive && setRings(r.items))
        .catch(() => undefined);
    void poll();
    const h = setInterval(poll, 1500);
    return () => {
      alive = false;
      clearInterval(h);
    };
  }, []);

  const reset = useCallback(() => {
    setForm(emptyForm());
    setPicked(undefined);
    setHighlight(0);
    setHandToDispatch(true);
    setLocSource('caller-reported');
    setCrs('WGS84');
    setAnsweredAt(new Date().toISOString());
    setRing(undefined);
    setError(undefined);
    setOutcome(undefined);
    setOutReason('');
    setPlaces([]);
    setPlaceOpen(false);
    placeTyped.current = false;
    setCandidates(undefined);
    setHistory(undefined);
    idemKey.current = crypto.randomUUID();
    numberRef.current?.focus();
  }, []);

  const answer = async (r: Ring) => {
    try {
      const a = await post<Ring>(`/api/intake/telephony/ringing/${r.ringId}/answer`, {});
      reset();
      setCurrent(undefined);
      setRing(a);
      setAnsweredAt(a.answeredAt ?? new Date().toISOString());
      setForm((f) => ({ ...f, number: a.number ?? '', lat: a.lat?.toFixed(6) ?? '', lon: a.lon?.toFixed(6) ?? '' }));
      if (a.lat !== null) setLocSource('device');
      setRings((rs) => rs.filter((x) => x.ringId !== r.ringId));
      setTimeout(() => document.querySelector<HTMLInputElement>('input[name=address]')?.focus(), 0);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'Error', String(err)));
    }
  };

  const choose = (s: SubtypeEntry) => {
    setPicked(s);
    setForm((f) => ({ ...f, query: `${s[lang]} · ${s.category[lang]}`, answers: {} }));
  };

  const pickPlace = (p: PlaceHit) => {
    placeTyped.current = false;
    setForm((f) => ({ ...f, address: p.nameAlt ? `${p.name}（${p.nameAlt}）` : p.name, lat: p.lat.toFixed(6), lon: p.lon.toFixed(6), district: p.district ?? f.district }));
    setCrs('WGS84');
    setLocSource('manual');
    setPlaces([]);
    setPlaceOpen(false);
  };

  const pickOnMap = (p: LatLon) => {
    setForm((f) => ({ ...f, lat: p.lat.toFixed(6), lon: p.lon.toFixed(6) }));
    setCrs('WGS84');
    setLocSource('manual');
  };

  /** The POST /calls body from the form; `dispatch` = hand to dispatch at once. */
  const callBody = (dispatch: boolean) => {
    const sopAnswers = picked?.sop.flatMap((q, i) => (form.answers[i]?.trim() ? [{ index: i, question: q[lang], answer: form.answers[i]!.trim() }] : [])) ?? [];
    const sopLines = sopAnswers.map((a) => `${a.question} ${a.answer}`);
    const narrative = [form.narrative.trim(), ...sopLines].filter(Boolean).join('\n');
    const location =
      form.address.trim() || point
        ? { ...(form.address.trim() ? { address: form.address.trim() } : {}), ...(point ? { lat: point.lat, lon: point.lon } : {}), ...(form.district ? { district: form.district } : {}), source: locSource }
        : undefined;
    return {
      channel: '110',
      ...(ring ? { ringingAt: ring.ringingAt } : {}),
      answeredAt,
      ...(form.number.trim() ? { caller: { number: form.number.trim() } } : {}),
      ...(location ? { location } : {}),
      ...(picked ? { classification: { subtype: picked.code } } : {}),
      ...(narrative ? { narrative } : {}),
      ...(sopAnswers.length ? { sopAnswers } : {}),
      handToDispatch: dispatch && !!picked,
    };
  };

  /** Creates the call, then runs `then` on it (link, transfer, cancel, confirm new). */
  const run = async (dispatch: boolean, then?: (r: CommandResult) => Promise<CommandResult>, note?: Current['note']) => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    const t0 = performance.now();
    try {
      let r = await api<CommandResult>('POST', '/api/intake/calls', callBody(dispatch), { headers: { 'idempotency-key': idemKey.current } });
      if (then) r = await then(r);
      const answerSeconds = ring ? Math.round((Date.parse(answeredAt) - Date.parse(ring.ringingAt)) / 100) / 10 : undefined;
      setCurrent({ callId: r.callId, version: r.version, status: r.status, ms: Math.round(performance.now() - t0), events: r.events, ...(picked ? { subtype: picked.code, priority: picked.defaultPriority } : {}), ...(answerSeconds !== undefined ? { answerSeconds } : {}), ...(note ? { note } : {}) });
      reset();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'Error', String(err)));
    } finally {
      setBusy(false);
    }
  };

  const submit = () => {
    const reviewed = (candidates ?? []).map((c) => c.callId);
    return run(handToDispatch, reviewed.length ? (r) => command(`/api/intake/calls/${r.callId}/confirm-new`, { candidateCallIds: reviewed.slice(0, 50) }, r.version) : undefined, reviewed.length ? 'confirmedNew' : undefined);
  };
  const link = (c: Candidate) => run(false, (r) => command(`/api/intake/calls/${r.callId}/duplicate-link`, { duplicateOfCallId: c.callId, reason: '接警员核对为同一警情' }, r.version), 'linked');
  const finishOutcome = () => {
    if (outcome === 'transfer') {
      const body = outTarget === '12345' ? { to: 'other-agency', agency: '12345', ...(outReason.trim() ? { reason: outReason.trim() } : {}) } : { to: outTarget, ...(outReason.trim() ? { reason: outReason.trim() } : {}) };
      return run(false, (r) => command(`/api/intake/calls/${r.callId}/transfer`, body, r.version));
    }
    if (outcome === 'cancel') return run(false, (r) => command(`/api/intake/calls/${r.callId}/cancel`, { reason: outTarget, ...(outReason.trim() ? { note: outReason.trim() } : {}) }, r.version));
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'F2') {
        e.preventDefault();
        reset();
        setCurrent(undefined);
      } else if (e.key === 'F4') {
        e.preventDefault();
        if (rings[0]) void answer(rings[0]);
      } else if (e.key === 'F6') {
        e.preventDefault();
        setOutcome('transfer');
        setOutTarget('medical-120');
      } else if (e.key === 'F9') {
        e.preventDefault();
        setOutcome('cancel');
        setOutTarget('misdial');
      } else if (e.altKey && /^[1-9]$/.test(e.key)) {
        const c = candidates?.[Number(e.key) - 1];
        if (c) {
          e.preventDefault();
          void link(c);
        }
      } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        if (outcome) void finishOutcome();
        else void submit();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const onSearchKey = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setHighlight((h) => Math.min(h + 1, matches.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setHighlight((h) => Math.max(h - 1, 0));
    } else if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      const m = matches[highlight];
      if (m) choose(m);
    } else if (e.key === 'Escape') {
      setPicked(undefined);
      set('query', '');
    }
  };

  const onAddressKey = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (!placeOpen) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setPlaceHi((h) => Math.min(h + 1, places.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setPlaceHi((h) => Math.max(h - 1, 0));
    } else if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      const p = places[placeHi];
      if (p) pickPlace(p);
    } else if (e.key === 'Escape') {
      setPlaceOpen(false);
    }
  };

  const mapUnits = (units.data?.items ?? []).filter((u) => u.lat !== null && u.lon !== null).map((u) => ({ id: u.id, callSign: u.callSign, status: u.status, lat: u.lat!, lon: u.lon! }));
  const listOpen = !picked && form.query.length > 0;

  return (
    <div className="view call-taker desk" data-testid="view-intake">
      <div className="desk-main">
        <RingBanner rings={rings} now={now} onAnswer={(r) => void answer(r)} />
        <form
          className="panel call-form"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <div className="panel-head">
            <h2>{t('newCall')}</h2>
            <span className="muted small">{t('shortcuts')} · F4 · F6 · F9</span>
          </div>
          {ring && (
            <div className="ring-info small" data-testid="ring-answered" data-ring-id={ring.ringId}>
              ☎ {t('answerTime')} <strong data-testid="ring-answer-seconds">{Math.round((Date.parse(answeredAt) - Date.parse(ring.ringingAt)) / 1000)}</strong> {t('seconds')}
              {ring.uncertaintyMetres !== null && (
                <span className="muted">
                  {' '}
                  · {t('ringUncertainty')} ±{ring.uncertaintyMetres} {t('metres')}
                </span>
              )}
              {ring.reportedCrs !== 'WGS84' && <span className="muted"> · {ring.reportedCrs} → WGS84</span>}
            </div>
          )}
          <div className="row">
            <label className="grow">
              {t('callerNumber')}
              <input ref={numberRef} name="callerNumber" autoFocus inputMode="tel" value={form.number} onChange={(e) => set('number', e.target.value)} placeholder="138 0000 0000" />
            </label>
          </div>
          <div className="row">
            <div className="grow picker">
              <label>
                {t('address')}
                <input
                  name="address"
                  role="combobox"
                  aria-expanded={placeOpen}
                  aria-controls="place-list"
                  autoComplete="off"
                  title={t('gazetteerHint')}
                  value={form.address}
                  onChange={(e) => {
                    placeTyped.current = true;
                    set('address', e.target.value);
                  }}
                  onKeyDown={onAddressKey}
                  onBlur={() => setTimeout(() => setPlaceOpen(false), 150)}
                />
              </label>
              {placeOpen && (
                <ul id="place-list" className="picker-list" role="listbox" data-testid="place-list">
                  {places.map((p, i) => (
                    <li
                      key={p.id}
                      role="option"
                      aria-selected={i === placeHi}
                      className={i === placeHi ? 'active' : ''}
                      data-place-id={p.id}
                      onMouseDown={(e) => {
                        e.preventDefault();
                        pickPlace(p);
                      }}
                    >
                      <span className="kind-tag">{p.kind}</span> {p.name} {p.nameAlt && <span className="muted">· {p.nameAlt}</span>} {p.district && <span className="muted small">· {p.district}</span>}
                    </li>
                  ))}
                </ul>
              )}
            </div>
            <label>
              {t('lat')}
              <input name="lat" className="coord" value={form.lat} onChange={(e) => { set('lat', e.target.value); setLocSource('caller-reported'); }} />
            </label>
            <label>
              {t('lon')}
              <input name="lon" className="coord" value={form.lon} onChange={(e) => { set('lon', e.target.value); setLocSource('caller-reported'); }} />
            </label>
            <label>
              {t('crs')}
              <select name="crs" tabIndex={-1} value={crs} onChange={(e) => setCrs(e.target.value as Crs)}>
                <option value="WGS84">WGS84</option>
                <option value="GCJ02">GCJ-02</option>
                <option value="BD09">BD-09</option>
              </select>
            </label>
          </div>
          <div className="picker">
            <label>
              {t('category')}
              <input
                name="categorySearch"
                role="combobox"
                aria-expanded={listOpen}
                aria-controls="category-list"
                placeholder={t('searchCategory')}
                value={form.query}
                onChange={(e) => {
                  setPicked(undefined);
                  setHighlight(0);
                  set('query', e.target.value);
                }}
                onKeyDown={onSearchKey}
              />
            </label>
            {listOpen && (
              <ul id="category-list" className="picker-list" role="listbox" data-testid="category-list">
                {matches.length === 0 && <li className="muted">{t('noMatch')}</li>}
                {matches.map((m, i) => (
                  <li
                    key={m.code}
                    role="option"
                    aria-selected={i === highlight}
                    className={i === highlight ? 'active' : ''}
                    onMouseDown={(e) => {
                      e.preventDefault();
                      choose(m);
                    }}
                  >
                    <span className={`prio p${m.defaultPriority}`}>P{m.defaultPriority}</span> {m[lang]} <span className="muted">· {m.category[lang]} · {lang === 'zh' ? m.en : m.zh}</span>
                  </li>
                ))}
              </ul>
            )}
          </div>
          {picked && (
            <div className="sop" data-testid="sop">
              <div className="sop-head">
                <span className={`prio p${picked.defaultPriority}`}>P{picked.defaultPriority}</span> <strong>{picked[lang]}</strong> <span className="muted">{picked.category[lang]}</span>
              </div>
              {picked.sop.length > 0 && <div className="muted small">{t('sop')}</div>}
              {picked.sop.map((q, i) => (
                <label key={i} className="sop-q">
                  {q[lang]}
                  <input name={`sop${i}`} value={form.answers[i] ?? ''} onChange={(e) => setForm((f) => ({ ...f, answers: { ...f.answers, [i]: e.target.value } }))} placeholder={t('answer')} />
                </label>
              ))}
            </div>
          )}
          <label>
            {t('narrative')}
            <textarea name="narrative" rows={3} value={form.narrative} onChange={(e) => set('narrative', e.target.value)} />
          </label>
          <div className="row actions">
            <label className="check">
              <input type="checkbox" name="handToDispatch" checked={handToDispatch} onChange={(e) => setHandToDispatch(e.target.checked)} /> {t('handToDispatch')}
            </label>
            <button type="submit" className="primary" disabled={busy} data-testid="submit-call">
              {busy ? t('submitting') : `${t('submit')} (Ctrl+Enter)`}
            </button>
            <button type="button" onClick={() => { setOutcome('transfer'); setOutTarget('medical-120'); }} data-testid="open-transfer" title={t('transferHint')}>
              {t('transferTo')} (F6)
            </button>
            <button type="button" onClick={() => { setOutcome('cancel'); setOutTarget('misdial'); }} data-testid="open-cancel" title={t('cancelHint')}>
              {t('cancelCall')} (F9)
            </button>
            <button type="button" onClick={() => { reset(); setCurrent(undefined); }}>
              {t('newCall')} (F2)
            </button>
          </div>
          {outcome && (
            <div className="outcome-box" data-testid={`outcome-${outcome}`}>
              <strong>{outcome === 'transfer' ? t('transferTo') : t('cancelCall')}</strong>
              <div className="chips">
                {(outcome === 'transfer' ? TRANSFERS : CANCELS).map((o) => (
                  <button key={o} type="button" className={outTarget === o ? 'chip active' : 'chip'} aria-pressed={outTarget === o} data-value={o} onClick={() => setOutTarget(o)}>
                    {tx(`${outcome}.${o}`)}
                  </button>
                ))}
              </div>
              <label>
                {outcome === 'transfer' ? t('reason') : t('note')}
                <input name="outcomeReason" value={outReason} onChange={(e) => setOutReason(e.target.value)} />
              </label>
              <div className="row">
                <button type="button" className="primary" disabled={busy} onClick={() => void finishOutcome()} data-testid="confirm-outcome">
                  {t('apply')} (Ctrl+Enter)
                </button>
                <button type="button" onClick={() => setOutcome(undefined)}>
                  Esc
                </button>
              </div>
            </div>
          )}
          {error && <ProblemBox error={error} title={t('invalidFields')} />}
        </form>
        {current && <CurrentCallPanel current={current} setCurrent={setCurrent} entries={entries} taxonomy={taxonomy} />}
      </div>
      <div className="desk-side">
        <DuplicatePanel candidates={candidates} taxonomy={taxonomy} now={now} busy={busy} onLink={(c) => void link(c)} />
        <HistoryPanel history={history} taxonomy={taxonomy} now={now} />
        <div className="panel map-panel">
          <div className="panel-head">
            <h2>{t('map')}</h2>
            <span className="muted small">{t('clickMap')}</span>
          </div>
          <MapView geojson={geojson} units={mapUnits} marker={point} onPick={pickOnMap} height={320} />
        </div>
      </div>
    </div>
  );
}

/**
 * The call just handled: status, answer time, and what can still be done to it — append
 * narrative, reclassify with a reason, override the priority with a reason (each a command with
 * `If-Match` of the version last seen).
 */
function CurrentCallPanel({ current, setCurrent, entries, taxonomy }: { current: Current; setCurrent: (c: Current) => void; entries: SubtypeEntry[]; taxonomy: TaxonomyFile | undefined }) {
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
      const r = await command(`/api/intake/calls/${current.callId}/${path}`, body, current.version);
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
