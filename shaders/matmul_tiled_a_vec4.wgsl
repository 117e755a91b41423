// vec4 staging of A for matmul_tiled.wgsl, where A's contiguous dimension (k, or m when
// transposed) is a multiple of 4: one vec4 of the strip per invocation, whole inside the matrix
// and this split's stretch of k (which start at multiples of 16), or whole outside (zero).
alias AE = vec4f;

fn stageA(flat: u32, m0: u32, k0: u32, kEnd: u32) {
  if (TRANS_A) {
    // A stored [K, M]: a row of the strip is 16 vec4s along m.
    let k = flat / 16u;
    let m = (flat % 16u) * 4u;
    var v = vec4f(0.0);
    if (k0 + k < kEnd && m0 + m < u.M) { v = a[((k0 + k) * u.M + m0 + m) / 4u]; }
    for (var j = 0u; j < 4u; j++) { As[k * BM + m + j] = v[j]; }
  } else {
    // A stored [M, K]: a row m of the strip is 4 vec4s along k.
    let m = flat / 4u;
    let k = (flat % 4u) * 4u;
    var v = vec4f(0.0);
    if (k0 + k < kEnd && m0 + m < u.M) { v = a[((m0 + m) * u.K + k0 + k) / 4u]; }
    for (var j = 0u; j < 4u; j++) { As[(k + j) * BM + m] = v[j]; }
  }
}
