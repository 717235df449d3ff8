/**
 * The environment variables mmalign reads, all of them, in one place (after transformers.js's `env`).
 * Nothing else in the project looks at `process.env`: code takes its defaults from {@link env}, and
 * functions that tests drive with a made-up environment take the variables as an option and read
 * them through {@link readEnv}.
 *
 * | variable | what it does | when unset |
 * |---|---|---|
 * | `MMALIGN_MODELS` | a folder of `<org>/<name>/` model folders, searched first; `models pull` writes there | the pull cache, then the embedded tiny models |
 * | `HF_ENDPOINT` | the hub (or a mirror in its URL layout) models are downloaded from | `https://huggingface.co` |
 * | `XDG_CACHE_HOME` | where the pull cache lives (`$XDG_CACHE_HOME/mmalign/models`) | `~/.cache` |
 * | `FFMPEG_PATH` | the ffmpeg binary; must be an executable file when set | `ffmpeg` on the `PATH`, then `@ffmpeg-installer/ffmpeg` |
 * | `PATH` | where ffmpeg is looked for | no folders |
 *
 * An empty variable counts as unset.
 */
import { homedir } from 'node:os';
import path from 'node:path';

/** Raw variables by name, as `process.env` holds them; tests pass their own. */
export type EnvVars = Readonly<Record<string, string | undefined>>;

/** What each variable does and what happens without it. */
export const ENV_VARS = Object.freeze({
  MMALIGN_MODELS: 'a folder of <org>/<name>/ model folders searched first, and where `models pull` writes (unset: the pull cache, then the embedded tiny models)',
  HF_ENDPOINT: 'the hub or mirror models are downloaded from (unset: https://huggingface.co)',
  XDG_CACHE_HOME: 'the cache root; pulled models go to $XDG_CACHE_HOME/mmalign/models (unset: ~/.cache)',
  FFMPEG_PATH: 'the ffmpeg binary, an executable file (unset: ffmpeg on the PATH, then @ffmpeg-installer/ffmpeg)',
  PATH: 'folders searched for ffmpeg',
} as const);

export type EnvVarName = keyof typeof ENV_VARS;

/** mmalign's settings from the environment, read at the moment they are asked for. */
export interface MmalignEnv {
  /** `MMALIGN_MODELS`. */
  readonly modelsDir: string | undefined;
  /** `HF_ENDPOINT`. */
  readonly remoteHost: string | undefined;
  /** `XDG_CACHE_HOME`, else `~/.cache`. */
  readonly cacheHome: string;
  /** `FFMPEG_PATH`. */
  readonly ffmpegPath: string | undefined;
  /** `PATH`, split into its folders. */
  readonly searchPath: readonly string[];
  /** One variable by name (empty counts as unset), for messages that name it. */
  get(name: EnvVarName): string | undefined;
}

/**
 * mmalign's view of a set of variables. The getters read `vars` each time, so a program that sets
 * `process.env.MMALIGN_MODELS` after importing mmalign is still heard.
 *
 * @example
 * readEnv({ MMALIGN_MODELS: '/data/models' }).modelsDir; // '/data/models'
 * readEnv({}).cacheHome; // '/home/me/.cache'
 */
export function readEnv(vars: EnvVars): MmalignEnv {
  const get = (name: EnvVarName): string | undefined => vars[name] || undefined;
  return Object.freeze({
    get,
    get modelsDir() {
      return get('MMALIGN_MODELS');
    },
    get remoteHost() {
      return get('HF_ENDPOINT');
    },
    get cacheHome() {
      return get('XDG_CACHE_HOME') ?? path.join(homedir(), '.cache');
    },
    get ffmpegPath() {
      return get('FFMPEG_PATH');
    },
    get searchPath() {
      return (get('PATH') ?? '').split(path.delimiter).filter(Boolean);
    },
  });
}

/**
 * The process's environment as mmalign reads it.
 *
 * @example
 * import { env } from './core/env.js';
 * const models = options.modelsDir ?? env.modelsDir;
 */
export const env: MmalignEnv = readEnv(process.env);
