import type { ApiError } from '../api';
import { useI18n } from '../i18n';

/**
 * The text of an API error in the UI's language: the problem's `code` (`problem.<code>`) when the
 * UI knows it, else the HTTP status (`http.<status>`), else the server's title. Server sentences
 * (English) never stand in the Chinese UI's message: they go under "technical detail".
 */
export function useProblemText(): (error: ApiError) => string {
  const { tx } = useI18n();
  return (e) => {
    const byCode = e.code ? tx(`problem.${e.code}`) : undefined;
    if (byCode && byCode !== e.code) return byCode;
    const byStatus = tx(`http.${e.status}`);
    return byStatus !== String(e.status) ? byStatus : e.title;
  };
}

/** An API error: its translated text, and the method, path, status, server title, detail and bad fields under "technical detail". */
export function ProblemBox({ error, title }: { error: ApiError; title?: string }) {
  const { t, lang } = useI18n();
  const text = useProblemText()(error);
  return (
    <div className="problem" role="alert" data-testid="problem" data-status={error.status} data-code={error.code ?? ''}>
      <strong>
        {title ? `${title}${lang === 'zh' ? '：' : ': '}` : ''}
        {text}
      </strong>
      {error.errors.length > 0 && (
        <ul>
          {error.errors.map((e) => (
            <li key={e.field}>
              <code>{e.field}</code>
            </li>
          ))}
        </ul>
      )}
      <details className="muted small">
        <summary>{t('technicalDetail')}</summary>
        HTTP {error.status || '—'} {error.title}
        {error.detail ? ` — ${error.detail}` : ''}
        {error.path ? ` (${error.method} ${error.path})` : ''}
        {error.errors.map((e) => ` · ${e.field}: ${e.message}`).join('')}
      </details>
    </div>
  );
}
