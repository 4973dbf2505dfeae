"""Artifact openness: does a paper link its own code, model weights, data or demo page?

Detection reads a paper's abstract and its arXiv comments field, the two places
where authors say where their artifacts live ("Code: https://github.com/...",
"Weights at https://huggingface.co/org/model", "Dataset on Zenodo: doi:10.5281/...").
It runs once per paper at import time; the store keeps the flags and the links.

What arXiv text really looks like, and what is repaired before extraction:

* LaTeX: ``\\url{...}``, ``\\href{url}{text}``, ``\\footnote{...}``, ``\\_``, ``~``;
* footnote markers glued to links (``$^1$``, ``$^{\\dagger}$``, ``\\textsuperscript{2}``);
* line breaks inside links, which arrive as spaces: ``https://github.com/CAIR- LAB/x``,
  ``https://huajian- zeng.github. io/gmt/``, ``https:// github.com/x/y``,
  ``https://github. com/x/y``, ``https://github.com/owner/ repo``;
* trailing punctuation (``.``, ``,``, ``)``, ``;``) and links glued to a label (``Code:https://...``);
* arXiv's listing pages, which replace every link by the words ``this https URL``:
  such a placeholder counts only through the words before it ("code is available at this https URL").

The own-versus-cited rule (a cited link is kept, marked ``cited-``, but sets no flag):
a link is the paper's own unless the words leading to it in its sentence say the
paper uses, builds on or compares with someone else's artifact ("based on",
"built on", "adapted from", "provided by", "we use", "leaderboard", "ranks", ...)
without also claiming it ("our", "we release", "is available at", "code:", ...).
Links in the comments field follow the same rule; there they are almost always own.

Kinds come from each occurrence of a link: its host and path, and the words of the clause it
belongs to (``_clause``: the sentence up to the link, cut at commas and conjunctions, with the
subject and the list items that name artifacts kept). A link found several times, in either
field, is one link whose kinds are the union over its occurrences. Host rules: code hosts are
code (plus weights / data the words name; data only when the words name a dataset and nothing
in the sentence names code or models); model hubs are weights by URL shape; dataset hubs are
data; Hugging Face organisation / collection pages and general archives (Zenodo, Figshare, OSF)
take their kinds from the words only; project pages are demo plus what the words name; other
hosts and ``this https URL`` placeholders take what the words name when they also say something
is made available. Outside model hubs, weights need words that say trained parameters
("weights", "checkpoints", "pretrained", "trained models", models listed among released
artifacts). docs/openness.md lists every rule with real examples and counter-examples.

Promises ("code will be released", "available upon request", "coming soon") are
reported separately from links; a promise needs an artifact word (code, data,
model, weights, benchmark, ...) in the same sentence, so "will be published at
ICML" is not one. A link whose clause (or the words after it in its sentence) is a
promise is ``promised``: it counts for ``has:code`` but not for ``has:code-released``.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..records import ARTIFACT_KINDS, HAS_KINDS
from ..text import normalize

if TYPE_CHECKING:
    import pyarrow as pa

#: Bumped whenever a change here could change which papers are flagged.
OPENNESS_VERSION = "5"


PLACEHOLDER = "this https URL"


@dataclass(frozen=True)
class Link:
    """One link found in a paper's text (all its occurrences in abstract and comments merged)."""

    url: str  # cleaned; ``this https URL`` for arXiv's placeholder
    kinds: tuple[str, ...]  # subset of ARTIFACT_KINDS, or ("other",)
    own: bool
    field: str  # "comments", "abstract" or "comments+abstract"
    promised: bool = False  # the words around it say the artifact is yet to come ("will be released at")

    def label(self) -> str:
        """``code:https://github.com/a/b``; ``cited-data:...``; ``promised-code:...``; kinds joined by ``+``."""
        prefix = "cited-" if not self.own else ("promised-" if self.promised else "")
        return f"{prefix}{'+'.join(self.kinds)}:{self.url}"


@dataclass(frozen=True)
class Openness:
    """What a paper says about its artifacts."""

    links: tuple[Link, ...] = ()
    promises: tuple[str, ...] = ()  # the promise phrases found, as written

    def has(self, kind: str) -> bool:
        if kind == "promise":
            return bool(self.promises)
        if kind == "code-released":
            return any(link.own and not link.promised and "code" in link.kinds for link in self.links)
        return any(link.own and kind in link.kinds for link in self.links)

    @property
    def has_code(self) -> bool:
        return self.has("code")

    @property
    def has_code_released(self) -> bool:
        return self.has("code-released")

    @property
    def has_weights(self) -> bool:
        return self.has("weights")

    @property
    def has_data(self) -> bool:
        return self.has("data")

    @property
    def has_demo(self) -> bool:
        return self.has("demo")

    @property
    def promise(self) -> bool:
        return bool(self.promises)

    def link_labels(self) -> list[str]:
        return [link.label() for link in self.links]

    def flags(self) -> dict[str, bool]:
        return {kind: self.has(kind) for kind in HAS_KINDS}

# -- cleaning --------------------------------------------------------------------
# Cheap substring tests (on the lower-cased text) that decide whether the regular expressions run at all.
_LINK_HINTS = ("http", "www.", ".com", ".org", ".io", ".co/", ".co ", ".net", ".cn", "zenodo", "figshare", "doi",
               "10.5281", "10.6084", "10.17605", "10.7910")
