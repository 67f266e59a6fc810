// train_cli.cpp — cnnlab-train: trains a CNN on an MNIST-format dataset from the command line.
// The same program runs natively and as WebAssembly under node (build/wasm/cnnlab-train.js); its
// main() is train_cli_main.cpp, and the tests call train_cli() in-process (train_cli.h).
//
//   cnnlab-train --data DIR [--model seed|FILE.json] [--recipe] [--epochs E] [--batch B] [--lr LR]
//                [--optimizer sgd|adam] [--momentum M] [--weight-decay WD] [--seed S]
//                [--init FILE.safetensors] [--save FILE.safetensors] [--steps N] [--no-shuffle]
//                [--log-every N] [--cosine]
// --recipe: the preset's own training settings (engine/model_presets.cpp, what the training lab
// applies when the preset is chosen), for each of them not given on the command line.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data.h"
#include "model.h"
#include "model_presets.h"
#include "optim.h"
#include "train_cli.h"
#include "train_run.h"

namespace {

struct Options {
    std::string data, model = "seed", init, save;
    TrainRecipe recipe = [] { TrainRecipe r; r.epochs = 1; return r; }();  // --cosine, --mirror, --seed, ... (train_run.h)
    int log_every = 100;
    int64_t steps = -1;  // stop after this many steps in all (-1: run every epoch)
    bool lr_given = false, label_smoothing_given = false, epochs_given = false, batch_given = false, optimizer_given = false;
    bool use_recipe = false;  // --recipe: the preset's settings where none are given
};

const char* kUsage =
    "usage: cnnlab-train --data DIR [--model seed|seed-bn|residual|wide|deep|mlp|FILE.json] [--recipe] [--epochs E] [--batch B] [--lr LR]\n"
    "                    [--optimizer sgd|adam] [--momentum M] [--weight-decay WD] [--seed S]\n"
    "                    [--init FILE.safetensors] [--save FILE.safetensors] [--steps N] [--no-shuffle] [--log-every N] [--cosine] [--mirror]\n"
    "                    [--label-smoothing EPS]\n"
    "  DIR holds train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]\n"
    "  --recipe: the preset's own training settings (as the training lab applies them), where none are given\n";

bool parse_number(const char* text, double lo, double hi, double& out) {
    char* end = nullptr;
    out = std::strtod(text, &end);
    return end != text && *end == 0 && std::isfinite(out) && out >= lo && out <= hi;
}

// Fills `o` from the arguments; returns "" or what was wrong.
std::string parse_options(int argc, const char* const* argv, Options& o) {
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        if (a == "--no-shuffle") { o.recipe.shuffle = false; continue; }
        if (a == "--cosine") { o.recipe.cosine = true; continue; }
        if (a == "--recipe") { o.use_recipe = true; continue; }
        if (a == "--mirror") { o.recipe.mirror = true; continue; }
        if (a == "-h" || a == "--help") return "help";
        if (i + 1 >= argc) return a + " needs a value (or is unknown)";
        const char* v = argv[++i];
        double x = 0;
        auto number = [&](double lo, double hi) {
            if (parse_number(v, lo, hi, x)) return true;
            return false;
        };
        if (a == "--data") o.data = v;
        else if (a == "--model") o.model = v;
        else if (a == "--init") o.init = v;
        else if (a == "--save") o.save = v;
        else if (a == "--optimizer") {
            if (!parse_optimizer_kind(v, o.recipe.optimizer.kind)) return std::string("--optimizer takes sgd or adam (not ") + v + ")";
            o.optimizer_given = true;
        }
        else if (a == "--epochs") { if (!number(1, 1000) || x != std::floor(x)) return "--epochs takes a whole number from 1 to 1000"; o.recipe.epochs = int(x); o.epochs_given = true; }
        else if (a == "--batch") { if (!number(1, 4096) || x != std::floor(x)) return "--batch takes a whole number from 1 to 4096"; o.recipe.batch = int(x); o.batch_given = true; }
        else if (a == "--steps") { if (!number(0, 1e9) || x != std::floor(x)) return "--steps takes a whole number from 0"; o.steps = int64_t(x); }
        else if (a == "--log-every") { if (!number(1, 1e9) || x != std::floor(x)) return "--log-every takes a whole number from 1"; o.log_every = int(x); }
        else if (a == "--seed") { if (!number(0, 4e18) || x != std::floor(x)) return "--seed takes a whole number from 0"; o.recipe.seed = uint64_t(x); }
        else if (a == "--lr") { if (!number(1e-12, 10)) return "--lr takes a number more than 0 and at most 10"; o.recipe.optimizer.lr = float(x); o.lr_given = true; }
        else if (a == "--momentum") { if (!number(0, 0.9999)) return "--momentum takes a number from 0 to below 1"; o.recipe.optimizer.momentum = float(x); }
        else if (a == "--label-smoothing") { if (!number(0, 1)) return "--label-smoothing takes a number from 0 to 1"; o.recipe.label_smoothing = float(x); o.label_smoothing_given = true; }
        else if (a == "--weight-decay") { if (!number(0, 0.9999)) return "--weight-decay takes a number from 0 to below 1"; o.recipe.optimizer.weight_decay = float(x); }
        else return "unknown option " + a;
    }
    if (o.data.empty()) return "--data DIR is required";
    if (o.use_recipe) {
        const ModelPreset* preset = nullptr;
        for (const ModelPreset& p : model_presets())
            if (o.model == p.id) preset = &p;
        if (!preset) return "--recipe needs a preset (--model " + o.model + " is not one)";
        const nlohmann::json r = nlohmann::json::parse(preset->recipe);
        if (!o.optimizer_given) o.recipe.optimizer.kind = r.value("optimizer", "adam") == "sgd" ? OptimizerKind::sgd : OptimizerKind::adam;
        if (!o.lr_given) { o.recipe.optimizer.lr = r.value("lr", 0.002f); o.lr_given = true; }
        if (!o.batch_given) o.recipe.batch = r.value("batch", 32);
        if (!o.epochs_given) o.recipe.epochs = r.value("epochs", 5);
        if (r.value("schedule", "constant") == "cosine") o.recipe.cosine = true;
        if (r.value("augment", "none") == "mirror") o.recipe.mirror = true;
        if (!o.label_smoothing_given) o.recipe.label_smoothing = r.value("label_smoothing", 0.0f);
    }
    if (!o.lr_given) o.recipe.optimizer.lr = o.recipe.optimizer.kind == OptimizerKind::adam ? 1e-3f : 0.01f;
    if (Status s = check_optimizer(o.recipe.optimizer); !s.ok()) return s.message;
    return "";
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// main() calls the training step through a volatile pointer so that no optimiser inlines it there:
// V8 switches a WebAssembly function to its optimising compiler's code only at the next call,
// never inside a running one, so the training loop inlined into main() would run the baseline
// compiler's code all along (the seed net trained about 1.3x slower under node 20 that way).
float (*volatile g_train_step)(TrainRun&, Model&, const Dataset&) = train_run_step;

int fail(const std::string& message) {
    std::fprintf(stderr, "cnnlab-train: %s\n", message.c_str());
    return 1;
}

}  // namespace

