"""The notes: the root README's question map is current, every formula in the READMEs
renders, every question opens with a short answer in bold, and the figures are what
tools/figures.py makes of the code today.

The formula check. GitHub renders `$…$` and ```math with MathJax; other viewers use KaTeX.
A formula passes when it keeps to a documented subset of LaTeX that both support
(KATEX_SUBSET and ENVIRONMENTS below: add a command there only after checking it in both),
its structure is sound (braces, \\begin/\\end, \\left/\\right, the arguments of each command,
`&` and `\\\\` only inside an environment, no `%`, `#` or `$$`), and latex2mathml 3.81, a
small pure-Python LaTeX-to-MathML parser, converts it without an error (it catches double
and empty sub/superscripts, a \\left with no \\right, an unterminated environment). It is a
checker, not KaTeX: latex2mathml alone accepts unknown commands and unbalanced braces,
hence the subset and the structural checks; matplotlib's mathtext was the other candidate,
but it has no \\begin{aligned}, which the derivations need.

Inline `$…$` has one more hazard: GitHub runs Markdown over it before MathJax sees it, so a
backslash before punctuation (\\{, \\,, \\\\) is eaten as an escape, `<b` opens an HTML tag,
`](` a link, and an `_` or `*` that can open emphasis pairs with a later one. Such a formula
must use the `` $`…`$ `` form (its content is raw), a ```math block, or a letter command
(\\lbrace, \\ast). The emphasis check approximates CommonMark's flanking rules: it flags any
delimiter in math that could pair with another in the same block.
"""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest
from latex2mathml.converter import convert

from graders.catalog import REPO_ROOT, all_katas, topics

READMES = [REPO_ROOT / "README.md", *sorted(REPO_ROOT.glob("exercises/*/README.md"))]


def load_tool(name):
    """tools/<name>.py as a module (tools/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(
        f"tools_{name}", REPO_ROOT / "tools" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


question_map = load_tool("question_map")


# ------------------------------------------------------------------ the question map


def test_the_question_map_in_readme_is_current():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert question_map.BEGIN in readme and question_map.END in readme
    assert question_map.with_map(readme) == readme, (
        "README.md's question map is out of date: run python tools/question_map.py"
    )


def test_the_map_lists_every_question_once_and_every_kata():
    table = question_map.question_map()
    numbers = [int(n) for n in re.findall(r"^\| Q(\d+) \|", table, flags=re.M)]
    listed = sorted(q for topic in topics() for q in topic.questions)
    assert numbers == listed == list(range(1, len(listed) + 1))
    for kata in all_katas():
        assert f"(exercises/{kata.topic}/{kata.filename})" in table, f"{kata.key} is on no row"


def test_every_link_of_the_map_points_at_a_heading_of_its_readme():
    for path, anchor in re.findall(
        r"\]\((exercises/[^)#]+README\.md)#([^)]+)\)", question_map.question_map()
    ):
        text = (REPO_ROOT / path).read_text(encoding="utf-8")
        assert anchor in [a for _, _, a in question_map.headings(text)], f"{path}#{anchor}"


def test_the_map_reads_the_headings_it_is_given(tmp_path):
    """Nothing is hard-coded: an edited heading changes the row's text and anchor."""
    for topic in topics():
        (tmp_path / "exercises" / topic.id).mkdir(parents=True)
        readme = (REPO_ROOT / "exercises" / topic.id / "README.md").read_text(encoding="utf-8")
        if topic.id == "05_backprop":
            readme = re.sub(
                r"^## Q12 · .*$",
                "## Q12 · Why does backprop — √ — need a graph?",
                readme,
                flags=re.M,
            )
        (tmp_path / "exercises" / topic.id / "README.md").write_text(readme, encoding="utf-8")
    row = next(
        line
        for line in question_map.question_map(tmp_path).splitlines()
        if line.startswith("| Q12 |")
    )
    assert (
        "[Why does backprop — √ — need a graph?](exercises/05_backprop/README.md#q12--why-does-backprop----need-a-graph)"
        in row
    )


