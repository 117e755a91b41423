import { describe, expect, it } from 'vitest';
import { compare, randomArray, useGpu, type RefTensor, testDataset } from '../helpers';
import { refConv2d, refFcForward } from '../ref/ref';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { trainModel } from '../../src/nn/train';
import { CNN_DEFAULTS, DEFAULT_CONFIG, layersOf } from '../../src/nn/config';
import { cnnLayers, columnMeans } from '../../src/nn/layer-spec';
import { modelFromSafetensors, modelToSafetensors } from '../../src/nn/checkpoint';
import { encodeSafetensors } from '../../src/io/safetensors';
import { accuracy } from '../../src/nn/evaluate';
import { layerInputStats } from '../../src/prune/stats';
import { Tensor, tidy } from '../../src/tensor/tensor';
import { modelOfLayers } from '../../src/nn/study-models';
import type { Sequential } from '../../src/nn/modules';

useGpu();

const SMALL = cnnLayers(
  [
    { channels: 3, kernel: 5 },
    { channels: 2, kernel: 3 },
  ],
  [16],
  [1, 28, 28],
  10,
);

/** float64 forward of conv → relu layers, flatten, then the FC layers. */
async function refForward(net: Sequential, x: Float64Array, n: number): Promise<RefTensor> {
  const params = await Promise.all(net.params.map(async (p) => Float64Array.from(await p.tensor.read())));
  let h: RefTensor = { data: x, shape: [n, 1, 28, 28] };
  let k = 0;
  for (const l of net.layers) {
    if (l.kind !== 'conv') break;
    const y = refConv2d(
      h,
      { data: params[2 * k], shape: [l.outChannels, l.inChannels, l.kernel, l.kernel] },
      (l.kernel - 1) / 2,
    );
    const b = params[2 * k + 1],
      hw = 28 * 28;
    h = { data: y.data.map((v, i) => Math.max(v + b[Math.floor(i / hw) % l.outChannels], 0)), shape: y.shape };
    k++;
  }
  const fc = net.layers
    .slice(k)
    .map(
      (l, i) =>
        (l.kind === 'linear'
          ? { w: params[2 * (k + i)], b: params[2 * (k + i) + 1], out: l.outDim, in: l.inDim }
          : null)!,
    );
  return refFcForward({ data: h.data, shape: [n, h.data.length / n] }, fc);
}

