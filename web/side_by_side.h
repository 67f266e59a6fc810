// side_by_side.h — networks trained side by side: the same pictures in the same order with the
// same recipe, a step of each in turn, for the labs that compare them (with and without a ReLU,
// with and without batch norm, plain and residual). Each runs the one training loop
// (engine/train_run.h); what it learns depends only on its description, the weights' seed and the
// recipe, never on how the steps are sliced over frames.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../engine/train_run.h"

struct Contender {
    std::string name;            // as the lab's state names it: "deep-relu"
    Model model;
    TrainRun run;
    std::vector<float> curve;    // (steps / kCurveEvery) the mean training loss of each kCurveEvery steps
    double loss_sum = 0;         // the next curve point, so far
    int loss_count = 0;
    double test_accuracy = -1;   // on the first test_pictures of the test set once trained, -1 before
    std::vector<float> accuracy_curve;  // (steps / accuracy_every) the test accuracy every accuracy_every steps, when asked for
    bool diverged = false;       // a step's loss passed kDivergedLoss: it stopped there
};

// Every kCurveEvery steps one point of a contender's loss curve.
constexpr int kCurveEvery = 10;

struct SideBySide {
    std::vector<Contender> contenders;
    int steps = 0;               // steps each one takes
    int test_pictures = 1000;    // how many test pictures measure the accuracy
    int accuracy_every = 0;      // steps between two points of each accuracy curve (0: the accuracy at the end only)
    bool running = false;
    double seconds = 0;          // time spent training and measuring so far
};

// One network to train: its name, its description (engine/model.h) and its recipe.
struct ContenderSpec {
    std::string name;
    std::string description;
    TrainRecipe recipe;           // with recipe.frozen, its first parameters stay as they start
    std::vector<float> start;     // where its parameters start ((P), the model's); empty: drawn from the weight seed
    std::vector<float> buffers;   // and its buffers (running statistics); empty: as initialised
};
// Builds each model with weights drawn from weight_seed (or its spec's start), and starts its run with its recipe for
// `steps` steps. "" or a message (the race is left as it was).
std::string side_by_side_start(SideBySide& race, const std::vector<ContenderSpec>& contenders, int steps, uint64_t weight_seed);
// The same recipe for every one: (name, description) pairs.
std::string side_by_side_start(SideBySide& race, const std::vector<std::pair<std::string, std::string>>& models,
                               const TrainRecipe& recipe, int steps, uint64_t weight_seed);
// Trains for about budget_ms (at least one step), a step of each contender in turn; measures each
// one's test accuracy when all steps are done. Returns true while there is more to do.
bool side_by_side_work(SideBySide& race, const Dataset& train, const Dataset& test, double budget_ms);
// {"state": "idle" | "training" | "done", "steps", "steps_done", "seconds",
//  "contenders": [{"name", "lr", "parameters", "trainable", "curve", "accuracy_curve", "last_loss", "test_accuracy" (null until
//  measured), "diverged"}]}
nlohmann::json side_by_side_json(const SideBySide& race);
