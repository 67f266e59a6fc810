// weight_files.cpp — model files (safetensors) opened in the training lab, which holds the student's
// trained seed net. The message is the lab's note; a refused file must leave the weights as they were.
#include "../../engine/model.h"
#include <cmath>
#include <cstring>

#include "catalogue.h"

// A file from a header (JSON text) and data bytes: the 8-byte little-endian header length first.
static std::vector<uint8_t> file_of(const std::string& header, const std::vector<uint8_t>& data) {
    std::vector<uint8_t> out;
    const uint64_t n = header.size();
    for (int b = 0; b < 8; b++) out.push_back(uint8_t(n >> (8 * b)));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

// The student's own network's file, its header taken apart: change it, then put it back together.
struct WeightFile {
    json header;
    std::vector<uint8_t> data;
    std::vector<uint8_t> bytes() const { return file_of(header.dump(), data); }
};
static WeightFile own_file() {
    const std::vector<uint8_t> bytes = safetensors_serialize(your_network()->weights);
    uint64_t n = 0;
    for (int b = 7; b >= 0; b--) n = n << 8 | bytes[size_t(b)];
    WeightFile f;
    f.header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + long(n));
    f.data.assign(bytes.begin() + 8 + long(n), bytes.end());
    return f;
}

// Opens the file in the training lab as the student would; the lab's note is the message.
static std::string open_weights(const std::vector<uint8_t>& bytes, const std::string& name = "model.safetensors") {
    file_arrived(OpenedFile{"model", name, bytes, ""});
    return find_lab("train")->state().value("note", "");
}
template <typename Change>
static std::string open_spoiled(Change change) {
    WeightFile f = own_file();
    change(f);
    return open_weights(f.bytes());
}

static void put_float(std::vector<uint8_t>& data, size_t index, float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    for (int b = 0; b < 4; b++) data[index * 4 + size_t(b)] = uint8_t(bits >> (8 * b));
}

