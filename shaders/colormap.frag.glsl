// colormap.frag.glsl — turns one sample of a tensor into colours for the screen (RGBA8):
//   mode 0: channels 0..2 as RGB (an RGB image), scaled from [lo, hi] to [0, 1]
//   mode 1: channel u_channel as grey, [lo, hi] -> black..white
//   mode 2: channel u_channel signed: negative blue, zero white, positive red, |v| = hi is full colour
//   mode 3: channels 0 and 1 as a gradient (gx, gy): hue = direction, brightness = magnitude / hi
//   mode 4: channels 0 and 1 as a gradient: its magnitude sqrt(gx^2 + gy^2) as grey, hi = white
// web/widgets.cpp colormap_rgba() computes the same colours on the CPU.
uniform highp sampler2D u_input;
uniform ivec2 u_size;     // (W, H)
uniform int u_sample;     // n
uniform int u_channel;
uniform int u_mode;
uniform float u_lo, u_hi;
out vec4 out_value;

vec3 hue(float h) {  // h in [0, 1): the colour wheel
    vec3 k = clamp(abs(mod(h * 6.0 + vec3(0.0, 4.0, 2.0), 6.0) - 3.0) - 1.0, 0.0, 1.0);
    return k;
}

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    int y = p.y;  // texture row 0 is the picture's top row, as ImGui draws it
    vec4 v = texelFetch(u_input, ivec2((u_channel / 4) * u_size.x + p.x, u_sample * u_size.y + y), 0);
    vec4 v0 = texelFetch(u_input, ivec2(p.x, u_sample * u_size.y + y), 0);
    float c = v[u_channel % 4];
    float span = max(u_hi - u_lo, 1e-20);
    if (u_mode == 0) {
        out_value = vec4(clamp((v0.rgb - u_lo) / span, 0.0, 1.0), 1.0);
    } else if (u_mode == 1) {
        out_value = vec4(vec3(clamp((c - u_lo) / span, 0.0, 1.0)), 1.0);
    } else if (u_mode == 2) {
        float s = clamp(c / max(u_hi, 1e-20), -1.0, 1.0);
        vec3 white = vec3(0.92);
        out_value = vec4(s >= 0.0 ? mix(white, vec3(0.84, 0.24, 0.2), s) : mix(white, vec3(0.2, 0.43, 0.84), -s), 1.0);
    } else if (u_mode == 4) {
        out_value = vec4(vec3(clamp(length(v0.xy) / max(u_hi, 1e-20), 0.0, 1.0)), 1.0);
    } else {
        float magnitude = length(v0.xy);
        float angle = atan(v0.y, v0.x) / 6.2831853 + 0.5;
        out_value = vec4(hue(angle) * clamp(magnitude / max(u_hi, 1e-20), 0.0, 1.0), 1.0);
    }
}
