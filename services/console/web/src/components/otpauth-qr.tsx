import { useMemo } from 'react';
import qrcode from 'qrcode-generator';
import { useI18n } from '../i18n';

/**
 * The QR code of an `otpauth://totp/…` link as a GIF data URL (`data:image/gif;base64,…`) for an
 * authenticator app to scan: byte mode, error correction M, the smallest QR version that holds the
 * link (a 32-character secret's link of about 110 bytes: version 6–7, 41–45 modules), 4-pixel modules and the 4-module
 * quiet zone the standard asks for. Throws when the text does not fit a QR code (over ~2,300 bytes).
 */
export function otpauthQrDataUrl(uri: string): string {
  const qr = qrcode(0, 'M');
  qr.addData(uri, 'Byte');
  qr.make();
  return qr.createDataURL(4, 16);
}

/**
 * The QR code of the authenticator link shown at TOTP enrolment (at sign-in and in 两步验证),
 * rendered in the browser (the secret never leaves for a QR service). The link is on the image
 * as `data-otpauth-uri` (for tests and support), and the text secret stays beside it on the
 * screen as the fallback for apps that cannot scan (手动输入密钥).
 */
export function OtpauthQr({ uri, testId }: { uri: string; testId: string }) {
  const { t } = useI18n();
  const src = useMemo(() => otpauthQrDataUrl(uri), [uri]);
  return (
    <figure className="otpauth-qr">
      <img src={src} alt={t('enrolQrAlt')} data-testid={testId} data-otpauth-uri={uri} />
      <figcaption className="small">{t('enrolScan')}</figcaption>
    </figure>
  );
}
