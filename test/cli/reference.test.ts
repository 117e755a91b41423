import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cliReference } from '../../scripts/cli-reference.mjs';

describe('docs/cli.md', () => {
  it('is what the commands say of themselves (remake it with node scripts/cli-reference.mjs)', () => {
    expect(readFileSync('docs/cli.md', 'utf8')).toBe(cliReference());
  });
});
