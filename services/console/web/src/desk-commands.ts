import type { CommandResult } from './components/command-bar';
import { useProblemText } from './components/problem';
import { addNote, asApiError, assignUnit, cancelIncident, changePriority, closeIncident, linkDuplicate, setUnitStatus } from './desk-actions';
import { parseCommand, resolveIncident, resolveUnit } from './dispatch-logic';
import { useI18n } from './i18n';
import { ON_INCIDENT } from './unit-status';
import type { ActionKind, Incident, Unit } from './desk-types';

type Dialog = { kind: 'send' } | { kind: 'help' } | { kind: 'action'; action: ActionKind };

/**
 * Runs a line of the dispatcher's command line against the desk (dispatch-logic.ts parses it):
 * `D` dispatches a unit (id or call sign) to an incident (queue number, id prefix, default the
 * selected one), `S` reports a unit status, `C` cancels, `X` closes without a unit, `G` selects,
 * `R` recomputes, `N` adds a note, `P` changes the priority, `L` links the selected incident as a
 * duplicate of another, `A` acknowledges an alert, `F` opens the free-unit search, `M` mutes,
 * `?` shows the help. Refusals come back as translated messages (problem codes), never thrown.
 */
export function useDeskCommands(d: {
  pending: Incident[];
  all: Incident[];
  units: Unit[];
  selected: Incident | undefined;
  openAlerts: { id: string }[];
  select: (id: string) => void;
  openDialog: (d: Dialog) => void;
  recompute: () => void;
  toggleMute: () => void;
  acknowledge: (a: never) => Promise<void>;
  afterChange: () => void;
}): (line: string) => Promise<CommandResult> {
  const { t, tx } = useI18n();
  const problemText = useProblemText();
  return async (line) => {
    const c = parseCommand(line);
    const incidentOf = (ref: string | undefined) => (ref ? resolveIncident(ref, d.pending, d.all) : d.selected);
    const ok = (message: string): CommandResult => ({ ok: true, message });
    const bad = (message: string): CommandResult => ({ ok: false, message });
    try {
      switch (c.kind) {
        case 'error':
          return bad(t('commandUnknown'));
        case 'help':
          d.openDialog({ kind: 'help' });
          return ok(t('help'));
        case 'recompute':
          d.recompute();
          return ok(t('refreshRecs'));
        case 'mute':
          d.toggleMute();
          return ok(t('mute'));
        case 'select': {
          const i = incidentOf(c.incident);
          if (!i) return bad(t('commandNoIncident'));
          d.select(i.id);
          return ok(`${t('selected')} ${i.id.slice(0, 8)}`);
        }
        case 'send':
          if (!d.selected) return bad(t('commandNoIncident'));
          d.openDialog({ kind: 'send' });
          return ok(t('sendAnyUnit'));
        case 'dispatch': {
          const u = resolveUnit(c.unit, d.units);
          if (!u) return bad(`${t('commandNoUnit')}: ${c.unit}`);
          const i = incidentOf(c.incident);
          if (!i) return bad(t('commandNoIncident'));
          await assignUnit(i.id, u.id);
          d.select(i.id);
          d.afterChange();
          return ok(`${u.callSign} → ${i.id.slice(0, 8)} ${t('assigned')}`);
        }
        case 'status': {
          const u = resolveUnit(c.unit, d.units);
          if (!u) return bad(`${t('commandNoUnit')}: ${c.unit}`);
          await setUnitStatus(u.id, c.status, ON_INCIDENT.includes(u.status as never) ? (u.incidentId ?? undefined) : undefined);
          d.afterChange();
          return ok(`${u.callSign} ${tx(`unit.${c.status}`)}`);
        }
        case 'cancel':
        case 'close': {
          const i = incidentOf(c.incident);
          if (!i) return bad(t('commandNoIncident'));
          if (c.kind === 'cancel') await cancelIncident(i.id, c.reason);
          else await closeIncident(i.id, c.disposition);
          d.afterChange();
          return ok(`${i.id.slice(0, 8)} ${c.kind === 'cancel' ? tx('incident.cancelled') : tx(`disposition.${c.disposition}`)}`);
        }
        case 'note':
          if (!d.selected) return bad(t('commandNoIncident'));
          await addNote(d.selected.id, c.text);
          d.afterChange();
          return ok(t('noteAdded'));
        case 'priority':
          if (!d.selected) return bad(t('commandNoIncident'));
          await changePriority(d.selected.id, c.priority, c.reason);
          d.afterChange();
          return ok(`P${c.priority}`);
        case 'link': {
          const target = resolveIncident(c.incident, d.pending, d.all);
          if (!d.selected || !target || target.id === d.selected.id) return bad(t('commandNoIncident'));
          await linkDuplicate(d.selected.id, target.id);
          d.afterChange();
          return ok(`${d.selected.id.slice(0, 8)} → ${target.id.slice(0, 8)}`);
        }
        case 'ack': {
          const a = c.alert ? d.openAlerts[Number(c.alert) - 1] : d.openAlerts[0];
          if (!a) return bad(t('noAlerts'));
          await d.acknowledge(a as never);
          return ok(t('acknowledged'));
        }
      }
    } catch (e) {
      return bad(problemText(asApiError(e)));
    }
  };
}