@pytest.mark.parametrize(
    "heading, anchor",
    [
        # github-slugger's fixtures, which its authors generate from github.com's own ids
        ("heading with a - dash", "heading-with-a---dash"),
        ("heading with an _ underscore", "heading-with-an-_-underscore"),
        (
            "exchange.bind_headers(exchange, routing [, bindCallback])",
            "exchangebind_headersexchange-routing--bindcallback",
        ),
        ("apostrophe’s should be trimmed", "apostrophes-should-be-trimmed"),
        ("I ♥ unicode", "i--unicode"),
        ("en–dash", "endash"),
        ("Привет non-latin 你好", "привет-non-latin-你好"),
        # ours: the middle dot, √, × and ' go, the spaces around them stay
        ("Q1 · What is deep learning?", "q1--what-is-deep-learning"),
        ("Q54 · What is a 1 × 1 convolution for?", "q54--what-is-a-1--1-convolution-for"),
        ("Q61 · … divided by √d_k?", "q61---divided-by-d_k"),
        (
            "Q57 · Why do a vanilla RNN's gradients vanish?",
            "q57--why-do-a-vanilla-rnns-gradients-vanish",
        ),
        ("x² and `code`", "x-and-code"),
    ],
)
def test_anchors_are_github_s(heading, anchor):
    assert question_map.github_slug(question_map.rendered_text(heading)) == anchor


def test_repeated_headings_are_numbered_and_code_is_not_a_heading():
    text = "# Notes\n## Same\n```\n## not a heading\n```\n## Same\n## Same\n"
    assert [a for _, _, a in question_map.headings(text)] == ["notes", "same", "same-1", "same-2"]


# ------------------------------------------------------------------ formulas

GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
    "xi pi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
)
SYMBOLS = (
    "sum prod int partial nabla odot otimes oplus cdot times div pm mp circ ast star top bot "
    "intercal le leq ge geq ne neq approx sim simeq equiv propto ll gg lt gt to rightarrow "
    "leftarrow Rightarrow Leftarrow leftrightarrow iff implies mapsto gets in notin subset "
    "subseteq supset supseteq cup cap forall exists infty ell emptyset mid prime colon "
    "cdots ldots dots vdots ddots quad qquad langle rangle lVert rVert lvert rvert Vert vert "
    "lbrace rbrace lfloor rfloor lceil rceil log ln exp max min arg sup inf lim det dim "
    "sin cos tan tanh sinh cosh Pr displaystyle textstyle limits nolimits "
    "big Big bigg Bigg bigl bigr Bigl Bigr middle uparrow downarrow longrightarrow oslash "
    "varnothing land lor neg bullet triangleq not"
)
# command → its number of mandatory arguments (each a {group} or a single token)
KATEX_SUBSET = {name: 0 for name in f"{GREEK} {SYMBOLS}".split()} | {
    **dict.fromkeys("frac dfrac tfrac binom overset underset stackrel".split(), 2),
    **dict.fromkeys(
        "sqrt hat bar tilde vec dot ddot widehat widetilde overline underline overbrace "
        "underbrace mathbb mathrm mathbf mathcal mathit mathsf mathtt boldsymbol "
        "operatorname text textrm textbf textit boxed".split(),
        1,
    ),
}
CONTROL_SYMBOLS = {*r"\, \; \: \! \{ \} \| \\ \_ \% \# \& \$".split(), "\\ "}
ENVIRONMENTS = {"aligned", "gathered", "cases", "matrix", "pmatrix", "bmatrix", "vmatrix"}
TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|\s+|.", re.S)
# what \left, \right and \middle take (either side may take any of them, as in TeX)
DELIMITERS = {
    "(",
    ")",
    "[",
    "]",
    ".",
    "|",
    "/",
    *(
        "\\" + name
        for name in "{ } | lbrace rbrace langle rangle lVert rVert lvert rvert Vert vert lfloor "
        "rfloor lceil rceil uparrow downarrow".split()
    ),
}


