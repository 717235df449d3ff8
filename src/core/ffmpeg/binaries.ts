/**
 * Finding ffmpeg, by one rule for every caller (the pipeline, the audio encoder, the benchmarks):
 * the environment variable, then the PATH, then the npm installer package. ffmpeg is the only
 * binary mmalign runs: probing reads ffmpeg's own input dump (./probe.ts), so no ffprobe is needed.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { env as processEnv, readEnv, type EnvVars } from '../env.js';
import { FfmpegNotFoundError } from '../errors/index.js';

/** The binaries mmalign runs (one: probing goes through ffmpeg too). */
export type FfmpegTool = 'ffmpeg';

/** Where a binary came from: an environment variable, the PATH, or the npm installer package. */
export type BinarySource = 'env' | 'path' | 'npm';

export interface ResolvedBinary {
  path: string;
  source: BinarySource;
}

export interface FfmpegBinaries {
  ffmpeg: ResolvedBinary;
}

/** Injected lookups so resolution can be tested without touching the real machine. */
export interface ResolveBinariesOptions {
  /** The variables to read (default: the process's, through src/core/env.ts). */
  env?: EnvVars;
  /** Finds an executable in the PATH's folders; default: the first executable file of that name. */
  which?: (name: string, searchPath: readonly string[]) => string | null;
  /** The path the npm installer package provides; default requires `@ffmpeg-installer/ffmpeg`. */
  npmPath?: (tool: FfmpegTool) => string | null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function whichOnPath(name: string, searchPath: readonly string[]): string | null {
  for (const dir of searchPath) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

const requireCjs = createRequire(import.meta.url);

const NPM_PACKAGE = Object.freeze({ ffmpeg: '@ffmpeg-installer/ffmpeg' } as const);

function npmInstallerPath(tool: FfmpegTool): string | null {
  try {
    const mod = requireCjs(NPM_PACKAGE[tool]) as { path?: string };
    return mod.path && isExecutable(mod.path) ? mod.path : null;
  } catch {
    return null; // the installer throws on unsupported platforms or a missing optional package
  }
}

const ENV_VAR = Object.freeze({ ffmpeg: 'FFMPEG_PATH' } as const);

/**
 * Finds ffmpeg: `FFMPEG_PATH`, then the PATH (Debian's ffmpeg), then the npm installer package (a
 * 2018 static build, enough for everything mmalign does, kept as the last resort). A set-but-wrong
 * variable is an error rather than a silent fallback, since the user asked for that binary.
 *
 * @example
 * const { path, source } = resolveFfmpegBinary('ffmpeg'); // '/usr/bin/ffmpeg', 'path'
 */
export function resolveFfmpegBinary(
  tool: FfmpegTool,
  { env: vars, which = whichOnPath, npmPath = npmInstallerPath }: ResolveBinariesOptions = {},
): ResolvedBinary {
  const env = vars ? readEnv(vars) : processEnv;
  const fromEnv = env.get(ENV_VAR[tool]);
  if (fromEnv) {
    if (isExecutable(fromEnv)) return { path: fromEnv, source: 'env' };
    throw new FfmpegNotFoundError(tool, [`${ENV_VAR[tool]}=${fromEnv} (not an executable file)`]);
  }
  const onPath = which(tool, env.searchPath);
  if (onPath) return { path: onPath, source: 'path' };
  const fromNpm = npmPath(tool);
  if (fromNpm) return { path: fromNpm, source: 'npm' };
  throw new FfmpegNotFoundError(tool, [`${ENV_VAR[tool]} (unset)`, 'PATH', `the npm package ${NPM_PACKAGE[tool]}`]);
}

/**
 * The binaries every media operation takes (see {@link resolveFfmpegBinary}).
 *
 * @example
 * const { ffmpeg } = resolveFfmpegBinaries();
 * console.log(`${ffmpeg.path} (from ${ffmpeg.source})`);
 */
export function resolveFfmpegBinaries(options: ResolveBinariesOptions = {}): FfmpegBinaries {
  return { ffmpeg: resolveFfmpegBinary('ffmpeg', options) };
}

const cached: Partial<Record<FfmpegTool, ResolvedBinary>> = {};

/**
 * One tool from the process's environment, resolved once per process.
 *
 * @example
 * spawn(defaultBinary('ffmpeg').path, ['-version']);
 */
export function defaultBinary(tool: FfmpegTool): ResolvedBinary {
  return (cached[tool] ??= resolveFfmpegBinary(tool));
}

/**
 * The binaries from the process's environment, resolved once per process.
 *
 * @example
 * await probeMedia('talk.mp4', defaultBinaries());
 */
export function defaultBinaries(): FfmpegBinaries {
  return { ffmpeg: defaultBinary('ffmpeg') };
}
