// vec4 staging of B for matmul_tiled.wgsl, where B's contiguous dimension (n, or k when
// transposed) is a multiple of 4: one vec4 of the strip per invocation, whole inside or whole
// outside (zero).
alias BE = vec4f;

fn stageB(flat: u32, n0: u32, k0: u32, kEnd: u32) {
  if (TRANS_B) {
    // B stored [N, K]: a row n of the strip is 4 vec4s along k.
    let n = flat / 4u;
    let k = (flat % 4u) * 4u;
    var v = vec4f(0.0);
    if (k0 + k < kEnd && n0 + n < u.N) { v = b[((n0 + n) * u.K + k0 + k) / 4u]; }
    for (var j = 0u; j < 4u; j++) { Bs[(k + j) * BN + n] = v[j]; }
  } else {
    // B stored [K, N]: a row k of the strip is 16 vec4s along n.
    let k = flat / 16u;
    let n = (flat % 16u) * 4u;
    var v = vec4f(0.0);
    if (k0 + k < kEnd && n0 + n < u.N) { v = b[((k0 + k) * u.N + n0 + n) / 4u]; }
    for (var j = 0u; j < 4u; j++) { Bs[k * BN + n + j] = v[j]; }
  }
}
