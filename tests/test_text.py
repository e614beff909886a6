"""Untrusted text for st.markdown: escaping, math kept for KaTeX, query words in bold, arXiv links, years; plus a real
render in Chromium (markdown, bold titles, captions, snippets in expander labels and titles in page-link labels)."""

import json
import os
import random
import re
import shutil
import socket
import string
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from lib.text import (
    MAX_MATH_CHARS,
    WORD_JOINER,
    arxiv_links,
    fold_line,
    markdown_literal,
    markdown_marked,
    markdown_with_math,
    math_spans,
    year_of,
)
from tests.conftest import PYTHON, ROOT

PUNCTUATION = set(string.punctuation)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<style>body{display:none}</style>",
    "<a href='http://evil'>click</a>",
    "<!-- comment --> &lt;b&gt; &amp; &#58;smile&#58;",
    "[click](javascript:alert(1))",
    "[ref][1]\n\n[1]: http://evil",
    "![x](http://evil/x.png)",
    "<http://evil.example> <mail@evil.example>",
    "see www.evil.example and https://evil.example/x?a=1 or mail me at bob@evil.example",
    ":material/home: :material/warning: icons",
    ":red[alert] :blue-background[text] :rainbow[wow] :green-badge[ok] :color[x]{foreground=red}",
    ":smile: :+1: :streamlit: emoji",
    "::leaf[x]\n:::container\nbody\n:::",
    "# heading",
    "## heading two ##",
    "Heading\n===",
    "- list item\n* star item\n+ plus item\n1. numbered\n2) numbered",
    "> quote\n>> nested",
    "`code` and ``more code``",
    "```python\nprint(1)\n```",
    "~~~\nfenced\n~~~",
    "    indented code block",
    "\tTabbed code block",
    "**bold** __bold__ *em* _em_ ~~strike~~ ~single~",
    "___",
    "---",
    "***",
    "{{ template }} {% raw %}",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "- [ ] task\n- [x] done",
    "footnote[^1]\n\n[^1]: note",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "trailing backslash \\",
    "hard  \nbreak",
    "C++ & C# (2024) 100% {x} ^y ;z 'q' \"d\" =e? !f @g",
]
LATEX = [
    ("$O(n \\log n)$ sorting", ["$O(n \\log n)$"], "sorting"),
    ("$\\mathbb{Z}_2$ gauge theory", ["$\\mathbb{Z}_2$"], "gauge theory"),
    ("$T_c \\approx 40$ K superconductors", ["$T_c \\approx 40$"], "K superconductors"),
    ("$\\alpha$-stable laws", ["$\\alpha$"], "-stable laws"),
    ("$$E=mc^2$$", ["$$E=mc^2$$"], ""),
    ("energy $$ E = mc^2 $$ holds", ["$$ E = mc^2 $$"], "energy holds"),
    ("maps $f: X \\to Y$ and $g:A\\to B$", ["$f: X \\to Y$", "$g:A\\to B$"], "maps and"),
    ("$x^2$ and $y_{**i**}$", ["$x^2$", "$y_{**i**}$"], "and"),
    ("$a<b$ but $[x](y)$", ["$a<b$", "$[x](y)$"], "but"),
    ("$a:b:c$ opens the emoji gate: :smile: :streamlit: :material/home: www.evil.example", ["$a:b:c$"], None),
]
NOT_MATH = [
    "costs $5 and $10",
    "between $ 5 $ and $6$7",
    "${7*7}",
    "$$",
    "$ $",
    "$a$$b$",
    "$$a$",
    "$x $ and $ y$",
    "a\\$5 fee",
    "$`x`$",
    "$a`b$",
    "$$a$b$$",
    "$a\\$",
    "$\\href{javascript:alert(1)}{x}$",
    "$\\url{http://evil}$",
    "$\\rule{100em}{100em}$",
    "$\\htmlClass{x}{y}$",
    "$\\includegraphics{http://evil/x.png}$",
    "$x" + "y" * MAX_MATH_CHARS + "$",
]


def fold(text: str) -> str:
    """Whitespace runs as single spaces, ends stripped."""
    return " ".join(text.split())


