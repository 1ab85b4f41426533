/**
 * infra/docker/Dockerfile, read (no Docker engine on this machine): two stages, the runtime stage
 * runs as the unprivileged `node` user with a HEALTHCHECK on /readyz, on the pinned Node LTS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const text = readFileSync(join(ROOT, 'infra', 'docker', 'Dockerfile'), 'utf8');
const pinned = readFileSync(join(ROOT, '.node-version'), 'utf8').trim();
const runtimeStage = text.slice(text.lastIndexOf('\nFROM '));

describe('the production image', () => {
  it('builds in one stage and runs from another, both on the pinned Node LTS', () => {
    expect([...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])).toEqual([`node:${pinned}-bookworm-slim`, `node:${pinned}-bookworm-slim`]);
    expect(runtimeStage).toMatch(/^COPY --from=build --chown=node:node \/app \/app$/m);
    expect(runtimeStage).not.toMatch(/npm (ci|install)/);
  });

  it('runs as the unprivileged node user, with a HEALTHCHECK on /readyz for every service', () => {
    expect(runtimeStage).toMatch(/^USER node$/m);
    const hc = runtimeStage.slice(runtimeStage.indexOf('HEALTHCHECK'));
    expect(hc).toMatch(/\/readyz/);
    for (const [s, p] of Object.entries({ intake: 8081, dispatch: 8082, records: 8083, statistics: 8084, console: 8085 })) expect(hc).toContain(`${s}:${p}`);
    expect(runtimeStage.indexOf('USER node')).toBeLessThan(runtimeStage.indexOf('CMD ["node"'));
  });
});
