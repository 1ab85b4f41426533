import { useState } from 'react';
import { ApiError, post } from '../api';
import { useI18n } from '../i18n';
import { useLocalTime } from '../records-model';
import { useApi } from '../use-api';
import { ProblemBox } from './problem';

/** An open session of `GET /api/auth/sessions`. */
export interface OpenSessionRow {
  username: string;
  displayName: string;
  role: string;
  workstation: string | null;
  signedInAt: string;
  expiresAt: string;
}

/**
 * 在线用户 — who is signed in (`GET /api/auth/sessions`: open sessions, newest first) and a
 * button per user that revokes every session of theirs (`POST
 * /api/auth/users/{username}/revoke-sessions`, recorded in the audit trail): their console
 * cannot renew its access token and signs out within minutes (the access token lifetime).
 * The supervisor confirms first; the answer (how many sessions) is shown beside the user.
 */
export function SessionsPanel() {
  const { t, tx } = useI18n();
  const local = useLocalTime();
  const sessions = useApi<{ items: OpenSessionRow[] }>('/api/auth/sessions');
  const [confirming, setConfirming] = useState<string>();
  const [done, setDone] = useState<{ username: string; revoked: number }>();
  const [err, setErr] = useState<ApiError>();
  const revoke = async (username: string) => {
    setErr(undefined);
    setDone(undefined);
    try {
      const r = await post<{ username: string; revoked: number }>(`/api/auth/users/${encodeURIComponent(username)}/revoke-sessions`, {});
      setDone(r);
      setConfirming(undefined);
      sessions.reload();
    } catch (e) {
      setErr(e instanceof ApiError ? e : new ApiError(0, 'Error', String(e)));
    }
  };
  const rows = sessions.data?.items ?? [];
  return (
    <section className="panel" data-testid="sessions-panel">
      <div className="panel-head">
        <h2>{t('sessionsTitle')}</h2>
        <button onClick={sessions.reload} data-testid="sessions-reload">
          {t('sessionsReload')}
        </button>
      </div>
      <p className="muted small">{t('sessionsNote')}</p>
      {sessions.error && <ProblemBox error={sessions.error} />}
      {err && <ProblemBox error={err} title={t('revokeFailed')} />}
      {done && (
        <p className="accepted small" role="status" data-testid="revoke-result" data-username={done.username} data-revoked={done.revoked}>
          ✔ {done.username} · {t('revokedSessions')} {done.revoked}
        </p>
      )}
      <table className="table" data-testid="sessions-table">
        <thead>
          <tr>
            <th>{t('username')}</th>
            <th>{t('sessionRole')}</th>
            <th>{t('workstation')}</th>
            <th>{t('signedInAt')}</th>
            <th>{t('sessionEnds')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                {t('noSessions')}
              </td>
            </tr>
          )}
          {rows.map((s) => (
            <tr key={`${s.username}|${s.signedInAt}|${s.workstation ?? ''}`} data-testid="session-row" data-username={s.username}>
              <td>
                {s.displayName} <span className="muted small">({s.username})</span>
              </td>
              <td>{tx(`role.${s.role}`)}</td>
              <td>{s.workstation ?? '—'}</td>
              <td className="small">{local(s.signedInAt)}</td>
              <td className="small muted">{local(s.expiresAt)}</td>
              <td>
                {confirming === s.username ? (
                  <>
                    <button className="danger" onClick={() => void revoke(s.username)} data-testid="revoke-confirm">
                      {t('revokeConfirm')}
                    </button>{' '}
                    <button onClick={() => setConfirming(undefined)}>{t('cancel')}</button>
                  </>
                ) : (
                  <button onClick={() => setConfirming(s.username)} data-testid="revoke-sessions">
                    {t('revokeSessions')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