describe('CNN model', () => {
  it('forward matches a float64 conv → relu → … → flatten → FC reference, with PyTorch parameter names and shapes', async () => {
    const net = modelOfLayers(SMALL, 0, 7);
    expect(net.params.map((p) => `${p.name}[${p.tensor.shape}]`)).toEqual([
      'conv1.weight[3,1,5,5]',
      'conv1.bias[3]',
      'conv2.weight[2,3,3,3]',
      'conv2.bias[2]',
      'fc1.weight[16,1568]',
      'fc1.bias[16]',
      'fc2.weight[10,16]',
      'fc2.bias[10]',
    ]);
    const n = 3;
    const x = randomArray(n * 784, 8, 0, 1);
    const got = await tidy(() =>
      net.forward(Tensor.fromArray(Float32Array.from(x), [n, 784]), { train: false }).keep(),
    ).read();
    compare('cnn forward', got, (await refForward(net, x, n)).data, 1e-4, 1e-5);
    net.dispose();
  });

  it("the study CNN has the study's shapes: 15,680 flattened features, FC 1500 and 500", () => {
    const layers = layersOf({ ...DEFAULT_CONFIG, ...CNN_DEFAULTS });
    expect(
      layers.map((l) =>
        l.kind === 'conv'
          ? `${l.name} ${l.inChannels}→${l.outChannels} ${l.kernel}x${l.kernel}`
          : `${l.name} ${l.inDim}→${l.outDim}`,
      ),
    ).toEqual([
      'conv1 1→12 7x7',
      'conv2 12→15 5x5',
      'conv3 15→25 3x3',
      'conv4 25→20 3x3',
      'fc1 15680→1500',
      'fc2 1500→500',
      'fc3 500→10',
    ]);
  });

  it('a small CNN learns 2,000 digits to > 90% test accuracy; its checkpoint round-trips', async () => {
    const all = loadEmbedded();
    const data = { train: take(all.train, 2000), test: all.test, name: 'embedded-2000' };
    const config = {
      ...DEFAULT_CONFIG,
      arch: 'cnn' as const,
      conv: [{ channels: 4, kernel: 5 }],
      hidden: [32],
      iterations: 400,
      batch: 50,
      evalEvery: 0,
      seed: 3,
    };
    const { model, metrics } = await trainModel(config, data);
    expect(metrics.testAccuracy).toBeGreaterThan(0.9);
    const back = modelFromSafetensors(await modelToSafetensors(model, config), 'cnn.safetensors');
    expect(back.config.arch).toBe('cnn');
    expect(back.model.layers[0].kind).toBe('conv');
    expect(await accuracy(back.model, data.test)).toBe(metrics.testAccuracy);
    model.dispose();
    back.model.dispose();
  });

  it('loads a bare PyTorch state dict (no metadata) by inferring the architecture, and names what is wrong in a bad one', async () => {
    const net = modelOfLayers(SMALL, 0, 9);
    const arrays = await Promise.all(
      net.params.map(async (p) => ({ name: p.name, shape: [...p.tensor.shape], data: await p.tensor.read() })),
    );
    const { model, config } = modelFromSafetensors(encodeSafetensors(arrays, {}), 'torch.safetensors');
    expect(config.arch).toBe('cnn');
    expect(config.conv).toEqual([
      { channels: 3, kernel: 5 },
      { channels: 2, kernel: 3 },
    ]);
    expect(config.hidden).toEqual([16]);
    expect(await model.params[2].tensor.read()).toEqual(arrays[2].data);
    const evenKernel = arrays.map((a) =>
      a.name === 'conv2.weight' ? { ...a, shape: [2, 3, 2, 2], data: a.data.subarray(0, 24) } : a,
    );
    expect(() => modelFromSafetensors(encodeSafetensors(evenKernel, {}), 'even.safetensors')).toThrow(
      /even.safetensors: conv2.weight is \[2,3,2,2\], expected \[out, 3, k, k\] with odd k/,
    );
    const wrongFlatten = arrays.map((a) =>
      a.name === 'fc1.weight' ? { ...a, shape: [16, 1000], data: a.data.subarray(0, 16000) } : a,
    );
    expect(() => modelFromSafetensors(encodeSafetensors(wrongFlatten, {}), 'flat.safetensors')).toThrow(
      /flat.safetensors: fc1 takes 1000 inputs: not 2 flattened square maps \(same-padded conv layers keep the image's size\)/,
    );
    net.dispose();
    model.dispose();
  });

  it('activation statistics of a conv weight: the mean input under each tap over all positions and images', async () => {
    const n = 6;
    const images = Float32Array.from(randomArray(n * 784, 11, 0, 1));
    const data = testDataset(images, [1, 28, 28], 'test');
    const net = modelOfLayers(SMALL, 0, 12);
    const stats = await layerInputStats(net, data, [0, 1, 2, 3, 4, 5], 4);
    const l = net.layers[0];
    if (l.kind !== 'conv') throw new Error('conv1 expected');
    const got = columnMeans(l, stats.mean[0]);
    const K = 5,
      P = 2,
      want = new Float64Array(K * K);
    for (let s = 0; s < n; s++)
      for (let i = 0; i < K; i++)
        for (let j = 0; j < K; j++)
          for (let y = 0; y < 28; y++)
            for (let x = 0; x < 28; x++) {
              const yy = y + i - P,
                xx = x + j - P;
              if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28)
                want[i * K + j] += images[s * 784 + yy * 28 + xx] / (n * 784);
            }
    compare('conv tap means', got, want, 1e-5, 1e-6);
    net.dispose();
  });
});
