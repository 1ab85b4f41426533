import { randomUUID } from 'node:crypto';
import { caseStreamId, IncidentOpened, type EventEnvelope, type EventRegistry } from '@cad110/contracts';
import { handleCommand } from '@cad110/eventstore';
import type { Sql } from '@cad110/db';
import type { z } from 'zod';
import { decide, type CaseEvent } from './case';
import { caseStream } from './stream';
import { nextCaseNumber } from './case-number';
import { recordOnTimeline } from './read-model';
import { countingClassificationOf, countingLocationOf, lockCall, onCallClassified, onCallLocated } from './counting';

export { callIdOf, recordOnTimeline } from './read-model';

/**
 * Consumer handler for call and dispatch events: every event of a call goes on the timeline; an
 * opened incident opens its case file (CaseOpened with a gapless case number, taken in this
 * transaction: a rollback returns the number). An incident that already has a case is skipped,
 * so a redelivered or replayed IncidentOpened opens nothing twice. The case counts under the
 * call's latest classification (a CallClassified, also after the hand-over, reclassifies the case),
 * under its latest location's district (a CallLocated after the hand-over relocates the case) and
 * on its answer day (counting.ts).
 */
export async function onEvent(event: EventEnvelope, tx: Sql, registry: EventRegistry, timeZone: string): Promise<void> {
  await recordOnTimeline(tx, registry, event);
  if (event.type === 'CallClassified') return onCallClassified(tx, event);
  if (event.type === 'CallLocated') return onCallLocated(tx, event);
  if (event.type !== 'IncidentOpened') return;
  const inc = event.data as z.infer<typeof IncidentOpened.schema>;
  await lockCall(tx, inc.callId);
  const exists = await tx.query<unknown>('SELECT 1 FROM cases WHERE incident_id = $1::uuid', [inc.incidentId]);
  if (exists.length) return;
  const caseId = randomUUID();
  const caseNumber = await nextCaseNumber(tx, inc.openedAt, timeZone);
  const counting = await countingClassificationOf(tx, inc.callId, inc);
  const located = await countingLocationOf(tx, inc.callId, inc.location);
  await handleCommand(
    tx,
    registry,
    caseStream(registry, { kind: inc.kind, priority: inc.priority, ...(located.beat ? { beat: located.beat } : {}), answeredAt: inc.answeredAt, counting }),
    caseStreamId(caseId),
    (state) =>
      decide(
        {
          type: 'OpenCase',
          caseId,
          caseNumber,
          incidentId: inc.incidentId,
          callId: inc.callId,
          openedAt: inc.openedAt,
          category: inc.category,
          subtype: inc.subtype,
          ...(located.district ? { district: located.district } : {}),
        },
        state,
        { now: new Date().toISOString() },
      ) as unknown as CaseEvent[],
    { by: { actor: { id: 'system:records' } }, causationId: event.eventId, isNew: true },
  );
}