def decode(markdown: str) -> str:
    """What CommonMark shows for our output: escapes resolved, word joiners dropped, math kept with its delimiters."""
    resolved = re.sub(r"\\(.)|(\$\$?)[^$]*\2", lambda match: match[0] if match[1] is None else match[1], markdown)
    return resolved.replace(WORD_JOINER, "")


def check_structure(markdown: str) -> list[str]:
    """Walk our output like micromark: outside math only escaped punctuation; math balanced and unable to break out."""
    math: list[str] = []
    i = 0
    while i < len(markdown):
        char = markdown[i]
        if char == "\\":
            assert markdown[i + 1] in PUNCTUATION, markdown
            i += 2
        elif char == "$":
            run = 2 if markdown.startswith("$$", i) else 1
            close = markdown.index("$", i + run)
            assert markdown[close : close + run] == "$" * run and markdown[close + run : close + run + 1] != "$", markdown
            content = markdown[i + run : close]
            assert content.strip() and "`" not in content and "\n" not in content and not content.endswith("\\"), markdown
            math.append(markdown[i : close + run])
            i = close + run
        else:
            assert char not in PUNCTUATION, (char, markdown)
            i += 1
    return math


@pytest.mark.parametrize("source", HOSTILE)
def test_literal_escapes_every_punctuation_character_and_decodes_back_to_the_text(source: str) -> None:
    out = markdown_literal(source)
    assert check_structure(out) == []
    assert fold(decode(out)) == fold(source)
    assert "<" not in out.replace("\\<", "")
    assert markdown_with_math(source) == out


@pytest.mark.parametrize("source", HOSTILE)
def test_no_line_of_the_output_can_start_a_block(source: str) -> None:
    for line in markdown_literal(source).split("\n"):
        assert line == "" or not line[0].isspace()
        assert not re.match(r"[#>*+\-=_|`~:\[!<]|\d+[.)]", line)


def test_patterns_matched_on_decoded_text_are_broken_by_word_joiners() -> None:
    source = "www.evil.org WWW.Evil.org http://evil https://evil bob@evil.org :smile: :+1: :streamlit: :material/home: a -> b -- c"
    shown = re.sub(r"\\(.)", r"\1", markdown_literal(source))
    assert shown.replace(WORD_JOINER, "") == source
    assert not re.search(r"www\.|https?://|@\w|:[\w+-]", shown, re.IGNORECASE)
    assert not re.search(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)", shown)
    assert markdown_literal("Title: a subtitle, at 10 am") == "Title\\: a subtitle\\, at 10 am"


def test_whitespace_folds_to_spaces_and_blank_lines_stay_paragraph_breaks() -> None:
    abstract = "  First line\n  continues here.\n\n\n   Second\tparagraph\r\n\r\nthird  \n"
    assert markdown_literal(abstract) == "First line continues here\\.\n\nSecond paragraph\n\nthird"
    assert markdown_literal(abstract, inline=True) == "First line continues here\\. Second paragraph third"
    assert markdown_with_math("A title\n  on two lines") == "A title on two lines"
    assert markdown_with_math("$x$\n\n$y$", inline=True) == "$x$ $y$"
    assert markdown_literal("    code?") == "code\\?"
    assert markdown_literal(" \n\t ") == ""
    assert markdown_literal("nul\x00bell\x07 ok\x0bhere") == "nulbell ok here"
    assert markdown_literal(None) == ""
    assert markdown_literal(12) == "12"


@pytest.mark.parametrize(("source", "math", "rest"), LATEX)
def test_balanced_math_is_kept_verbatim_and_the_rest_escaped(source: str, math: list[str], rest: str | None) -> None:
    out = markdown_with_math(source)
    assert check_structure(out) == math
    assert decode(out) == source.replace("\n", " ")
    if rest is not None:
        outside = out
        for segment in math:
            outside = outside.replace(segment, " ")
        assert fold(decode(outside)) == rest


@pytest.mark.parametrize("source", NOT_MATH)
def test_unbalanced_or_unsafe_dollars_are_escaped(source: str) -> None:
    out = markdown_with_math(source)
    assert check_structure(out) == []
    assert decode(out) == source.replace("\\$", "$")


