import { checkedDevice, type Gpu } from './device.js';

// Read at call time: in Node the GPUBufferUsage global exists only after initGpu().
const storageUsage = (): number => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/**
 * Storage buffers reused by exact byte size: a training step asks for the same sizes every
 * iteration, so after the first step it allocates nothing.
 */
export class BufferPool {
  constructor(private readonly g: Gpu) {}
  private free = new Map<number, GPUBuffer[]>();
  /** Bytes of every buffer this pool created and has not destroyed (in use + free). */
  pooledBytes = 0;
  inUseBytes = 0;
  created = 0;
  /** Counts trims: whatever refers to pooled buffers (cached bind groups) is stale after one. */
  generation = 0;

  acquire(byteSize: number): GPUBuffer {
    const size = roundSize(byteSize);
    const list = this.free.get(size);
    const reused = list?.pop();
    this.inUseBytes += size;
    if (reused) return reused;
    this.created++;
    this.pooledBytes += size;
    return checkedDevice(this.g).createBuffer({ size, usage: storageUsage() });
  }

  release(buffer: GPUBuffer): void {
    this.inUseBytes -= buffer.size;
    let list = this.free.get(buffer.size);
    if (!list) this.free.set(buffer.size, (list = []));
    list.push(buffer);
  }

  /** A pooled storage buffer holding `data` (index arrays: CSR row pointers and columns). */
  uploadU32(data: Uint32Array): GPUBuffer {
    const buffer = this.acquire(data.byteLength);
    checkedDevice(this.g).queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /** Destroys the free buffers (in-use ones stay). */
  trim(): void {
    for (const list of this.free.values())
      for (const b of list) {
        this.pooledBytes -= b.size;
        b.destroy();
      }
    this.free.clear();
    this.generation++;
  }
}

/** Sizes are padded to 16 bytes: WebGPU wants 4-byte multiples, vec4 loads want 16. */
export function roundSize(byteSize: number): number {
  return Math.max(16, Math.ceil(byteSize / 16) * 16);
}
