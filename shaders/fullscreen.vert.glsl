// fullscreen.vert.glsl — one triangle that covers the whole render target; every "compute" pass
// draws it, so the fragment shader runs once per output texel. No vertex buffers: the corners
// come from gl_VertexID.
void main() {
    vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));  // (0,0) (2,0) (0,2)
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
