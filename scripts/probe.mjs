// Exits 0 and prints the adapter when WebGPU works in Node; exits 1 saying why otherwise.
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ??= '/tmp';
try {
  const adapter = await create([]).requestAdapter();
  if (!adapter) {
    console.log('requestAdapter() returned null: no Vulkan/Metal/D3D12 driver');
    process.exit(1);
  }
  const i = adapter.info;
  console.log([i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / '));
  process.exit(0);
} catch (e) {
  console.log(`WebGPU failed: ${e.message}`);
  process.exit(1);
}
