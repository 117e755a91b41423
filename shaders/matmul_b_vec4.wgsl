// B's readers for matmul_subgroup_vec4.wgsl where B's rows are whole vec4s.
alias BV = vec4f;

// B[k, 4 columns from 4·nq] (B stored [K,N], N % 4 == 0); zero past the last row; columns
// past N are clamped (computed, never stored).
fn bRow(k: u32, nq: u32) -> vec4f {
  let v = b[min(k, u.K - 1u) * (u.N / 4u) + min(nq, u.N / 4u - 1u)];
  return select(vec4f(0.0), v, k < u.K);
}

// B[n, 4·k4 .. 4·k4+3] (B stored [N,K], K % 4 == 0).
fn bCol(n: u32, k4: u32) -> vec4f {
  return b[n * (u.K / 4u) + k4];
}
