// Terminal semantics for stream text, as Jupyter front ends apply them: `\r` returns to the start
// of the line and overwrites (progress bars), `\b` deletes the character before it.
// Only the unfinished last line can still change, so a stream keeps finished lines as they are
// and re-renders just its tail: appending is O(chunk), not O(output).

export class StreamText {
  /** Finished lines, controls applied; ends with '\n' or is empty. */
  private done = '';
  /** Raw text after the last newline. */
  private tail = '';

  append(chunk: string): void {
    const text = this.tail + chunk.replace(/\r+\n/g, '\n');
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline < 0) {
      this.tail = text;
      return;
    }
    this.done += text
      .slice(0, lastNewline + 1)
      .split('\n')
      .map((line, i, all) => (i === all.length - 1 ? line : overwriteLine(line)))
      .join('\n');
    this.tail = text.slice(lastNewline + 1);
  }

  /** Length of the text that can no longer change. */
  get stableLength(): number {
    return this.done.length;
  }

  toString(): string {
    return this.done + overwriteLine(this.tail);
  }
}

export function overwriteLine(line: string): string {
  if (!line.includes('\r') && !line.includes('\b')) return line;
  const out: string[] = [];
  let cursor = 0;
  for (const ch of line) {
    if (ch === '\r') {
      cursor = 0;
    } else if (ch === '\b') {
      if (cursor > 0) {
        out.splice(cursor - 1, 1);
        cursor--;
      }
    } else {
      out[cursor] = ch;
      cursor++;
    }
  }
  return out.join('');
}
