import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SparsegradError } from '../gpu/errors';
import { releaseGpu } from '../gpu/device';
import { registerTrain } from './train';
import { registerNoise } from './noise';
import { registerEval } from './eval';
import { registerSweep } from './sweep';
import { registerPrune } from './prune';
import { registerImp } from './imp';
import { registerDetect } from './detect';
import { registerStudy } from './study';
import { registerFindings, registerReport } from './report';

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
  releaseGpu();
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
