import { useState } from 'react';
import { ApiError, post } from '../api';
import { ProblemBox } from '../components/problem';
import { useI18n } from '../i18n';

export interface Session {
  accessToken: string;
  expiresAt: number;
  /** POST /auth/refresh with it for the next access token */
  refreshToken?: string;
  user: { username: string; displayName: string; role: string };
}

/** The sign-in screen: username, password, optional workstation → `POST /auth/login`. */
export function LoginView({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const { t, lang, setLang } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [workstation, setWorkstation] = useState(() => localStorage.getItem('cad110.workstation') ?? '');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await post<{ accessToken: string; expiresIn: number; refreshToken: string; user: Session['user'] }>('/auth/login', {
        username,
        password,
        ...(workstation.trim() ? { workstation: workstation.trim() } : {}),
      });
      localStorage.setItem('cad110.workstation', workstation.trim());
      onSignedIn({ accessToken: r.accessToken, expiresAt: Date.now() + r.expiresIn * 1000, refreshToken: r.refreshToken, user: r.user });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'Error', String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login">
      <form className="login-card" onSubmit={submit} data-testid="login-form">
        <div className="login-head">
          <span className="badge-110">110</span>
          <h1>{t('appName')}</h1>
          <button type="button" className="link-button" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-toggle">
            {t('language')}
          </button>
        </div>
        <label>
          {t('username')}
          <input name="username" autoFocus autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
        </label>
        <label>
          {t('password')}
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <label>
          {t('workstation')}
          <input name="workstation" value={workstation} onChange={(e) => setWorkstation(e.target.value)} placeholder="ws-01" />
        </label>
        <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
          {t('signIn')}
        </button>
        {error && <ProblemBox error={error} title={t('signInFailed')} />}
      </form>
    </div>
  );
}