_PROMISE_HINTS = ("will", "shall", "request", "soon", "shortly", "upon", "to be released", "going to", "later")
_JOIN_HINTS = ("://", "www.", "github", "gitlab", "huggingface", "hf.co")
_HREF = re.compile(r"\\href\s*\{([^{}]*)\}")
_URL_CMD = re.compile(r"\\(?:url|path|nolinkurl)\s*\{([^{}]*)\}")
_FOOTNOTE_MARK = re.compile(
    r"\$\s*\^\s*\{?\s*(?:\\?[A-Za-z]{0,8}|[0-9*,]{1,4})\s*\}?\s*\$"  # $^1$ $^{\dagger}$ $^{*}$
    r"|\\textsuperscript\s*\{[^{}]{0,8}\}"
    r"|\\(?:footnotemark|thanks)\b(?:\[\d+\])?"
)
_COMMAND = re.compile(r"\\[A-Za-z]+\*?\s*(?=\{)|\\[A-Za-z]+\*?\b")
_SCHEME_SPACES = re.compile(r"\b(https?)\s*:\s*/\s*/\s*", re.I)
_HOST_DOT_SPACE = re.compile(
    r"\b(github|gitlab|huggingface|zenodo|figshare|bitbucket|codeberg|kaggle|modelscope|gitee)\s*\.\s+(com|co|org|io|cn)\b",
    re.I,
)
_SUB_DOT_SPACE = re.compile(r"([\w-])\.\s+(github\.io|gitlab\.io|hf\.space)\b", re.I)
_GLUED_SCHEME = re.compile(r"(?<=[^\s(\[{<'\"/])(https?://)", re.I)
_TLD_CONT = re.compile(r"^(?:com|io|org|net|co|ai|cn|edu|de|uk|fr|jp|info|dev|app|me|be|ly|space)(?:[/.:]|$)")
_HOSTISH_CONT = re.compile(r"^[a-z0-9][\w-]*\.(?:github|gitlab|com|io|org|net|co|ai|edu|hf)\b")


def clean_text(text: str) -> str:
    """``text`` with LaTeX link markup removed and links broken by line breaks joined again."""
    t = normalize(text)
    t = _HREF.sub(lambda m: f" {m.group(1)} ", t)
    t = _URL_CMD.sub(lambda m: f" {m.group(1)} ", t)
    t = _FOOTNOTE_MARK.sub(" ", t)
    t = t.replace("\\_", "_").replace("\\%", "%").replace("\\#", "#").replace("\\&", "&").replace("\\\\", " ")
    t = re.sub(r"~(?=https?:)", " ", t)
    t = _COMMAND.sub(" ", t)
    t = re.sub(r"[{}$]", " ", t)
    t = _SCHEME_SPACES.sub(lambda m: m.group(1).lower() + "://", t)
    t = _HOST_DOT_SPACE.sub(lambda m: f"{m.group(1)}.{m.group(2)}", t)
    t = _SUB_DOT_SPACE.sub(lambda m: f"{m.group(1)}.{m.group(2)}", t)
    t = _GLUED_SCHEME.sub(r" \1", t)
    low = t.lower()
    return _join_broken_links(t) if any(h in low for h in _JOIN_HINTS) else t


def _needs_more(url: str) -> bool:
    """A known-host link cut right after its owner: ``github.com/owner/`` misses the repository."""
    m = re.search(r"(?:github\.com|gitlab\.com|huggingface\.co|hf\.co)/(.*)$", url, re.I)
    if not m:
        return False
    parts = [p for p in m.group(1).split("/") if p]
    if parts and parts[0].lower() in ("datasets", "spaces", "collections"):
        return len(parts) == 2
    return len(parts) == 1  # the owner is there, the repository or model name went to the next line


_URL_TOKEN = re.compile(
    r"(?<!\S)[(\[<'\"]*(?:https?://|www\.|(?:[\w-]+\.)*(?:github\.com|gitlab\.com|huggingface\.co|hf\.co|github\.io)\b)\S*",
    re.I,
)
_NEXT_PIECE = re.compile(r"(\s+)(\S+)")
_MAX_JOINS = 6


