// test/e2e/widgets.test.ts once more, through nginx with TLS under /cohort/ (see behindNginx.ts): widgets.
import { test } from 'node:test';
import { passesBehindNginx } from './behindNginx.ts';

test('behind nginx at https://127.0.0.1:<port>/cohort/: widgets (test/e2e/widgets.test.ts)', () => passesBehindNginx('test/e2e/widgets.test.ts'));
