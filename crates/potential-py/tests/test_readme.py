"""README's section "From Python" runs as printed: its Python blocks, in order, in one namespace
(as a reader pastes them into a session), in a temporary directory."""

import re

import numpy as np
from conftest import ROOT


def python_blocks():
    text = (ROOT / "README.md").read_text()
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_python_examples_run_as_printed(tmp_path, monkeypatch, capsys):
    blocks = python_blocks()
    assert len(blocks) == 5
    monkeypatch.chdir(tmp_path)
    ns = {"__name__": "readme"}
    try:
        for block in blocks:
            exec(compile(block, "README.md", "exec"), ns)
    finally:
        if "client" in ns:
            cluster = ns["client"].cluster
            ns["client"].close()
            cluster.close()
    out = capsys.readouterr().out
    flagged = float(re.search(r"flagged: ([0-9.]+) of the other digits", out).group(1))
    accuracy = float(re.search(r"accuracy: ([0-9.]+)", out).group(1))
    assert flagged > 0.9 and accuracy > 0.9, out
    assert ns["model"] == ns["ae"].model_
    np.testing.assert_array_equal(ns["scores"], ns["det"].score_samples(ns["X"]))
