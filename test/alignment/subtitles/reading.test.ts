import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { InputFileError, parseSubtitles, readSubtitleFile, SubtitleParseError } from 'mmalign';

const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/subtitles/${name}`, import.meta.url));
const texts = async (name: string): Promise<string[]> => (await readSubtitleFile(fixture(name))).cues.map((c) => c.text);

async function parseError(name: string): Promise<SubtitleParseError> {
  const err = await readSubtitleFile(fixture(name)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SubtitleParseError);
  return err as SubtitleParseError;
}

describe('reading SRT files', () => {
  it('parses a plain SRT file into numbered cues with times in seconds', async () => {
    const doc = await readSubtitleFile(fixture('basic.srt'));
    expect(doc.format).toBe('srt');
    expect(doc.cues).toEqual([
      { index: 1, start: 1, end: 3, text: 'Hello, and welcome.' },
      { index: 2, start: 4, end: 6.5, text: 'This is mmalign.' },
      { index: 3, start: 8, end: 10, text: 'It pairs frames with subtitles.' },
    ]);
    expect(doc.warnings).toEqual([]);
  });

  it('drops a UTF-8 byte order mark and keeps the first cue number intact', async () => {
    const bytes = await readFile(fixture('bom.srt'));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const doc = await readSubtitleFile(fixture('bom.srt'));
    expect(doc.encoding).toBe('utf-8');
    expect(doc.cues[0]).toEqual({ index: 1, start: 1, end: 2, text: 'Café first' });
  });

  it('reads CRLF line endings without leaving carriage returns in the text', async () => {
    const doc = await readSubtitleFile(fixture('crlf.srt'));
    expect(doc.cues.map((c) => [c.start, c.text])).toEqual([
      [1, 'First line\nsecond line'],
      [3, 'Next'],
    ]);
  });

  it('reads lone CR line endings (classic Mac) like any other', async () => {
    const doc = await readSubtitleFile(fixture('cr.srt'));
    expect(doc.cues.map((c) => [c.start, c.end, c.text])).toEqual([
      [1, 2, 'First line\nsecond line'],
      [3, 4, 'Next'],
    ]);
  });

  it('keeps the last cue when the file has no final newline', async () => {
    expect(await texts('no-final-newline.srt')).toEqual(['First', 'Last line without newline']);
  });

  it('ignores leading and repeated blank lines between cues', async () => {
    const doc = await readSubtitleFile(fixture('blank-lines.srt'));
    expect(doc.cues.map((c) => c.index)).toEqual([1, 2]);
    expect(doc.warnings).toEqual([]);
  });

  it('numbers cues by position when the file has no cue numbers', async () => {
    const doc = await readSubtitleFile(fixture('missing-numbers.srt'));
    expect(doc.cues.map((c) => [c.index, c.start, c.text])).toEqual([
      [1, 1, 'No number one'],
      [2, 3, 'No number two'],
      [3, 5, 'No number three'],
    ]);
  });

  it('accepts a dot or a comma before the milliseconds, and short fractions as decimals', async () => {
    const doc = await readSubtitleFile(fixture('ms-separators.srt'));
    expect(doc.cues.map((c) => [c.start, c.end])).toEqual([
      [1.25, 2.75],
      [3.5, 4.25],
    ]);
  });

  it('accepts hours written with one digit or with three', async () => {
    const doc = await readSubtitleFile(fixture('hours.srt'));
    expect(doc.cues.map((c) => [c.start, c.end])).toEqual([
      [1, 2],
      [360_000, 360_001.5],
    ]);
  });

  it('ignores SRT position coordinates after the time line', async () => {
    const doc = await readSubtitleFile(fixture('positions.srt'));
    expect(doc.cues.map((c) => [c.start, c.end, c.text])).toEqual([
      [1, 2, 'Positioned'],
      [3, 4, 'Also positioned'],
    ]);
    expect(doc.warnings).toEqual([]);
  });

  it('joins multi-line cue text with \\n and trims each line', async () => {
    expect(await texts('multiline.srt')).toEqual(['First line\nSecond line\nThird line']);
  });

  it('strips <i>, <b>, <u>, <font> tags and ASS {\\an8} overrides from the text', async () => {
    expect(await texts('tags.srt')).toEqual(['Italic and bold and under', 'Yellow text', 'On top\nUpper-case tag']);
  });

  it('keeps "<" that starts no known tag, and turns <br> into a line break', () => {
    const doc = parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\nx<y and y>z<br>next\n');
    expect(doc.cues[0].text).toBe('x<y and y>z\nnext');
  });

  it('decodes named, decimal and hexadecimal HTML entities and leaves unknown ones as written', async () => {
    expect(await texts('entities.srt')).toEqual(['Tom & Jerry <3 > all', 'it\'s \'quoted\'\u00a0"now" \u2026 &unknown;']);
  });

  it('keeps overlapping and nested cues as they are, in file order', async () => {
    const doc = await readSubtitleFile(fixture('overlapping.srt'));
    expect(doc.cues.map((c) => [c.index, c.start, c.end])).toEqual([
      [1, 1, 5],
      [2, 2, 3],
      [3, 0.5, 1.5],
    ]);
  });

  it('detects and decodes a Windows-1252 file (accents, curly quotes, euro sign)', async () => {
    const bytes = await readFile(fixture('windows-1252.srt'));
    expect(bytes.includes(0x80)).toBe(true); // € in Windows-1252, invalid as UTF-8
    const doc = await readSubtitleFile(fixture('windows-1252.srt'));
    expect(doc.encoding).toBe('windows-1252');
    expect(doc.cues.map((c) => c.text)).toEqual([
      'Un café crème coûte 3 €, “vraiment”.',
      'C’est l’été — naïve façade, déjà vu.',
    ]);
  });

  it('skips a cue with a malformed timestamp and one that ends before it starts, warning with their lines', async () => {
    const file = fixture('malformed.srt');
    const doc = await readSubtitleFile(file);
    expect(doc.cues.map((c) => c.text)).toEqual(['Good one', 'Good two']);
    expect(doc.warnings.map((w) => [w.file, w.line])).toEqual([
      [file, 6],
      [file, 10],
    ]);
    expect(doc.warnings[0].message).toMatch(/malformed/);
    expect(doc.warnings[1].message).toMatch(/before it starts/);
  });

  it('reads a time line that directly follows the previous cue without a blank line', () => {
    const doc = parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:03,000 --> 00:00:04,000\nTwo\n');
    expect(doc.cues.map((c) => [c.index, c.text])).toEqual([
      [1, 'One'],
      [2, 'Two'],
    ]);
  });

  it('rejects minutes or seconds of 60 and above as malformed', () => {
    const doc = parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:61:00,000 --> 00:62:00,000\nbad\n');
    expect(doc.cues).toHaveLength(1);
    expect(doc.warnings[0].line).toBe(6);
  });
});

describe('reading WebVTT files', () => {
  it('skips header text, STYLE, REGION and NOTE blocks, and reads identifiers, settings and hour-less times', async () => {
    const doc = await readSubtitleFile(fixture('features.vtt'));
    expect(doc.format).toBe('vtt');
    expect(doc.warnings).toEqual([]);
    expect(doc.cues).toEqual([
      { index: 1, start: 1, end: 2.5, text: 'Hour-less times, an identifier and settings' },
      { index: 2, start: 3, end: 4, text: 'Second cue' },
      { index: 3, start: 3605, end: 3606, text: 'Numeric identifier' },
    ]);
  });

  it('strips voice, class, language, ruby and karaoke timestamp tags, dropping ruby annotations', async () => {
    expect(await texts('tags.vtt')).toEqual(['We are in New York City', 'Coloured and tagged', '漢字 reading', 'Never drink liquid nitrogen']);
  });

  it('detects WebVTT by its content even when the file is named .srt', async () => {
    const doc = await readSubtitleFile(fixture('webvtt-named.srt'));
    expect(doc.format).toBe('vtt');
    expect(doc.cues[0].text).toBe('WebVTT content in a .srt file');
  });

  it('detects the format of in-memory text without any file name', () => {
    expect(parseSubtitles('WEBVTT\n\n00:01.000 --> 00:02.000\nx\n').format).toBe('vtt');
    expect(parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\nx\n').format).toBe('srt');
  });

  it('decodes bytes given to parseSubtitles and reports the encoding', () => {
    const bytes = new Uint8Array([...Buffer.from('1\n00:00:01,000 --> 00:00:02,000\ncaf'), 0xe9, 0x0a]);
    const doc = parseSubtitles(bytes);
    expect(doc.cues[0].text).toBe('café');
    expect(doc.encoding).toBe('windows-1252');
  });
});

describe('decoding legacy encodings', () => {
  it.each([
    ['windows-1252', 'Ça va? Très bien.'],
    ['windows-1252', 'naïve'],
    ['windows-1252', 'Grüße'],
    ['windows-1252', '100 € – “quoted”'],
    ['windows-1250', 'Dziękuję bardzo, to świetny pomysł, ale już późno.'],
    ['windows-1250', 'Dobrý den, děkuji, mám se dobře. Příliš žluťoučký kůň.'],
    ['windows-1254', 'Merhaba, nasılsın? İyiyim, teşekkürler.'],
    ['windows-1251', 'Привет, как дела? Всё хорошо, спасибо.'],
    ['shift_jis', 'こんにちは、元気ですか？はい、元気です。'],
    ['gb18030', '你好，你好吗？我很好，谢谢。'],
  ])('decodes a short %s cue ("%s") without mojibake', (encoding, text) => {
    const doc = parseSubtitles(iconv.encode(`1\n00:00:01,000 --> 00:00:02,000\n${text}\n`, encoding));
    expect(doc.cues[0].text).toBe(text);
    expect(doc.encoding).toBe(encoding);
  });

  it('decodes a UTF-16 file with its byte order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode('1\n00:00:01,000 --> 00:00:02,000\nÜber\n', 'utf-16le')]);
    const doc = parseSubtitles(bytes);
    expect(doc.encoding).toBe('utf-16le');
    expect(doc.cues[0].text).toBe('Über');
  });
});

describe('subtitle files that cannot be used', () => {
  it('rejects an empty file', async () => {
    const err = await parseError('empty.srt');
    expect(err.file).toBe(fixture('empty.srt'));
    expect(err.line).toBeNull();
    expect(err.reason).toMatch(/empty/);
  });

  it('rejects a file of blank lines as empty', async () => {
    expect((await parseError('blank-only.srt')).reason).toMatch(/empty/);
  });

  it('rejects a file in which no cue is valid, pointing at the first problem', async () => {
    const err = await parseError('no-valid-cue.srt');
    expect(err.line).toBeNull();
    expect(err.reason).toMatch(/no valid cue/);
    expect(err.message).toContain('line 2');
  });

  it('rejects a .vtt file without the WEBVTT header', async () => {
    const err = await parseError('no-header.vtt');
    expect(err.line).toBe(1);
    expect(err.message).toContain('WEBVTT');
    expect(err.message).toContain('no-header.vtt');
  });

  it('rejects WebVTT syntax without a WEBVTT header whatever the file is called', async () => {
    const err = await parseError('vtt-syntax-no-header.srt');
    expect(err.reason).toMatch(/WEBVTT/);
  });

  it('rejects WebVTT text without a header when the format is forced to vtt', () => {
    expect(() => parseSubtitles('00:00:01.000 --> 00:00:02.000\nx\n', { file: 'mem.vtt', format: 'vtt' })).toThrow(SubtitleParseError);
  });

  it('reports a missing file as an InputFileError naming it', async () => {
    const missing = fixture('does-not-exist.srt');
    const err = await readSubtitleFile(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as InputFileError).file).toBe(missing);
    expect((err as InputFileError).message).toContain('does-not-exist.srt');
  });

  it('reports a directory given as a subtitle file as an InputFileError', async () => {
    const dir = fileURLToPath(new URL('../../../fixtures/subtitles', import.meta.url));
    await expect(readSubtitleFile(dir)).rejects.toBeInstanceOf(InputFileError);
  });
});
