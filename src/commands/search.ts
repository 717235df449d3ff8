import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { SEARCH_K } from '../core/defaults.js';
import { KnowledgeBase, type KbQuery, type SearchFilter } from '../../index/index.js';
import { UsageError } from '../core/errors/index.js';
import { MODALITIES, type Modality } from '../core/types.js';
import { addModelOptions, headsOption, integerOption, modelChoiceOf, numberOption, type ModelFlags } from './options.js';
import { printJson, type CliIo, type RegisterCommand, cliLogger } from './shared.js';

interface SearchFlags extends ModelFlags {
  kb: string;
  image?: string;
  audio?: string;
  modality?: Modality[];
  source?: string[];
  from?: number;
  to?: number;
  tag?: string[];
  k: number;
  ef?: number;
  heads?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/**
 * `mmalign search (TEXT | --image FILE | --audio FILE) --kb DIR`: nearest items from any modality to any.
 *
 * @example
 * mmalign search "a red car" --kb ./kb --modality image --k 5 --json
 */
export const registerSearch: RegisterCommand = (program: Command, io: CliIo) => {
  const cmd = program
    .command('search')
    .description(
      'Search a knowledge base with a text, an image or an audio file. Filters apply inside the HNSW search. ' +
        'The embedded tiny models are not semantic, and cross-modal scores mean nothing until heads are trained.',
    )
    .argument('[text]', 'query text')
    .requiredOption('--kb <dir>', 'knowledge base folder')
    .option('--image <file>', 'query with an image file')
    .option('--audio <file>', 'query with an audio file')
    .addOption(new Option('--modality <m>', 'only items of this modality (repeatable)').choices(MODALITIES).argParser((v: string, prev?: string[]) => collect(v, prev)))
    .option('--source <name>', 'only items from this source (repeatable)', collect)
    .option('--from <seconds>', 'only items ending at or after this media time', numberOption('--from'))
    .option('--to <seconds>', 'only items starting at or before this media time', numberOption('--to'))
    .option('--tag <tag>', 'only items carrying this tag (repeatable: all must match)', collect)
    .option('--k <n>', 'number of results', integerOption('--k', { min: 1 }), SEARCH_K)
    .option('--ef <n>', 'HNSW search breadth (higher: slower, more exact)', integerOption('--ef', { min: 1 }));
  addModelOptions(cmd, { device: 'where the query encoder runs' })
    .addOption(headsOption('projection heads file (the one the knowledge base was synced with)'))
    .option('--json', 'print the hits with their metadata as JSON')
    .addHelpText('after', '\nThe query is embedded with the model options given, which must be those the knowledge base was synced with\n(`mmalign kb models --kb DIR` lists them).\n' +
      '\nExample:\n  mmalign search "a red car" --kb ./kb --text-model Xenova/all-MiniLM-L6-v2 --image-model Xenova/resnet-50 --modality image')
    .action(async (text: string | undefined, flags: SearchFlags) => {
      const given = [text !== undefined ? 'TEXT' : null, flags.image !== undefined ? '--image' : null, flags.audio !== undefined ? '--audio' : null].filter(
        (g): g is string => g !== null,
      );
      if (given.length !== 1) throw new UsageError(`give exactly one query: TEXT, --image FILE or --audio FILE (got ${given.length === 0 ? 'none' : given.join(' and ')})`);
      const query: KbQuery = text !== undefined ? text : flags.image !== undefined ? { image: flags.image } : { audio: flags.audio as string };
      // Sync records a folder or manifest under its absolute path: accept the path as typed, too.
      const source = flags.source?.map((s) => (existsSync(s) ? resolve(s) : s));
      const filter: SearchFilter = { modality: flags.modality, source, from: flags.from, to: flags.to, tags: flags.tag };
      const logger = cliLogger(io);
      const kb = await KnowledgeBase.open(flags.kb, { readonly: true, encoderOptions: { ...modelChoiceOf(flags), heads: flags.heads, logger } });
      try {
        const hits = await kb.search(query, { k: flags.k, ef: flags.ef, filter });
        if (flags.json) return printJson(io, hits.map((h) => ({ score: h.score, distance: h.distance, ...h.item })));
        if (hits.length === 0) io.stdout.write('no matches\n');
        for (const h of hits) {
          const it = h.item;
          const when = it.start !== null ? ` [${it.start.toFixed(2)}–${(it.end ?? it.start).toFixed(2)} s]` : '';
          const what = it.text !== null ? JSON.stringify(it.text.length > 80 ? `${it.text.slice(0, 77)}...` : it.text) : (it.path ?? '');
          io.stdout.write(`${h.score.toFixed(4)}  ${it.modality.padEnd(5)}  ${h.id}${when}  ${what}\n`);
        }
      } finally {
        await kb.close();
      }
    });
};
