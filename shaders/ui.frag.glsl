// ui.frag.glsl — the texture's colour times the corner colours (text: white glyphs tinted;
// shapes: a white texel of the font atlas, so just the colour).
#if __VERSION__ < 300  // WebGL1 (GLSL ES 1.00): the same shader in the older words
#define in varying
#define texture texture2D
#define out_color gl_FragColor
#else
out vec4 out_color;
#endif
uniform sampler2D sampled;
in vec2 frag_uv;
in vec4 frag_color;
void main() {
    out_color = frag_color * texture(sampled, frag_uv);
}
