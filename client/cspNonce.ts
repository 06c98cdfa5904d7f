// The style nonce of this page load. The server puts a fresh one in the Content-Security-Policy
// header and in `<meta property="csp-nonce" nonce="…">` of index.html (server/http/clientPage.ts);
// the browser hides the attribute once parsed, so it is read through the `nonce` property.
export function styleNonce(): string {
  return document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.nonce ?? '';
}
