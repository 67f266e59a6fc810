// receptive_field_test.cpp — the receptive-field recurrence (engine/receptive_field.h) on cases
// worked out by hand, against the measured gradient support of networks whose weights are all
// positive, the effective field of the seed net; then the "receptive-field" lab through the page's API.
#include <doctest/doctest.h>

#include <imgui.h>

#include <string>
#include <vector>

#include "../engine/data.h"
#include "../engine/model_presets.h"
#include "../engine/receptive_field.h"
#include "../engine/safetensors.h"
#include "../web/app.h"
#include "lab_test_util.h"
#include "test_util.h"

// ---- the recurrence ---------------------------------------------------------------------------

static std::vector<ReceptiveField> fields_of(const std::vector<ConvAxis>& layers) {
    std::vector<ReceptiveField> f;
    Status s = receptive_fields(f, layers);
    INFO(s.message);
    REQUIRE(s.ok());
    REQUIRE(f.size() == layers.size() + 1);
    return f;
}

TEST_CASE("receptive field: stacked 3x3 convolutions see 3, 5, 7 pixels") {
    const ConvAxis c3 = conv_axis(3, 1, 1, 1);  // kernel 3, stride 1, padding 1, dilation 1
    auto f = fields_of({c3, c3, c3});
    CHECK(f[0].size == 1);  // the input sees itself
    CHECK(f[1].size == 3);  // r1 = 1 + (3-1)*1*1 = 3
    CHECK(f[2].size == 5);  // r2 = 3 + (3-1)*1*1 = 5
    CHECK(f[3].size == 7);  // r3 = 5 + (3-1)*1*1 = 7
    CHECK(f[3].jump == 1);  // j = 1*1*1*1
    // padding 1 each time: unit u of layer 3 starts at u - 3 (start = 0 - 1 - 1 - 1)
    CHECK(f[3].start == -3);
    CHECK(field_first(f[3], 10) == 7);  // unit 10 sees pixels 7..13
}

TEST_CASE("receptive field: stride, pooling and dilation grow it faster") {
    // stride 2 first: r1 = 3, j1 = 2; then r2 = 3 + (3-1)*1*2 = 7, r3 = 7 + (3-1)*1*2 = 11
    auto f = fields_of({conv_axis(3, 2, 1, 1), conv_axis(3, 1, 1, 1), conv_axis(3, 1, 1, 1)});
    CHECK(f[2].size == 7);
    CHECK(f[3].size == 11);
    CHECK(f[3].jump == 2);
    // the seed net: conv3, pool2, conv3, pool2 -> 3, 3 + (2-1)*1*1 = 4, 4 + (3-1)*1*2 = 8, 8 + (2-1)*1*2 = 10
    f = fields_of({conv_axis(3, 1, 1, 1), conv_axis(2, 2, 0, 1), conv_axis(3, 1, 1, 1), conv_axis(2, 2, 0, 1)});
    CHECK(f[1].size == 3);
    CHECK(f[2].size == 4);
    CHECK(f[3].size == 8);
    CHECK(f[4].size == 10);
    CHECK(f[4].jump == 4);   // 1*1*2*1*2
    CHECK(f[4].start == -3); // 0 - 1*1 (conv1) - 0 (pool) - 1*2 (conv2, jump 2) - 0
    // dilation 1, 2, 4: 3, 3 + (3-1)*2*1 = 7, 7 + (3-1)*4*1 = 15 (the WaveNet doubling)
    f = fields_of({conv_axis(3, 1, 1, 1), conv_axis(3, 1, 2, 2), conv_axis(3, 1, 4, 4)});
    CHECK(f[3].size == 15);
    CHECK(f[3].jump == 1);
    // one 5x5 sees what two 3x3 see (with 25 weights instead of 18)
    CHECK(fields_of({conv_axis(5, 1, 2, 1)})[1].size == fields_of({conv_axis(3, 1, 1, 1), conv_axis(3, 1, 1, 1)})[2].size);
    // a 1x1 convolution adds nothing: 1 + (1-1)*1*1 = 1
    CHECK(fields_of({conv_axis(1, 1, 0, 1)})[1].size == 1);
}

