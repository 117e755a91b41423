// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N]. op() transposes when TRANS_A / TRANS_B:
// A is then stored [K,M], B stored [N,K], so backward passes need no transpose copies.
//
// No workgroup memory and no barriers: each invocation keeps an 8 x 4 block of C in eight
// vec4 registers (written out by hand: CPU drivers keep indexed arrays in memory) and reads
// A and B straight from the cached storage buffers. The kernel for adapters without
// subgroups (matmul_subgroup.wgsl is used where they exist). Invocations next to each other in x
// (SIMD lanes on a CPU driver, a warp on a GPU) share their rows of A — a uniform load —
// and take neighbouring columns of B and C (the 4 columns of one invocation are WX apart).
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
// rowBlock0: the first block of rows this dispatch computes (a long product is split into several).
struct Uniforms { M: u32, N: u32, K: u32, alpha: f32, beta: f32, rowBlock0: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override TRANS_A: bool = false;
override TRANS_B: bool = false;

const WX = 8u;  // workgroup is WX x WY invocations
const WY = 8u;
const TM = 8u;  // rows per invocation (acc0..acc7)
const TN = 4u;  // columns per invocation (the 4 lanes of each vec4)

fn aAt(m: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[k * u.M + m]; }
  return a[m * u.K + k];
}
fn bRow(k: u32, n: vec4u) -> vec4f {
  if (TRANS_B) { return vec4f(b[n.x * u.K + k], b[n.y * u.K + k], b[n.z * u.K + k], b[n.w * u.K + k]); }
  let r = k * u.N;
  return vec4f(b[r + n.x], b[r + n.y], b[r + n.z], b[r + n.w]);
}

@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  // Workgroups next to each other in x take the next rows of the same columns, so the strip
  // of B they all read stays in cache.
  let row0 = ((wid.x + u.rowBlock0) * WY + lid.y) * TM;
  let col0 = wid.y * WX * TN + lid.x;
  // Clamped indices: rows/columns past the edge compute values that are never stored.
  let last = u.M - 1u;
  let r0 = min(row0, last); let r1 = min(row0 + 1u, last); let r2 = min(row0 + 2u, last); let r3 = min(row0 + 3u, last);
  let r4 = min(row0 + 4u, last); let r5 = min(row0 + 5u, last); let r6 = min(row0 + 6u, last); let r7 = min(row0 + 7u, last);
  let n = min(vec4u(col0, col0 + WX, col0 + 2u * WX, col0 + 3u * WX), vec4u(u.N - 1u));
  var acc0 = vec4f(0.0); var acc1 = vec4f(0.0); var acc2 = vec4f(0.0); var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0); var acc5 = vec4f(0.0); var acc6 = vec4f(0.0); var acc7 = vec4f(0.0);
  for (var k = 0u; k < u.K; k++) {
    let bv = bRow(k, n);
    acc0 = fma(vec4f(aAt(r0, k)), bv, acc0);
    acc1 = fma(vec4f(aAt(r1, k)), bv, acc1);
    acc2 = fma(vec4f(aAt(r2, k)), bv, acc2);
    acc3 = fma(vec4f(aAt(r3, k)), bv, acc3);
    acc4 = fma(vec4f(aAt(r4, k)), bv, acc4);
    acc5 = fma(vec4f(aAt(r5, k)), bv, acc5);
    acc6 = fma(vec4f(aAt(r6, k)), bv, acc6);
    acc7 = fma(vec4f(aAt(r7, k)), bv, acc7);
  }
  store(row0, col0, acc0); store(row0 + 1u, col0, acc1); store(row0 + 2u, col0, acc2); store(row0 + 3u, col0, acc3);
  store(row0 + 4u, col0, acc4); store(row0 + 5u, col0, acc5); store(row0 + 6u, col0, acc6); store(row0 + 7u, col0, acc7);
}

fn store(m: u32, col0: u32, v: vec4f) {
  if (m >= u.M) { return; }
  for (var j = 0u; j < TN; j++) {
    let n = col0 + j * WX;
    if (n >= u.N) { return; }
    c[m * u.N + n] = u.alpha * v[j];
  }
}
