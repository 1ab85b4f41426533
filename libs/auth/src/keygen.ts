/**
 * Prints a fresh ES256 key pair as two env lines (PEM line breaks written as `\n`):
 * `CAD110_AUTH_PRIVATE_KEY=…` for the console only, `CAD110_AUTH_PUBLIC_KEYS=…` for every service.
 * `npx tsx libs/auth/src/keygen.ts [kid]` (kid default: the key's JWK thumbprint). For a rotation,
 * merge the new public key into the existing `CAD110_AUTH_PUBLIC_KEYS` object instead of replacing it.
 */
import { generateAuthKeys } from './keys';

const k = generateAuthKeys(process.argv[2]);
process.stdout.write(`CAD110_AUTH_PRIVATE_KEY=${k.privateKey.trim().replace(/\n/g, '\\n')}\n`);
process.stdout.write(`CAD110_AUTH_PUBLIC_KEYS=${k.env.CAD110_AUTH_PUBLIC_KEYS}\n`);
