// hand_conv_test.cpp — the hand-convolution lab, driven through the same API a course page uses
// (window.cnnlab.command / state), plus a few frames drawn by ImGui with no window or GPU.
#include <doctest/doctest.h>

#include <imgui.h>

#include <string>
#include <vector>

#include "../web/app.h"
#include "lab_test_util.h"

static json fresh() {
    g_events.clear();
    app_platform().post_event = record_event;
    return command({{"lab", "hand-conv"}, {"reset", true}});
}

TEST_CASE("the lab opens on the white square and Sobel x") {
    json s = fresh();
    CHECK(api_labs()[0] == "hand-conv");  // the first lab in the list (tests/app_test.cpp checks the order)
    CHECK(s["lab"] == "hand-conv");
    CHECK(s["image"] == json::parse("[[0,0,0,0,0],[0,1,1,1,0],[0,1,1,1,0],[0,1,1,1,0],[0,0,0,0,0]]"));
    CHECK(s["kernel"] == json::parse("[[-1,0,1],[-2,0,2],[-1,0,1]]"));
    CHECK(s["stride"] == 1);
    CHECK(s["padding"] == 0);
    CHECK(s["dilation"] == 1);
    CHECK(s["flip"] == false);
    CHECK(s["output"] == json::parse("[[3,0,-3],[4,0,-4],[3,0,-3]]"));  // engine test: same numbers by hand
    CHECK(s["message"].is_null());
    CHECK(s["formula"]["rows"] == "floor((5 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 3");
    CHECK(s["parameters"] == 10);  // 3*3 weights + 1 bias
    CHECK(s["position"] == json::array({0, 0}));
    // window at [0,0]: rows 0..2, cols 0..2 = (0 0 0 / 0 1 1 / 0 1 1)
    CHECK(s["window"]["expression"] == "0*-1 + 0*0 + 0*1 + 0*-2 + 1*0 + 1*2 + 0*-1 + 1*0 + 1*1 = 3");
    CHECK(s["window"]["value"] == 3);
    CHECK(s["mode"] == "explore");
}

TEST_CASE("stepping the window") {
    fresh();
    json s = command({{"step", 1}});
    CHECK(s["position"] == json::array({0, 1}));
    CHECK(s["window"]["value"] == 0);
    s = command({{"step", 3}});  // reading order: [0,1] -> [0,2] -> [1,0] -> [1,1]
    CHECK(s["position"] == json::array({1, 1}));
    s = command({{"step", 100}});  // stops at the last cell
    CHECK(s["position"] == json::array({2, 2}));
    CHECK(s["window"]["value"] == -3);
    s = command({{"position", {1, 0}}});
    CHECK(s["window"]["value"] == 4);  // (0 1 1) in every row: 1 + 2 + 1
    refused({{"position", {3, 0}}}, "position [3, 0] is outside the output (3 x 3)");
    refused({{"position", {0.5, 0}}}, "\"position\" must be [row, column]");
}

TEST_CASE("stride, padding, dilation and flip") {
    fresh();
    json s = command({{"stride", 2}, {"padding", 1}});
    CHECK(s["output"] == json::parse("[[1,0,-1],[4,0,-4],[1,0,-1]]"));  // worked out in engine_conv_test
    CHECK(s["formula"]["cols"] == "floor((5 + 2*1 - 1*(3-1) - 1) / 2) + 1 = 3");
    s = command({{"stride", 1}, {"padding", "same"}});
    CHECK(s["output_size"] == json::array({5, 5}));
    CHECK(s["padding"] == "same");
    CHECK(s["padding_sides"] == json{{"top", 1}, {"bottom", 1}, {"left", 1}, {"right", 1}});
    s = command({{"padding", "full"}});
    CHECK(s["output_size"] == json::array({7, 7}));  // 5 + 2*2 - 2 - 1 + 1
    s = command({{"padding", "valid"}, {"flip", true}});
    CHECK(s["output"] == json::parse("[[-3,0,3],[-4,0,4],[-3,0,3]]"));
    s = command({{"flip", false}, {"image_preset", "ramp"}, {"dilation", 2}});
    CHECK(s["output"] == json::parse("[[16]]"));  // engine_conv_test: 4 + 8 + 4
    s = command({{"dilation", 1}, {"bias", 0.5}, {"image_preset", "white-square"}});
    CHECK(s["output"][0][0] == 3.5);
    CHECK(s["window"]["expression"].get<std::string>().find("+ 0.5 (bias) = 3.5") != std::string::npos);
}

