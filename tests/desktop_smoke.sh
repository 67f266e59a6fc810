#!/usr/bin/env bash
# desktop_smoke.sh — the native desktop build, headless (SDL's offscreen video driver + Mesa's
# GLES3): renders frames of the hand-convolution lab after a command, saves the last one, and
# checks the picture (tests/frame_check.cpp) and the state the app reports.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p out/test
state=$(SDL_VIDEODRIVER=offscreen timeout 120 build/native/cnnlab --lab hand-conv --frames 5 \
  --screenshot out/test/desktop.png --command '{"position": [1, 0]}' --print-state)
rc=$?
echo "$state" | head -2 | cut -c1-200
[ $rc = 0 ] || { echo "FAIL the desktop app exited with $rc"; echo "desktop: 0 passed, 1 failed"; exit 1; }
build/native/frame_check out/test/desktop.png > out/test/frame_check.txt
frame_rc=$?
cat out/test/frame_check.txt
# The state printed at exit: the window the command moved, and the output the lab computed.
node -e '
  const s = JSON.parse(process.argv[1].split("\n").filter((l) => l.startsWith("{")).pop());
  const ok = JSON.stringify([s.lab, s.position, s.output]) === JSON.stringify(["hand-conv", [1, 0], [[3, 0, -3], [4, 0, -4], [3, 0, -3]]]);
  console.log((ok ? "PASS" : "FAIL") + " state after --command: " + JSON.stringify([s.lab, s.position, s.output]));
  process.exit(ok ? 0 : 1);' "$state"
state_rc=$?
passed=$(grep -c '^PASS' out/test/frame_check.txt)
failed=$(grep -c '^FAIL' out/test/frame_check.txt)
[ $state_rc = 0 ] && passed=$((passed + 1)) || failed=$((failed + 1))

# The image-kernel lab on the desktop: a photo from build/photos convolved by the GPU backend on
# Mesa, the value under the pointer the same as the engine's window sum.
ik=$(SDL_VIDEODRIVER=offscreen timeout 120 build/native/cnnlab --lab image-kernels --frames 6 \
  --screenshot out/test/desktop-image-kernels.png --command '{"image": "chelsea"}' --command '{"position": [150, 220]}' --print-state)
node -e '
  const s = JSON.parse(process.argv[1].split("\n").filter((l) => l.startsWith("{")).pop());
  const ok = s.image === "chelsea" && s.backend === "gpu" && Math.abs(s.output_at - s.window.value) < 1e-4;
  console.log((ok ? "PASS" : "FAIL") + " image-kernels on the desktop GPU: " + JSON.stringify([s.image, s.backend, s.output_at, s.window.value]));
  process.exit(ok ? 0 : 1);' "$ik" && passed=$((passed + 1)) || { failed=$((failed + 1)); state_rc=1; }
# The training lab on the desktop: Fashion-MNIST read from build/datasets, training in the frame loop.
tr=$(SDL_VIDEODRIVER=offscreen timeout 120 build/native/cnnlab --lab train --frames 40 --command '{"lab": "train", "action": "start"}' \
  --screenshot out/test/desktop-train.png --print-state)
node -e '
  const s = JSON.parse(process.argv[1].split("\n").filter((l) => l.startsWith("{")).pop());
  const ok = s.data_loaded && s.step > 20 && s.running && s.train_loss > 0 && s.train_loss < 2.3;
  console.log((ok ? "PASS" : "FAIL") + " training on the desktop: " + JSON.stringify([s.data_loaded, s.step, s.train_loss]));
  process.exit(ok ? 0 : 1);' "$tr" && passed=$((passed + 1)) || { failed=$((failed + 1)); state_rc=1; }

# The architectures lab on the desktop: ResNet-18 run once on a photo from build/photos, in slices
# between frames.
ar=$(SDL_VIDEODRIVER=offscreen timeout 120 build/native/cnnlab --lab architectures --frames 200 --command '{"network": "resnet18", "run": true}' \
  --screenshot out/test/desktop-architectures.png --print-state)
node -e '
  const s = JSON.parse(process.argv[1].split("\n").filter((l) => l.startsWith("{")).pop());
  const ok = s.forward.state === "done" && s.forward.input === "chelsea" && s.forward.layers_done === 69 && s.timings.forward_ms > 0;
  console.log((ok ? "PASS" : "FAIL") + " ResNet-18 run once on the desktop: " + JSON.stringify([s.forward, s.timings.forward_ms]));
  process.exit(ok ? 0 : 1);' "$ar" && passed=$((passed + 1)) || { failed=$((failed + 1)); state_rc=1; }

echo "desktop: $passed passed, $failed failed"
[ $frame_rc = 0 ] && [ $state_rc = 0 ]
