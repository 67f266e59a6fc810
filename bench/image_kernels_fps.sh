#!/usr/bin/env bash
# image_kernels_fps.sh — frames per second of the image-kernel lab in the desktop build, on whatever
# OpenGL ES 3 the machine has (Mesa llvmpipe here; a real GPU's driver elsewhere): the 512x512
# camera photo with Sobel x and with a 7x7 kernel, on the GPU and the CPU backend. Vsync is off
# (--frames), so a frame takes what the lab's work and the drawing take. Each case runs 20 and
# 220 frames; the difference over 200 frames leaves start-up (loading, shader compiles) out.
# Prints figures; asserts nothing. Needs build/native (scripts/build native).
#   bench/image_kernels_fps.sh [SDL_VIDEODRIVER, default offscreen]
set -euo pipefail
cd "$(dirname "$0")/.."
driver=${1:-offscreen}
k7=$(node -e 'console.log(JSON.stringify(Array.from({length: 7}, () => Array(7).fill(1 / 49))))')
run() {  # run FRAMES COMMAND_JSON: prints the seconds it took and the lab's frame_ms
  local start end state
  start=$(date +%s.%N)
  state=$(SDL_VIDEODRIVER=$driver timeout 300 build/native/cnnlab --lab image-kernels --size 1280x800 --frames "$1" \
    --command "$2" --print-state)
  end=$(date +%s.%N)
  node -e '
    const s = JSON.parse(process.argv[1].split("\n").filter((l) => l.startsWith("{")).pop());
    console.log(process.argv[2], s.frame_ms, s.backend, s.width, s.height, s.kernel.length, JSON.stringify(s.gpu_note || ""));' \
    "$state" "$(awk "BEGIN {print $end - $start}")"
}
echo "renderer: $(SDL_VIDEODRIVER=$driver build/native/cnnlab --lab image-kernels --frames 1 2>&1 | grep -m1 'cnnlab: OpenGL' || echo unknown)"
for kernel in sobel-x 7x7; do
  for backend in gpu cpu; do
    if [ $kernel = sobel-x ]; then c="{\"image\": \"camera\", \"preset\": \"sobel-x\", \"backend\": \"$backend\"}"
    else c="{\"image\": \"camera\", \"kernel\": $k7, \"backend\": \"$backend\"}"; fi
    read -r t1 ms1 _ <<< "$(run 20 "$c")"
    read -r t2 ms2 be w h k note <<< "$(run 220 "$c")"
    node -e '
      const [t1, t2, ms, be, w, h, k, note, name] = process.argv.slice(1);
      const per = (t2 - t1) / 200 * 1000;
      console.log(`${w}x${h} photo, ${name.padEnd(7)} on the ${be.toUpperCase()}: ${per.toFixed(1)} ms per frame (${(1000 / per).toFixed(1)} frames/s), ` +
                  `the convolution itself ${(+ms).toFixed(1)} ms ${note === "\"\"" ? "" : note}`);' \
      "$t1" "$t2" "$ms2" "$be" "$w" "$h" "$k" "$note" "$kernel"
  done
done
