import { randomArray } from '../helpers';
import { modelOfLayers } from '../../src/nn/study-models';
import { fcLayers } from '../../src/nn/layer-spec';
import { Tensor } from '../../src/tensor/tensor';
import type { RefLayer } from '../ref/attack-ref';
import type { Sequential } from '../../src/nn/modules';

/** A small FC ReLU net on the GPU and the same weights in float64 for the references. */
export function smallNet(seed: number, sizes = [12, 9, 7, 10], scale = 0.6): { layers: RefLayer[]; net: Sequential } {
  const layers = sizes.slice(1).map((out, i) => ({
    in: sizes[i],
    out,
    w: randomArray(out * sizes[i], seed + i, -scale, scale),
    b: randomArray(out, seed + 10 + i, -0.2, 0.2),
  }));
  const params = layers.flatMap((L, i) => [
    { name: `fc${i + 1}.weight`, tensor: Tensor.fromArray(Float32Array.from(L.w), [L.out, L.in]).keep() },
    { name: `fc${i + 1}.bias`, tensor: Tensor.fromArray(Float32Array.from(L.b), [L.out]).keep() },
  ]);
  return { layers, net: modelOfLayers(fcLayers(sizes), 0, 0, undefined, params) };
}
