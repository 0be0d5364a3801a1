"""The GraphML we write, parsed by graphology-graphml (Gephi Lite's parser) under node."""

import json
import shutil
import subprocess

from conftest import ROOT

JS = ROOT / "tests" / "js"


def test_graphology_reads_the_seed_graphml_without_warnings(seeds_out):
    node = shutil.which("node")
    assert node, "node is needed for this test (Debian: nodejs); `make test` installs the parser with npm"
    assert (JS / "node_modules" / "graphology-graphml").is_dir(), "run `cd tests/js && npm ci` (make test does)"
    out, _ = seeds_out
    run = subprocess.run([node, str(JS / "parse_graphml.js"), str(out / "graph.graphml")],
                         capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(run.stdout)
    assert seen["warnings"] == [] and run.stderr == ""
    assert seen["nodes"] > 100 and seen["edges"] > seen["nodes"]
    assert seen["unlabelled"] == 0 and seen["coloured"] == seen["nodes"]
    assert set(seen["types"]) == {"Report", "Agency", "Place", "Programme", "Honour"}
