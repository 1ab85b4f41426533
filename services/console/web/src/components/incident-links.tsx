import { bureauTime } from '../bureau-time';
import { useConsoleConfig } from '../console-config';
import { useI18n } from '../i18n';
import { useApi } from '../use-api';
import type { DuplicateLink } from '../desk-types';

/** A `CallLinkedAsDuplicate` of the records timeline (its public data). */
export interface LinkEntry {
  eventId: string;
  type: string;
  occurredAt: string;
  data?: unknown;
}

interface LinkData {
  callId: string;
  duplicateOfCallId?: string;
  distanceMetres?: number;
  secondsApart?: number;
  matchedOn?: string[];
  reason?: string;
}

/** The calls linked to the call `callId` as duplicates (its timeline's `CallLinkedAsDuplicate` of other calls), latest last. */
export function linkedCalls(entries: LinkEntry[] | undefined, callId: string): (LinkData & { eventId: string; at: string })[] {
  return (entries ?? [])
    .filter((e) => e.type === 'CallLinkedAsDuplicate')
    .map((e) => ({ ...(e.data as LinkData), eventId: e.eventId, at: e.occurredAt }))
    .filter((d) => d.callId && d.callId !== callId && d.duplicateOfCallId === callId);
}

/** One linked call: when, how near, what matched, the call taker's reason, and the call's address and masked number (intake). */
function LinkedCall(props: { link: LinkData & { at: string } }) {
  const { t, tx } = useI18n();
  const tz = useConsoleConfig()?.timeZone ?? 'Asia/Shanghai';
  const { link } = props;
  const call = useApi<{ callerNumber?: string; state: { location?: { address?: string } } }>(`/api/intake/calls/${link.callId}`);
  return (
    <li className="linked-call small" data-testid="linked-call" data-call-id={link.callId}>
      <code>{bureauTime(link.at, tz, { withDate: false, withOffset: false })}</code>
      {link.distanceMetres !== undefined && <span> · {Math.round(link.distanceMetres)} {t('metres')}</span>}
      {link.secondsApart !== undefined && <span> · {t('apart')} {Math.round(link.secondsApart / 60)} {t('minutes')}</span>}
      {(link.matchedOn ?? []).length > 0 && <span className="muted"> · {(link.matchedOn ?? []).map((m) => tx(`reason.${m}`)).join('、')}</span>}
      {call.data?.state.location?.address && <span> · {call.data.state.location.address}</span>}
      {call.data?.callerNumber && (
        <span>
          {' '}
          · <code>{call.data.callerNumber}</code>
        </span>
      )}
      {link.reason && <div className="muted">{link.reason}</div>}
    </li>
  );
}

/**
 * Duplicates of the selected incident (issue 16 item 1, "visible to the dispatcher"): the calls a
 * call taker linked to this incident's call (重复报警, each a `CallLinkedAsDuplicate` event, read
 * from the records timeline), and, when this incident's own call was linked to another, the
 * original incident with a button that selects it.
 */
export function IncidentLinks(props: { callId: string; entries: LinkEntry[] | undefined; duplicateOf?: { callId?: string; incidentId?: string }; dispatchLinks?: DuplicateLink[]; onSelectIncident?: (id: string) => void }) {
  const { t } = useI18n();
  const tz = useConsoleConfig()?.timeZone ?? 'Asia/Shanghai';
  const links = linkedCalls(props.entries, props.callId);
  // dispatch's links (when it serves them): incidents a dispatcher linked to this one, and what
  // this incident was linked to; call links the timeline already shows are not repeated
  const byDispatcher = (props.dispatchLinks ?? []).filter((d) => d.direction === 'duplicated-by' && d.incidentId && !links.some((l) => l.callId === d.callId));
  const ofLink = (props.dispatchLinks ?? []).find((d) => d.direction === 'duplicate-of');
  const duplicateOf = props.duplicateOf ?? (ofLink ? { callId: ofLink.callId ?? undefined, incidentId: ofLink.incidentId ?? undefined } : undefined);
  const origCallId = duplicateOf?.callId;
  const orig = useApi<{ items: { id: string }[] }>(origCallId && !duplicateOf?.incidentId ? `/api/dispatch/incidents?callId=${origCallId}&limit=1` : undefined);
  const origIncident = duplicateOf?.incidentId ?? orig.data?.items[0]?.id;
  const count = links.length + byDispatcher.length;
  if (!count && !duplicateOf) return null;
  return (
    <div className="incident-links" data-testid="incident-links" data-count={count}>
      {duplicateOf && (
        <div className="small" data-testid="incident-duplicate">
          {t('duplicateOfIncident')}{' '}
          {origIncident ? (
            <button type="button" className="link-button" onClick={() => props.onSelectIncident?.(origIncident)} data-testid="open-original" data-incident-id={origIncident}>
              #{origIncident.slice(0, 8)}
            </button>
          ) : (
            <code>{(origCallId ?? '').slice(0, 8)}</code>
          )}
        </div>
      )}
      {count > 0 && (
        <>
          <div className="muted small">
            {t('linkedCalls')} <span className="count" data-testid="linked-count">{count}</span>
          </div>
          <ol className="linked-calls">
            {links.map((l) => (
              <LinkedCall key={l.eventId} link={l} />
            ))}
            {byDispatcher.map((d) => (
              <li key={`${d.incidentId}-${d.linkedAt}`} className="linked-call small" data-testid="linked-incident" data-incident-id={d.incidentId}>
                <code>{bureauTime(d.linkedAt, tz, { withDate: false, withOffset: false })}</code>{' '}
                <button type="button" className="link-button" onClick={() => props.onSelectIncident?.(d.incidentId!)}>
                  #{d.incidentId!.slice(0, 8)}
                </button>
                {d.merged ? ` · ${t('merged')}` : ''}
                {d.reason && <div className="muted">{d.reason}</div>}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
