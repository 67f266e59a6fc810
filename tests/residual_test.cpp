// residual_test.cpp — the "residual" lab through the API a page uses: the gradient each layer of a
// plain and a residual stack gets at initialization, the dense block's channels by hand, the two
// stacks trained side by side, bad input.
#include <doctest/doctest.h>

#include "../web/app.h"
#include "lab_test_util.h"

static json fresh() {
    g_events.clear();
    app_platform().post_event = record_event;
    json s = command({{"lab", "residual"}, {"reset", true}});
    if (s["source"] == "built-in pictures") {  // no platform: the files arrive as a platform hands them over
        deliver_dataset("fashion", "fashion-mnist");
        s = api_state();
    }
    REQUIRE(s["source"] == "Fashion-MNIST test pictures");
    return s;
}

TEST_CASE("residual lab: the gradient fades through a plain stack, not through a residual one") {
    json s = fresh();
    for (int blocks : {2, 6, 10}) {
        s = command({{"blocks", blocks}});
        const std::vector<double> plain = s["gradient_norms"]["plain"], residual = s["gradient_norms"]["residual"];
        REQUIRE(plain.size() == size_t(1 + 2 * blocks));  // the first convolution and two per block
        REQUIRE(residual.size() == plain.size());
        MESSAGE(blocks << " blocks: first / last layer's gradient, plain " << s["ratio"]["plain"] << ", residual " << s["ratio"]["residual"]);
        CHECK(residual.front() > plain.front());  // more gradient reaches the first layer through the skips
        CHECK(s["ratio"]["residual"].get<double>() > s["ratio"]["plain"].get<double>());
    }
    // deeper plain stacks pass less to their first layer
    const double shallow = command({{"blocks", 2}})["ratio"]["plain"], deep = command({{"blocks", 10}})["ratio"]["plain"];
    CHECK(deep < shallow);
}

TEST_CASE("residual lab: a dense block's channels grow by the growth rate") {
    fresh();
    const json s = command({{"dense", {{"k0", 16}, {"growth", 12}, {"layers", 6}}}});
    REQUIRE(s["dense_layers"].size() == 6);
    for (int l = 1; l <= 6; l++) {
        const json& row = s["dense_layers"][size_t(l - 1)];
        CHECK(row["layer"] == l);
        CHECK(row["in_channels"] == 16 + (l - 1) * 12);  // k0 + (l-1)·g: 16, 28, 40, 52, 64, 76
        CHECK(row["out_channels"] == 12);
        CHECK(row["input_kilobytes"].get<double>() == doctest::Approx((16 + (l - 1) * 12) * 784 * 4 / 1024.0));  // float32, 28x28
    }
}

TEST_CASE("residual lab: bad input is refused with a message and changes nothing") {
    fresh();
    refused({{"blocks", 11}}, "\"blocks\"");
    refused({{"dense", {{"k0", 0}}}}, "\"dense\": \"k0\"");
    refused({{"dense", {{"depth", 3}}}}, "\"dense\": ");
    refused({{"dense", 12}}, "\"dense\" must be");
    refused({{"answer", 3}}, "there is no exercise to answer");
    command({{"new_exercise", true}, {"seed", 2}});
    refused({{"answer", 2.5}}, "\"answer\" must be a whole number");
}

TEST_CASE("residual lab: the two stacks trained side by side" * doctest::test_suite("long training")) {
    fresh();
    json s = command({{"blocks", 6}, {"train", true}, {"train_steps", 1000}});
    CHECK(s["training"]["state"] == "training");
    const Lab* lab = find_lab("residual");
    while (lab->work(1000)) {
    }
    s = api_state();
    REQUIRE(s["training"]["state"] == "done");
    double plain = 0, residual = 0;
    for (const json& c : s["training"]["contenders"]) (c["name"] == "plain" ? plain : residual) = c["test_accuracy"];
    MESSAGE("1000 steps each (" << s["training"]["seconds"] << " s): plain " << plain << ", residual " << residual);
    // measured: plain 0.095 (its first layers hardly move), residual 0.711
    CHECK(residual > plain + 0.3);
}
