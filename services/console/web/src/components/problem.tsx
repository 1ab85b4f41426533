import type { ApiError } from '../api';
import { useI18n } from '../i18n';

/** An API error shown in full: method, path, status, title, detail and every bad field. */
export function ProblemBox({ error, title }: { error: ApiError; title?: string }) {
  const { t } = useI18n();
  return (
    <div className="problem" role="alert" data-testid="problem" data-status={error.status}>
      <strong>
        {title ?? t('error')}: HTTP {error.status || '—'} {error.title}
      </strong>
      {error.detail && <div>{error.detail}</div>}
      {error.path && (
        <div className="muted small">
          {error.method} {error.path}
        </div>
      )}
      {error.errors.length > 0 && (
        <ul>
          {error.errors.map((e) => (
            <li key={e.field}>
              <code>{e.field}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
