import { randomUUID } from 'node:crypto';
import { caseStreamId, IncidentOpened, type EventEnvelope, type EventRegistry } from '@cad110/contracts';
import { handleCommand, type SqlTx } from '@cad110/eventstore';
import type { z } from 'zod';
import { decide, type CaseEvent } from './case';
import { caseStream } from './stream';
import { nextCaseNumber } from './case-number';
import { recordOnTimeline } from './read-model';

export { callIdOf, recordOnTimeline } from './read-model';

/**
 * Consumer handler for call and dispatch events: every event of a call goes on the timeline; an
 * opened incident opens its case file (CaseOpened with a gapless case number, taken in this
 * transaction: a rollback returns the number). An incident that already has a case is skipped,
 * so a redelivered or replayed IncidentOpened opens nothing twice.
 */
export async function onEvent(event: EventEnvelope, tx: SqlTx, registry: EventRegistry, timeZone: string): Promise<void> {
  await recordOnTimeline(tx, registry, event);
  if (event.type !== 'IncidentOpened') return;
  const inc = event.data as z.infer<typeof IncidentOpened.schema>;
  const exists = await tx.$queryRawUnsafe<unknown[]>('SELECT 1 FROM cases WHERE incident_id = $1::uuid', inc.incidentId);
  if (exists.length) return;
  const caseId = randomUUID();
  const caseNumber = await nextCaseNumber(tx, inc.openedAt, timeZone);
  await handleCommand(
    tx,
    registry,
    caseStream(registry, { kind: inc.kind, priority: inc.priority, ...(inc.location.beat ? { beat: inc.location.beat } : {}) }),
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
          ...(inc.location.district ? { district: inc.location.district } : {}),
        },
        state,
        { now: new Date().toISOString() },
      ) as unknown as CaseEvent[],
    { by: { actor: { id: 'system:records' } }, causationId: event.eventId, isNew: true },
  );
}
