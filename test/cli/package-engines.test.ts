import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/*
 * `npm ci` warns (EBADENGINE) for every installed package whose `engines.node` the running Node
 * does not satisfy; a user on a Node version package.json promises should see no such warning.
 * Runtime packages must accept the oldest Node package.json promises; the rest (tests, build)
 * the Node running this suite.
 */
const root = join(import.meta.dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; dev?: boolean; optional?: boolean }>;
};

describe('the packages npm installs', () => {
  it("accept the Node versions package.json promises: the oldest for what runs, this one for the rest", () => {
    const oldest = semver.minVersion(manifest.engines.node)!.version;
    const refused: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      const node = !path || Array.isArray(p.engines) ? undefined : p.engines?.node;
      if (!node) continue;
      const version = p.dev ? process.version : oldest;
      if (!semver.satisfies(version, node)) refused.push(`${path.replace(/^node_modules\//, '')} wants node ${node}, not ${version}`);
    }
    expect(refused).toEqual([]);
  });
});
