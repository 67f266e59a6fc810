#include "train_run.h"

#include <algorithm>
#include <cmath>

void train_run_start(TrainRun& run, const TrainRecipe& recipe, int64_t param_count) {
    run = TrainRun{};
    run.recipe = recipe;
    run.recipe.frozen = std::clamp<int64_t>(recipe.frozen, 0, param_count);
    optimizer_init(run.opt, recipe.optimizer, param_count - run.recipe.frozen);
}

float train_run_lr(const TrainRun& run, int count) {
    const TrainRecipe& r = run.recipe;
    if (!r.cosine || count == 0) return r.optimizer.lr;
    // counted in pictures, so that a change of batch size (or a run resumed at an epoch's start) stays on the curve
    return cosine_lr(r.optimizer.lr, int64_t(run.epoch) * count + run.cursor, int64_t(r.epochs) * count);
}

float train_run_step(TrainRun& run, Model& model, const Dataset& data) {
    const TrainRecipe& r = run.recipe;
    if (run.cursor == 0 || run.order.empty()) {
        Rng rng(r.seed * 1000003u + uint64_t(run.epoch));
        run.order = sample_order(data.count, r.shuffle ? &rng : nullptr);
    }
    const int n = std::min(r.batch, data.count - run.cursor);
    run.images.resize(size_t(r.batch) * size_t(data.rows) * size_t(data.cols));
    run.labels.resize(size_t(r.batch));
    gather_batch(run.images.data(), run.labels.data(), data, run.order, run.cursor, n);
    if (r.mirror) {
        Rng rng(r.seed * 7919u + uint64_t(run.step));
        random_mirror(run.images.data(), n, data.rows, data.cols, rng);
    }
    if (run.perturb) run.perturb(run.images.data(), run.labels.data(), n);
    zero_grad(model);
    model.label_smoothing = r.label_smoothing;
    model_forward(model, run.images.data(), n, true);
    const float loss = model_loss(model, run.labels.data(), n);
    if (!std::isfinite(loss) || loss > kDivergedLoss) return loss;
    model_backward(model, run.images.data(), run.labels.data(), n);
    run.opt.settings.lr = train_run_lr(run, data.count);
    const int64_t frozen = std::min<int64_t>(r.frozen, int64_t(model.params.size()));
    optimizer_step(run.opt, model.params.data() + frozen, model.grads.data() + frozen, int64_t(model.params.size()) - frozen);
    run.step++;
    run.cursor += n;
    if (run.cursor >= data.count) {
        run.cursor = 0;
        run.epoch++;
    }
    return loss;
}

double dataset_accuracy(Model& model, const Dataset& data, int count, int batch) {
    count = std::min(count, data.count);
    const int classes = int(output_size(model));
    const std::vector<int32_t> order = sample_order(count, nullptr);
    std::vector<float> images(size_t(batch) * size_t(data.rows) * size_t(data.cols));  // (batch, 1, rows, cols)
    std::vector<int32_t> labels(static_cast<size_t>(batch));
    int right = 0;
    for (int first = 0; first < count; first += batch) {
        const int n = std::min(batch, count - first);
        gather_batch(images.data(), labels.data(), data, order, first, n);
        const float* scores = model_forward(model, images.data(), n, false);
        for (int i = 0; i < n; i++) right += predicted_class(scores + int64_t(i) * classes, classes) == labels[size_t(i)];
    }
    return count > 0 ? double(right) / count : 0;
}
