import { Router } from 'express';
import { z } from 'zod';
import { requireRole } from '@cad110/auth';
import { parseOr400 } from '@cad110/http';
import type { PrismaClient } from '../prisma';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a local day YYYY-MM-DD');

const CountsQuery = z
  .object({
    by: z.enum(['category', 'subtype', 'kind', 'district', 'beat', 'day', 'hour']).default('category'),
    from: Day.optional(),
    to: Day.optional(),
    district: z.string().max(64).optional(),
    category: z.string().max(64).optional(),
  })
  .strict();

const COLUMN = { category: 'category', subtype: 'subtype', kind: 'kind', district: 'district', beat: 'beat', day: 'local_day', hour: 'local_hour' } as const;

export function statsRoutes(prisma: PrismaClient, timeZone: string): Router {
  const r = Router();

  /**
   * GET /stats/counts?by=category|subtype|kind|district|beat|day|hour&from=&to=&district=&category=
   * Number of calls (counting unit: call, 110 calls received) grouped by one dimension.
   * `from`/`to` are local days (YYYY-MM-DD, inclusive) in the bureau zone; a call counts on the
   * local day it was answered. Unclassified or unlocated calls group under `null`.
   * 200 `{timeZone, by, from, to, rows:[{key, count}], total}`.
   */
  r.get('/stats/counts', requireRole('analyst', 'supervisor', 'ops', 'dispatcher'), async (req, res) => {
    const { access_token: _t, ...query } = req.query;
    const q = parseOr400(CountsQuery, query);
    const where: string[] = [`local_day <> ''`];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.from) add('local_day >= ?', q.from);
    if (q.to) add('local_day <= ?', q.to);
    if (q.district) add('district = ?', q.district);
    if (q.category) add('category = ?', q.category);
    const col = COLUMN[q.by];
    const rows = await prisma.$queryRawUnsafe<{ key: string | number | null; count: bigint }[]>(
      `SELECT ${col} AS key, count(*) AS count FROM call_facts WHERE ${where.join(' AND ')} GROUP BY ${col} ORDER BY ${col} NULLS LAST`,
      ...params,
    );
    const out = rows.map((x) => ({ key: x.key, count: Number(x.count) }));
    res.json({ timeZone, by: q.by, from: q.from ?? null, to: q.to ?? null, rows: out, total: out.reduce((s, x) => s + x.count, 0) });
  });

  return r;
}
