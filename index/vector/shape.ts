/** The options of {@link VectorIndex.open} checked once, and the graph shape fixed when an index is created. */
import { EMBED_DIM } from '../../src/core/types.js';
import { InvalidOptionError } from '../../src/core/errors/index.js';
import { getMeta, setMeta, type Db } from '../store.js';
import { positiveInt } from './check.js';
import type { GraphShape } from './graph.js';
import type { VectorIndexOptions } from './types.js';

type Checked = Required<Pick<VectorIndexOptions, 'ef' | 'initialCapacity' | 'refreshIntervalMs' | 'exactFilterMax'>> &
  Pick<VectorIndexOptions, 'dims' | 'm' | 'efConstruction' | 'seed'>;

/** Throws {@link InvalidOptionError} for the first option out of range. */
export function checkOpenOptions({ dims, m, efConstruction, seed, ef, initialCapacity, refreshIntervalMs, exactFilterMax }: Checked): void {
  positiveInt('ef', ef);
  positiveInt('initialCapacity', initialCapacity);
  if (!Number.isInteger(exactFilterMax) || exactFilterMax < 0) throw new InvalidOptionError('exactFilterMax', exactFilterMax, 'an integer >= 0');
  if (!(refreshIntervalMs >= 0)) throw new InvalidOptionError('refreshIntervalMs', refreshIntervalMs, 'milliseconds >= 0');
  if (dims !== undefined) positiveInt('dims', dims);
  if (m !== undefined) positiveInt('m', m, 2);
  if (efConstruction !== undefined) positiveInt('efConstruction', efConstruction);
  if (seed !== undefined && !Number.isInteger(seed)) throw new InvalidOptionError('seed', seed, 'an integer');
}

/**
 * The shape of the graph: fixed at creation and recorded in `meta`, so later opens read it back and
 * callers need not repeat it. A new writable index records the requested shape (or the defaults).
 */
export function graphShape(db: Db, asked: Pick<VectorIndexOptions, 'dims' | 'm' | 'efConstruction' | 'seed'>, readonly: boolean): GraphShape {
  const stored = {
    dims: getMeta(db, 'dims'),
    m: getMeta(db, 'm'),
    efConstruction: getMeta(db, 'ef_construction'),
    seed: getMeta(db, 'seed'),
  };
  if (stored.dims !== undefined && asked.dims !== undefined && Number(stored.dims) !== asked.dims) {
    throw new InvalidOptionError('dims', asked.dims, `${stored.dims}, the width this index was created with`);
  }
  const shape: GraphShape = {
    dims: stored.dims !== undefined ? Number(stored.dims) : (asked.dims ?? EMBED_DIM),
    m: stored.m !== undefined ? Number(stored.m) : (asked.m ?? 16),
    efConstruction: stored.efConstruction !== undefined ? Number(stored.efConstruction) : (asked.efConstruction ?? 200),
    seed: stored.seed !== undefined ? Number(stored.seed) : (asked.seed ?? 100),
  };
  if (stored.dims === undefined && !readonly) {
    db.transaction(() => {
      setMeta(db, 'dims', shape.dims);
      setMeta(db, 'm', shape.m);
      setMeta(db, 'ef_construction', shape.efConstruction);
      setMeta(db, 'seed', shape.seed);
      setMeta(db, 'generation', 0);
      setMeta(db, 'next_label', 0);
    }).immediate();
  }
  return shape;
}