TEST_CASE("receptive field: impossible layers are messages") {
    std::vector<ReceptiveField> f;
    CHECK(receptive_fields(f, {conv_axis(3, 1, 1, 1), conv_axis(3, 0, 1, 1)}).message ==
          "layer 2: the stride must be at least 1 (it is 0)");
    CHECK(receptive_fields(f, {conv_axis(0, 1, 0, 1)}).message == "layer 1: the kernel must be at least 1 (it is 0)");
    CHECK(receptive_fields(f, {conv_axis(3, 1, 1, 0)}).message == "layer 1: the dilation must be at least 1 (it is 0)");
    std::vector<ConvAxis> huge(12, conv_axis(7, 64, 0, 1));  // the jump multiplies by 64 per layer: 64^12 = 2^72
    Status s = receptive_fields(f, huge);
    CHECK(s.message.find("the receptive field grows past") != std::string::npos);
    CHECK(f.empty());  // left unchanged
}

TEST_CASE("receptive field of a model's layers: the seed net") {
    Model m;
    REQUIRE(model_from_json(m, seed_model_json(), 1).ok());
    ReceptiveField rows, cols;
    REQUIRE(model_receptive_field(rows, cols, m, 0).ok());  // conv1
    CHECK(rows.size == 3);
    REQUIRE(model_receptive_field(rows, cols, m, 3).ok());  // conv2: 3, pool 4, conv 4 + 2*2 = 8
    CHECK(rows.size == 8);
    REQUIRE(model_receptive_field(rows, cols, m, 5).ok());  // pool2
    CHECK(rows.size == 10);
    CHECK(cols.size == 10);
    CHECK(rows.jump == 4);
    Status s = model_receptive_field(rows, cols, m, 7);  // fc1
    CHECK(s.message == "layer 6 (6) mixes every position of its input, so its units see the whole picture");
    CHECK(model_receptive_field(rows, cols, m, 40).message == "layer 40 is not in the model (it has 10 layers)");
}

// A network with every weight positive, fed a positive picture: every path from the unit back to
// the input carries a positive gradient, so the input gradient is nonzero exactly on the field.
struct SupportCase {
    const char* name;
    const char* layers;  // the model's layer list (ends with flatten)
    int unit_layer;      // the layer whose middle unit is measured
    bool contiguous;     // no dilation holes: the whole r x r square is nonzero
};

