/**
 * mmalign's own package.json: the version `--version` prints comes from here, never from a copy.
 * Found by walking up from this file, which sits at src/core/ under tsx and at dist/src/core/ when
 * installed from the tarball.
 */
import { readFileSync } from 'node:fs';

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
}

function findPackage(): PackageInfo {
  let dir = new URL('.', import.meta.url);
  for (let up = 0; up < 5; up++, dir = new URL('..', dir)) {
    try {
      const json = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: unknown; version?: unknown };
      if (json.name === 'mmalign' && typeof json.version === 'string') return Object.freeze({ name: json.name, version: json.version });
    } catch {
      // no package.json at this level (or not readable): look one level up
    }
  }
  throw new Error(`mmalign's package.json was not found above ${import.meta.url}; reinstall the package`);
}

/**
 * The name and version of the installed mmalign.
 *
 * @example
 * import { PACKAGE } from './core/package.js';
 * console.log(`${PACKAGE.name} ${PACKAGE.version}`); // mmalign 0.1.0
 */
export const PACKAGE: PackageInfo = findPackage();
