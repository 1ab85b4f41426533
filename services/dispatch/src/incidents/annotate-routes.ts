import { z } from 'zod';
import { actorOf } from '@cad110/auth';
import { Priority } from '@cad110/contracts';
import { IdParams, ifMatchVersion, parseOr400, parseParams, type RouteSpec } from '@cad110/http';
import { AtField, DISPATCH, EventTypes } from '../api';
import type { DispatchContext } from '../context';
import { addNote, changePriority } from './annotate';
import { linkAsDuplicate } from './link';

export const NoteBody = z.object({ text: z.string().trim().min(1).max(2000).describe('the note (1–2000 characters)'), at: AtField }).strict();
export const PriorityBody = z.object({ priority: Priority.describe('the new priority, 1 (most urgent) to 4'), reason: z.string().trim().min(1).max(500).describe('why it changed'), at: AtField }).strict();

export const LinkBody = z.object({ duplicateOf: z.uuid().describe('the incident this one duplicates'), reason: z.string().trim().min(1).max(500).optional().describe('why they are the same'), at: AtField }).strict();

const Result = z.object({ incidentId: z.uuid(), version: z.number().int().describe('incident stream version after the command'), events: EventTypes });

/** The dispatcher's notes, priority changes and duplicate links on an incident (issue 15 §2), shown by `GET /incidents/{id}`. */
export function annotateRoutes(ctx: DispatchContext): RouteSpec[] {
  return [
    {
      method: 'post',
      path: '/incidents/:id/notes',
      operationId: 'addIncidentNote',
      summary: 'Add a note to the incident (IncidentNoteAdded)',
      description:
        'Body `{text, at?}`. The note is recorded with the actor and workstation (token or `X-Workstation`) and listed in `GET /incidents/{id}` under `narrative` (source `dispatch`), oldest first. Taken on open, closed and cancelled incidents (a call-back after the close). 400 bad body, 404 unknown incident. If-Match: incident version.',
      tags: ['incidents'],
      roles: DISPATCH,
      params: IdParams,
      body: NoteBody,
      ifMatch: 'optional',
      responses: { 200: { description: 'Note added: the events appended and the new version', schema: Result, headers: ['ETag'] } },
      handler: async (req, res) => {
        const { id } = parseParams(IdParams, req);
        const out = await addNote(ctx, id, parseOr400(NoteBody, req.body), actorOf(req), ifMatchVersion(req));
        res.set('ETag', `"${out.version}"`).json(out);
      },
    },
    {
      method: 'post',
      path: '/incidents/:id/priority',
      operationId: 'changeIncidentPriority',
      summary: 'Change the incident\'s priority with a reason (IncidentPriorityChanged)',
      description:
        'Body `{priority, reason, at?}`, priority 1 (most urgent) to 4. The incident\'s `priority` changes at once (the pending queue reorders) and `GET /incidents/{id}` lists the change under `priorityChanges` {from, to, reason, at, actorId, workstation}. 400 bad body, 404 unknown incident, 409 `same-priority`, `incident-closed` or `incident-cancelled`. If-Match: incident version.',
      tags: ['incidents'],
      roles: DISPATCH,
      params: IdParams,
      body: PriorityBody,
      ifMatch: 'optional',
      responses: {
        200: { description: 'Priority changed: the events appended and the new version', schema: Result, headers: ['ETag'] },
        409: { description: 'Same priority, or the incident is closed or cancelled (`code` says which)' },
      },
      handler: async (req, res) => {
        const { id } = parseParams(IdParams, req);
        const out = await changePriority(ctx, id, parseOr400(PriorityBody, req.body), actorOf(req), ifMatchVersion(req));
        res.set('ETag', `"${out.version}"`).json(out);
      },
    },
    {
      method: 'post',
      path: '/incidents/:id/link',
      operationId: 'linkIncidentAsDuplicate',
      summary: 'Link the incident as the duplicate of another incident (IncidentLinkedAsDuplicate)',
      description:
        'Body `{duplicateOf, reason?, at?}`. The link is recorded with the actor and workstation; `GET /incidents/{id}` lists it under `duplicates` on both incidents (`duplicate-of` here, `duplicated-by` on the other). A pending incident (no unit working it) is also closed with disposition `duplicate` (IncidentClosed); one with units on it stays open. 400 bad body or a link to itself, 404 unknown incident or `duplicateOf`, 409 `already-linked`, `incident-closed` or `incident-cancelled`. If-Match: incident version.',
      tags: ['incidents'],
      roles: DISPATCH,
      params: IdParams,
      body: LinkBody,
      ifMatch: 'optional',
      responses: {
        200: { description: 'Linked (and closed when pending): the events appended and the new version', schema: Result, headers: ['ETag'] },
        409: { description: 'Already linked, or the incident is closed or cancelled (`code` says which)' },
      },
      handler: async (req, res) => {
        const { id } = parseParams(IdParams, req);
        const out = await linkAsDuplicate(ctx, id, parseOr400(LinkBody, req.body), actorOf(req), ifMatchVersion(req));
        res.set('ETag', `"${out.version}"`).json(out);
      },
    },
  ];
}
