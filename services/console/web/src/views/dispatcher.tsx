import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useMute } from '../attention';
import { CommandBar } from '../components/command-bar';
import { CountyMap } from '../components/county-map';
import { ActionDialog, HelpOverlay, SendUnitDialog } from '../components/desk-dialogs';
import type { ActionKind, Incident, IncidentDetail, Unit } from '../desk-types';
import { QueuePanel } from '../components/desk-queue';
import { IncidentPane, UnitActions } from '../components/incident-pane';
import { ProblemBox } from '../components/problem';
import { AlertList, UnitBoard, type UnitAlert } from '../components/unit-board';
import { useConsoleConfig } from '../console-config';
import { acknowledgeAlert, asApiError } from '../desk-actions';
import { useDeskAttention } from '../desk-attention';
import { useDeskCommands } from '../desk-commands';
import { circleRadii, localMinute, type EtaModelLike } from '../dispatch-logic';
import { districtsOf, useDistrictName } from '../districts';
import { useI18n } from '../i18n';
import { useLiveReconnect, useLiveRefresh } from '../live';
import { labelOf, type TaxonomyFile } from '../taxonomy';
import { liveAgeSeconds, timerLevel } from '../timers';
import { useApi, useNow } from '../use-api';


type Dialog = { kind: 'send' } | { kind: 'help' } | { kind: 'action'; action: ActionKind } | undefined;

/** Seconds between full re-reads while nothing arrives (a safety net under the live stream). */
const SAFETY_REREAD_SECONDS = 30;
/** Milliseconds after a reconnect at which the views read everything again (a read is not retried when it fails). */
const REREAD_AFTER_RECONNECT_MS = [1500, 4000];

/**
 * 调度台 — the dispatcher desk on one 1920×1080 screen: the pending queue and the incidents in
 * progress (left), the selected incident with its detail, actions and live recommendations
 * (centre), the county map and below it the unit board and the overdue-unit alerts (right), a
 * command line and function keys on top. Data: dispatch's incidents, units and alerts through
 * the console gateway; re-read when dispatch or call events arrive (at most once a second), in
 * full on every reconnect of the live stream and every 30 s. Attention (tone, notification,
 * flash) for new P1/P2, red timers and overdue units (desk-attention.ts).
 */
