// app_resources.cpp — what the labs share and the platform provides: pictures, datasets (parsed
// once, kept once), files, storage, "your network", the GPU backend and textures for the screen.
#include <algorithm>
#include <map>
#include <list>
#include <memory>

#include "app.h"
#include "picture_file.h"

static GpuContext* g_gpu = nullptr;
static std::string g_gpu_note = "the GPU backend has not started";
static int g_gpu_generation = 0;

// The picture each lab asked for last and has not had yet: (lab id, picture name).
static std::vector<std::pair<std::string, std::string>> g_picture_askers;

std::string picture_pending(const std::string& lab_id) {
    for (const auto& [lab, name] : g_picture_askers)
        if (lab == lab_id) return name;
    return "";
}

void cancel_picture_request(const std::string& lab_id) {
    std::erase_if(g_picture_askers, [&](const auto& asker) { return asker.first == lab_id; });
}

void request_picture(const std::string& lab_id, const std::string& name) {
    cancel_picture_request(lab_id);  // a newer request replaces the last
    g_picture_askers.emplace_back(lab_id, name);
    if (app_platform().load_picture) {
        app_platform().load_picture(name);
        return;
    }
    Picture none;
    none.name = name;
    none.error = "pictures cannot be loaded here";
    picture_arrived(none);
}

void picture_arrived(const Picture& given) {
    // What a platform hands over is checked like any input: within the limits, pixels that match the size.
    std::string problem;
    if (given.error.empty()) {
        if (given.original_width || given.original_height)
            problem = picture_size_error(given.name, given.original_width, given.original_height);
        if (problem.empty()) problem = picture_size_error(given.name, given.width, given.height);
        if (problem.empty() && std::max(given.width, given.height) > kPictureSide)
            problem = given.name + " was not scaled down to " + std::to_string(kPictureSide) + " pixels a side";
        if (problem.empty() && given.rgba.size() != size_t(given.width) * size_t(given.height) * 4)
            problem = given.name + ": the picture's pixels do not match its size";
    }
    Picture refused;
    refused.name = given.name;
    refused.error = problem;
    const Picture& picture = problem.empty() ? given : refused;
    const bool file = picture.name.rfind("file:", 0) == 0;  // the student's own, answering "upload" or dropped on the page
    std::vector<std::string> asked;
    for (const auto& [lab, name] : g_picture_askers)
        if (name == picture.name || (file && name == "upload")) asked.push_back(lab);
    if (asked.empty() && file) asked.push_back(current_lab().id);  // dropped with nothing asked: the open lab's
    std::erase_if(g_picture_askers, [&](const auto& asker) { return std::find(asked.begin(), asked.end(), asker.first) != asked.end(); });
    for (const std::string& lab_id : asked)
        if (const Lab* lab = find_lab(lab_id); lab && lab->on_picture) lab->on_picture(picture);
}

const std::vector<std::string>& photo_names() {
    static const std::vector<std::string> names = {"chelsea", "coffee", "astronaut", "camera", "brick"};
    return names;
}

static std::vector<std::pair<std::string, float>> g_dataset_progress;  // name -> fraction, while loading

void dataset_progress(const std::string& name, float fraction) {
    for (auto& [n, f] : g_dataset_progress)
        if (n == name) { f = fraction; return; }
    g_dataset_progress.emplace_back(name, fraction);
}

static std::map<std::string, std::string> g_dataset_errors;  // name -> why its last load failed

std::string dataset_error(const std::string& name) {
    const auto it = g_dataset_errors.find(name);
    return it == g_dataset_errors.end() ? "" : it->second;
}

float dataset_loading(const std::string& name) {
    for (const auto& [n, f] : g_dataset_progress)
        if (n == name) return f;
    return -1.0f;
}

// The datasets the app keeps, and which lab asked for which. A list, so that a LoadedDataset
// never moves while a lab reads it; a dataset delivered again (the platforms do not, but a test
// may) is kept beside the first, and the labs that asked are told of the newer one.
static std::list<LoadedDataset> g_datasets;
static std::vector<std::pair<std::string, std::string>> g_dataset_askers;  // (lab id, dataset name)

const LoadedDataset* loaded_dataset(const std::string& name) {
    for (auto it = g_datasets.rbegin(); it != g_datasets.rend(); ++it)
        if (it->name == name) return &*it;
    return nullptr;
}

static void tell_lab(const std::string& lab_id, const LoadedDataset& data) {
    const Lab* lab = find_lab(lab_id);
    if (lab && lab->on_dataset) lab->on_dataset(data);
}

void request_dataset(const std::string& lab_id, const std::string& name) {
    if (!lab_id.empty() && std::find(g_dataset_askers.begin(), g_dataset_askers.end(), std::pair(lab_id, name)) == g_dataset_askers.end())
        g_dataset_askers.emplace_back(lab_id, name);
    if (const LoadedDataset* d = loaded_dataset(name)) return tell_lab(lab_id, *d);
    if (dataset_loading(name) >= 0) return;  // already on its way
    dataset_progress(name, 0.0f);
    if (app_platform().load_dataset) {
        app_platform().load_dataset(name);
        return;
    }
    DatasetFiles none;
    none.name = name;
    none.error = "datasets cannot be loaded here";
    dataset_arrived(std::move(none));
}

