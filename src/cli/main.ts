import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SparsegradError } from '../gpu/errors.js';
import { releaseDefaultBackend } from '../gpu/default-backend.js';
import { registerTrain } from './train.js';
import { registerNoise } from './noise.js';
import { registerEval } from './eval.js';
import { registerSweep } from './sweep.js';
import { registerPrune } from './prune.js';
import { registerImp } from './imp.js';
import { registerDetect } from './detect.js';
import { registerStudy } from './study.js';
import { registerFindings, registerReport } from './report.js';

const program = new Command()
  .name('sparsegrad')
  .description('WebGPU engine and research tool: train MNIST models, make adversarial noise, prune, sweep')
  .showHelpAfterError()
  .exitOverride();
registerTrain(program);
registerNoise(program);
registerEval(program);
registerPrune(program);
registerImp(program);
registerDetect(program);
registerSweep(program);
registerStudy(program);
registerReport(program);
registerFindings(program);

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
  throw e;
}