def test_an_escaped_dollar_in_the_source_is_a_literal_dollar() -> None:
    assert markdown_with_math("a \\$5 fee and $x^2$") == "a \\$5 fee and $x^2$"
    assert markdown_with_math("\\$x\\$") == "\\$x\\$"
    assert markdown_with_math("$x$ \\$") == "$x$ \\$"


def test_math_next_to_a_digit_or_another_math_segment_is_not_math() -> None:
    assert check_structure(markdown_with_math("$x$5")) == []
    assert check_structure(markdown_with_math("$a$$b$")) == []
    assert check_structure(markdown_with_math("$a$ $b$")) == ["$a$", "$b$"]
    assert check_structure(markdown_with_math("\\$$b$")) == ["$b$"]


def test_random_text_always_yields_safe_structure_and_decodes_back() -> None:
    rng = random.Random(7)
    alphabet = "ab1 \n\t$$$\\\\`:@.[]()<>*_#-|~!&{}w" + WORD_JOINER
    for _ in range(3000):
        source = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for inline in (False, True):
            literal = markdown_literal(source, inline=inline)
            assert check_structure(literal) == []
            math = markdown_with_math(source, inline=inline)
            check_structure(math)
            expected = markdown_literal(source.replace("\\$", "$"), inline=inline)
            assert fold(decode(math)) == fold(decode(expected))


def words(text: str) -> list[tuple[int, int]]:
    """Every whole word of the text: what a snippet may mark."""
    return [match.span() for match in re.finditer(r"[^\W_]+", text)]


def unmarked(markdown: str) -> tuple[str, list[str]]:
    """markdown_marked's output without its bold markers (`**` outside math, not an escaped `\\*` of the text), and
    what each pair of markers held."""
    out, bold, i = [], [], 0
    opened: int | None = None
    while i < len(markdown):
        if markdown[i] == "\\":
            out.append(markdown[i : i + 2])
            i += 2
        elif markdown[i] == "$":
            run = 2 if markdown.startswith("$$", i) else 1
            close = markdown.index("$" * run, i + run) + run
            out.append(markdown[i:close])
            i = close
        elif markdown.startswith("**", i):
            if opened is None:
                opened = len(out)
            else:
                bold.append("".join(out[opened:]))
                opened = None
            i += 2
        else:
            out.append(markdown[i])
            i += 1
    assert opened is None, markdown
    return "".join(out), bold


@pytest.mark.parametrize("source", HOSTILE + [source for source, _, _ in LATEX] + NOT_MATH)
def test_marked_text_is_the_literal_line_with_whole_words_in_bold(source: str) -> None:
    line = fold_line(source)
    text, bold = unmarked(markdown_marked(line, words(line)))
    assert text == markdown_with_math(source, inline=True)
    assert all(re.fullmatch(r"[^\W_]+", word) for word in bold), bold
    if "$" not in line:
        assert bold == [line[start:end] for start, end in words(line)]


def test_math_spans_are_the_math_markdown_with_math_keeps() -> None:
    for source, math, _ in LATEX:
        line = fold_line(source)
        assert [line[start:end] for start, end in math_spans(source)] == math
    for source in NOT_MATH:
        assert math_spans(source) == []
    assert math_spans("a \\$5 and  $x$") == [(10, 13)]  # positions in the folded line


def test_only_whole_words_outside_math_are_marked() -> None:
    line = "Graph neural networks on $G=(V,E)$ graphs; graph-based"
    spans = words(line)
    assert markdown_marked(line, [spans[0]]) == "**Graph** neural networks on $G=(V,E)$ graphs\\; graph\\-based"
    inside_math = (line.index("V"), line.index("V") + 1)
    part_of_word = (line.index("graphs"), line.index("graphs") + 5)
    across_words = (0, len("Graph neural"))
    assert markdown_marked(line, [inside_math, part_of_word, across_words, (-3, 2), (50, 99)]) == markdown_with_math(line, inline=True)
    assert markdown_marked(line, spans).count("**") == 2 * (len(spans) - 3)  # G, V and E are math
    # Text that is not one folded line is shown folded, unmarked: the spans would point elsewhere.
    assert markdown_marked("Graph\n\nneural", [(0, 5)]) == "Graph neural"
    assert markdown_marked("", [(0, 1)]) == ""


