// The backup file: every raw LevelDB entry of one snapshot, framed, checksummed, gzip-compressed.
//
//   "COHORT-BACKUP\n"                          magic
//   u32 length, JSON header                    { format: 1, createdAt, source }
//   per entry: u32 key length, key, u32 value length, value
//   u32 0xFFFFFFFF, u64 entry count            end mark
//   32 bytes: SHA-256 of every byte above
//
// (all integers big-endian; the whole stream gzip-compressed). Hand-written because it is small and
// what matters is that a reader can tell a complete file from a truncated or altered one before
// anything is restored: the end mark and count catch truncation, the digest catches any change,
// gzip's own CRC catches damage to the compressed bytes. A LevelDB directory copied file by file
// could not promise that, and tar of a running database would not even be consistent.
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { RawEntry } from '../store/types.ts';

const MAGIC = Buffer.from('COHORT-BACKUP\n', 'latin1');
const FORMAT = 1;
const END_MARK = 0xffffffff;
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_KEY_BYTES = 64 * 1024;
const MAX_VALUE_BYTES = 1024 * 1024 * 1024;

export interface BackupHeader {
  format: number;
  createdAt: string;
  /** Where the snapshot came from: a running server, or a data directory no server held. */
  source: 'running server' | 'data directory';
}

export interface BackupSummary {
  header: BackupHeader;
  entries: number;
  /** Uncompressed bytes of keys and values. */
  bytes: number;
}

/** The file is not a complete, unaltered Cohort backup. */
export class BackupFileError extends Error {
  override readonly name = 'BackupFileError';
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** The uncompressed backup stream of a snapshot's entries. */
async function* frames(entries: AsyncIterable<RawEntry>, source: BackupHeader['source']): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  const out = (chunk: Buffer) => {
    hash.update(chunk);
    return chunk;
  };
  const header = Buffer.from(JSON.stringify({ format: FORMAT, createdAt: new Date().toISOString(), source } satisfies BackupHeader));
  yield out(Buffer.concat([MAGIC, u32(header.length), header]));
  let count = 0n;
  for await (const [key, value] of entries) {
    yield out(Buffer.concat([u32(key.byteLength), key, u32(value.byteLength), value]));
    count++;
  }
  const end = Buffer.alloc(12);
  end.writeUInt32BE(END_MARK, 0);
  end.writeBigUInt64BE(count, 4);
  yield out(end);
  yield hash.digest();
}

/** A backup file's bytes (gzip), streamed as the entries are read. */
export function encodeBackup(entries: AsyncIterable<RawEntry>, source: BackupHeader['source']): Readable {
  return Readable.from(frames(entries, source)).pipe(createGzip());
}

/** Reads exact byte counts from a stream of chunks, hashing what it hands out. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;

  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly hash: Hash,
  ) {}

  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= n;
  }

  /** `n` bytes, or a BackupFileError naming what was cut off. */
  async take(n: number, what: string, hashed = true): Promise<Buffer> {
    if (!(await this.fill(n))) throw new BackupFileError(`the backup file is truncated (it ends inside ${what})`);
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    if (hashed) this.hash.update(taken);
    return taken;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }
}

/**
 * Reads and checks a backup file (its gzip bytes), handing each entry to `onEntry` as it goes.
 * Resolves only when the whole file was read and its end mark, count and digest are right; the
 * caller must treat what it received as garbage unless this resolves (restore writes into a
 * temporary directory for that reason).
 */
export async function readBackup(file: Readable, onEntry: (entry: RawEntry) => Promise<void> | void): Promise<BackupSummary> {
  const gunzip = createGunzip();
  file.on('error', (err) => gunzip.destroy(err));
  const plain = file.pipe(gunzip);
  const iterator = plain[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const hash = createHash('sha256');
  const reader = new ByteReader(iterator, hash);
  try {
    const magic = await reader.take(MAGIC.length, 'its first bytes');
    if (!magic.equals(MAGIC)) throw new BackupFileError('not a Cohort backup file (wrong first bytes)');
    const headerLength = (await reader.take(4, 'its header')).readUInt32BE();
    if (headerLength > MAX_HEADER_BYTES) throw new BackupFileError('the backup file is corrupt (impossible header length)');
    let header: BackupHeader;
    try {
      header = JSON.parse((await reader.take(headerLength, 'its header')).toString('utf8')) as BackupHeader;
    } catch (err) {
      if (err instanceof BackupFileError) throw err;
      throw new BackupFileError('the backup file is corrupt (its header is not JSON)');
    }
    if (header.format !== FORMAT) throw new BackupFileError(`unknown backup format ${String(header.format)} (this Cohort reads format ${FORMAT})`);
    let entries = 0;
    let bytes = 0;
    for (;;) {
      const keyLength = (await reader.take(4, `entry ${entries + 1}`)).readUInt32BE();
      if (keyLength === END_MARK) break;
      if (keyLength > MAX_KEY_BYTES) throw new BackupFileError(`the backup file is corrupt (impossible key length at entry ${entries + 1})`);
      const key = await reader.take(keyLength, `entry ${entries + 1}`);
      const valueLength = (await reader.take(4, `entry ${entries + 1}`)).readUInt32BE();
      if (valueLength > MAX_VALUE_BYTES) throw new BackupFileError(`the backup file is corrupt (impossible value length at entry ${entries + 1})`);
      const value = await reader.take(valueLength, `entry ${entries + 1}`);
      await onEntry([new Uint8Array(key), new Uint8Array(value)]);
      entries++;
      bytes += keyLength + valueLength;
    }
    const count = (await reader.take(8, 'its end mark')).readBigUInt64BE();
    if (count !== BigInt(entries)) throw new BackupFileError(`the backup file is corrupt (it says ${count} entries, it holds ${entries})`);
    const digest = await reader.take(32, 'its checksum', false);
    if (!digest.equals(hash.digest())) throw new BackupFileError('the backup file is corrupt (checksum mismatch)');
    if (!(await reader.atEnd())) throw new BackupFileError('the backup file is corrupt (bytes after its end)');
    return { header, entries, bytes };
  } catch (err) {
    plain.destroy();
    file.destroy();
    if (err instanceof BackupFileError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test((err as Error).message)) {
      throw new BackupFileError('the backup file is truncated (its compressed stream ends early)');
    }
    if (typeof code === 'string' && code.startsWith('Z_')) throw new BackupFileError(`the backup file is corrupt (${(err as Error).message})`);
    throw err;
  }
}
