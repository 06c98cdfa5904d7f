// Runs one browser test file again through a real nginx (deploy/nginx/cohort.conf as shipped),
// TLS with a self-signed certificate made here by openssl, at https://127.0.0.1:<port>/cohort/,
// Cohort started with --base-url /cohort/ --trust-proxy 1 (fixture.ts does that when
// COHORT_E2E_NGINX=1). The file runs in its own test process, so that Node's fetch can be told to
// trust the certificate (NODE_EXTRA_CA_CERTS is read at start-up only): the file is run directly
// (node runs its tests in that one process) under a parent-death signal, so if this test is killed
// (a timeout), that process goes too and leaves no browser, server or nginx behind. One
// nginx-*.test.ts per browser file keeps each within the test runner's time per file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { projectRoot } from '../../server/config.ts';
import { makeCertificate } from '../helpers/nginx.ts';
import { tempDir } from '../helpers/server.ts';

function run(file: string, certificate: { cert: string; key: string }): Promise<{ code: number | null; output: string }> {
  // The runner marks its test processes; the child is not one of its, and must report as a plain run.
  const { NODE_TEST_CONTEXT: _runnerMark, ...env } = process.env;
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, '--import', 'tsx', '--test-reporter=spec', file], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      COHORT_E2E_NGINX: '1',
      COHORT_E2E_NGINX_CERT: certificate.cert,
      COHORT_E2E_NGINX_KEY: certificate.key,
      // Node's fetch in the tests (REST set-up through nginx) trusts the test certificate.
      NODE_EXTRA_CA_CERTS: certificate.cert,
    },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

/** Runs `file` behind nginx and fails with its report unless every test in it passed there. */
export async function passesBehindNginx(file: string): Promise<void> {
  const dir = tempDir('cohort-nginx-cert-');
  try {
    const { code, output } = await run(file, makeCertificate(dir));
    assert.equal(code, 0, `${file} failed behind nginx:\n${output}`);
    assert.match(output, /ℹ fail 0/, output);
    const passed = Number(/ℹ pass (\d+)/.exec(output)?.[1] ?? 0);
    assert.ok(passed > 0, `${file} ran no test behind nginx:\n${output}`);
    // Printed by fixture.ts: proof that the run really went through the proxy.
    assert.match(output, /e2e through nginx: https:\/\/127\.0\.0\.1:\d+\/cohort\/ -> http:\/\/127\.0\.0\.1:\d+\/cohort\//, 'the tests did not go through nginx');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
