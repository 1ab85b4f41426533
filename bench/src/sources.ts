import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadTaxonomy } from '@cad110/contracts';
import { loadMapping, readCalls, type MappedCall } from '@cad110/importer';
import { BUNDLED_SLICE, SHARED_CALLS_DIR } from '@cad110/devstack';

/**
 * `count` real calls for a benchmark run: the Minneapolis dataset (coordinates, so dispatch
 * computes real ETAs), then San Diego, from ../shared/data/calls — or the bundled 2,000-row slice
 * when the shared folder is absent. When more calls are asked for than the files hold, rows are
 * reused with a `#<round>` suffix on their source id so every call is new to intake. Calls are
 * handed to dispatch.
 */
export async function benchCalls(count: number, runTag: string): Promise<MappedCall[]> {
  const taxonomy = loadTaxonomy();
  const sets: { mapping: string; file: string }[] = [];
  const mpls = join(SHARED_CALLS_DIR, 'minneapolis-mpd-911-cad.csv');
  const sd = join(SHARED_CALLS_DIR, 'san-diego-pd-calls-for-service.csv');
  if (existsSync(mpls)) sets.push({ mapping: 'minneapolis-mpd', file: mpls });
  else sets.push({ mapping: 'minneapolis-mpd', file: BUNDLED_SLICE });
  if (existsSync(sd)) sets.push({ mapping: 'san-diego-pd', file: sd });
  const pool: MappedCall[] = [];
  for (const s of sets) {
    if (pool.length >= count) break;
    const { calls } = await readCalls(s.file, loadMapping(s.mapping, taxonomy), taxonomy, count - pool.length);
    pool.push(...calls);
  }
  const out: MappedCall[] = [];
  for (let i = 0; i < count; i++) {
    const base = pool[i % pool.length]!;
    const round = Math.floor(i / pool.length);
    const id = `${base.body.externalRef.id}#${runTag}${round ? `.${round}` : ''}`.slice(0, 64);
    // every bench call goes to dispatch (San Diego's telephone-report calls included) so each
    // one exercises the whole pipeline
    out.push({ ...base, body: { ...base.body, handToDispatch: true, externalRef: { ...base.body.externalRef, id } } });
  }
  return out;
}