TEST_CASE("receptive field equals the measured gradient support of a net with positive weights") {
    const SupportCase cases[] = {
        {"three 3x3", R"([{"type":"conv","out":2,"kernel":3,"padding":1},{"type":"relu"},{"type":"conv","out":2,"kernel":3,"padding":1},
                          {"type":"relu"},{"type":"conv","out":1,"kernel":3,"padding":1},{"type":"flatten"}])", 4, true},
        {"stride 2 then 3x3", R"([{"type":"conv","out":1,"kernel":3,"stride":2,"padding":1},{"type":"conv","out":1,"kernel":3,"padding":1},{"type":"flatten"}])", 1, true},
        {"conv, avgpool, conv, avgpool", R"([{"type":"conv","out":3,"kernel":3,"padding":1},{"type":"avgpool","kernel":2},
                          {"type":"conv","out":2,"kernel":3,"padding":1},{"type":"avgpool","kernel":2},{"type":"flatten"}])", 3, true},
        {"dilation 1, 2", R"([{"type":"conv","out":1,"kernel":3,"padding":1},{"type":"conv","out":1,"kernel":3,"padding":2,"dilation":2},{"type":"flatten"}])", 1, true},
        {"5x5 stride 2, 3x3 stride 2, 3x3", R"([{"type":"conv","out":2,"kernel":5,"stride":2,"padding":2},{"type":"conv","out":2,"kernel":3,"stride":2,"padding":1},
                          {"type":"conv","out":1,"kernel":3,"padding":1},{"type":"flatten"}])", 2, true},
        {"one dilated 3x3", R"([{"type":"conv","out":1,"kernel":3,"padding":2,"dilation":2},{"type":"flatten"}])", 0, false},
    };
    for (const SupportCase& c : cases) {
        INFO(c.name);
        const int size = 31;
        Model m;
        Status s = model_from_json(m, R"({"input": [1, 31, 31], "layers": )" + std::string(c.layers) + "}", 1);
        INFO(s.message);
        REQUIRE(s.ok());
        Rng rng(3);
        for (float& p : m.params) p = 0.5f + rng.uniform();  // every weight and bias positive
        std::vector<float> picture = random_vec(size_t(size * size), rng, 0.5f, 1.5f);
        ReceptiveField rows, cols;
        REQUIRE(model_receptive_field(rows, cols, m, c.unit_layer).ok());
        const std::vector<int>& out = m.layers[size_t(c.unit_layer)].out_shape;
        const int uy = (out[1] - 1) / 2, ux = (out[2] - 1) / 2;
        std::vector<float> erf;
        REQUIRE(effective_receptive_field(erf, m, picture.data(), 1, c.unit_layer, 0, uy, ux).ok());
        // the nonzero region's bounding box
        int top = size, bottom = -1, left = size, right = -1, nonzero = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                if (erf[size_t(y * size + x)] != 0) {
                    top = std::min(top, y), bottom = std::max(bottom, y), left = std::min(left, x), right = std::max(right, x);
                    nonzero++;
                }
        const int64_t first_y = field_first(rows, uy), first_x = field_first(cols, ux);
        INFO("field rows " << first_y << ".." << first_y + rows.size - 1 << ", measured " << top << ".." << bottom);
        REQUIRE(first_y >= 0);  // the whole field lies inside the picture
        REQUIRE(first_y + rows.size <= size);
        CHECK(top == first_y);
        CHECK(bottom == first_y + rows.size - 1);
        CHECK(left == first_x);
        CHECK(right == first_x + cols.size - 1);
        if (c.contiguous) CHECK(nonzero == rows.size * cols.size);
        else CHECK(nonzero == 9);  // dilation 2: three taps a side, 5 pixels apart end to end, two holes between
    }
}

TEST_CASE("effective receptive field of the seed net: inside the field, bright in the middle") {
    Model m;
    REQUIRE(model_from_json(m, seed_model_json(), 1).ok());
    Rng rng(4);
    std::vector<float> pictures = random_vec(size_t(32 * 784), rng, 0.0f, 1.0f);
    const std::vector<float> params_before = m.params;
    std::vector<float> erf;
    REQUIRE(effective_receptive_field(erf, m, pictures.data(), 32, 5, -1, 3, 3).ok());  // pool2, unit [3,3], all channels
    CHECK(m.params == params_before);
    // pool2's unit [3,3] sees rows and columns -3 + 3*4 = 9 .. 18 (field 10, jump 4, start -3)
    double inside = 0, total = 0, middle = 0;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) {
            const double v = erf[size_t(y * 28 + x)];
            total += v;
            if (y >= 9 && y <= 18 && x >= 9 && x <= 18) inside += v;
            if (y >= 11 && y <= 16 && x >= 11 && x <= 16) middle += v;  // the middle 6x6 of the 10x10 (36% of its area)
        }
    REQUIRE(total > 0);
    CHECK(inside == total);        // not a trace outside the theoretical field
    CHECK(middle / total > 0.45);  // concentrated: spread evenly it would be 0.36
    CHECK(concentrated_size(erf, 28, 28, 9, 9, 10, 0.9) <= 10);
    // refused: a unit outside the layer, a layer past the model, batch norm
    CHECK(effective_receptive_field(erf, m, pictures.data(), 1, 5, 0, 7, 0).message == "unit [7, 0] is outside layer 5's 7 x 7 output");
    CHECK(effective_receptive_field(erf, m, pictures.data(), 1, 5, 8, 0, 0).message == "channel 8 is not in layer 5 (it has 8)");
    Model bn;
    REQUIRE(model_from_json(bn, preset_model_json("seed-bn"), 1).ok());
    CHECK(effective_receptive_field(erf, bn, pictures.data(), 1, 3, -1, 3, 3).message.find("batch norm") != std::string::npos);
}

