import { beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiskFullError, InvalidOptionError, InvalidVectorError, KbCorruptError, VectorDimensionError, VectorIndex, type VectorRecord } from 'mmalign';
import { withAtomicFileSync } from '../../../src/core/fs.js';
import { vectorFor } from '../../helpers/fake-embedder.js';
import { tempDir } from '../../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('index');
});

function rec(id: string, extra: Partial<VectorRecord> = {}): VectorRecord {
  return { id, vector: vectorFor(id), modality: 'text', source: 's', contentHash: `h-${id}`, modelVersion: 'm@1', ...extra };
}

/** A vector close to `base` (a small, deterministic nudge), for "nearest neighbour" assertions. */
function near(base: Float32Array, salt: string, amount = 0.05): Float32Array {
  const noise = vectorFor(salt);
  return base.map((x, i) => x + amount * noise[i]);
}

describe('VectorIndex', () => {
  it('finds an upserted item as the nearest neighbour of its own vector', () => {
    const index = VectorIndex.open(dir);
    index.upsert(['a', 'b', 'c'].map((id) => rec(id)));
    const hits = index.search(near(vectorFor('b'), 'q'), { k: 3 });
    expect(hits[0].id).toBe('b');
    expect(hits[0].score).toBeGreaterThan(0.9);
    expect(hits.map((h) => h.id).sort()).toEqual(['a', 'b', 'c']);
    index.close();
  });

  it('replaces an item on a second upsert with the same id instead of adding another', () => {
    const index = VectorIndex.open(dir);
    index.upsert([rec('a'), rec('b')]);
    const r = index.upsert([rec('a', { vector: vectorFor('moved'), text: 'new text' })]);
    expect(r).toEqual({ added: 0, updated: 1 });
    expect(index.size).toBe(2);
    expect(index.search(vectorFor('moved'), { k: 1 })[0].id).toBe('a');
    expect(index.get('a')?.text).toBe('new text');
    index.close();
  });

  it('never returns a deleted item', () => {
    const index = VectorIndex.open(dir, { initialCapacity: 4 });
    index.upsert(['a', 'b', 'c', 'd'].map((id) => rec(id)));
    expect(index.delete(['b', 'missing'])).toBe(1);
    expect(index.search(vectorFor('b'), { k: 4 }).map((h) => h.id)).not.toContain('b');
    expect(index.get('b')).toBeUndefined();
    index.upsert([rec('e')]);
    expect(index.search(vectorFor('e'), { k: 1 })[0].id).toBe('e');
    expect(index.size).toBe(4);
    index.close();
  });

  it('grows past its initial capacity without a manual resize', () => {
    const index = VectorIndex.open(dir, { initialCapacity: 2 });
    const ids = Array.from({ length: 50 }, (_, i) => `item${i}`);
    index.upsert(ids.map((id) => rec(id)));
    expect(index.size).toBe(50);
    for (const id of ['item0', 'item25', 'item49']) expect(index.search(vectorFor(id), { k: 1 })[0].id).toBe(id);
    index.close();
  });

  it('still finds every item after many updates that move vectors far away', () => {
    const index = VectorIndex.open(dir);
    const ids = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const current = new Map(ids.map((id) => [id, id]));
    index.upsert(ids.map((id) => rec(id)));
    for (let round = 1; round <= 8; round++) {
      const moved = ids.filter((_, i) => (i * 7 + round * 13) % 10 < 3);
      for (const id of moved) current.set(id, `${id}-r${round}`);
      index.upsert(moved.map((id) => rec(id, { vector: vectorFor(current.get(id) as string) })));
      const gone = ids.filter((_, i) => (i * 11 + round) % 10 === 0 && current.has(`${ids[i]}`));
      index.delete(gone);
      index.upsert(gone.map((id) => rec(id, { vector: vectorFor(current.get(id) as string) })));
    }
    const misses = ids.filter((id) => index.search(vectorFor(current.get(id) as string), { k: 1 })[0]?.id !== id);
    expect(misses).toEqual([]);
    index.close();
  });

  it('drops deleted points from the graph once they outnumber the live ones', () => {
    const index = VectorIndex.open(dir);
    const ids = Array.from({ length: 1100 }, (_, i) => `d${i}`);
    index.upsert(ids.map((id) => rec(id)));
    index.delete(ids.slice(0, 1050));
    index.close();
    const reopened = VectorIndex.open(dir);
    expect(reopened.size).toBe(50);
    // The saved graph was rebuilt from the 50 live rows: a much smaller file than 1100 points.
    expect(readdirSync(dir).filter((f) => f.endsWith('.hnsw')).length).toBeGreaterThan(0);
    expect(reopened.search(vectorFor('d1099'), { k: 1 })[0].id).toBe('d1099');
    expect(reopened.graphStats()).toEqual({ points: 50, deleted: 0 });
    reopened.close();
  });

  it('ranks an exact filtered scan like the unfiltered search', () => {
    const index = VectorIndex.open(dir);
    index.upsert(Array.from({ length: 40 }, (_, i) => rec(`e${i}`, { source: i < 20 ? 'a' : 'b' })));
    const q = near(vectorFor('e3'), 'q2', 0.8);
    const unfiltered = index.search(q, { k: 40, ef: 200 }).filter((h) => Number(h.id.slice(1)) < 20);
    const filtered = index.search(q, { k: 20, filter: { source: 'a' } });
    expect(filtered.map((h) => h.id)).toEqual(unfiltered.map((h) => h.id));
    expect(filtered[0].score).toBeCloseTo(unfiltered[0].score, 5);
    index.close();
  });

  it('returns at most as many hits as there are items', () => {
    const index = VectorIndex.open(dir);
    index.upsert([rec('a'), rec('b')]);
    expect(index.search(vectorFor('a'), { k: 10 })).toHaveLength(2);
    index.close();
  });

  it('rejects a vector containing NaN with InvalidVectorError naming the item and position', () => {
    const index = VectorIndex.open(dir);
    const v = Array.from(vectorFor('x'));
    v[17] = Number.NaN;
    const err = (() => {
      try {
        index.upsert([rec('x', { vector: v })]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidVectorError);
    expect((err as InvalidVectorError).id).toBe('x');
    expect((err as InvalidVectorError).position).toBe(17);
    expect(index.size).toBe(0);
    index.close();
  });

  it('rejects Infinity in a query vector', () => {
    const index = VectorIndex.open(dir);
    index.upsert([rec('a')]);
    const q = Array.from(vectorFor('a'));
    q[0] = Infinity;
    expect(() => index.search(q)).toThrow(InvalidVectorError);
    index.close();
  });

  it('rejects a wrong-dimension vector with VectorDimensionError and writes nothing of the batch', () => {
    const index = VectorIndex.open(dir);
    expect(() => index.upsert([rec('ok'), rec('short', { vector: new Float32Array(768).fill(0.1) })])).toThrow(VectorDimensionError);
    expect(index.size).toBe(0);
    expect(index.get('ok')).toBeUndefined();
    expect(() => index.search(new Float32Array(255).fill(1))).toThrow(/255 dimensions.*256-d/);
    index.close();
  });

  it('rejects an all-zero vector, which has no cosine direction', () => {
    const index = VectorIndex.open(dir);
    expect(() => index.upsert([rec('z', { vector: new Float32Array(256) })])).toThrow(/all zeros/);
    index.close();
  });

  describe.each([
    ['inside the HNSW search (filter callback)', 0],
    ['by an exact scan of a small allowed set', 1024],
  ])('filters applied %s', (_how, exactFilterMax) => {
    // 30 items all near one query; only the filter decides which come back.
    function seeded(): VectorIndex {
      const index = VectorIndex.open(dir, { exactFilterMax });
      const base = vectorFor('topic');
      const records: VectorRecord[] = [];
      for (let i = 0; i < 30; i++) {
        records.push(
          rec(`i${i}`, {
            vector: near(base, `n${i}`, 0.3),
            modality: (['text', 'image', 'audio'] as const)[i % 3],
            source: i < 15 ? 'left' : 'right',
            start: i * 10,
            end: i * 10 + 5,
            tags: i % 2 === 0 ? ['even'] : ['odd', i % 5 === 0 ? 'five' : 'other'],
          }),
        );
      }
      index.upsert(records);
      return index;
    }

    it('keeps only the requested modality and still returns k of them', () => {
      const index = seeded();
      const hits = index.search(vectorFor('topic'), { k: 5, filter: { modality: 'image' } });
      expect(hits).toHaveLength(5);
      for (const h of hits) expect(index.get(h.id)?.modality).toBe('image');
      index.close();
    });

    it('keeps only the requested source', () => {
      const index = seeded();
      const hits = index.search(vectorFor('topic'), { k: 20, filter: { source: 'right' } });
      expect(hits).toHaveLength(15);
      for (const h of hits) expect(index.get(h.id)?.source).toBe('right');
      index.close();
    });

    it('keeps only items overlapping the time range', () => {
      const index = seeded();
      const hits = index.search(vectorFor('topic'), { k: 30, filter: { from: 52, to: 100 } });
      // [50,55] overlaps 52; [100,105] starts at 100.
      expect(hits.map((h) => h.id).sort()).toEqual(['i10', 'i5', 'i6', 'i7', 'i8', 'i9']);
      index.close();
    });

    it('keeps only items carrying every requested tag', () => {
      const index = seeded();
      const hits = index.search(vectorFor('topic'), { k: 30, filter: { tags: ['odd', 'five'] } });
      expect(hits.map((h) => h.id).sort()).toEqual(['i15', 'i25', 'i5']);
      index.close();
    });

    it('combines filters with AND and returns nothing when none match', () => {
      const index = seeded();
      const both = index.search(vectorFor('topic'), { k: 30, filter: { modality: 'text', source: 'left', tags: ['even'] } });
      expect(both.map((h) => h.id).sort()).toEqual(['i0', 'i12', 'i6']);
      expect(index.search(vectorFor('topic'), { k: 5, filter: { source: 'nowhere' } })).toEqual([]);
      index.close();
    });

    it('finds a filtered item the unfiltered top-k would not contain', () => {
      const index = seeded();
      index.upsert([rec('far', { vector: vectorFor('elsewhere'), modality: 'audio', source: 'solo' })]);
      expect(index.search(vectorFor('topic'), { k: 5 }).map((h) => h.id)).not.toContain('far');
      expect(index.search(vectorFor('topic'), { k: 5, filter: { source: 'solo' } }).map((h) => h.id)).toEqual(['far']);
      index.close();
    });
  });

  it('reopens with the same items, metadata and search results', () => {
    const first = VectorIndex.open(dir);
    first.upsert(['a', 'b', 'c'].map((id) => rec(id, { tags: ['t'], start: 1, end: 2, text: `text ${id}` })));
    first.delete(['c']);
    const before = first.search(vectorFor('a'), { k: 3 });
    first.close();
    const second = VectorIndex.open(dir);
    expect(second.rebuiltOnOpen).toBeNull();
    expect(second.size).toBe(2);
    expect(second.search(vectorFor('a'), { k: 3 })).toEqual(before);
    expect(second.get('b')).toMatchObject({ text: 'text b', tags: ['t'], start: 1, end: 2, modality: 'text' });
    expect(second.getVector('a')).toEqual(vectorFor('a'));
    second.close();
  });

  it('writes one index file per generation and keeps only the latest two', () => {
    const index = VectorIndex.open(dir);
    for (const id of ['a', 'b', 'c', 'd']) index.upsert([rec(id)]);
    expect(index.generation).toBe(4);
    expect(readdirSync(dir).filter((f) => f.endsWith('.hnsw')).sort()).toEqual(['vectors.3.hnsw', 'vectors.4.hnsw']);
    index.close();
  });

  it('rebuilds from SQLite when the index file lags the database (crash between commit and save)', () => {
    const first = VectorIndex.open(dir);
    first.upsert([rec('a')]);
    first.upsert([rec('b')]);
    first.close();
    // Simulate the crash: generation 2 committed, its file never written.
    rmSync(join(dir, 'vectors.2.hnsw'));
    const second = VectorIndex.open(dir, { persistRebuild: false });
    expect(second.rebuiltOnOpen).toBe('generation-mismatch');
    expect(second.search(vectorFor('b'), { k: 1 })[0].id).toBe('b');
    second.close();
  });

  it('rebuilds from SQLite when the index file is garbage', () => {
    const first = VectorIndex.open(dir);
    first.upsert([rec('a'), rec('b')]);
    first.close();
    // A file with the right name but wrong content.
    const f = join(dir, 'vectors.1.hnsw');
    writeFileSync(f, Buffer.alloc(64, 7));
    const second = VectorIndex.open(dir);
    expect(second.rebuiltOnOpen).toBe('index-file-unreadable');
    expect(second.search(vectorFor('a'), { k: 1 })[0].id).toBe('a');
    second.close();
  });

  it('refuses a database that is not SQLite with KbCorruptError naming the file', () => {
    writeFileSync(join(dir, 'store.sqlite'), 'this is not a database, just text that is long enough to have a header');
    expect(() => VectorIndex.open(dir)).toThrow(KbCorruptError);
    expect(() => VectorIndex.open(dir)).toThrow(join(dir, 'store.sqlite'));
  });

  it('refuses to reopen an index with another width', () => {
    VectorIndex.open(dir, { dims: 8 }).close();
    expect(() => VectorIndex.open(dir, { dims: 256 })).toThrow(InvalidOptionError);
    const again = VectorIndex.open(dir);
    expect(again.dims).toBe(8);
    again.close();
  });

  it('sees commits made through another handle on the next search', () => {
    const writer = VectorIndex.open(dir);
    const reader = VectorIndex.open(dir, { refreshIntervalMs: 0 });
    writer.upsert([rec('late')]);
    expect(reader.search(vectorFor('late'), { k: 1 })[0]?.id).toBe('late');
    writer.close();
    reader.close();
  });
});

describe('VectorIndex writes', () => {
  it('writes the index file of a new generation before the commit, so a commit is never ahead of its file', () => {
    const seen: { file: string; committed: number }[] = [];
    const observer = VectorIndex.open(dir);
    const index = VectorIndex.open(dir, {
      writeIndexFile: (file, write) => {
        // What another process sees at this moment: still the old generation.
        observer.refresh();
        seen.push({ file, committed: observer.generation });
        withAtomicFileSync(file, write);
      },
    });
    index.upsert([rec('a')]);
    expect(seen).toEqual([{ file: join(dir, 'vectors.1.hnsw'), committed: 0 }]);
    expect(index.generation).toBe(1);
    observer.close();
    index.close();
  });

  it('rolls the transaction back when the disk fills up while writing the index file, leaving the index as it was', () => {
    let full = false;
    const index = VectorIndex.open(dir, {
      writeIndexFile: (file, write) => {
        if (full) throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: 'ENOSPC' });
        withAtomicFileSync(file, write);
      },
    });
    index.upsert([rec('a'), rec('b')]);
    full = true;
    const err = (() => {
      try {
        index.upsert([rec('c'), rec('a', { vector: vectorFor('moved') })]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DiskFullError);
    expect((err as DiskFullError).path).toBe(join(dir, 'vectors.2.hnsw'));
    expect(index.generation).toBe(1);
    expect(index.size).toBe(2);
    expect(index.get('c')).toBeUndefined();
    expect(index.search(vectorFor('a'), { k: 1 })[0].id).toBe('a');
    expect(readdirSync(dir).filter((f) => f.endsWith('.hnsw'))).toEqual(['vectors.1.hnsw']);
    full = false;
    index.upsert([rec('c')]);
    expect(index.search(vectorFor('c'), { k: 1 })[0].id).toBe('c');
    index.close();
    const reopened = VectorIndex.open(dir, { readonly: true });
    expect(reopened.rebuiltOnOpen).toBeNull();
    expect(reopened.size).toBe(3);
    reopened.close();
  });

  it('turns a full database (SQLITE_FULL) into DiskFullError and keeps the index as it was', () => {
    const index = VectorIndex.open(dir);
    index.upsert([rec('a')]);
    const pages = index.db.pragma('page_count', { simple: true }) as number;
    index.db.pragma(`max_page_count = ${pages + 1}`);
    const big = Array.from({ length: 200 }, (_, i) => rec(`big${i}`, { text: 'x'.repeat(2000) }));
    expect(() => index.upsert(big)).toThrow(DiskFullError);
    expect(index.size).toBe(1);
    expect(index.generation).toBe(1);
    index.close();
  });
});