def latex_errors(formula: str) -> list[str]:
    """What keeps this formula from rendering, or [] (the checks of the module docstring)."""
    tokens = [t for t in TOKEN.findall(formula) if not t.isspace()]
    errors, frames = [], []  # frames: "{", "left" or an environment's name
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("%", "#", "$"):
            errors.append(f"{token!r} has no place in a formula (write \\{token})")
        elif token == "{":
            frames.append("{")
        elif token == "}":
            if not frames or frames[-1] != "{":
                errors.append("a '}' closes nothing" if not frames else f"'}}' closes {frames[-1]}")
                break
            frames.pop()
        elif token in ("&", r"\\") and (not frames or frames[-1] not in ENVIRONMENTS):
            errors.append(f"{token!r} outside an environment (use \\begin{{aligned}})")
        elif token in ("^", "_"):
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if following in (None, "}", "&", r"\\", "^", "_"):
                errors.append(f"{token!r} with nothing to attach")
        elif token in (r"\begin", r"\end"):
            match = re.match(r"\{([a-z]+\*?)\}", "".join(tokens[i + 1 : i + 12]))
            name = match and match.group(1)
            if name not in ENVIRONMENTS:
                errors.append(
                    f"{token}{{{name or '?'}}}: not an environment of the subset {sorted(ENVIRONMENTS)}"
                )
                break
            i += len(name) + 2  # the {name} tokens, one character each
            if token == r"\begin":
                frames.append(name)
            elif not frames or frames[-1] != name:
                errors.append(f"\\end{{{name}}} closes {frames[-1] if frames else 'nothing'}")
                break
            else:
                frames.pop()
        elif token in (r"\left", r"\right"):
            delimiter = tokens[i + 1] if i + 1 < len(tokens) else None
            if delimiter not in DELIMITERS:
                errors.append(f"{token} needs a delimiter, got {delimiter!r}")
                break
            i += 1
            if token == r"\left":
                frames.append("left")
            elif not frames or frames[-1] != "left":
                errors.append(r"\right without its \left (in the same group)")
                break
            else:
                frames.pop()
        elif token.startswith("\\") and not token[1:2].isalpha() and token not in CONTROL_SYMBOLS:
            errors.append(f"{token} is not in the documented subset (CONTROL_SYMBOLS)")
        elif token.startswith("\\") and token[1:2].isalpha():
            name = token[1:].rstrip("*")
            if name not in KATEX_SUBSET or (token.endswith("*") and name != "operatorname"):
                errors.append(f"{token} is not in the documented subset (KATEX_SUBSET)")
            else:
                j = i + 1
                if name == "sqrt" and j < len(tokens) and tokens[j] == "[":
                    j = tokens.index("]", j) + 1 if "]" in tokens[j:] else len(tokens)
                for _ in range(KATEX_SUBSET[name]):
                    argument = tokens[j] if j < len(tokens) else None
                    if argument in (None, "}", "&", r"\\", "^", "_"):
                        errors.append(f"{token} is missing an argument")
                        break
                    if argument == "{":  # skip the group; its content is checked in turn
                        j = group_end(tokens, j)
                    else:
                        j += 1
        i += 1
    if not errors and frames:
        errors.append(f"unclosed: {', '.join(frames)}")
    if not errors:
        try:
            convert(formula)
        except Exception as error:  # latex2mathml's own errors, StopIteration included
            errors.append(f"latex2mathml: {type(error).__name__} {error}".strip())
    return errors


def group_end(tokens, start):
    """The index after the '}' that closes the '{' at start (or the end)."""
    depth = 0
    for j in range(start, len(tokens)):
        depth += {"{": 1, "}": -1}.get(tokens[j], 0)
        if depth == 0:
            return j + 1
    return len(tokens)


