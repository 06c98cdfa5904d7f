// test/e2e/run.test.ts once more, through nginx with TLS under /cohort/ (see behindNginx.ts): running cells.
import { test } from 'node:test';
import { passesBehindNginx } from './behindNginx.ts';

test('behind nginx at https://127.0.0.1:<port>/cohort/: running cells (test/e2e/run.test.ts)', () => passesBehindNginx('test/e2e/run.test.ts'));
