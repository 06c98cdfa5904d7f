// What the files REST API answers (server/http/routes/files.ts), as the server sends it and the
// client's Files panel reads it.

export interface FileEntry {
  name: string;
  /** Relative to the scope's folder, `/`-separated. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
  modified: string;
}

export interface Usage {
  bytes: number;
  files: number;
}

export interface Quota {
  /** Bytes in all; 0 = no limit. */
  bytes: number;
  /** Files in all; 0 = no limit. */
  files: number;
}

export interface FileListing {
  path: string;
  entries: FileEntry[];
  usage: Usage;
  quota: Quota;
  /** Where the scope's folder is in a kernel (`/notebook`, `/home/cohort`): prefix a file's path with it for Python. */
  kernelPath: string;
}
