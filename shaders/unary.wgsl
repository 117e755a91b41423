// out = f(x, alpha); f is injected from the op table in src/ops/elementwise.ts.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Uniforms { size: u32, alpha: f32 }
@group(0) @binding(2) var<uniform> u: Uniforms;

fn f(x: f32, alpha: f32) -> f32 { return EXPR; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i < u.size) { out[i] = f(x[i], u.alpha); }
}
