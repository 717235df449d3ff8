/**
 * Language tags as media files and people write them: containers tag streams with ISO 639-2 codes
 * (MKV's `eng`, `fre` or `fra`, `ger` or `deu`), people and sidecar names use ISO 639-1 (`en`, `fr`,
 * `de`) or BCP 47 (`pt-BR`). {@link sameLanguage} treats all of them as one language.
 */

/**
 * ISO 639-1 code → its ISO 639-2 codes (bibliographic first, then terminological when different)
 * and English name, for the languages subtitles commonly come in.
 */
const LANGUAGES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  ar: ['ara', 'arabic'],
  bg: ['bul', 'bulgarian'],
  bn: ['ben', 'bengali'],
  ca: ['cat', 'catalan'],
  cs: ['cze', 'ces', 'czech'],
  da: ['dan', 'danish'],
  de: ['ger', 'deu', 'german'],
  el: ['gre', 'ell', 'greek'],
  en: ['eng', 'english'],
  es: ['spa', 'spanish'],
  et: ['est', 'estonian'],
  eu: ['baq', 'eus', 'basque'],
  fa: ['per', 'fas', 'persian'],
  fi: ['fin', 'finnish'],
  fr: ['fre', 'fra', 'french'],
  he: ['heb', 'hebrew'],
  hi: ['hin', 'hindi'],
  hr: ['hrv', 'croatian'],
  hu: ['hun', 'hungarian'],
  id: ['ind', 'indonesian'],
  is: ['ice', 'isl', 'icelandic'],
  it: ['ita', 'italian'],
  ja: ['jpn', 'japanese'],
  ko: ['kor', 'korean'],
  lt: ['lit', 'lithuanian'],
  lv: ['lav', 'latvian'],
  ms: ['may', 'msa', 'malay'],
  nl: ['dut', 'nld', 'dutch'],
  no: ['nor', 'nob', 'nno', 'norwegian'],
  pl: ['pol', 'polish'],
  pt: ['por', 'portuguese'],
  ro: ['rum', 'ron', 'romanian'],
  ru: ['rus', 'russian'],
  sk: ['slo', 'slk', 'slovak'],
  sl: ['slv', 'slovenian'],
  sr: ['srp', 'serbian'],
  sv: ['swe', 'swedish'],
  ta: ['tam', 'tamil'],
  th: ['tha', 'thai'],
  tr: ['tur', 'turkish'],
  uk: ['ukr', 'ukrainian'],
  vi: ['vie', 'vietnamese'],
  zh: ['chi', 'zho', 'chinese'],
});

const TO_PRIMARY: ReadonlyMap<string, string> = new Map(
  Object.entries(LANGUAGES).flatMap(([primary, others]) => [[primary, primary] as const, ...others.map((o) => [o, primary] as const)]),
);

/**
 * A language tag reduced to one key per language: `eng`, `en`, `en-US` and `English` all give `en`;
 * an unknown tag gives itself, lower-cased, without its region.
 *
 * @example
 * languageKey('fre'); // 'fr'
 * languageKey('pt-BR'); // 'pt'
 */
export function languageKey(tag: string): string {
  const base = tag.trim().toLowerCase().split(/[-_]/)[0];
  return TO_PRIMARY.get(base) ?? base;
}

/**
 * Whether two language tags name the same language.
 *
 * @example
 * sameLanguage('fra', 'fr'); // true
 * sameLanguage('ger', 'de'); // true
 * sameLanguage('eng', 'fr'); // false
 */
export function sameLanguage(a: string, b: string): boolean {
  return a.trim() !== '' && languageKey(a) === languageKey(b);
}
