import type { ActingUser } from '@cad110/contracts';
import { NotFoundError } from '@cad110/contracts';
import { handleCommand, runCommand } from '@cad110/eventstore';
import type { Sql } from '@cad110/db';
import { atOf, type DispatchContext } from '../context';
import { unitStream, unitStreamId } from '../units/stream';
import { decide } from '../units/unit';

interface AlertRow {
  id: string;
  unit_id: string;
  incident_id: string | null;
  kind: 'not-en-route' | 'check-in-due';
  since: Date;
  sequence: number;
  acknowledged_at: Date | null;
}

/** What an acknowledge answers: the alert's acknowledgement and the events appended (none the second time). */
export interface AcknowledgeResult {
  alertId: string;
  unitId: string;
  acknowledgedAt: string;
  acknowledgedBy: string | null;
  acknowledgedWorkstation: string | null;
  events: string[];
}

/**
 * A dispatcher acknowledges an overdue alert of the status timers: UnitOverdueAcknowledged on
 * the alert's unit stream, with the actor and workstation in its metadata. An alert already
 * acknowledged appends nothing and answers the first acknowledgement (idempotent); two
 * concurrent acknowledgements append one event (the loser's retry finds it acknowledged).
 * @throws NotFoundError for an unknown alert id, FutureTimeError for an `at` ahead of the clock
 */
export async function acknowledgeAlert(ctx: DispatchContext, alertId: string, input: { at?: string }, by: ActingUser): Promise<AcknowledgeResult> {
  const at = atOf(ctx, input.at);
  const read = async (tx: Sql) =>
    (await tx.query<AlertRow & { acknowledged_by: string | null; acknowledged_workstation: string | null }>('SELECT * FROM unit_alerts WHERE id = $1::bigint', [alertId]))[0];
  const out = await runCommand(ctx.transaction, async (tx) => {
    const alert = await read(tx);
    if (!alert) throw new NotFoundError(`alert ${alertId}`);
    const callId = alert.incident_id ? (await tx.query<{ call_id: string }>('SELECT call_id FROM incidents WHERE id = $1::uuid', [alert.incident_id]))[0]?.call_id : undefined;
    const r = await handleCommand(
      tx,
      ctx.registry,
      unitStream(ctx),
      unitStreamId(alert.unit_id),
      (s) =>
        decide(
          {
            type: 'AcknowledgeOverdue',
            alert: { alertId: String(alert.id), kind: alert.kind, since: alert.since.toISOString(), sequence: alert.sequence, incidentId: alert.incident_id, callId: callId ?? null, acknowledged: alert.acknowledged_at !== null },
            at,
          },
          s,
        ),
      { by, occurredAt: at, what: `unit ${alert.unit_id}`, mustExist: true },
    );
    const after = (await read(tx))!;
    return {
      alertId: String(alert.id),
      unitId: alert.unit_id,
      acknowledgedAt: after.acknowledged_at!.toISOString(),
      acknowledgedBy: after.acknowledged_by,
      acknowledgedWorkstation: after.acknowledged_workstation,
      events: r.envelopes.map((e) => e.type),
    };
  });
  if (out.events.length) ctx.published();
  return out;
}