export function DispatcherView({ taxonomy, geojson }: { taxonomy: TaxonomyFile | undefined; geojson: unknown }) {
  const { t, tx, lang } = useI18n();
  const cfg = useConsoleConfig();
  const now = useNow(1000);
  const pending = useApi<{ items: Incident[]; total: number }>('/api/dispatch/incidents?status=pending&limit=200');
  const active = useApi<{ items: Incident[]; total: number }>('/api/dispatch/incidents?status=assigned&limit=200');
  const unitsApi = useApi<{ items: Unit[] }>('/api/dispatch/units');
  const alertsApi = useApi<{ items: UnitAlert[] }>('/api/dispatch/alerts?limit=50');
  const etaModel = useApi<EtaModelLike>('/api/dispatch/eta-model');
  const districtName = useDistrictName(geojson, lang);
  const districts = useMemo(() => districtsOf(geojson), [geojson]);
  const [district, setDistrict] = useState('');
  const [unitType, setUnitType] = useState('');
  const [selectedId, setSelectedId] = useState<string>();
  const [selectedUnitId, setSelectedUnitId] = useState<string>();
  const [dialog, setDialog] = useState<Dialog>();
  const [recomputeNonce, setRecomputeNonce] = useState(0);
  const [acceptNonce, setAcceptNonce] = useState(0);
  const [ackBusy, setAckBusy] = useState<string>();
  const [ackError, setAckError] = useState<ReturnType<typeof asApiError>>();
  const [muted, toggleMute] = useMute();
  const commandRef = useRef<HTMLInputElement>(null);

  const pendingAll = pending.data?.items ?? [];
  const activeAll = active.data?.items ?? [];
  const inDistrict = (i: Incident) => !district || i.district === district;
  const pendingItems = pendingAll.filter(inDistrict);
  const activeItems = activeAll.filter(inDistrict);
  const rosterUnits = useMemo(() => (unitsApi.data?.items ?? []).filter((u) => !u.replay), [unitsApi.data]);
  const boardUnits = rosterUnits.filter((u) => (!district || u.district === district) && (!unitType || u.type === unitType));
  const unitTypes = useMemo(() => [...new Set(rosterUnits.map((u) => u.type))].sort(), [rosterUnits]);
  const detailId = selectedId ?? pendingItems[0]?.id;
  const detail = useApi<IncidentDetail>(detailId ? `/api/dispatch/incidents/${detailId}` : undefined);
  const selected: Incident | undefined = (detail.data?.id === detailId ? detail.data : undefined) ?? pendingAll.find((i) => i.id === detailId) ?? activeAll.find((i) => i.id === detailId);

  const reloadLists = useCallback(() => {
    pending.reload();
    active.reload();
    unitsApi.reload();
    alertsApi.reload();
    detail.reload();
  }, [pending.reload, active.reload, unitsApi.reload, alertsApi.reload, detail.reload]); // eslint-disable-line react-hooks/exhaustive-deps
  useLiveRefresh((e) => e.source === 'dispatch' || e.type === 'CallHandedToDispatch' || e.type === 'CallNarrativeAppended', reloadLists);
  // never silently stale: every reconnect of the live stream re-reads everything (events sent
  // while it was down are not replayed), and so does a quiet 30 s
  // (read three times: the first read can race the gateway's own start, and a failed read is not retried)
  // (a reconnect replaces the re-reads of the one before; all are cleared when the view unmounts)
  const rereads = useRef<ReturnType<typeof setTimeout>[]>([]);
  useLiveReconnect(() => {
    reloadLists();
    setRecomputeNonce((n) => n + 1);
    rereads.current.forEach(clearTimeout);
    rereads.current = REREAD_AFTER_RECONNECT_MS.map((ms) => setTimeout(reloadLists, ms));
  });
  useEffect(() => () => rereads.current.forEach(clearTimeout), []);
  useEffect(() => {
    const timer = setInterval(reloadLists, SAFETY_REREAD_SECONDS * 1000);
    return () => clearInterval(timer);
  }, [reloadLists]);

  const attention = useDeskAttention({
    pending: pending.data?.items,
    alerts: alertsApi.data?.items,
    now,
    describeIncident: (id) => {
      const i = pendingAll.find((x) => x.id === id);
      return { title: `${t('newIncidentAlert')} P${i?.priority ?? ''}`, body: i ? `${labelOf(taxonomy, i.subtype, lang)} · ${districtName(i.district)}${i.address ? ` · ${i.address}` : ''}` : '' };
    },
    describeAlert: (a) => ({ title: t('overdueAlert'), body: `${rosterUnits.find((u) => u.id === a.unitId)?.callSign ?? a.unitId} ${tx(`alert.${a.kind}`)}`, incidentId: (a as UnitAlert).incidentId ?? undefined }),
  });
  const flashIds = useMemo(() => new Set(attention.items.filter((x) => now - x.at < 8000 && x.incidentId).map((x) => x.incidentId!)), [attention.items, now]);

  const ack = async (a: UnitAlert) => {
    setAckBusy(a.id);
    try {
      await acknowledgeAlert(a.id);
      setAckError(undefined);
      alertsApi.reload();
    } catch (e) {
      setAckError(asApiError(e));
    } finally {
      setAckBusy(undefined);
    }
  };

  const afterChange = () => {
    reloadLists();
    setRecomputeNonce((n) => n + 1);
  };
  const moveSelection = (delta: number) => {
    const list = [...pendingItems, ...activeItems];
    const k = list.findIndex((i) => i.id === selected?.id);
    const next = list[Math.max(0, Math.min(list.length - 1, k + delta))];
    if (next) setSelectedId(next.id);
  };
  const canAct = !!selected && (selected.status === 'pending' || selected.status === 'assigned');
  const openAction = (action: ActionKind) => canAct && setDialog({ kind: 'action', action });
  const openAlerts = (alertsApi.data?.items ?? []).filter((a) => !a.acknowledgedAt);

  const runCommand = useDeskCommands({
    pending: pendingItems,
    all: [...pendingAll, ...activeAll],
    units: rosterUnits,
    selected,
    openAlerts,
    select: setSelectedId,
    openDialog: (d) => setDialog(d),
    recompute: () => setRecomputeNonce((n) => n + 1),
    toggleMute,
    acknowledge: ack,
    afterChange,
  });

  // function keys (the browser's own meaning of these keys is suppressed on the desk)
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      const k = e.key;
      const fn: Record<string, () => void> = {
        F1: () => setDialog({ kind: 'help' }),
        F2: () => openAction('note'),
        F3: () => (commandRef.current?.focus(), commandRef.current?.select()),
        F4: () => setAcceptNonce((n) => n + 1),
        F6: toggleMute,
        F7: () => canAct && setDialog({ kind: 'send' }),
        F8: () => setRecomputeNonce((n) => n + 1),
        F9: () => openAction('close'),
        F10: () => openAction('cancel'),
      };
      if (fn[k]) {
        e.preventDefault();
        if (!dialog || k === 'F1') fn[k]!();
        return;
      }
      if (e.altKey && !dialog) {
        const alt: Record<string, () => void> = { p: () => openAction('priority'), l: () => openAction('link'), k: () => openAlerts[0] && void ack(openAlerts[0]), ArrowUp: () => moveSelection(-1), ArrowDown: () => moveSelection(1) };
        const f = alt[k.length === 1 ? k.toLowerCase() : k];
        if (f) {
          e.preventDefault();
          f();
        }
      }
      if (k === 'Escape' && dialog) setDialog(undefined);
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  });

  const radii = useMemo(() => circleRadii(etaModel.data, localMinute(now, cfg?.timeZone ?? 'Asia/Shanghai')), [etaModel.data, cfg?.timeZone, Math.floor(now / 60_000)]); // eslint-disable-line react-hooks/exhaustive-deps
  const mapIncidents = [...pendingItems, ...activeItems]
    .filter((i) => i.lat !== null && i.lon !== null)
    .map((i) => ({ id: i.id, lat: i.lat!, lon: i.lon!, priority: i.priority, label: labelOf(taxonomy, i.subtype, lang), level: i.status === 'pending' && liveAgeSeconds(i, i.answeredAt, now) !== undefined ? timerLevel(liveAgeSeconds(i, i.answeredAt, now)!, i.priority) : ('ok' as const) }));
  const mapUnits = boardUnits.filter((u) => u.lat !== null && u.lon !== null).map((u) => ({ id: u.id, callSign: u.callSign, status: u.status, lat: u.lat!, lon: u.lon!, fixAgeSeconds: u.avlAt ? Math.max(0, (now - Date.parse(u.avlAt)) / 1000) : null }));
  const linked = (detail.data?.id === selected?.id ? detail.data?.units : undefined)?.filter((u) => u.active).map((u) => u.unitId) ?? [];
  const flashing = now < attention.flashUntil;
  const listErrors = [pending.error, active.error].filter(Boolean).slice(0, 1).map((e, k) => <ProblemBox key={k} error={e!} />);

  return (
    <div className={`view dispatch-desk${flashing ? ' flashing' : ''}`} data-testid="view-dispatch">
      <div className="desk-toolbar">
        <CommandBar ref={commandRef} run={runCommand} />
        <select value={district} onChange={(e) => setDistrict(e.target.value)} aria-label={t('filterDistrict')} data-testid="filter-district">
          <option value="">{t('allDistricts')}</option>
          {districts.map((d) => (
            <option key={d.key} value={d.key}>
              {d[lang]}
            </option>
          ))}
        </select>
        <select value={unitType} onChange={(e) => setUnitType(e.target.value)} aria-label={t('filterUnitType')} data-testid="filter-unit-type">
          <option value="">{t('allUnitTypes')}</option>
          {unitTypes.map((u) => (
            <option key={u} value={u}>
              {tx(`unitType.${u}`)}
            </option>
          ))}
        </select>
        <div className="attention-strip" data-testid="attention" data-count={attention.items.length}>
          {attention.items.slice(0, 3).map((x) => (
            <button key={x.key} type="button" className={`attention-item kind-${x.kind}`} data-testid="attention-item" data-kind={x.kind} data-incident-id={x.incidentId ?? ''} onClick={() => (x.incidentId && setSelectedId(x.incidentId), attention.dismiss(x.key))}>
              <b>{x.title}</b> {x.body}
            </button>
          ))}
        </div>
        <button type="button" className={`mute-button${muted ? ' on' : ''}`} onClick={toggleMute} data-testid="mute" data-muted={muted ? 'true' : 'false'} title="F6">
          {muted ? t('muted') : t('soundOn')}
        </button>
        <button type="button" className="help-button" onClick={() => setDialog({ kind: 'help' })} data-testid="help" title="F1">
          {t('help')} F1
        </button>
      </div>
      <div className="desk-grid">
        <QueuePanel pending={pendingItems} pendingTotal={district ? pendingItems.length : pending.data?.total} active={activeItems} activeTotal={district ? activeItems.length : active.data?.total} selectedId={selected?.id} onSelect={setSelectedId} now={now} taxonomy={taxonomy} districtName={districtName} flashIds={flashIds} loaded={!!pending.data} errors={listErrors} />
        <IncidentPane
          incident={selected}
          detail={detail.data?.id === selected?.id ? detail.data : undefined}
          units={rosterUnits}
          now={now}
          taxonomy={taxonomy}
          districtName={districtName}
          recomputeNonce={recomputeNonce}
          acceptNonce={acceptNonce}
          onChanged={afterChange}
          onSelectIncident={setSelectedId}
          onAction={(a) => (a === 'send' ? canAct && setDialog({ kind: 'send' }) : openAction(a))}
        />
        <section className="panel map-panel" data-testid="desk-map">
          <CountyMap geojson={geojson} incidents={mapIncidents} units={mapUnits} selectedIncidentId={selected?.id} linkedUnitIds={linked} circleRadiiMetres={radii} tiles={cfg?.mapTiles ?? null} onSelectIncident={setSelectedId} onSelectUnit={setSelectedUnitId} />
        </section>
        <div className="desk-bottom">
          <UnitBoard
            units={boardUnits}
            total={rosterUnits.length}
            now={now}
            thresholds={cfg?.unitStatusThresholds}
            selectedUnitId={selectedUnitId}
            onSelect={setSelectedUnitId}
            districtName={districtName}
            filters={unitsApi.error ? <ProblemBox error={unitsApi.error} /> : null}
            actions={<UnitActions unit={rosterUnits.find((u) => u.id === selectedUnitId)} incident={selected} onChanged={afterChange} onClose={() => setSelectedUnitId(undefined)} />}
          />
          <AlertList alerts={alertsApi.data?.items} units={rosterUnits} now={now} onAck={(a) => void ack(a)} ackBusy={ackBusy} onSelectIncident={setSelectedId} canAck error={ackError ? <ProblemBox error={ackError} /> : alertsApi.error ? <ProblemBox error={alertsApi.error} /> : null} />
        </div>
      </div>
      {dialog?.kind === 'help' && <HelpOverlay onClose={() => setDialog(undefined)} />}
      {dialog?.kind === 'send' && selected && <SendUnitDialog incident={selected} units={rosterUnits} districtName={districtName} onSent={() => (setDialog(undefined), afterChange())} onClose={() => setDialog(undefined)} />}
      {dialog?.kind === 'action' && selected && (
        <ActionDialog kind={dialog.action} incident={selected} others={[...pendingAll, ...activeAll].filter((i) => i.id !== selected.id)} taxonomy={taxonomy} districtName={districtName} onDone={() => (setDialog(undefined), afterChange())} onClose={() => setDialog(undefined)} />
      )}
    </div>
  );
}
