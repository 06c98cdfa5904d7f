// Vite builds the browser client from client/ into dist/client, which the Cohort server serves.
// In development the Vite dev server proxies the API, login and sync socket to a Cohort server,
// so the page stays same-origin (the server checks Origin on cookie-authenticated requests).
import { defineConfig } from 'vite';

const target = process.env['COHORT_SERVER'] ?? 'http://127.0.0.1:8888';

export default defineConfig({
  root: 'client',
  // Relative asset URLs: the same build works under any base URL (`--base-url /prefix/`).
  base: './',
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    // The ipywidgets front end alone is ~800 kB; the warning would only be noise.
    chunkSizeWarningLimit: 2000,
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env['VITE_PORT'] ?? 5173),
    // Anchored patterns: a plain '/api' or '/login' prefix would also catch the client's own
    // modules /api.ts and /login.ts. `/sync/<room>` shares its prefix with client/sync/, so only
    // WebSocket upgrades go to the server there.
    proxy: {
      '^/api/': { target, changeOrigin: false },
      '^/login(?:[/?]|$)': { target, changeOrigin: false },
      '^/sync(?:[/?]|$)': {
        target: target.replace(/^http/, 'ws'),
        ws: true,
        changeOrigin: false,
        bypass: (req) => (req.headers.upgrade?.toLowerCase() === 'websocket' ? undefined : req.url),
      },
    },
  },
});
