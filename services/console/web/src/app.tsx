import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, ApiError, currentToken, setAuth } from './api';
import { ConfigContext, type ConsoleSettings } from './console-config';
import { TotpSetup } from './components/totp-setup';
import { I18nContext, initialLang, makeI18n, useI18n, type Lang, type MessageKey } from './i18n';
import { LiveConnection, LiveContext, useLiveState } from './live';
import type { TaxonomyFile } from './taxonomy';
import { useApi, useNow } from './use-api';
import { CallTakerView } from './views/call-taker';
import { DispatcherView } from './views/dispatcher';
import { LoginView, type Session } from './views/login';
import { OpsView } from './views/ops';
import { RecordsView } from './views/records';
import { SupervisorView } from './views/supervisor';

/** The console's views and the roles that see them (admin sees all). */
export const VIEWS: { id: 'intake' | 'dispatch' | 'supervisor' | 'ops' | 'records'; roles: string[] }[] = [
  { id: 'intake', roles: ['call_taker', 'supervisor'] },
  { id: 'dispatch', roles: ['dispatcher', 'supervisor'] },
  { id: 'supervisor', roles: ['supervisor'] },
  { id: 'ops', roles: ['ops', 'analyst', 'supervisor'] },
  { id: 'records', roles: ['dispatcher', 'supervisor', 'analyst'] },
];

export function viewsFor(role: string) {
  return VIEWS.filter((v) => role === 'admin' || v.roles.includes(role));
}

const SESSION_KEY = 'cad110.session';

function loadSession(): Session | undefined {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return s && s.expiresAt > Date.now() + 60_000 ? s : undefined;
  } catch {
    return undefined;
  }
}

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem('cad110.lang', l);
    setLangState(l);
  }, []);
  const i18n = useMemo(() => makeI18n(lang, setLang), [lang, setLang]);
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = `${i18n.t('appName')} · cad110`;
  }, [lang, i18n]);
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(SESSION_KEY);
    setAuth(undefined);
    setSession(undefined);
  }, []);
  // the user's own sign-out is recorded in the audit trail (POST /auth/logout) before the token is forgotten
  const userSignOut = useCallback(() => {
    void api('POST', '/auth/logout').catch(() => undefined).finally(signOut);
  }, [signOut]);
  if (session) setAuth(session.accessToken, signOut);
  // access tokens last minutes: renew shortly before expiry with the session's refresh token
  // (POST /auth/refresh); when that is refused (signed out elsewhere, shift over, user disabled)
  // or fails until the token expires, sign out
  useEffect(() => {
    if (!session) return;
    const lead = Math.min(60_000, (session.expiresAt - Date.now()) / 2);
    const timer = setTimeout(
      () => {
        if (!session.refreshToken) return signOut();
        api<{ accessToken: string; expiresIn: number; user: Session['user'] }>('POST', '/auth/refresh', { refreshToken: session.refreshToken }).then(
          (r) => {
            const next: Session = { ...session, accessToken: r.accessToken, expiresAt: Date.now() + r.expiresIn * 1000, user: r.user };
            sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
            setAuth(next.accessToken, signOut);
            setSession(next);
          },
          (e: unknown) => {
            if (e instanceof ApiError && e.status === 401) return signOut();
            // a network error: try again until the token has expired
            if (Date.now() < session.expiresAt - 2000) setSession({ ...session, expiresAt: session.expiresAt - 1 });
            else signOut();
          },
        );
      },
      Math.max(0, Math.min(session.expiresAt - Date.now() - lead, 2 ** 31 - 1)),
    );
    return () => clearTimeout(timer);
  }, [session, signOut]);
  const signIn = (s: Session) => {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    setAuth(s.accessToken, signOut);
    setSession(s);
  };
  return <I18nContext.Provider value={i18n}>{session ? <Shell key={session.refreshToken ?? session.accessToken} session={session} onSignOut={userSignOut} /> : <LoginView onSignedIn={signIn} />}</I18nContext.Provider>;
}