def _join_broken_links(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _URL_TOKEN.finditer(text):
        if m.start() < pos:
            continue
        cur, end = m.group(0), m.end()
        for _ in range(_MAX_JOINS):  # a real link is broken a few times at most; this bounds the work too
            n = _NEXT_PIECE.match(text, end)
            if not n or "\n\n" in n.group(1) or len(cur) > 400 or not _should_join(cur, n.group(2)):
                break
            cur += n.group(2)
            end = n.end()
        out.append(text[pos : m.start()])
        out.append(cur)
        pos = end
    out.append(text[pos:])
    return "".join(out)


_STOPWORDS = {"and", "or", "for", "to", "in", "the", "with", "on", "at", "as", "is", "are", "by", "of", "from"}


def _should_join(cur: str, nxt: str) -> bool:
    if re.match(r"(?:https?:|www\.)", nxt, re.I) or nxt.startswith(("(", "[")):
        return False
    if cur.endswith("://"):
        return True
    if cur.endswith(("-", "_")) and re.match(r"\w", nxt):
        return True
    if cur.endswith("."):
        return bool(_TLD_CONT.match(nxt) or _HOSTISH_CONT.match(nxt))
    if cur.endswith("/"):
        if _needs_more(cur):
            return bool(re.match(r"[\w.-]+[/.,;:)]*$", nxt)) and nxt.lower().strip(".,;:)") not in _STOPWORDS
        return bool(re.match(r"[\w.-]+/[\w./-]*[.,;:)]*$", nxt))  # the next piece continues a path
    return False


# -- extraction ------------------------------------------------------------------
_URL = re.compile(
    r"(?:https?://|(?<![\w@./-])www\.)[^\s<>\"'{}|\\^`]+"
    r"|(?<![\w@./:-])(?:[\w-]+\.)*(?:github\.com|gitlab\.com|huggingface\.co|hf\.co|bitbucket\.org|codeberg\.org"
    r"|zenodo\.org|figshare\.com|kaggle\.com|osf\.io|modelscope\.cn|gitee\.com)/[^\s<>\"'{}|\\^`]*"
    r"|(?<![\w@./:-])[\w-]+\.github\.io\b[^\s<>\"'{}|\\^`]*"
    r"|(?<![\w/.])(?:doi:\s*)?10\.(?:5281/zenodo\.\d+|6084/m9\.figshare\.[\d.v]+|17605/osf\.io/\w+|7910/dvn/\w+)"
    r"|\bthis https? URL\b",
    re.I,
)
_TRAIL = ".,;:!?'\"*`\\"
#: Literals of which every match of ``_URL`` contains one, under the same flags (so the same case folding): a text
#: without any of them has no link, and ``_occurrences`` returns at once instead of running ``_URL`` over it.
_URL_LITERALS = re.compile(
    r"http|www\.|github|gitlab\.com|huggingface\.co|hf\.co|bitbucket\.org|codeberg\.org|zenodo\.org|figshare\.com"
    r"|kaggle\.com|osf\.io|modelscope\.cn|gitee\.com|10\.",
    re.I,
)


def clean_url(raw: str) -> str:
    """Trim punctuation that ends the sentence rather than the link; keep balanced brackets."""
    url = raw.strip().lstrip("([<'\"").split("](", 1)[0]  # a Markdown link [text](url) written as text
    while url:
        last = url[-1]
        if last in _TRAIL:
            url = url[:-1]
        elif last in ")]>" and url.count({")": "(", "]": "[", ">": "<"}[last]) < url.count(last):
            url = url[:-1]
        else:
            break
    if re.match(r"(?:doi:\s*)?10\.\d{4,}/", url, re.I):
        url = "https://doi.org/" + re.sub(r"^doi:\s*", "", url, flags=re.I)
    return url


_GITHUB_RESERVED = {
    "features", "topics", "sponsors", "marketplace", "about", "pricing", "enterprise", "collections", "trending",
    "explore", "site", "login", "join", "settings", "search", "security", "customer-stories", "readme", "apps",
}
_HF_NON_ARTIFACT = {
    "papers", "docs", "blog", "learn", "posts", "tasks", "join", "pricing", "chat", "login", "settings", "search",
    "organizations", "welcome", "course", "models", "hub",
}
_DATA_DOI = re.compile(r"^10\.(?:5281/zenodo|6084/m9\.figshare|17605/osf\.io|7910/dvn|5061/dryad|17632/)", re.I)
_CODE_HOSTS = {
    "github.com", "gist.github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "gitee.com", "sourceforge.net",
    "sf.net", "anonymous.4open.science", "colab.research.google.com", "bitbucket.com", "git.io",
}
_DATA_HOSTS = {"zenodo.org", "figshare.com", "osf.io", "data.mendeley.com", "datadryad.org", "openneuro.org"}
_AMBIGUOUS = "ambiguous"
_CURATED_LIST = re.compile(r"^awesome(?:[-_.]|$)|[-_]awesome$|^awesome[A-Z]", re.I)
_NONE = "none"


def classify_url(url: str) -> str:
    """The kind of a link from its host and path: code, weights, data, demo, ``ambiguous``, ``none``
    (a known host's page that is no artifact, such as a paper page) or ``other`` (an unknown host)."""
    if url.lower().startswith(PLACEHOLDER.lower()[:10]):
        return _AMBIGUOUS
    full = url if re.match(r"https?://", url, re.I) else "https://" + url
    try:
        parts_ = urlsplit(full)
        host = (parts_.hostname or "").lower()
    except ValueError:
        return "other"
    if host.startswith("www."):
        host = host[4:]
    parts = [p for p in parts_.path.split("/") if p]
    p0 = parts[0].lower() if parts else ""
    if host == "github.com":
        if not parts or p0 in _GITHUB_RESERVED:
            return _NONE
        if len(parts) >= 2 and _CURATED_LIST.match(parts[1]):
            return _NONE  # an "Awesome-..." reading list, not code
        return "code"
    if host in _CODE_HOSTS or host.endswith(".sourceforge.net") or host.endswith(".sourceforge.io"):
        return "code" if parts or host == "git.io" else _NONE
    if re.match(r"^(?:git|gitlab)\.", host) and parts:
        return "code"  # self-hosted git (git.tu-berlin.de, gitlab.inria.fr)
    if host == "pypi.org" and p0 == "project":
        return "code"
    if host == "cran.r-project.org" and ("package=" in parts_.query or "packages" in p0 or p0 == "web"):
        return "code"
    if host.endswith((".github.io", ".gitlab.io", ".hf.space")) or host == "gradio.live" or host.endswith(".gradio.live"):
        return "demo"
    if host in ("huggingface.co", "hf.co"):
        if p0 == "datasets":
            return "data" if len(parts) >= 2 else _NONE
        if p0 == "spaces":
            return "demo" if len(parts) >= 2 else _NONE
        if not parts or p0 in _HF_NON_ARTIFACT:
            return _NONE
        if p0 == "collections" or len(parts) == 1:
            return _AMBIGUOUS
        return "weights"
    if host in ("modelscope.cn", "modelscope.ai"):
        return {"models": "weights", "datasets": "data", "studios": "demo"}.get(p0, _AMBIGUOUS)
    if host in ("ollama.com", "ollama.ai") and parts:
        return "weights"
    if host == "kaggle.com":
        return {"datasets": "data", "models": "weights", "code": "code"}.get(p0, _NONE)
    if host in _DATA_HOSTS or host.endswith(".zenodo.org") or host.endswith(".figshare.com"):
        return "data" if parts else _NONE
    if "dataverse" in host and parts:
        return "data"
    if host in ("doi.org", "dx.doi.org") and _DATA_DOI.match(parts_.path.lstrip("/")):
        return "data"
    return "other"


# -- context -----------------------------------------------------------------------
# Kind cues, read in the clause a link belongs to (see _clause).
_CODE_WORDS = re.compile(
    r"\b(?:codes?|codebase|(?<!open[- ])(?<!open)source(?:\s+codes?)?|implementations?|scripts?|toolkit|toolbox"
    r"|library|(?<!replication )package|software|tools?|baseline\s+(?:methods|implementations|models))\b",
    re.I,
)
# "repository" or "GitHub" say code on a host of unknown kind, but do not make a dataset on GitHub code
_CODE_PLACE = re.compile(r"\b(?:repo|repository|repositories|github|gitlab)\b", re.I)
# weights need words that say trained parameters; "model" alone is everywhere ("samples from our model")
_WEIGHTS_WORDS = re.compile(
    r"\b(?:weights|checkpoints?|ckpts?|LoRAs?|adapters?|pre-?trained|trained\s+(?:models?|networks?)"
    r"|fine-?tuned\s+models?|model\s+parameters)\b",
    re.I,
)
# on a model hub's ambiguous page (an organisation, a collection) "models" is enough
_HUB_MODEL_WORDS = re.compile(
    r"\bL?LMs?\b|(?<!language )(?<!evaluated )(?<!existing )(?<!other )(?<!learning )(?<!foundation )"
    r"\bmodels?\b(?!\s+(?:responses|outputs|predictions|training|performance|evaluation|families))",
    re.I,
)
# "data" as the modifier of code is not data: "data-construction code", "data processing scripts"
_DATA_WORDS = re.compile(
    r"\b(?:data(?![-\u2010]\w)(?!\s+(?:processing|construction|generation|collection|loading|loaders?|analysis"
    r"|preparation|pipelines?|preprocessing|cleaning|parsing)\b)|datasets?|benchmarks?|corpus|corpora|annotations?)\b",
    re.I,
)
# what makes a repository "only a dataset": data words, not benchmark (a benchmark repository usually holds code)
_DATASET_WORDS = re.compile(r"\b(?:data|datasets?|corpus|corpora|annotations?)\b", re.I)
_DEMO_WORDS = re.compile(
    r"\b(?:project\s+(?:page|website|site|homepage)|homepage|home\s+page|website|webpage|web\s+page|demos?|page)\b",
    re.I,
)
_OWN = re.compile(
    r"\b(?:our|ours|we\s+(?:also\s+|publicly\s+|openly\s+|further\s+|fully\s+)*(?:release|provide|make|open[- ]?source|publish|share|host|introduce|present)"
    r"|(?:is|are)\s+(?:now\s+|also\s+|made\s+|publicly\s+|freely\s+|openly\s+)*(?:available|avaliable|availabe|released|accessible|hosted|open[- ]?sourced|public)"
    r"|can\s+be\s+(?:found|accessed|downloaded)|available\s+(?:at|on|from|here|via)|project\s+page|homepage"
    r"|released|open[- ]?sourced|made\s+public|will\s+be)\b"
    r"|\b(?:code|codes|data|dataset|models?|weights|checkpoints?|page|website|github|demo|leaderboard|videos?|homepage|project)\s*:",
    re.I,
)
_CITED = re.compile(
    r"\b(?:based\s+on|built\s+(?:up)?on|builds?\s+(?:up)?on|adapted\s+from|borrowed\s+from|taken\s+from|derived\s+from"
    r"|provided\s+by|released\s+by|developed\s+by|maintained\s+by|courtesy\s+of|thanks\s+to"
    r"|we\s+(?:use|used|utili[sz]e|utili[sz]ed|leverage|leveraged|employ|employed|adopt|adopted)|using\s+(?:the|a|an)|uses"
    r"|leaderboard|ranks?|ranked|ranking|evaluated?\s+on|from\s+the\s+(?:official|original|public)"
    r"|such\s+as|e\.g\.|see\s+also|publicly\s+available\s+(?:dataset|model|code)s?\s+(?:from|of))\b",
    re.I,
)
_PROMISE = re.compile(
    r"\b(?:will|shall|would)\s+(?:soon\s+|also\s+|then\s+|eventually\s+)?be\s+(?:made\s+)?"
    r"(?:publicly\s+|openly\s+|freely\s+|fully\s+|soon\s+)*(?:released|available|open[- ]?sourced|made\s+public|public|shared"
    r"|published|uploaded|provided|accessible)"
    r"|\b(?:to\s+be|are\s+going\s+to\s+be)\s+(?:publicly\s+|openly\s+)?(?:released|open[- ]?sourced|made\s+public)"
    r"|\b(?:we|authors)\s+(?:will|plan\s+to|intend\s+to)\s+(?:publicly\s+|also\s+)?(?:release|open[- ]?source|publish|share|make)"
    r"|\b(?:upon|on|by)\s+(?:a\s+)?(?:reasonable\s+)?request\b"
    r"|\bcoming\s+soon\b"
    r"|\b(?:released|available|open[- ]?sourced?)\s+(?:soon|shortly|later|upon\s+(?:acceptance|publication))\b",
    re.I,
)
_ARTIFACT_WORD = re.compile(
    r"\b(?:codes?|codebase|source|implementations?|data|datasets?|benchmarks?|models?|weights|checkpoints?|corpus"
    r"|corpora|resources|materials|toolkit|tools?|library|software|scripts|annotations|prompts|artifacts?|repository"
    r"|demo|project\s+page)\b",
    re.I,
)
# A link on an unknown host (or arXiv's placeholder), a project page or a repository takes kinds from the words
# of its clause only when those words say something is being made available ("... are available at", "Code:").
_AVAILABLE = re.compile(
    r"\b(?:available|avaliable|released?|releasing|open[- ]?sourced?|can\s+be\s+(?:found|accessed|downloaded)"
    r"|found\s+(?:at|in|here|on)|accessible|hosted|download|provided?|shared?|published|publicly|try)\b"
    r"|:\s*\(?\[?\s*$|\bat\s*\(?\s*$|\bon\s*\(?\s*$|\bin\s*\(?\s*$",
    re.I,
)
# a single line break is usually a hard wrap inside a sentence (arXiv abstracts are wrapped at ~80 columns)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n|\|\|\|")


class _Sentences:
    """Sentence boundaries of a text, found once; ``bounds`` is then a binary search."""

    def __init__(self, text: str) -> None:
        found = list(_SENTENCE_END.finditer(text))
        self.starts = [m.start() for m in found]
        self.ends = [m.end() for m in found]
        self.length = len(text)

    def bounds(self, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.ends, start) - 1
        j = bisect.bisect_left(self.starts, end)
        return (self.ends[i] if i >= 0 else 0), (self.starts[j] if j < len(self.starts) else self.length)


#: How far back from a link its own/cited cues and its clause are read (a bound on work for pathological texts).
_CUE_CHARS = 600
#: At most this many links are read per field (real abstracts have a handful).
_MAX_LINKS = 200
# Clause pieces: a list ("code, data and models") is cut at its commas and conjunctions, then put back together.
_PIECE_SEP = re.compile(
    r"\s*,\s*(?:and\s+|or\s+|as\s+well\s+as\s+)?|\s+(?:and|or|&|as\s+well\s+as|plus)\s+|\s*/\s+|\s+/\s*"
    r"|(?<=[a-z])/(?=[a-z])"  # "code/data/models"
)
_HARD_SEP = re.compile(r":\s+(?=\S)|\s[-\u2013\u2014]{1,2}\s|\s+(?:while|whereas|which|where|but)\s+", re.I)
# a label right before the link is its whole clause: "... data. GitHub: <link>", "Model weights: <link>"
_LABEL = re.compile(
    r"(?:^|[\s.,;)])([A-Z][\w-]*(?:\s+[\w-]+){0,2}(?<!\bat)(?<!\bon)(?<!\bin)(?<!\bfrom)(?<!\bhere)(?<!\bvia)\s*:)"
    r"\s*[(\[]?\s*$"
)
_LIST_ITEM_WORDS = 6
_LIST_GLUE = re.compile(r"[\s,;&()\[\]]*(?:(?:and|or|as\s+well\s+as)[\s,()\[\]]*)?", re.I)
_ANY_CUE = (_CODE_WORDS, _CODE_PLACE, _WEIGHTS_WORDS, _HUB_MODEL_WORDS, _DATA_WORDS, _DEMO_WORDS)


def _has_cue(text: str) -> bool:
    return any(p.search(text) for p in _ANY_CUE)


def _clause(lead: str) -> str:
    """The clause a link ends: the words before it back to where its subject starts.

    ``lead`` is the text between the link and the start of its sentence (or the previous link). The last piece
    ("... are available at") is kept; earlier pieces are added while no artifact word has been seen yet (the
    subject is further back: "including code and datasets, will be available at"), then while they are short
    list items with an artifact word ("code", "data", "the pretrained weights").
    """
    lead = lead.rstrip()
    label = _LABEL.search(lead)
    if label and _has_cue(label.group(1)):
        return label.group(1)
    hard = list(_HARD_SEP.finditer(lead))
    if hard:
        lead = lead[hard[-1].end():]
    pieces: list[str] = []
    bare: list[bool] = []  # whether the separator after each piece is a bare "and"/"or" (no comma)
    pos = 0
    for sep in _PIECE_SEP.finditer(lead):
        pieces.append(lead[pos : sep.start()])
        bare.append("," not in sep.group(0))
        pos = sep.end()
    pieces.append(lead[pos:])
    taken = [pieces[-1]]
    seen = _has_cue(pieces[-1])
    for i in range(len(pieces) - 2, -1, -1):
        piece = pieces[i]
        if not seen:
            taken.append(piece)
            seen = _has_cue(piece)
        elif len(piece.split()) <= _LIST_ITEM_WORDS and _has_cue(piece):
            taken.append(piece)
        else:
            # "we are pleased to release our model and dataset": the first item ends a long piece
            tail = " ".join(piece.split()[-2:])
            if bare[i] and _has_cue(tail):
                taken.append(tail)
            break
    return " , ".join(reversed(taken))


# "models" as one item of a list of released artifacts ("code, data and models are available at") is weights;
# "our model" alone, or a model's samples, outputs or results, is not
_MODEL_ITEM = re.compile(
    r"^\s*(?:(?!(?:language|foundation|existing|other|baseline|evaluated|generative|large)\b)[\w.-]+\s+){0,2}models?\b"
    r"(?!\s+(?:of|for|from|outputs?|responses|predictions|samples|results|performance|cards?)\b)",
    re.I,
)
# the first item of a list ends its piece: "we open-source all models, data and logs at"
_MODEL_FIRST = re.compile(r"\b(?:the|our|all|trained|final)\s+models?\s*$", re.I)
# "All the models are available through <link>": the whole clause says the models are there
_MODELS_AVAILABLE = re.compile(
    r"^\s*(?:all\s+)?(?:the\s+|our\s+)?(?:[\w.-]+\s+)?models\s+(?:are|can\s+be)\s+(?:\w+\s+){0,2}"
    r"(?:available|accessible|released|accessed|downloaded|found)\b",
    re.I,
)


def _models_listed(clause: str) -> bool:
    pieces = [p for p in _PIECE_SEP.split(clause) if p and p.strip()]
    if len(pieces) < 2:
        return bool(pieces) and bool(_MODELS_AVAILABLE.match(pieces[0])) and not _LM_ONLY.search(pieces[0])
    return bool(_MODEL_FIRST.search(pieces[0])) or any(_MODEL_ITEM.match(p) for p in pieces)


_LM_ONLY = re.compile(r"\b(?:language|foundation|existing|other|baseline|evaluated)\s+models?\b", re.I)


def _cue_kinds(clause: str, *, hub: bool = False) -> list[str]:
    """The artifact kinds the words of a clause name (``hub``: on a model hub's page, "models" is weights)."""
    out = []
    if _CODE_WORDS.search(clause) or _CODE_PLACE.search(clause):
        out.append("code")
    if _WEIGHTS_WORDS.search(clause) or (hub and _HUB_MODEL_WORDS.search(clause)) or _models_listed(clause):
        out.append("weights")
    if _DATA_WORDS.search(clause):
        out.append("data")
    if _DEMO_WORDS.search(clause):
        out.append("demo")
    return out


def _own(before: str) -> bool:
    """Own unless a cited-work cue is nearer to the link than any own cue (see the module docstring)."""
    cited = [m.end() for m in _CITED.finditer(before)]
    if not cited:
        return True
    own = [m.end() for m in _OWN.finditer(before)]
    return bool(own) and own[-1] > cited[-1]


_ARCHIVES = {"zenodo.org", "figshare.com", "osf.io"}


def _is_archive(url: str) -> bool:
    """A general-purpose archive (Zenodo, Figshare, OSF) holds data, code or models alike: the words decide."""
    low = url.lower()
    host = re.sub(r"^https?://(?:www\.)?", "", low).split("/", 1)[0]
    return (host in _ARCHIVES or host.endswith((".zenodo.org", ".figshare.com"))
            or bool(re.search(r"doi\.org/10\.(?:5281/zenodo|6084/m9\.figshare|17605/osf\.io)", low)))


def _kinds(url: str, placeholder: bool, clause: str, lead: str = "", *, shared: bool = False) -> tuple[str, ...]:
    """The kinds of one occurrence of a link: its host and path, and the words of its clause (docs/openness.md).

    ``lead``: the words from the start of the sentence (or the previous link) to the link.
    ``shared``: the clause belongs to a list of links ("code, data and weights are at <a>, <b> and <c>"); its
    words then only decide the kind of links whose host does not."""
    kind = classify_url(url)
    offered = bool(_AVAILABLE.search(clause))
    if shared and kind in ("code", "demo"):
        return (kind,)
    if kind == _AMBIGUOUS and not placeholder:
        # a model hub's organisation or collection page: models or datasets as its words say, else nothing
        kinds: tuple[str, ...] = tuple(k for k in ("weights", "data") if k in _cue_kinds(clause, hub=True))
    elif kind in ("other", _AMBIGUOUS):
        kinds = tuple(_cue_kinds(clause)) if offered else ()
    elif kind == _NONE:
        kinds = ()
    elif kind == "code":
        # a repository: code, and whatever else its words say it holds; only data when its clause names a dataset
        # and nothing in the sentence before it names code or models ("The dataset is available at <github>")
        said = _cue_kinds(clause) if offered else []
        if ("data" in said and _DATASET_WORDS.search(clause) and not _CODE_WORDS.search(lead)
                and not _WEIGHTS_WORDS.search(lead) and not _HUB_MODEL_WORDS.search(lead)):
            kinds = tuple(k for k in ("weights", "data") if k in said)
        else:
            kinds = ("code",) + tuple(k for k in ("weights", "data") if k in said)
    elif kind == "data" and _is_archive(url):
        # Zenodo, Figshare, OSF hold papers, proofs, pre-registrations, code and data alike: only the words decide
        kinds = tuple(k for k in _cue_kinds(clause) if k in ("code", "weights", "data"))
    elif kind == "demo":
        # a project page the words say holds more: "Code and checkpoints are available at https://x.github.io/"
        said = _cue_kinds(clause) if offered else []
        kinds = ("demo",) + tuple(k for k in ("code", "weights", "data") if k in said)
    else:
        kinds = (kind,)  # model hubs (weights) and dataset hubs (data) by their URL shape
    return kinds or ("other",)


@dataclass
class _Occurrence:
    url: str
    kinds: tuple[str, ...]
    own: bool
    field: str
    promised: bool
    placeholder: bool


# In a paper's body most links are tools and data it uses, so there a link is its own only when its sentence says
# so: in the first person with a release verb or a possessive ("our code", "we release", "of this paper"), with a
# bare artifact subject ("Code and data are available at", "The source code is available at"; not "The qutip
# source code is available at"), or as a label ("Code: <link>"); never in a sentence that cites another work.
_ARTS = (r"(?:code|codes|codebase|data|datasets?|models?|weights|checkpoints?|implementations?|scripts|software"
         r"|materials|resources|benchmarks?|results|logs|prompts|notebooks?|repository|repositories|tools?|library"
         r"|packages?|github|gitlab)")
_FIRST_PERSON = re.compile(
    r"\b(?:our\s+(?:[\w-]+\s+){0,3}?" + _ARTS + r"|ours|we\s+(?:also\s+|publicly\s+|openly\s+|will\s+|further\s+|hereby\s+)*(?:release|provide|make"
    r"|open[- ]?source|publish|share|host|upload|offer)"
    r"|(?:of|for|with|in|accompanying|behind)\s+this\s+(?:paper|work|study|article|manuscript|submission)"
    r"|supplementary\s+(?:code|materials?))\b",
    re.I,
)
_BARE_SUBJECT = re.compile(
    r"^\W*(?:(?:the|all(?:\s+the)?|our)\s+)?(?:(?:source|full|complete|entire|raw|processed|python|julia|matlab"
    r"|fortran|c\+\+|mathematica|jupyter|r)\s+)?" + _ARTS
    + r"(?:\s*(?:,|and|&|as\s+well\s+as)\s*(?:(?:the|all|our)\s+)?(?:(?:source|pre-?trained|trained)\s+)?"
    + _ARTS + r")*(?:\s+(?:used|needed|required|generated|produced)\b[^.]{0,60}?)?\s+(?:(?:is|are)\b|(?:will|can|may|shall)\s+"
    r"(?:also\s+)?be\b|(?:has|have)\s+been\b)",
    re.I,
)
_LABEL_OWN = re.compile(
    r"^\W*(?:(?:the\s+)?(?:source\s+)?(?:code|codes|data|datasets?|models?|weights|checkpoints?|project\s+page"
    r"|website|github|demo|homepage|repository)(?:\s*(?:,|and|&)\s*\w+){0,3})\s*:",
    re.I,
)


def _body_own(sentence: str, lead: str) -> bool:
    """Whether a link in a paper's body is its own: see above (``lead``: its sentence up to the link)."""
    if "[cite:" in sentence:
        return False
    return bool(_FIRST_PERSON.search(sentence) or _BARE_SUBJECT.match(lead) or _LABEL_OWN.match(lead))


def _occurrences(text: str, field: str, *, body: bool = False) -> list[_Occurrence]:
    """Every link of ``text`` with its kinds, own/cited and promised (``body``: text from a paper's body,
    where a link is own only as :func:`_body_own` says)."""
    out: list[_Occurrence] = []
    if not _URL_LITERALS.search(text):
        return out  # no _URL match can exist: each of its alternatives contains one of these literals
    prev_end = 0
    prev_clause = ""
    found = list(itertools.islice(_URL.finditer(text), _MAX_LINKS + 1))  # one more: where the last link's words end
    if not found:
        return out
    sentences = _Sentences(text)
    for n, m in enumerate(found[:_MAX_LINKS]):
        raw = m.group(0)
        placeholder = raw.lower().startswith("this http")
        url = PLACEHOLDER if placeholder else clean_url(raw)
        if not url or (not placeholder and not re.search(r"[\w-]\.[a-z]{2,}", url, re.I)):
            prev_end = m.end()
            continue
        s, e = sentences.bounds(m.start(), m.end())
        lead = text[max(s, prev_end, m.start() - _CUE_CHARS) : m.start()]
        shared = bool(out) and prev_end > s and bool(_LIST_GLUE.fullmatch(lead))
        if shared:
            clause = prev_clause  # a list of links shares its clause: "code and data are at <a> and <b>"
        else:
            clause = _clause(lead)
        prev_clause = clause
        before = text[max(s, m.start() - _CUE_CHARS) : m.start()]
        nxt = found[n + 1].start() if n + 1 < len(found) else len(text)
        after = text[m.end() : min(e, nxt, m.end() + _CUE_CHARS)]
        promised = bool(_PROMISE.search(clause) or _PROMISE.search(after))
        kinds = _kinds(url, placeholder, clause, lead, shared=shared)
        own = _own(before) and (not body or _body_own(text[s:e], text[s:m.start()]))
        out.append(_Occurrence(url, kinds, own, field, promised, placeholder))
        prev_end = m.end()
    return out


def _merge(occurrences: list[_Occurrence]) -> list[Link]:
    """One link per URL (and own/cited): its kinds are the union over its occurrences, whatever field they are in;
    it is promised when any occurrence calls it a promise. arXiv placeholders stay apart (each hides a link)."""
    groups: dict[object, list[_Occurrence]] = {}
    for i, occ in enumerate(occurrences):
        key: object = ("placeholder", i) if occ.placeholder else (occ.url.rstrip("/").lower(), occ.own)
        groups.setdefault(key, []).append(occ)
    links = []
    for group in groups.values():
        said = {k for occ in group for k in occ.kinds}
        kinds = tuple(k for k in ARTIFACT_KINDS if k in said) or ("other",)
        fields = "+".join(dict.fromkeys(occ.field for occ in group))
        links.append(Link(url=group[0].url, kinds=kinds, own=group[0].own, field=fields,
                          promised=any(occ.promised for occ in group)))
    return links


def _promises_in(text: str) -> list[str]:
    found: list[str] = []
    sentences: _Sentences | None = None  # found only when there is a promise to place in its sentence
    for m in _PROMISE.finditer(text):
        if len(found) >= _MAX_LINKS:
            break
        if sentences is None:
            sentences = _Sentences(text)
        s, e = sentences.bounds(m.start(), m.end())
        if _ARTIFACT_WORD.search(text[s:e]):
            found.append(" ".join(m.group(0).split()))
    return found


def detect(abstract: str | None, comments: str | None = None) -> Openness:
    """Links to the paper's own artifacts and release promises in ``abstract`` and ``comments``.

    >>> o = detect("We propose X. Code is available at https://github. com/acme/x-net.", "10 pages")
    >>> o.has_code, o.link_labels()
    (True, ['code:https://github.com/acme/x-net'])
    """
    occurrences: list[_Occurrence] = []
    promises: list[str] = []
    for field, raw in (("comments", comments), ("abstract", abstract)):
        if not raw:
            continue
        low = raw.lower()
        has_links = any(h in low for h in _LINK_HINTS)
        if not has_links and not any(h in low for h in _PROMISE_HINTS):
            continue
        text = clean_text(raw)
        if has_links:
            occurrences.extend(_occurrences(text, field))
        promises.extend(_promises_in(text))
    return Openness(links=tuple(_merge(occurrences)), promises=tuple(promises))


def may_find(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """For each text of an Arrow string array, whether :func:`detect` could find anything in it.

    False exactly where the text is ASCII, null or empty and holds none of the hints (``_LINK_HINTS``,
    ``_PROMISE_HINTS``) :func:`detect` looks for before reading a field: such a field adds nothing, so a paper
    whose abstract and comments are both False here gets the empty :class:`Openness`. For ASCII text, Arrow's
    case-insensitive substring search is exactly ``hint in text.lower()``; any other text is True (left to
    :func:`detect`, whose own test on ``str.lower`` may differ from a regex engine's case folding).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    filled = pc.fill_null(arr, "")
    hinted = pc.match_substring_regex(filled, pattern=_HINT_RE2, ignore_case=True)
    return pc.or_(hinted, pc.invert(pc.string_is_ascii(filled)))


#: Every hint as one RE2 alternation of literals (see :func:`may_find`).
_HINT_RE2 = "|".join(re.escape(h) for h in (*_LINK_HINTS, *_PROMISE_HINTS))

# -- openness of the papers matching a query -------------------------------------------
@dataclass(frozen=True)
class OpennessCell:
    """One series in one period: how many papers, and how many link each artifact kind."""

    period: str
    series: str  # a series label, or ALL_PAPERS
    papers: int
    counts: dict[str, int]  # kind -> papers (HAS_KINDS)

    def share(self, kind: str) -> float | None:
        return self.counts[kind] / self.papers if self.papers else None


ALL_PAPERS = "all papers"


@dataclass(frozen=True)
class OpennessTable:
    """Per period: the share of each series' papers (and of all papers) linking code, weights, data, demo pages."""

    query: str | None
    labels: tuple[str, ...]  # the series, then ALL_PAPERS
    periods: tuple[str, ...]
    cells: tuple[OpennessCell, ...]  # period-major, in ``labels`` order
    filters: dict[str, object]
    #: Periods the corpus (or --from/--to) cuts short, marked like trend tables mark them.
    incomplete: tuple[str, ...] = ()

    def cell(self, period: str, label: str) -> OpennessCell:
        for c in self.cells:
            if c.period == period and c.series == label:
                return c
        raise KeyError((period, label))

    def to_rows(self) -> list[dict[str, object]]:
        rows = []
        for c in self.cells:
            row: dict[str, object] = {"period": c.period, "series": c.series, "papers": c.papers}
            for k in HAS_KINDS:
                row[k] = c.counts[k]
                row[f"{k}_share"] = c.share(k)
            rows.append(row)
        return rows

    def to_csv(self) -> str:
        import csv
        import io

        buf = io.StringIO()
        header = ["period", "series", "papers"] + [x for k in HAS_KINDS for x in (k, f"{k}_share")]
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for row in self.to_rows():
            w.writerow(["" if row[h] is None else (repr(row[h]) if isinstance(row[h], float) else row[h]) for h in header])
        return buf.getvalue()

    def to_json_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "filters": self.filters,
            "openness_version": OPENNESS_VERSION,
            "kinds": list(HAS_KINDS),
            "rows": self.to_rows(),
            "incomplete_periods": list(self.incomplete),
        }


# -- the links behind the flags ---------------------------------------------------------
@dataclass(frozen=True)
class PaperLinks:
    id: str
    published: str
    title: str
    flags: dict[str, bool]
    links: tuple[str, ...]  # as stored: ``kind:url``, ``cited-kind:url``
    #: With a full text (``links --text full``): its flags, and every link or promise found in it with its place
    #: (dicts: label, url, kinds, own, promised, place, role, section, paragraph, where; promises: phrase).
    fulltext_flags: dict[str, bool] | None = None
    fulltext_links: tuple[dict[str, object], ...] = ()

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "date": self.published, "title": self.title, "flags": self.flags,
                                  "links": list(self.links), "url": f"https://arxiv.org/abs/{self.id}"}
        if self.fulltext_flags is not None:
            out["fulltext_flags"] = self.fulltext_flags
            out["fulltext_links"] = list(self.fulltext_links)
        return out