void weight_file_cases() {
    const std::string head = "Model not loaded: model.safetensors: safetensors: ";
    bad("weights-empty", "an empty model file",
        head + "the file has 0 bytes, too short for a header.",
        [] { return open_weights({}); }, "train");
    bad("weights-text", "a text file named model.safetensors",
        "Model not loaded: model.safetensors: safetensors: the header claims 4570139203914768449 bytes but the file has only 33 after the length: truncated or not a safetensors file.",
        [] { const std::string t = "A model? No, a shopping list: eggs, milk."; return open_weights({t.begin(), t.end()}); }, "train");
    bad("weights-header-past-file", "a header length of 1000 in a file of 100 bytes",
        head + "the header claims 1000 bytes but the file has only 92 after the length: truncated or not a safetensors file.",
        [] { std::vector<uint8_t> b = file_of(std::string(92, ' '), {}); b[0] = 0xE8, b[1] = 0x03; return open_weights(b); }, "train");
    bad("weights-header-2-63", "a header length of 2^63",
        head + "the header claims 9223372036854775808 bytes but the file has only 2 after the length: truncated or not a safetensors file.",
        [] { return open_weights({0, 0, 0, 0, 0, 0, 0, 0x80, '{', '}'}); }, "train");
    bad("weights-header-not-json", "a header that is not JSON",
        head + "the header is not valid JSON.",
        [] { return open_weights(file_of("{\"conv1.weight\": {\"dtype\": ", {})); }, "train");
    bad("weights-header-array", "a header that is a JSON list, not an object",
        head + "the header is not a JSON object (broken or not a safetensors file).",
        [] { return open_weights(file_of("[1, 2, 3]", {})); }, "train");
    bad("weights-header-nested", "a header nested 100,000 levels deep",
        head + "the header is nested 100000 levels deep; at most 64 are allowed.",
        [] { return open_weights(file_of(std::string(100000, '[') + std::string(100000, ']'), {})); }, "train");
    bad("weights-tensor-not-object", "a tensor entry that is a number",
        head + "tensor \"conv1.weight\" needs dtype, shape and data_offsets.",
        [] { return open_spoiled([](WeightFile& f) { f.header["conv1.weight"] = 7; }); }, "train");
    bad("weights-unknown-dtype", "a tensor of dtype \"F33\"",
        head + "tensor \"conv1.weight\" has an unknown dtype \"F33\".",
        [] { return open_spoiled([](WeightFile& f) { f.header["conv1.weight"]["dtype"] = "F33"; }); }, "train");
    bad("weights-float64", "a tensor saved as float64 (dtype F64)",
        "Model not loaded: model.safetensors does not fit the current network: tensor \"conv1.weight\" has dtype F64; CNN Lab needs float32 (F32): save it with .float().",
        [] { return open_spoiled([](WeightFile& f) { f.header["conv1.weight"]["dtype"] = "F64"; }); }, "train");
    bad("weights-shape-length-mismatch", "conv1.weight's shape says 4x1x3x3 (144 bytes) but its offsets give 140 bytes",
        head + "tensor \"conv1.weight\": shape (4,1,3,3) needs 144 bytes but data_offsets give 140.",
        [] { return open_spoiled([](WeightFile& f) { f.header["conv1.weight"]["data_offsets"][1] = f.header["conv1.weight"]["data_offsets"][1].get<int>() - 4; }); }, "train");
    bad("weights-shape-negative", "a shape with a negative size",
        head + "tensor \"conv1.weight\": shape [-4,1,3,3] has a size that is not a whole number in range.",
        [] { return open_spoiled([](WeightFile& f) { f.header["conv1.weight"]["shape"][0] = -4; }); }, "train");
    bad("weights-shape-string", "a shape with a string for a size",
        head + "tensor \"conv1.weight\": shape [\"4\",1,3,3] has a size that is not a whole number in range.",
        [] { return open_spoiled([](WeightFile& f) { f.header["conv1.weight"]["shape"][0] = "4"; }); }, "train");
    bad("weights-shape-huge", "a shape of 2^31 x 2^31 values",
        head + "tensor \"conv1.weight\": shape [2147483648,2147483648] has a size that is not a whole number in range.",
        [] { return open_spoiled([](WeightFile& f) { f.header["conv1.weight"]["shape"] = {2147483648u, 2147483648u}; }); }, "train");
    bad("weights-offsets-out-of-range", "data_offsets past the end of the data",
        "Model not loaded: model.safetensors: safetensors: tensor \"fc2.bias\": data_offsets [52928, 52968] fall outside the 52928 bytes of data (truncated file?).",
        [] { return open_spoiled([](WeightFile& f) { f.data.resize(f.data.size() - 40); }); }, "train");
    bad("weights-offsets-reversed", "data_offsets [144, 0]",
        head + "tensor \"conv1.weight\": data_offsets [144, 0] fall outside the 52968 bytes of data (truncated file?).",
        [] { return open_spoiled([](WeightFile& f) { f.header["conv1.weight"]["data_offsets"] = {144, 0}; }); }, "train");
    bad("weights-offsets-not-numbers", "data_offsets that are strings",
        head + "tensor \"conv1.weight\": data_offsets must be [begin, end].",
        [] { return open_spoiled([](WeightFile& f) { f.header["conv1.weight"]["data_offsets"] = {"0", "144"}; }); }, "train");
    bad("weights-offsets-overlap", "conv1.bias's offsets pointing into conv1.weight's bytes",
        head + "tensors \"conv1.weight\" and \"conv1.bias\" share bytes 16 to 32 of the data (a broken file).",
        [] { return open_spoiled([](WeightFile& f) { f.header["conv1.bias"]["data_offsets"] = {16, 32}; }); }, "train");
    bad("weights-tensor-missing", "a file without fc2.bias",
        "Model not loaded: model.safetensors does not fit the current network: tensor \"fc2.bias\" (10) is missing from the file.",
        [] { return open_spoiled([](WeightFile& f) { f.header.erase("fc2.bias"); }); }, "train");
    bad("weights-tensor-extra", "a file with a tensor the network does not have (fc3.weight)",
        "Model not loaded: model.safetensors does not fit the current network: the file has a tensor \"fc3.weight\" that this model does not have.",
        [] { return open_spoiled([](WeightFile& f) {
                 f.header["fc3.weight"] = {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {f.data.size(), f.data.size() + 4}}};
                 f.data.resize(f.data.size() + 4);
             }); }, "train");
    bad("weights-wrong-shape", "fc2.weight of shape 32x10 instead of 10x32 (the same number of values)",
        "Model not loaded: model.safetensors does not fit the current network: tensor \"fc2.weight\" has shape (32,10) but the model needs (10,32).",
        [] { return open_spoiled([](WeightFile& f) { f.header["fc2.weight"]["shape"] = {32, 10}; }); }, "train");
    bad("weights-nan", "a file whose conv1.weight holds 2 NaNs",
        "Model not loaded: model.safetensors does not fit the current network: tensor \"conv1.weight\" holds 2 of 36 values that are not finite numbers (NaN or infinite): the network would only output NaN.",
        [] { return open_spoiled([](WeightFile& f) { put_float(f.data, 0, NAN), put_float(f.data, 5, NAN); }); }, "train");
    bad("weights-infinite", "a file whose fc1.bias holds an infinity",
        "Model not loaded: model.safetensors does not fit the current network: tensor \"fc1.bias\" holds 1 of 32 values that are not finite numbers (NaN or infinite): the network would only output NaN.",
        [] {
            return open_spoiled([](WeightFile& f) { put_float(f.data, f.header["fc1.bias"]["data_offsets"][0].get<size_t>() / 4, INFINITY); });
        }, "train");
    bad("weights-metadata-not-strings", "__metadata__ with a number in it",
        head + "__metadata__ value \"dataset\" is not a string.",
        [] { return open_spoiled([](WeightFile& f) { f.header["__metadata__"] = {{"dataset", 10}}; }); }, "train");
    bad("weights-platform-error", "a file the browser could not read (the platform reports an error)",
        "Model not loaded: model.safetensors is larger than 256 MB.",
        [] { file_arrived(OpenedFile{"model", "model.safetensors", {}, "model.safetensors is larger than 256 MB"}); return find_lab("train")->state().value("note", ""); }, "train");
}