def test_marks_next_to_escaped_punctuation_and_word_joiners_keep_the_text() -> None:
    line = "*graph* :red[alert] www.evil.org __init__ x_y ->a"
    out = markdown_marked(line, words(line))
    assert out.startswith("\\***graph**\\*") and "\\:" + WORD_JOINER + "**red**" in out
    text, bold = unmarked(out)
    assert text == markdown_literal(line, inline=True) and fold(decode(text)) == line
    assert bold == ["graph", "red", "alert", "www", "evil", "org", "init", "x", "y", "a"]


@pytest.mark.parametrize(
    "paper_id",
    [
        "2401.01234",
        "2401.01234v2",
        " 0704.0001 ",
        "2401.01234\n",
        "1412.9999v10",
        "hep-th/9901001",
        "math.AG/0601001v1",
        "cond-mat/0102536",
    ],
)
def test_arxiv_links_for_real_ids(paper_id: str) -> None:
    path = paper_id.strip()
    assert arxiv_links(paper_id) == {"abs": f"https://arxiv.org/abs/{path}", "pdf": f"https://arxiv.org/pdf/{path}"}


@pytest.mark.parametrize(
    "paper_id",
    [
        "demo-2401.00001",
        "demo-0001",
        "",
        "2401.123",
        "2401.123456",
        "2413.01234",
        "1501.1234",
        "1412.12345",
        "2401.01234v",
        "2401.01234v0",
        "hep-th/990100",
        "HEP-TH/9901001",
        "math.ag/0601001",
        "2401.01234/../../x",
        "javascript:alert(1)",
        "2401.01234 x",
        "https://arxiv.org/abs/2401.01234",
        None,
    ],
)
def test_arxiv_links_none_for_anything_else(paper_id: str) -> None:
    assert arxiv_links(paper_id) is None


@pytest.mark.parametrize(
    ("date", "year"),
    [
        ("2024-01-15", "2024"),
        ("2007-05-23T10:00:00", "2007"),
        ("1999", "1999"),
        (" 2010/3/4", "2010"),
        ("", ""),
        ("n/a", ""),
        ("12345-01-01", ""),
        (None, ""),
    ],
)
def test_year_of(date: str, year: str) -> None:
    assert year_of(date) == year


RENDER_SCRIPT = """
import json
import re
import sys

import streamlit as st

sys.path.insert(0, {root!r})
from lib.text import fold_line, markdown_literal, markdown_marked, markdown_with_math

for i, source in enumerate(json.load(open({cases!r}))):
    line = fold_line(source)
    spans = [match.span() for match in re.finditer(r"[^\\W_]+", line)]
    shown = markdown_with_math(source)
    with st.container(key=f"plain{{i}}"):
        st.markdown(shown)
    with st.container(key=f"bold{{i}}"):
        st.markdown(f"**{{markdown_with_math(source, inline=True)}}**")
    with st.container(key=f"caption{{i}}"):
        st.caption(markdown_literal(source, inline=True) + " · tail")
    with st.container(key=f"marked{{i}}"):  # a result row's snippet: every word marked, in an expander's label
        with st.expander(markdown_marked(line, spans), type="compact"):
            st.write("abstract")
    with st.container(key=f"link{{i}}"):  # a result row's title: a page link's label
        st.page_link("https://example.com/", label=f"**{{markdown_with_math(source, inline=True)}}**")
"""
# Where each context's text is drawn.
SELECTORS = {
    "plain": "[data-testid='stMarkdownContainer']",
    "bold": "[data-testid='stMarkdownContainer']",
    "caption": "[data-testid='stCaptionContainer']",
    "marked": "summary [data-testid='stMarkdownContainer']",
    "link": "[data-testid='stPageLink-NavLink'] [data-testid='stMarkdownContainer']",
}

