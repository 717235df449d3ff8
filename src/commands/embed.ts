import { Option, type Command } from 'commander';
import { createEncoder } from '../../encoders/encoder.js';
import { DEVICE_PROVIDERS } from '../../encoders/device.js';
import { DEFAULT_DEVICE } from '../core/defaults.js';
import type { Device } from '../../encoders/types.js';
import { EmbedBatchError, UsageError } from '../core/errors/index.js';
import type { Modality } from '../core/types.js';
import { printJson, type CliIo, type RegisterCommand, cliLogger } from './shared.js';

interface EmbedFlags {
  text?: string;
  image?: string;
  audio?: string;
  model?: string;
  models?: string;
  device: Device;
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
 * // {"modality":"text","model":"mmalign/tiny-bert","device":"cpu","dims":256,"vector":[...]}
 */
export const registerEmbed: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('embed')
    .description(
      'Embed one text, image or audio file into the shared 256-d space and print the vector. ' +
        'Until heads are trained (mmalign heads train), cross-modal scores mean nothing; the embedded tiny models are not semantic.',
    )
    .option('--text <text>', 'a text to embed')
    .option('--image <file>', 'an image file (JPEG, PNG, WebP, GIF, TIFF, AVIF, ...)')
    .option('--audio <file>', 'an audio (or video) file ffmpeg can read')
    .option('--model <id|dir>', 'model hub id or folder (default: the modality\'s embedded tiny model)')
    .option('--models <dir>', 'a folder of <org>/<name> model folders (default: $MMALIGN_MODELS)')
    .addOption(new Option('--device <device>', 'where to run').choices(Object.keys(DEVICE_PROVIDERS)).default(DEFAULT_DEVICE))
    .option('--heads <file>', 'projection heads file (default: seeded orthogonal heads for the model)')
    .option('--native', 'print the model\'s own pooled vector, before the projection head')
    .option('--verbose', 'say which device runs the model and why')
    .option('--json', 'print {modality, model, device, dims, vector} as JSON')
    .action(async (flags: EmbedFlags) => {
      const given = (['text', 'image', 'audio'] as const).filter((m) => flags[m] !== undefined);
      if (given.length !== 1) {
        throw new UsageError(`give exactly one of --text, --image or --audio (got ${given.length === 0 ? 'none' : given.map((m) => `--${m}`).join(' and ')})`);
      }
      const modality: Modality = given[0];
      const input = flags[modality] as string;
      // Provider fallback notices go to stderr so --json stdout stays parseable.
      const logger = cliLogger(io, { verbose: flags.verbose });
      const encoder = await createEncoder(modality, { model: flags.model, modelsDir: flags.models, device: flags.device, heads: flags.heads, logger });
      try {
        const [vector] = await (flags.native ? encoder.embedNative([input]) : encoder.embed([input])).catch((err: unknown) => {
          // One input: its own error (file and reason) says more than the batch summary.
          throw err instanceof EmbedBatchError && err.failures[0] ? err.failures[0].error : err;
        });
        const out = { modality, model: encoder.modelId, device: encoder.device, dims: vector.length, vector: Array.from(vector) };
        if (flags.json) printJson(io, out);
        else io.stdout.write(`${out.vector.map((x) => x.toPrecision(7)).join(' ')}\n`);
      } finally {
        await encoder.dispose();
      }
    });
};