TEST_CASE("concentrated_size shrinks the field while it holds the share") {
    // a 7x7 map: 1 in the middle 3x3, 0.1 in the ring around it, 0 outside a 5x5 square
    std::vector<float> map(49, 0.0f);
    for (int y = 1; y < 6; y++)
        for (int x = 1; x < 6; x++) map[size_t(y * 7 + x)] = (y >= 2 && y <= 4 && x >= 2 && x <= 4) ? 1.0f : 0.1f;
    // total = 9*1 + 16*0.1 = 10.6; the 5x5 holds all of it, the 3x3 holds 9/10.6 = 0.85, the middle pixel 1/10.6
    CHECK(concentrated_size(map, 7, 7, 0, 0, 7, 0.8) == 3);
    CHECK(concentrated_size(map, 7, 7, 0, 0, 7, 0.9) == 5);
    CHECK(concentrated_size(map, 7, 7, 0, 0, 7, 1.0) == 5);
    CHECK(concentrated_size(std::vector<float>(49, 0.0f), 7, 7, 0, 0, 7, 0.9) == 0);
}

// ---- the lab ----------------------------------------------------------------------------------

static json fresh() {
    g_events.clear();
    app_platform().post_event = record_event;
    return command({{"lab", "receptive-field"}, {"reset", true}, {"net", "stack"}});  // later commands go to the open lab
}

TEST_CASE("receptive-field lab: it opens on three 3x3 convolutions, 3 -> 5 -> 7") {
    json s = fresh();
    CHECK(s["lab"] == "receptive-field");
    CHECK(s["layers"].size() == 3);
    CHECK(s["fields"][0]["r_formula"] == "r1 = 1 + (3-1)*1*1 = 3");
    CHECK(s["fields"][1]["r_formula"] == "r2 = 3 + (3-1)*1*1 = 5");
    CHECK(s["fields"][2]["r_formula"] == "r3 = 5 + (3-1)*1*1 = 7");
    CHECK(s["fields"][2]["j_formula"] == "j3 = 1*1 = 1");
    CHECK(s["receptive_field"] == 7);
    CHECK(s["weights"] == 27);               // 3 * 3x3
    CHECK(s["single_conv_weights"] == 49);   // one 7x7
    // two 3x3 (1 + 2 + 2 = 5, 2*9 = 18 weights) against one 5x5 (1 + 4 = 5, 25 weights)
    CHECK(s["comparison"] == json::parse(R"({"two_3x3": {"field": 5, "weights": 18}, "one_5x5": {"field": 5, "weights": 25}})"));
    // the paths map: nonzero on exactly the 7 rows of the field
    const json paths = s["paths"];
    REQUIRE(paths.is_object());
    CHECK(paths["field"]["size"] == 7);
    CHECK(paths["support"]["first"] == paths["field"]["first"][0]);
    CHECK(paths["support"]["last"].get<int>() == paths["field"]["first"][0].get<int>() + 6);
    // paths from the unit down three 3x3 layers: 1D, the offsets (-1,0,1) reach the middle pixel in 7 ways (the 6
    // orders of -1,0,1 and 0,0,0) and a corner in 1; 2D: 7*7 = 49 against 1*1, so the corner reads 1/49 = 0.02
    const int first = paths["field"]["first"][0];
    CHECK(paths["map"][size_t(first + 3)][size_t(first + 3)] == 1.0);
    CHECK(paths["map"][size_t(first)][size_t(first)] == 0.02);
    // the random stack's effective field: nothing outside the field, more than an even share in the middle
    const json erf = s["erf"];
    CHECK(erf["net"] == "stack");
    CHECK(erf["outside"] == 0.0);
    CHECK(erf["middle"]["size"] == 3);
    CHECK(erf["middle"]["even_share"] == doctest::Approx(9.0 / 49));  // the middle 3x3 of 7x7, were it spread evenly
    INFO("three 3x3, random stack: middle 3x3 holds " << erf["middle"]["share"]);
    CHECK(erf["middle"]["share"].get<double>() > 1.5 * 9.0 / 49);
    CHECK(s["exercise"].is_null());
    CHECK(s["last_answer"].is_null());
}

