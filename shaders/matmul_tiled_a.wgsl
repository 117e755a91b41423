// Scalar staging of A for matmul_tiled.wgsl: 4 values of the strip per invocation, zero outside
// the matrix (and past this split's stretch of k), so edge tiles need no other test.
alias AE = f32;

fn aAt(m: u32, k: u32) -> f32 {
  if (m >= u.M || k >= u.K) { return 0.0; }
  if (TRANS_A) { return a[k * u.M + m]; }
  return a[m * u.K + k];
}
fn stageA(flat: u32, m0: u32, k0: u32, kEnd: u32) {
  for (var i = 0u; i < 4u; i++) {
    let e = flat + i * 256u;
    if (TRANS_A) { let k = e / BM; let m = e % BM; As[k * BM + m] = aAt(m0 + m, select(u.K, k0 + k, k0 + k < kEnd)); }
    else { let m = e / TK; let k = e % TK; As[k * BM + m] = aAt(m0 + m, select(u.K, k0 + k, k0 + k < kEnd)); }
  }
}
