// engine_conv_test.cpp — the reference convolution, checked against sums done by hand.
#include <doctest/doctest.h>

#include "../engine/conv.h"
#include "test_util.h"

// The lab's default image: a 3x3 white square (1) centred on a black (0) 5x5 grid.
static Tensor white_square() {
    return grid({{0, 0, 0, 0, 0},
                 {0, 1, 1, 1, 0},
                 {0, 1, 1, 1, 0},
                 {0, 1, 1, 1, 0},
                 {0, 0, 0, 0, 0}});
}
static Tensor sobel_x() { return grid({{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}}); }
static Tensor sobel_y() { return grid({{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}}); }

static Conv2dSpec spec_for(int H, int W, const Tensor& kernel, int stride, PaddingMode mode, int padding,
                           int dilation, bool flip) {
    Conv2dSpec spec;
    spec.rows = make_conv_axis(H, kernel.shape[2], stride, dilation, mode, padding);
    spec.cols = make_conv_axis(W, kernel.shape[3], stride, dilation, mode, padding);
    spec.flip = flip;
    return spec;
}

TEST_CASE("output size: floor((H + 2p - d(k-1) - 1)/s) + 1") {
    auto size = [](int H, int k, int s, int p, int d) {
        return conv_output_size(H, make_conv_axis(H, k, s, d, PaddingMode::number, p));
    };
    CHECK(size(5, 3, 1, 0, 1) == 3);    // (5 + 0 - 2 - 1)/1 + 1 = 3
    CHECK(size(28, 5, 1, 2, 1) == 28);  // (28 + 4 - 4 - 1)/1 + 1 = 28
    CHECK(size(7, 3, 2, 0, 1) == 3);    // (7 - 2 - 1)/2 + 1 = 2 + 1 = 3
    CHECK(size(32, 3, 2, 1, 1) == 16);  // (32 + 2 - 2 - 1)/2 + 1 = floor(15.5) + 1 = 16
    CHECK(size(5, 3, 1, 0, 2) == 1);    // (5 - 2*2 - 1)/1 + 1 = 1
    CHECK(size(4, 5, 1, 0, 1) == 0);    // the 5-wide kernel never fits in 4
    CHECK(size(1, 1, 1, 0, 1) == 1);
}

TEST_CASE("padding modes: valid, same, full") {
    ConvAxis valid = make_conv_axis(5, 3, 1, 1, PaddingMode::valid, 7);
    CHECK(valid.pad_before == 0);
    CHECK(valid.pad_after == 0);
    CHECK(conv_output_size(5, valid) == 3);

    ConvAxis full = make_conv_axis(5, 3, 1, 2, PaddingMode::full, 0);  // d(k-1) = 4 each side
    CHECK(full.pad_before == 4);
    CHECK(full.pad_after == 4);
    CHECK(conv_output_size(5, full) == 9);  // 5 + 8 - 4 - 1 + 1 = 9 = H + span - 1

    ConvAxis same3 = make_conv_axis(5, 3, 1, 1, PaddingMode::same, 0);  // total 2 -> 1 + 1
    CHECK(same3.pad_before == 1);
    CHECK(same3.pad_after == 1);
    CHECK(conv_output_size(5, same3) == 5);

    ConvAxis same2 = make_conv_axis(5, 2, 1, 1, PaddingMode::same, 0);  // total 1: the extra zero goes after
    CHECK(same2.pad_before == 0);
    CHECK(same2.pad_after == 1);
    CHECK(conv_output_size(5, same2) == 5);

    ConvAxis same_s2 = make_conv_axis(5, 3, 2, 1, PaddingMode::same, 0);  // ceil(5/2) = 3 outputs: (3-1)*2 + 3 - 5 = 2
    CHECK(same_s2.pad_before == 1);
    CHECK(same_s2.pad_after == 1);
    CHECK(conv_output_size(5, same_s2) == 3);
}

TEST_CASE("Sobel-x on the white square finds its left and right edges") {
    Tensor out;
    REQUIRE(conv2d(out, white_square(), sobel_x(), nullptr, spec_for(5, 5, sobel_x(), 1, PaddingMode::valid, 0, 1, false)).ok());
    // out[0][0]: rows 0..2, cols 0..2 of the image
    //   -1*0 + 0*0 + 1*0  +  -2*0 + 0*1 + 2*1  +  -1*0 + 0*1 + 1*1  =  0 + 2 + 1 = 3
    // out[1][0]: rows 1..3 are all (0 1 1): -1*0 + 1*1 + (-2*0 + 2*1) + (-1*0 + 1*1) = 4
    // out[0][1]: every row of the window is flat (0 0 0 or 1 1 1): left and right cancel, 0
    check_tensor(out, {1, 1, 3, 3}, {3, 0, -3,
                                     4, 0, -4,
                                     3, 0, -3});
}

