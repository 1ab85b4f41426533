import { MAX_PREPARED_TEXTS, preparedName } from './sql';

describe('preparedName: which statements run as named prepared statements', () => {
  it('names a statement with parameters by its text: the same text, the same name; another text, another name', () => {
    const a = preparedName('SELECT 1 FROM units WHERE id = $1', 1);
    expect(a).toMatch(/^cad110_[0-9a-f]{24}$/);
    expect(preparedName('SELECT 1 FROM units WHERE id = $1', 1)).toBe(a);
    expect(preparedName('SELECT 2 FROM units WHERE id = $1', 1)).not.toBe(a);
  });

  it('leaves unnamed a statement without parameters (simple protocol: may hold several statements) and one with many (multi-row VALUES vary in length)', () => {
    expect(preparedName('BEGIN; SET LOCAL statement_timeout = 5', 0)).toBeUndefined();
    expect(preparedName(`INSERT INTO t (a) VALUES ${Array.from({ length: 65 }, (_, i) => `($${i + 1})`).join(', ')}`, 65)).toBeUndefined();
  });

  it(`prepares at most ${MAX_PREPARED_TEXTS} distinct texts per process; a text named earlier keeps its name`, () => {
    const first = preparedName('SELECT $1::int AS kept', 1);
    let named = 0;
    for (let i = 0; i < MAX_PREPARED_TEXTS + 10; i++) if (preparedName(`SELECT $1::int + ${i}`, 1)) named++;
    expect(named).toBeLessThan(MAX_PREPARED_TEXTS);
    expect(preparedName(`SELECT $1::int + ${MAX_PREPARED_TEXTS + 9}`, 1)).toBeUndefined();
    expect(preparedName('SELECT $1::int AS kept', 1)).toBe(first);
  });
});