TEST_CASE("settings without output explain why, and the lab keeps working") {
    fresh();
    json s = command({{"stride", 0}});
    CHECK(s["output"].is_null());
    CHECK(s["window"].is_null());
    CHECK(s["message"].get<std::string>().find("stride must be at least 1") != std::string::npos);
    CHECK(s["formula"]["rows"].get<std::string>().find("stride must be at least 1") != std::string::npos);
    s = command({{"stride", 1}, {"kernel", {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1},
                                            {1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}}}});
    CHECK(s["output"].is_null());
    CHECK(s["message"].get<std::string>().find("covers 6 rows but the padded input has only 5") != std::string::npos);
    CHECK(s["formula"]["rows"] == "floor((5 + 2*0 - 1*(6-1) - 1) / 1) + 1 = 0 (no output)");
    s = command({{"padding", 1}});  // 5 + 2 = 7 rows: room for the 6-row kernel twice
    CHECK(s["output_size"] == json::array({2, 2}));
    CHECK(s["output"] == json::parse("[[9,9],[9,9]]"));  // every 6x6 window of ones holds the whole 3x3 square
    s = command({{"padding", 1000}});
    CHECK(s["output"].is_null());
    CHECK(s["message"].get<std::string>().find("more than this lab lays out by hand") != std::string::npos);
    s = command({{"padding", -1}});
    CHECK(s["message"].get<std::string>().find("padding cannot be negative") != std::string::npos);
    s = command({{"padding", 0}, {"preset", "sobel-x"}});
    CHECK(s["output"] == json::parse("[[3,0,-3],[4,0,-4],[3,0,-3]]"));
}

TEST_CASE("bad commands are refused and change nothing") {
    fresh();
    command({{"stride", 2}});
    refused({{"stride", "two"}}, "\"stride\" must be a whole number");
    refused({{"stride", 1.5}}, "\"stride\" must be a whole number");
    refused({{"stride", 1e12}}, "\"stride\" must be between -1000 and 1000");
    refused({{"image", {{1, 2}, {3}}}}, "row 2 has 1 numbers but row 1 has 2");
    refused({{"image", {{1, "x"}}}}, "not a number");
    refused({{"image", 5}}, "must be rows of numbers");
    refused({{"image", {{1e30}}}}, "values must be between -1000000 and 1000000");
    refused({{"kernel", json::array({json::array({1, 1, 1, 1, 1, 1, 1, 1})})}}, "at most 7");
    refused({{"image", std::vector<std::vector<float>>(17, std::vector<float>(3, 0.0f))}}, "at most 16");
    refused({{"strdie", 1}}, "unknown field \"strdie\"");
    refused({{"padding", "sometimes"}}, "one of \"valid\", \"same\", \"full\"");
    refused({{"mode", "test"}}, "\"mode\" must be \"explore\" or \"exercise\"");
    refused({{"preset", "gaussian"}}, "no kernel preset \"gaussian\"");
    refused({{"answer", {{"value", 3}}}}, "answers are checked in exercise mode");
    refused({{"lab", "nope"}}, "there is no lab called \"nope\"");
    refused({{"lab", 3}}, "\"lab\" must be a lab id");
    // a good field next to a bad one: neither is applied
    refused({{"stride", 1}, {"dilation", "big"}}, "\"dilation\" must be a whole number");
    CHECK(api_state()["stride"] == 2);
    CHECK(json::parse(api_command_text("{not json"))["error"] == "the command is not valid JSON");
    // a message quoting 30 bytes of a name made of 2-byte characters cuts one in half: still valid JSON text
    std::string reply = api_command_text(R"({"preset": "ééééééééééééééééééééééééééééééé"})");
    CHECK(json::parse(reply, nullptr, false)["error"].get<std::string>().find("no kernel preset") == 0);
    CHECK(json::parse(api_command_text("[1,2]"))["error"] ==
          "a command must be an object, like {\"stride\": 2}");
}

