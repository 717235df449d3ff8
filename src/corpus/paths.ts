/**
 * Where a worker on another machine finds the shared folders: jobs carry paths as the coordinator
 * sees them, and a worker that mounts the same storage elsewhere maps their prefixes
 * (`corpus worker --map /mnt/coordinator=/data`).
 */
import path from 'node:path';
import { InvalidOptionError } from '../core/errors/index.js';
import { isModelPath } from '../../encoders/model-places.js';
import type { CorpusPlan, VideoAlignSettings, VideoJobSpec } from './types.js';

/** Prefix pairs, longest first when applied. */
export type PathMap = readonly (readonly [from: string, to: string])[];

/**
 * Parses `FROM=TO` flags.
 *
 * @example
 * parsePathMap(['/mnt/nfs/corpus=/data/corpus']); // [['/mnt/nfs/corpus', '/data/corpus']]
 */
export function parsePathMap(flags: readonly string[]): PathMap {
  return flags.map((f) => {
    const i = f.indexOf('=');
    if (i <= 0 || i === f.length - 1 || !path.isAbsolute(f.slice(0, i)) || !path.isAbsolute(f.slice(i + 1))) {
      throw new InvalidOptionError('map', f, 'FROM=TO with two absolute paths, e.g. /mnt/coordinator/corpus=/data/corpus');
    }
    return [path.normalize(f.slice(0, i)), path.normalize(f.slice(i + 1))] as const;
  });
}

/** `p` with the longest matching prefix replaced; unchanged when none matches. */
export function mapPath(p: string, map: PathMap): string {
  let best: readonly [string, string] | null = null;
  for (const m of map) {
    if ((p === m[0] || p.startsWith(m[0].endsWith(path.sep) ? m[0] : m[0] + path.sep)) && (!best || m[0].length > best[0].length)) best = m;
  }
  return best ? best[1] + p.slice(best[0].length) : p;
}

const mapNullable = (p: string | null, map: PathMap): string | null => (p === null ? null : mapPath(p, map));

/** The align settings' paths (models folder, model folders, heads) as this machine sees them. */
function mapAlign(align: VideoAlignSettings, map: PathMap): VideoAlignSettings {
  const model = Object.fromEntries(Object.entries(align.model ?? {}).map(([m, id]) => [m, isModelPath(id) ? mapPath(id, map) : id]));
  return { ...align, model, modelsDir: mapNullable(align.modelsDir, map), heads: mapNullable(align.heads, map) };
}

/** A video job's paths as this machine sees them. */
export function mapSpec(spec: VideoJobSpec, map: PathMap): VideoJobSpec {
  if (map.length === 0) return spec;
  return {
    ...spec,
    out: mapPath(spec.out, map),
    entry: { ...spec.entry, video: mapPath(spec.entry.video, map), subtitles: mapNullable(spec.entry.subtitles, map) },
    align: mapAlign(spec.align, map),
  };
}

/** A plan's paths as this machine sees them. */
export function mapPlan(plan: CorpusPlan, map: PathMap): CorpusPlan {
  if (map.length === 0) return plan;
  return {
    ...plan,
    input: mapPath(plan.input, map),
    out: mapPath(plan.out, map),
    settings: {
      ...plan.settings,
      kb: mapNullable(plan.settings.kb, map),
      align: mapAlign(plan.settings.align, map),
    },
    entries: plan.entries.map((e) => ({ ...e, video: mapPath(e.video, map), subtitles: mapNullable(e.subtitles, map) })),
  };
}
