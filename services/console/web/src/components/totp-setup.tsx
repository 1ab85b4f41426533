import { useState } from 'react';
import { ApiError, post } from '../api';
import { useI18n } from '../i18n';
import { OtpauthQr } from './otpauth-qr';
import { ProblemBox } from './problem';

type State = { step: 'idle' } | { step: 'started'; secret: string; otpauthUri: string } | { step: 'done'; codes: string[] };

/**
 * 两步验证 — the signed-in user sets up the TOTP second factor (`POST /auth/totp/enrolment`): a
 * new secret and its `otpauth://` link for the authenticator app (shown as a QR code, the secret
 * as text beside it), then the app's 6-digit code
 * confirms it and the 10 one-time recovery codes are shown once. From then on every sign-in of
 * the user asks for a code. A user who already has one gets 409 `totp-already-enrolled` (shown
 * translated).
 */
export function TotpSetup({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const [state, setState] = useState<State>({ step: 'idle' });
  const [code, setCode] = useState('');
  const [error, setError] = useState<ApiError>();
  const run = async (body: object) => {
    setError(undefined);
    try {
      const r = await post<{ secret?: string; otpauthUri?: string; recoveryCodes?: string[] }>('/auth/totp/enrolment', body);
      if (r.recoveryCodes) setState({ step: 'done', codes: r.recoveryCodes });
      else if (r.secret && r.otpauthUri) setState({ step: 'started', secret: r.secret, otpauthUri: r.otpauthUri });
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'Error', String(e)));
    }
  };
  return (
    <section className="panel totp-setup" data-testid="totp-setup">
      <div className="panel-head">
        <h2>{t('enrolTitle')}</h2>
        <button className="link-button" onClick={onClose}>
          {t('close')}
        </button>
      </div>
      {state.step === 'idle' && (
        <button className="primary" onClick={() => void run({})} data-testid="totp-setup-start">
          {t('enrolStart')}
        </button>
      )}
      {state.step === 'started' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run({ code: code.trim() });
          }}
        >
          <p className="small">{t('enrolNoteVoluntary')}</p>
          <OtpauthQr uri={state.otpauthUri} testId="totp-setup-qr" />
          <p>
            {t('enrolSecret')}: <code data-testid="totp-setup-secret">{state.secret.replace(/(.{4})(?=.)/g, '$1 ')}</code> · <a href={state.otpauthUri}>{t('enrolUri')}</a>
          </p>
          <label>
            {t('totpCode')}{' '}
            <input name="totpCode" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} required data-testid="totp-setup-code" />
          </label>{' '}
          <button type="submit" className="primary" data-testid="totp-setup-confirm">
            {t('enrolConfirm')}
          </button>
        </form>
      )}
      {state.step === 'done' && (
        <div data-testid="totp-setup-done">
          <p className="small">{t('recoveryCodesNote')}</p>
          <ol className="recovery-codes">
            {state.codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ol>
        </div>
      )}
      {error && <ProblemBox error={error} title={t('enrolFailed')} />}
    </section>
  );
}
