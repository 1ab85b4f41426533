import { z } from 'zod';
import { actorOf } from '@cad110/auth';
import { ProblemError, type RouteSpec } from '@cad110/http';
import type { LiveProjection, StatisticsRuntime } from '../runtime';
import { statisticsTopics } from '../config';
import { rebuildProjections, RebuildRefused } from '../projections/rebuild';

const RebuildResult = z
  .object({
    events: z.number().int().describe('distinct events read and applied'),
    duplicates: z.number().int().describe('messages repeating an event already applied: skipped'),
    skipped: z.number().int().describe('messages that were not readable events'),
    calls: z.number().int(),
    incidents: z.number().int(),
    cases: z.number().int(),
    watermarks: z.array(z.object({ topic: z.string(), partition: z.number().int(), offset: z.string().describe('last offset applied; -1 for an empty partition') })),
    readSeconds: z.number().describe('seconds reading and folding'),
    writeSeconds: z.number().describe('seconds writing'),
    seconds: z.number().describe('wall-clock seconds in all'),
    eventsPerSecond: z.number(),
  })
  .meta({ id: 'RebuildResult' });

/**
 * POST /stats/admin/rebuild (roles admin, ops): closes this process' consumer gate (waits for the
 * message in progress), rebuilds the projections from offset 0 (see rebuild.ts), opens the gate.
 * 200 with the rebuild summary; 409 problem+json when refused (another rebuild, other live
 * instances, or topics that no longer start at offset 0).
 */
export function adminRoutes(rt: StatisticsRuntime, live: LiveProjection): RouteSpec[] {
  let running = false;
  return [
    {
      method: 'post',
      path: '/stats/admin/rebuild',
      operationId: 'rebuildProjections',
      summary: 'Rebuild every projection from the Kafka topics',
      description:
        "Takes the rebuild lock, pauses this instance's live consumer, replays the calls, dispatch and cases topics from offset 0 to their end offsets at the start, truncates and reloads the projections in one transaction, records the per-partition watermarks and resumes the consumer. 409 when a rebuild already runs or other statistics instances consume live.",
      tags: ['admin'],
      roles: ['ops'],
      responses: { 200: { description: 'Rebuild summary', schema: RebuildResult }, 409: { description: 'Refused (see detail)' } },
      handler: async (req, res) => {
        const by = actorOf(req);
        if (running) throw ProblemError.conflict('a rebuild is already running in this instance');
        running = true;
        rt.logger.info({ actor: by.actor.id }, 'statistics rebuild requested');
        try {
          await live.gate.close();
        } catch (e) {
          running = false;
          throw e;
        }
        try {
          const result = await rebuildProjections({ pool: rt.pool, kafka: rt.kafka, registry: rt.registry, cfg: live.cfg, logger: rt.logger, topics: statisticsTopics(), ownLivePid: live.livePid });
          res.json(result);
        } catch (e) {
          if (e instanceof RebuildRefused) throw ProblemError.conflict(e.message);
          throw e;
        } finally {
          live.gate.open();
          running = false;
        }
      },
    },
  ];
}
