// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] (+ beta * C). op() transposes when TRANS_A / TRANS_B:
// A is then stored [K,M], B stored [N,K], so backward passes need no transpose copies.
// Tiles of BM x BN outputs per workgroup of 16x16 threads, each thread a 4x4 register block.
// Columns of a thread are 16 apart so that neighbouring invocations (SIMD lanes on a CPU
// driver, a warp on a GPU) read neighbouring words of the B tile and write neighbouring C.
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
struct Uniforms { M: u32, N: u32, K: u32, alpha: f32, beta: f32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;

const TM = 4u;
const TN = 4u;
const BM = 64u;
const BN = 64u;
const BK = 16u;

var<workgroup> As: array<f32, BK * BM>; // [k][m]
var<workgroup> Bs: array<f32, BK * BN>; // [k][n]

fn loadA(m: u32, k: u32) -> f32 {
  if (m >= u.M || k >= u.K) { return 0.0; }
  if (TRANS_A) { return a[k * u.M + m]; }
  return a[m * u.K + k];
}
fn loadB(k: u32, n: u32) -> f32 {
  if (k >= u.K || n >= u.N) { return 0.0; }
  if (TRANS_B) { return b[n * u.K + k]; }
  return b[k * u.N + n];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let t = lid.y * 16u + lid.x;
  var acc: array<array<f32, TN>, TM>;
  for (var k0 = 0u; k0 < u.K; k0 += BK) {
    for (var e = t; e < BK * BM; e += 256u) {
      if (TRANS_A) { let k = e / BM; let m = e % BM; As[e] = loadA(row0 + m, k0 + k); }
      else { let m = e / BK; let k = e % BK; As[k * BM + m] = loadA(row0 + m, k0 + k); }
    }
    for (var e = t; e < BK * BN; e += 256u) {
      if (TRANS_B) { let n = e / BK; let k = e % BK; Bs[k * BN + n] = loadB(k0 + k, col0 + n); }
      else { let k = e / BN; let n = e % BN; Bs[e] = loadB(k0 + k, col0 + n); }
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      var av: array<f32, TM>;
      for (var i = 0u; i < TM; i++) { av[i] = As[k * BM + lid.y * TM + i]; }
      for (var j = 0u; j < TN; j++) {
        let bv = Bs[k * BN + lid.x + 16u * j];
        for (var i = 0u; i < TM; i++) { acc[i][j] = fma(av[i], bv, acc[i][j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let m = row0 + lid.y * TM + i;
    if (m >= u.M) { continue; }
    for (var j = 0u; j < TN; j++) {
      let n = col0 + lid.x + 16u * j;
      if (n >= u.N) { continue; }
      var v = u.alpha * acc[i][j];
      if (ACCUMULATE) { v += u.beta * c[m * u.N + n]; }
      c[m * u.N + n] = v;
    }
  }
}
