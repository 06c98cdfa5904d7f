// The shipped deploy/ files agree with the server and with each other: the systemd unit's flags and
// environment are what Cohort accepts (and carry no secret on the command line), its hardening
// leaves the kernel sandbox what it needs, systemd itself finds nothing wrong with it, and the
// nginx site proxies the unit's address, base URL and body size. (The nginx site is run for real
// by test/e2e/nginx-*.test.ts and test/integration/behind-nginx.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../../server/config.ts';
import { loadConfig } from '../../server/loadConfig.ts';

const UNIT = join(projectRoot, 'deploy/systemd/cohort.service');
const SITE = join(projectRoot, 'deploy/nginx/cohort.conf');

/** `[Section]` → key → values (systemd keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `unparsable unit line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

const service = parseUnit(readFileSync(UNIT, 'utf8')).get('Service')!;
const one = (key: string) => {
  const values = service.get(key);
  assert.equal(values?.length, 1, `${key} should be set once`);
  return values[0]!;
};

/** The unit's command line and environment, as Cohort reads them (with `%d`, the credentials dir, made real). */
function configOfUnit() {
  const credentials = mkdtempSync(join(tmpdir(), 'cohort-credentials-'));
  try {
    writeFileSync(join(credentials, 'metrics-token'), 'scrape-secret\n');
    const argv = one('ExecStart').split(/\s+/);
    const entry = argv.indexOf('/opt/cohort/dist/server/main.mjs');
    assert.ok(entry > 0, 'ExecStart runs the bundled server');
    const env: Record<string, string> = {};
    for (const assignment of service.get('Environment') ?? []) {
      const eq = assignment.indexOf('=');
      env[assignment.slice(0, eq)] = assignment.slice(eq + 1).replace('%d', credentials);
    }
    return { argv: argv.slice(entry + 1), config: loadConfig(argv.slice(entry + 1), env) };
  } finally {
    rmSync(credentials, { recursive: true, force: true });
  }
}

test('the systemd unit starts Cohort behind the proxy, with the metrics token from a credential file', () => {
  const { argv, config } = configOfUnit();
  assert.equal(config.host, '127.0.0.1', 'only nginx may reach Cohort: it trusts one proxy hop');
  assert.equal(config.port, 8888);
  assert.equal(config.baseUrl, '/cohort/');
  assert.equal(config.trustProxy, 1);
  assert.equal(config.dataDir, '/var/lib/cohort');
  assert.equal(config.metricsToken, 'scrape-secret');
  for (const secretFlag of ['--admin-token', '--metrics-token']) {
    assert.ok(!argv.includes(secretFlag), `${secretFlag} on the command line is readable by every user`);
  }
  assert.equal(one('LoadCredential'), 'metrics-token:/etc/cohort/metrics-token');
  assert.equal(one('StateDirectory'), 'cohort', 'the data dir is the state directory /var/lib/cohort');
});

test('the unit hardens the service without taking from the kernel sandbox what it needs', () => {
  assert.equal(one('Delegate'), 'yes', 'per-kernel memory/pids limits need a delegated cgroup subtree');
  for (const key of ['PrivateUsers', 'RestrictNamespaces', 'ProtectKernelTunables', 'ProtectKernelLogs', 'ProcSubset', 'ProtectControlGroups', 'SystemCallFilter']) {
    assert.equal(service.get(key), undefined, `${key} would stop bubblewrap (see the unit's comment)`);
  }
  assert.equal(one('NoNewPrivileges'), 'yes');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('KillMode'), 'mixed', 'Cohort stops its own kernels on SIGTERM');
});

test('systemd-analyze finds nothing to say about the units', () => {
  const units = ['cohort.service', 'cohort-backup.service', 'cohort-backup.timer'].map((name) => join(projectRoot, 'deploy/systemd', name));
  const verified = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
  assert.equal(verified.error, undefined, 'systemd-analyze is missing: run npm run setup');
  assert.equal(verified.status, 0, verified.stderr);
  assert.equal(`${verified.stdout}${verified.stderr}`.trim(), '');
});

test('the backup unit runs the backup command on the unit\'s data dir', () => {
  const backup = parseUnit(readFileSync(join(projectRoot, 'deploy/systemd/cohort-backup.service'), 'utf8')).get('Service')!;
  const exec = backup.get('ExecStart')?.[0] ?? '';
  const script = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['backup']!;
  const [node, importFlag, loader, entry] = script.split(' ');
  assert.equal(`${node} ${importFlag} ${loader}`, 'node --import tsx', script);
  assert.ok(exec.includes(`/usr/bin/node --import tsx /opt/cohort/${entry} --data-dir /var/lib/cohort --out /var/backups/cohort/`), exec);
  assert.equal(backup.get('User')?.[0], one('User'), 'the backup socket is the service user\'s alone');
});

test('the nginx site proxies the unit\'s address and base URL, with Cohort\'s body limit', () => {
  const site = readFileSync(SITE, 'utf8');
  const { config } = configOfUnit();
  assert.match(site, new RegExp(`server ${config.host.replace(/\./g, '\\.')}:${config.port};`));
  assert.match(site, new RegExp(`location ${config.baseUrl} \\{`));
  const body = /client_max_body_size (\d+)m;/.exec(site);
  assert.ok(body, 'client_max_body_size in MiB');
  assert.equal(Number(body[1]) * 1024 * 1024, config.maxBodyBytes, 'nginx and --max-body-bytes must refuse the same bodies');
  for (const header of ['Upgrade $http_upgrade', 'Connection $cohort_connection', 'X-Forwarded-For $proxy_add_x_forwarded_for', 'X-Forwarded-Proto $scheme', 'Host $http_host']) {
    assert.ok(site.includes(`proxy_set_header ${header};`), `missing proxy_set_header ${header}`);
  }
  assert.doesNotMatch(site, /gzip_types[^;]*json/, 'API answers hold tokens: never compress them (BREACH)');
  const timeout = /proxy_read_timeout (\d+)h;/.exec(site);
  assert.ok(timeout && Number(timeout[1]) >= 1, 'idle sync sockets need a long read timeout');
});
