import type { Command } from 'commander';
import { createEncoder } from '../../encoders/encoder.js';
import { EmbedBatchError, UsageError } from '../core/errors/index.js';
import type { Modality } from '../core/types.js';
import { addModelOptions, headsOption, modelChoiceOf, withModelAlias, type ModelFlags } from './options.js';
import { printJson, type CliIo, type RegisterCommand, cliLogger } from './shared.js';

interface EmbedFlags extends ModelFlags {
  text?: string;
  image?: string;
  audio?: string;
  model?: string;
  heads?: string;
  native?: boolean;
  verbose?: boolean;
  json?: boolean;
}

/**
 * `mmalign embed (--text "..." | --image FILE | --audio FILE)`: one input, one vector on stdout.
 *
 * @example
 * mmalign embed --text "a dog on the beach" --json
 * // {"modality":"text","model":"mmalign/tiny-bert","dtype":"fp32","device":"cpu","fingerprint":"…","dims":256,"vector":[...]}
 */
export const registerEmbed: RegisterCommand = (program: Command, io: CliIo) => {
  const cmd = program
    .command('embed')
    .description(
      'Embed one text, image or audio file into the shared 256-d space and print the vector. ' +
        'Until heads are trained (mmalign heads train), cross-modal scores mean nothing; the embedded tiny models are not semantic.',
    )
    .option('--text <text>', 'a text to embed')
    .option('--image <file>', 'an image file (JPEG, PNG, WebP, GIF, TIFF, AVIF, ...)')
    .option('--audio <file>', 'an audio (or video) file ffmpeg can read')
    .option('--model <id|dir>', 'the model of the one input given: the same as --text-model, --image-model or --audio-model');
  addModelOptions(cmd, { device: 'where to run' })
    .addOption(headsOption('projection heads file (default: seeded orthogonal heads for the model)'))
    .option('--native', 'print the model\'s own pooled vector, before the projection head')
    .option('--verbose', 'say which device runs the model and why')
    .option('--json', 'print {modality, model, dtype, device, fingerprint, dims, vector} as JSON')
    .action(async (flags: EmbedFlags) => {
      const given = (['text', 'image', 'audio'] as const).filter((m) => flags[m] !== undefined);
      if (given.length !== 1) {
        throw new UsageError(`give exactly one of --text, --image or --audio (got ${given.length === 0 ? 'none' : given.map((m) => `--${m}`).join(' and ')})`);
      }
      const modality: Modality = given[0];
      const input = flags[modality] as string;
      // Provider fallback notices go to stderr so --json stdout stays parseable.
      const logger = cliLogger(io, { verbose: flags.verbose });
      const choice = modelChoiceOf(withModelAlias(flags, modality, flags.model));
      const encoder = await createEncoder(modality, { ...choice, heads: flags.heads, logger });
      try {
        const [vector] = await (flags.native ? encoder.embedNative([input]) : encoder.embed([input])).catch((err: unknown) => {
          // One input: its own error (file and reason) says more than the batch summary.
          throw err instanceof EmbedBatchError && err.failures[0] ? err.failures[0].error : err;
        });
        const out = { modality, model: encoder.modelId, dtype: encoder.dtype, device: encoder.device, fingerprint: encoder.fingerprint, dims: vector.length, vector: Array.from(vector) };
        if (flags.json) printJson(io, out);
        else io.stdout.write(`${out.vector.map((x) => x.toPrecision(7)).join(' ')}\n`);
      } finally {
        await encoder.dispose();
      }
    });
};