# Markdown, as GitHub reads it before MathJax does
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)")
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
ASCII_PUNCTUATION = re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def blocks(markdown: str):
    """(line, kind, text) for each ```math block ("display") and each block of prose
    ("prose": a paragraph, a list item, a table row, a heading), code left out."""
    lines = markdown.splitlines()
    i, prose, start = 0, [], 0

    def flush():
        if prose:
            yield start + 1, "prose", "\n".join(prose)
            prose.clear()

    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            yield from flush()
            indent, marker, info = fence.groups()
            body, i = [], i + 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
                i += 1
            if info == "math":
                yield i - len(body), "display", "\n".join(body)
            i += 1
            continue
        starts_block = re.match(r"\s*([-*+]|\d+[.)]|\||#{1,6}|>)\s", line + " ")
        if not line.strip() or starts_block:
            yield from flush()
        if line.strip():
            if not prose:
                start = i
            prose.append(line)
        if re.match(r" {0,3}#{1,6}\s", line):  # a heading is a block of one line
            yield from flush()
        i += 1
    yield from flush()


def inline_math(text: str):
    """(formula, raw, hazards) for each formula of a prose block, then [] or the problems of
    its dollars: raw is True for $`…`$ (its content untouched by Markdown)."""
    found, problems = [], []
    spans = []

    def code(match):
        before, after = text[match.start() - 1 : match.start()], text[match.end() : match.end() + 1]
        if before == "$" and after == "$":
            found.append((match.group(2).strip(), True, []))
        spans.append(match.group(0))
        return "\0" * len(match.group(0))  # keep positions; no $ or delimiter inside

    masked = CODE_SPAN.sub(code, text)
    masked = re.sub(r"\$\0+\$", lambda m: "\0" * len(m.group(0)), masked)  # the $`…`$ dollars
    masked = masked.replace(r"\$", "\0\0")
    if "$$" in masked:
        problems.append("$$: display math goes in a ```math block")
        return found, problems
    dollars = [m.start() for m in re.finditer(r"\$", masked)]
    if len(dollars) % 2:
        problems.append("an unpaired $: write \\$ for a dollar sign, or put it in a code span")
        return found, problems
    inside = {}  # position → the formula it belongs to
    for open_, close in zip(dollars[::2], dollars[1::2]):
        formula = masked[open_ + 1 : close]
        if not formula or formula != formula.strip():
            problems.append(
                f"${formula}$: no space just inside the dollars, or GitHub shows it as text"
            )
        hazards = [
            f"Markdown eats the backslash of {m.group(0)}"
            for m in re.finditer(rf"\\[{ASCII_PUNCTUATION}]", formula)
        ]
        if re.search(r"<[A-Za-z/!?]", formula):
            hazards.append("'<' followed by a letter reads as an HTML tag (write \\lt or '< ')")
        if re.search(r"\]\(|\]\[", formula):
            hazards.append("'](' reads as a link")
        if "|" in formula and text.lstrip().startswith("|"):
            hazards.append("a '|' ends the table cell (write \\vert, or \\lvert … \\rvert)")
        found.append((formula, False, hazards))
        inside.update(dict.fromkeys(range(open_, close + 1), formula))
    for position, char in emphasis_pairs(masked):
        if position in inside:
            found = [
                (
                    formula,
                    raw,
                    hazards + [f"Markdown may pair its {char!r} with another as emphasis"],
                )
                if formula == inside[position] and not raw
                else (formula, raw, hazards)
                for formula, raw, hazards in found
            ]
    return found, problems


def emphasis_pairs(text: str):
    """(position, char) of each `*` or `_` run that could open emphasis with a later run
    that could close it, or close one that an earlier run opened (CommonMark's flanking
    rules, without the rule of three)."""
    runs = []
    for match in re.finditer(r"\*+|_+", text):
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end()] if match.end() < len(text) else " "
        punct_b, punct_a = is_punct(before), is_punct(after)
        left = not after.isspace() and (not punct_a or before.isspace() or punct_b)
        right = not before.isspace() and (not punct_b or after.isspace() or punct_a)
        char = match.group(0)[0]
        if char == "*":
            opens, closes = left, right
        else:
            opens = left and (not right or punct_b)
            closes = right and (not left or punct_a)
        runs.append((match.start(), match.end(), char, opens, closes))
    flagged = set()
    for a, (start, end, char, opens, _) in enumerate(runs):
        for start2, end2, char2, _, closes2 in runs[a + 1 :]:
            if opens and closes2 and char2 == char:
                flagged.update({(p, char) for p in (*range(start, end), *range(start2, end2))})
    return sorted(flagged)


