// C[M,N] = op(A)[M,K] * op(B)[K,N] with vec4 loads, for adapters with subgroups of 8 or more
// lanes. Same blocking as matmul_subgroup.wgsl (16 x 4 of C per invocation, A shared through
// subgroupBroadcast) but k advances 4 at a time and every load is a vec4 along whichever
// dimension is contiguous in memory:
//   A [M,K]: A[row, k..k+3]            A stored [K,M] (TRANS_A): A[16 rows at k+i] split over lanes
//   B [N,K] (TRANS_B): B[k..k+3, col]  B [K,N]: B[k+i, 4 adjacent columns]
// The host picks this kernel only where those vectors are whole: K % 4 == 0 for a k-vector,
// M % 4 == 0 (TRANS_A), N % 4 == 0 (!TRANS_B) — or N even, where B's 4 columns are read as two
// vec2. With both vectors across m and n (TRANS_A and !TRANS_B) K may be anything: the last
// step's rows past K are zeroed. B's element type BV and its two readers (bRow, bCol) come from
// matmul_b_vec4.wgsl or matmul_b_vec2.wgsl, appended by src/ops/matmul.ts.
// On llvmpipe, where each storage load is a bounds-checked load per lane, a vec4 load moves
// 2-3x the floats per second of a scalar one (docs/matmul-lavapipe.md); on a GPU these are
// 16-byte loads, coalesced across lanes.
enable subgroups;

