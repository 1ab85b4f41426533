import { ProblemError } from '@cad110/http';
import { confirmEnrolment, factorOf, startEnrolment, useRecoveryCode, useTotpCode } from './totp';

/** How a sign-in proved who it is, recorded with each `sign_in` of the audit trail. */
export type Factor = 'password' | 'totp' | 'recovery_code';

/** A sign-in refused at its second step: the audit outcome and the answer. */
export interface SecondStepRefused {
  ok: false;
  /** `totp_required`: a code is needed; `wrong_totp`: a wrong, old or used code (counted by the sign-in limit); `totp_enrolment_required`: enrol first */
  outcome: 'totp_required' | 'wrong_totp' | 'totp_enrolment_required';
  problem: ProblemError;
}

export type SecondStep = { ok: true; factor: Factor; recoveryCodes?: string[] } | SecondStepRefused;

const refuse = (outcome: SecondStepRefused['outcome'], problem: ProblemError): SecondStepRefused => ({ ok: false, outcome, problem });

/**
 * The second step of a sign-in whose password was right (issue 19.5):
 * - a user with a confirmed TOTP factor must give `totpCode` (a code of the current step ±1, not
 *   used before) or an unused `recoveryCode`; without one → 401 code `totp-required`; a wrong one
 *   → 401 code `totp-invalid`. This holds whether or not `CONSOLE_REQUIRE_TOTP` is set.
 * - a user without a factor signs in with the password alone, unless `requireTotp`: then the
 *   answer is 403 code `totp-enrolment-required` with `params: {secret, otpauthUri}` (an
 *   enrolment, stored unconfirmed and handed out again for 10 minutes); the same sign-in with a
 *   `totpCode` of that secret confirms it and signs in, returning the 10 recovery codes once.
 */
export async function secondStep(db: Parameters<typeof factorOf>[0], username: string, given: { totpCode?: string; recoveryCode?: string }, requireTotp: boolean): Promise<SecondStep> {
  const wrong = () => refuse('wrong_totp', new ProblemError(401, 'Unauthorized', 'Wrong, expired or already used code.', { code: 'totp-invalid' }));
  const f = await factorOf(db, username);
  if (f?.confirmed) {
    if (given.totpCode) return (await useTotpCode(db, username, given.totpCode)) ? { ok: true, factor: 'totp' } : wrong();
    if (given.recoveryCode) return (await useRecoveryCode(db, username, given.recoveryCode)) ? { ok: true, factor: 'recovery_code' } : wrong();
    return refuse('totp_required', new ProblemError(401, 'Second factor required', 'Enter the code of your authenticator app, or a recovery code.', { code: 'totp-required' }));
  }
  if (!requireTotp) return { ok: true, factor: 'password' };
  if (f && given.totpCode) {
    const codes = await confirmEnrolment(db, username, given.totpCode);
    if (Array.isArray(codes)) return { ok: true, factor: 'totp', recoveryCodes: codes };
    if (codes === 'invalid') return wrong();
  }
  const e = await startEnrolment(db, username, true);
  // a factor confirmed meanwhile by another request: ask for its code
  if (!e) return refuse('totp_required', new ProblemError(401, 'Second factor required', 'Enter the code of your authenticator app, or a recovery code.', { code: 'totp-required' }));
  return refuse('totp_enrolment_required', new ProblemError(403, 'Second factor enrolment required', 'Add the secret to an authenticator app, then sign in again with its code.', { code: 'totp-enrolment-required', params: e }));
}