TEST_CASE("an exercise: right and wrong answers, products and score") {
    fresh();
    json s = command({{"mode", "exercise"}});
    CHECK(s["answers"] == json::parse("[[null,null,null],[null,null,null],[null,null,null]]"));
    CHECK(s["exercise_score"] == json{{"correct", 0}, {"asked", 9}, {"attempts", 0}, {"revealed", 0}});
    CHECK(s["exercise"] == json::parse(R"({"seed": null, "cells": [[0,0],[0,1],[0,2],[1,0],[1,1],[1,2],[2,0],[2,1],[2,2]]})"));  // set up by hand

    s = command({{"answer", {{"position", {0, 0}}, {"value", 3}}}});
    CHECK(s["correct"][0][0] == true);
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("Right!") == 0);
    CHECK(g_events == std::vector<std::string>{"answer"});

    // [1,0] is 4; the student says 3 and got the middle-row product 1*2 wrong (typed 1)
    s = command({{"answer", {{"position", {1, 0}}, {"value", 3},
                             {"products", {{0, 0, 1}, {0, 0, 1}, {0, 0, 1}}}}}});
    CHECK(s["correct"][1][0] == false);
    CHECK(s["answers"][1][0] == 3);
    CHECK(s["last_answer"]["products_off"] == json::parse("[[1,2]]"));
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("1 product is off") != std::string::npos);
    // products right, sum wrong: the addition is the problem
    s = command({{"answer", {{"position", {1, 0}}, {"value", 5},
                             {"products", {{0, 0, 1}, {0, 0, 2}, {0, 0, 1}}}}}});
    CHECK(s["last_answer"]["products_off"] == json::array());
    CHECK(s["last_answer"]["feedback"].get<std::string>().find("check the addition") != std::string::npos);
    s = command({{"answer", {{"value", 4}}}});  // at the current window, [1,0]
    CHECK(s["correct"][1][0] == true);
    CHECK(s["exercise_score"] == json{{"correct", 2}, {"asked", 9}, {"attempts", 4}, {"revealed", 0}});
    // the fields every lab's exercise shares: four answers checked, two right; the last one's verdict
    CHECK(s["score"] == json{{"answered", 4}, {"correct", 2}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["last_answer"]["expected"] == 4);  // 0*-1 + 1*0 + 1*1 + 0*-2 + 1*0 + 1*2 + 0*-1 + 1*0 + 1*1 = 4
    CHECK(s["last_answer"]["given"] == 4);
    CHECK(s["last_answer"]["position"] == json{1, 0});

    // all the rest at once; one wrong
    s = command({{"answers", json::parse("[[null,0,-3],[null,0,-4],[3,0,-2]]")}});
    CHECK(s["correct"] == json::parse("[[true,true,true],[true,true,true],[true,true,false]]"));
    CHECK(s["complete"] == false);
    g_events.clear();
    s = command({{"answer", {{"position", {2, 2}}, {"value", -3}}}});
    CHECK(s["complete"] == true);
    CHECK(s["exercise_score"]["correct"] == 9);
    CHECK(g_events == std::vector<std::string>{"answer", "exercise-complete"});

    // rounding like a person is fine: 1/9 of the box blur typed as 0.11
    s = command({{"preset", "box-blur"}, {"answer", {{"position", {1, 1}}, {"value", 1.0}}}});
    CHECK(s["correct"][1][1] == true);  // the centre window holds all 9 ones: 9 * 1/9
    s = command({{"answer", {{"position", {0, 0}}, {"value", 0.44}}}});
    CHECK(s["correct"][0][0] == true);  // 4/9 = 0.444
    refused({{"answer", {{"position", {5, 5}}, {"value", 1}}}}, "outside the output");
    refused({{"answer", {{"value", "three"}}}}, "\"value\" must be a number");
}

TEST_CASE("new exercises are random but repeatable, and can ask for chosen cells") {
    fresh();
    json a = command({{"new_exercise", 42}});
    json b = command({{"new_exercise", 7}});
    json c = command({{"new_exercise", 42}});
    CHECK(a["image"] == c["image"]);
    CHECK(a["kernel"] == c["kernel"]);
    CHECK((a["image"] != b["image"] || a["kernel"] != b["kernel"]));
    CHECK(c["mode"] == "exercise");
    CHECK(c["exercise"]["seed"] == 42);
    int cells = c["output_size"][0].get<int>() * c["output_size"][1].get<int>();
    CHECK(cells >= 1);
    CHECK(cells <= 16);
    json s = command({{"cells", {{0, 0}}}});
    CHECK(s["exercise_score"]["asked"] == 1);
    s = command({{"answer", {{"position", {0, 0}}, {"value", c["output"][0][0]}}}});
    CHECK(s["complete"] == true);
    s = command({{"reveal", "all"}});
    CHECK(s["complete"] == true);
    CHECK(s["last_answer"]["revealed"] == true);  // shown, not answered: not counted
    CHECK(s["score"]["answered"] == 1);
    if (cells > 1) refused({{"answer", {{"position", {c["output_size"][0].get<int>() - 1, c["output_size"][1].get<int>() - 1}}, {"value", 0}}}}, "not part of this exercise");
    // a teacher's own exercise: set the problem, ask for one cell
    s = command({{"image", {{1, 2, 3}, {4, 5, 6}}}, {"kernel", {{1, 1}}}, {"bias", 0}, {"stride", 1}, {"padding", 0}, {"mode", "exercise"},
                 {"cells", {{1, 1}}}});
    CHECK(s["output"] == json::parse("[[3,5],[9,11]]"));
    CHECK(s["exercise_score"]["asked"] == 1);
}

