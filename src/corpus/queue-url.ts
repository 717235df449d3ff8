/** The form of a `--queue` URL, checked without loading the queue library. */
import { UsageError } from '../core/errors/index.js';

/**
 * Checks a `--queue` URL's form: `redis://[user:pass@]HOST:PORT[/DB]` or `rediss://` (TLS).
 *
 * @example
 * checkQueueUrl('redis://127.0.0.1:6379/0'); // ok
 */
export function checkQueueUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--queue ${url} is not a URL; give redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UsageError(`--queue ${url}: expected a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0`);
  if (u.pathname && u.pathname !== '/' && !/^\/\d+$/.test(u.pathname)) throw new UsageError(`--queue ${url}: the path must be a database number, e.g. /0`);
}
