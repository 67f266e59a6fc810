// adversarial.h — pictures changed by a few levels of grey so that a network gets them wrong
// (lesson note 003: adversarial examples), and the input gradient they are made from.
//
// The network is used as it is at test time (running batch-norm statistics, no dropout); its
// parameters' gradients are left at zero. Pictures are (N, C, H, W) with values in [0, 1].
//
//   FGSM (Goodfellow et al., 2015), one step of size eps along the gradient's sign:
//     untargeted  x_adv = clip(x + eps * sign(dL(x, y)/dx), 0, 1)        y: the true class, its loss pushed up
//     targeted    x_adv = clip(x - eps * sign(dL(x, t)/dx), 0, 1)        t: the class wanted, its loss pulled down
//   PGD (Madry et al., 2018), `steps` such steps of size `step`, each followed by the projection
//   back into the eps-ball around x and into [0, 1]:
//     x_{k+1} = clip(clip(x_k +- step * sign(dL(x_k)/dx), x - eps, x + eps), 0, 1),  x_0 = x (no random start)
// sign(0) = 0, as torch.sign.
#pragma once
#include <cstdint>

#include "model.h"

// dinp (N, input_shape...) = d loss / d inp of the softmax cross-entropy against labels (N), the mean
// over the batch as model_loss computes it; loss (N) or nullptr: each sample's own loss.
// Sizes the model's batch memory (ensure_batch) for N.
Status input_gradient(float* dinp, float* loss, Model& model, const float* inp, const int32_t* labels, int N);

// out (N, input_shape...) the FGSM pictures; labels: the true classes, or the targets when targeted.
Status fgsm(float* out, Model& model, const float* inp, const int32_t* labels, int N, float eps, bool targeted);

// out (N, input_shape...) the PGD pictures.
Status pgd(float* out, Model& model, const float* inp, const int32_t* labels, int N, float eps, float step, int steps,
           bool targeted);

// How many of N pictures the model classifies as labels (N); each one's predicted class in `predicted` (N) when not nullptr.
int count_correct(Model& model, const float* inp, const int32_t* labels, int N, int32_t* predicted = nullptr);
