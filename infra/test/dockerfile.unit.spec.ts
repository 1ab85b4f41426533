/**
 * infra/docker/Dockerfile, linted and read (no Docker engine on this machine):
 * - the linter: `dockerfile-utils` (npm; the validator behind the Docker language server: syntax, flags,
 *   durations, ports, duplicate CMD/HEALTHCHECK per stage, deprecated instructions) must report nothing,
 *   plus hadolint-style rules of our own over its parser `dockerfile-ast` (hadolint itself is neither in
 *   Debian bookworm nor on the npm registry): pinned base images (DL3006/DL3007), COPY not ADD (DL3020),
 *   absolute WORKDIR (DL3000), exec-form CMD (DL3025), no sudo (DL3004), last USER not root (DL3002);
 * - what issue 19 asks of the image: three stages on the pinned Node LTS, production dependencies only,
 *   compiled JavaScript run by plain node (no tsx), the unprivileged `node` user, a HEALTHCHECK on /readyz.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

const ROOT = join(__dirname, '..', '..');
const text = readFileSync(join(ROOT, 'infra', 'docker', 'Dockerfile'), 'utf8');
const pinned = readFileSync(join(ROOT, '.node-version'), 'utf8').trim();

/** Our hadolint-style rules; each finding as `RULE line: text`. */
function lint(source: string): string[] {
  const found = validate(source).map((d) => `dockerfile-utils ${d.range.start.line + 1}: ${d.message}`);
  const df = DockerfileParser.parse(source);
  const at = (i: Instruction) => i.getRange().start.line + 1;
  const stages = df.getFROMs().map((f) => f.getBuildStage()).filter(Boolean);
  for (const f of df.getFROMs()) {
    const image = f.getImageName();
    if (image && stages.includes(image)) continue; // FROM an earlier stage
    if (!f.getImageTag() && !f.getImageDigest()) found.push(`DL3006 ${at(f)}: ${image} without a tag`);
    if (f.getImageTag() === 'latest') found.push(`DL3007 ${at(f)}: ${image}:latest`);
  }
  for (const i of df.getInstructions()) {
    const kw = i.getKeyword();
    if (kw === 'ADD') found.push(`DL3020 ${at(i)}: ADD instead of COPY`);
    if (kw === 'WORKDIR' && !/^(\/|\$)/.test(i.getArgumentsContent() ?? '')) found.push(`DL3000 ${at(i)}: relative WORKDIR`);
    if (kw === 'RUN' && /(^|[\s;&|])sudo\s/.test(i.getArgumentsContent() ?? '')) found.push(`DL3004 ${at(i)}: sudo`);
    if ((kw === 'CMD' || kw === 'ENTRYPOINT') && !(i.getArgumentsContent() ?? '').trim().startsWith('[')) found.push(`DL3025 ${at(i)}: ${kw} in shell form`);
  }
  const users = df.getInstructions().filter((i) => i.getKeyword() === 'USER');
  const lastFrom = df.getFROMs().at(-1)!;
  const finalUsers = users.filter((u) => at(u) > at(lastFrom));
  const user = finalUsers.at(-1)?.getArgumentsContent()?.trim();
  if (!user || user === 'root' || user === '0' || user.startsWith('0:')) found.push(`DL3002 ${at(lastFrom)}: the final stage runs as root`);
  return found;
}

const stageText = (name: string | null) => {
  const df = DockerfileParser.parse(text);
  const froms = df.getFROMs();
  const i = froms.findIndex((f) => f.getBuildStage() === name);
  const start = froms[i]!.getRange().start.line;
  const end = froms[i + 1]?.getRange().start.line ?? text.split('\n').length;
  return text.split('\n').slice(start, end).join('\n');
};

describe('the production image', () => {
  it('passes the Dockerfile linter with no finding', () => {
    expect(lint(text)).toEqual([]);
  });

  it('the linter catches what it should: an unpinned base, ADD, shell-form CMD, root, a bad duration, a second CMD (relative WORKDIR: both)', () => {
    const bad = 'FROM node:latest AS b\nFROM debian\nADD . /app\nWORKDIR app\nRUN sudo true\nHEALTHCHECK --interval=abc CMD true\nCMD node x.js\nCMD ["node"]\n';
    const found = lint(bad).map((f) => f.split(' ')[0]);
    expect(found.sort()).toEqual(['DL3000', 'DL3002', 'DL3004', 'DL3006', 'DL3007', 'DL3020', 'DL3025', 'dockerfile-utils', 'dockerfile-utils', 'dockerfile-utils'].sort());
  });

  it('builds in one stage, installs production dependencies in another, runs from a third, all on the pinned Node LTS', () => {
    const froms = [...text.matchAll(/^FROM (\S+)(?: AS (\S+))?/gm)].map((m) => [m[1], m[2] ?? null]);
    expect(froms).toEqual([
      [`node:${pinned}-bookworm-slim`, 'build'],
      [`node:${pinned}-bookworm-slim`, 'deps'],
      [`node:${pinned}-bookworm-slim`, null],
    ]);
    expect(stageText('build')).toMatch(/node infra\/docker\/compile\.mjs \/out/);
    expect(stageText('deps')).toMatch(/npm ci --omit=dev/);
    const runtime = stageText(null);
    expect(runtime).not.toMatch(/npm (ci|install)|tsx|typescript/);
    expect(runtime).toMatch(/^COPY --from=deps --chown=node:node \/app \/app$/m);
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
  });

  it('runs compiled JavaScript with plain node as the unprivileged node user, with a HEALTHCHECK on /readyz for every service', () => {
    const runtime = stageText(null);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^CMD \["node", "--enable-source-maps", "dist\/main\.js"\]$/m);
    const hc = runtime.slice(runtime.indexOf('HEALTHCHECK'));
    expect(hc).toMatch(/\/readyz/);
    for (const [s, p] of Object.entries({ intake: 8081, dispatch: 8082, records: 8083, statistics: 8084, console: 8085 })) expect(hc).toContain(`${s}:${p}`);
    expect(runtime.indexOf('USER node')).toBeLessThan(runtime.indexOf('CMD ["node"'));
  });
});