TEST_CASE("Sobel-y on the white square finds its top and bottom edges") {
    Tensor out;
    REQUIRE(conv2d(out, white_square(), sobel_y(), nullptr, spec_for(5, 5, sobel_y(), 1, PaddingMode::valid, 0, 1, false)).ok());
    // Sobel-y is Sobel-x transposed and the square is symmetric, so the output is transposed too:
    // out[0][0] = -1*0 - 2*0 - 1*0 + 0 + 1*0 + 2*1 + 1*1 = 3
    check_tensor(out, {1, 1, 3, 3}, {3, 4, 3,
                                     0, 0, 0,
                                     -3, -4, -3});
}

TEST_CASE("true convolution flips the kernel: Sobel-x changes sign") {
    Tensor out;
    REQUIRE(conv2d(out, white_square(), sobel_x(), nullptr, spec_for(5, 5, sobel_x(), 1, PaddingMode::valid, 0, 1, true)).ok());
    // flipped Sobel-x = [[1,0,-1],[2,0,-2],[1,0,-1]] = -Sobel-x, so out[0][0] = 0 - 2 - 1 = -3
    check_tensor(out, {1, 1, 3, 3}, {-3, 0, 3,
                                     -4, 0, 4,
                                     -3, 0, 3});
    // A kernel that is symmetric under a 180-degree turn gives the same output either way.
    Tensor box = grid({{1, 1, 1}, {1, 1, 1}, {1, 1, 1}});
    Tensor a, b;
    REQUIRE(conv2d(a, white_square(), box, nullptr, spec_for(5, 5, box, 1, PaddingMode::valid, 0, 1, false)).ok());
    REQUIRE(conv2d(b, white_square(), box, nullptr, spec_for(5, 5, box, 1, PaddingMode::valid, 0, 1, true)).ok());
    CHECK(a.data == b.data);
    // centre window is the whole square: 9 ones = 9; a corner window holds 4 of them
    check_tensor(a, {1, 1, 3, 3}, {4, 6, 4,
                                   6, 9, 6,
                                   4, 6, 4});
}

TEST_CASE("stride 2 with padding 1") {
    Tensor out;
    REQUIRE(conv2d(out, white_square(), sobel_x(), nullptr, spec_for(5, 5, sobel_x(), 2, PaddingMode::number, 1, 1, false)).ok());
    // size: (5 + 2 - 2 - 1)/2 + 1 = 3. Windows start at rows/cols -1, 1, 3.
    // out[0][0]: rows -1..1, cols -1..1; only image row 1 (0 0 1 at cols -1,0,1) meets weights (-1 0 1): 1
    // out[1][0]: rows 1..3 each read (pad 0 1): 1*1 + 2*1 + 1*1 = 4
    // out[2][2]: rows 3..5, cols 3..5: only row 3 (1 0 pad) meets (-1 0 1): -1
    check_tensor(out, {1, 1, 3, 3}, {1, 0, -1,
                                     4, 0, -4,
                                     1, 0, -1});
}

TEST_CASE("dilation spreads the taps apart") {
    // ramp image: value = column index
    Tensor ramp = grid({{0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}});
    Tensor out;
    REQUIRE(conv2d(out, ramp, sobel_x(), nullptr, spec_for(5, 5, sobel_x(), 1, PaddingMode::valid, 0, 2, false)).ok());
    // span d(k-1)+1 = 5: one window, taps at columns 0, 2, 4 of rows 0, 2, 4
    // each row gives -1*0 + 0*2 + 1*4 = 4, scaled by 1, 2, 1: 4 + 8 + 4 = 16
    check_tensor(out, {1, 1, 1, 1}, {16});

    Tensor out1d;
    REQUIRE(conv1d(out1d, row({1, 2, 4, 8, 16}), row({1, 1}), nullptr, make_conv_axis(5, 2, 1, 2, PaddingMode::valid, 0), false).ok());
    // out[i] = x[i] + x[i+2]: 1+4, 2+8, 4+16
    check_tensor(out1d, {1, 1, 3}, {5, 10, 20});
}

