"""Section headings to section roles. Pure: no I/O, no state.

A heading is first *normalised* (:func:`normalize_heading`): LaTeX leftovers
(``\\command``, braces, ``$…$``, unArXive ``{{formula:…}}`` markers) are removed,
leading numbering (``3``, ``3.1``, ``3.1.``, ``IV.``, ``A.2``, ``Appendix B:``'s
letter) is dropped, and the rest becomes the token sequence of
:func:`uptake.text.tokens` (casefolded), joined by single spaces.

Then the first row of :data:`RULES` with a matching pattern gives the role. A
pattern is a sequence of words matched against consecutive heading tokens; a
word ending in ``*`` matches any token starting with it (``experiment*`` matches
``experiments`` and ``experimental``). Order matters: ``Results and discussion``
is *experiments* because that row comes before *discussion*; ``Introduction and
related work`` is *introduction*.

Decisions:

* **Subsections inherit** their parent's role. Their own heading decides only
  when the parent is *other* (``4 SearchSkill › 4.2 Experimental setup`` is
  *experiments*), or for the switches in :data:`SUBSECTION_SWITCHES`: under
  *introduction* a subsection may become related / experiments / discussion, under
  *method* experiments / discussion. So ``3 Method › 3.4 Results`` is *experiments*,
  but ``5 Experiments › 5.1 Training details`` stays *experiments* and
  ``2 Related work › 2.4 RL training for ASR`` stays *related* (weak words such as
  *training* or *model* never pull a subsection out of a decided parent).
* **Appendix**: everything after ``\\appendix`` (or under a lettered section
  number, or under a heading matching the appendix row) is *appendix*, whatever
  its heading, except a references heading, which stays *references*.
* **Position** (:func:`positional_roles`, applied by the extractors once a paper's
  top-level sections are known): a top-level section whose heading decides
  nothing (*other*) and that lies after the first introduction / related section
  and before the first experiments section is *method* — the section named after
  the paper's own system (``3 SearchSkill``, ``4 HarmBench``). Its paragraphs that
  were *other* become *method*; subsections with their own role keep it. Papers
  without an experiments section (most of mathematics) are unchanged.
* ``abstract`` and ``captions`` are also given by the extractors directly (the
  abstract environment / field, figure and table captions), not only by headings.
* No rule matches and nothing to inherit: *other* (e.g. ``Acknowledgements``,
  ``Proof of Theorem 2``, ``Main construction``). Note ``model`` alone *is* decisive
  (method), so ``The density model`` is *method*; override it if your field disagrees.

Override: pass ``rules=`` (a whole table in the shape of :data:`RULES`, which you
can build as ``((role, patterns), *RULES)`` to put yours first) and/or
``overrides=`` (normalised heading → role, checked before any rule).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

from .records import Role as Role  # the sources import it from here, with the rules
from .text import tokens


Rules = Sequence[tuple[Role, Sequence[str]]]

#: The heading rules, in order: the first row with a pattern matching the heading decides.
RULES: tuple[tuple[Role, tuple[str, ...]], ...] = (
    ("references", ("references", "bibliography", "literature cited", "works cited", "reference")),
    ("abstract", ("abstract",)),
    ("appendix", ("appendix", "appendices", "supplementary*", "supplemental*", "supporting information")),
    ("introduction", ("introduction", "intro", "motivation", "overview")),
    (
        "related",
        (
            "related work*",
            "related literature",
            "related research",
            "related approaches",
            "prior work*",
            "previous work*",
            "background",
            "literature review",
            "literature survey",
            "review of literature",
            "state of the art",
        ),
    ),
    (
        "experiments",
        (
            "experiment*",
            "result*",
            "evaluation*",
            "evaluating",
            "ablation*",
            "empirical*",
            "benchmark*",
            "case stud*",
            "simulation*",
            "numerical stud*",
            "numerical example*",
            "observation*",
            "findings",
            "analysis of results",
            "further analys*",
            "additional analys*",
            "error analys*",
            "additional result*",
            "main result*",
        ),
    ),
    (
        "method",
        (
            "method*",
            "approach*",
            "preliminar*",
            "our model",
            "proposed model",
            "model architecture",
            "model",
            "algorithm*",
            "framework",
            "architecture",
            "problem formulation",
            "problem setting",
            "problem setup",
            "problem statement",
            "formulation",
            "notation*",
            "training",
            "implementation*",
            "technique*",
            "procedure",
            "setup",
            "data and methods",
            "materials and methods",
        ),
    ),
    (
        "discussion",
        (
            "discussion*",
            "conclusion*",
            "concluding",
            "limitation*",
            "summary",
            "future work*",
            "outlook",
            "broader impact*",
            "impact statement",
            "ethic*",
        ),
    ),
)

#: Under a parent of the key's role, a subsection whose own heading decides one of these roles takes it.
SUBSECTION_SWITCHES: dict[str, frozenset[str]] = {
    "introduction": frozenset({"related", "experiments", "discussion"}),
    "method": frozenset({"experiments", "discussion"}),
}

_LATEX_CMD = re.compile(r"\\[A-Za-z@]+\*?|\\.")
_UNARXIVE_MARK = re.compile(r"\{\{[a-z]+:[^}]*\}\}")
_MATH = re.compile(r"\$[^$]*\$")
_ROMAN = re.compile(r"^[ivxlc]+$")


def normalize_heading(heading: str) -> str:
    """A heading as casefolded tokens joined by spaces, numbering and LaTeX leftovers removed.

    >>> normalize_heading("3.1  Related Work")
    'related work'
    >>> normalize_heading("\\\\section*{IV. Experimental \\\\textbf{Results}}")
    'experimental results'
    >>> normalize_heading("Appendix B: Proofs")
    'appendix proofs'
    """
    text = _UNARXIVE_MARK.sub(" ", heading)
    text = _MATH.sub(" ", text)
    text = _LATEX_CMD.sub(" ", text)
    toks = tokens(text)
    # drop leading numbering: digits, roman numerals, or a lone letter before more words
    while toks and (toks[0].isdigit() or (_ROMAN.match(toks[0]) and len(toks) > 1 and len(toks[0]) <= 4
                                          and toks[0] not in ("ci",)) or (len(toks[0]) == 1 and len(toks) > 1)):
        toks = toks[1:]
    # "appendix b proofs" -> "appendix proofs"
    if len(toks) > 2 and toks[0] in ("appendix", "section") and len(toks[1]) == 1:
        toks = [toks[0], *toks[2:]]
    return " ".join(toks)


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str) -> tuple[list[str], bool]:  # cached: every heading tries every pattern
    words = pattern.split()
    prefix = bool(words) and words[-1].endswith("*")
    if prefix:
        words[-1] = words[-1][:-1]
    return words, prefix


def _matches(toks: list[str], pattern: str) -> bool:
    words, prefix = _compile(pattern)
    n = len(words)
    if n == 0 or n > len(toks):
        return False
    for i in range(len(toks) - n + 1):
        window = toks[i : i + n]
        if window[:-1] != words[:-1]:
            continue
        last = window[-1]
        if last == words[-1] or (prefix and last.startswith(words[-1])):
            return True
    return False


def decisive_role(heading: str, *, rules: Rules | None = None,
                  overrides: Mapping[str, Role] | None = None) -> Role | None:
    """The role the heading's own words decide, or None when no rule matches."""
    norm = normalize_heading(heading)
    if overrides and norm in overrides:
        return overrides[norm]
    toks = norm.split()
    if not toks:
        return None
    for role, patterns in RULES if rules is None else rules:
        for pattern in patterns:
            if _matches(toks, pattern):
                return role
    return None


