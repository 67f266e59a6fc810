// conv_winograd.cpp — 3x3 convolutions at stride 1 with Winograd's minimal filtering F(2x2, 3x3)
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
//
// Two by two outputs of a 3x3 convolution read a 4x4 block d of the (padded) input. Summed
// directly that is 2*2*9 = 36 multiplications per pair of input and output channels. Winograd
// turns the block and the kernel g into 4x4 blocks where the convolution is an elementwise product:
//
//     Y (2x2) = A^T [ U ⊙ V ] A,   U = G g G^T (4x4),   V = B^T d B (4x4)
//
//     B^T = | 1  0 -1  0 |    G = | 1    0    0  |    A^T = | 1  1  1  0 |
//           | 0  1  1  0 |        | 1/2  1/2  1/2 |          | 0  1 -1 -1 |
//           | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
//           | 0  1  0 -1 |        | 0    0    1  |
//
// 16 multiplications instead of 36; the transforms are additions, and each is shared: V once per
// input channel for all output channels, U once per call, A^T (.) A once per output channel after
// the sum over input channels. That sum, for each of the 16 positions xi of the 4x4 blocks, is a
// matrix product over a chunk of T tiles:
//
//     M[xi] (T, OC) = V[xi] (T, C) · U[xi] (C, OC)
//
// The backward pass needs no new idea. The input gradient is itself a 3x3 stride-1 convolution
// (conv2d_backward turns the kernel around), and the weight gradient runs the same transforms
// in reverse: with Z = U ⊙ V and Y = A^T Z A,
//
//     dZ = A dY A^T,   dU[xi] (C, OC) = sum over tiles of V[xi]^T · dZ[xi],   dg = G^T dU G
//
// Tiles that stick out past the output (an odd output size) compute values nobody keeps; in the
// backward pass their dY is zero, so they add nothing.
//
// Layout: the input is first copied channels-last into zero-padded planes, so the transforms work
// on vectors of kLanes channels at once; M is also channels-last, which is what the output
// transform reads. Channel counts are rounded up (Cp, OCp) with zeros that change no sum.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv.h"
#include "simd.h"

