// Which `Host` headers this server answers: the DNS-rebinding defence, for HTTP and WebSocket
// upgrades alike. A page on `evil.example` whose name is re-pointed at 127.0.0.1 reaches a
// localhost server as same-origin to itself; only the `Host` header (`evil.example:8888`) gives it
// away. Cookies would not be sent (they belong to 127.0.0.1), but the server's origin checks
// compare `Origin` with `Host` and the login confirmation would render, so a foreign name is
// refused before anything else runs (Jupyter Server does the same for local addresses).
import type { IncomingMessage } from 'node:http';
import { hostname as machineName, networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { sendError } from './errors.ts';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** `::1` → `[::1]`, names lower-cased: the spelling `new URL()` gives a Host's hostname. */
function canonical(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare.includes(':') ? `[${bare.toLowerCase()}]` : bare.toLowerCase();
}

function isLoopback(host: string): boolean {
  const h = canonical(host);
  return h === 'localhost' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function isWildcard(host: string): boolean {
  const h = canonical(host);
  return h === '0.0.0.0' || h === '[::]' || h === '';
}

export class AllowedHosts {
  /** Hostnames that are this server at its listening port. */
  private readonly names = new Set<string>();
  /** `host[:port]` of each allowed origin (a proxy's public name), compared as a whole. */
  private readonly originHosts = new Set<string>();
  private port: number | undefined;

  constructor(listenHost: string, allowedOrigins: readonly string[]) {
    this.names.add(canonical(listenHost));
    if (isLoopback(listenHost)) for (const name of LOOPBACK_NAMES) this.names.add(name);
    if (isWildcard(listenHost)) {
      // Listening everywhere: any of the machine's own addresses and its name.
      for (const name of LOOPBACK_NAMES) this.names.add(name);
      for (const addresses of Object.values(networkInterfaces())) {
        for (const address of addresses ?? []) this.names.add(canonical(address.address.replace(/%.*$/, '')));
      }
      this.names.add(canonical(machineName()));
    }
    for (const origin of allowedOrigins) {
      try {
        this.originHosts.add(new URL(origin).host);
      } catch {
        // Not a URL: it can never match an Origin header either; the config keeps it as given.
      }
    }
  }

  /** Set once the server listens (port 0 picks one). */
  listening(port: number): void {
    this.port = port;
  }

  /**
   * A missing Host is allowed: every browser sends one (HTTP/1.1 requires it), so a request
   * without it is a script or a health check on this machine, not a rebound page.
   */
  allows(hostHeader: string | undefined): boolean {
    if (hostHeader === undefined) return true;
    if (/[/@?#\\\s]/.test(hostHeader)) return false; // userinfo, paths: not a Host
    let url: URL;
    try {
      url = new URL(`http://${hostHeader}`);
    } catch {
      return false;
    }
    if (this.originHosts.has(url.host)) return true;
    const port = url.port === '' ? 80 : Number(url.port);
    return port === this.port && this.names.has(url.hostname);
  }

  refusal(hostHeader: string | undefined): string {
    return (
      `Host "${String(hostHeader).slice(0, 200)}" is not an address of this server; ` +
      `if it is (a DNS name or a proxy in front of it), add its origin to --allowed-origins`
    );
  }
}

/** Express middleware: refuses a request whose Host is not this server's (403 `host_not_allowed`). */
export function checkHost(hosts: AllowedHosts): RequestHandler {
  return (req, res, next) => {
    if (hosts.allows(req.headers.host)) {
      next();
      return;
    }
    sendError(res, 403, 'host_not_allowed', hosts.refusal(req.headers.host));
  };
}

/** For `server.on('upgrade')`: answers a refused upgrade with a plain HTTP 403 and closes. */
export function refuseUpgradeForHost(hosts: AllowedHosts, req: IncomingMessage, socket: Duplex): boolean {
  if (hosts.allows(req.headers.host)) return false;
  const body = JSON.stringify({ error: { code: 'host_not_allowed', message: hosts.refusal(req.headers.host) } });
  socket.end(
    'HTTP/1.1 403 Forbidden\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  return true;
}
