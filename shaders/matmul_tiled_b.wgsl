// Scalar staging of B for matmul_tiled.wgsl: 4 values of the strip per invocation, zero outside
// the matrix (and past this split's stretch of k).
alias BE = f32;

fn bAt(k: u32, n: u32) -> f32 {
  if (n >= u.N || k >= u.K) { return 0.0; }
  if (TRANS_B) { return b[n * u.K + k]; }
  return b[k * u.N + n];
}
fn stageB(flat: u32, n0: u32, k0: u32, kEnd: u32) {
  for (var i = 0u; i < 4u; i++) {
    let e = flat + i * 256u;
    if (TRANS_B) { let n = e / TK; let k = e % TK; Bs[k * BN + n] = bAt(select(u.K, k0 + k, k0 + k < kEnd), n0 + n); }
    else { let k = e / BN; let n = e % BN; Bs[k * BN + n] = bAt(select(u.K, k0 + k, k0 + k < kEnd), n0 + n); }
  }
}
