// train_bench.cpp — training and inference speed of the seed network on Fashion-MNIST, single
// thread: batch 32 with Adam (lr 1e-3) for training, batch 256 for inference. Built natively and
// as WebAssembly for node; scripts/bench runs both beside PyTorch (bench/torch_bench.py).
//   train_bench DATA_DIR [train_steps]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../engine/data.h"
#include "../engine/model.h"
#include "../engine/optim.h"
#include "../engine/train_run.h"

// main() calls the training step through a volatile pointer so that no optimiser inlines it
// there: V8 swaps in its optimising compiler's code for a WebAssembly function only at the next
// call, never inside a call that is running, so a loop inlined into main() would run the baseline
// compiler's code for the whole benchmark (1.2-1.4x slower for the seed net under node 20).
static float (*volatile g_train_step)(TrainRun&, Model&, const Dataset&) = train_run_step;

static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int main(int argc, char** argv) {
    if (argc < 2) { std::fprintf(stderr, "usage: train_bench DATA_DIR [train_steps]\n"); return 2; }
    const int steps = argc > 2 ? std::atoi(argv[2]) : 600, warmup = 50, B = 32, IB = 256;
    Dataset train, test;
    if (Status s = load_idx_dataset(train, argv[1], "train"); !s.ok()) { std::fprintf(stderr, "%s\n", s.message.c_str()); return 1; }
    if (Status s = load_idx_dataset(test, argv[1], "t10k"); !s.ok()) { std::fprintf(stderr, "%s\n", s.message.c_str()); return 1; }
    Model model;
    if (Status s = model_from_json(model, seed_model_json(), 1); !s.ok()) return 1;
    if (!ensure_batch(model, IB).ok()) return 1;
    TrainRun run;  // the trainers' one loop (engine/train_run.h): shuffled with seed 1, Adam 1e-3
    train_run_start(run, TrainRecipe{.optimizer = {.kind = OptimizerKind::adam, .lr = 1e-3f}, .batch = B, .epochs = 100},
                    int64_t(model.params.size()));
    std::vector<float> images(size_t(IB) * 784);
    std::vector<int32_t> labels(IB);
    double t0 = 0, loss = 0;
    for (int step = 0; step < warmup + steps; step++) {
        if (step == warmup) t0 = now();
        loss = g_train_step(run, model, train);
    }
    const double train_rate = double(steps) * B / (now() - t0);
    // inference: the test set, twice (the first pass warms up)
    double infer_rate = 0;
    int correct = 0;
    std::vector<int32_t> test_order = sample_order(test.count, nullptr);
    for (int pass = 0; pass < 2; pass++) {
        correct = 0;
        const double t1 = now();
        for (int first = 0; first < test.count; first += IB) {
            const int n = std::min(IB, test.count - first);
            gather_batch(images.data(), labels.data(), test, test_order, first, n);
            const float* logits = model_forward(model, images.data(), n, false);
            for (int i = 0; i < n; i++) correct += predicted_class(logits + i * 10, 10) == labels[size_t(i)];
        }
        infer_rate = test.count / (now() - t1);
    }
    std::printf("train_img_per_s %.0f\ninfer_img_per_s %.0f\nfinal_loss %.4f\ntest_accuracy %.4f\n", train_rate, infer_rate, loss,
                double(correct) / test.count);
    return 0;
}