namespace {

constexpr int kOB = 16 / kLanes;              // vectors of output channels per register block (16 channels)
constexpr int kOcBlock = kOB * kLanes;        // 16
constexpr int kRB = kLanes == 8 ? 6 : 3;      // rows (tiles, or input channels) per register block: kRB*kOB sums in registers
constexpr int kChunk = 16 * kRB;              // tiles transformed and multiplied together (in cache for the lab's channel counts)
// Below this many channels in or out, the transforms cost more than they save (conv1 on a gray image).
constexpr int kWinogradMinChannels = 8;

// This file's buffers are conv_scratch slots 4-9 (conv_fast.cpp's, 0-3, may be in use meanwhile).
float* scratch(int slot, size_t values) { return conv_scratch(4 + slot, values); }

int round_up(int n, int m) { return (n + m - 1) / m * m; }

// One layer's geometry for the tiles.
struct Tiles {
    int N, C, H, W, OC;
    int pt, pl;      // padding before (top, left)
    int OH, OW;      // output size
    int TH, TW;      // tiles down and across: ceil(OH/2), ceil(OW/2)
    int Hp, Wp;      // padded input plane: 2*TH + 2 by 2*TW + 2 (every tile's 4x4 block inside)
    int Cp, OCp;     // channels rounded up: Cp to whole vectors, OCp to whole register blocks
    int count;       // tiles in all: N*TH*TW
};

Tiles make_tiles(int N, int C, int H, int W, int OC, const Conv2dSpec& spec) {
    Tiles g;
    g.N = N, g.C = C, g.H = H, g.W = W, g.OC = OC;
    g.pt = spec.rows.pad_before;
    g.pl = spec.cols.pad_before;
    g.OH = H + spec.rows.pad_before + spec.rows.pad_after - 2;
    g.OW = W + spec.cols.pad_before + spec.cols.pad_after - 2;
    g.TH = (g.OH + 1) / 2;
    g.TW = (g.OW + 1) / 2;
    g.Hp = 2 * g.TH + 2;
    g.Wp = 2 * g.TW + 2;
    g.Cp = round_up(C, kLanes);
    g.OCp = round_up(OC, kOcBlock);
    g.count = N * g.TH * g.TW;
    return g;
}

// Where tile `tile` sits: sample n, tile row ty, tile column tx (tiles run row by row, sample by sample).
struct TilePosition { int n, ty, tx; };
TilePosition tile_position(int tile, const Tiles& g) { return {tile / (g.TH * g.TW), tile / g.TW % g.TH, tile % g.TW}; }

// Zeros for row t of each of the 16 slices of X (16, kChunk, width): a tile past the last one.
void clear_tile(float* X, int t, int width) {
    for (int xi = 0; xi < 16; xi++) std::memset(X + (int64_t(xi) * kChunk + t) * width, 0, sizeof(float) * size_t(width));
}

// The input channels-last in zero-padded planes: P (N, Hp, Wp, Cp) from inp (N, C, H, W).
void pad_channels_last(float* P, const float* inp, const Tiles& g) {
    std::memset(P, 0, sizeof(float) * size_t(g.N) * g.Hp * g.Wp * g.Cp);
    for (int n = 0; n < g.N; n++)
        for (int c = 0; c < g.C; c++) {
            const float* x = inp + (int64_t(n) * g.C + c) * g.H * g.W;
            for (int y = 0; y < g.H; y++) {
                float* row = P + ((int64_t(n) * g.Hp + y + g.pt) * g.Wp + g.pl) * g.Cp + c;
                for (int xi = 0; xi < g.W; xi++) row[int64_t(xi) * g.Cp] = x[y * g.W + xi];
            }
        }
}

// V (16, kChunk, Cp) for tiles first .. first+kChunk-1 (zeros past the last tile), from P:
// V[xi = 4i + j][t][c] = (B^T d B)[i][j] of tile t's 4x4 block d in channel c.
void transform_input(float* V, const float* P, int first, const Tiles& g) {
    const int64_t xi_stride = int64_t(kChunk) * g.Cp;
    for (int t = 0; t < kChunk; t++) {
        const int tile = first + t;
        if (tile >= g.count) {
            clear_tile(V, t, g.Cp);
            continue;
        }
        const auto [n, ty, tx] = tile_position(tile, g);
        const float* block = P + ((int64_t(n) * g.Hp + 2 * ty) * g.Wp + 2 * tx) * g.Cp;
        for (int c = 0; c < g.Cp; c += kLanes) {
            vfloat d[4][4], b[4][4];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) d[i][j] = vload(block + (int64_t(i) * g.Wp + j) * g.Cp + c);
            for (int j = 0; j < 4; j++) {  // B^T d: combine rows
                b[0][j] = d[0][j] - d[2][j];
                b[1][j] = d[1][j] + d[2][j];
                b[2][j] = d[2][j] - d[1][j];
                b[3][j] = d[1][j] - d[3][j];
            }
            for (int i = 0; i < 4; i++) {  // (B^T d) B: combine columns
                float* v = V + int64_t(4 * i) * xi_stride + int64_t(t) * g.Cp + c;
                vstore(v, b[i][0] - b[i][2]);
                vstore(v + xi_stride, b[i][1] + b[i][2]);
                vstore(v + 2 * xi_stride, b[i][2] - b[i][1]);
                vstore(v + 3 * xi_stride, b[i][1] - b[i][3]);
            }
        }
    }
}

// U (16, Cp, OCp) from weight (OC, C, 3, 3): U[xi][c][oc] = (G g G^T)[xi] of kernel g = weight[oc][c],
// turned 180 degrees when flip. Zeros in the rounded-up channels.
void transform_weights(float* U, const float* weight, int C, int OC, int Cp, int OCp, bool flip) {
    std::memset(U, 0, sizeof(float) * 16 * size_t(Cp) * size_t(OCp));
    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < C; c++) {
            const float* w = weight + (int64_t(oc) * C + c) * 9;
            float k[3][3], h[4][3];
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++) k[y][x] = flip ? w[(2 - y) * 3 + 2 - x] : w[y * 3 + x];
            for (int x = 0; x < 3; x++) {  // G g: combine rows
                h[0][x] = k[0][x];
                h[1][x] = 0.5f * (k[0][x] + k[1][x] + k[2][x]);
                h[2][x] = 0.5f * (k[0][x] - k[1][x] + k[2][x]);
                h[3][x] = k[2][x];
            }
            for (int i = 0; i < 4; i++) {  // (G g) G^T: combine columns
                const float u[4] = {h[i][0], 0.5f * (h[i][0] + h[i][1] + h[i][2]), 0.5f * (h[i][0] - h[i][1] + h[i][2]), h[i][2]};
                for (int j = 0; j < 4; j++) U[(int64_t(4 * i + j) * Cp + c) * OCp + oc] = u[j];
            }
        }
}

