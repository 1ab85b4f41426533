import { traceIdOf, traceUrl, useConsoleConfig } from '../console-config';
import { useI18n } from '../i18n';
import { useApi } from '../use-api';

/**
 * A link to the trace of a call in the configured trace viewer (`CAD110_TRACE_VIEWER_URL`).
 * The trace id is the one of the call's first event (`metadata.traceparent` in
 * `GET /api/intake/calls/{callId}`: the intake request that opened the call is the trace's root).
 * Renders nothing when no viewer is configured or the call has no trace context.
 */
export function TraceLink({ callId }: { callId: string }) {
  const { t } = useI18n();
  const config = useConsoleConfig();
  const call = useApi<{ events: { metadata?: { traceparent?: string } }[] }>(config?.traceViewerUrl ? `/api/intake/calls/${callId}` : undefined);
  const traceId = traceIdOf(call.data?.events[0]?.metadata?.traceparent);
  if (!config?.traceViewerUrl || !traceId) return null;
  return (
    <a className="trace-link small" href={traceUrl(config.traceViewerUrl, traceId)} target="_blank" rel="noreferrer" data-testid="trace-link" data-trace-id={traceId}>
      {t('trace')} ↗
    </a>
  );
}
