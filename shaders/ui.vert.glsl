// ui.vert.glsl — the UI's triangles (Dear ImGui's draw lists): a position in screen pixels, a
// texture coordinate and a colour per corner. `projection` maps pixels to clip space.
#if __VERSION__ < 300  // WebGL1 (GLSL ES 1.00): the same shader in the older words
#define in attribute
#define out varying
#endif
uniform mat4 projection;
in vec2 position;  // pixels, (0,0) at the top left
in vec2 uv;        // into the bound texture (the font atlas, or a picture)
in vec4 color;     // RGBA, 0..1
out vec2 frag_uv;
out vec4 frag_color;
void main() {
    frag_uv = uv;
    frag_color = color;
    gl_Position = projection * vec4(position, 0.0, 1.0);
}
