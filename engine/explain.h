// explain.h — why a network said what it said: which pixels its class score is most sensitive to,
// where in the picture its last convolution saw the class, what covering a part of the picture does
// to it, and what picture a filter or a class responds to most (lesson notes 002 and 003).
//
// The network is used as at test time (running batch-norm statistics, no dropout); its parameters'
// gradients are left at zero. A picture is one sample (C, H, W), values in [0, 1]; score_c is the
// class's logit, before the softmax.
//
//   saliency     (Simonyan et al., 2014)  S[y,x] = max over channels of |d score_c / d x[ch,y,x]|
//   Grad-CAM     (Selvaraju et al., 2017) at a layer with output A (K, h, w):
//                  alpha_k = mean over (h,w) of d score_c / d A_k      one weight per channel
//                  cam     = ReLU(sum_k alpha_k A_k)                   (h, w)
//                then upsampled to (H, W) bilinearly as F.interpolate(mode="bilinear", align_corners=False)
//   occlusion    (Zeiler and Fergus, 2014) a patch x patch square of `fill` put at every stride-th
//                place: map[i,j] = p_c(picture) - p_c(picture with the square at row i*stride, column j*stride)
//   feature      gradient ascent on the picture to raise one channel's mean activation at a layer
//   visualization (or a class's score at the last layer), with an L2 pull towards grey and a random
//                shift (jitter) each step so the result is a pattern, not noise.
#pragma once
#include <cstdint>
#include <vector>

#include "model.h"

// The softmax of the network's scores for one picture: (classes) probabilities.
std::vector<float> class_probabilities(Model& model, const float* picture);

// dinp (input_shape...) = d score_c / d inp for one picture.
Status class_score_gradient(float* dinp, Model& model, const float* picture, int cls);

// out (H, W): the saliency map of one picture for class cls.
Status saliency_map(float* out, Model& model, const float* picture, int cls);

struct GradCam {
    int layer = -1;                     // whose output it looks at
    int K = 0, h = 0, w = 0;            // that output's shape
    std::vector<float> channel_weights; // (K) alpha_k
    std::vector<float> cam;             // (h, w) ReLU(sum_k alpha_k A_k)
    std::vector<float> upsampled;       // (H, W) cam at the picture's size
};
// Grad-CAM of one picture for class cls at `layer` (its output must be (K, h, w)).
Status grad_cam(GradCam& out, Model& model, const float* picture, int cls, int layer);
// The layer Grad-CAM looks at by default: the last layer with a (K, h, w) output that is a
// convolution or the activation right after one; -1 when there is none.
int last_conv_layer(const Model& model);

// out (N, C, H_out, W_out) from inp (N, C, H, W): bilinear, as F.interpolate(align_corners=False).
void upsample_bilinear(float* out, const float* inp, int N, int C, int H, int W, int H_out, int W_out);

// map (rows, cols) with rows = (H - patch) / stride + 1 (the same for cols): the drop in class cls's
// probability with the square at each place. probability: p_c of the picture as it is.
Status occlusion_map(std::vector<float>& map, int& rows, int& cols, float& probability, Model& model, const float* picture, int cls,
                     int patch, int stride, float fill);

struct FeatureSettings {
    int layer = 0;        // the layer whose output is raised
    int channel = 0;      // its channel (or the class, at the last layer)
    int steps = 64;       // steps of gradient ascent
    float step = 0.05f;   // each step moves the picture by step * g / rms(g)
    float l2 = 0.05f;     // and pulls it towards grey by step * l2 * (x - 0.5)
    int jitter = 1;       // the picture shifted by up to this many pixels each step (wrapping round)
    uint64_t seed = 1;    // the start (grey with a little noise) and the shifts
    bool keep_mean = false;  // the picture's mean held at 0.5 after each step: brightness alone cannot raise the
                             // objective, so a filter after a ReLU must be answered with its pattern
    bool middle_unit = false;  // raise the channel's middle unit (row h/2, column w/2) instead of its mean: the
                               // picture changes only inside that unit's receptive field (use jitter 0)
};
// picture (input_shape...) values in [0, 1]; activation: the channel's mean (or its middle unit, or the
// score) at the end.
Status visualize_feature(std::vector<float>& picture, float& activation, Model& model, const FeatureSettings& settings);
