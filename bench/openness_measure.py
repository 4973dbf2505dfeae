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
    a = p.parse_args(argv)
    {"flags": cmd_flags, "changes": cmd_changes, "sample": cmd_sample, "changed": cmd_changed, "show": cmd_show,
     "score": cmd_score}[a.cmd](a)


if __name__ == "__main__":
    main()