def is_punct(char: str) -> bool:
    return char == "\0" or (not char.isalnum() and not char.isspace())


def formula_problems(markdown: str) -> list[str]:
    """Every problem of every formula of a Markdown text, as 'line N: …'."""
    problems = []
    for line, kind, text in blocks(markdown):
        if kind == "display":
            problems += [f"line {line}: ```math block: {e}" for e in latex_errors(text)]
            continue
        found, dollar_problems = inline_math(text)
        problems += [f"line {line}: {p}" for p in dollar_problems]
        for formula, raw, hazards in found:
            hazards = [f"{h}: write it as $`…`$ or in a ```math block" for h in hazards]
            for error in hazards + latex_errors(formula):
                problems.append(
                    f"line {line}: {'$`' if raw else '$'}{formula}{'`$' if raw else '$'}: {error}"
                )
    return problems


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_formula_renders(readme):
    problems = formula_problems(readme.read_text(encoding="utf-8"))
    assert not problems, f"{readme.relative_to(REPO_ROOT)}:\n  " + "\n  ".join(problems)


WRITTEN_BY_THE_NOTES = [
    r"\hat{m}_t = \frac{m_t}{1 - \beta_1^t}",
    r"\hat{v}_t = \frac{v_t}{1 - \beta_2^t}, \quad w_t = w_{t-1} - \eta \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}",
    r"\frac{\partial L}{\partial z} = p - y",
    r"\mathrm{Var}(W) = \frac{2}{n_{\mathrm{in}} + n_{\mathrm{out}}}",
    r"\mathbb{E}\left[ \frac{m \odot x}{1 - p} \right] = x",
    r"\nabla_W L = X^\top \delta",
    r"\sum_{i=1}^{N} \left( x_i - \mu \right)^2",
    r"\begin{aligned} \hat{x} &= \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \\ y &= \gamma \hat{x} + \beta \end{aligned}",
    r"\frac{\partial L}{\partial x_i} = \frac{\gamma}{N \sqrt{\sigma^2 + \epsilon}} \left( N g_i - \sum_j g_j - \hat{x}_i \sum_j g_j \hat{x}_j \right)",
    r"w \leftarrow (1 - \eta \lambda) w - \eta \nabla L(w)",
    r"\operatorname*{arg\,max}_k p_k",
    r"\alpha \beta \gamma \delta \theta \lambda \mu \sigma \tau \phi \omega \Sigma",
]
BROKEN = {
    r"\frac{a}{b": "unclosed",
    r"\frac{a}": "missing an argument",
    r"\frack{a}{b}": "not in the documented subset",
    r"\left( x": "unclosed",
    r"x \right)": r"\right without",
    r"\begin{aligned} a &= b": "unclosed",
    r"\begin{aligned} a &= b \end{cases}": "closes aligned",
    r"\begin{align} a &= b \end{align}": "not an environment",
    r"a &= b": "outside an environment",
    r"x^{2": "unclosed",
    r"x}": "closes nothing",
    r"x^": "nothing to attach",
    r"a_b_c": "DoubleSubscriptsError",
    r"\newcommand{\R}{\mathbb{R}}": "not in the documented subset",
    r"\argmax_k p_k": "not in the documented subset",
    r"50% of x": "has no place",
}


@pytest.mark.parametrize("formula", WRITTEN_BY_THE_NOTES)
def test_the_checker_accepts_what_the_notes_write(formula):
    assert latex_errors(formula) == []


@pytest.mark.parametrize("formula, reason", BROKEN.items())
def test_the_checker_rejects_a_broken_formula(formula, reason):
    errors = latex_errors(formula)
    assert errors and reason in " ".join(errors), errors