INSPECT = """root => {
    const bad = [];
    for (const el of root.querySelectorAll('*')) {
        const tag = el.tagName.toLowerCase();
        for (const attr of el.attributes) {
            if (/^on|^(href|src|srcdoc|xlink:href|action|formaction)$/i.test(attr.name)) bad.push(tag + '@' + attr.name);
        }
        if (el.closest('.katex')) {
            if (!(tag === 'span' || tag === 'svg' || tag === 'path' || tag === 'line' || tag === 'annotation'
                  || el.namespaceURI === 'http://www.w3.org/1998/Math/MathML')) bad.push('katex ' + tag);
        } else if (tag === 'span') {
            if (!el.classList.contains('katex-display')) bad.push('span.' + el.className + '[' + (el.getAttribute('role') || '') + ']');
        } else if (!['p', 'strong'].includes(tag)) {
            bad.push(tag);
        }
        if (el.hasAttribute('style') && !el.closest('.katex')) bad.push(tag + '@style');
    }
    const clone = root.cloneNode(true);
    clone.querySelectorAll('.katex').forEach(node => node.replaceWith(' '));
    return {
        bad,
        katex: root.querySelectorAll('.katex').length,
        errors: root.querySelectorAll('.katex-error').length,
        strong: [...root.querySelectorAll('strong')].filter(node => !node.closest('.katex')).map(node => node.textContent),
        rest: clone.textContent,
        text: root.innerText,
    };
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _shown(text: str) -> str:
    return fold(text.replace(WORD_JOINER, ""))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Every sample rendered by a real Streamlit server in headless Chromium: per container, what the DOM holds."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium not found at {CHROMIUM}: the real render check needs a headless browser")
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("render")
    samples = HOSTILE + [source for source, _, _ in LATEX] + NOT_MATH
    cases = folder / "cases.json"
    cases.write_text(json.dumps(samples))
    script = folder / "render.py"
    script.write_text(RENDER_SCRIPT.format(root=str(ROOT), cases=str(cases)))
    port = _free_port()
    args = [PYTHON, "-m", "streamlit", "run", str(script), "--server.port", str(port), "--server.headless", "true"]
    args += ["--browser.gatherUsageStats", "false"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("STREAMLIT_")}
    server = subprocess.Popen(args, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    pytest.fail("the streamlit server for the render check did not start")
                time.sleep(0.3)
        flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            page.wait_for_selector(f".st-key-caption{len(samples) - 1} [data-testid='stCaptionContainer']", timeout=90_000)
            page.wait_for_function("!document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000)
            page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
            page.wait_for_timeout(1000)
            result = {}
            for i, source in enumerate(samples):
                for context, selector in SELECTORS.items():
                    found = page.locator(f".st-key-{context}{i} {selector}")
                    result[f"{context}:{source}"] = found.evaluate(INSPECT)
            result["page errors"] = errors
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return result


@pytest.mark.browser
def test_browser_sees_no_page_errors(rendered: dict) -> None:
    assert rendered["page errors"] == []


@pytest.mark.browser
@pytest.mark.parametrize("context", list(SELECTORS))
@pytest.mark.parametrize("source", HOSTILE + NOT_MATH)
def test_browser_shows_hostile_text_literally(rendered: dict, context: str, source: str) -> None:
    dom = rendered[f"{context}:{source}"]
    assert dom["bad"] == []
    assert dom["katex"] == 0
    if context == "marked":  # every word in bold, and nothing else
        assert dom["strong"] == [fold_line(source)[start:end] for start, end in words(fold_line(source))]
    expected = source if context == "caption" else source.replace("\\$", "$")
    tail = " · tail" if context == "caption" else ""
    assert _shown(dom["text"]) == fold(expected) + tail


@pytest.mark.browser
@pytest.mark.parametrize("context", ["plain", "bold", "marked", "link"])
@pytest.mark.parametrize(("source", "math", "rest"), LATEX)
def test_browser_renders_math_with_katex(rendered: dict, context: str, source: str, math: list[str], rest: str | None) -> None:
    dom = rendered[f"{context}:{source}"]
    assert dom["bad"] == []
    assert dom["katex"] == len(math)
    assert dom["errors"] == 0
    outside = source
    for segment in math:
        outside = outside.replace(segment, " ")
    assert _shown(dom["rest"]) == fold(outside)
    if rest is not None:
        assert _shown(dom["rest"]) == rest


@pytest.mark.browser
@pytest.mark.parametrize("source", [source for source, _, _ in LATEX])
def test_browser_caption_of_literal_text_has_no_math(rendered: dict, source: str) -> None:
    dom = rendered[f"caption:{source}"]
    assert dom["bad"] == [] and dom["katex"] == 0
    assert _shown(dom["text"]) == fold(source) + " · tail"