TEST_CASE("receptive-field lab: editing the stack") {
    fresh();
    json s = command({{"add_layer", {{"type", "pool"}, {"kernel", 2}}}});
    CHECK(s["layers"][3] == json::parse(R"({"type": "pool", "kernel": 2, "stride": 2})"));
    CHECK(s["fields"][3]["r_formula"] == "r4 = 7 + (2-1)*1*1 = 8");
    s = command({{"add_layer", true}});  // a 3x3 conv after the pooling: 8 + (3-1)*1*2 = 12
    CHECK(s["receptive_field"] == 12);
    CHECK(s["jump"] == 2);
    s = command({{"remove_layer", 0}});  // 3x3, 3x3, pool, 3x3: 3, 5, 6, 10
    CHECK(s["receptive_field"] == 10);
    s = command({{"preset", "dilated"}});
    CHECK(s["receptive_field"] == 15);
    s = command({{"layers", {{{"type", "conv"}, {"kernel", 5}}}}});
    CHECK(s["receptive_field"] == 5);
    CHECK(s["weights"] == 25);
    s = command({{"preset", "deep"}});  // 8 layers: 1 + 8*2 = 17
    CHECK(s["receptive_field"] == 17);
    INFO("eight 3x3, random stack: middle 9x9 of 17x17 holds " << s["erf"]["middle"]["share"] << ", 90% within " << s["erf"]["effective_size"]);
    CHECK(s["erf"]["middle"]["size"] == 9);
    CHECK(s["erf"]["middle"]["share"].get<double>() > 2 * 81.0 / 289);  // deep: far more than an even spread's 0.28
    CHECK(s["erf"]["effective_size"].get<int>() < 17);
    refused({{"add_layer", true}}, "the stack has 8 layers, the most this lab takes");
}

TEST_CASE("receptive-field lab: bad commands are refused and change nothing") {
    fresh();
    refused({{"layers", json::array()}}, "\"layers\" must be a list of 1 to 8 layers");
    refused({{"layers", {{{"type", "conv"}, {"kernel", 9}}}}}, "layer 1: \"kernel\" must be between 1 and 7 (it is 9)");
    refused({{"layers", {{{"type", "conv"}, {"stride", 0}}}}}, "\"stride\" must be between 1 and 3");
    refused({{"layers", {{{"type", "pool"}, {"dilation", 2}}}}}, "a pooling has no dilation here");
    refused({{"layers", {{{"type", "fc"}}}}}, "\"type\" must be \"conv\" or \"pool\"");
    refused({{"layers", {{{"type", "conv"}, {"size", 3}}}}}, "size");
    refused({{"remove_layer", 5}}, "\"remove_layer\" must be between 0 and 2");
    refused({{"preset", "huge"}}, "no preset \"huge\"");
    refused({{"net", "resnet"}}, "\"net\" must be \"stack\"");
    refused({{"answer", 7}}, "there is no exercise to answer");
    refused({{"bogus", 1}}, "bogus");
    CHECK(g_events.empty());
}

TEST_CASE("receptive-field lab: a stack whose field is too large to draw keeps its numbers") {
    fresh();
    json layer = {{"type", "conv"}, {"kernel", 7}, {"stride", 3}, {"dilation", 4}};
    json s = command({{"layers", json::array({layer, layer, layer, layer, layer, layer, layer, layer})}});
    // r = 1 + 24*(1 + 3 + 9 + ... + 3^7) = 1 + 24*3280 = 78721
    CHECK(s["receptive_field"] == 78721);
    CHECK(s["paths"].is_null());
    CHECK(s["erf"]["map"].is_null());
    CHECK(s["erf"]["note"].get<std::string>().find("does not fit") != std::string::npos);
}