// RB rows of M at once: M[r][ob] (RB, kOcBlock) = sum over c < C of V[r][c] * U[c][ob], with
// V rows Cp apart and U rows OCp apart. RB*kOB running sums stay in registers.
template <int RB>
void multiply_block(float* M, int OCp, const float* V, int Cp, const float* U, int C) {
    vfloat acc[RB][kOB];
    for (int r = 0; r < RB; r++)
        for (int v = 0; v < kOB; v++) acc[r][v] = vsplat(0.0f);
    for (int c = 0; c < C; c++) {
        vfloat u[kOB];
        for (int v = 0; v < kOB; v++) u[v] = vload(U + int64_t(c) * OCp + v * kLanes);
        for (int r = 0; r < RB; r++) {
            const vfloat x = vsplat(V[int64_t(r) * Cp + c]);
            for (int v = 0; v < kOB; v++) acc[r][v] += x * u[v];
        }
    }
    for (int r = 0; r < RB; r++)
        for (int v = 0; v < kOB; v++) vstore(M + int64_t(r) * OCp + v * kLanes, acc[r][v]);
}

// M (16, kChunk, OCp) = V (16, kChunk, Cp) · U (16, Cp, OCp), position by position.
void multiply(float* M, const float* V, const float* U, const Tiles& g) {
    for (int xi = 0; xi < 16; xi++) {
        const float* Vx = V + int64_t(xi) * kChunk * g.Cp;
        const float* Ux = U + int64_t(xi) * g.Cp * g.OCp;
        float* Mx = M + int64_t(xi) * kChunk * g.OCp;
        for (int t = 0; t < kChunk; t += kRB)
            for (int ob = 0; ob < g.OCp; ob += kOcBlock)
                multiply_block<kRB>(Mx + int64_t(t) * g.OCp + ob, g.OCp, Vx + int64_t(t) * g.Cp, g.Cp, Ux + ob, g.C);
    }
}

// O (N, 2*TH, 2*TW, OCp), channels-last, = A^T M A for tiles first .. first+kChunk-1: four vector
// stores per tile and vector of channels (putting each lane in its own channel plane here would
// take a scalar store per value; write_output does that in one pass over the outputs).
void transform_output(float* O, const float* M, int first, const Tiles& g) {
    const int64_t xi_stride = int64_t(kChunk) * g.OCp;
    const int OW2 = 2 * g.TW;
    const int last = std::min(kChunk, g.count - first);
    for (int t = 0; t < last; t++) {
        const auto [n, ty, tx] = tile_position(first + t, g);
        float* o = O + ((int64_t(n) * 2 * g.TH + 2 * ty) * OW2 + 2 * tx) * g.OCp;
        for (int oc = 0; oc < g.OCp; oc += kLanes) {
            const float* m = M + int64_t(t) * g.OCp + oc;
            vfloat s[4], r[4];
            for (int j = 0; j < 4; j++) {  // A^T M: combine rows
                const vfloat m0 = vload(m + (0 + j) * xi_stride), m1 = vload(m + (4 + j) * xi_stride),
                             m2 = vload(m + (8 + j) * xi_stride), m3 = vload(m + (12 + j) * xi_stride);
                s[j] = m0 + m1 + m2;
                r[j] = m1 - m2 - m3;
            }
            vstore(o + oc, s[0] + s[1] + s[2]);  // (A^T M) A: combine columns
            vstore(o + g.OCp + oc, s[1] - s[2] - s[3]);
            vstore(o + int64_t(OW2) * g.OCp + oc, r[0] + r[1] + r[2]);
            vstore(o + int64_t(OW2 + 1) * g.OCp + oc, r[1] - r[2] - r[3]);
        }
    }
}

// out (N, OC, OH, OW) = (or +=, when accumulate) O (N, 2*TH, 2*TW, OCp) + bias (OC) or nullptr,
// leaving out the outputs of tiles that stick out past OH or OW.
void write_output(float* out, const float* O, const float* bias, const Tiles& g, bool accumulate) {
    const int OW2 = 2 * g.TW;
    for (int n = 0; n < g.N; n++)
        for (int oc = 0; oc < g.OC; oc++) {
            const float b = bias ? bias[oc] : 0.0f;
            float* o = out + (int64_t(n) * g.OC + oc) * g.OH * g.OW;
            for (int y = 0; y < g.OH; y++) {
                const float* row = O + (int64_t(n) * 2 * g.TH + y) * OW2 * g.OCp + oc;
                if (accumulate)
                    for (int x = 0; x < g.OW; x++) o[y * g.OW + x] += row[int64_t(x) * g.OCp] + b;
                else
                    for (int x = 0; x < g.OW; x++) o[y * g.OW + x] = row[int64_t(x) * g.OCp] + b;
            }
        }
}

