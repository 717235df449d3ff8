/**
 * Finding ffmpeg and ffprobe, by one rule for every caller (the pipeline, the audio encoder, the
 * benchmarks): the environment variable, then the PATH, then the npm installer packages.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { env as processEnv, readEnv, type EnvVars } from '../env.js';
import { FfmpegNotFoundError } from '../errors/index.js';

export type FfmpegTool = 'ffmpeg' | 'ffprobe';

/** Where a binary came from: an environment variable, the PATH, or an npm installer package. */
export type BinarySource = 'env' | 'path' | 'npm';

export interface ResolvedBinary {
  path: string;
  source: BinarySource;
}

export interface FfmpegBinaries {
  ffmpeg: ResolvedBinary;
  ffprobe: ResolvedBinary;
}

/** Injected lookups so resolution can be tested without touching the real machine. */
export interface ResolveBinariesOptions {
  /** The variables to read (default: the process's, through src/core/env.ts). */
  env?: EnvVars;
  /** Finds an executable in the PATH's folders; default: the first executable file of that name. */
  which?: (name: string, searchPath: readonly string[]) => string | null;
  /** The path an npm installer package provides; default requires `@ffmpeg-installer/ffmpeg` / `@ffprobe-installer/ffprobe`. */
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

function npmInstallerPath(tool: FfmpegTool): string | null {
  try {
    const mod = requireCjs(tool === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe') as { path?: string };
    return mod.path && isExecutable(mod.path) ? mod.path : null;
  } catch {
    return null; // the installer throws on unsupported platforms or a missing optional package
  }
}

const ENV_VAR = Object.freeze({ ffmpeg: 'FFMPEG_PATH', ffprobe: 'FFPROBE_PATH' } as const);

/**
 * Finds one of the two tools: `FFMPEG_PATH`/`FFPROBE_PATH`, then the PATH (Debian's ffmpeg), then the
 * npm installer package (an old static build, kept as the last resort). A set-but-wrong variable is
 * an error rather than a silent fallback, since the user asked for that binary.
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
  throw new FfmpegNotFoundError(tool, [`${ENV_VAR[tool]} (unset)`, 'PATH', `the npm package @${tool}-installer/${tool}`]);
}

/**
 * Finds ffmpeg and ffprobe (see {@link resolveFfmpegBinary}).
 *
 * @example
 * const { ffmpeg, ffprobe } = resolveFfmpegBinaries();
 * console.log(`${ffmpeg.path} (from ${ffmpeg.source})`);
 */
export function resolveFfmpegBinaries(options: ResolveBinariesOptions = {}): FfmpegBinaries {
  return { ffmpeg: resolveFfmpegBinary('ffmpeg', options), ffprobe: resolveFfmpegBinary('ffprobe', options) };
}

const cached: Partial<Record<FfmpegTool, ResolvedBinary>> = {};

/**
 * One tool from the process's environment, resolved once per process; only the tool a caller needs
 * has to exist (the audio encoder runs without ffprobe).
 *
 * @example
 * spawn(defaultBinary('ffmpeg').path, ['-version']);
 */
export function defaultBinary(tool: FfmpegTool): ResolvedBinary {
  return (cached[tool] ??= resolveFfmpegBinary(tool));
}

/**
 * Both tools from the process's environment, resolved once per process.
 *
 * @example
 * await probeMedia('talk.mp4', defaultBinaries());
 */
export function defaultBinaries(): FfmpegBinaries {
  return { ffmpeg: defaultBinary('ffmpeg'), ffprobe: defaultBinary('ffprobe') };
}
