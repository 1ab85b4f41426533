import { createReloader } from './reloader';

/** A fetch whose answers the test releases by hand, in any order. */
function manualFetch() {
  const calls: { key: string; resolve: (v: string) => void; reject: (e: unknown) => void }[] = [];
  const fetch = (key: string) => new Promise<string>((resolve, reject) => calls.push({ key, resolve, reject }));
  return { calls, fetch };
}
const flush = () => new Promise((r) => setImmediate(r));

function setup(initial: string | undefined = '/a') {
  const f = manualFetch();
  let key: string | undefined = initial;
  const data: string[] = [];
  const errors: unknown[] = [];
  const loading: boolean[] = [];
  const r = createReloader<string, string>({ fetch: f.fetch, current: () => key, onData: (d) => data.push(d), onError: (e) => errors.push(e), onLoading: (l) => loading.push(l) });
  const setKey = (k: string | undefined): void => {
    key = k;
  };
  return { f, r, data, errors, loading, setKey };
}

describe('createReloader (one reader per resource)', () => {
  it('shows every answer although reloads come faster than answers (the desk starved under load)', async () => {
    const { f, r, data } = setup();
    r.reload('/a');
    // ten live events while the first read is still out: they collapse into one more read
    for (let i = 0; i < 10; i++) r.reload('/a');
    expect(f.calls).toHaveLength(1);
    f.calls[0]!.resolve('v1');
    await flush();
    expect(data).toEqual(['v1']);
    expect(f.calls).toHaveLength(2);
    r.reload('/a');
    f.calls[1]!.resolve('v2');
    await flush();
    expect(data).toEqual(['v1', 'v2']);
    expect(f.calls).toHaveLength(3);
    f.calls[2]!.resolve('v3');
    await flush();
    expect(data).toEqual(['v1', 'v2', 'v3']);
    expect(f.calls).toHaveLength(3);
  });

  it('drops an answer for a path no longer shown and reads the current one', async () => {
    const { f, r, data, setKey } = setup();
    r.reload('/a');
    setKey('/b');
    r.reload('/b');
    expect(f.calls.map((c) => c.key)).toEqual(['/a']);
    f.calls[0]!.resolve('for a');
    await flush();
    expect(data).toEqual([]);
    expect(f.calls.map((c) => c.key)).toEqual(['/a', '/b']);
    f.calls[1]!.resolve('for b');
    await flush();
    expect(data).toEqual(['for b']);
  });

  it('reports an error, keeps the data shown, and reads again when asked', async () => {
    const { f, r, data, errors, loading } = setup();
    r.reload('/a');
    f.calls[0]!.resolve('v1');
    await flush();
    r.reload('/a');
    f.calls[1]!.reject(new Error('502'));
    await flush();
    expect(data).toEqual(['v1']);
    expect(errors).toHaveLength(1);
    expect(loading).toEqual([true, false, true, false]);
    r.reload('/a');
    expect(f.calls).toHaveLength(3);
  });

  it('reads nothing without a path', () => {
    const { f, r } = setup(undefined);
    r.reload(undefined);
    expect(f.calls).toHaveLength(0);
  });
});
