import { fileURLToPath } from 'node:url';
import { readSubtitleFile, SubtitleParseError, type ReadSubtitleOptions, type SubtitleDocument } from 'mmalign';

/** Absolute path of a file in fixtures/subtitles/. */
export const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/subtitles/${name}`, import.meta.url));

/** Reads a subtitle fixture. */
export const read = (name: string, options?: ReadSubtitleOptions): Promise<SubtitleDocument> => readSubtitleFile(fixture(name), options);

/** The SubtitleParseError reading a fixture throws (fails the test when it reads fine). */
export async function readError(name: string, options?: ReadSubtitleOptions): Promise<SubtitleParseError> {
  const err = await read(name, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof SubtitleParseError)) throw new Error(`expected a SubtitleParseError reading ${name}, got ${String(err)}`);
  return err;
}
