"""The command line keeps copies of module constants (so that `kg --help` imports nothing heavy): they must agree."""

from __future__ import annotations

import argparse

from kg import cli, engines, export, query, serve


def _options(command: str) -> dict[str, argparse.Action]:
    sub = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {opt: action for action in sub.choices[command]._actions for opt in action.option_strings}


def test_build_choices_are_the_modules():
    build = _options("build")
    assert tuple(build["--format"].choices) == export.FORMATS
    assert tuple(build["--engine"].choices) == engines.ENGINES


def test_query_formats_are_the_modules():
    assert tuple(_options("query")["--format"].choices) == query.FORMATS


def test_serve_defaults_are_the_modules():
    options = _options("serve")
    assert (options["--host"].default, options["--port"].default) == (serve.DEFAULT_HOST, serve.DEFAULT_PORT)



def test_a_reader_that_stops_early_ends_the_output_quietly(seeds_out, monkeypatch) -> None:
    class GoneReader:  # stdout of `kg query … | head -1` once head has exited
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    out, _ = seeds_out
    monkeypatch.setattr("sys.stdout", GoneReader())
    assert cli.main(["query", str(out / "graph.ttl"), "participations"]) == 0
