import { Command, CommanderError, InvalidArgumentError } from '@commander-js/extra-typings';
import { SparsegradError } from '../util/errors.js';
import { releaseDefaultBackend } from '../gpu/default-backend.js';
import { lockFolder } from '../io/lock.js';
import { registerTrain } from './train.js';
import { registerNoise } from './noise.js';
import { registerEval } from './eval.js';
import { registerSweep } from './sweep.js';
import { registerPrune } from './prune.js';
import { registerImp } from './imp.js';
import { registerDetect } from './detect.js';
import { registerCertify } from './certify.js';
import { registerStudy } from './study.js';
import { registerFindings, registerReport } from './report.js';

// Set by the build from package.json (scripts/build.mjs).
declare const SPARSEGRAD_VERSION: string;

const program = new Command()
  .name('sparsegrad')
  .version(typeof SPARSEGRAD_VERSION === 'string' ? SPARSEGRAD_VERSION : 'dev', '-V, --version')
  .description('WebGPU engine and research tool: train MNIST models, make adversarial noise, prune, sweep')
  // Read by bin/sparsegrad.js, which otherwise drops these warnings from stderr (bin/driver-warnings.js).
  .option('--verbose', "show the GPU driver's own warnings (Dawn's limit notes on software adapters)")
  .showHelpAfterError('(add --help for the options)')
  .exitOverride();
registerTrain(program);
registerNoise(program);
registerEval(program);
registerPrune(program);
registerImp(program);
registerDetect(program);
registerCertify(program);
registerSweep(program);
registerStudy(program);
registerReport(program);
registerFindings(program);

// One run per folder: the commands that write a run folder take its lock before any work, which
// also shows an --out that cannot be written before a long run starts.
const RUN_FOLDERS = new Set(['train', 'imp', 'sweep', 'study', 'noise', 'detect']);
program.hook('preAction', (_program, action) => {
  const out = action.opts().out;
  if (RUN_FOLDERS.has(action.name()) && typeof out === 'string') lockFolder(out, `sparsegrad ${action.name()}`);
});

/** What a file-system error means, for its one-line message. */
const FS_ERRORS: Record<string, string> = {
  EROFS: 'the file system is read-only; choose another --out',
  EACCES: 'permission denied; choose another --out or fix the permissions',
  EPERM: 'not permitted; choose another --out',
  ENOSPC: 'no space left on the device; free some or choose another --out',
  EEXIST: 'is in the way (it exists); move it or choose another path',
  ENOTDIR: 'a part of this path is a file, not a folder; choose another path',
  EISDIR: 'is a folder where a file is needed',
  ENOENT: 'no such file or folder (or it cannot be created there)',
  ENAMETOOLONG: 'the name is too long',
  EDQUOT: 'the disk quota is used up',
};

try {
  await program.parseAsync(process.argv);
  releaseDefaultBackend();
  process.exit(0);
} catch (e) {
  if (e instanceof InvalidArgumentError) {
    console.error(`sparsegrad: ${e.message}`);
    process.exit(2);
  } // thrown by an action
  if (e instanceof CommanderError) process.exit(e.exitCode); // commander has printed it
  if (e instanceof SparsegradError) {
    console.error(`sparsegrad: ${e.message}`);
    process.exit(2);
  }
  const fsError = e as NodeJS.ErrnoException;
  if (fsError?.code && FS_ERRORS[fsError.code]) {
    console.error(`sparsegrad: ${fsError.path ?? ''}: ${FS_ERRORS[fsError.code]} (${fsError.code})`);
    process.exit(2);
  }
  throw e;
}