TEST_CASE("the [1,-1] edge filter on a row") {
    Tensor out;
    Tensor signal = row({0, 0, 1, 1, 1, 0, 0});
    REQUIRE(conv1d(out, signal, row({1, -1}), nullptr, make_conv_axis(7, 2, 1, 1, PaddingMode::valid, 0), false).ok());
    // cross-correlation: out[i] = 1*x[i] - 1*x[i+1]: the step up (0 -> 1) gives -1, the step down +1
    check_tensor(out, {1, 1, 6}, {0, -1, 0, 0, 1, 0});
    REQUIRE(conv1d(out, signal, row({1, -1}), nullptr, make_conv_axis(7, 2, 1, 1, PaddingMode::valid, 0), true).ok());
    // true convolution uses the kernel reversed, (-1, 1): out[i] = x[i+1] - x[i]
    check_tensor(out, {1, 1, 6}, {0, 1, 0, 0, -1, 0});
    REQUIRE(conv1d(out, row({1, 2, 4, 8, 16}), row({1, 1}), nullptr, make_conv_axis(5, 2, 2, 1, PaddingMode::valid, 0), false).ok());
    // stride 2: (5 - 1 - 1)/2 + 1 = 2 windows: 1+2, 4+8
    check_tensor(out, {1, 1, 2}, {3, 12});
}

TEST_CASE("full, same and valid sizes on a row") {
    Tensor x = row({1, 2, 3}), k = row({1, 1}), out;
    REQUIRE(conv1d(out, x, k, nullptr, make_conv_axis(3, 2, 1, 1, PaddingMode::full, 0), false).ok());
    // full pads 1 each side: (0 1 2 3 0) -> 0+1, 1+2, 2+3, 3+0
    check_tensor(out, {1, 1, 4}, {1, 3, 5, 3});
    REQUIRE(conv1d(out, x, k, nullptr, make_conv_axis(3, 2, 1, 1, PaddingMode::same, 0), false).ok());
    // same pads 0 before, 1 after: (1 2 3 0) -> 3, 5, 3
    check_tensor(out, {1, 1, 3}, {3, 5, 3});
    REQUIRE(conv1d(out, x, k, nullptr, make_conv_axis(3, 2, 1, 1, PaddingMode::valid, 0), false).ok());
    check_tensor(out, {1, 1, 2}, {3, 5});
}

TEST_CASE("bias, batches and channels") {
    // two images, two channels each; two output channels
    Tensor inp;
    inp.shape = {2, 2, 2, 2};
    inp.data = {1, 2, 3, 4,   10, 20, 30, 40,     // image 0: channel 0, channel 1
                -1, -2, -3, -4, 0, 0, 0, 1};      // image 1
    Tensor weight;
    weight.shape = {2, 2, 1, 1};
    weight.data = {1, 0.5f,   0, -1};             // oc 0: c0 + 0.5*c1; oc 1: -c1
    Tensor bias;
    bias.shape = {2};
    bias.data = {100, 0};
    Conv2dSpec spec;  // 1x1 kernel, stride 1, no padding
    Tensor out;
    REQUIRE(conv2d(out, inp, weight, &bias, spec).ok());
    check_tensor(out, {2, 2, 2, 2}, {1 + 5 + 100.f, 2 + 10 + 100.f, 3 + 15 + 100.f, 4 + 20 + 100.f,
                                     -10, -20, -30, -40,
                                     -1 + 100.f, -2 + 100.f, -3 + 100.f, -4 + 0.5f + 100.f,
                                     0, 0, 0, -1});
}

TEST_CASE("the window's terms add up to the output value") {
    Tensor inp = white_square();
    Tensor kernel = grid({{1, 2, 3}, {4, 5, 6}});  // non-square, not symmetric
    for (bool flip : {false, true}) {
        Conv2dSpec spec = spec_for(5, 5, kernel, 2, PaddingMode::number, 1, 1, flip);
        Tensor out;
        REQUIRE(conv2d(out, inp, kernel, nullptr, spec).ok());
        const int OH = out.shape[2], OW = out.shape[3];
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                std::vector<ConvTerm> terms;
                REQUIRE(conv2d_window(terms, inp, kernel, spec, 0, 0, oy, ox).ok());
                REQUIRE(terms.size() == 6);
                float sum = 0;
                for (const ConvTerm& t : terms) sum += t.product;
                CHECK(sum == out.data[size_t(oy * OW + ox)]);
            }
    }
    // One window by hand: output (0,0) at stride 2, padding 1 reads rows -1..0, cols -1..1.
    std::vector<ConvTerm> terms;
    Conv2dSpec flipped = spec_for(5, 5, kernel, 2, PaddingMode::number, 1, 1, true);
    REQUIRE(conv2d_window(terms, inp, kernel, flipped, 0, 0, 0, 0).ok());
    CHECK(terms[0].padding);         // tap (0,0) reads (-1,-1)
    CHECK(terms[0].iy == -1);
    CHECK(terms[0].ix == -1);
    CHECK(terms[0].weight == 6);     // flipped: tap (0,0) uses weight (1,2)
    CHECK(terms[5].weight == 1);     // tap (1,2) uses weight (0,0)
    CHECK_FALSE(terms[5].padding);   // reads (0,1), inside the image
}

