/**
 * infra/k8s/cad110.yaml validated offline: every object against the Kubernetes API's OpenAPI
 * schema (npm package kubernetes-models, which validates with ajv), plus what issue 19 asks of
 * them: two replicas, probes on /readyz and /healthz, a PodDisruptionBudget per Deployment,
 * resource requests, a migration Job, secrets from a Secret object, non-root.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const FILE = join(ROOT, 'infra', 'k8s', 'cad110.yaml');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const docs: Obj[] = parseAllDocuments(readFileSync(FILE, 'utf8')).map((d) => d.toJSON());

/** infra/k8s/validate.mjs (kubernetes-models is ESM only, so it runs in its own node process). */
function validateFile(file: string): { status: number | null; report: { objects: number; errors: { kind: string; message: string }[] } } {
  const r = spawnSync(process.execPath, [join(ROOT, 'infra', 'k8s', 'validate.mjs'), file], { cwd: ROOT, encoding: 'utf8' });
  if (!r.stdout) throw new Error(r.stderr);
  return { status: r.status, report: JSON.parse(r.stdout.trim().split('\n').at(-1)!) };
}
function validateDocs(objs: Obj[]) {
  const f = join(mkdtempSync(join(tmpdir(), 'cad110-k8s-')), 'm.yaml');
  writeFileSync(f, objs.map((o) => stringify(o)).join('---\n'));
  return validateFile(f);
}
const APPS = ['intake', 'dispatch', 'records', 'statistics', 'console'];
const of = (kind: string) => docs.filter((d) => d.kind === kind);

describe('Kubernetes manifests', () => {
  it('every object validates against the Kubernetes schema, and the schema refuses a broken one', () => {
    const ok = validateFile(FILE);
    expect(ok.report).toEqual({ file: FILE, objects: 17, errors: [] });
    expect(ok.status).toBe(0);
    const broken = structuredClone(of('Deployment')[0]);
    broken.spec.replicas = 'two';
    const pdb = structuredClone(of('PodDisruptionBudget')[0]);
    pdb.spec.minAvailable = { one: 1 };
    const bad = validateDocs([broken, pdb]);
    expect(bad.status).toBe(1);
    expect(bad.report.errors.map((e) => e.kind)).toEqual(['Deployment', 'PodDisruptionBudget']);
  });

  it('runs each service and the console twice, with probes, resources, non-root, DB_MIGRATE=false and secrets from a Secret', () => {
    expect(of('Deployment').map((d) => d.metadata.name).sort()).toEqual([...APPS].sort());
    for (const d of of('Deployment')) {
      expect(d.spec.replicas).toBe(2);
      const pod = d.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      const c = pod.containers[0];
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.env).toEqual(expect.arrayContaining([{ name: 'DB_MIGRATE', value: 'false' }]));
      const keys = c.env.find((e: Obj) => e.name === 'CAD110_AUTH_PUBLIC_KEYS');
      expect(keys.valueFrom.secretKeyRef).toEqual({ name: 'cad110-secrets', key: 'CAD110_AUTH_PUBLIC_KEYS' });
      // only the console holds the signing key, from a Secret of its own (issue 19.5)
      const signing = c.env.find((e: Obj) => e.name === 'CAD110_AUTH_PRIVATE_KEY');
      if (d.metadata.name === 'console') expect(signing.valueFrom.secretKeyRef).toEqual({ name: 'cad110-console-signing', key: 'CAD110_AUTH_PRIVATE_KEY' });
      else expect(signing).toBeUndefined();
      // only intake, dispatch and records hold the personal-data key ring, from a Secret of its own (issue 19.6)
      const sealing = c.env.find((e: Obj) => e.name === 'CAD110_PERSONAL_DATA_KEYS');
      if (['intake', 'dispatch', 'records'].includes(d.metadata.name)) expect(sealing.valueFrom.secretKeyRef).toEqual({ name: 'cad110-personal-data', key: 'CAD110_PERSONAL_DATA_KEYS' });
      else expect(sealing).toBeUndefined();
      expect(JSON.stringify(c)).not.toMatch(/postgresql:\/\/[^"]*:[^"]*@/); // no password in the manifest
    }
  });

  it('has a PodDisruptionBudget and a Service per Deployment, and the migrations as a Job', () => {
    for (const name of APPS) {
      const pdb = of('PodDisruptionBudget').find((p) => p.metadata.name === name);
      expect(pdb.spec).toEqual({ minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': name } } });
      expect(of('Service').find((s) => s.metadata.name === name)).toBeDefined();
    }
    const [job] = of('Job');
    const cmd = job.spec.template.spec.containers[0].command.join(' ');
    for (const name of APPS) expect(cmd).toContain(name);
    expect(cmd).toContain('node libs/db/dist/cli.js deploy');
  });
});
