/**
 * The parts of the call-taker's form (接警单): the location fields with the gazetteer's fuzzy
 * search, the category picker with the subtype's SOP questions, and the transfer / cancel box.
 * State stays in the call-taker view; these render it and report each edit.
 */
import type { MapCrs } from '../map-crs';
import { useI18n } from '../i18n';
import type { SubtypeEntry } from '../taxonomy';

/** A gazetteer hit from intake's `GET /gazetteer?q=` (WGS84 degrees; `score` 0…1). */
export interface PlaceHit {
  id: string;
  kind: string;
  name: string;
  nameAlt?: string;
  district?: string;
  lat: number;
  lon: number;
  score: number;
}

/** Where a call can be transferred (F6) and why it can be cancelled (F9); labels in i18n `transfer.*` / `cancel.*`. */
export const TRANSFERS = ['medical-120', 'fire-119', 'traffic-122', '12345'] as const;
export const CANCELS = ['misdial', 'silent', 'prank', 'caller-hung-up', 'other'] as const;

/** Address (combobox over the gazetteer's hits), latitude, longitude and the datum they were typed in. */
export function LocationFields(p: {
  address: string;
  lat: string;
  lon: string;
  crs: MapCrs;
  places: PlaceHit[];
  placeHi: number;
  placeOpen: boolean;
  onAddress: (v: string) => void;
  onAddressKey: (e: React.KeyboardEvent<HTMLInputElement>) => void;
  onAddressBlur: () => void;
  onPickPlace: (h: PlaceHit) => void;
  onCoord: (k: 'lat' | 'lon', v: string) => void;
  onCrs: (c: MapCrs) => void;
}) {
  const { t } = useI18n();
  return (
    <div className="row">
      <div className="grow picker">
        <label>
          {t('address')}
          <input
            name="address"
            role="combobox"
            aria-expanded={p.placeOpen}
            aria-controls="place-list"
            autoComplete="off"
            title={t('gazetteerHint')}
            value={p.address}
            onChange={(e) => p.onAddress(e.target.value)}
            onKeyDown={p.onAddressKey}
            onBlur={p.onAddressBlur}
          />
        </label>
        {p.placeOpen && (
          <ul id="place-list" className="picker-list" role="listbox" data-testid="place-list">
            {p.places.map((h, i) => (
              <li
                key={h.id}
                role="option"
                aria-selected={i === p.placeHi}
                className={i === p.placeHi ? 'active' : ''}
                data-place-id={h.id}
                onMouseDown={(e) => {
                  e.preventDefault();
                  p.onPickPlace(h);
                }}
              >
                <span className="kind-tag">{h.kind}</span> {h.name} {h.nameAlt && <span className="muted">· {h.nameAlt}</span>} {h.district && <span className="muted small">· {h.district}</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
      <label>
        {t('lat')}
        <input name="lat" className="coord" value={p.lat} onChange={(e) => p.onCoord('lat', e.target.value)} />
      </label>
      <label>
        {t('lon')}
        <input name="lon" className="coord" value={p.lon} onChange={(e) => p.onCoord('lon', e.target.value)} />
      </label>
      <label>
        {t('crs')}
        <select name="crs" tabIndex={-1} value={p.crs} onChange={(e) => p.onCrs(e.target.value as MapCrs)}>
          <option value="WGS84">WGS84</option>
          <option value="GCJ02">GCJ-02</option>
          <option value="BD09">BD-09</option>
        </select>
      </label>
    </div>
  );
}

/** The category search (↑/↓/Enter over the taxonomy's subtypes) and, once picked, its SOP questions. */
export function CategoryPicker(p: {
  query: string;
  listOpen: boolean;
  matches: SubtypeEntry[];
  highlight: number;
  picked: SubtypeEntry | undefined;
  answers: Record<number, string>;
  onQuery: (v: string) => void;
  onSearchKey: (e: React.KeyboardEvent<HTMLInputElement>) => void;
  onChoose: (s: SubtypeEntry) => void;
  onAnswer: (i: number, v: string) => void;
}) {
  const { t, lang } = useI18n();
  return (
    <>
      <div className="picker">
        <label>
          {t('category')}
          <input
            name="categorySearch"
            role="combobox"
            aria-expanded={p.listOpen}
            aria-controls="category-list"
            placeholder={t('searchCategory')}
            value={p.query}
            onChange={(e) => p.onQuery(e.target.value)}
            onKeyDown={p.onSearchKey}
          />
        </label>
        {p.listOpen && (
          <ul id="category-list" className="picker-list" role="listbox" data-testid="category-list">
            {p.matches.length === 0 && <li className="muted">{t('noMatch')}</li>}
            {p.matches.map((m, i) => (
              <li
                key={m.code}
                role="option"
                aria-selected={i === p.highlight}
                className={i === p.highlight ? 'active' : ''}
                onMouseDown={(e) => {
                  e.preventDefault();
                  p.onChoose(m);
                }}
              >
                <span className={`prio p${m.defaultPriority}`}>P{m.defaultPriority}</span> {m[lang]} <span className="muted">· {m.category[lang]} · {lang === 'zh' ? m.en : m.zh}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      {p.picked && (
        <div className="sop" data-testid="sop">
          <div className="sop-head">
            <span className={`prio p${p.picked.defaultPriority}`}>P{p.picked.defaultPriority}</span> <strong>{p.picked[lang]}</strong> <span className="muted">{p.picked.category[lang]}</span>
          </div>
          {p.picked.sop.length > 0 && <div className="muted small">{t('sop')}</div>}
          {p.picked.sop.map((q, i) => (
            <label key={i} className="sop-q">
              {q[lang]}
              <input name={`sop${i}`} value={p.answers[i] ?? ''} onChange={(e) => p.onAnswer(i, e.target.value)} placeholder={t('answer')} />
            </label>
          ))}
        </div>
      )}
    </>
  );
}

/** Transfer to another agency or cancel the call, with the reason or note the call taker adds. */
export function OutcomeBox(p: {
  outcome: 'transfer' | 'cancel';
  target: string;
  reason: string;
  busy: boolean;
  onTarget: (v: string) => void;
  onReason: (v: string) => void;
  onApply: () => void;
  onClose: () => void;
}) {
  const { t, tx } = useI18n();
  return (
    <div className="outcome-box" data-testid={`outcome-${p.outcome}`}>
      <strong>{p.outcome === 'transfer' ? t('transferTo') : t('cancelCall')}</strong>
      <div className="chips">
        {(p.outcome === 'transfer' ? TRANSFERS : CANCELS).map((o) => (
          <button key={o} type="button" className={p.target === o ? 'chip active' : 'chip'} aria-pressed={p.target === o} data-value={o} onClick={() => p.onTarget(o)}>
            {tx(`${p.outcome}.${o}`)}
          </button>
        ))}
      </div>
      <label>
        {p.outcome === 'transfer' ? t('reason') : t('note')}
        <input name="outcomeReason" value={p.reason} onChange={(e) => p.onReason(e.target.value)} />
      </label>
      <div className="row">
        <button type="button" className="primary" disabled={p.busy} onClick={p.onApply} data-testid="confirm-outcome">
          {t('apply')} (Ctrl+Enter)
        </button>
        <button type="button" onClick={p.onClose}>
          Esc
        </button>
      </div>
    </div>
  );
}
