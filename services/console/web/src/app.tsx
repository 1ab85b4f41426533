import { useCallback, useEffect, useMemo, useState } from 'react';
import { setAuth } from './api';
import { ConfigContext, type ConsoleSettings } from './console-config';
import { I18nContext, initialLang, makeI18n, useI18n, type Lang, type MessageKey } from './i18n';
import { LiveConnection, LiveContext, useLiveState } from './live';
import type { TaxonomyFile } from './taxonomy';
import { useApi } from './use-api';
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
  if (session) setAuth(session.accessToken, signOut);
  // the token lasts one shift: sign out when it expires (the APIs would answer 401 from then on)
  useEffect(() => {
    if (!session) return;
    const timer = setTimeout(signOut, Math.max(0, Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1)));
    return () => clearTimeout(timer);
  }, [session, signOut]);
  const signIn = (s: Session) => {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    setAuth(s.accessToken, signOut);
    setSession(s);
  };
  return <I18nContext.Provider value={i18n}>{session ? <Shell key={session.accessToken} session={session} onSignOut={signOut} /> : <LoginView onSignedIn={signIn} />}</I18nContext.Provider>;
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
  const live = useMemo(() => new LiveConnection(session.accessToken), [session.accessToken]);
  useEffect(() => {
    live.open();
    return () => live.close();
  }, [live]);
  const taxonomy = useApi<TaxonomyFile>('/api/console/taxonomy');
  const map = useApi<unknown>('/api/console/map');
  const config = useApi<ConsoleSettings>('/api/console/config');
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
          <button className="link-button" onClick={onSignOut} data-testid="sign-out">
            {t('signOut')}
          </button>
        </header>
        <main>
          {view === 'intake' && <CallTakerView taxonomy={taxonomy.data} geojson={map.data} />}
          {view === 'dispatch' && <DispatcherView taxonomy={taxonomy.data} geojson={map.data} />}
          {view === 'supervisor' && <SupervisorView />}
          {view === 'ops' && <OpsView taxonomy={taxonomy.data} geojson={map.data} />}
          {view === 'records' && <RecordsView taxonomy={taxonomy.data} role={session.user.role} />}
        </main>
      </div>
    </LiveContext.Provider>
    </ConfigContext.Provider>
  );
}

function LiveIndicator() {
  const { t } = useI18n();
  const { state, count } = useLiveState();
  const label = state === 'open' ? t('live') : state === 'connecting' ? t('liveConnecting') : t('liveOffline');
  return (
    <span className={`live live-${state}`} data-testid="live" data-state={state} title={`${count} ${t('events')}`}>
      <span className="dot" /> {label} · {count}
    </span>
  );
}
