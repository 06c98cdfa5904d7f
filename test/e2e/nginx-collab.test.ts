// test/e2e/collab.test.ts once more, through nginx with TLS under /cohort/ (see behindNginx.ts): sign-in and co-editing.
import { test } from 'node:test';
import { passesBehindNginx } from './behindNginx.ts';

test('behind nginx at https://127.0.0.1:<port>/cohort/: sign-in and co-editing (test/e2e/collab.test.ts)', () => passesBehindNginx('test/e2e/collab.test.ts'));
