import { z } from 'zod';
import { actorOf } from '@cad110/auth';
import { UnitStatus } from '@cad110/contracts';
import { inTransaction, runBatch } from '@cad110/eventstore';
import { batchItemResponse, parseOr400, ProblemError, type RouteSpec } from '@cad110/http';
import type { Logger } from '@cad110/logging';
import { AtField, DISPATCH } from '../api';
import { assignUnit } from '../assignments/assign';
import type { DispatchContext } from '../context';
import { changeUnitStatus } from '../units/status';

/** The most commands one batch request may carry (the JSON body limit is 64 kB: about 120 bytes a command). */
export const MAX_BATCH_COMMANDS = 400;

const AssignCommand = z
  .object({
    type: z.literal('assignUnit'),
    incidentId: z.uuid(),
    unitId: z.string().min(1).max(64),
    at: AtField,
    reassign: z.boolean().optional().describe('move a unit busy on another incident (改派)'),
    after: z.number().int().min(0).optional().describe('index (0-based) of an earlier command of the batch this one depends on: when that one did not succeed this one is not run (424 `dependency-failed`)'),
  })
  .strict()
  .describe('as `POST /incidents/{incidentId}/assignments` (出警); answers 201 with its body');
const StatusCommand = z
  .object({
    type: z.literal('changeUnitStatus'),
    unitId: z.string().min(1).max(64),
    status: UnitStatus,
    at: AtField,
    incidentId: z.uuid().optional().describe('required for `dispatched`; otherwise checks the unit is on that incident'),
    after: z.number().int().min(0).optional().describe('index (0-based) of an earlier command of the batch this one depends on: when that one did not succeed this one is not run (424 `dependency-failed`)'),
  })
  .strict()
  .describe('as `POST /units/{unitId}/status`; answers 200 with its body');
const BatchCommand = z.discriminatedUnion('type', [AssignCommand, StatusCommand]);
export type BatchCommand = z.infer<typeof BatchCommand>;

export const BatchBody = z.object({ commands: z.array(BatchCommand).min(1).max(MAX_BATCH_COMMANDS) }).strict();

const BatchResult = z.object({
  results: z
    .array(z.object({ status: z.number().int().describe('the HTTP status the command would have had alone (201, 200, 404, 409, …)'), body: z.unknown().describe('its body: the command result, or problem+json') }))
    .describe('one per command, in the order sent'),
});

/**
 * Runs one command of a batch inside the batch's transaction `tx`: the same functions as the
 * single routes (assignUnit, changeUnitStatus), given a context whose transaction is `tx` and
 * whose relay nudge waits for the batch's commit.
 * @throws what the single command throws (NotFoundError, CommandRejected, FutureTimeError, …)
 */
async function runOne(ctx: DispatchContext, c: BatchCommand, by: ReturnType<typeof actorOf>): Promise<unknown> {
  if (c.type === 'assignUnit') return assignUnit(ctx, c.incidentId, { unitId: c.unitId, ...(c.at ? { at: c.at } : {}), ...(c.reassign ? { reassign: true } : {}) }, by);
  if (c.status === 'dispatched' && !c.incidentId) throw ProblemError.validation([{ field: 'incidentId', message: 'required to dispatch a unit' }]);
  return changeUnitStatus(ctx, c.unitId, { status: c.status, ...(c.at ? { at: c.at } : {}), ...(c.incidentId ? { incidentId: c.incidentId } : {}) }, by);
}

/**
 * `POST /commands/batch`: many dispatch commands in one request and, when none fails, one
 * transaction (libs/eventstore `runBatch`) — for history replays and bulk entry, where one
 * request and one commit per command would be most of the cost (issue 18 item 7).
 */
export function batchRoutes(ctx: DispatchContext, logger?: Logger): RouteSpec[] {
  return [
    {
      method: 'post',
      path: '/commands/batch',
      operationId: 'runCommandBatch',
      summary: 'Several dispatch commands in one request (出警 and status reports, e.g. a history replay)',
      description:
        `Up to ${MAX_BATCH_COMMANDS} commands, run in the order sent, each exactly as its single route would run it and all-or-nothing on its own: \`assignUnit\` as POST /incidents/{id}/assignments, \`changeUnitStatus\` as POST /units/{unitId}/status (no If-Match: the order of the batch is the precondition). ` +
        'The answer is 200 with one `{status, body}` per command — the status and body that command would have had alone (201/200 with its result, or 404/409/400 problem+json). A refused command changes nothing and the others are still applied (except those naming it, or a command skipped because of it, in `after`: 424 `dependency-failed`); later commands see the effects of earlier ones. ' +
        'When no command is refused the whole batch is one transaction (one commit); a refused command is rolled back and run alone, the commands before it committed together. A malformed body (an unknown `type`, a bad field) refuses the whole batch with 400 naming the field (`commands.3.unitId`).',
      tags: ['assignments'],
      roles: DISPATCH,
      body: BatchBody,
      responses: { 200: { description: 'One result per command, in order', schema: BatchResult } },
      handler: async (req, res) => {
        const { commands } = parseOr400(BatchBody, req.body);
        const late = commands.findIndex((c, i) => c.after !== undefined && c.after >= i);
        if (late >= 0) throw ProblemError.validation([{ field: `commands.${late}.after`, message: 'must name an earlier command of the batch' }]);
        const by = actorOf(req);
        const outcomes = await runBatch(
          ctx.transaction,
          commands,
          (tx, c) => runOne({ ...ctx, transaction: inTransaction(tx), published: () => undefined }, c, by),
          () => ctx.published(),
          { after: (c) => c.after },
        );
        res.json({ results: outcomes.map((o, i) => batchItemResponse(o, commands[i]!.type === 'assignUnit' ? 201 : 200, logger)) });
      },
    },
  ];
}