// dout channels-last in planes of whole tiles: D (N, 2*TH, 2*TW, OCp), zeros past the output.
void dout_channels_last(float* D, const float* dout, const Tiles& g) {
    const int DH = 2 * g.TH, DW = 2 * g.TW;
    std::memset(D, 0, sizeof(float) * size_t(g.N) * DH * DW * g.OCp);
    for (int n = 0; n < g.N; n++)
        for (int oc = 0; oc < g.OC; oc++) {
            const float* d = dout + (int64_t(n) * g.OC + oc) * g.OH * g.OW;
            for (int y = 0; y < g.OH; y++) {
                float* row = D + (int64_t(n) * DH + y) * DW * g.OCp + oc;
                for (int x = 0; x < g.OW; x++) row[int64_t(x) * g.OCp] = d[y * g.OW + x];
            }
        }
}

// dZ (16, kChunk, OCp) = A dY A^T for tiles first .. first+kChunk-1 (zeros past the last tile).
void transform_dout(float* dZ, const float* D, int first, const Tiles& g) {
    const int64_t xi_stride = int64_t(kChunk) * g.OCp;
    const int DW = 2 * g.TW;
    for (int t = 0; t < kChunk; t++) {
        const int tile = first + t;
        if (tile >= g.count) {
            clear_tile(dZ, t, g.OCp);
            continue;
        }
        const auto [n, ty, tx] = tile_position(tile, g);
        const float* y = D + ((int64_t(n) * 2 * g.TH + 2 * ty) * DW + 2 * tx) * g.OCp;
        for (int oc = 0; oc < g.OCp; oc += kLanes) {
            const vfloat y00 = vload(y + oc), y01 = vload(y + g.OCp + oc);
            const vfloat y10 = vload(y + int64_t(DW) * g.OCp + oc), y11 = vload(y + int64_t(DW + 1) * g.OCp + oc);
            // A dY: rows y0, y0 + y1, y0 - y1, -y1 (for each of the two columns)
            const vfloat a[4][2] = {{y00, y01}, {y00 + y10, y01 + y11}, {y00 - y10, y01 - y11}, {-y10, -y11}};
            for (int i = 0; i < 4; i++) {  // (A dY) A^T: the same across the columns
                float* z = dZ + int64_t(4 * i) * xi_stride + int64_t(t) * g.OCp + oc;
                vstore(z, a[i][0]);
                vstore(z + xi_stride, a[i][0] + a[i][1]);
                vstore(z + 2 * xi_stride, a[i][0] - a[i][1]);
                vstore(z + 3 * xi_stride, -a[i][1]);
            }
        }
    }
}

// RB input channels at once: dU[r][ob] (RB, kOcBlock) += sum over the chunk's tiles t of
// V[t][r] * dZ[t][ob], with V rows Cp apart and dZ and dU rows OCp apart.
template <int RB>
void weight_grad_block(float* dU, const float* V, const float* dZ, const Tiles& g) {
    vfloat acc[RB][kOB];
    for (int r = 0; r < RB; r++)
        for (int v = 0; v < kOB; v++) acc[r][v] = vload(dU + int64_t(r) * g.OCp + v * kLanes);
    for (int t = 0; t < kChunk; t++) {
        vfloat z[kOB];
        for (int v = 0; v < kOB; v++) z[v] = vload(dZ + int64_t(t) * g.OCp + v * kLanes);
        for (int r = 0; r < RB; r++) {
            const vfloat x = vsplat(V[int64_t(t) * g.Cp + r]);
            for (int v = 0; v < kOB; v++) acc[r][v] += x * z[v];
        }
    }
    for (int r = 0; r < RB; r++)
        for (int v = 0; v < kOB; v++) vstore(dU + int64_t(r) * g.OCp + v * kLanes, acc[r][v]);
}

template <int RB>
void weight_grad_rows(float* dU, const float* V, const float* dZ, const Tiles& g, int c, int rows) {
    if constexpr (RB > 1)
        if (rows < RB) return weight_grad_rows<RB - 1>(dU, V, dZ, g, c, rows);
    for (int ob = 0; ob < g.OCp; ob += kOcBlock) weight_grad_block<RB>(dU + int64_t(c) * g.OCp + ob, V + c, dZ + ob, g);
}

}  // namespace

