import { useMemo } from 'react';
import type { Lang } from './i18n';

/** A district of the county map: its key (as dispatch stores it), Chinese and English names. */
export interface DistrictName {
  key: string;
  zh: string;
  en: string;
}

/**
 * The districts of the county map GeoJSON (`kind: 'district'` features; `name` is the key the
 * services use, `nameZh` the Chinese name), in map order.
 */
export function districtsOf(geojson: unknown): DistrictName[] {
  const fc = geojson as { features?: { properties?: Record<string, unknown> }[] } | undefined;
  const out: DistrictName[] = [];
  for (const f of fc?.features ?? []) {
    const p = f.properties ?? {};
    if (p.kind !== 'district' || typeof p.name !== 'string') continue;
    out.push({ key: p.name, zh: typeof p.nameZh === 'string' ? p.nameZh : p.name, en: p.name });
  }
  return out;
}

/** `(key) → display name` in `lang` from the county map; unknown keys show as they are, null as —. */
export function useDistrictName(geojson: unknown, lang: Lang): (key: string | null | undefined) => string {
  return useMemo(() => {
    const m = new Map(districtsOf(geojson).map((d) => [d.key, d]));
    return (key) => (key ? (m.get(key)?.[lang] ?? key) : '—');
  }, [geojson, lang]);
}
