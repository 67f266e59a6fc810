# scripts/env.sh — paths and environment shared by the scripts (sourced, not run).
# The cache lives outside the checkout so that a fresh clone on the same machine reuses it.
export CNNLAB_CACHE=${CNNLAB_CACHE:-$HOME/.cache/cnnlab}
export CNNLAB_SDL2_WASM=$CNNLAB_CACHE/sdl2-wasm          # SDL2 built for WebAssembly (include/, lib/)
export EM_CACHE=$CNNLAB_CACHE/emscripten-cache           # writable copy of Debian's frozen cache
export EM_FROZEN_CACHE=                                  # empty string, not 0 (toolchain.md)
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}   # lets emcc find Debian's acorn