TEST_CASE("settings without output explain why") {
    Tensor inp = white_square(), out;
    out.shape = {7};  // must be left untouched on error
    Tensor big = grid({{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1},
                       {1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}});
    Status s = conv2d(out, inp, big, nullptr, spec_for(5, 5, big, 1, PaddingMode::valid, 0, 1, false));
    CHECK_FALSE(s.ok());
    CHECK(s.message.find("covers 6 rows") != std::string::npos);
    CHECK(s.message.find("only 5") != std::string::npos);
    CHECK(out.shape == std::vector<int>{7});
    // ... but padding 1 makes room: 5 + 2 = 7 >= 6
    CHECK(conv2d(out, inp, big, nullptr, spec_for(5, 5, big, 1, PaddingMode::number, 1, 1, false)).ok());

    s = conv2d(out, inp, sobel_x(), nullptr, spec_for(5, 5, sobel_x(), 0, PaddingMode::valid, 0, 1, false));
    CHECK(s.message.find("stride must be at least 1") != std::string::npos);
    s = conv2d(out, inp, sobel_x(), nullptr, spec_for(5, 5, sobel_x(), 1, PaddingMode::valid, 0, 3, false));
    CHECK(s.message.find("d(k-1)+1 = 3*2+1") != std::string::npos);  // span 7 > 5
    s = conv2d(out, inp, sobel_x(), nullptr, spec_for(5, 5, sobel_x(), 1, PaddingMode::number, -1, 1, false));
    CHECK(s.message.find("padding cannot be negative") != std::string::npos);
    s = conv2d(out, inp, sobel_x(), nullptr, spec_for(5, 5, sobel_x(), 1, PaddingMode::valid, 0, 0, false));
    CHECK(s.message.find("dilation must be at least 1") != std::string::npos);
}

TEST_CASE("shape mismatches name the shapes") {
    Tensor inp, weight, bias, out;
    REQUIRE(make_tensor(inp, {1, 3, 5, 5}).ok());
    REQUIRE(make_tensor(weight, {4, 1, 3, 3}).ok());
    Conv2dSpec spec;
    spec.rows.kernel = spec.cols.kernel = 3;
    Status s = conv2d(out, inp, weight, nullptr, spec);
    CHECK(s.message == "conv2d: input shape (1,3,5,5) has 3 channels but weight shape (4,1,3,3) expects 1");

    REQUIRE(make_tensor(inp, {1, 1, 5, 5}).ok());
    REQUIRE(make_tensor(bias, {3}).ok());
    s = conv2d(out, inp, weight, &bias, spec);
    CHECK(s.message.find("bias shape (3) should be (4)") != std::string::npos);

    REQUIRE(make_tensor(inp, {5, 5}).ok());
    s = conv2d(out, inp, weight, nullptr, spec);
    CHECK(s.message == "conv2d: input must have 4 axes (N,C,H,W) but has shape (5,5)");

    s = conv1d(out, inp, weight, nullptr, ConvAxis{}, false);
    CHECK(s.message == "conv1d: input must have 3 axes (N,C,L) but has shape (5,5)");

    spec.rows.kernel = 2;
    REQUIRE(make_tensor(inp, {1, 1, 5, 5}).ok());
    s = conv2d(out, inp, weight, nullptr, spec);
    CHECK(s.message.find("does not match the kernel size 2x3") != std::string::npos);

    std::vector<ConvTerm> terms;
    s = conv2d_window(terms, inp, weight, Conv2dSpec{{3}, {3}, false}, 0, 0, 3, 0);
    CHECK(s.message.find("outside the output shape (1,4,3,3)") != std::string::npos);
}

TEST_CASE("huge sizes are refused, not attempted") {
    Tensor t;
    Status s = make_tensor(t, {100000, 100000, 100000});
    CHECK_FALSE(s.ok());
    CHECK(s.message.find("too large") != std::string::npos);
    CHECK(make_tensor(t, {2, -1}).message.find("invalid") != std::string::npos);
    CHECK(shape_numel({1 << 30, 1 << 30, 1 << 30}) == -1);
    // absurd geometry gives a message, not an overflow
    ConvAxis a = make_conv_axis(5, 2000000000, 1, 2000000000, PaddingMode::full, 0);
    CHECK_FALSE(check_conv_axis(5, a, "rows").ok());
}