@pytest.mark.parametrize(
    "markdown, problem",
    [
        ("Costs $5 a month.", "unpaired $"),
        ("$$x = 1$$", "```math block"),
        ("the step $ x$ here", "no space just inside"),
        ("the set $\\{x\\}$", "eats the backslash of \\{"),
        ("$\\hat{m}_t$ and then $W_{ij}$", "emphasis"),
        ("if $a <b$ then", "HTML tag"),
        ("| $|x|$ | 1 |", "ends the table cell"),
        ("```math\n\\frac{a}{\n```", "```math block: unclosed"),
        ("$`\\frack{a}{b}`$", "not in the documented subset"),
    ],
)
def test_a_broken_formula_in_markdown_is_found(markdown, problem):
    problems = formula_problems(markdown)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    "markdown",
    [
        "Adam divides by $\\sqrt{\\hat{v}_t} + \\epsilon$, with $\\beta_1 = 0.9$.",
        "The raw form: $`\\{ x \\in \\mathbb{R} : \\hat{m}_t > 0 \\}`$ and $`W_{ij}`$.",
        "Code keeps its dollars: `echo $HOME` and\n\n```bash\nexport A=$B\n```",
        "An escaped \\$5 is text, and **bold** with $x_i$ is fine.",
        "```math\n\\begin{aligned}\na &= b \\\\\nc &= d\n\\end{aligned}\n```",
        "| $p - y$ | $\\frac{1}{N}$ |\n|---|---|",
    ],
)
def test_sound_markdown_passes(markdown):
    assert formula_problems(markdown) == []


# ------------------------------------------------------------------ short answers

SHORT_ANSWER_WORDS = 100  # about 30 to 40 seconds said aloud


def question_sections():
    for readme in sorted(REPO_ROOT.glob("exercises/*/README.md")):
        lines = readme.read_text(encoding="utf-8").split("\n")
        for i, line in enumerate(lines):
            if line.startswith("## Q"):
                yield readme.parent.name, line, lines[i + 1 :]


def opening_paragraph(lines):
    text = "\n".join(lines).strip().split("\n\n", 1)[0]
    return " ".join(text.split())


def test_every_question_opens_with_a_short_answer_in_bold():
    """A candidate rehearses the 30-second answer first: one bold paragraph, then depth."""
    problems = []
    for topic, heading, rest in question_sections():
        answer = opening_paragraph(rest)
        bold = answer.startswith("**") and answer.endswith("**") and answer.count("**") == 2
        if not bold:
            problems.append(f"{topic} {heading[:40]}: no bold short answer first")
        elif len(answer.split()) > SHORT_ANSWER_WORDS:
            problems.append(f"{topic} {heading[:40]}: {len(answer.split())} words")
    assert not problems, "\n".join(problems)


def test_the_opening_paragraph_is_the_first_block_of_text():
    assert opening_paragraph(["", "**Yes.** Then the depth."]) == "**Yes.** Then the depth."
    assert opening_paragraph(["**It is.**", "", "Depth."]) == "**It is.**"


# ------------------------------------------------------------------ figures


def test_the_figures_are_what_the_code_makes_today(tmp_path):
    figures = load_tool("figures")
    written = figures.write_figures(tmp_path)
    committed = sorted(REPO_ROOT.glob("exercises/*/figures/*.svg"))
    assert sorted(p.relative_to(tmp_path) for p in written) == [
        p.relative_to(REPO_ROOT / "exercises") for p in committed
    ], "run python tools/figures.py (and delete figures it no longer makes)"
    for path in written:
        target = REPO_ROOT / "exercises" / path.relative_to(tmp_path)
        assert path.read_bytes() == target.read_bytes(), f"{target}: run python tools/figures.py"
        assert path.stat().st_size < 100_000, f"{target} is {path.stat().st_size} bytes"


def test_each_figure_is_shown_in_its_topic_readme():
    for path in sorted(REPO_ROOT.glob("exercises/*/figures/*.svg")):
        readme = (path.parent.parent / "README.md").read_text(encoding="utf-8")
        assert f"](figures/{path.name})" in readme, (
            f"{path.parent.parent.name}/README.md shows no {path.name}"
        )
