// C[M,N] = op(A)[M,K] * op(B)[K,N], for adapters with subgroups of 8 or more lanes.
// Same operands and transpose flags as matmul.wgsl.
//
// Each invocation keeps a 16 x 4 block of C (16 vec4 registers). Per step of k it loads 4
// values of B (its own columns, WG apart) and only 2 values of A: lane l of the subgroup
// loads rows m0 + (l & 7) and m0 + 8 + (l & 7), and every lane takes the 16 rows it needs
// from lanes 0..7 with subgroupBroadcast, a register shuffle. That is 6 loads per 64 FMAs
// against 12 per 32 in matmul.wgsl: on CPU drivers, where each storage load is a
// bounds-checked scalar load per lane, it runs ~2.5x faster; on a GPU it is the usual
// "A in registers, shared through shuffles" GEMM with no workgroup memory or barriers.
enable subgroups;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
// rowBlock0: the first block of rows this dispatch computes (a long product is split into several).
struct Uniforms { M: u32, N: u32, K: u32, alpha: f32, beta: f32, rowBlock0: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override WG: u32 = 8u; // invocations per workgroup; the host sizes the grid with the same value

fn aAt(m: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[k * u.M + m]; }
  return a[m * u.K + k];
}
fn bAt(k: u32, n: u32) -> f32 {
  if (TRANS_B) { return b[n * u.K + k]; }
  return b[k * u.N + n];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  // Workgroups next to each other in x take the next 16 rows of the same columns, so the
  // strip of B they all read stays in cache (B rows can be 60 KB apart).
  let m0 = (wid.x + u.rowBlock0) * 16u;
  let n0 = wid.y * WG * 4u + lid;
  // Clamped indices: rows/columns past the edge compute values that are never stored, and
  // every lane stays active so the broadcasts see all eight source lanes.
  let ra = min(m0 + (lane & 7u), u.M - 1u);
  let rb = min(m0 + 8u + (lane & 7u), u.M - 1u);
  let n = min(vec4u(n0, n0 + WG, n0 + 2u * WG, n0 + 3u * WG), vec4u(u.N - 1u));
  var c0 = vec4f(0.0); var c1 = vec4f(0.0); var c2 = vec4f(0.0); var c3 = vec4f(0.0);
  var c4 = vec4f(0.0); var c5 = vec4f(0.0); var c6 = vec4f(0.0); var c7 = vec4f(0.0);
  var c8 = vec4f(0.0); var c9 = vec4f(0.0); var c10 = vec4f(0.0); var c11 = vec4f(0.0);
  var c12 = vec4f(0.0); var c13 = vec4f(0.0); var c14 = vec4f(0.0); var c15 = vec4f(0.0);
  for (var k = 0u; k < u.K; k++) {
    let bv = vec4f(bAt(k, n.x), bAt(k, n.y), bAt(k, n.z), bAt(k, n.w));
    let x = aAt(ra, k);
    let y = aAt(rb, k);
    c0 = fma(vec4f(subgroupBroadcast(x, 0u)), bv, c0);
    c1 = fma(vec4f(subgroupBroadcast(x, 1u)), bv, c1);
    c2 = fma(vec4f(subgroupBroadcast(x, 2u)), bv, c2);
    c3 = fma(vec4f(subgroupBroadcast(x, 3u)), bv, c3);
    c4 = fma(vec4f(subgroupBroadcast(x, 4u)), bv, c4);
    c5 = fma(vec4f(subgroupBroadcast(x, 5u)), bv, c5);
    c6 = fma(vec4f(subgroupBroadcast(x, 6u)), bv, c6);
    c7 = fma(vec4f(subgroupBroadcast(x, 7u)), bv, c7);
    c8 = fma(vec4f(subgroupBroadcast(y, 0u)), bv, c8);
    c9 = fma(vec4f(subgroupBroadcast(y, 1u)), bv, c9);
    c10 = fma(vec4f(subgroupBroadcast(y, 2u)), bv, c10);
    c11 = fma(vec4f(subgroupBroadcast(y, 3u)), bv, c11);
    c12 = fma(vec4f(subgroupBroadcast(y, 4u)), bv, c12);
    c13 = fma(vec4f(subgroupBroadcast(y, 5u)), bv, c13);
    c14 = fma(vec4f(subgroupBroadcast(y, 6u)), bv, c14);
    c15 = fma(vec4f(subgroupBroadcast(y, 7u)), bv, c15);
  }
  store(m0, n0, c0); store(m0 + 1u, n0, c1); store(m0 + 2u, n0, c2); store(m0 + 3u, n0, c3);
  store(m0 + 4u, n0, c4); store(m0 + 5u, n0, c5); store(m0 + 6u, n0, c6); store(m0 + 7u, n0, c7);
  store(m0 + 8u, n0, c8); store(m0 + 9u, n0, c9); store(m0 + 10u, n0, c10); store(m0 + 11u, n0, c11);
  store(m0 + 12u, n0, c12); store(m0 + 13u, n0, c13); store(m0 + 14u, n0, c14); store(m0 + 15u, n0, c15);
}

fn store(m: u32, n0: u32, v: vec4f) {
  if (m >= u.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j * WG;
    if (n >= u.N) { return; }
    c[m * u.N + n] = u.alpha * v[j];
  }
}
