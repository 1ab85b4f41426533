import { z } from 'zod';
import type { Sql } from '@cad110/db';
import { parseOr400, ProblemError, type RouteSpec } from '@cad110/http';
import { recordAudit } from './audit';
import { SIGNED_IN } from './routes';
import { confirmEnrolment, startEnrolment, TOTP_DIGITS, TOTP_PERIOD_SECONDS } from './totp';

const EnrolBody = z
  .object({ code: z.string().regex(/^\d{6}$/, 'must be 6 digits').optional().describe('a code of the secret handed out: confirms the enrolment') })
  .strict();
const EnrolmentStarted = z
  .object({
    secret: z.string().describe('base32 shared secret (160 bits): type it into the authenticator app'),
    otpauthUri: z.string().describe('otpauth://totp/… URI (as a link or QR code)'),
    digits: z.number().int(),
    periodSeconds: z.number().int(),
  })
  .meta({ id: 'TotpEnrolmentStarted' });
const EnrolmentConfirmed = z
  .object({ confirmed: z.literal(true), recoveryCodes: z.array(z.string()).describe('10 one-time codes, shown once; only their hashes are kept') })
  .meta({ id: 'TotpEnrolmentConfirmed' });

/**
 * `POST /auth/totp/enrolment` (any signed-in user; the user of the token):
 * - body `{}` → 200 `{secret, otpauthUri, digits: 6, periodSeconds: 30}`: a new secret, stored
 *   unconfirmed (a second call replaces it); 409 code `totp-already-enrolled` when the user has a
 *   confirmed factor (a lost phone: `npm run users -- --reset-totp`, then enrol again);
 * - body `{code}` (6 digits of the app) → 200 `{confirmed: true, recoveryCodes}` (10 one-time codes,
 *   shown once): from then on every sign-in of the user asks for a code; 400 code `totp-invalid`
 *   for a wrong code, 409 code `totp-not-started` when no enrolment is pending. Recorded in the
 *   audit trail (`totp_enrolled`).
 * Cache-Control no-store. The secret and the codes are never logged.
 */
export function totpRoutes(db: Sql): RouteSpec[] {
  return [
    {
      method: 'post',
      path: '/auth/totp/enrolment',
      operationId: 'totpEnrolment',
      summary: 'Set up the TOTP second factor: start (no code) or confirm (with a code of the app)',
      description:
        'Without `code`: 200 with a new secret and its otpauth:// URI (409 code `totp-already-enrolled` when a factor is confirmed). With `code`: 200 `{confirmed: true, recoveryCodes}` (10 one-time codes, shown once); 400 code `totp-invalid` for a wrong code; 409 code `totp-not-started` without a pending enrolment. Codes: 6 digits, 30-second steps, ±1 step accepted.',
      tags: ['auth'],
      roles: SIGNED_IN,
      body: EnrolBody,
      bodyOptional: true,
      responses: {
        200: { description: 'Enrolment started or confirmed', schema: z.union([EnrolmentStarted, EnrolmentConfirmed]) },
        409: { description: 'Already enrolled, or no enrolment pending' },
      },
      handler: async (req, res) => {
        res.set('cache-control', 'no-store');
        const body = parseOr400(EnrolBody, req.body ?? {});
        const claims = req.user!;
        if (!body.code) {
          const e = await startEnrolment(db, claims.sub);
          if (!e) throw new ProblemError(409, 'Already enrolled', 'A second factor is already set up for this user.', { code: 'totp-already-enrolled' });
          res.json({ ...e, digits: TOTP_DIGITS, periodSeconds: TOTP_PERIOD_SECONDS });
          return;
        }
        const codes = await confirmEnrolment(db, claims.sub, body.code);
        if (codes === 'none') throw new ProblemError(409, 'No enrolment pending', 'Start the enrolment first.', { code: 'totp-not-started' });
        if (codes === 'invalid') throw new ProblemError(400, 'Invalid request', 'Wrong or expired code.', { code: 'totp-invalid', errors: [{ field: 'code', message: 'wrong or expired code' }] });
        await recordAudit(db, { action: 'totp_enrolled', outcome: 'ok', actor: claims.sub, subject: claims.sub, address: req.ip ?? 'unknown', ...(claims.workstation ? { workstation: claims.workstation } : {}) });
        res.json({ confirmed: true, recoveryCodes: codes });
      },
    },
  ];
}
