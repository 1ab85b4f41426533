import { z } from 'zod';
import { AppliedRunCard, IsoUtc, LocationReason, Recommendation } from '@cad110/contracts';
import { IdParams, parseParams, parseQuery, type RouteSpec } from '@cad110/http';
import { READ } from '../api';
import type { DispatchContext } from '../context';
import { IncidentStatus } from '../incidents/dto';
import { EtaConfigSchema } from './eta';
import { recommendationsFor } from './recommend-for';
import { RunCardSchema } from './run-cards';

const RecommendQuery = z
  .object({
    at: IsoUtc.optional().describe('UTC ISO-8601 instant to rank for (default now): shifts, time bands and AVL freshness are taken at that time'),
    alternates: z.coerce.number().int().min(0).max(20).optional().describe('alternates listed after the run card\'s units (default 3)'),
    includeReplayUnits: z.enum(['true', 'false']).optional().describe('also rank units a history replay registered'),
  })
  .strict();

const LiveRecommendation = z.object({
  incidentId: z.uuid(),
  asOf: z.string().describe('UTC ISO-8601: the instant ranked for'),
  status: IncidentStatus,
  runCard: AppliedRunCard,
  recommendations: z.array(Recommendation).describe('rank order: the run card\'s primaries, then alternates'),
  considered: z.number().int().describe('free units considered after duty, shift, type and replay filters'),
  locationReason: LocationReason.optional(),
});

/** Recommendations and the configuration they come from (run cards, ETA model). */
export function recommendRoutes(ctx: DispatchContext): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/incidents/:id/recommendations',
      operationId: 'recommendUnits',
      summary: 'Live ranking of the free on-duty units for an incident',
      description:
        'Run card, and per unit ETA seconds (great-circle metres × circuity ÷ speed of the unit type in the local time band, services/dispatch/config/eta.json), distance metres, 1/3/5-minute circle flags, role (primary/alternate) and reasons. Read-only: nothing is recorded.',
      tags: ['recommendations'],
      roles: READ,
      params: IdParams,
      query: RecommendQuery,
      responses: { 200: { description: 'The ranking', schema: LiveRecommendation } },
      handler: async (req, res) => {
        const { id } = parseParams(IdParams, req);
        const q = parseQuery(RecommendQuery, req);
        res.json(await recommendationsFor(ctx, id, { ...(q.at ? { at: q.at } : {}), ...(q.alternates !== undefined ? { alternates: q.alternates } : {}), includeReplayUnits: q.includeReplayUnits === 'true' }));
      },
    },
    {
      method: 'get',
      path: '/run-cards',
      operationId: 'listRunCards',
      summary: 'The run cards in force',
      description: 'Category × area × time window → number, types and capabilities of units (`DISPATCH_RUN_CARDS_FILE`, default services/dispatch/config/run-cards.json).',
      tags: ['recommendations'],
      roles: READ,
      responses: { 200: { description: 'The run cards', schema: z.object({ cards: z.array(RunCardSchema) }) } },
      handler: (_req, res) => {
        res.json({ cards: ctx.runCards.cards });
      },
    },
    {
      method: 'get',
      path: '/eta-model',
      operationId: 'getEtaModel',
      summary: 'The ETA model: circuity, time bands, speeds (m/s) per travel mode, with their sources',
      tags: ['recommendations'],
      roles: READ,
      responses: { 200: { description: 'The ETA configuration (`DISPATCH_ETA_FILE`, default services/dispatch/config/eta.json)', schema: EtaConfigSchema } },
      handler: (_req, res) => {
        res.json(ctx.eta.config);
      },
    },
  ];
}
