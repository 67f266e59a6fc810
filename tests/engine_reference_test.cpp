// engine_reference_test.cpp — every engine op, forward and backward, against the real PyTorch.
// tests/torch_reference.py (run by scripts/test with Debian's python3-torch) writes the cases to
// build/reference/ops.safetensors (or $CNNLAB_REFERENCE); each is replayed here and compared:
// |ours - torch| <= atol + rtol*|torch| for every value, the largest difference reported.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "../engine/ops.h"
#include "../engine/safetensors.h"
#include "test_util.h"

using json = nlohmann::json;

namespace {

struct Reference {
    NamedTensors file;
    json cases;
    std::string error;
};

const Reference& reference() {
    static Reference r = [] {
        Reference ref;
        const char* env = std::getenv("CNNLAB_REFERENCE");
        std::string path = env ? env : "build/reference/ops.safetensors";
        Status s = safetensors_load(ref.file, path);
        if (!s.ok()) {
            ref.error = s.message + " (scripts/test makes it with tests/torch_reference.py)";
            return ref;
        }
        ref.cases = json::parse(ref.file.metadata["cases"], nullptr, false);
        if (!ref.cases.is_array()) ref.error = path + ": no case list in its metadata";
        return ref;
    }();
    return r;
}

const Tensor& get(const json& c, const std::string& what) {
    static const Tensor missing;
    const Tensor* t = reference().file.find(c["name"].get<std::string>() + "/" + what);
    if (!t) FAIL_CHECK("reference tensor " << c["name"].get<std::string>() << "/" << what << " is missing");
    return t ? *t : missing;
}

std::vector<float> zeros_like(const Tensor& t) { return std::vector<float>(t.data.size(), 0.0f); }

// Compares ours with PyTorch's; prints the case, the value and the largest difference on failure.
void compare(const json& c, const std::string& what, const std::vector<float>& ours, const Tensor& torch) {
    const double atol = c["atol"].get<double>(), rtol = c["rtol"].get<double>();
    INFO(c["name"].get<std::string>() << " " << what << " " << c.dump());
    REQUIRE(ours.size() == torch.data.size());
    double worst = 0, worst_excess = -1;
    size_t worst_at = 0;
    for (size_t i = 0; i < ours.size(); i++) {
        double diff = std::fabs(double(ours[i]) - torch.data[i]);
        double excess = diff - (atol + rtol * std::fabs(torch.data[i]));
        worst = std::fmax(worst, diff);
        if (excess > worst_excess) { worst_excess = excess; worst_at = i; }
    }
    INFO("largest difference " << worst << "; worst at [" << worst_at << "]: ours " << ours[worst_at] << ", torch "
                               << torch.data[worst_at]);
    CHECK(worst_excess <= 0);
}

int dim(const Tensor& t, int i) { return t.shape[size_t(i)]; }


void run_conv2d(const json& c) {
    const Tensor &x = get(c, "x"), &w = get(c, "w"), &b = get(c, "b"), &dout = get(c, "dout");
    Conv2dSpec spec;
    spec.rows = conv_axis(dim(w, 2), c["stride"][0], c["padding"][0], c["dilation"][0]);
    spec.cols = conv_axis(dim(w, 3), c["stride"][1], c["padding"][1], c["dilation"][1]);
    spec.groups = c["groups"];
    const int N = dim(x, 0), C = dim(x, 1), H = dim(x, 2), W = dim(x, 3), OC = dim(w, 0);
    REQUIRE(check_conv2d(x.shape, w.shape, &b.shape, spec).ok());
    for (bool fast : {false, true}) {  // the reference path and the fast one (stride 1 cases)
        CAPTURE(fast);
        std::vector<float> out(get(c, "out").data.size());
        (fast ? conv2d_forward : conv2d_forward_naive)(out.data(), x.data.data(), w.data.data(), b.data.data(), N, C, H, W, OC, spec);
        compare(c, "out", out, get(c, "out"));
        std::vector<float> dx = zeros_like(x), dw = zeros_like(w), db = zeros_like(b);
        (fast ? conv2d_backward : conv2d_backward_naive)(dx.data(), dw.data(), db.data(), dout.data.data(), x.data.data(),
                                                         w.data.data(), N, C, H, W, OC, spec);
        compare(c, "dx", dx, get(c, "dx"));
        compare(c, "dw", dw, get(c, "dw"));
        compare(c, "db", db, get(c, "db"));
    }
}

void run_conv_transpose2d(const json& c) {
    const Tensor &x = get(c, "x"), &w = get(c, "w"), &b = get(c, "b"), &dout = get(c, "dout");
    ConvTranspose2dSpec spec;
    spec.rows = conv_axis(dim(w, 2), c["stride"], c["padding"], c["dilation"]);
    spec.cols = conv_axis(dim(w, 3), c["stride"], c["padding"], c["dilation"]);
    spec.output_padding_rows = spec.output_padding_cols = c["output_padding"];
    spec.groups = c["groups"];
    const int N = dim(x, 0), C = dim(x, 1), H = dim(x, 2), W = dim(x, 3), OC = dim(w, 1) * spec.groups;
    REQUIRE(check_conv_transpose2d(x.shape, w.shape, &b.shape, spec).ok());
    CHECK(get(c, "out").shape == std::vector<int>{N, OC, int(conv_transpose_output_size(H, spec.rows, spec.output_padding_rows)),
                                                  int(conv_transpose_output_size(W, spec.cols, spec.output_padding_cols))});
    std::vector<float> out(get(c, "out").data.size());
    conv_transpose2d_forward(out.data(), x.data.data(), w.data.data(), b.data.data(), N, C, H, W, OC, spec);
    compare(c, "out", out, get(c, "out"));
    std::vector<float> dx = zeros_like(x), dw = zeros_like(w), db = zeros_like(b);
    conv_transpose2d_backward(dx.data(), dw.data(), db.data(), dout.data.data(), x.data.data(), w.data.data(), N, C, H, W,
                              OC, spec);
    compare(c, "dx", dx, get(c, "dx"));
    compare(c, "dw", dw, get(c, "dw"));
    compare(c, "db", db, get(c, "db"));
}

void run_pool(const json& c, bool max) {
    const Tensor &x = get(c, "x"), &dout = get(c, "dout");
    Pool2dSpec spec;
    int d = max ? c["dilation"].get<int>() : 1;
    spec.rows = spec.cols = conv_axis(c["kernel"], c["stride"], c["padding"], d);
    const int N = dim(x, 0), C = dim(x, 1), H = dim(x, 2), W = dim(x, 3);
    REQUIRE(check_pool2d(x.shape, spec, "pool").ok());
    std::vector<float> out(get(c, "out").data.size()), dx = zeros_like(x);
    if (max) {
        std::vector<int32_t> argmax(out.size()), argmax_naive(out.size());
        std::vector<float> out_naive(out.size());
        maxpool2d_forward_naive(out_naive.data(), argmax_naive.data(), x.data.data(), N, C, H, W, spec);
        compare(c, "out (reference path)", out_naive, get(c, "out"));
        maxpool2d_forward(out.data(), argmax.data(), x.data.data(), N, C, H, W, spec);
        CHECK(argmax == argmax_naive);
        maxpool2d_backward(dx.data(), dout.data.data(), argmax.data(), N, C, H, W, spec);
    } else {
        avgpool2d_forward(out.data(), x.data.data(), N, C, H, W, spec);
        avgpool2d_backward(dx.data(), dout.data.data(), N, C, H, W, spec);
    }
    compare(c, "out", out, get(c, "out"));
    compare(c, "dx", dx, get(c, "dx"));
}

void run_activation(const json& c) {
    const Tensor &x = get(c, "x"), &dout = get(c, "dout");
    const std::string op = c["op"];
    const int64_t n = int64_t(x.data.size());
    std::vector<float> out(x.data.size()), dx = zeros_like(x);
    if (op == "relu") {
        relu_forward(out.data(), x.data.data(), n);
        relu_backward(dx.data(), dout.data.data(), out.data(), n);
    } else if (op == "leaky_relu") {
        leaky_relu_forward(out.data(), x.data.data(), n, c["slope"]);
        leaky_relu_backward(dx.data(), dout.data.data(), x.data.data(), n, c["slope"]);
    } else if (op == "sigmoid") {
        sigmoid_forward(out.data(), x.data.data(), n);
        sigmoid_backward(dx.data(), dout.data.data(), out.data(), n);
    } else if (op == "silu") {
        silu_forward(out.data(), x.data.data(), n);
        silu_backward(dx.data(), dout.data.data(), x.data.data(), n);
    } else {
        tanh_forward(out.data(), x.data.data(), n);
        tanh_backward(dx.data(), dout.data.data(), out.data(), n);
    }
    compare(c, "out", out, get(c, "out"));
    compare(c, "dx", dx, get(c, "dx"));
}

void run_linear(const json& c) {
    const Tensor &x = get(c, "x"), &w = get(c, "w"), &b = get(c, "b"), &dout = get(c, "dout");
    const int N = dim(x, 0), IN = dim(x, 1), OUT = dim(w, 0);
    std::vector<float> out(size_t(N) * OUT), dx = zeros_like(x), dw = zeros_like(w), db = zeros_like(b);
    linear_forward_naive(out.data(), x.data.data(), w.data.data(), b.data.data(), N, IN, OUT);
    compare(c, "out (reference path)", out, get(c, "out"));
    linear_forward(out.data(), x.data.data(), w.data.data(), b.data.data(), N, IN, OUT);
    linear_backward(dx.data(), dw.data(), db.data(), dout.data.data(), x.data.data(), w.data.data(), N, IN, OUT);
    compare(c, "out", out, get(c, "out"));
    compare(c, "dx", dx, get(c, "dx"));
    compare(c, "dw", dw, get(c, "dw"));
    compare(c, "db", db, get(c, "db"));
}

void run_norm(const json& c) {
    const std::string op = c["op"];
    const Tensor& x = get(c, "x");
    const int N = dim(x, 0), C = dim(x, 1), HW = dim(x, 2) * dim(x, 3);
    const float eps = c["eps"];
    std::vector<float> out(x.data.size()), dx = zeros_like(x);
    if (op == "batchnorm2d_eval") {
        const Tensor &g = get(c, "g"), &b = get(c, "b"), &rm = get(c, "rm"), &rv = get(c, "rv");
        batchnorm2d_forward_eval(out.data(), x.data.data(), g.data.data(), b.data.data(), rm.data.data(), rv.data.data(),
                                 N, C, HW, eps);
        compare(c, "out", out, get(c, "out"));
        return;
    }
    const Tensor &g = get(c, "g"), &b = get(c, "b"), &dout = get(c, "dout");
    std::vector<float> dg = zeros_like(g), db = zeros_like(b);
    if (op == "batchnorm2d_train") {
        std::vector<float> mean(C), rstd(C);
        std::vector<float> rm = get(c, "running_mean0").data, rv = get(c, "running_var0").data;
        batchnorm2d_forward_train(out.data(), mean.data(), rstd.data(), rm.data(), rv.data(), x.data.data(), g.data.data(),
                                  b.data.data(), N, C, HW, eps, c["momentum"]);
        batchnorm2d_backward(dx.data(), dg.data(), db.data(), dout.data.data(), x.data.data(), g.data.data(), mean.data(),
                             rstd.data(), N, C, HW);
        compare(c, "running_mean", rm, get(c, "running_mean"));
        compare(c, "running_var", rv, get(c, "running_var"));
    } else if (op == "layernorm") {
        const int D = C * HW;
        std::vector<float> mean(N), rstd(N);
        layernorm_forward(out.data(), mean.data(), rstd.data(), x.data.data(), g.data.data(), b.data.data(), N, D, eps);
        layernorm_backward(dx.data(), dg.data(), db.data(), dout.data.data(), x.data.data(), g.data.data(), mean.data(),
                           rstd.data(), N, D);
    } else if (op == "groupnorm") {
        const int G = c["groups"];
        std::vector<float> mean(size_t(N) * G), rstd(size_t(N) * G);
        groupnorm_forward(out.data(), mean.data(), rstd.data(), x.data.data(), g.data.data(), b.data.data(), N, C, HW, G, eps);
        groupnorm_backward(dx.data(), dg.data(), db.data(), dout.data.data(), x.data.data(), g.data.data(), mean.data(),
                           rstd.data(), N, C, HW, G);
    } else {
        std::vector<float> mean(size_t(N) * C), rstd(size_t(N) * C);
        instancenorm2d_forward(out.data(), mean.data(), rstd.data(), x.data.data(), g.data.data(), b.data.data(), N, C, HW, eps);
        instancenorm2d_backward(dx.data(), dg.data(), db.data(), dout.data.data(), x.data.data(), g.data.data(), mean.data(),
                                rstd.data(), N, C, HW);
    }
    compare(c, "out", out, get(c, "out"));
    compare(c, "dx", dx, get(c, "dx"));
    compare(c, "dg", dg, get(c, "dg"));
    compare(c, "db", db, get(c, "db"));
}

void run_join(const json& c) {
    const Tensor &a = get(c, "a"), &b = get(c, "b"), &dout = get(c, "dout");
    std::vector<float> out(get(c, "out").data.size()), da = zeros_like(a), db = zeros_like(b);
    if (c["op"] == "add") {
        add_forward(out.data(), a.data.data(), b.data.data(), int64_t(out.size()));
        add_backward(da.data(), db.data(), dout.data.data(), int64_t(out.size()));
    } else {
        const int N = dim(a, 0), CA = dim(a, 1), CB = dim(b, 1), HW = dim(a, 2) * dim(a, 3);
        concat_forward(out.data(), a.data.data(), b.data.data(), N, CA, CB, HW);
        concat_backward(da.data(), db.data(), dout.data.data(), N, CA, CB, HW);
    }
    compare(c, "out", out, get(c, "out"));
    compare(c, "da", da, get(c, "da"));
    compare(c, "db", db, get(c, "db"));
}

void run_cross_entropy(const json& c) {
    const Tensor &logits = get(c, "logits"), &labels_f = get(c, "labels"), &dout = get(c, "dout");
    const int N = dim(logits, 0), K = dim(logits, 1);
    std::vector<int32_t> labels(labels_f.data.begin(), labels_f.data.end());
    std::vector<float> probs(logits.data.size()), dlogits = zeros_like(logits);
    const float eps = c.value("label_smoothing", 0.0f);
    std::vector<float> loss = {softmax_cross_entropy_forward(probs.data(), logits.data.data(), labels.data(), N, K, eps)};
    softmax_cross_entropy_backward(dlogits.data(), probs.data(), labels.data(), N, K, eps, dout.data[0]);
    compare(c, "loss", loss, get(c, "out"));
    compare(c, "dlogits", dlogits, get(c, "dlogits"));
}

}  // namespace

