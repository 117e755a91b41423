// out = f(x, alpha), W elements per invocation: V = f32 and W = 1, or V = vec4f and W = 4 where
// the size is a multiple of 4 (on llvmpipe a storage access costs mostly per lane, so one vec4
// load and store move 4 elements for little more than one). f is injected from the op table in
// src/ops/elementwise.ts; V, W and fV (f over the lanes of a V) are appended by the host.
@group(0) @binding(0) var<storage, read> x: array<V>;
@group(0) @binding(1) var<storage, read_write> out: array<V>;
struct Uniforms { size: u32, alpha: f32 }
@group(0) @binding(2) var<uniform> u: Uniforms;

fn f(x: f32, alpha: f32) -> f32 { return EXPR; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = gid.x + gid.y * nwg.x * 256u;
  if (q >= u.size / W) { return; }
  out[q] = fV(x[q], u.alpha);
}
