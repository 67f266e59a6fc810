// gzip.cpp — a small DEFLATE decoder (RFC 1951) inside a gzip container (RFC 1952), in the
// manner of Mark Adler's puff.c: canonical Huffman codes decoded a bit at a time. Every read is
// bounds-checked; corrupt input gives a message, never a crash or a runaway allocation.
#include "gzip.h"

#include <cstring>
#include <string>

namespace {

const char* const kTooLarge = "the data unpacks to more than the size allowed";  // gunzip names the size

struct Inflater {
    const uint8_t* in;
    size_t in_size;
    size_t in_pos = 0;
    uint32_t bit_buffer = 0;  // bits not yet used, lowest first
    int bit_count = 0;
    std::vector<uint8_t>& out;
    size_t max_out;
    const char* error = nullptr;  // set on the first problem; the decoder then stops

    Inflater(const uint8_t* data, size_t size, std::vector<uint8_t>& o, size_t max) : in(data), in_size(size), out(o), max_out(max) {}

    // The next `need` bits, lowest first (DEFLATE packs bits from the least significant end).
    int bits(int need) {
        uint32_t value = bit_buffer;
        while (bit_count < need) {
            if (in_pos == in_size) { error = "the compressed data ends early (truncated file)"; return 0; }
            value |= uint32_t(in[in_pos++]) << bit_count;
            bit_count += 8;
        }
        bit_buffer = value >> need;
        bit_count -= need;
        return int(value & ((1u << need) - 1));
    }
};

// A canonical Huffman code: how many codes have each length, and the symbols in code order.
struct Huffman {
    short count[16];    // count[len]: codes of length len
    short symbol[288];  // symbols ordered by code
};

// Decodes one symbol, reading one bit at a time: codes of each length are consecutive integers.
int decode(Inflater& s, const Huffman& h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; len++) {
        code |= s.bits(1);
        if (s.error) return -1;
        int count = h.count[len];
        if (code - count < first) return h.symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    s.error = "an invalid Huffman code (corrupt data)";
    return -1;
}

// Builds a code from code lengths. Returns false when the lengths are over-subscribed (not a code).
bool build(Huffman& h, const short* length, int n) {
    std::memset(h.count, 0, sizeof h.count);
    for (int i = 0; i < n; i++) h.count[length[i]]++;
    if (h.count[0] == n) return true;  // no codes: fine for an unused distance code
    int left = 1;
    for (int len = 1; len < 16; len++) {
        left <<= 1;
        left -= h.count[len];
        if (left < 0) return false;
    }
    short offset[16];
    offset[1] = 0;
    for (int len = 1; len < 15; len++) offset[len + 1] = short(offset[len] + h.count[len]);
    for (int i = 0; i < n; i++)
        if (length[i] != 0) h.symbol[offset[length[i]]++] = short(i);
    return true;
}

const short kLengthBase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
const short kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
const short kDistBase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                             1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
const short kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

// Decodes literal/length and distance symbols until end-of-block (256).
void codes(Inflater& s, const Huffman& lencode, const Huffman& distcode) {
    for (;;) {
        int symbol = decode(s, lencode);
        if (s.error) return;
        if (symbol < 256) {
            if (s.out.size() >= s.max_out) { s.error = kTooLarge; return; }
            s.out.push_back(uint8_t(symbol));
        } else if (symbol == 256) {
            return;
        } else {
            symbol -= 257;
            if (symbol >= 29) { s.error = "an invalid length code (corrupt data)"; return; }
            const int length = kLengthBase[symbol] + s.bits(kLengthExtra[symbol]);
            int dsym = decode(s, distcode);
            if (s.error) return;
            if (dsym < 0 || dsym >= 30) { s.error = "an invalid distance code (corrupt data)"; return; }
            const size_t dist = size_t(kDistBase[dsym] + s.bits(kDistExtra[dsym]));
            if (s.error) return;
            if (dist > s.out.size()) { s.error = "a back-reference before the start of the data (corrupt data)"; return; }
            if (s.out.size() + size_t(length) > s.max_out) { s.error = kTooLarge; return; }
            const size_t from = s.out.size() - dist;
            for (int i = 0; i < length; i++) s.out.push_back(s.out[from + size_t(i)]);  // may overlap: byte by byte
        }
    }
}

void stored(Inflater& s) {
    s.bit_buffer = 0;  // a stored block starts on a byte boundary
    s.bit_count = 0;
    if (s.in_pos + 4 > s.in_size) { s.error = "the compressed data ends early (truncated file)"; return; }
    const unsigned len = s.in[s.in_pos] | (s.in[s.in_pos + 1] << 8);
    const unsigned nlen = s.in[s.in_pos + 2] | (s.in[s.in_pos + 3] << 8);
    s.in_pos += 4;
    if (len != (~nlen & 0xffff)) { s.error = "a stored block's length check fails (corrupt data)"; return; }
    if (s.in_pos + len > s.in_size) { s.error = "the compressed data ends early (truncated file)"; return; }
    if (s.out.size() + len > s.max_out) { s.error = kTooLarge; return; }
    s.out.insert(s.out.end(), s.in + s.in_pos, s.in + s.in_pos + len);
    s.in_pos += len;
}

void fixed(Inflater& s) {
    static Huffman lencode, distcode;
    static bool built = [] {
        short lengths[288];
        int i = 0;
        for (; i < 144; i++) lengths[i] = 8;
        for (; i < 256; i++) lengths[i] = 9;
        for (; i < 280; i++) lengths[i] = 7;
        for (; i < 288; i++) lengths[i] = 8;
        build(lencode, lengths, 288);
        for (i = 0; i < 30; i++) lengths[i] = 5;
        build(distcode, lengths, 30);
        return true;
    }();
    (void)built;
    codes(s, lencode, distcode);
}

void dynamic(Inflater& s) {
    static const short order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    const int nlen = s.bits(5) + 257, ndist = s.bits(5) + 1, ncode = s.bits(4) + 4;
    if (s.error) return;
    if (nlen > 286 || ndist > 30) { s.error = "a block declares too many codes (corrupt data)"; return; }
    short lengths[320] = {};
    for (int i = 0; i < ncode; i++) lengths[order[i]] = short(s.bits(3));
    Huffman lencode, distcode;
    if (s.error) return;
    if (!build(lencode, lengths, 19)) { s.error = "an invalid code-length code (corrupt data)"; return; }
    int index = 0;
    while (index < nlen + ndist) {
        int symbol = decode(s, lencode);
        if (s.error) return;
        if (symbol < 16) {
            lengths[index++] = short(symbol);
            continue;
        }
        short repeat_len = 0;
        int repeat;
        if (symbol == 16) {
            if (index == 0) { s.error = "a repeat with nothing to repeat (corrupt data)"; return; }
            repeat_len = lengths[index - 1];
            repeat = 3 + s.bits(2);
        } else if (symbol == 17) {
            repeat = 3 + s.bits(3);
        } else {
            repeat = 11 + s.bits(7);
        }
        if (index + repeat > nlen + ndist) { s.error = "code lengths run past their end (corrupt data)"; return; }
        while (repeat--) lengths[index++] = repeat_len;
    }
    if (lengths[256] == 0) { s.error = "a block without an end code (corrupt data)"; return; }
    if (!build(lencode, lengths, nlen) || !build(distcode, lengths + nlen, ndist)) {
        s.error = "invalid Huffman code lengths (corrupt data)";
        return;
    }
    codes(s, lencode, distcode);
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t n) {
    static uint32_t table[256];
    static bool built = [] {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return true;
    }();
    (void)built;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

bool is_gzip(const uint8_t* data, size_t size) { return size >= 2 && data[0] == 0x1f && data[1] == 0x8b; }

Status gunzip(std::vector<uint8_t>& out, const uint8_t* data, size_t size, size_t max_out) {
    if (!is_gzip(data, size) || size < 18) return error_status("not a gzip file (or too short to be one)");
    if (data[2] != 8) return error_status("gzip: unknown compression method " + std::to_string(data[2]));
    const int flags = data[3];
    size_t pos = 10;
    if (flags & 4) {  // FEXTRA
        if (pos + 2 > size) return error_status("gzip: the header ends early");
        pos += 2 + size_t(data[pos] | (data[pos + 1] << 8));
    }
    for (int bit : {8, 16}) {  // FNAME, FCOMMENT: zero-terminated
        if (!(flags & bit)) continue;
        while (pos < size && data[pos] != 0) pos++;
        pos++;
    }
    if (flags & 2) pos += 2;  // FHCRC
    if (pos + 8 > size) return error_status("gzip: the header ends early (truncated file)");
    std::vector<uint8_t> result;
    Inflater s(data + pos, size - pos - 8, result, max_out);
    int last;
    do {
        last = s.bits(1);
        const int type = s.bits(2);
        if (s.error) break;
        if (type == 0) stored(s);
        else if (type == 1) fixed(s);
        else if (type == 2) dynamic(s);
        else s.error = "an invalid block type (corrupt data)";
    } while (!last && !s.error);
    if (s.error == kTooLarge)
        return error_status("gzip: the data unpacks to more than " +
                            (max_out >= (1 << 20) ? std::to_string(max_out >> 20) + " MB" : std::to_string(max_out) + " bytes"));
    if (s.error) return error_status(std::string("gzip: ") + s.error);
    const uint8_t* trailer = data + pos + s.in_pos;
    const uint32_t crc = uint32_t(trailer[0]) | uint32_t(trailer[1]) << 8 | uint32_t(trailer[2]) << 16 | uint32_t(trailer[3]) << 24;
    const uint32_t isize = uint32_t(trailer[4]) | uint32_t(trailer[5]) << 8 | uint32_t(trailer[6]) << 16 | uint32_t(trailer[7]) << 24;
    if (isize != uint32_t(result.size())) return error_status("gzip: the unpacked size does not match the file's record (corrupt data)");
    if (crc != crc32(result.data(), result.size())) return error_status("gzip: the checksum does not match (corrupt data)");
    out = std::move(result);
    return ok_status();
}
