// out = w where rank >= keepFrom, else 0: the weights whose rank (position in ascending score
// order, ties broken by index) is below the cut are pruned. Ranks are exact in f32 below 2^24.
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> rank: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
struct Uniforms { size: u32, cut: f32, cut2: f32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override TWO_RANKS: bool = false; // combined: rank holds two interleaved rank arrays [r1, r2]

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.size) { return; }
  var pruned = false;
  if (TWO_RANKS) { pruned = rank[2u * i] < u.cut || rank[2u * i + 1u] < u.cut2; }
  else { pruned = rank[i] < u.cut; }
  out[i] = select(w[i], 0.0, pruned);
}
