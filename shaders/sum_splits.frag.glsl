// sum_splits.frag.glsl — second half of a split reduction: adds the u_splits partial sums that sit
// u_rows rows apart in u_partial. Texel (x, y) of the result reads texels
// (u_x_offset + x, s*u_rows + y); with u_transpose = 1 it reads (u_x_offset, s*u_rows + x) instead
// (one column of partial sums becomes one row of results, as the bias gradient needs).
uniform highp sampler2D u_partial;
uniform int u_rows;
uniform int u_splits;
uniform int u_x_offset;
uniform int u_transpose;
out vec4 out_value;

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    ivec2 from = u_transpose == 1 ? ivec2(u_x_offset, p.x) : ivec2(u_x_offset + p.x, p.y);
    vec4 sum = vec4(0.0);
    for (int s = 0; s < u_splits; s++) sum += texelFetch(u_partial, ivec2(from.x, s * u_rows + from.y), 0);
    out_value = sum;
}
