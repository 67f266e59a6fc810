#include "safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

#include "json_text.h"

using json = nlohmann::json;
using std::to_string;

const Tensor* NamedTensors::find(const std::string& name) const {
    for (const auto& [n, t] : tensors)
        if (n == name) return &t;
    return nullptr;
}

Status read_file(std::vector<uint8_t>& out, const std::string& path, size_t max_bytes) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return error_status("cannot open " + path);
    std::vector<uint8_t> data;
    uint8_t buffer[1 << 16];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
        if (data.size() + got > max_bytes) {
            std::fclose(f);
            return error_status(path + " is larger than " + to_string(max_bytes >> 20) + " MB");
        }
        data.insert(data.end(), buffer, buffer + got);
    }
    bool failed = std::ferror(f);
    std::fclose(f);
    if (failed) return error_status("cannot read " + path);
    out = std::move(data);
    return ok_status();
}

static uint64_t read_u64_le(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

Status safetensors_parse(NamedTensors& out, const uint8_t* data, size_t size) {
    if (size < 8) return error_status("safetensors: the file has " + to_string(size) + " bytes, too short for a header");
    const uint64_t header_size = read_u64_le(data);
    if (header_size > size - 8)
        return error_status("safetensors: the header claims " + to_string(header_size) + " bytes but the file has only " +
                            to_string(size - 8) + " after the length: truncated or not a safetensors file");
    json header;
    if (Status s = parse_json(header, reinterpret_cast<const char*>(data + 8), size_t(header_size), "safetensors: the header"); !s.ok())
        return s;
    if (!header.is_object())
        return error_status("safetensors: the header is not a JSON object (broken or not a safetensors file)");
    const uint8_t* payload = data + 8 + header_size;
    const uint64_t payload_size = size - 8 - header_size;
    NamedTensors result;
    struct Span { uint64_t begin, end; std::string name; };  // a tensor's bytes in the data
    std::vector<Span> spans;
    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& name = it.key();
        const json& entry = it.value();
        if (name == "__metadata__") {
            if (!entry.is_object()) return error_status("safetensors: __metadata__ must be an object of strings");
            for (auto m = entry.begin(); m != entry.end(); ++m) {
                if (!m.value().is_string()) return error_status("safetensors: __metadata__ value \"" + m.key() + "\" is not a string");
                result.metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        std::string what = "safetensors: tensor \"" + name.substr(0, 60) + "\"";
        if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
            return error_status(what + " needs dtype, shape and data_offsets");
        if (!entry["dtype"].is_string()) return error_status(what + ": dtype is not a string");
        const std::string dtype = entry["dtype"].get<std::string>();
        static const char* known[] = {"F64", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2"};
        if (dtype != "F32") {
            bool ok = false;
            for (const char* k : known) ok = ok || dtype == k;
            if (!ok) return error_status(what + " has an unknown dtype \"" + dtype.substr(0, 16) + "\"");
        }
        const json& offsets = entry["data_offsets"];
        if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
            return error_status(what + ": data_offsets must be [begin, end]");
        const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
        if (begin > end || end > payload_size)
            return error_status(what + ": data_offsets [" + to_string(begin) + ", " + to_string(end) +
                                "] fall outside the " + to_string(payload_size) + " bytes of data (truncated file?)");
        spans.push_back({begin, end, name});
        if (dtype != "F32") {
            result.other_dtypes[name] = dtype;
            continue;
        }
        const json& shape_json = entry["shape"];
        if (!shape_json.is_array() || shape_json.size() > 8) return error_status(what + ": shape must be a list of at most 8 sizes");
        std::vector<int> shape;
        for (const json& d : shape_json) {
            if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t(kMaxTensorElements))
                return error_status(what + ": shape " + shape_json.dump().substr(0, 60) + " has a size that is not a whole number in range");
            shape.push_back(int(d.get<uint64_t>()));
        }
        const int64_t numel = shape_numel(shape);
        if (numel < 0) return error_status(what + ": shape " + shape_string(shape) + " is too large");
        if (end - begin != uint64_t(numel) * 4)
            return error_status(what + ": shape " + shape_string(shape) + " needs " + to_string(numel * 4) +
                                " bytes but data_offsets give " + to_string(end - begin));
        Tensor t;
        t.shape = shape;
        t.data.resize(size_t(numel));
        std::memcpy(t.data.data(), payload + begin, size_t(numel) * 4);  // little-endian float32, as the hosts we run on
        result.tensors.emplace_back(name, std::move(t));
    }
    // Each byte of data belongs to one tensor at most: two that share bytes are a broken (or hostile) file.
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    for (size_t i = 1, last = 0; i < spans.size(); i++) {  // last: the span reaching furthest so far
        if (spans[i].begin < spans[last].end)
            return error_status("safetensors: tensors \"" + spans[last].name.substr(0, 60) + "\" and \"" + spans[i].name.substr(0, 60) +
                                "\" share bytes " + to_string(spans[i].begin) + " to " + to_string(std::min(spans[i].end, spans[last].end)) +
                                " of the data (a broken file)");
        if (spans[i].end > spans[last].end) last = i;
    }
    // the file's order is the data's order
    std::stable_sort(result.tensors.begin(), result.tensors.end(), [&](const auto& a, const auto& b) {
        return header[a.first]["data_offsets"][0].template get<uint64_t>() < header[b.first]["data_offsets"][0].template get<uint64_t>();
    });
    out = std::move(result);
    return ok_status();
}

Status safetensors_load(NamedTensors& out, const std::string& path) {
    std::vector<uint8_t> data;
    if (Status s = read_file(data, path, size_t(2) << 30); !s.ok()) return s;
    Status s = safetensors_parse(out, data.data(), data.size());
    if (!s.ok()) return error_status(path + ": " + s.message);
    return ok_status();
}

std::vector<uint8_t> safetensors_serialize(const NamedTensors& in) {
    json header = json::object();
    uint64_t offset = 0;
    for (const auto& [name, t] : in.tensors) {
        const uint64_t bytes = uint64_t(t.data.size()) * 4;
        header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    if (!in.metadata.empty()) header["__metadata__"] = in.metadata;
    std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
    while (text.size() % 8) text += ' ';
    std::vector<uint8_t> out(8 + text.size() + offset);
    for (int i = 0; i < 8; i++) out[size_t(i)] = uint8_t(uint64_t(text.size()) >> (8 * i));
    std::memcpy(out.data() + 8, text.data(), text.size());
    uint8_t* payload = out.data() + 8 + text.size();
    for (const auto& [name, t] : in.tensors) {
        std::memcpy(payload, t.data.data(), t.data.size() * 4);
        payload += t.data.size() * 4;
    }
    return out;
}

Status safetensors_save(const std::string& path, const NamedTensors& in) {
    std::vector<uint8_t> bytes = safetensors_serialize(in);
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return error_status("cannot write " + path);
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    ok = std::fclose(f) == 0 && ok;
    return ok ? ok_status() : error_status("cannot write all of " + path + " (disk full?)");
}