function useHashView(allowed: string[]): [string | undefined, (v: string) => void] {
  const read = () => window.location.hash.replace(/^#\/?/, '');
  const [hash, setHash] = useState(read);
  useEffect(() => {
    const on = () => setHash(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const view = allowed.includes(hash) ? hash : allowed[0];
  return [view, (v) => (window.location.hash = `/${v}`)];
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const { t, tx, lang, setLang } = useI18n();
  const views = viewsFor(session.user.role);
  const [view, go] = useHashView(views.map((v) => v.id));
  // one stream per session (not per access token): it reopens with the current token (refreshed every few minutes)
  const live = useMemo(() => new LiveConnection(currentToken), []);
  useEffect(() => {
    live.open();
    return () => live.close();
  }, [live]);
  const taxonomy = useApi<TaxonomyFile>('/api/console/taxonomy');
  const map = useApi<unknown>('/api/console/map');
  const config = useApi<ConsoleSettings>('/api/console/config');
  const [totpOpen, setTotpOpen] = useState(false);
  return (
    <ConfigContext.Provider value={config.data}>
    <LiveContext.Provider value={live}>
      <div className="shell">
        <header className="topbar">
          <span className="badge-110">110</span>
          <span className="brand">{t('appName')}</span>
          <nav className="tabs" role="tablist">
            {views.map((v) => (
              <button key={v.id} role="tab" aria-selected={view === v.id} className={view === v.id ? 'tab active' : 'tab'} onClick={() => go(v.id)} data-testid={`tab-${v.id}`}>
                {t(`view.${v.id}` as MessageKey)}
              </button>
            ))}
          </nav>
          <span className="spacer" />
          <LiveIndicator />
          <span className="user" data-testid="user">
            {session.user.username} · {tx(`role.${session.user.role}`)}
          </span>
          <button className="link-button" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-toggle">
            {t('language')}
          </button>
          <button className="link-button" onClick={() => setTotpOpen(!totpOpen)} data-testid="totp-setup-open">
            {t('totpTitle')}
          </button>
          <button className="link-button" onClick={onSignOut} data-testid="sign-out">
            {t('signOut')}
          </button>
        </header>
        <main>
          {totpOpen && <TotpSetup onClose={() => setTotpOpen(false)} />}
          {view === 'intake' && <CallTakerView taxonomy={taxonomy.data} geojson={map.data} />}
          {view === 'dispatch' && <DispatcherView taxonomy={taxonomy.data} geojson={map.data} />}
          {view === 'supervisor' && <SupervisorView />}
          {view === 'ops' && <OpsView taxonomy={taxonomy.data} geojson={map.data} />}
          {view === 'records' && <RecordsView taxonomy={taxonomy.data} role={session.user.role} geojson={map.data} />}
        </main>
      </div>
    </LiveContext.Provider>
    </ConfigContext.Provider>
  );
}

/** Seconds without the live stream after which the header says the data is stale (not just reconnecting). */
const STALE_AFTER_SECONDS = 10;

/**
 * The live stream's state in the header: 实时 (live) while open; 重连中 (reconnecting) and then,
 * after {@link STALE_AFTER_SECONDS}, 数据已过时 (stale), each with how long the data has not been
 * in sync. `data-state` is the stream's state, `data-view` what the header shows.
 */
function LiveIndicator() {
  const { t } = useI18n();
  const { state, count, syncedAt } = useLiveState();
  const now = useNow(1000);
  const age = Math.max(0, Math.round((now - syncedAt) / 1000));
  const view = state === 'open' ? 'live' : age >= STALE_AFTER_SECONDS ? 'stale' : 'reconnecting';
  const label = view === 'live' ? t('live') : `${view === 'stale' ? t('liveStale') : t('liveReconnecting')} ${age}${t('seconds')}`;
  return (
    <span className={`live live-${state} live-view-${view}`} data-testid="live" data-state={state} data-view={view} data-age={age} title={`${count} ${t('events')}`}>
      <span className="dot" /> {label} · {count}
    </span>
  );
}
