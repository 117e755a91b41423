// B's readers for matmul_subgroup_vec4.wgsl where B [K,N] has an even N that is not a multiple
// of 4 (a batch of 250 in feature-major layers): each 4 columns are two vec2 loads, still half
// the loads of scalars (on llvmpipe a load's cost is mostly per lane, not per float).
alias BV = vec2f;

// B[k, 4 columns from 4·nq]; zero past the last row; columns past N are clamped (never stored).
fn bRow(k: u32, nq: u32) -> vec4f {
  let row = min(k, u.K - 1u) * (u.N / 2u);
  let last = u.N / 2u - 1u;
  let v = vec4f(b[row + min(2u * nq, last)], b[row + min(2u * nq + 1u, last)]);
  return select(vec4f(0.0), v, k < u.K);
}

// B[n, 4·k4 .. 4·k4+3] (B stored [N,K], K % 4 == 0).
fn bCol(n: u32, k4: u32) -> vec4f {
  let i = 2u * (n * (u.K / 4u) + k4);
  return vec4f(b[i], b[i + 1u]);
}
