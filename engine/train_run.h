// train_run.h — the one training loop every trainer drives: the command line (cnnlab-train), the
// training lab, the receptive-field lab's seed net and the benchmarks.
//
// A TrainRun holds what a run needs besides the model and the data: the recipe, the optimizer's
// state and where the run is. train_run_step takes one step on the next batch. What a step sees
// depends only on the recipe and the run's position, never on who drives it or how the steps
// are sliced over frames:
//   the order of epoch e     sample_order(N, Rng(seed * 1000003 + e)), or the file's order
//   the pictures mirrored    random_mirror(batch, Rng(seed * 7919 + step)), with recipe.mirror
//   the learning rate        lr, or with recipe.cosine cosine_lr(lr, pictures done, epochs * N)
// so the same recipe and seed give the same weights, bit for bit, from the command line in
// native code, from its WebAssembly build and from the training lab in the page.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "data.h"
#include "model.h"
#include "optim.h"

struct TrainRecipe {
    OptimizerSettings optimizer;   // kind, base learning rate, momentum, ...
    int batch = 32;                // pictures per step (the last step of an epoch may have fewer)
    int epochs = 5;                // the run's length: the cosine schedule reaches 0 at its end
    bool cosine = false;           // the rate falls along half a cosine to 0 over the run
    bool mirror = false;           // each training picture turned left-right with probability 1/2
    bool shuffle = true;           // false: every epoch in the file's order
    float label_smoothing = 0.0f;  // the loss's target (1-eps)*onehot + eps/classes; 0: plain one-hot
    uint64_t seed = 1;             // the pictures' order and which are mirrored (the weights' start is the model's)
    int64_t frozen = 0;            // the first `frozen` parameters are never updated: with params_before_layer(model, k),
                                   // layers 0..k-1 are frozen (transfer learning's feature extraction)
    bool operator==(const TrainRecipe&) const = default;
};

struct TrainRun {
    TrainRecipe recipe;
    Optimizer opt;                 // its state for the model's parameters
    int epoch = 0;                 // epochs finished
    int cursor = 0;                // the next picture of this epoch's order
    int64_t step = 0;              // steps taken
    std::vector<int32_t> order;    // (N) this epoch's order of the training pictures; empty until drawn
    std::vector<float> images;     // (batch, 1, rows, cols) the batch of the last step
    std::vector<int32_t> labels;   // (batch)
    // Optional: changes each batch (images (n, 1, rows, cols), labels (n)) before the step, after the
    // mirror; adversarial training puts attacked pictures in it. Set after train_run_start.
    std::function<void(float* images, const int32_t* labels, int n)> perturb;
};

// A loss past this (an untrained network's is about ln(10) = 2.3) means the weights blew up:
// the step is not taken, and they will not come back.
constexpr float kDivergedLoss = 1000.0f;

// The share of the first `count` pictures of `data` (the file's order) that the model, as at test time,
// classifies right, `batch` at a time. Needs ensure_batch(model, batch).
double dataset_accuracy(Model& model, const Dataset& data, int count, int batch);

// Starts a run from step 0 with a fresh optimizer for the `param_count - recipe.frozen` parameters it trains.
void train_run_start(TrainRun& run, const TrainRecipe& recipe, int64_t param_count);
// The learning rate the next step uses, for a training set of `count` pictures.
float train_run_lr(const TrainRun& run, int count);
// One step: the next batch of `data`, the forward pass and the loss, then, when the loss is finite
// and at most kDivergedLoss, the backward pass and the optimizer's step. Returns the loss; on a
// loss past that, nothing moves (weights, step, cursor) and the caller stops the run. After the
// last batch of an epoch, epoch + 1 and cursor 0. Needs ensure_batch(model, recipe.batch).
float train_run_step(TrainRun& run, Model& model, const Dataset& data);
