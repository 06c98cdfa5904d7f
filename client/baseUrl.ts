// Where the server lives: its base URL (`--base-url`, `/` by default). The page is only ever served
// at the base URL itself (views live in the hash), so the page's own folder is the base, and the
// server needs to tell the page nothing. Every request and the sync socket go through here.
export const basePath = new URL('.', location.href).pathname;

/** A server path (`/api/me`) as a URL path under the base (`/prefix/api/me`). */
export function serverPath(path: string): string {
  return basePath + path.replace(/^\/+/, '');
}