bool conv_winograd_applies(int C, int OC, const Conv2dSpec& spec) {
    const ConvAxis &r = spec.rows, &c = spec.cols;
    return r.kernel == 3 && c.kernel == 3 && r.stride == 1 && c.stride == 1 && r.dilation == 1 && c.dilation == 1 &&
           spec.groups == 1 && C >= kWinogradMinChannels && OC >= kWinogradMinChannels;
}

void conv2d_forward_winograd(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int H,
                             int W, int OC, const Conv2dSpec& spec, bool accumulate) {
    const Tiles g = make_tiles(N, C, H, W, OC, spec);
    float* P = scratch(0, size_t(N) * g.Hp * g.Wp * g.Cp);  // (N, Hp, Wp, Cp)
    float* U = scratch(1, 16 * size_t(g.Cp) * g.OCp);        // (16, Cp, OCp)
    float* V = scratch(2, 16 * size_t(kChunk) * g.Cp);       // (16, kChunk, Cp)
    float* M = scratch(3, 16 * size_t(kChunk) * g.OCp);      // (16, kChunk, OCp)
    float* O = scratch(4, size_t(N) * 4 * g.TH * g.TW * g.OCp); // (N, 2TH, 2TW, OCp)
    pad_channels_last(P, inp, g);
    transform_weights(U, weight, C, OC, g.Cp, g.OCp, spec.flip);
    for (int first = 0; first < g.count; first += kChunk) {
        transform_input(V, P, first, g);
        multiply(M, V, U, g);
        transform_output(O, M, first, g);
    }
    write_output(out, O, bias, g, accumulate);
}

void conv2d_weight_grad_winograd(float* dweight, const float* dout, const float* inp, int N, int C, int H, int W, int OC,
                                 const Conv2dSpec& spec) {
    const Tiles g = make_tiles(N, C, H, W, OC, spec);
    float* P = scratch(0, size_t(N) * g.Hp * g.Wp * g.Cp);           // (N, Hp, Wp, Cp)
    float* dU = scratch(1, 16 * size_t(g.Cp) * g.OCp);                // (16, Cp, OCp)
    float* V = scratch(2, 16 * size_t(kChunk) * g.Cp);                // (16, kChunk, Cp)
    float* dZ = scratch(3, 16 * size_t(kChunk) * g.OCp);              // (16, kChunk, OCp)
    float* D = scratch(5, size_t(N) * 4 * g.TH * g.TW * g.OCp);       // (N, 2TH, 2TW, OCp)
    std::memset(dU, 0, sizeof(float) * 16 * size_t(g.Cp) * g.OCp);
    pad_channels_last(P, inp, g);
    dout_channels_last(D, dout, g);
    for (int first = 0; first < g.count; first += kChunk) {
        transform_input(V, P, first, g);
        transform_dout(dZ, D, first, g);
        for (int xi = 0; xi < 16; xi++) {
            const float* Vx = V + int64_t(xi) * kChunk * g.Cp;
            const float* dZx = dZ + int64_t(xi) * kChunk * g.OCp;
            float* dUx = dU + int64_t(xi) * g.Cp * g.OCp;
            for (int c = 0; c < C; c += kRB) weight_grad_rows<kRB>(dUx, Vx, dZx, g, c, std::min(kRB, C - c));
        }
    }
    // dweight[oc][c] += G^T dU G, turned back 180 degrees when flip
    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < C; c++) {
            float u[4][4], e[3][4];
            for (int xi = 0; xi < 16; xi++) u[xi / 4][xi % 4] = dU[(int64_t(xi) * g.Cp + c) * g.OCp + oc];
            for (int j = 0; j < 4; j++) {  // G^T dU: combine rows
                e[0][j] = u[0][j] + 0.5f * (u[1][j] + u[2][j]);
                e[1][j] = 0.5f * (u[1][j] - u[2][j]);
                e[2][j] = 0.5f * (u[1][j] + u[2][j]) + u[3][j];
            }
            float* w = dweight + (int64_t(oc) * C + c) * 9;
            for (int y = 0; y < 3; y++) {  // (G^T dU) G: combine columns
                const float k[3] = {e[y][0] + 0.5f * (e[y][1] + e[y][2]), 0.5f * (e[y][1] - e[y][2]), 0.5f * (e[y][1] + e[y][2]) + e[y][3]};
                for (int x = 0; x < 3; x++) w[spec.flip ? (2 - y) * 3 + 2 - x : y * 3 + x] += k[x];
            }
        }
}