TEST_CASE("receptive-field lab: an exercise, answered wrong and right") {
    const json before = fresh()["score"];  // the score is the student's: a reset keeps it
    reset_progress();
    json s = command({{"new_exercise", 11}});
    CHECK(g_events == std::vector<std::string>{"exercise-new"});
    REQUIRE(s["exercise"].is_object());
    CHECK(command({{"new_exercise", 11}})["exercise"] == s["exercise"]);  // the same seed, the same stack
    // work the answer out from the exercise's layers with the recurrence written here by hand
    long long r = 1, j = 1;
    for (const json& L : s["exercise"]["layers"]) {
        const int k = L["kernel"], stride = L["stride"], d = L.value("dilation", 1);
        r += (k - 1) * d * j;
        j *= stride;
    }
    g_events.clear();
    s = command({{"answer", r + 1000}});  // no named mistake gives that
    CHECK(s["last_answer"]["correct"] == false);
    CHECK(s["last_answer"]["expected"] == r);
    CHECK(s["last_answer"]["given"] == r + 1000);
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("Not quite: r = 1 + ") == 0);
    s = command({{"answer", r}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["score"]["answered"] == before["answered"].get<int>() + 2);
    CHECK(s["score"]["correct"] == before["correct"].get<int>() + 1);
    CHECK(s["exercise"]["answered"] == true);
    CHECK(g_events == std::vector<std::string>{"answer", "answer"});
    CHECK(progress()["receptive-field"] == json::parse(R"({"answered": 2, "correct": 1})"));
    refused({{"answer", "seven"}}, "\"answer\" must be a number");
}

// Draws frames of the whole app with no GPU (the frame loop is where the seed net trains).
static void draw_frames(int n) { draw_app_frames(n); }

TEST_CASE("receptive-field lab: the seed net, random, then trained in the frame loop") {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    fresh();
    json s = command({{"net", "seed-trained"}});
    // not trained yet: the random start is shown, with a note
    CHECK(s["erf"]["net"] == "seed-random");
    CHECK(s["erf"]["note"].get<std::string>().find("not trained yet") != std::string::npos);
    CHECK(s["erf"]["field"]["size"] == 10);
    CHECK(s["erf"]["outside"] == 0.0);
    draw_frames(2);
    if (s["training"]["state"] != "trained") {
        s = command({{"train", true}});
        if (s["training"]["state"] == "unavailable") {  // no other lab had it delivered yet
            // no platform here: the request is answered at once with an error, shown in the lab
            CHECK(s["training"]["state"] == "unavailable");
            CHECK(s["training"]["note"].get<std::string>().find("could not be loaded") != std::string::npos);
            // then the files arrive, as the desktop or the browser hands them over
            deliver_dataset("fashion", "fashion-mnist");
        }
        CHECK(api_state()["training"]["state"] == "training");
        for (int i = 0; i < 2000 && api_state()["training"]["state"] == "training"; i++) draw_frames(1);
    }
    s = api_state();
    CHECK(s["training"]["state"] == "trained");
    CHECK(s["training"]["steps"] == 400);
    CHECK(s["training"]["test_accuracy"].get<double>() > 0.6);  // chance is 0.1
    CHECK(s["erf"]["net"] == "seed-trained");
    CHECK(s["erf"]["inputs"] == "test pictures");
    CHECK(s["erf"]["outside"] == 0.0);
    INFO("trained seed net: middle 6x6 of 10x10 holds " << s["erf"]["middle"]["share"]);
    CHECK(s["erf"]["middle"]["share"].get<double>() > 0.36);  // spread evenly: 36/100
    command({{"preset", "pool"}, {"net", "stack"}, {"new_exercise", 3}});
    draw_frames(2);
    ImGui::DestroyContext();
}
