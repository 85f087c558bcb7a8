import {
  CappedText,
  cellTimeouts,
  codePointLength,
  fenced,
  formatCellResult,
  NO_OUTPUT,
} from '../../../src/agent/tools/scratchpad/format.js';
import { padFolderName } from '../../../src/agent/tools/scratchpad/manager.js';

const empty = { output: '', outputCut: 0, logs: '', logsCut: 0, stderr: '', stderrCut: 0, error: null, errorCut: 0 };

describe('cellTimeouts', () => {
  it('uses 120 s total and 30 s inactivity when there is no positive estimate', () => {
    for (const e of [0, -5, Number.NaN]) expect(cellTimeouts(e)).toEqual({ totalSeconds: 120, inactivitySeconds: 30 });
  });

  it('is max(2e, e + 30) total and min(max(0.5e, 30), 60) inactivity', () => {
    expect(cellTimeouts(10)).toEqual({ totalSeconds: 40, inactivitySeconds: 30 });
    expect(cellTimeouts(30)).toEqual({ totalSeconds: 60, inactivitySeconds: 30 });
    expect(cellTimeouts(90)).toEqual({ totalSeconds: 180, inactivitySeconds: 45 });
    expect(cellTimeouts(200)).toEqual({ totalSeconds: 400, inactivitySeconds: 60 });
  });
});

describe('CappedText', () => {
  it('keeps the first code points and counts the rest', () => {
    const text = new CappedText(5);
    text.append('ab');
    text.append('c😀de');
    text.append('fgh');
    expect(text.text).toBe('abc😀d');
    expect(text.cutChars).toBe(4);
  });

  it('counts a surrogate pair as one character', () => {
    expect(codePointLength('a😀b')).toBe(3);
  });
});

describe('formatCellResult', () => {
  it('says so when there is nothing to show', () => {
    expect(formatCellResult(empty)).toBe(NO_OUTPUT);
    expect(formatCellResult({ ...empty, output: ' \n\n' })).toBe(NO_OUTPUT);
  });

  it('orders the sections and drops trailing newlines', () => {
    expect(formatCellResult({ ...empty, output: 'o\n', logs: 'l\n', stderr: 's\n', error: 'e\n' })).toBe(
      '[output]\no\n\n[logs]\nl\n\n[stderr]\ns\n\n[error]\ne',
    );
  });

  it('says how much was cut', () => {
    expect(formatCellResult({ ...empty, output: 'abc', outputCut: 7 })).toBe('[output]\nabc\n... [7 more characters not shown]');
    const long = `${'x'.repeat(6000)}END`;
    expect(formatCellResult({ ...empty, error: long, errorCut: 10 })).toBe(
      `[error]\n[... 1013 earlier characters not shown]\n${'x'.repeat(4997)}END`,
    );
  });
});

describe('fenced', () => {
  it('uses a fence longer than any backtick run inside', () => {
    expect(fenced('a\n', 'python')).toBe('```python\na\n```');
    expect(fenced('x ```` y')).toBe('`````\nx ```` y\n`````');
  });
});

describe('padFolderName', () => {
  it('keeps tame names and hashes the others', () => {
    expect(padFolderName('main_2-b')).toBe('main_2-b');
    expect(padFolderName('../x')).toMatch(/^_x-[0-9a-f]{10}$/);
    expect(padFolderName('..')).not.toBe('..');
    expect(padFolderName('a b')).not.toBe(padFolderName('a_b'));
  });
});
