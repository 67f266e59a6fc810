#include "side_by_side.h"

#include <algorithm>
#include <chrono>

std::string side_by_side_start(SideBySide& race, const std::vector<ContenderSpec>& contenders, int steps, uint64_t weight_seed) {
    SideBySide next;
    next.steps = steps;
    next.test_pictures = race.test_pictures;
    next.accuracy_every = race.accuracy_every;
    for (const ContenderSpec& spec : contenders) {
        Contender c;
        c.name = spec.name;
        Status s = model_from_json(c.model, spec.description, weight_seed);
        if (s.ok() && !spec.start.empty()) {
            if (spec.start.size() != c.model.params.size() || (!spec.buffers.empty() && spec.buffers.size() != c.model.buffers.size()))
                s = error_status("its starting weights do not fit it");
            else c.model.params = spec.start;
            if (s.ok() && !spec.buffers.empty()) c.model.buffers = spec.buffers;
        }
        if (s.ok()) s = ensure_batch(c.model, spec.recipe.batch);
        if (!s.ok()) return "the network \"" + spec.name + "\" could not be built: " + s.message;
        train_run_start(c.run, spec.recipe, int64_t(c.model.params.size()));
        next.contenders.push_back(std::move(c));
    }
    next.running = !next.contenders.empty() && steps > 0;
    race = std::move(next);
    return "";
}

// Accuracy on the first `count` test pictures, recipe.batch at a time.
static double test_accuracy(Contender& c, const Dataset& test, int count) {
    return dataset_accuracy(c.model, test, count, c.run.recipe.batch);
}

bool side_by_side_work(SideBySide& race, const Dataset& train, const Dataset& test, double budget_ms) {
    if (!race.running) return false;
    const auto start = std::chrono::steady_clock::now();
    auto elapsed_ms = [&] { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(); };
    bool more = true;
    do {
        more = false;
        for (Contender& c : race.contenders) {
            if (c.diverged || c.run.step >= race.steps) continue;
            const float loss = train_run_step(c.run, c.model, train);
            if (!(loss <= kDivergedLoss)) {
                c.diverged = true;
                continue;
            }
            if (race.accuracy_every > 0 && c.run.step % race.accuracy_every == 0)
                c.accuracy_curve.push_back(float(test_accuracy(c, test, race.test_pictures)));
            c.loss_sum += loss;
            if (++c.loss_count == kCurveEvery) {
                c.curve.push_back(float(c.loss_sum / kCurveEvery));
                c.loss_sum = 0;
                c.loss_count = 0;
            }
            more |= c.run.step < race.steps;
        }
    } while (more && elapsed_ms() < budget_ms);
    if (!more) {
        for (Contender& c : race.contenders)
            if (!c.diverged) c.test_accuracy = test_accuracy(c, test, race.test_pictures);
        race.running = false;
    }
    race.seconds += elapsed_ms() / 1000.0;
    return race.running;
}

std::string side_by_side_start(SideBySide& race, const std::vector<std::pair<std::string, std::string>>& models,
                               const TrainRecipe& recipe, int steps, uint64_t weight_seed) {
    std::vector<ContenderSpec> specs;
    for (const auto& [name, description] : models) specs.push_back({name, description, recipe, {}, {}});
    return side_by_side_start(race, specs, steps, weight_seed);
}

nlohmann::json side_by_side_json(const SideBySide& race) {
    nlohmann::json contenders = nlohmann::json::array();
    int64_t steps_done = 0;
    for (const Contender& c : race.contenders) {
        steps_done = std::max(steps_done, c.run.step);
        contenders.push_back({{"name", c.name}, {"lr", c.run.recipe.optimizer.lr}, {"parameters", c.model.params.size()},
                              {"trainable", int64_t(c.model.params.size()) - c.run.recipe.frozen}, {"curve", c.curve},
                              {"accuracy_curve", c.accuracy_curve},
                              {"last_loss", c.curve.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.curve.back())},
                              {"test_accuracy", c.test_accuracy < 0 ? nlohmann::json(nullptr) : nlohmann::json(c.test_accuracy)},
                              {"diverged", c.diverged}});
    }
    const char* state = race.running ? "training" : race.contenders.empty() ? "idle" : "done";
    return {{"state", state}, {"steps", race.steps}, {"steps_done", steps_done}, {"seconds", race.seconds}, {"contenders", contenders}};
}
