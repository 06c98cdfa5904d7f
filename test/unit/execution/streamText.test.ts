// Terminal semantics of stream text (progress bars, `\r\n`, backspace) and the split between the
// finished lines and the one tail line that can still change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamText, overwriteLine } from '../../../server/execution/streamText.ts';

function streamOf(...chunks: string[]): StreamText {
  const text = new StreamText();
  for (const chunk of chunks) text.append(chunk);
  return text;
}

describe('StreamText', () => {
  it('keeps plain text as it is', () => {
    assert.equal(streamOf('hello\n', 'world\n').toString(), 'hello\nworld\n');
  });

  it('\\r returns to the start of the line and overwrites it (a progress bar)', () => {
    assert.equal(streamOf('progress 1\rprogress 2\rprogress 3').toString(), 'progress 3');
    assert.equal(streamOf('10%\r20%\r100%\n', 'done\n').toString(), '100%\ndone\n');
  });

  it('\\r overwrites character by character: a shorter line leaves the rest, as a terminal does', () => {
    assert.equal(streamOf('hello\rHi').toString(), 'Hillo');
    assert.equal(overwriteLine('abc\r'), 'abc');
  });

  it('\\r\\n is a newline, not an overwrite', () => {
    assert.equal(streamOf('one\r\ntwo\r\n').toString(), 'one\ntwo\n');
    assert.equal(streamOf('a\r\r\nb').toString(), 'a\nb');
  });

  it('\\r and \\n split across chunks still make a newline', () => {
    assert.equal(streamOf('one\r', '\ntwo').toString(), 'one\ntwo');
  });

  it('backspace deletes the character before it, and does nothing at the start of a line', () => {
    assert.equal(streamOf('abc\b\bX').toString(), 'aX');
    assert.equal(streamOf('\b\bok').toString(), 'ok');
    assert.equal(streamOf('ab\n\bc').toString(), 'ab\nc', 'a backspace never reaches the previous line');
  });

  it('a line split across many chunks is assembled before the controls are applied', () => {
    const text = streamOf('prog', 'ress 1', '\rpro', 'gress 2', '\n', 'next');
    assert.equal(text.toString(), 'progress 2\nnext');
  });

  it('a \\r in a later chunk overwrites only the unfinished line, never a finished one', () => {
    const text = streamOf('finished\n', 'partial');
    text.append('\rX');
    assert.equal(text.toString(), 'finished\nXartial');
  });

  it('stableLength covers exactly the finished lines and only grows', () => {
    const text = new StreamText();
    assert.equal(text.stableLength, 0);
    text.append('abc');
    assert.equal(text.stableLength, 0, 'no newline yet: nothing is final');
    text.append('\rxyz\nde');
    assert.equal(text.stableLength, 'xyz\n'.length);
    assert.equal(text.toString().slice(0, text.stableLength), 'xyz\n');
    let previous = text.stableLength;
    for (let i = 0; i < 1000; i++) {
      text.append(`line ${i}\n`);
      assert.ok(text.stableLength > previous);
      previous = text.stableLength;
    }
    assert.equal(text.stableLength, text.toString().length);
  });

  it('long output keeps every finished line and re-renders only the tail', () => {
    const text = new StreamText();
    const expected: string[] = [];
    for (let i = 0; i < 5000; i++) {
      text.append(`row ${i}\n`);
      expected.push(`row ${i}\n`);
    }
    text.append('50%\r100%');
    const finished = expected.join('');
    assert.equal(text.stableLength, finished.length);
    assert.equal(text.toString(), `${finished}100%`);
  });
});

describe('overwriteLine', () => {
  it('returns a line without controls unchanged', () => {
    assert.equal(overwriteLine('plain'), 'plain');
  });

  it('combines \\r and backspace', () => {
    assert.equal(overwriteLine('abcd\rxy\bz'), 'xzd', 'the backspace removes y, and the rest of the line moves left');
  });
});
