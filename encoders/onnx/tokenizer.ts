import { VOCAB_WORDS } from './vocab-words.js';

/** The five BERT special tokens, at fixed ids 0–4 ([PAD] = 0 as BERT's pad_token_id expects). */
export const SPECIAL_TOKENS = Object.freeze(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const);

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

/** Common English suffixes and inflections, as continuation pieces. */
const SUFFIXES = [
  's', 'es', 'ed', 'd', 'ing', 'er', 'ers', 'est', 'ly', 'ness', 'ment', 'ments', 'tion', 'tions', 'sion', 'ation',
  'able', 'ably', 'ible', 'ibly', 'ful', 'fully', 'less', 'ous', 'ive', 'al', 'ally', 'ity', 'ize', 'ized', 'ise',
  'ism', 'ist', 'ists', 'ent', 'ant', 'ence', 'ance', 'y', 'ies', 'ied', 'en', 'ward', 'wards', 'wise', 'ship',
  'hood', 'dom', 'ic', 'ical', 'ate', 'ated', 'ates', 'ating', 'or', 'ors', 'ry', 'ery', 'age', 'th', "'s",
];

/** Common word-initial prefixes (whole-word pieces, so `un` + `##believ` + `##ably`). */
const PREFIXES = ['un', 're', 'dis', 'in', 'im', 'non', 'pre', 'mis', 'over', 'under', 'sub', 'inter', 'anti', 'de', 'co', 'en', 'ex', 'out', 'up'];

/**
 * Builds the WordPiece vocabulary deterministically: special tokens, single characters (so no
 * ASCII word is ever [UNK]), whole words, word-start prefixes, then `##` continuation pieces
 * (every character, common suffixes, every word and its stem without a final "e").
 */
export function buildVocabulary(): string[] {
  const seen = new Set<string>();
  const vocab: string[] = [];
  const add = (t: string): void => {
    if (!seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };
  SPECIAL_TOKENS.forEach(add);
  for (const c of PUNCTUATION + DIGITS + LETTERS) add(c);
  const words = VOCAB_WORDS.split(/\s+/).filter((w) => /^[a-z]+$/.test(w));
  words.forEach(add);
  PREFIXES.forEach(add);
  for (const c of DIGITS + LETTERS) add(`##${c}`);
  for (const s of SUFFIXES) if (/^[a-z]+$/.test(s)) add(`##${s}`);
  for (const w of words) {
    add(`##${w}`);
    if (w.length > 3 && w.endsWith('e')) add(`##${w.slice(0, -1)}`);
  }
  return vocab;
}

/** tokenizer.json in the Hugging Face `tokenizers` format for a lower-casing BERT WordPiece tokenizer. */
export function bertTokenizerJson(vocab: readonly string[]): Record<string, unknown> {
  const ids: Record<string, number> = {};
  vocab.forEach((t, i) => (ids[t] = i));
  const special = (t: string): Record<string, unknown> => ({ id: t, ids: [ids[t]], tokens: [t] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t) => ({
      id: ids[t],
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
}

/** tokenizer_config.json as transformers writes it for BertTokenizer(Fast). */
export function bertTokenizerConfigJson(maxLength: number): Record<string, unknown> {
  return {
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    do_basic_tokenize: true,
    do_lower_case: true,
    mask_token: '[MASK]',
    model_max_length: maxLength,
    never_split: null,
    pad_token: '[PAD]',
    sep_token: '[SEP]',
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
    unk_token: '[UNK]',
  };
}

/** vocab.txt (one token per line), which the Python BertTokenizer (slow) needs. */
export function vocabTxt(vocab: readonly string[]): string {
  return vocab.join('\n') + '\n';
}