TEST_CASE("1D mode: a row of numbers and a 1D kernel") {
    fresh();
    json s = command({{"dims", 1}});
    CHECK(s["image"] == json::parse("[[0,0,1,1,1,0,0]]"));
    CHECK(s["kernel"] == json::parse("[[1,-1]]"));
    CHECK(s["output"] == json::parse("[[0,-1,0,0,1,0]]"));  // x[i] - x[i+1]
    s = command({{"flip", true}});
    CHECK(s["output"] == json::parse("[[0,1,0,0,-1,0]]"));  // x[i+1] - x[i]
    s = command({{"flip", false}, {"image", {1, 2, 4, 8, 16}}, {"kernel", {1, 1}}, {"dilation", 2}});
    CHECK(s["output"] == json::parse("[[5,10,20]]"));
    CHECK(s["formula"]["cols"] == "floor((5 + 2*0 - 2*(2-1) - 1) / 1) + 1 = 3");
    refused({{"image", {{1, 2}, {3, 4}}}}, "1D mode: the image is one row");
    refused({{"preset", "sobel-y"}}, "no 1D form");
    s = command({{"preset", "laplacian"}, {"dilation", 1}, {"padding", "same"}});
    CHECK(s["kernel"] == json::parse("[[1,-2,1]]"));
    CHECK(s["output"] == json::parse("[[0,1,2,4,-24]]"));  // (0 1 2 4 8 16 0): 0-2+2, 1-4+4, 2-8+8, 4-16+16, 8-32+0
    s = command({{"dims", 2}});
    CHECK(s["output"] == json::parse("[[3,0,-3],[4,0,-4],[3,0,-3]]"));
}

TEST_CASE("a state sent back as a command gives the same state (links to a state)") {
    fresh();
    json s = command({{"stride", 2}, {"padding", "same"}, {"preset", "laplacian"}, {"position", {1, 1}}});
    command({{"reset", true}});
    json back = command(s);
    CHECK(back == s);
}

TEST_CASE("events: lab changes and exercises are posted for the page") {
    fresh();
    command({{"lab", "hand-conv"}});  // already open: no event
    CHECK(g_events.empty());
    command({{"new_exercise", 3}});
    CHECK(g_events == std::vector<std::string>{"exercise-new"});
}

// Draws frames of the whole app with ImGui and no GPU: the lab's drawing code runs in every mode.
static void draw_frames(int frames, ImVec2 mouse = ImVec2(-1, -1), bool mouse_down = false) {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60.0f;
    for (int i = 0; i < frames; i++) {
        io.MousePos = mouse;
        io.MouseDown[0] = mouse_down && i > 0;
        ImGui::NewFrame();
        AppView view;
        draw_app(view);
        ImGui::Render();
        CHECK(ImGui::GetDrawData()->TotalVtxCount > 1000);  // grids, text and widgets were drawn
    }
}

TEST_CASE("the lab draws in every mode without a GPU") {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the font atlas; no texture upload
    fresh();
    draw_frames(3);
    command({{"stride", 0}});
    draw_frames(2);
    command({{"stride", 1}, {"padding", 9}, {"flip", true}});
    draw_frames(2);
    command({{"padding", 0}, {"flip", false}, {"new_exercise", 5}, {"answer", {{"position", {0, 0}}, {"value", 99}}}});
    draw_frames(2);
    command({{"dims", 1}, {"image", std::vector<float>(32, 1.0f)}, {"mode", "explore"}, {"playing", true}, {"speed", 20}});
    draw_frames(10);
    CHECK(api_state()["position"][1].get<int>() >= 1);  // auto-play moved the window along
    command({{"dims", 2}, {"image", std::vector<std::vector<float>>(16, std::vector<float>(16, 0.5f))},
             {"kernel", {{1}}}, {"padding", 9}, {"stride", 1}});
    CHECK(api_state()["output_size"] == json::array({34, 34}));
    draw_frames(2);
    ImGui::DestroyContext();
    fresh();
}
