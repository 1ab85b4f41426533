import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, post } from '../api';
import { MapView } from '../components/map-view';
import { ProblemBox } from '../components/problem';
import { TraceLink } from '../components/trace-link';
import type { LatLon } from '../geo';
import { useI18n } from '../i18n';
import { allSubtypes, searchSubtypes, type SubtypeEntry, type TaxonomyFile } from '../taxonomy';
import { useApi } from '../use-api';

interface Unit {
  id: string;
  callSign: string;
  lat: number | null;
  lon: number | null;
  status: string;
}

interface Accepted {
  callId: string;
  ms: number;
  events: string[];
}

const emptyForm = () => ({ number: '', address: '', lat: '', lon: '', narrative: '', query: '', answers: {} as Record<number, string> });

/**
 * 接警 — the call taker's keyboard-first new-call form. Caller number, location (address text,
 * coordinates typed or picked on the map), category picker searching both languages (↑/↓/Enter),
 * the subtype's SOP questions (answers are appended to the narrative), narrative, hand to
 * dispatch. Ctrl+Enter submits (`POST /api/intake/calls`), F2 starts a new call. The answer
 * time sent is when the form was started.
 */
export function CallTakerView({ taxonomy, geojson }: { taxonomy: TaxonomyFile | undefined; geojson: unknown }) {
  const { t, lang } = useI18n();
  const [form, setForm] = useState(emptyForm);
  const [picked, setPicked] = useState<SubtypeEntry>();
  const [highlight, setHighlight] = useState(0);
  const [handToDispatch, setHandToDispatch] = useState(true);
  const [locSource, setLocSource] = useState<'caller-reported' | 'manual'>('caller-reported');
  const [answeredAt, setAnsweredAt] = useState(() => new Date().toISOString());
  const [busy, setBusy] = useState(false);
  const [accepted, setAccepted] = useState<Accepted>();
  const [error, setError] = useState<ApiError>();
  const numberRef = useRef<HTMLInputElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const units = useApi<{ items: Unit[] }>('/api/dispatch/units');

  const entries = useMemo(() => (taxonomy ? allSubtypes(taxonomy) : []), [taxonomy]);
  const matches = useMemo(() => searchSubtypes(entries, form.query).slice(0, 8), [entries, form.query]);
  const set = (k: keyof ReturnType<typeof emptyForm>, v: string) => setForm((f) => ({ ...f, [k]: v }));

  const reset = useCallback(() => {
    setForm(emptyForm());
    setPicked(undefined);
    setHighlight(0);
    setHandToDispatch(true);
    setLocSource('caller-reported');
    setAnsweredAt(new Date().toISOString());
    setError(undefined);
    numberRef.current?.focus();
  }, []);

  const choose = (s: SubtypeEntry) => {
    setPicked(s);
    setForm((f) => ({ ...f, query: `${s[lang]} · ${s.category[lang]}`, answers: {} }));
  };

  const pickOnMap = (p: LatLon) => {
    setForm((f) => ({ ...f, lat: p.lat.toFixed(6), lon: p.lon.toFixed(6) }));
    setLocSource('manual');
  };

  const submit = async () => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    const lat = form.lat.trim() ? Number(form.lat) : undefined;
    const lon = form.lon.trim() ? Number(form.lon) : undefined;
    const sopLines = picked?.sop
      .map((q, i) => (form.answers[i]?.trim() ? `${q[lang]} ${form.answers[i]!.trim()}` : ''))
      .filter(Boolean) ?? [];
    const narrative = [form.narrative.trim(), ...sopLines].filter(Boolean).join('\n');
    const location =
      form.address.trim() || lat !== undefined || lon !== undefined
        ? { ...(form.address.trim() ? { address: form.address.trim() } : {}), ...(lat !== undefined ? { lat } : {}), ...(lon !== undefined ? { lon } : {}), source: locSource }
        : undefined;
    const body = {
      channel: '110',
      answeredAt,
      ...(form.number.trim() ? { caller: { number: form.number.trim() } } : {}),
      ...(location ? { location } : {}),
      ...(picked ? { classification: { subtype: picked.code } } : {}),
      ...(narrative ? { narrative } : {}),
      handToDispatch: handToDispatch && !!picked,
    };
    const t0 = performance.now();
    try {
      const r = await post<{ callId: string; events: string[] }>('/api/intake/calls', body);
      setAccepted({ callId: r.callId, ms: Math.round(performance.now() - t0), events: r.events });
      reset();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'Error', String(err)));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'F2') {
        e.preventDefault();
        reset();
        setAccepted(undefined);
      } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void submit();
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

  const mapUnits = (units.data?.items ?? []).filter((u) => u.lat !== null && u.lon !== null).map((u) => ({ id: u.id, callSign: u.callSign, status: u.status, lat: u.lat!, lon: u.lon! }));
  const marker = form.lat && form.lon && Number.isFinite(Number(form.lat)) && Number.isFinite(Number(form.lon)) ? { lat: Number(form.lat), lon: Number(form.lon) } : undefined;
  const listOpen = !picked && form.query.length > 0;

  return (
    <div className="view call-taker" data-testid="view-intake">
      <form
        className="panel call-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="panel-head">
          <h2>{t('newCall')}</h2>
          <span className="muted small">{t('shortcuts')}</span>
        </div>
        <div className="row">
          <label className="grow">
            {t('callerNumber')}
            <input ref={numberRef} name="callerNumber" autoFocus inputMode="tel" value={form.number} onChange={(e) => set('number', e.target.value)} placeholder="138 0000 0000" />
          </label>
        </div>
        <div className="row">
          <label className="grow">
            {t('address')}
            <input name="address" value={form.address} onChange={(e) => set('address', e.target.value)} />
          </label>
          <label>
            {t('lat')}
            <input name="lat" className="coord" value={form.lat} onChange={(e) => { set('lat', e.target.value); setLocSource('caller-reported'); }} />
          </label>
          <label>
            {t('lon')}
            <input name="lon" className="coord" value={form.lon} onChange={(e) => { set('lon', e.target.value); setLocSource('caller-reported'); }} />
          </label>
        </div>
        <div className="picker">
          <label>
            {t('category')}
            <input
              ref={searchRef}
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
          <button type="button" onClick={() => { reset(); setAccepted(undefined); }}>
            {t('newCall')} (F2)
          </button>
        </div>
        {accepted && (
          <div className="accepted" role="status" data-testid="accepted" data-call-id={accepted.callId}>
            ✔ {t('accepted')} · {accepted.ms} {t('ms')} · {t('callId')} <code>{accepted.callId}</code> <TraceLink callId={accepted.callId} />
          </div>
        )}
        {error && <ProblemBox error={error} title={t('invalidFields')} />}
      </form>
      <div className="panel map-panel">
        <div className="panel-head">
          <h2>{t('map')}</h2>
          <span className="muted small">{t('clickMap')}</span>
        </div>
        <MapView geojson={geojson} units={mapUnits} marker={marker} onPick={pickOnMap} height={460} />
      </div>
    </div>
  );
}
