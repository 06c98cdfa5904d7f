// test/e2e/classroom.test.ts once more, through nginx with TLS under /cohort/ (see behindNginx.ts): a live class, joining it and its join rate limit.
import { test } from 'node:test';
import { passesBehindNginx } from './behindNginx.ts';

test('behind nginx at https://127.0.0.1:<port>/cohort/: a live class, joining it and its join rate limit (test/e2e/classroom.test.ts)', () => passesBehindNginx('test/e2e/classroom.test.ts'));
