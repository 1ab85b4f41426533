import { useState } from 'react';
import { ApiError, post } from '../api';
import { OtpauthQr } from '../components/otpauth-qr';
import { ProblemBox } from '../components/problem';
import { useI18n } from '../i18n';

export interface Session {
  accessToken: string;
  expiresAt: number;
  /** POST /auth/refresh with it for the next access token */
  refreshToken?: string;
  user: { username: string; displayName: string; role: string };
}

interface LoginAnswer {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  user: Session['user'];
  /** only on the sign-in that confirms an enrolment: shown once */
  recoveryCodes?: string[];
}

/** Where the sign-in is: the password, the second factor, the enrolment of an authenticator, the recovery codes to write down. */
type Step = { kind: 'password' } | { kind: 'totp'; recovery: boolean } | { kind: 'enrol'; secret: string; otpauthUri: string } | { kind: 'codes'; codes: string[]; session: Session };

/**
 * The sign-in screen: username, password, optional workstation → `POST /auth/login`. A user with a
 * TOTP second factor is then asked for the 6-digit code of the authenticator app (or a one-time
 * recovery code) and the same sign-in is sent again with it (the answer 401 code `totp-required`).
 * When the bureau requires a second factor (`CONSOLE_REQUIRE_TOTP`) and the user has none, the
 * answer 403 code `totp-enrolment-required` carries a secret and its `otpauth://` link: the user
 * scans the link's QR code (or types the secret) into the app and signs in with its code; the
 * 10 recovery codes of that answer are shown once before the console opens.
 */
export function LoginView({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const { t, lang, setLang } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [workstation, setWorkstation] = useState(() => localStorage.getItem('cad110.workstation') ?? '');
  const [code, setCode] = useState('');
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const second = step.kind === 'totp' && step.recovery ? { recoveryCode: code.trim() } : step.kind === 'totp' || step.kind === 'enrol' ? { totpCode: code.trim() } : {};
    try {
      const r = await post<LoginAnswer>('/auth/login', { username, password, ...(workstation.trim() ? { workstation: workstation.trim() } : {}), ...second });
      localStorage.setItem('cad110.workstation', workstation.trim());
      const session: Session = { accessToken: r.accessToken, expiresAt: Date.now() + r.expiresIn * 1000, refreshToken: r.refreshToken, user: r.user };
      if (r.recoveryCodes?.length) setStep({ kind: 'codes', codes: r.recoveryCodes, session });
      else onSignedIn(session);
    } catch (err) {
      const problem = err instanceof ApiError ? err : new ApiError(0, 'Error', String(err));
      const secret = problem.params?.secret;
      const otpauthUri = problem.params?.otpauthUri;
      if (problem.code === 'totp-required' && step.kind === 'password') {
        setCode('');
        setStep({ kind: 'totp', recovery: false });
      } else if (problem.code === 'totp-enrolment-required' && typeof secret === 'string' && typeof otpauthUri === 'string') {
        setCode('');
        setStep({ kind: 'enrol', secret, otpauthUri });
      } else setError(problem);
    } finally {
      setBusy(false);
    }
  };
  const head = (
    <div className="login-head">
      <span className="badge-110">110</span>
      <h1>{t('appName')}</h1>
      <button type="button" className="link-button" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-toggle">
        {t('language')}
      </button>
    </div>
  );
  if (step.kind === 'codes')
    return (
      <div className="login">
        <div className="login-card" data-testid="recovery-codes">
          {head}
          <h2>{t('recoveryCodesTitle')}</h2>
          <p className="small">{t('recoveryCodesNote')}</p>
          <ol className="recovery-codes">
            {step.codes.map((c) => (
              <li key={c}>
                <code data-testid="recovery-code">{c}</code>
              </li>
            ))}
          </ol>
          <button className="primary" onClick={() => onSignedIn(step.session)} data-testid="recovery-codes-done">
            {t('continue')}
          </button>
        </div>
      </div>
    );
  const back = () => {
    setStep({ kind: 'password' });
    setCode('');
    setError(undefined);
  };
  return (
    <div className="login">
      <form className="login-card" onSubmit={submit} data-testid="login-form" data-step={step.kind}>
        {head}
        {step.kind === 'password' && (
          <>
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
          </>
        )}
        {step.kind === 'enrol' && (
          <div data-testid="totp-enrol">
            <h2>{t('enrolTitle')}</h2>
            <p className="small">{t('enrolNote')}</p>
            <OtpauthQr uri={step.otpauthUri} testId="totp-qr" />
            <p>
              {t('enrolSecret')}: <code data-testid="totp-secret">{step.secret.replace(/(.{4})(?=.)/g, '$1 ')}</code>
            </p>
            <p className="small">
              <a href={step.otpauthUri} data-testid="totp-uri">
                {t('enrolUri')}
              </a>
            </p>
          </div>
        )}
        {step.kind === 'totp' && <p data-testid="totp-prompt">{step.recovery ? t('recoveryCode') : t('totpPrompt')}</p>}
        {step.kind !== 'password' && (
          <label>
            {step.kind === 'totp' && step.recovery ? t('recoveryCode') : t('totpCode')}
            <input
              name={step.kind === 'totp' && step.recovery ? 'recoveryCode' : 'totpCode'}
              autoFocus
              autoComplete="one-time-code"
              inputMode={step.kind === 'totp' && step.recovery ? 'text' : 'numeric'}
              pattern={step.kind === 'totp' && step.recovery ? undefined : '[0-9]{6}'}
              maxLength={step.kind === 'totp' && step.recovery ? 16 : 6}
              value={code}
              onChange={(e) => setCode(e.target.value)}
              required
              data-testid="totp-code"
            />
          </label>
        )}
        <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
          {step.kind === 'password' ? t('signIn') : t('verify')}
        </button>
        {step.kind === 'totp' && (
          <button type="button" className="link-button" onClick={() => {
              setCode('');
              setStep({ kind: 'totp', recovery: !step.recovery });
            }} data-testid="toggle-recovery">
            {step.recovery ? t('useTotpCode') : t('useRecoveryCode')}
          </button>
        )}
        {step.kind !== 'password' && (
          <button type="button" className="link-button" onClick={back} data-testid="login-back">
            {t('back')}
          </button>
        )}
        {error && <ProblemBox error={error} title={t('signInFailed')} />}
      </form>
    </div>
  );
}
