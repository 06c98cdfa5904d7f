// Reading one option's string into its value, with a clear error naming the flag when it is not
// valid: integers, URLs, uids, the base URL, trusted proxies and secrets kept in files.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import proxyaddr from 'proxy-addr';

import type { TrustProxy } from './config.ts';

export const readInt = (name: string, value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
};

/**
 * `cohort`, `/cohort` and `/cohort/` all mean `/cohort/`. Only plain path characters: the prefix is
 * written into routes, cookie paths and the nginx example, where anything else would need escaping.
 */
export function normalizeBaseUrl(raw: string): string {
  const trimmed = raw.trim().replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '/';
  if (!/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(trimmed) || trimmed.split('/').some((s) => s === '.' || s === '..')) {
    throw new Error(`--base-url must be a path like /cohort/ (letters, digits, . _ ~ -), got "${raw}"`);
  }
  return `/${trimmed}/`;
}

/**
 * `--trust-proxy 1` trusts one hop (nginx in front); `--trust-proxy loopback,10.0.0.0/8` trusts
 * those addresses (proxy-addr's names and CIDRs). `true` (trust any sender) is refused on purpose:
 * every client could then pick its own address and slip past the join rate limit.
 */
export function parseTrustProxy(raw: string): TrustProxy {
  const value = raw.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0 || list.some((entry) => entry === 'true' || entry === 'false')) {
    throw new Error(`--trust-proxy takes a hop count or addresses/CIDRs (e.g. 1, or loopback,10.0.0.0/8), got "${raw}"`);
  }
  try {
    proxyaddr.compile(list);
  } catch (err) {
    throw new Error(`--trust-proxy: ${(err as Error).message}`);
  }
  return list;
}

/** An http(s) URL without a trailing slash, so links are `${publicUrl}/login?…`. */
export const readUrl = (name: string, value: string): string => {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${name} must be an absolute http(s) URL, got "${value}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${name} must be an http(s) URL, got "${value}"`);
  if (parsed.search || parsed.hash || parsed.username || parsed.password) throw new Error(`${name} must not have a query, a fragment or credentials`);
  return parsed.href.replace(/\/+$/, '');
};

/** `uid` or `uid:gid` (gid defaults to uid). */
export const readUser = (name: string, value: string): { uid: number; gid: number } => {
  const match = /^(\d+)(?::(\d+))?$/.exec(value);
  if (!match) throw new Error(`${name} must be a uid or uid:gid, got "${value}"`);
  const uid = Number(match[1]);
  return { uid, gid: match[2] === undefined ? uid : Number(match[2]) };
};

/** A secret kept in a file (systemd credentials, a container secret; never on a command line): its content without the trailing newline. */
export function readSecretFile(flag: string, path: string): string {
  let content: string;
  try {
    content = readFileSync(resolve(path), 'utf8');
  } catch (err) {
    throw new Error(`${flag}: cannot read "${path}": ${(err as Error).message}`);
  }
  const secret = content.replace(/\r?\n$/, '');
  if (secret === '' || /[\s]/.test(secret)) throw new Error(`${flag}: "${path}" must hold one token on one line`);
  return secret;
}
