#!/usr/bin/env python3
"""Write the tokenizer test corpus and the reference ids of Hugging Face
`tokenizers` (PyPI) under tests/data/tokenizers/, so the C++ tests need no Python.

    python3 tests/reference/make_tokenizer_goldens.py

Writes:
  corpus.json             the test strings (varied scripts, whitespace, code, ...)
  long_document.txt       a few hundred KB of English mixed with other scripts
  metaspace*/tokenizer.json  a SentencePiece-style BPE (Metaspace + byte_fallback)
                          trained here, and two variants of its configuration
  goldens/<name>.json     ids per corpus string (add_special_tokens False, and a
                          subset with True), the long document's ids, decodes

Everything is deterministic: the same inputs give the same files.
"""

import json
import os
import sys
import textwrap
import unicodedata

import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "tokenizers")

# The post-processor of the released Llama 3 tokenizer.json (the packaged copy
# under llama3/ carries a plain ByteLevel one); tests patch it in to check BOS.
LLAMA3_TEMPLATE = {
    "type": "Sequence",
    "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}},
                {"Sequence": {"id": "B", "type_id": 1}},
            ],
            "special_tokens": {
                "<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}
            },
        },
    ],
}


def handwritten_strings():
    return [
        "",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "Hello world",
        "Hello, world!",
        " Hello world",
        "Hello world ",
        "Hello   world",
        "Hello\tworld",
        "Hello\nworld",
        "Hello\r\nworld\r\n",
        "line one\n\nline three\n\n\n",
        "   leading and trailing   ",
        "trailing newline\n",
        "\n\n\nleading newlines",
        "tabs\t\t\tand  spaces \t \t mixed",
        "The spouse of the performer of Imagine is",
        "The Eiffel Tower is located in the city of",
        "When Mary and John went to the store, John gave a drink to",
        "I'm sure you're right, it's what they've said we'd do and I'll go.",
        "I'M SURE YOU'RE RIGHT, IT'S WHAT THEY'VE SAID WE'D DO AND I'LL GO.",
        "She'S here, He'Ll come, They'Re out, We'Ve won, You'D know, It'T",
        "don't won't can't shouldn't y'all o'clock rock'n'roll",
        "'s 't 're 've 'm 'll 'd",
        "''quoted'' and 'single' and \"double\" and `backtick`",
        "0",
        "7",
        "42",
        "123",
        "1234",
        "12345",
        "123456789012345678901234567890",
        "3.14159265358979323846",
        "1,000,000 and 1.000.000 and 1 000 000",
        "The year 2024 had 366 days; 2023 had 365.",
        "Phone: +1 (555) 010-9999, ext. 42",
        "v1.2.3-beta+build.456",
        "0x1F600 0b1010 0o777 1e-9 6.02e23",
        "٠١٢٣٤٥٦٧٨٩ ০১২৩ ०१२३४ ๐๑๒๓",
        "½ ¾ ⅓ ² ³ ⁴ ① ② Ⅻ",
        "你好，世界！",
        "我爱自然语言处理。这是一个测试句子，包含标点符号。",
        "日本語のテキストです。カタカナとひらがなと漢字。",
        "東京は日本の首都です",
        "한국어 문장입니다. 안녕하세요!",
        "مرحبا بالعالم! هذه جملة باللغة العربية.",
        "السلام عليكم ورحمة الله",
        "שלום עולם! זה משפט בעברית.",
        "नमस्ते दुनिया! यह हिंदी में एक वाक्य है।",
        "क्षत्रिय त्र ज्ञ श्र",
        "สวัสดีครับ ภาษาไทยไม่มีช่องว่างระหว่างคำ",
        "Привет, мир! Это предложение на русском языке.",
        "ПРИВЕТ МИР, ёлка Ёлка",
        "Γειά σου Κόσμε! Αυτή είναι μια ελληνική πρόταση.",
        "Ελληνικά: αβγδεζηθικλμνξοπρστυφχψω ΑΒΓΔ",
        "Tiếng Việt có nhiều dấu: Xin chào thế giới",
        "Türkçe: İstanbul, ığdır, ŞEKER, çiçek",
        "Polski: zażółć gęślą jaźń",
        "Deutsch: Größenwahn, Straße, ÄÖÜ äöü ß ẞ",
        "Français: l'été, où est-ce qu'il va? Ça va.",
        "Español: ¿Dónde está la biblioteca? ¡Olé!",
        "Português: ação, coração, não",
        "Ελληνικά και English mixed with Русский and 中文",
        "ქართული ენა",
        "Հայերեն լեզու",
        "አማርኛ ቋንቋ",
        "தமிழ் மொழி",
        "తెలుగు భాష",
        "ᚠᚢᚦᚨᚱᚲ runes",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝐛𝐨𝐥𝐝",
        "😀",
        "😀😃😄😁",
        "I love it 😍🔥💯!",
        "👍 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿",
        "👨‍👩‍👧‍👦 family",
        "👩🏽‍💻 coder, 🏳️‍🌈 flag, 🧑‍🤝‍🧑 people",
        "🇯🇵🇺🇸🇩🇪 flags",
        "❤️ ❤ ☺️ ✔️",
        "keycaps 1️⃣ 2️⃣ #️⃣",
        "e\u0301",
        "\u00e9",
        "Cafe\u0301 cafe\u0301 CAFE\u0301",
        "Caf\u00e9 caf\u00e9 CAF\u00c9",
        "a\u0308o\u0308u\u0308 A\u0308O\u0308U\u0308",
        "\u1e9b\u0323 \u0071\u0307\u0323 \u0071\u0323\u0307",
        "\u212b \u2126 \u00c5 \u03a9",
        "\u1100\u1161\u11a8 \uac01 \u1112\u1161\u11ab\u1100\u1173\u11af",
        "zalgo: Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034da",
        "combining only: \u0301\u0302\u0303",
        "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd with niqqud",
        "zero\u200bwidth\u200cjoiner\u200dtest\ufeffbom",
        "non\u00a0breaking\u2009thin\u3000ideographic\u2028line\u2029para",
        "next\u0085line and vertical\x0btab and form\x0cfeed",
        "control \x00 \x01 \x1f \x7f chars",
        "replacement \ufffd char",
        "private use \ue000\uf8ff and noncharacter \ufdd0",
        "<|endoftext|>",
        "Hello<|endoftext|>world",
        "Hello <|endoftext|> world",
        "<|endoftext|><|endoftext|>",
        "<|begin_of_text|>The start",
        "text <|begin_of_text|> middle <|end_of_text|> end",
        "<|im_start|>user\nHi there!<|im_end|>\n<|im_start|>assistant\n",
        "<think>\nreasoning\n</think>\n\nanswer",
        "<tool_call>{\"name\": \"f\"}</tool_call>",
        "<s>hello</s> <unk> <pad>",
        "<|endoftext",
        "|endoftext|>",
        "<<|endoftext|>>",
        "<|eot_id|><|start_header_id|>system<|end_header_id|>",
        "def add(a, b):\n    return a + b\n",
        "def f(x):\n\tif x > 0:\n\t\treturn x ** 2\n\treturn -x\n",
        "class Foo(Bar):\n    \"\"\"Docstring.\"\"\"\n\n    def __init__(self, *args, **kwargs) -> None:\n        super().__init__()\n",
        "#include <iostream>\nint main() {\n    std::cout << \"Hello\" << std::endl;\n    return 0;\n}\n",
        "template <typename T> constexpr auto f(T&& t) noexcept -> decltype(auto) { return std::forward<T>(t); }",
        "fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}",
        "function f() { return [1, 2, 3].map(x => x * 2).filter(Boolean); }",
        "const obj = { key: 'value', 'quoted-key': `template ${x}` };",
        "SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%son' ORDER BY id DESC;",
        "<html><body><div class=\"main\">Hello &amp; welcome</div></body></html>",
        "{\"key\": [1, 2.5, true, null], \"nested\": {\"a\": \"b\"}}",
        "for i in range(10):\n    print(i)  # comment\n",
        "if (a && b || !c) { x += 1; y -= 2; z *= 3; w /= 4; }",
        "$ ls -la | grep foo > out.txt 2>&1 &",
        "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n",
        "public static void main(String[] args) { System.out.println(args.length); }",
        "x = [i**2 for i in range(100) if i % 3 == 0]",
        "\\documentclass{article}\n\\begin{document}\n$E = mc^2$ and $\\int_0^\\infty e^{-x}\\,dx = 1$\n\\end{document}",
        "https://www.example.com/path/to/page?query=1&other=two#fragment",
        "http://localhost:8080/api/v1/users/42",
        "mailto:someone@example.org",
        "Visit https://huggingface.co/docs/tokenizers/index for docs.",
        "ftp://files.example.net/pub/file-1.2.3.tar.gz",
        "user@example.com, first.last+tag@sub.domain.co.uk",
        "C:\\Users\\name\\Documents\\file.txt",
        "/usr/local/bin/python3 --version",
        "#hashtag @mention $money %percent ^caret &amp *star",
        "!!!???...,,,;;;:::",
        "--- *** ___ === +++ ~~~",
        "(parentheses) [brackets] {braces} <angles>",
        "\u201csmart quotes\u201d \u2018single\u2019 \u00abguillemets\u00bb \u201elow\u201c",
        "em\u2014dash en\u2013dash hyphen-minus \u2212 minus",
        "ellipsis\u2026 bullet\u2022 dagger\u2020 section\u00a7 pilcrow\u00b6",
        "\u20ac100 \u00a350 \u00a51000 \u20b9500 $20 \u20bf0.5",
        "\u2200x\u2208\u211d: x\u00b2 \u2265 0 \u2227 \u221a4 = 2 \u2260 3",
        "\u2190 \u2192 \u2191 \u2193 \u21d2 \u21d4",
        "\u250c\u2500\u2500\u2510\n\u2502  \u2502\n\u2514\u2500\u2500\u2518",
        "A" * 50,
        "ab" * 40,
        "a b c d e f g h i j k l m n o p q r s t u v w x y z",
        "supercalifragilisticexpialidocious antidisestablishmentarianism",
        "pneumonoultramicroscopicsilicovolcanoconiosis",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
        "CamelCaseIdentifier snake_case_identifier kebab-case-identifier SCREAMING_CASE",
        "getElementById XMLHttpRequest iPhone eBay McDonald's",
        "UPPER lower MiXeD",
        "   \n   \n   ",
        " \t \n \r\n \t ",
        "word\u3000word",
        "end with spaces    ",
        "a\n",
        "\n a",
        "x" + " " * 20 + "y",
        "The quick brown fox jumps over the lazy dog. " * 3,
        "Emoji in code: print('🐍') # snake",
        "Mixed 中文 and English 混合 text",
        "数字123和字母abc混合",
        "العربية 123 مع English",
        "עברית mixed עם English and 456",
        "한글과 English 혼합 123",
        "Ünïcödé àçcéñts ëvérÿwhérè",
        "ﬁ ﬂ ﬀ ligatures and ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
        "ｶﾀｶﾅ half-width katakana",
        "Ⓒ ® ™ ℠ ℃ ℉",
        "😀text😀text😀",
        "a😀b",
        "\u0000",
        "tab\tseparated\tvalues\n1\t2\t3\n",
        "comma,separated,values\n\"quoted, field\",2,3\n",
        "key: value\nlist:\n  - item1\n  - item2\n",
        "# Heading\n\n* bullet **bold** _italic_ `code`\n\n> quote\n",
        "1. First\n2. Second\n10. Tenth",
        "Dr. Smith vs. Mr. Jones, e.g. i.e. etc.",
        "It's 5 o'clock somewhere; it'S 5 O'CLOCK.",
        "rock 'n' roll, 'twas, 'tis",
        "He said: 'I'll be back.'",
        "naïve coöperate résumé",
        "\ud55c\uad6d\uc5b4 \u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165",
    ]