@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<BV>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
// rowBlock0: the first block of rows this dispatch computes (a long product is split into several).
struct Uniforms { M: u32, N: u32, K: u32, alpha: f32, beta: f32, rowBlock0: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override WG: u32 = 8u; // invocations per workgroup; the host sizes the grid with the same value

// The 16 x 4 block of C this invocation accumulates, row by row.
var<private> c0: vec4f; var<private> c1: vec4f; var<private> c2: vec4f; var<private> c3: vec4f;
var<private> c4: vec4f; var<private> c5: vec4f; var<private> c6: vec4f; var<private> c7: vec4f;
var<private> c8: vec4f; var<private> c9: vec4f; var<private> c10: vec4f; var<private> c11: vec4f;
var<private> c12: vec4f; var<private> c13: vec4f; var<private> c14: vec4f; var<private> c15: vec4f;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  // Workgroups next to each other in x take the next 16 rows of the same columns.
  let m0 = (wid.x + u.rowBlock0) * 16u;
  // Columns of this invocation: WG apart when B's columns are rows in memory (each its own
  // k-vector), 4 adjacent ones when B's rows are (one n-vector per k).
  let n0 = select(wid.y * WG * 4u + lid * 4u, wid.y * WG * 4u + lid, TRANS_B);
  let nStep = select(1u, WG, TRANS_B);
  // Clamped indices: rows/columns past the edge compute values that are never stored, and
  // every lane stays active so the broadcasts see all eight source lanes.
  let K4 = u.K / 4u;
  let ra = min(m0 + (lane & 7u), u.M - 1u);
  let rb = min(m0 + 8u + (lane & 7u), u.M - 1u);
  let mq = min(m0 / 4u + (lane & 3u), u.M / 4u - 1u); // TRANS_A: the 4 rows this lane loads
  let nb = min(vec4u(n0, n0 + WG, n0 + 2u * WG, n0 + 3u * WG), vec4u(u.N - 1u));
  let nq = n0 / 4u;                                   // !TRANS_B: its 4 columns (bRow clamps)
  let kHalf = (lane >> 2u) & 1u;                        // TRANS_A: which k of a pair it loads
  for (var k = 0u; k < u.K; k += 4u) {
    // This invocation's 4 columns of B at k, k+1, k+2, k+3.
    var b0: vec4f; var b1: vec4f; var b2: vec4f; var b3: vec4f;
    if (TRANS_B) {
      let v0 = bCol(nb.x, k / 4u); let v1 = bCol(nb.y, k / 4u);
      let v2 = bCol(nb.z, k / 4u); let v3 = bCol(nb.w, k / 4u);
      b0 = vec4f(v0.x, v1.x, v2.x, v3.x); b1 = vec4f(v0.y, v1.y, v2.y, v3.y);
      b2 = vec4f(v0.z, v1.z, v2.z, v3.z); b3 = vec4f(v0.w, v1.w, v2.w, v3.w);
    } else {
      b0 = bRow(k, nq); b1 = bRow(k + 1u, nq); b2 = bRow(k + 2u, nq); b3 = bRow(k + 3u, nq);
    }
    if (TRANS_A) {
      // Lanes 0-3 hold rows m0 .. m0+15 at k (p) and k+2 (q), lanes 4-7 at k+1 and k+3.
      let p = aCol(k + kHalf, mq);
      let q = aCol(k + 2u + kHalf, mq);
      c0 = fma4(c0, vec4f(subgroupBroadcast(p.x, 0u), subgroupBroadcast(p.x, 4u), subgroupBroadcast(q.x, 0u), subgroupBroadcast(q.x, 4u)), b0, b1, b2, b3);
      c1 = fma4(c1, vec4f(subgroupBroadcast(p.y, 0u), subgroupBroadcast(p.y, 4u), subgroupBroadcast(q.y, 0u), subgroupBroadcast(q.y, 4u)), b0, b1, b2, b3);
      c2 = fma4(c2, vec4f(subgroupBroadcast(p.z, 0u), subgroupBroadcast(p.z, 4u), subgroupBroadcast(q.z, 0u), subgroupBroadcast(q.z, 4u)), b0, b1, b2, b3);
      c3 = fma4(c3, vec4f(subgroupBroadcast(p.w, 0u), subgroupBroadcast(p.w, 4u), subgroupBroadcast(q.w, 0u), subgroupBroadcast(q.w, 4u)), b0, b1, b2, b3);
      c4 = fma4(c4, vec4f(subgroupBroadcast(p.x, 1u), subgroupBroadcast(p.x, 5u), subgroupBroadcast(q.x, 1u), subgroupBroadcast(q.x, 5u)), b0, b1, b2, b3);
      c5 = fma4(c5, vec4f(subgroupBroadcast(p.y, 1u), subgroupBroadcast(p.y, 5u), subgroupBroadcast(q.y, 1u), subgroupBroadcast(q.y, 5u)), b0, b1, b2, b3);
      c6 = fma4(c6, vec4f(subgroupBroadcast(p.z, 1u), subgroupBroadcast(p.z, 5u), subgroupBroadcast(q.z, 1u), subgroupBroadcast(q.z, 5u)), b0, b1, b2, b3);
      c7 = fma4(c7, vec4f(subgroupBroadcast(p.w, 1u), subgroupBroadcast(p.w, 5u), subgroupBroadcast(q.w, 1u), subgroupBroadcast(q.w, 5u)), b0, b1, b2, b3);
      c8 = fma4(c8, vec4f(subgroupBroadcast(p.x, 2u), subgroupBroadcast(p.x, 6u), subgroupBroadcast(q.x, 2u), subgroupBroadcast(q.x, 6u)), b0, b1, b2, b3);
      c9 = fma4(c9, vec4f(subgroupBroadcast(p.y, 2u), subgroupBroadcast(p.y, 6u), subgroupBroadcast(q.y, 2u), subgroupBroadcast(q.y, 6u)), b0, b1, b2, b3);
      c10 = fma4(c10, vec4f(subgroupBroadcast(p.z, 2u), subgroupBroadcast(p.z, 6u), subgroupBroadcast(q.z, 2u), subgroupBroadcast(q.z, 6u)), b0, b1, b2, b3);
      c11 = fma4(c11, vec4f(subgroupBroadcast(p.w, 2u), subgroupBroadcast(p.w, 6u), subgroupBroadcast(q.w, 2u), subgroupBroadcast(q.w, 6u)), b0, b1, b2, b3);
      c12 = fma4(c12, vec4f(subgroupBroadcast(p.x, 3u), subgroupBroadcast(p.x, 7u), subgroupBroadcast(q.x, 3u), subgroupBroadcast(q.x, 7u)), b0, b1, b2, b3);
      c13 = fma4(c13, vec4f(subgroupBroadcast(p.y, 3u), subgroupBroadcast(p.y, 7u), subgroupBroadcast(q.y, 3u), subgroupBroadcast(q.y, 7u)), b0, b1, b2, b3);
      c14 = fma4(c14, vec4f(subgroupBroadcast(p.z, 3u), subgroupBroadcast(p.z, 7u), subgroupBroadcast(q.z, 3u), subgroupBroadcast(q.z, 7u)), b0, b1, b2, b3);
      c15 = fma4(c15, vec4f(subgroupBroadcast(p.w, 3u), subgroupBroadcast(p.w, 7u), subgroupBroadcast(q.w, 3u), subgroupBroadcast(q.w, 7u)), b0, b1, b2, b3);
    } else {
      // Lane l holds rows m0 + l (x) and m0 + 8 + l (y) at k .. k+3.
      let x = a[ra * K4 + k / 4u];
      let y = a[rb * K4 + k / 4u];
      c0 = fma4(c0, subgroupBroadcast(x, 0u), b0, b1, b2, b3);
      c1 = fma4(c1, subgroupBroadcast(x, 1u), b0, b1, b2, b3);
      c2 = fma4(c2, subgroupBroadcast(x, 2u), b0, b1, b2, b3);
      c3 = fma4(c3, subgroupBroadcast(x, 3u), b0, b1, b2, b3);
      c4 = fma4(c4, subgroupBroadcast(x, 4u), b0, b1, b2, b3);
      c5 = fma4(c5, subgroupBroadcast(x, 5u), b0, b1, b2, b3);
      c6 = fma4(c6, subgroupBroadcast(x, 6u), b0, b1, b2, b3);
      c7 = fma4(c7, subgroupBroadcast(x, 7u), b0, b1, b2, b3);
      c8 = fma4(c8, subgroupBroadcast(y, 0u), b0, b1, b2, b3);
      c9 = fma4(c9, subgroupBroadcast(y, 1u), b0, b1, b2, b3);
      c10 = fma4(c10, subgroupBroadcast(y, 2u), b0, b1, b2, b3);
      c11 = fma4(c11, subgroupBroadcast(y, 3u), b0, b1, b2, b3);
      c12 = fma4(c12, subgroupBroadcast(y, 4u), b0, b1, b2, b3);
      c13 = fma4(c13, subgroupBroadcast(y, 5u), b0, b1, b2, b3);
      c14 = fma4(c14, subgroupBroadcast(y, 6u), b0, b1, b2, b3);
      c15 = fma4(c15, subgroupBroadcast(y, 7u), b0, b1, b2, b3);
    }
  }
  store(m0 + 0u, n0, nStep, c0); store(m0 + 1u, n0, nStep, c1); store(m0 + 2u, n0, nStep, c2); store(m0 + 3u, n0, nStep, c3);
   store(m0 + 4u, n0, nStep, c4); store(m0 + 5u, n0, nStep, c5); store(m0 + 6u, n0, nStep, c6); store(m0 + 7u, n0, nStep, c7);
   store(m0 + 8u, n0, nStep, c8); store(m0 + 9u, n0, nStep, c9); store(m0 + 10u, n0, nStep, c10); store(m0 + 11u, n0, nStep, c11);
   store(m0 + 12u, n0, nStep, c12); store(m0 + 13u, n0, nStep, c13); store(m0 + 14u, n0, nStep, c14); store(m0 + 15u, n0, nStep, c15);
}

// A[4 rows from 4·mq, k] (A stored [K,M]); zero past the last row of the storage.
fn aCol(k: u32, mq: u32) -> vec4f {
  let v = a[min(k, u.K - 1u) * (u.M / 4u) + mq];
  return select(vec4f(0.0), v, k < u.K);
}

// c + A[row, k..k+3] · B[k..k+3, 4 columns], one accumulator row at a time: on CPU drivers
// the 16 rows' accumulators do not fit in registers, and taking each from memory once per 4
// steps of k instead of once per step halves the loop's time.
fn fma4(c: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return fma(vec4f(a.w), b3, fma(vec4f(a.z), b2, fma(vec4f(a.y), b1, fma(vec4f(a.x), b0, c))));
}

fn store(m: u32, n0: u32, nStep: u32, v: vec4f) {
  if (m >= u.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j * nStep;
    if (n >= u.N) { return; }
    c[m * u.N + n] = u.alpha * v[j];
  }
}
