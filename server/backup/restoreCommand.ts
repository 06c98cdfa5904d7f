// `npm run restore -- --in FILE --data-dir NEW`: rebuilds a data directory from a backup file.
// The database is written into a temporary directory beside NEW while the file is read and
// checked (format.ts); only a complete, unaltered file gets that directory renamed to NEW. A
// truncated or corrupt file is refused with the reason, and NEW is not created.
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeRawDatabase } from '../store/level.ts';
import { readBackup, type BackupSummary } from './format.ts';

const USAGE = 'usage: npm run restore -- --in FILE --data-dir NEW';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { in: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: true }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (!values.in || !values['data-dir']) {
    console.error(USAGE);
    process.exit(2);
  }
  const input = resolve(values.in);
  const target = resolve(values['data-dir']);
  if (existsSync(target) && readdirSync(target).length > 0) {
    console.error(`restore refused: ${target} exists and is not empty (restore into a new directory)`);
    process.exit(1);
  }
  const staging = `${target}.restoring-${process.pid}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    mkdirSync(staging, { mode: 0o700 });
    let summary: BackupSummary | undefined;
    await writeRawDatabase(join(staging, 'db'), async (put) => {
      summary = await readBackup(createReadStream(input), put);
    });
    if (existsSync(target)) rmdirSync(target); // empty, checked above
    renameSync(staging, target);
    console.log(`restore: ${summary!.entries} entries from the backup of ${summary!.header.createdAt} (${summary!.header.source}) -> ${target}`);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    console.error(`restore refused: ${(err as Error).message}. Nothing was written to ${target}.`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(`restore failed: ${(err as Error).message}`);
  process.exit(1);
});