int train_cli(int argc, const char* const* argv) {
    Options o;
    std::string error = parse_options(argc, argv, o);
    if (error == "help") { std::printf("%s", kUsage); return 0; }
    if (!error.empty()) { std::fprintf(stderr, "cnnlab-train: %s\n%s", error.c_str(), kUsage); return 2; }

    std::string description = preset_model_json(o.model);  // seed, seed-bn, residual, wide, deep, mlp
    if (description.empty()) {
        std::vector<uint8_t> bytes;
        if (Status s = read_file(bytes, o.model, 1 << 20); !s.ok()) return fail("--model: " + s.message + " (use a preset: seed, seed-bn, residual, wide, deep, mlp; or a JSON description file)");
        description.assign(bytes.begin(), bytes.end());
    }
    Model model;
    if (Status s = model_from_json(model, description, o.recipe.seed); !s.ok()) return fail(s.message);
    if (!o.init.empty()) {
        NamedTensors state;
        if (Status s = safetensors_load(state, o.init); !s.ok()) return fail("--init: " + s.message);
        if (Status s = load_model_state(model, state); !s.ok()) return fail("--init " + o.init + ": " + s.message);
    }
    Dataset train, test;
    if (Status s = load_idx_dataset(train, o.data, "train"); !s.ok()) return fail(s.message);
    if (Status s = load_idx_dataset(test, o.data, "t10k"); !s.ok()) return fail(s.message);
    const std::vector<int>& in = model.input_shape;
    if (in[0] != 1 || in[1] != train.rows || in[2] != train.cols || test.rows != train.rows || test.cols != train.cols)
        return fail("the model takes " + shape_string(in) + " images but the data has 1x" + std::to_string(train.rows) + "x" +
                    std::to_string(train.cols));
    if (output_size(model) < train.classes)
        return fail("the model has " + std::to_string(output_size(model)) + " outputs but the data has " + std::to_string(train.classes) + " classes");
    if (Status s = ensure_batch(model, o.recipe.batch); !s.ok()) return fail(s.message);

    std::printf("cnnlab-train: %s model, %zu parameters; %d training and %d test images (%dx%d); %s lr %g%s, batch %d, %d epochs, %s; "
                "label smoothing %g\n",
                o.model.c_str(), model.params.size(), train.count, test.count, train.rows, train.cols, optimizer_name(o.recipe.optimizer.kind),
                double(o.recipe.optimizer.lr), o.recipe.cosine ? " (cosine decay)" : "", o.recipe.batch, o.recipe.epochs,
                o.recipe.shuffle ? (o.recipe.mirror ? "shuffled, half of the pictures mirrored" : "shuffled") : "in file order", double(o.recipe.label_smoothing));
    TrainRun run;
    train_run_start(run, o.recipe, int64_t(model.params.size()));
    const int steps_per_epoch = (train.count + o.recipe.batch - 1) / o.recipe.batch;
    for (int epoch = 1; epoch <= o.recipe.epochs && (o.steps < 0 || run.step < o.steps); epoch++) {
        const auto epoch_start = std::chrono::steady_clock::now();
        auto window_start = epoch_start;
        double loss_sum = 0, window_loss = 0;
        int seen = 0, window_images = 0, window_steps = 0, epoch_steps = 0;
        while (run.epoch < epoch && (o.steps < 0 || run.step < o.steps)) {
            const int n = std::min(o.recipe.batch, train.count - run.cursor);
            const float loss = g_train_step(run, model, train);
            if (!std::isfinite(loss) || loss > kDivergedLoss)
                return fail("the loss became " + std::to_string(loss) + " at step " + std::to_string(run.step + 1) +
                            ": the learning rate is probably too high");
            epoch_steps++;
            seen += n;
            loss_sum += double(loss) * n;
            window_loss += loss;
            window_images += n;
            window_steps++;
            if (run.step % o.log_every == 0) {
                std::printf("epoch %d step %d/%d  loss %.4f  %.0f img/s\n", epoch, epoch_steps, steps_per_epoch,
                            window_loss / window_steps, window_images / seconds_since(window_start));
                std::fflush(stdout);
                window_start = std::chrono::steady_clock::now();
                window_loss = 0;
                window_images = window_steps = 0;
            }
        }
        const double train_seconds = seconds_since(epoch_start);
        const double accuracy = dataset_accuracy(model, test, test.count, o.recipe.batch);
        std::printf("epoch %d: train loss %.4f over %d images, %.1f s (%.0f img/s); test accuracy %.4f on %d images\n", epoch,
                    seen ? loss_sum / seen : 0.0, seen, train_seconds, seen / train_seconds, accuracy, test.count);
        std::fflush(stdout);
    }
    if (!o.save.empty()) {
        NamedTensors state = model_state(model);
        state.metadata["format"] = "pt";
        if (Status s = safetensors_save(o.save, state); !s.ok()) return fail("--save: " + s.message);
        std::printf("saved %s (%zu tensors)\n", o.save.c_str(), state.tensors.size());
    }
    return 0;
}
