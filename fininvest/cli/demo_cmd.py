"""``fininvest demo``: the main job end to end on the sample case."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from fininvest.cli.analytics_cmd import render_chains
from fininvest.cli.ingest_cmd import render_summaries, run_ingest
from fininvest.cli.output import FORMAT_OPTION, emit, stages, stderr
from fininvest.cli.screen_cmd import render_screen
from fininvest.cli.workspace_cmds import workspace_status
from fininvest.demo import asset_step, evidence_step
from fininvest.graph import embedded
from fininvest.graph.chains import chains_of_trafficking
from fininvest.graph.load import load_graph
from fininvest.graph.network import analyse_network
from fininvest.graph.quality import evaluate_chains
from fininvest.graph.store import open_store
from fininvest.resources import source_root
from fininvest.sample import generate_case
from fininvest.screening.run import screen, summary
from fininvest.workspace import CONFIG_NAME, init_workspace, open_workspace


@contextmanager
def phase(message: str) -> Iterator[None]:
    """One step of the demo on stderr: a spinner in a terminal, a line when piped."""
    if stderr.is_terminal:
        with stderr.status(message):
            yield
    else:
        stderr.print("· " + message, style="dim", highlight=False)
        yield


@click.command()
@click.argument("case_dir", type=click.Path(path_type=Path), default="demo-case")
@click.option("--no-serve", is_flag=True, help="Exit after the summary instead of serving the app.")
@FORMAT_OPTION
def demo(case_dir: Path, no_serve: bool, fmt: str) -> None:
    """Run every user's job end to end on the small sample case (default CASE_DIR: demo-case).

    \b
    sample case → ingest (validate, normalise, quarantine) → screening (ranked, explained
    alerts) → graph load into the embedded store → chains of trafficking → communities and
    inferred roles → a signed evidence pack of the first chain, verified → the asset
    register's report → the app, served until Ctrl-C (not with --no-serve or --format json).
    Safe to run again: ingest and graph load are idempotent.
    """
    ws = (
        open_workspace(case_dir)
        if (case_dir / CONFIG_NAME).exists()
        else init_workspace(case_dir, name="Demo: synthetic THB case")
    )
    committed = source_root() / "sample_data"
    if (committed / "raw").is_dir():
        for sub in ("raw", "truth"):
            for f in sorted((committed / sub).iterdir()):
                if not ws.path(sub, f.name).exists():
                    shutil.copy2(f, ws.path(sub, f.name))
        origin = "committed sample_data/"
    else:  # an installed wheel has no sample_data/: generate the identical case
        with phase("generating the sample case"):
            generate_case(ws.path("raw"), ws.path("truth"), scale="small", seed=7, compress=True)
        origin = "generated (small, seed 7)"
    files = sorted(p for p in ws.path("raw").iterdir() if p.is_file())
    summaries = run_ingest(ws, files, None, None, quiet=fmt == "json")
    status = workspace_status(ws)
    from fininvest.warmup import COMPILE_NOTE, kernels_cached

    if not kernels_cached():
        stderr.print(COMPILE_NOTE, highlight=False)
    with stages(5, quiet=fmt == "json") as say:
        screened = summary(screen(ws, lambda phase: say("screening: " + phase)), top=10)
    from fininvest.casefile.explain import money
    from fininvest.casefile.names import load_names

    names = load_names(ws)
    screened = names.annotate(screened)
    with phase("graph: loading the embedded store, chains of trafficking, network"):
        was_running = embedded.running(ws) is not None
        store = open_store(ws)
        load_graph(ws, store)
        graph = store.counts()
        found = chains_of_trafficking(store)
        ws.path("results", "chains.json").write_text(json.dumps(found, indent=2), "utf-8")
        network = analyse_network(ws, store, chains=found)
        if not was_running:  # leave no server behind; `fininvest graph start` brings it back
            embedded.stop(ws)
    pack = None
    if found:
        with phase(f"evidence pack of chain {found[0]['id']} (signed, then verified)"):
            pack = evidence_step(ws, found[0]["id"])
    with phase("asset register: events checked, statistics computed"):
        assets = asset_step(ws)
    quality = None
    if ws.path("truth", "chains.json").exists():
        quality = evaluate_chains(found, json.loads(ws.path("truth", "chains.json").read_text()))
    ws.audit("demo", {"origin": origin}, counts={"chains": len(found)})

    def render(c: Console) -> None:
        c.print(Text.assemble(("Demo case", "bold"), f" in {ws.root} (sample: {origin})"))
        render_summaries(summaries, c, ws.root)
        c.print(
            "Workspace tables: "
            + ", ".join(f"{t} {i['rows']:,}" for t, i in status["tables"].items())
        )
        c.print(
            f"Quarantine: {status['quarantine']['records']} records, each with its reason "
            f"(see them: fininvest quarantine {case_dir})."
        )
        render_screen(screened, c)
        c.print(
            "Graph (embedded FalkorDB): "
            + ", ".join(
                f"{k} {v:,}" for k, v in {**graph["nodes"], **graph["relationships"]}.items()
            )
        )
        render_chains(found, c, ws.path("results", "chains.json"), names=names)
        if quality is not None:
            c.print(
                f"Against the sample's ground truth: {quality['recovered_exactly']} of "
                f"{quality['planted']} planted chains recovered with every link correct."
            )
        inferred = ", ".join(
            f"{names.label(r['id'])} {r['role']}"
            for r in network["inferred_roles"]
            if r["role"] != "victim"
        )
        c.print(
            f"Network: {network['communities']} communities; roles inferred without "
            f"intelligence: {inferred or 'none'}."
        )
        if pack is not None:
            c.print(
                f"Evidence pack of {pack['chain']}: {pack['path']} ({pack['records']} records, "
                f"signed {pack['signed_by'][:19]}…) — verified: "
                + ("yes" if pack["verified"] else "NO: " + "; ".join(pack["problems"])),
                markup=False,
            )
        f = {s["stage"]: s for s in assets["funnel"]["stages"]}

        def amount(value: str) -> str:  # the register keeps exact decimals as text
            return money(value, assets["base_currency"])

        c.print(
            f"Asset register: {assets['assets']} assets; identified "
            f"{amount(f['identified']['value'])}, frozen {amount(f['frozen']['value'])}, "
            f"confiscated {amount(f['confiscated']['value'])}, realised "
            f"{amount(assets['funnel']['realised'])}, paid to victims "
            f"{amount(assets['funnel']['compensation_from_realised'])}",
            markup=False,
        )
        top = screened["alerts"][0]["entity_id"] if screened["alerts"] else "<account id>"
        whose = f"{names.name(top)}'s account" if names.name(top) else "it"
        c.print(f"Next: fininvest explain {case_dir} {top}  (why {whose} is flagged, with "
                "evidence)", markup=False)  # fmt: skip
        c.print(f"      fininvest show {case_dir} <person or account id>")
        c.print(f"      fininvest trace {case_dir} --from <account or person id>")

    emit(
        fmt,
        names.annotate(
            {
                "workspace": str(ws.root),
                "sample": origin,
                "ingest": [s.to_dict() for s in summaries],
                "status": status,
                "screen": screened,
                "graph": graph,
                "chains": found,
                "chain_quality": quality,
                "evidence_pack": pack,
                "assets": assets,
                "network": {k: v for k, v in network.items() if k != "brokers"},
            }
        ),
        render,
    )
    if fmt == "json" or no_serve:
        return
    from fininvest.cli.app_cmd import app

    stderr.print("serving the app: alerts, graph explorer, chains, money flow, timeline, "
                 "jurisdictions and assets of the demo case")  # fmt: skip
    click.get_current_context().invoke(
        app, case_dir=case_dir, host="127.0.0.1", port=8050, page_size=40, uri=None, user=None,
        password=None,
    )  # fmt: skip
