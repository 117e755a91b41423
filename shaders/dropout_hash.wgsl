// Dropout's value at element i: 1/keep with probability keep, else 0. Counter-based: it depends
// only on (seed, stream, i), so the same seed gives the same mask on any device, in any dispatch
// order, and in a forward and a backward kernel alike. Prepended by the host to the kernels
// that drop (dropout_mask.wgsl, bias_relu_dropout*.wgsl).
fn pcg(x: u32) -> u32 {
  let s = x * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

fn dropoutScale(seed: u32, stream: u32, i: u32, keep: f32) -> f32 {
  let h = pcg(pcg(pcg(seed) ^ stream) + i);
  let uniform01 = f32(h >> 8u) * (1.0 / 16777216.0); // 24 random bits: exact in f32
  return select(0.0, 1.0 / keep, uniform01 < keep);
}
