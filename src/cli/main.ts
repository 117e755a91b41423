import { Command, CommanderError } from 'commander';
import { SparsegradError } from '../gpu/errors';
import { releaseGpu } from '../gpu/device';
import { registerTrain } from './train';

const program = new Command()
  .name('sparsegrad')
  .description('WebGPU engine and research tool: train MNIST models, make adversarial noise, prune, sweep')
  .showHelpAfterError()
  .exitOverride();
registerTrain(program);

try {
  await program.parseAsync(process.argv);
  releaseGpu();
  process.exit(0);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (e instanceof SparsegradError) {
    console.error(`sparsegrad: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
