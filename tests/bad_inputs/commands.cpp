// commands.cpp — commands as JSON text, the way window.cnnlab.command, a course page's postMessage
// and a link's ?state= reach the app (api_command_text): malformed, mistyped, oversized, nested,
// for labs that do not exist, from older versions. Every one is refused with a message and changes
// nothing; the JS side's own checks (message shape, size, origin, links) are in tests/e2e/bad_inputs.e2e.mjs.
#include "catalogue.h"

static std::string lab_command(const std::string& lab, const std::string& fields) {
    return command_error("{\"lab\": \"" + lab + "\", " + fields + "}");
}

void command_cases() {
    bad("command-not-json", "{stride: 2} (keys without quotes)",
        "the command is not valid JSON",
        [] { return command_error("{stride: 2}"); }, "hand-conv");
    bad("command-truncated", "a command cut off: {\"lab\": \"hand-conv\", \"stri",
        "the command is not valid JSON",
        [] { return command_error("{\"lab\": \"hand-conv\", \"stri"); }, "hand-conv");
    bad("command-empty-text", "an empty string",
        "the command is not valid JSON",
        [] { return command_error(""); });
    bad("command-array", "[1, 2] instead of an object",
        "a command must be an object, like {\"stride\": 2}",
        [] { return command_error("[1, 2]"); });
    bad("command-null", "null",
        "a command must be an object, like {\"stride\": 2}",
        [] { return command_error("null"); });
    bad("command-number", "42",
        "a command must be an object, like {\"stride\": 2}",
        [] { return command_error("42"); });
    bad("command-nested-10000", "a stride of [[[...]]] nested 10,000 levels",
        "the command is nested 10001 levels deep; at most 64 are allowed",
        [] { return lab_command("hand-conv", "\"stride\": " + std::string(10000, '[') + std::string(10000, ']')); }, "hand-conv");
    bad("command-nested-100000", "an object nested 100,000 levels",
        "the command is nested 100000 levels deep; at most 64 are allowed",
        [] { return command_error(std::string(100000, '[') + std::string(100000, ']')); });
    bad("command-wrong-type", "\"stride\": \"two\"",
        "\"stride\" must be a whole number between -1000 and 1000",
        [] { return lab_command("hand-conv", "\"stride\": \"two\""); }, "hand-conv");
    bad("command-bool-for-number", "\"stride\": true",
        "\"stride\" must be a whole number between -1000 and 1000",
        [] { return lab_command("hand-conv", "\"stride\": true"); }, "hand-conv");
    bad("command-1e308", "\"stride\": 1e308",
        "\"stride\" must be between -1000 and 1000 (it is 1e+308)",
        [] { return lab_command("hand-conv", "\"stride\": 1e308"); }, "hand-conv");
    bad("command-minus-1e308", "\"padding\": -1e308",
        "\"padding\" must be between -1000 and 1000 (it is -1e+308), or one of \"valid\", \"same\", \"full\"",
        [] { return lab_command("hand-conv", "\"padding\": -1e308"); }, "hand-conv");
    bad("command-1e400", "\"dilation\": 1e400 (beyond a double: read as infinity)",
        "the command is not valid JSON",
        [] { return lab_command("hand-conv", "\"dilation\": 1e400"); }, "hand-conv");
    bad("command-million-numbers", "a kernel of 10^6 numbers in one row",
        "\"kernel\" row 1 has 1000000 numbers; at most 7",
        [] {
            std::string row = "[0";
            for (int i = 1; i < 1000000; i++) row += ",1";
            return lab_command("image-kernels", "\"kernel\": [" + row + "]]");
        }, "image-kernels");
    bad("command-kernel-1000x1000", "a 1000 x 1000 kernel",
        "\"kernel\" has 1000 rows; at most 7",
        [] {
            json rows = json::array();
            for (int r = 0; r < 1000; r++) rows.push_back(std::vector<int>(1000, 1));
            return command_error_of(json{{"lab", "image-kernels"}, {"kernel", rows}});
        }, "image-kernels");
    bad("command-kernel-ragged", "a kernel whose rows differ in length",
        "\"kernel\": row 2 has 2 numbers but row 1 has 3; every row needs the same length",
        [] { return lab_command("image-kernels", "\"kernel\": [[1, 2, 3], [4, 5]]"); }, "image-kernels");
    bad("command-kernel-null-value", "a kernel holding null (what JSON makes of NaN)",
        "\"kernel\" row 1 has something that is not a number: null",
        [] { return lab_command("image-kernels", "\"kernel\": [[1, null, 1]]"); }, "image-kernels");
    bad("command-kernel-huge-value", "a kernel holding 1e308",
        "\"kernel\" row 1 has inf; values must be between -10000 and 10000",
        [] { return lab_command("image-kernels", "\"kernel\": [[1, 1e308, 1]]"); }, "image-kernels");
    bad("command-1mb-string", "a 1 MB string as the kernel preset's name",
        "no preset \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; the presets are sobel-x, sobel-y, gradient-magnitude, gradient-direction, prewitt-x, laplacian, gaussian, box-blur, sharpen, emboss, identity, edge",
        [] { return lab_command("image-kernels", "\"preset\": \"" + std::string(1 << 20, 'x') + "\""); }, "image-kernels");
    bad("command-1mb-lab-id", "a 1 MB string as the lab's id",
        "there is no lab called \"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"; the labs are: hand-conv, arithmetic, matrix, fft, channels, image-kernels, pooling, nonlinearity, receptive-field, backprop, train, normalization, residual, architectures, transfer, adversarial, explain",
        [] { return command_error("{\"lab\": \"" + std::string(1 << 20, 'y') + "\"}"); });
    bad("command-script-lab-id", "a lab id of <script>alert(1)</script>",
        "there is no lab called \"<script>alert(1)</script>\"; the labs are: hand-conv, arithmetic, matrix, fft, channels, image-kernels, pooling, nonlinearity, receptive-field, backprop, train, normalization, residual, architectures, transfer, adversarial, explain",
        [] { return command_error(R"({"lab": "<script>alert(1)</script>"})"); });
    bad("command-lab-number", "\"lab\": 7",
        "\"lab\" must be a lab id (a string): hand-conv, arithmetic, matrix, fft, channels, image-kernels, pooling, nonlinearity, receptive-field, backprop, train, normalization, residual, architectures, transfer, adversarial, explain",
        [] { return command_error(R"({"lab": 7})"); });
    bad("command-unknown-field", "\"strdie\": 2 (a typo)",
        "unknown field \"strdie\"; this lab's commands use: dims, image, kernel, bias, stride, dilation, padding, flip, reset, image_preset, preset, mode, new_exercise, seed, cells, position, step, hint, answer, answers, reveal, show_all, playing, speed",
        [] { return lab_command("hand-conv", "\"strdie\": 2"); }, "hand-conv");
    bad("command-invalid-utf8", "a preset name with bytes that are not UTF-8",
        "the command is not valid JSON",
        [] { return lab_command("image-kernels", "\"preset\": \"sob\xff\xfe\""); }, "image-kernels");
    bad("command-answer-out-of-grid", "an answer for cell [99, 99] of a 3x3 output",
        "cell [99, 99] is outside the output (3 x 2)",
        [] { return lab_command("hand-conv", "\"answer\": {\"position\": [99, 99], \"value\": 3}"); }, "hand-conv");
    bad("command-answer-not-number", "an answer of \"twelve\"",
        "\"value\" must be a number",
        [] { return lab_command("hand-conv", "\"answer\": {\"position\": [0, 0], \"value\": \"twelve\"}"); }, "hand-conv");
    bad("command-answer-outside-exercise", "an answer to the image-kernel lab, which is not in an exercise",
        "there is no exercise open: send {\"new_exercise\": true} first",
        [] { return lab_command("pooling", "\"answer\": {\"position\": [0, 0], \"value\": 1}"); }, "pooling");
    bad("command-new-exercise-negative", "\"new_exercise\": -1",
        "\"new_exercise\" must be true or a seed (a whole number from 0 to 2000000000)",
        [] { return lab_command("hand-conv", "\"new_exercise\": -1"); }, "hand-conv");
    bad("command-new-exercise-huge", "\"new_exercise\": 1e12",
        "\"new_exercise\" must be true or a seed (a whole number from 0 to 2000000000)",
        [] { return lab_command("hand-conv", "\"new_exercise\": 1e12"); }, "hand-conv");
    bad("command-mode-unknown", "\"mode\": \"quiz\"",
        "\"mode\" must be \"explore\" or \"exercise\"",
        [] { return lab_command("hand-conv", "\"mode\": \"quiz\""); }, "hand-conv");
    bad("command-image-path", "\"image\": \"../../etc/passwd\"",
        "no picture called \"../../etc/passwd\"; the pictures are square, upload, chelsea, coffee, astronaut, camera, brick",
        [] { return lab_command("image-kernels", "\"image\": \"../../etc/passwd\""); }, "image-kernels");
    bad("command-progress-wrong-type", "\"progress\": \"yes\"",
        "\"progress\" must be true (every concept's state and every lab's answered and correct counts) or \"reset\" (forget them)",
        [] { return command_error(R"({"progress": "yes"})"); });
    bad("state-older-version", "a link's state from an older version, with a field since renamed (\"kernel_size\")",
        "unknown field \"kernel_size\"; this lab's commands use: dims, image, kernel, bias, stride, dilation, padding, flip, reset, image_preset, preset, mode, new_exercise, seed, cells, position, step, hint, answer, answers, reveal, show_all, playing, speed",
        [] {
            json old = find_lab("hand-conv")->state();
            old["lab"] = "hand-conv";
            old["kernel_size"] = 3;
            return command_error_of(old);
        }, "hand-conv");
    bad("state-wrong-lab", "the image-kernel lab's state sent to the hand lab",
        "unknown field \"backend\"; this lab's commands use: dims, image, kernel, bias, stride, dilation, padding, flip, reset, image_preset, preset, mode, new_exercise, seed, cells, position, step, hint, answer, answers, reveal, show_all, playing, speed",
        [] {
            json other = find_lab("image-kernels")->state();
            other["lab"] = "hand-conv";
            return command_error_of(other);
        }, "hand-conv");
    bad("state-field-of-wrong-type", "a saved state whose \"stride\" became a string",
        "\"stride\" must be a whole number between -1000 and 1000",
        [] {
            json s = find_lab("hand-conv")->state();
            s["lab"] = "hand-conv";
            s["stride"] = "1";
            return command_error_of(s);
        }, "hand-conv");
    bad("command-explain-class", "\"class\": 1e9 in the explain lab",
        "\"class\" must be between -1 and 9 (it is 1e+09)",
        [] { return lab_command("explain", "\"class\": 1e9"); }, "explain");
    bad("command-adversarial-epsilon", "\"epsilon\": -5 in the adversarial lab",
        "\"epsilon\" must be a number between 0 and 0.5",
        [] { return lab_command("adversarial", "\"epsilon\": -5"); }, "adversarial");
}
