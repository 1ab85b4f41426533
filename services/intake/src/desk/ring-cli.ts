/**
 * A small simulated phone system (CTI / ANI-ALI) for the demo and tests: reports a ringing 110
 * line to intake's POST /telephony/ringing.
 *
 *   npm run ring -w @cad110/intake -- --number 13812345678 --lat 44.9778 --lon -93.265 \
 *       [--crs WGS84|GCJ02|BD09] [--uncertainty 50] [--line T1-07] [--intake http://127.0.0.1:8081]
 *
 * Token: `CAD110_TELEPHONY_TOKEN`, or one signed as `telephony` (role call_taker) with
 * the console's key (`CAD110_AUTH_PRIVATE_KEY`, `CAD110_AUTH_PUBLIC_KEYS`). Prints the ring as JSON (number masked: the CLI's own output may be logged).
 */
import { signToken } from '@cad110/auth';
import { maskPhone } from '@cad110/contracts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** Sends one ring; returns intake's answer (status and body). */
export async function ring(intakeUrl: string, token: string, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${intakeUrl}/telephony/ringing`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function main(): Promise<number> {
  const intake = arg('intake') ?? `http://127.0.0.1:${process.env.CAD110_PORT_BASE ?? 8081}`;
  const token = process.env.CAD110_TELEPHONY_TOKEN ?? signToken({ sub: 'telephony', role: 'call_taker', name: 'CTI' });
  const num = (k: string) => (arg(k) !== undefined ? Number(arg(k)) : undefined);
  const body = {
    ...(arg('line') ? { line: arg('line') } : {}),
    ...(arg('number') ? { number: arg('number') } : {}),
    ...(arg('lat') ? { lat: num('lat'), lon: num('lon') } : {}),
    ...(arg('crs') ? { crs: arg('crs') } : {}),
    ...(arg('uncertainty') ? { uncertaintyMetres: num('uncertainty') } : {}),
  };
  const out = await ring(intake, token, body);
  const shown = typeof out.body.number === 'string' ? { ...out.body, number: maskPhone(out.body.number) } : out.body;
  console.log(JSON.stringify({ status: out.status, ...shown }));
  return out.status === 201 ? 0 : 1;
}

if (require.main === module) main().then((c) => process.exit(c), (e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
