// image_kernels_test.cpp — the image-kernel lab through the page's API, with no GPU and no window
// (so on the CPU path): presets, settings, the window under a pixel, bad commands, pictures.
#include <doctest/doctest.h>

#include <imgui.h>

#include "../web/app.h"

static json ik(const json& c) {
    json command = c;
    command["lab"] = "image-kernels";
    json reply = api_command(command);
    INFO("command " << command.dump() << " -> " << reply.dump().substr(0, 300));
    REQUIRE_FALSE(reply.contains("error"));
    return reply;
}

static std::string ik_error(const json& c) {
    json command = c;
    command["lab"] = "image-kernels";
    json before = api_state();
    json reply = api_command(command);
    CHECK(api_state()["kernel"] == before["kernel"]);
    return reply.value("error", "");
}

// Draws frames with ImGui and no GPU: the lab computes on the CPU.
static void frames(int n) {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60.0f;
    for (int i = 0; i < n; i++) {
        ImGui::NewFrame();
        AppView view;
        draw_app(view);
        ImGui::Render();
    }
}

TEST_CASE("image kernels: the hand lab's square through Sobel x, computed on the CPU") {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    json s = ik({{"image", "square"}, {"preset", "sobel-x"}, {"padding", "same"}, {"stride", 1}, {"dilation", 1}, {"color", false},
                 {"position", {1, 0}}});
    CHECK(s["image"] == "square");
    CHECK(s["width"] == 5);
    CHECK(s["output_size"] == json::array({5, 5, 1}));  // same padding keeps 5x5
    CHECK(s["backend"] == "cpu");                      // no GPU here
    CHECK(s["gpu_available"] == false);
    // output [1,0] reads rows 0..2, cols -1..1: the left column is padding, the right one (col 1) is
    // white in rows 1 and 2: 2*1 + 1*1 = 3, the same as the hand lab's out[0][0] one window over
    CHECK(s["window"]["value"] == 3);
    frames(3);  // draws: the lab computes its output on the CPU
    s = api_state();
    CHECK(s["output_at"] == 3);
    CHECK(s["frame_ms"].get<double>() > 0);
    s = ik({{"position", {2, 4}}});  // the right edge: 1*-1 + 2*-1 + 1*-1 = -4 (white on the left, padding on the right)
    CHECK(s["window"]["value"] == -4);
    frames(1);
    CHECK(api_state()["output_at"] == -4);

    s = ik({{"preset", "gradient-magnitude"}});
    CHECK(s["output_size"] == json::array({5, 5, 2}));  // Sobel x and y together
    CHECK(s["kernel_y"] == json::parse("[[-1,-2,-1],[0,0,0],[1,2,1]]"));
    s = ik({{"preset", "gaussian"}, {"sigma", 0.5}});
    CHECK(s["kernel"].size() == 3);  // 2*ceil(2*0.5)+1
    double total = 0;
    for (const auto& row : s["kernel"])
        for (const auto& v : row) total += v.get<double>();
    CHECK(total == doctest::Approx(1.0));
    s = ik({{"preset", "identity"}, {"stride", 2}, {"padding", "valid"}});
    CHECK(s["output_size"] == json::array({2, 2, 1}));  // floor((5-2-1)/2)+1
    s = ik({{"kernel", {{1, 1}, {1, 1}}}, {"padding", 0}, {"stride", 1}, {"color", true}, {"position", {0, 0}}});
    CHECK(s["preset"] == "custom");
    CHECK(s["output_size"] == json::array({4, 4, 3}));  // R, G, B each filtered on their own
    CHECK(s["window"]["value"] == 1);                    // the top-left 2x2 holds one white pixel
    frames(1);
    ik({{"color", false}, {"preset", "sobel-x"}, {"padding", "same"}});
    ImGui::DestroyContext();
}

TEST_CASE("image kernels: bad commands and missing pictures are explained") {
    CHECK(ik_error({{"preset", "blurry"}}).find("no preset \"blurry\"") == 0);
    CHECK(ik_error({{"kernel", {{1, 2}, {3}}}}).find("row 2 has 1 numbers") != std::string::npos);
    CHECK(ik_error({{"kernel", std::vector<std::vector<float>>(8, std::vector<float>(3, 0.0f))}}).find("at most 7") != std::string::npos);
    CHECK(ik_error({{"stride", 0}}) == "\"stride\" must be between 1 and 8 (it is 0)");
    CHECK(ik_error({{"backend", "gpu"}}).find("the GPU backend is not available") == 0);
    CHECK(ik_error({{"backend", "tpu"}}) == "\"backend\" must be \"cpu\" or \"gpu\"");
    CHECK(ik_error({{"image", "dog"}}).find("no picture called \"dog\"") == 0);
    CHECK(ik_error({{"sigma", 100}}).find("\"sigma\" must be a number between") == 0);
    // no platform here to load photos: the request is answered with a note, the picture stays
    json s = ik({{"image", "coffee"}});
    CHECK(s["image"] == "square");
    CHECK(s["loading"] == false);
    CHECK(s["note"].get<std::string>().find("Picture not changed") == 0);
    // a picture arriving for the lab (the platform scales to at most 1024 a side): scaled to fit 512
    // pixels, with a note
    Picture big;
    big.name = "file:big.png";
    big.width = big.original_width = 1020;
    big.height = big.original_height = 600;
    big.rgba.assign(size_t(1020) * 600 * 4, 128);
    api_command({{"lab", "image-kernels"}});
    picture_arrived(big);
    s = api_state();
    CHECK(s["image"] == "file:big.png");
    CHECK(s["width"] == 510);  // 1020 / 2 (blocks of 2x2 pixels averaged)
    CHECK(s["note"].get<std::string>().find("scaled down from 1020x600 to 510x300") != std::string::npos);
    ik({{"image", "square"}});
    api_command({{"lab", "hand-conv"}});
}
