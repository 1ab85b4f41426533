import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, post } from '../api';
import { CategoryPicker, LocationFields, OutcomeBox, type PlaceHit } from '../components/call-form-parts';
import { callCommand, CurrentCallPanel, type CommandResult, type Current } from '../components/current-call';
import { DuplicatePanel, HistoryPanel, RingBanner, type Candidate, type Ring } from '../components/desk-panels';
import { CountyMap } from '../components/county-map';
import { ProblemBox } from '../components/problem';
import type { LatLon } from '../geo';
import { toWgs84, type MapCrs } from '../map-crs';
import { useI18n } from '../i18n';
import { allSubtypes, searchSubtypes, type SubtypeEntry, type TaxonomyFile } from '../taxonomy';
import { useApi, useDebounced, useNow } from '../use-api';
import { useDuplicateLookup, useGazetteer, useRinging } from '../call-taker-lookups';

interface Unit {
  id: string;
  callSign: string;
  lat: number | null;
  lon: number | null;
  status: string;
}

/** Typed coordinates in WGS84 (GCJ-02 and BD-09 from Chinese map apps and carriers, converted by map-crs), to 1e-6 degree. */
function typedToWgs84(lat: number, lon: number, crs: MapCrs): LatLon {
  const p = toWgs84({ lat, lon }, crs);
  return { lat: Math.round(p.lat * 1e6) / 1e6, lon: Math.round(p.lon * 1e6) / 1e6 };
}

const emptyForm = () => ({ number: '', address: '', lat: '', lon: '', district: '', narrative: '', query: '', answers: {} as Record<number, string> });

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
  const { t, lang } = useI18n();
  const now = useNow(1000);
  const [form, setForm] = useState(emptyForm);
  const [picked, setPicked] = useState<SubtypeEntry>();
  const [highlight, setHighlight] = useState(0);
  const [handToDispatch, setHandToDispatch] = useState(true);
  const [locSource, setLocSource] = useState<'caller-reported' | 'manual' | 'device'>('caller-reported');
  const [crs, setCrs] = useState<MapCrs>('WGS84');
  const [answeredAt, setAnsweredAt] = useState(() => new Date().toISOString());
  const [ring, setRing] = useState<Ring>();
  const [busy, setBusy] = useState(false);
  const [current, setCurrent] = useState<Current>();
  const [error, setError] = useState<ApiError>();
  const [outcome, setOutcome] = useState<'transfer' | 'cancel'>();
  const [outTarget, setOutTarget] = useState<string>('medical-120');
  const [outReason, setOutReason] = useState('');
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
    return typedToWgs84(lat, lon, crs);
  }, [form.lat, form.lon, crs]);
  const digits = form.number.replace(/[^0-9+]/g, '');
  const lookup = useDebounced(JSON.stringify({ n: digits.length >= 3 ? form.number.trim() : undefined, p: point, s: picked?.code }), 300);

  const { candidates, setCandidates, history, setHistory } = useDuplicateLookup(lookup);
  const { places, setPlaces, placeHi, setPlaceHi, placeOpen, setPlaceOpen, typed: placeTyped } = useGazetteer(form.address);
  const { rings, setRings } = useRinging();

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
    return run(handToDispatch, reviewed.length ? (r) => callCommand(`/api/intake/calls/${r.callId}/confirm-new`, { candidateCallIds: reviewed.slice(0, 50) }, r.version) : undefined, reviewed.length ? 'confirmedNew' : undefined);
  };
  const link = (c: Candidate) => run(false, (r) => callCommand(`/api/intake/calls/${r.callId}/duplicate-link`, { duplicateOfCallId: c.callId, reason: '接警员核对为同一警情' }, r.version), 'linked');
  const finishOutcome = () => {
    if (outcome === 'transfer') {
      const body = outTarget === '12345' ? { to: 'other-agency', agency: '12345', ...(outReason.trim() ? { reason: outReason.trim() } : {}) } : { to: outTarget, ...(outReason.trim() ? { reason: outReason.trim() } : {}) };
      return run(false, (r) => callCommand(`/api/intake/calls/${r.callId}/transfer`, body, r.version));
    }
    if (outcome === 'cancel') return run(false, (r) => callCommand(`/api/intake/calls/${r.callId}/cancel`, { reason: outTarget, ...(outReason.trim() ? { note: outReason.trim() } : {}) }, r.version));
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
          <LocationFields
            address={form.address}
            lat={form.lat}
            lon={form.lon}
            crs={crs}
            places={places}
            placeHi={placeHi}
            placeOpen={placeOpen}
            onAddress={(v) => {
              placeTyped.current = true;
              set('address', v);
            }}
            onAddressKey={onAddressKey}
            onAddressBlur={() => setTimeout(() => setPlaceOpen(false), 150)}
            onPickPlace={pickPlace}
            onCoord={(k, v) => {
              set(k, v);
              setLocSource('caller-reported');
            }}
            onCrs={setCrs}
          />
          <CategoryPicker
            query={form.query}
            listOpen={listOpen}
            matches={matches}
            highlight={highlight}
            picked={picked}
            answers={form.answers}
            onQuery={(v) => {
              setPicked(undefined);
              setHighlight(0);
              set('query', v);
            }}
            onSearchKey={onSearchKey}
            onChoose={choose}
            onAnswer={(i, v) => setForm((f) => ({ ...f, answers: { ...f.answers, [i]: v } }))}
          />
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
            <OutcomeBox
              outcome={outcome}
              target={outTarget}
              reason={outReason}
              busy={busy}
              onTarget={setOutTarget}
              onReason={setOutReason}
              onApply={() => void finishOutcome()}
              onClose={() => setOutcome(undefined)}
            />
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
            <span className="muted small">{t('mapPickHint')}</span>
          </div>
          <CountyMap
            geojson={geojson}
            units={mapUnits}
            marker={point}
            places={places.slice(0, 8).map((p) => ({ id: p.id, lat: p.lat, lon: p.lon, label: p.name }))}
            onPickPlace={(id) => {
              const p = places.find((x) => x.id === id);
              if (p) pickPlace(p);
            }}
            onPick={pickOnMap}
            height={360}
            testId="desk-map"
          />
        </div>
      </div>
    </div>
  );
}
