// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N], the GPU-classic way: a workgroup of 16 x 16
// invocations computes a 64 x 64 tile of C. Each step of the k loop stages a 64 x TK strip of
// A and a TK x 64 strip of B in workgroup memory (every value loaded once from the storage
// buffer, read 64 times from workgroup memory), then each invocation accumulates its 4 x 4
// outputs in registers. op() transposes when TRANS_A / TRANS_B, as matmul.wgsl.
//
// Split-K: workgroup_id.z takes its own stretch of k and writes its partial tile to slice z
// of c ([SPLITS, M, N]); sum_splits.wgsl adds the slices. With one split, c is C itself.
// Staging: src/ops/matmul.ts appends AE and BE (f32, or vec4f where the operand's contiguous
// dimension is a multiple of 4) and stageA / stageB to match: scalar staging reads 4 values per
// invocation per strip (aAt / bAt in matmul_tiled_a.wgsl, _b.wgsl), vec4 staging one vec4 per invocation per strip.
@group(0) @binding(0) var<storage, read> a: array<AE>;
@group(0) @binding(1) var<storage, read> b: array<BE>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
// rowBlock0: the first block of rows this dispatch computes (a long product is split into several).
struct Uniforms { M: u32, N: u32, K: u32, alpha: f32, kPerSplit: u32, rowBlock0: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override TRANS_A: bool = false;
override TRANS_B: bool = false;

const BM = 64u;   // rows of C per workgroup
const BN = 64u;   // columns of C per workgroup
const TK = 16u;   // k per staged strip
const T = 16u;    // the workgroup is T x T invocations; each owns rows ty + T*i, columns tx + T*j

var<workgroup> As: array<f32, 1024>;  // [TK][BM]
var<workgroup> Bs: array<f32, 1024>;  // [TK][BN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tx = lid.x;
  let ty = lid.y;
  let flat = ty * T + tx;
  let m0 = (wid.x + u.rowBlock0) * BM;
  let n0 = wid.y * BN;
  let kBegin = wid.z * u.kPerSplit;
  let kEnd = min(kBegin + u.kPerSplit, u.K);
  var acc0 = vec4f(0.0); var acc1 = vec4f(0.0); var acc2 = vec4f(0.0); var acc3 = vec4f(0.0);
  for (var k0 = kBegin; k0 < kEnd; k0 += TK) {
    // 1024 values of each strip; neighbouring invocations read neighbouring addresses of
    // whichever dimension is contiguous in memory.
    stageA(flat, m0, k0, kEnd);
    stageB(flat, n0, k0, kEnd);
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let bv = vec4f(Bs[k * BN + tx], Bs[k * BN + tx + T], Bs[k * BN + tx + 2u * T], Bs[k * BN + tx + 3u * T]);
      acc0 = fma(vec4f(As[k * BM + ty]), bv, acc0);
      acc1 = fma(vec4f(As[k * BM + ty + T]), bv, acc1);
      acc2 = fma(vec4f(As[k * BM + ty + 2u * T]), bv, acc2);
      acc3 = fma(vec4f(As[k * BM + ty + 3u * T]), bv, acc3);
    }
    workgroupBarrier();
  }
  let slice = wid.z * u.M * u.N;
  store(slice, m0 + ty, n0 + tx, acc0);
  store(slice, m0 + ty + T, n0 + tx, acc1);
  store(slice, m0 + ty + 2u * T, n0 + tx, acc2);
  store(slice, m0 + ty + 3u * T, n0 + tx, acc3);
}

fn store(slice: u32, m: u32, n0: u32, v: vec4f) {
  if (m >= u.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j * T;
    if (n < u.N) { c[slice + m * u.N + n] = u.alpha * v[j]; }
  }
}
