"""`uptake serve` under load while harvests write to its store: no failed request, no mixed or stale answer.

A real server process, four client threads asking trend, stats and papers questions back to back,
and four harvests (three pages each) of new papers from the local OAI-PMH server. The OAI server
hands out each page only after the clients have completed more requests, so commits and requests
interleave on any machine; nothing here depends on timing. ``bench/serve_harvest.py`` runs the same
longer and measures latencies and how soon new papers show (docs/reliability.md).
"""

from __future__ import annotations

from pathlib import Path

import httpx

import serve_load as sl
from oai_server import OAIServer
from uptake.corpus import Corpus
from uptake.store import Store

BASE, ROUNDS, PER_ROUND, PAGE = 300, 4, 30, 10


def test_harvests_against_a_server_under_load_fail_no_request_and_show_at_once(tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    with OAIServer(sl.base_repository(BASE, PAGE * 5)) as oai:
        base = sl.build(db, oai)
        with sl.Serve(db) as server:
            result = sl.run(db, server.url, oai, base=base, rounds=ROUNDS, per_round=PER_ROUND, page_size=PAGE,
                            clients=4)
            after = httpx.get(server.url + "/api/trend?q=GRPO&measure=count", timeout=60).json()
            log = server.output()
    assert sl.problems(result) == [], log
    assert len(result.page_served) == ROUNDS * PER_ROUND // PAGE  # each harvest fetched only its new pages
    assert len(result.records) >= len(result.page_served) * 2  # and every page waited for 2 more requests
    final = result.snaps[-1]
    assert final.papers == BASE + ROUNDS * PER_ROUND
    # the brute-force snapshots are the store's own numbers at rest, and the server's after the last harvest
    assert (after["corpus"]["papers"], sum(p["count"] for p in after["series"][0]["points"])) == (
        final.papers, final.grpo)
    with Store.open(db) as store:
        assert store.paper_count() == final.papers
    assert sum(p.count for p in Corpus(db).trend("GRPO", measure="count").series[0].points) == final.grpo
    # and the index caught up: a query answered after the last harvest comes from a fresh index
    from uptake import index as ix

    with Store.open(db) as store:
        assert ix.open_fresh(store) is not None