TEST_CASE("every op agrees with PyTorch, forward and backward") {
    const Reference& ref = reference();
    INFO(ref.error);
    REQUIRE(ref.error.empty());
    int ran = 0;
    for (const json& c : ref.cases) {
        const std::string op = c["op"];
        CAPTURE(op);
        if (op == "conv2d") run_conv2d(c);
        else if (op == "conv_transpose2d") run_conv_transpose2d(c);
        else if (op == "maxpool2d") run_pool(c, true);
        else if (op == "avgpool2d") run_pool(c, false);
        else if (op == "global_avgpool") {
            const Tensor &x = get(c, "x"), &dout = get(c, "dout");
            const int N = dim(x, 0), C = dim(x, 1), HW = dim(x, 2) * dim(x, 3);
            std::vector<float> out(size_t(N) * C), dx = zeros_like(x);
            global_avgpool_forward(out.data(), x.data.data(), N, C, HW);
            global_avgpool_backward(dx.data(), dout.data.data(), N, C, HW);
            compare(c, "out", out, get(c, "out"));
            compare(c, "dx", dx, get(c, "dx"));
        } else if (op == "adaptive_avgpool2d") {
            const Tensor &x = get(c, "x"), &dout = get(c, "dout");
            const int N = dim(x, 0), C = dim(x, 1), H = dim(x, 2), W = dim(x, 3), OH = c["size"][0], OW = c["size"][1];
            std::vector<float> out(size_t(N) * C * OH * OW), dx = zeros_like(x);
            adaptive_avgpool2d_forward(out.data(), x.data.data(), N, C, H, W, OH, OW);
            adaptive_avgpool2d_backward(dx.data(), dout.data.data(), N, C, H, W, OH, OW);
            compare(c, "out", out, get(c, "out"));
            compare(c, "dx", dx, get(c, "dx"));
        } else if (op == "channel_scale") {
            const Tensor &x = get(c, "x"), &gate = get(c, "gate"), &dout = get(c, "dout");
            const int N = dim(x, 0), C = dim(x, 1), HW = dim(x, 2) * dim(x, 3);
            std::vector<float> out(x.data.size()), dx = zeros_like(x), dgate = zeros_like(gate);
            channel_scale_forward(out.data(), x.data.data(), gate.data.data(), N, C, HW);
            channel_scale_backward(dx.data(), dgate.data(), dout.data.data(), x.data.data(), gate.data.data(), N, C, HW);
            compare(c, "out", out, get(c, "out"));
            compare(c, "dx", dx, get(c, "dx"));
            compare(c, "dgate", dgate, get(c, "dgate"));
        } else if (op == "relu" || op == "leaky_relu" || op == "sigmoid" || op == "tanh" || op == "silu") run_activation(c);
        else if (op == "linear") run_linear(c);
        else if (op.find("norm") != std::string::npos) run_norm(c);
        else if (op == "add" || op == "concat") run_join(c);
        else if (op == "cross_entropy") run_cross_entropy(c);
        else FAIL_CHECK("no replay for reference op " << op);
        ran++;
    }
    CHECK(ran >= 52);  // the generator writes 52 cases; fewer means the file is stale or cut
}