def generated_strings():
    """Systematic variants: contractions in every case, numbers of every length,
    whitespace runs, every script paired with a space and punctuation."""
    out = []
    for word in ["s", "t", "re", "ve", "m", "ll", "d"]:
        for variant in [word, word.upper(), word.capitalize()]:
            out.append(f"it'{variant} X'{variant}")
    for n in range(1, 13):
        out.append("".join(str((i * 7 + 3) % 10) for i in range(n)))
        out.append(" " + "9" * n + " apples")
    for n in [1, 2, 3, 4, 7]:
        out.append("a" + " " * n + "b")
        out.append("a" + "\n" * n + "b")
        out.append("a" + " " * n + "\n" + " " * n + "b")
    for text in ["日本", "中文字", "مرحبا", "שלום", "नमस्ते", "สวัสดี", "Привет", "Γειά", "😀👍🏽"]:
        out.append(text)
        out.append(" " + text)
        out.append(text + "!")
        out.append("(" + text + ")")
    return out


def corpus():
    strings = handwritten_strings() + generated_strings()
    # The same sentence in NFC and NFD, so a missing normalizer shows.
    for s in ["Crème brûlée à la française", "Ångström Ørsted Ñandú", "Việt Nam", "한국어"]:
        strings.append(unicodedata.normalize("NFC", s))
        strings.append(unicodedata.normalize("NFD", s))
    seen = set()
    unique = []
    for s in strings:
        if s not in seen:
            seen.add(s)
            unique.append(s)
    return unique


