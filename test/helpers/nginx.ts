// A real nginx in front of a test server, configured by the shipped site file
// (deploy/nginx/cohort.conf) with only its addresses, ports and certificate replaced: TLS on
// 127.0.0.1:<free port>, Cohort under /cohort/. Plus a self-signed certificate made by openssl,
// free ports, and HTTPS requests from a chosen local address (127.0.0.x are all this machine's).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../../server/config.ts';
import { eventually } from './eventually.ts';

export const SITE_CONFIG = join(projectRoot, 'deploy/nginx/cohort.conf');
export const NGINX = process.env['NGINX_PATH'] ?? '/usr/sbin/nginx';

export interface Certificate {
  cert: string;
  key: string;
}

/** A self-signed certificate for 127.0.0.1 and 127.0.0.2 in `dir`. */
export function makeCertificate(dir: string): Certificate {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2', '-keyout', key, '-out', cert,
  ], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  return { cert, key };
}

/** A port nothing listens on right now (the OS picks it for port 0; nginx takes it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The shipped site file with this test's upstream, ports and certificate; every edit must apply exactly once. */
export function renderSiteConfig(options: { upstreamPort: number; httpsPort: number; httpPort: number; certificate: Certificate }): string {
  let text = readFileSync(SITE_CONFIG, 'utf8');
  const edits: Array<[RegExp, string]> = [
    [/server 127\.0\.0\.1:8888;/, `server 127.0.0.1:${options.upstreamPort};`],
    [/listen 80;/, `listen 127.0.0.1:${options.httpPort};`],
    [/\n\s*listen \[::\]:80;/, ''],
    [/listen 443 ssl http2;/, `listen 127.0.0.1:${options.httpsPort} ssl http2;`],
    [/\n\s*listen \[::\]:443 ssl http2;/, ''],
    [/ssl_certificate \s*\S+;/, `ssl_certificate ${options.certificate.cert};`],
    [/ssl_certificate_key \S+;/, `ssl_certificate_key ${options.certificate.key};`],
  ];
  for (const [pattern, replacement] of edits) {
    const matches = text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
    if (matches !== 1) throw new Error(`${SITE_CONFIG}: expected one match of ${pattern}, found ${matches}; update test/helpers/nginx.ts`);
    text = text.replace(pattern, replacement);
  }
  return text;
}

export interface Nginx {
  /** `https://127.0.0.1:<port>/cohort`, like a TestServer's url (no final slash). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The ports and URL nginx will have, chosen before the Cohort server starts: the server must know
 * the proxy's origin (`--allowed-origins`), or it refuses nginx's `Host` as a foreign name.
 */
export interface NginxAddress {
  httpsPort: number;
  httpPort: number;
  /** `https://127.0.0.1:<port>/cohort`, like a TestServer's url (no final slash). */
  url: string;
  /** `https://127.0.0.1:<port>`: what goes in the server's allowedOrigins. */
  origin: string;
}

export async function reserveNginxAddress(): Promise<NginxAddress> {
  const [httpsPort, httpPort] = [await freePort(), await freePort()];
  const origin = `https://127.0.0.1:${httpsPort}`;
  return { httpsPort, httpPort, origin, url: `${origin}/cohort` };
}

export async function startNginx(options: { address: NginxAddress; upstreamPort: number; certificate: Certificate; dir: string }): Promise<Nginx> {
  const { httpsPort, httpPort, url } = options.address;
  const dir = join(options.dir, `nginx-${httpsPort}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cohort.conf'), renderSiteConfig({ upstreamPort: options.upstreamPort, httpsPort, httpPort, certificate: options.certificate }));
  const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      // One process, no workers: with the parent-death signal below it cannot outlive the test
      // (nginx's workers would survive a killed master).
      'master_process off;',
      `pid ${join(dir, 'nginx.pid')};`,
      'error_log stderr warn;',
      'events { worker_connections 512; }',
      'http {',
      '  access_log off;',
      `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
      `  include ${join(dir, 'cohort.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  // setpriv --pdeathsig: nginx gets SIGKILL if the test process dies without closing it.
  const child: ChildProcess = spawn('setpriv', ['--pdeathsig', 'KILL', '--', NGINX, '-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  try {
    await eventually(
      async () => {
        if (exited) throw new Error(`nginx exited: ${stderr}`);
        return (await httpsRequest(`${url}/api/health`, { ca: readFileSync(options.certificate.cert) })).status === 200;
      },
      { timeoutMs: 15_000, message: 'nginx did not answer' },
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exit;
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    url,
    port: httpsPort,
    async close() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request, optionally from a chosen local address (to be another client to nginx). */
export function httpsRequest(
  url: string,
  options: { ca: Buffer; method?: string; headers?: Record<string, string>; body?: string; localAddress?: string },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, ca: options.ca, localAddress: options.localAddress, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
