// The CLI reference (docs/cli.md), made from the commands' own definitions: each command's
// --help as the built CLI prints it. `node scripts/cli-reference.mjs` rewrites the file;
// test/cli/reference.test.ts fails when a flag changes and the file was not remade.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const help = (args) =>
  execFileSync(process.execPath, [join(root, 'bin/sparsegrad.js'), ...args, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, COLUMNS: '100' },
  }).trimEnd();

export function cliReference() {
  const top = help([]);
  const commands = [...top.matchAll(/^ {2}([a-z]+)(?= |\[|$)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
  return [
    '# CLI reference',
    '',
    "Made from the commands' own definitions by `node scripts/cli-reference.mjs` (a test fails when",
    'a flag changes and this file was not remade). Defaults are shown where an option has one.',
    '',
    '```',
    top,
    '```',
    ...commands.flatMap((c) => ['', `## sparsegrad ${c}`, '', '```', help([c]), '```']),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(join(root, 'docs/cli.md'), cliReference());
  console.log('wrote docs/cli.md');
}