def offline_english_texts():
    """Plain English available on every Debian machine: licence texts and the
    docstrings of Python's standard library."""
    texts = []
    licenses = "/usr/share/common-licenses"
    for name in ["Apache-2.0", "GPL-3", "LGPL-2.1", "MPL-2.0", "Artistic"]:
        path = os.path.join(licenses, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                texts.append(f.read())
    import collections, functools, inspect, itertools, json as json_module, os as os_module, re, string
    for module in [collections, functools, inspect, itertools, json_module, os_module, re, string, textwrap]:
        for name in sorted(dir(module)):
            doc = getattr(getattr(module, name), "__doc__", None)
            if isinstance(doc, str) and len(doc) > 200:
                texts.append(inspect.cleandoc(doc))
    return texts


def long_document(strings):
    """English text interleaved with the corpus strings, about 300 KB."""
    parts = []
    multilingual = [s for s in strings if any(ord(c) > 127 for c in s)]
    for i, text in enumerate(offline_english_texts()):
        parts.append(text)
        parts.append("\n\n" + "\n".join(multilingual[(i * 7) % len(multilingual):][:7]) + "\n\n")
    document = "".join(parts)
    return document[:300_000]


def train_metaspace():
    """A small SentencePiece-style BPE: Metaspace, byte_fallback, <0xNN> tokens
    in the model vocabulary at ids 3..258 as in Llama 2."""
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    tokenizer = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(
        vocab_size=800,
        special_tokens=["<unk>", "<s>", "</s>"] + byte_tokens,
        limit_alphabet=200,
        show_progress=False,
    )
    tokenizer.train_from_iterator(offline_english_texts()[:3] + handwritten_strings(), trainer=trainer)
    config = json.loads(tokenizer.to_str())
    config["added_tokens"] = [t for t in config["added_tokens"] if t["content"] not in byte_tokens]
    return config


def metaspace_variants(config):
    """name -> tokenizer.json: the Llama 2 layout of transformers' converter,
    Metaspace's own decoder with prepend 'always' and split, and the legacy
    layout with Prepend/Replace normalizers and no pre-tokenizer."""
    sentencepiece_decoder = {
        "type": "Sequence",
        "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0},
        ],
    }
    bos_template = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [
            {"SpecialToken": {"id": "<s>", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
            {"SpecialToken": {"id": "<s>", "type_id": 1}},
            {"Sequence": {"id": "B", "type_id": 1}},
        ],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
    }
    llama2 = dict(config)
    llama2["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}
    llama2["decoder"] = sentencepiece_decoder
    llama2["post_processor"] = bos_template
    always = dict(config)
    always["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    always["decoder"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    always["post_processor"] = None
    legacy = dict(config)
    legacy["normalizer"] = {
        "type": "Sequence",
        "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        ],
    }
    legacy["pre_tokenizer"] = None
    legacy["decoder"] = sentencepiece_decoder
    legacy["post_processor"] = bos_template
    return {"metaspace": llama2, "metaspace_always": always, "metaspace_legacy": legacy}


def gpt2_reference():
    folder = os.path.join(DATA, "gpt2")
    model = models.BPE.from_file(os.path.join(folder, "vocab.json"), os.path.join(folder, "merges.txt"))
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def goldens(tokenizer, strings, document, special_subset, with_document):
    def encode(s, add_special):
        return tokenizer.encode(s, add_special_tokens=add_special).ids

    record = {
        "vocab_size": tokenizer.get_vocab_size(with_added_tokens=True),
        "strings": [],
        "with_special_tokens": [],
    }
    for s in strings:
        ids = encode(s, False)
        record["strings"].append({"ids": ids, "decoded": tokenizer.decode(ids, skip_special_tokens=False)})
    for index in special_subset:
        ids = encode(strings[index], True)
        record["with_special_tokens"].append({
            "index": index,
            "ids": ids,
            "decoded_skip_special": tokenizer.decode(ids, skip_special_tokens=True),
        })
    if with_document:
        ids = encode(document, False)
        record["long_document"] = {"ids": ids, "decoded": tokenizer.decode(ids, skip_special_tokens=False)}
    return record


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def main():
    strings = corpus()
    assert len(strings) >= 200, len(strings)
    document = long_document(strings)
    write_json(os.path.join(DATA, "corpus.json"), strings)
    with open(os.path.join(DATA, "long_document.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(document)

    for name, config in metaspace_variants(train_metaspace()).items():
        os.makedirs(os.path.join(DATA, name), exist_ok=True)
        with open(os.path.join(DATA, name, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, ensure_ascii=False, indent=1)

    special_subset = [i for i, s in enumerate(strings) if "<" in s or i % 10 == 0]
    references = {"gpt2": gpt2_reference()}
    for name in ["llama3", "qwen3", "metaspace", "metaspace_always", "metaspace_legacy"]:
        references[name] = Tokenizer.from_file(os.path.join(DATA, name, "tokenizer.json"))
    with open(os.path.join(DATA, "llama3", "tokenizer.json"), encoding="utf-8") as f:
        llama3 = json.load(f)
    llama3["post_processor"] = LLAMA3_TEMPLATE
    references["llama3_template"] = Tokenizer.from_str(json.dumps(llama3))

    for name, tokenizer in references.items():
        with_document = name in ("gpt2", "llama3", "qwen3", "metaspace")
        record = goldens(tokenizer, strings, document, special_subset, with_document)
        record["tokenizers_version"] = tokenizers.__version__
        write_json(os.path.join(DATA, "goldens", name + ".json"), record)
        print(f"{name}: {len(strings)} strings, vocab {record['vocab_size']}", file=sys.stderr)


if __name__ == "__main__":
    main()
