"""Measure the openness detector on the shared real corpus: flags before/after, samples, precision and recall.

Steps (all deterministic; the samples are seeded and written to ``docs/openness-measure/``):

    python -m bench.openness_measure flags --detector old --module /tmp/oo/openness_old.py --out /tmp/flags_old.tsv
    python -m bench.openness_measure flags --detector new --out /tmp/flags_new.tsv
    python -m bench.openness_measure changes /tmp/flags_old.tsv /tmp/flags_new.tsv
    python -m bench.openness_measure sample /tmp/flags_old.tsv /tmp/flags_new.tsv --n 100 --out docs/openness-measure/samples.tsv
    python -m bench.openness_measure changed /tmp/flags_old.tsv /tmp/flags_new.tsv --out docs/openness-measure/samples.tsv
    python -m bench.openness_measure show docs/openness-measure/samples.tsv          # the text to judge, per sampled paper
    python -m bench.openness_measure score /tmp/flags_old.tsv /tmp/flags_new.tsv \
        docs/openness-measure/samples.tsv docs/openness-measure/judgements.tsv

Round 2 (a fresh measurement; seed ``2611``, CSV files ``docs/openness-measure/round2-*.csv``):

    python -m bench.openness_measure draw /tmp/flags_old.tsv /tmp/flags_new.tsv \
        --out docs/openness-measure/round2-samples.csv --strata docs/openness-measure/round2-strata.csv
    python -m bench.openness_measure view docs/openness-measure/round2-samples.csv    # blind: text only, no flags
    python -m bench.openness_measure score2 /tmp/flags_old.tsv /tmp/flags_new.tsv docs/openness-measure/round2-samples.csv \
        docs/openness-measure/round2-strata.csv docs/openness-measure/round2-judgements.csv

``draw`` is a pure function of the two flag files, the corpus text and the seed: run again, it writes the same
samples. Its flags are those of commit 27f12ea (version 4, "old") and of commit 08442f5 (version 5, "new").
``round2-judgements.csv`` has ``id,kind,verdict,reason,note``: one verdict per sampled (paper, kind), judged from
the text alone (``view`` shows neither stratum nor flags); ``note`` gives both detectors' links for every error.
Kinds judged besides code/weights/data/demo: ``code_released`` (yes = an own code link the words do not call a
promise) and ``code_promised`` (yes = the paper links its own code only as a promise).

Run from the repository root with ``PYTHONPATH=src:.``. The committed samples were drawn with ``sample`` from the
flags of commit c6e66dd and with ``changed`` from those of commit a11363b (two intermediate version-5 detectors); ``score`` uses whatever flags files it is given.

``old`` is the detector at the start of this work (commit 27f12ea), loaded from a copy of its file made with
``git show 27f12ea:src/uptake/analytics/openness.py`` (its one relative import rewritten to ``uptake.text``).

The judgement file is written by hand: ``id<TAB>kind<TAB>verdict<TAB>reason``, where verdict is ``yes`` (the paper
links its own artifact of that kind in abstract or comments, by the rules in docs/openness.md) or ``no``.
Precision of a detector for a kind = judged ``yes`` among its flagged sampled papers; recall is estimated on
the recall stratum (unflagged by the detector, but the text names a repository/hub host or availability words).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import json
import math
import random
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv-real"
KINDS = ("code", "weights", "data", "demo", "promise", "code_released")
MEASURED = ("code", "weights", "data")


def records(data: Path = DATA):
    for f in sorted(data.glob("*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                yield r["id"], r.get("abstract") or "", r.get("comments") or ""


def load_detect(which: str, module: str | None):
    if which == "new":
        from uptake.analytics.openness import detect

        return detect
    spec = importlib.util.spec_from_file_location("openness_old", module)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["openness_old"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod.detect


def cmd_flags(a: argparse.Namespace) -> None:
    detect = load_detect(a.detector, a.module)
    with open(a.out, "w", encoding="utf-8") as out:
        out.write("id\t" + "\t".join(KINDS) + "\n")
        for pid, abstract, comments in records():
            o = detect(abstract, comments)
            flags = [o.has(k) if k in o.flags() else False for k in KINDS[:5]]
            rel = bool(getattr(o, "has_code_released", o.has_code))
            out.write(pid + "\t" + "\t".join("1" if f else "0" for f in [*flags, rel]) + "\n")


def read_flags(path: str) -> dict[str, dict[str, bool]]:
    out: dict[str, dict[str, bool]] = {}
    with open(path, encoding="utf-8") as fh:
        head = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            out[parts[0]] = {k: v == "1" for k, v in zip(head[1:], parts[1:], strict=True)}
    return out


def cmd_changes(a: argparse.Namespace) -> None:
    old, new = read_flags(a.old), read_flags(a.new)
    print("kind\tflagged_old\tflagged_new\told->new gained\tlost")
    changed = set()
    for k in KINDS:
        gained = sorted(i for i in new if new[i][k] and not old[i][k])
        lost = sorted(i for i in new if old[i][k] and not new[i][k])
        changed |= set(gained) | set(lost)
        print(f"{k}\t{sum(v[k] for v in old.values())}\t{sum(v[k] for v in new.values())}\t{len(gained)}\t{len(lost)}")
    changed_main = {i for i in new if any(new[i][k] != old[i][k] for k in KINDS if k != "code_released")}
    print(f"papers with any flag changed (code/weights/data/demo/promise): {len(changed_main)}")


_HOSTS = re.compile(
    r"github|gitlab|huggingface|hf\.co|zenodo|figshare|kaggle|modelscope|osf\.io|dataverse|dryad|this https? url", re.I
)
_AVAIL = re.compile(r"\b(?:available|released?|open[- ]?sourced?|publicly|can be found|download)", re.I)
_ART = re.compile(r"\b(?:code|weights|checkpoints?|models?|data|datasets?|benchmark)\b", re.I)


def cmd_sample(a: argparse.Namespace) -> None:
    """Per kind: ``n`` flagged by old, ``n`` flagged by new (overlapping ids are judged once), and ``n_recall``
    unflagged by both whose text names a host or says something is available next to an artifact word."""
    old, new = read_flags(a.old), read_flags(a.new)
    text = {pid: (ab, co) for pid, ab, co in records()}
    rows: list[tuple[str, str, str]] = []
    for k in MEASURED:
        # one seeded order of the papers either detector flags; each detector's sample is the first n it flags,
        # so papers both flag are judged once for both
        union = sorted(i for i in new if new[i][k] or old[i][k])
        random.Random(f"{a.seed}-{k}").shuffle(union)
        for name, flags in (("old", old), ("new", new)):
            rows += [(i, k, f"flagged-{name}") for i in [i for i in union if flags[i][k]][: a.n]]
        cand = sorted(
            i for i in new if not new[i][k] and not old[i][k]
            and (_HOSTS.search(" ".join(text[i])) or (_AVAIL.search(" ".join(text[i])) and _ART.search(" ".join(text[i]))))
        )
        rng = random.Random(f"{a.seed}-{k}-recall")
        rows += [(i, k, "unflagged-both") for i in rng.sample(cand, min(a.n_recall, len(cand)))]
        print(f"{k}: recall stratum size {len(cand)}", file=sys.stderr)
    with open(a.out, "w", encoding="utf-8") as out:
        out.write("id\tkind\tstratum\n")
        for r in rows:
            out.write("\t".join(r) + "\n")


CHANGED_PLAN = (("code", "lost", 5), ("code", "gained", 3), ("weights", "gained", 3), ("weights", "lost", 3),
                ("data", "gained", 3), ("data", "lost", 3))


def cmd_changed(a: argparse.Namespace) -> None:
    """20 papers whose flag changed (old -> new), seeded, per kind and direction, appended to the sample file."""
    old, new = read_flags(a.old), read_flags(a.new)
    rows = []
    for k, direction, n in CHANGED_PLAN:
        pool = sorted(i for i in new if (new[i][k] and not old[i][k]) == (direction == "gained")
                      and new[i][k] != old[i][k])
        rows += [(i, k, f"changed-{direction}") for i in random.Random(f"{a.seed}-{k}-{direction}").sample(pool, n)]
    with open(a.out, "a", encoding="utf-8") as out:
        for r in rows:
            out.write("\t".join(r) + "\n")


def read_tsv(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        head = fh.readline().rstrip("\n").split("\t")
        return [dict(zip(head, line.rstrip("\n").split("\t"), strict=False)) for line in fh if line.strip()]


def link_sentences(abstract: str, comments: str, width: int = 420) -> list[str]:
    """The sentence around each link (or promise) in the cleaned text, for reading by hand."""
    from uptake.analytics import openness as op

    out = []
    for field, raw in (("C", comments), ("A", abstract)):
        if not raw:
            continue
        text = op.clean_text(raw)
        sents = op._Sentences(text)
        spans = sorted({sents.bounds(m.start(), m.end()) for m in op._URL.finditer(text)}
                       | {sents.bounds(m.start(), m.end()) for m in op._PROMISE.finditer(text)})
        for s, e in spans:
            piece = text[s:e]
            out.append(f"{field}: {'...' if len(piece) > width else ''}{piece[-width:]}")
    return out


def hint_sentences(abstract: str, comments: str, width: int = 300) -> list[str]:
    """The sentences that made a paper enter the recall stratum (a host name, or availability and artifact words)."""
    out = []
    for field, raw in (("C", comments), ("A", abstract)):
        for sent in re.split(r"(?<=[.!?;])\s+", raw or ""):
            if _HOSTS.search(sent) or (_AVAIL.search(sent) and _ART.search(sent)):
                out.append(f"{field}~ {sent[:width]}")
    return out


def cmd_show(a: argparse.Namespace) -> None:
    want = read_tsv(a.samples)
    ids = {r["id"] for r in want}
    text = {pid: (ab, co) for pid, ab, co in records() if pid in ids}
    from uptake.analytics.openness import detect

    done = set()
    for r in want:
        if (a.kind and r["kind"] != a.kind) or (r["id"], r["kind"]) in done:
            continue
        done.add((r["id"], r["kind"]))
        ab, co = text[r["id"]]
        o = detect(ab, co)
        print(f"=== {r['id']} [{r['kind']} {r['stratum']}] new links: {o.link_labels()}")
        lines = link_sentences(ab, co)
        if r["stratum"] == "unflagged-both":
            lines += hint_sentences(ab, co)
        for line in dict.fromkeys(lines):
            print("  " + line)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (c - h, c + h)


def cmd_score(a: argparse.Namespace) -> None:
    """Precision per detector and kind over the judged sampled papers it flags; misses in the recall stratum."""
    old, new = read_flags(a.old), read_flags(a.new)
    verdict = {(r["id"], r["kind"]): r["verdict"] == "yes" for r in read_tsv(a.judgements)}
    samples = read_tsv(a.samples)
    for k in MEASURED:
        for name, flags in (("old", old), ("new", new)):
            # the sample was drawn from this detector's flags; a paper a later detector no longer flags is left out
            ids = sorted({r["id"] for r in samples if r["kind"] == k and r["stratum"] == f"flagged-{name}"
                          and flags[r["id"]][k]})
            judged = [verdict[(i, k)] for i in ids if (i, k) in verdict]
            good = sum(judged)
            lo, hi = wilson(good, len(judged))
            print(f"precision {k:8s} {name}: {good}/{len(judged)} = {good / max(len(judged), 1):.1%} "
                  f"(95% Wilson {lo:.1%}..{hi:.1%})")
        ids = sorted({r["id"] for r in samples if r["kind"] == k and r["stratum"] == "unflagged-both"})
        judged = [(i, verdict[(i, k)]) for i in ids if (i, k) in verdict]
        miss = sum(v for _, v in judged)
        lo, hi = wilson(miss, len(judged))
        print(f"recall-stratum {k:8s}: {miss}/{len(judged)} unflagged-by-both papers do link it "
              f"(95% Wilson {lo:.1%}..{hi:.1%})")
        # the flagged papers split into both / old only / new only; each part's precision from its judged papers
        # (pooled over the samples) gives estimated true links found by each detector: a relative recall
        parts = {"both": lambda i, k=k: old[i][k] and new[i][k], "old only": lambda i, k=k: old[i][k] and not new[i][k],
                 "new only": lambda i, k=k: new[i][k] and not old[i][k]}
        est = {}
        for part, test in parts.items():
            size = sum(1 for i in new if test(i))
            judged = [verdict[(i, k)] for (i, kk) in verdict if kk == k and test(i)]
            p = sum(judged) / len(judged) if judged else float("nan")
            lo, hi = wilson(sum(judged), len(judged))
            est[part] = (size, p)
            print(f"  {part:8s}: {size:6d} papers; judged {len(judged)}, correct {sum(judged)} "
                  f"({p:.0%}, 95% {lo:.0%}..{hi:.0%}) -> about {size * p:,.0f} true")
        tp_old = est["both"][0] * est["both"][1] + est["old only"][0] * est["old only"][1]
        tp_new = est["both"][0] * est["both"][1] + est["new only"][0] * est["new only"][1]
        print(f"  true links found: old about {tp_old:,.0f}, new about {tp_new:,.0f}; "
              f"old finds about {tp_old / tp_new:.0%} of what new finds")


# --- Round 2 (a fresh measurement with a new seed; CSV files) ------------------------------------------------------

ROUND2_SEED = "2611"
PRECISION_KINDS = ("code", "weights", "data", "demo")
#: a link of any form, as it appears in arXiv text (the recall strata split on it)
_URLISH = re.compile(
    r"https?\s*:\s*/|www\.|this https? url|\\url|\bdoi\s*:?\s*10\.\d|\b10\.\d{4,}/|"
    r"\b[\w-]+\.(?:com|org|io|net|ai|co|edu|cn|space)/\S", re.I)
#: words that, in a sentence with a link, make that link a likely home of an artifact of the kind
_KIND_WORDS = {
    "code": re.compile(r"\b(?:codes?|source|implementation|software|repositor(?:y|ies)|repo|github|gitlab|toolkit|"
                       r"library|package|framework)\b", re.I),
    "weights": re.compile(r"\b(?:models?|weights|checkpoints?|pre-?trained|huggingface|hf\.co)\b", re.I),
    "data": re.compile(r"\b(?:data|datasets?|database|corpus|corpora|benchmarks?|annotations?|zenodo|figshare|kaggle)\b",
                       re.I),
    "demo": re.compile(r"\b(?:demos?|project|website|homepage|page|site|github\.io|spaces?)\b", re.I),
}
_SENT_SPLIT = re.compile(r"(?<=[.!?;])\s+(?=[A-Z(\[])|\n\s*\n")
RECALL_STRATA = (("link-kind", 40), ("link-other", 20), ("host", 10), ("words", 10))


def recall_stratum(text: str, kind: str) -> str | None:
    """The recall stratum of a paper (abstract and comments) for one kind.

    ``link-kind``: a sentence has a link of any form and a word of the kind (the likeliest home of a miss);
    ``link-other``: a link of any form, but never in a sentence with such a word; ``host``: a repository or hub
    host named without a link; ``words``: availability and artifact words only. The rules need a link, so a
    miss is possible only in the first two; the last two are read to check that."""
    if _URLISH.search(text):
        words = _KIND_WORDS[kind]
        if any(_URLISH.search(s) and words.search(s) for s in _SENT_SPLIT.split(text)):
            return "link-kind"
        return "link-other"
    if _HOSTS.search(text):
        return "host"
    if _AVAIL.search(text) and _ART.search(text):
        return "words"
    return None


def _first(order: list[str], test, n: int) -> list[str]:
    out = []
    for i in order:
        if test(i):
            out.append(i)
            if len(out) == n:
                break
    return out


def draw_round2(old: dict[str, dict[str, bool]], new: dict[str, dict[str, bool]], text: dict[str, str],
                seed: str = ROUND2_SEED, n: int = 100, n_promised: int = 40
                ) -> tuple[list[tuple[str, str, str]], dict[tuple[str, str, str], int]]:
    """The round-2 samples as ``(id, kind, stratum)`` rows, a pure function of the flags, the text and the seed,
    and the size of each recall stratum: ``(kind, stratum, detector) -> papers it leaves unflagged there``.

    Precision, per kind: one seeded order of the papers either detector flags; each detector's sample is the first
    ``n`` it flags in that order (so a paper both flag is judged once, for both). ``code_released``: the first ``n``
    in the code order the new detector flags code-released; ``code_promised``: the first ``n_promised`` it flags
    code but not code-released. Recall, per kind and stratum (``recall_stratum``): one seeded order of the papers
    either detector leaves unflagged; each detector's sample is the first ones it leaves unflagged.
    Changed: 20 papers whose flag changed, per kind and direction (``CHANGED_PLAN_2``)."""
    rows: list[tuple[str, str, str]] = []
    sizes: dict[tuple[str, str, str], int] = {}
    ids = sorted(new)
    for k in PRECISION_KINDS:
        order = [i for i in ids if new[i][k] or old[i][k]]
        random.Random(f"{seed}-precision-{k}").shuffle(order)
        for name, flags in (("old", old), ("new", new)):
            rows += [(i, k, f"flagged-{name}") for i in _first(order, lambda i, f=flags, k=k: f[i][k], n)]
        if k == "code":
            rows += [(i, "code_released", "flagged-new")
                     for i in _first(order, lambda i: new[i]["code_released"], n)]
            rows += [(i, "code_promised", "flagged-new")
                     for i in _first(order, lambda i: new[i]["code"] and not new[i]["code_released"], n_promised)]
    for k in PRECISION_KINDS:
        strata = {i: recall_stratum(text[i], k) for i in ids}
        for stratum, m in RECALL_STRATA:
            order = [i for i in ids if strata[i] == stratum and not (new[i][k] and old[i][k])]
            random.Random(f"{seed}-recall-{k}-{stratum}").shuffle(order)
            for name, flags in (("old", old), ("new", new)):
                rows += [(i, k, f"unflagged-{name}-{stratum}") for i in _first(order, lambda i, f=flags, k=k: not f[i][k], m)]
                sizes[(k, stratum, name)] = sum(1 for i in ids if strata[i] == stratum and not flags[i][k])
    for k, direction, m in CHANGED_PLAN_2:
        pool = [i for i in ids if new[i][k] != old[i][k] and new[i][k] == (direction == "gained")]
        rows += [(i, k, f"changed-{direction}") for i in random.Random(f"{seed}-changed-{k}-{direction}").sample(pool, m)]
    return rows, sizes


CHANGED_PLAN_2 = (("code", "lost", 3), ("code", "gained", 3), ("weights", "gained", 4), ("weights", "lost", 2),
                  ("data", "gained", 4), ("data", "lost", 2), ("demo", "gained", 1), ("demo", "lost", 1))


def full_records(data: Path = DATA):
    for f in sorted(data.glob("*.jsonl.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                yield r["id"], r.get("title") or "", r.get("abstract") or "", r.get("comments") or ""


def cmd_draw(a: argparse.Namespace) -> None:
    old, new = read_flags(a.old), read_flags(a.new)
    text = {pid: f"{ab}\n{co}" for pid, _t, ab, co in full_records()}
    rows, sizes = draw_round2(old, new, text, a.seed)
    with open(a.out, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow(["id", "kind", "stratum"])
        w.writerows(rows)
    with open(a.strata, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow(["kind", "stratum", "detector", "unflagged_papers"])
        w.writerows([*key, v] for key, v in sizes.items())
    print(f"{len(rows)} rows, {len({(i, k) for i, k, _ in rows})} distinct (paper, kind) to judge", file=sys.stderr)


def cmd_view(a: argparse.Namespace) -> None:
    """The text to judge, one block per sampled paper with the kinds asked, blind to strata and flags: title,
    comments, and the abstract's sentences with a link, a host name, a promise or availability words."""
    with open(a.samples, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    asked: dict[str, list[str]] = {}
    for r in rows:
        ks = asked.setdefault(r["id"], [])
        if r["kind"] not in ks:
            ks.append(r["kind"])
    text = {pid: (t, ab, co) for pid, t, ab, co in full_records() if pid in asked}
    for pid in sorted(asked):
        t, ab, co = text[pid]
        print(f"=== {pid} ask: {' '.join(asked[pid])}\n  T: {' '.join(t.split())}")
        if co.strip():
            print(f"  C: {' '.join(co.split())[:600]}")
        lines = [x for x in link_sentences(ab, "") + hint_sentences(ab, "")]
        for line in dict.fromkeys(" ".join(x.split()) for x in lines):
            print("  " + line)


def read_csv(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _pct(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{k}/{n} = {k / n:.1%} (95% Wilson {lo:.1%}..{hi:.1%})" if n else "0/0"


def score_round2(old: dict[str, dict[str, bool]], new: dict[str, dict[str, bool]], samples: list[dict[str, str]],
                 strata: list[dict[str, str]], judgements: list[dict[str, str]]) -> list[str]:
    """The round-2 numbers as report lines: precision per kind and detector, recall per kind and detector
    (estimated from the recall strata), the changed papers and every error, from the committed files."""
    verdict = {(r["id"], r["kind"]): r["verdict"] == "yes" for r in judgements}
    why = {(r["id"], r["kind"]): r["reason"] + (f" [detectors: {r['note']}]" if r.get("note") else "")
           for r in judgements}
    missing = {(r["id"], r["kind"]) for r in samples} - set(verdict)
    if missing:
        raise SystemExit(f"{len(missing)} sampled (paper, kind) pairs have no judgement, e.g. {sorted(missing)[:3]}")
    out: list[str] = []
    flags = {"old": old, "new": new}

    def rows(kind: str, stratum: str) -> list[str]:
        return list(dict.fromkeys(r["id"] for r in samples if r["kind"] == kind and r["stratum"] == stratum))

    out.append("## precision (judged yes among sampled flagged papers)")
    prec: dict[tuple[str, str], tuple[int, int]] = {}
    for k in (*PRECISION_KINDS, "code_released", "code_promised"):
        for name in ("old", "new"):
            ids = rows(k, f"flagged-{name}")
            if not ids:
                continue
            good = sum(verdict[(i, k)] for i in ids)
            prec[(k, name)] = (good, len(ids))
            out.append(f"{k:14s} {name}: {_pct(good, len(ids))}")
    out.append("## recall (true links found / true links, misses estimated per stratum from the unflagged samples)")
    size = {(r["kind"], r["stratum"], r["detector"]): int(r["unflagged_papers"]) for r in strata}
    for k in PRECISION_KINDS:
        for name in ("old", "new"):
            flagged = sum(v[k] for v in flags[name].values())
            good, n = prec[(k, name)]
            tp, (tp_lo, tp_hi) = flagged * good / n, (flagged * b for b in wilson(good, n))
            fn = fn_lo = fn_hi = 0.0
            parts = []
            for stratum, _m in RECALL_STRATA:
                ids = rows(k, f"unflagged-{name}-{stratum}")
                miss = sum(verdict[(i, k)] for i in ids)
                big = size[(k, stratum, name)]
                lo, hi = wilson(miss, len(ids))
                fn, fn_lo, fn_hi = fn + big * miss / len(ids), fn_lo + big * lo, fn_hi + big * hi
                parts.append(f"{stratum} {miss}/{len(ids)} of {big:,}")
            out.append(f"{k:8s} {name}: flagged {flagged:,}, about {tp:,.0f} right; missed about {fn:,.0f} "
                       f"({'; '.join(parts)}); recall {tp / (tp + fn):.1%} "
                       f"(conservative 95% range {tp_lo / (tp_lo + fn_hi):.1%}..{tp_hi / (tp_hi + fn_lo):.1%})")
    out.append("## changed papers (before -> after), read by hand")
    right = 0
    changed = [r for r in samples if r["stratum"].startswith("changed-")]
    for r in changed:
        i, k = r["id"], r["kind"]
        ok = verdict[(i, k)] == new[i][k]
        right += ok
        out.append(f"{i} {k:8s} {int(old[i][k])} -> {int(new[i][k])}: {'right' if ok else 'WRONG'}: {why[(i, k)]}")
    out.append(f"{right} of {len(changed)} changes go the right way")
    out.append("## errors in the precision and recall samples")
    seen = set()
    for r in samples:
        i, k, s = r["id"], r["kind"], r["stratum"]
        if s.startswith("changed-") or (i, k, s) in seen:
            continue
        seen.add((i, k, s))
        if verdict[(i, k)] != s.startswith("flagged"):
            out.append(f"{i} {k} {s}: {why[(i, k)]}")
    return out


def cmd_score2(a: argparse.Namespace) -> None:
    lines = score_round2(read_flags(a.old), read_flags(a.new), read_csv(a.samples), read_csv(a.strata),
                         read_csv(a.judgements))
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.openness_measure")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("flags")
    s.add_argument("--detector", choices=["old", "new"], default="new")
    s.add_argument("--module", help="path of the old openness.py copy")
    s.add_argument("--out", required=True)
    s = sub.add_parser("changes")
    s.add_argument("old")
    s.add_argument("new")
    s = sub.add_parser("sample")
    s.add_argument("old")
    s.add_argument("new")
    s.add_argument("--n", type=int, default=100)
    s.add_argument("--n-recall", type=int, default=40)
    s.add_argument("--seed", default="16")
    s.add_argument("--out", required=True)
    s = sub.add_parser("changed")
    s.add_argument("old")
    s.add_argument("new")
    s.add_argument("--seed", default="16")
    s.add_argument("--out", required=True)
    s = sub.add_parser("show")
    s.add_argument("samples")
    s.add_argument("--kind")
    s = sub.add_parser("score")
    s.add_argument("old")
    s.add_argument("new")
    s.add_argument("samples")
    s.add_argument("judgements")
    s = sub.add_parser("draw")
    s.add_argument("old")
    s.add_argument("new")
    s.add_argument("--seed", default=ROUND2_SEED)
    s.add_argument("--out", required=True)
    s.add_argument("--strata", required=True, help="CSV of the recall strata sizes")
    s = sub.add_parser("score2")
    s.add_argument("old")
    s.add_argument("new")
    s.add_argument("samples")
    s.add_argument("strata")
    s.add_argument("judgements")
    s = sub.add_parser("view")
    s.add_argument("samples")
    a = p.parse_args(argv)
    {"flags": cmd_flags, "changes": cmd_changes, "sample": cmd_sample, "changed": cmd_changed, "show": cmd_show,
     "score": cmd_score, "draw": cmd_draw, "view": cmd_view, "score2": cmd_score2}[a.cmd](a)


if __name__ == "__main__":
    main()