def role_of(heading: str, *, in_appendix: bool = False, parent: Role | None = None,
            rules: Rules | None = None, overrides: Mapping[str, Role] | None = None) -> Role:
    """The role of a section with this heading.

    ``in_appendix``: the section comes after ``\\appendix`` (or is lettered A, B…).
    ``parent``: the enclosing section's role, inherited when the heading is not decisive.

    >>> role_of("4 Experiments")
    'experiments'
    >>> role_of("4.2 Training details", parent="experiments")
    'experiments'
    >>> role_of("3.4 Results", parent="method")
    'experiments'
    >>> role_of("B.1 Hyperparameters", in_appendix=True)
    'appendix'
    >>> role_of("Acknowledgements")
    'other'
    """
    own = decisive_role(heading, rules=rules, overrides=overrides)
    if own == "references":
        return own
    if in_appendix or parent == "appendix":
        return "appendix"
    if parent is None or parent == "other":
        return own if own is not None else "other"
    if own is not None and own in SUBSECTION_SWITCHES.get(parent, ()):
        return own
    return parent


def positional_roles(top_roles: Sequence[Role]) -> list[Role]:
    """The roles of a paper's top-level sections, in order, with the method gap filled.

    An *other* section after the first introduction/related section and before the first
    experiments section becomes *method*; nothing else changes.

    >>> positional_roles(["introduction", "related", "other", "other", "experiments", "other"])
    ['introduction', 'related', 'method', 'method', 'experiments', 'other']
    >>> positional_roles(["introduction", "other", "other"])
    ['introduction', 'other', 'other']
    """
    start = next((i for i, r in enumerate(top_roles) if r in ("introduction", "related")), None)
    end = next((i for i, r in enumerate(top_roles) if r == "experiments"), None)
    if start is None or end is None or end < start:
        return list(top_roles)
    return ["method" if r == "other" and start < i < end else r for i, r in enumerate(top_roles)]