void dataset_arrived(DatasetFiles files) {
    g_dataset_progress.erase(std::remove_if(g_dataset_progress.begin(), g_dataset_progress.end(),
                                            [&](const auto& e) { return e.first == files.name; }),
                             g_dataset_progress.end());
    LoadedDataset data;
    data.name = files.name;
    data.error = files.error;
    if (data.error.empty()) {
        const std::string& n = files.name;
        Status s = parse_idx_dataset(data.train, std::move(files.train_images), std::move(files.train_labels), n + " training images",
                                     n + " training labels");
        if (s.ok())
            s = parse_idx_dataset(data.test, std::move(files.test_images), std::move(files.test_labels), n + " test images", n + " test labels");
        if (s.ok() && (data.train.rows != data.test.rows || data.train.cols != data.test.cols))
            s = error_status("the " + n + " training and test pictures differ in size");
        // the app's datasets (Fashion-MNIST, MNIST) have 10 classes, and every lab's network 10 outputs
        for (const auto& [set, part] : {std::pair(&data.train, " training labels"), std::pair(&data.test, " test labels")})
            for (size_t i = 0; s.ok() && i < set->labels.size(); i++)
                if (set->labels[i] < 0 || set->labels[i] >= 10)
                    s = error_status(n + part + ": picture " + std::to_string(i) + " has label " + std::to_string(set->labels[i]) +
                                     ", but the labels of " + n + " must be 0 to 9");
        if (!s.ok()) data = LoadedDataset{n, {}, {}, s.message};
    }
    // a dataset that failed is not kept: the next request tries again (and a later delivery is taken)
    g_dataset_errors.erase(data.name);
    if (!data.error.empty()) g_dataset_errors[data.name] = data.error;
    const LoadedDataset* kept = &data;
    if (data.error.empty()) kept = &g_datasets.emplace_back(std::move(data));
    std::vector<std::string> asked;  // (a lab told may ask for another dataset meanwhile)
    for (const auto& [lab_id, name] : g_dataset_askers)
        if (name == kept->name) asked.push_back(lab_id);
    for (const std::string& lab_id : asked) tell_lab(lab_id, *kept);
}

static std::unique_ptr<YourNetwork> g_your_network;

static bool same_tensors(const NamedTensors& a, const NamedTensors& b) {
    if (a.tensors.size() != b.tensors.size()) return false;
    for (size_t i = 0; i < a.tensors.size(); i++)
        if (a.tensors[i].first != b.tensors[i].first || a.tensors[i].second.shape != b.tensors[i].second.shape ||
            a.tensors[i].second.data != b.tensors[i].second.data)
            return false;
    return true;
}

void set_your_network(YourNetwork network) {
    // the same network again (a pause with nothing trained since): no new version, the labs keep theirs
    if (g_your_network && g_your_network->description == network.description && g_your_network->dataset == network.dataset &&
        g_your_network->about == network.about && same_tensors(g_your_network->weights, network.weights))
        return;
    const int version = g_your_network ? g_your_network->version + 1 : 1;
    g_your_network = std::make_unique<YourNetwork>(std::move(network));
    g_your_network->version = version;
}

const YourNetwork* your_network() { return g_your_network.get(); }

std::string save_file(const std::string& filename, const std::vector<uint8_t>& bytes) {
    return app_platform().save_file ? app_platform().save_file(filename, bytes) : "files cannot be saved here";
}

void request_file(const std::string& purpose, const std::string& accept) {
    if (app_platform().open_file) return app_platform().open_file(purpose, accept);
    file_arrived(OpenedFile{purpose, "", {}, "files cannot be opened here"});
}

void file_arrived(const OpenedFile& file) {
    for (const Lab& lab : all_labs())
        if (lab.on_file) lab.on_file(file);
}

void store(const std::string& key, const std::string& value) {
    if (app_platform().storage) app_platform().storage(key, &value);
}
std::string stored(const std::string& key) { return app_platform().storage ? app_platform().storage(key, nullptr) : ""; }

void store_bytes(const std::string& key, const std::vector<uint8_t>& bytes) {
    if (app_platform().keep_bytes) return app_platform().keep_bytes(key, bytes);
    store(key, base64(bytes));
}
std::vector<uint8_t> stored_bytes(const std::string& key) {
    if (app_platform().kept_bytes) return app_platform().kept_bytes(key);
    std::vector<uint8_t> bytes;
    if (!unbase64(stored(key), bytes)) bytes.clear();
    return bytes;
}

std::string base64(const std::vector<uint8_t>& bytes) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < bytes.size(); i += 3) {
        uint32_t v = uint32_t(bytes[i]) << 16 | (i + 1 < bytes.size() ? uint32_t(bytes[i + 1]) << 8 : 0) | (i + 2 < bytes.size() ? bytes[i + 2] : 0);
        out += table[v >> 18 & 63];
        out += table[v >> 12 & 63];
        out += i + 1 < bytes.size() ? table[v >> 6 & 63] : '=';
        out += i + 2 < bytes.size() ? table[v & 63] : '=';
    }
    return out;
}

bool unbase64(const std::string& text, std::vector<uint8_t>& out) {
    out.clear();
    uint32_t v = 0;
    int bits = 0;
    for (char ch : text) {
        int d = ch >= 'A' && ch <= 'Z' ? ch - 'A' : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26 : ch >= '0' && ch <= '9' ? ch - '0' + 52 : ch == '+' ? 62 : ch == '/' ? 63 : -1;
        if (ch == '=') break;
        if (d < 0) return false;
        v = v << 6 | uint32_t(d);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(uint8_t(v >> bits & 0xff));
        }
    }
    return true;
}

void set_gpu(GpuContext* gpu_context, const std::string& note) {
    g_gpu = gpu_context;
    g_gpu_note = note;
    g_gpu_generation++;
}
GpuContext* gpu() { return g_gpu; }
const std::string& gpu_note() { return g_gpu_note; }
int gpu_generation() { return g_gpu_generation; }

unsigned upload_texture(unsigned texture, const uint8_t* rgba, int width, int height) {
    return app_platform().upload_texture ? app_platform().upload_texture(texture, rgba, width, height) : 0;
}

