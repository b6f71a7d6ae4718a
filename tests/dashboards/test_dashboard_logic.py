"""The dashboard's logic without any UI: settings, sessions, comparisons, exports, boundaries."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import replace
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("solara")

from dashboards import boundaries, figures  # noqa: E402
from dashboards.charts import observation_layers, record_spec, uptake_spec  # noqa: E402
from dashboards.ensembles import (  # noqa: E402
    Ensemble,
    difference_sentence,
    preset_posterior,
    reach_time,
    run_ensemble,
    share_sentence,
)
from dashboards.figures import journey_png, map_png, uptake_png  # noqa: E402
from dashboards.frames import (  # noqa: E402
    authority_conditions,
    comparison_table,
    csv_bytes,
    events_table,
    observation_sentence,
    observed_points,
    run_tables,
    scope_size,
    scope_stage_counts,
    simulated_record,
    stages_table,
    story,
    story_lines,
)
from dashboards.map_data import hover_text, map_colours, map_geometry  # noqa: E402
from dashboards.session import Session  # noqa: E402
from dashboards.settings import (  # noqa: E402
    DEFAULT_PRESET,
    Settings,
    extra_lines,
    parse_seed,
    preset_items,
)
from dashboards.style import date_label, quarter_label, years_words  # noqa: E402
from dashboards.tabs.uptake import RECORD_KEY, record_lines  # noqa: E402
from sim.config import load_config, preset_names  # noqa: E402
from sim.errors import InputError  # noqa: E402
from sim.model import InnovationModel  # noqa: E402
from sim.vocabulary import (  # noqa: E402
    APPROACHES,
    NATIONS,
    OBSERVATION_KEYS,
    OBSERVATION_KINDS,
)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def finished() -> Session:
    session = Session(Settings.from_preset("historical", seed=3))
    session.run()
    return session


# -- settings ------------------------------------------------------------------------------


def test_preset_settings_change_nothing_and_levers_become_overrides():
    settings = Settings.from_preset("austerity-deepens")
    assert settings.austerity_cut == pytest.approx(0.2)       # the preset's own lever
    assert settings.overrides() == []
    assert settings.command_line() == "innovate run austerity-deepens --seed 0"
    changed = replace(settings, austerity_cut=0.35, workforce_pressure=1.5,
                      policy={**settings.policy, "TS": {**settings.policy["TS"],
                                                        "Northern Ireland": 2.0}},
                      ties={**settings.ties, "border": 0.0}, synergy=False,
                      extra="# a comment\napproaches.CS.q = 0.5\n")
    assert dict(changed.overrides()) == {
        "levers.austerity_cut": 0.35, "levers.workforce_pressure": 1.5,
        "levers.policy.TS.Northern Ireland": 2.0, "network.weights.border": 0.0,
        "mechanisms.synergy": False, "approaches.CS.q": 0.5}
    config = changed.config()
    assert config.levers.austerity_cut == 0.35
    assert config.levers.policy_multiplier("TS", "Northern Ireland") == 2.0
    assert config.network.weights.border == 0.0
    assert config.mechanisms.synergy is False
    assert config.approaches.CS.q == 0.5
    assert "--set 'levers.policy.TS.Northern Ireland=2.0'" in changed.command_line()
    assert "--set mechanisms.synergy=false" in changed.command_line()


def test_with_preset_takes_the_presets_levers_and_keeps_the_seed():
    mine = replace(Settings.from_preset("historical", seed=7), austerity_cut=0.5)
    other = mine.with_preset("austerity-deepens")
    assert other.preset == "austerity-deepens" and other.seed == 7
    assert other.austerity_cut == pytest.approx(0.2)


@pytest.mark.parametrize(("change", "message"), [
    ({"austerity_cut": 0.95}, "levers.austerity_cut"),
    ({"workforce_pressure": 0.0}, "levers.workforce_pressure"),
    ({"extra": "approaches.CS.qq=1"}, "approaches.CS.qq: unknown key"),
    ({"extra": "no equals sign"}, "expected KEY=VALUE"),
    ({"extra": "events.nope.enabled=false"}, "no event with id 'nope'"),
    ({"extra": "x=" + "1" * 10_000}, "(10002 characters) is not a number"),
    ({"extra": "a" * 10_000}, "(10002 characters): expected KEY=VALUE"),
    ({"preset": "nowhere"}, "unknown scenario 'nowhere'"),
    ({"seed": -1}, "seed: must be a whole number"),
])
def test_invalid_settings_raise_one_line_input_errors(change, message):
    with pytest.raises(InputError, match=re.escape(message)) as error:
        replace(Settings(), **change).config()
    assert "\n" not in str(error.value)
    if "characters)" in message:    # a long entry is echoed cut short
        assert len(str(error.value)) < 300


@pytest.mark.parametrize("text", ["abc", "1.5", "-3", str(2**63), ""])
def test_a_typed_seed_must_be_a_whole_number(text):
    with pytest.raises(InputError, match="seed"):
        parse_seed(text)
    assert parse_seed(" 42 ") == 42


def test_changes_come_after_the_extra_settings_and_read_as_set_takes_them():
    settings = replace(Settings(), extra="approaches.CS.q=0.5")
    changed = settings.with_changes({"mechanisms.synergy": False, "levers.start": 2012.0})
    assert changed.extra == "approaches.CS.q=0.5\nmechanisms.synergy=false\nlevers.start=2012.0"
    assert Settings().with_changes({}) == Settings()
    assert extra_lines("a.b=1; c.d = 2 ;") == "a.b=1\nc.d = 2\n"


# -- session -------------------------------------------------------------------------------


def test_session_history_matches_a_separately_stepped_model():
    session = Session(Settings(seed=5))
    model = InnovationModel("historical", seed=5)
    for _ in range(12):
        model.step()
    assert session.step(12) == 12
    snap = session.snapshot()
    assert snap.time == pytest.approx(2013.0)
    np.testing.assert_array_equal(snap.stage, model.state.stage)
    np.testing.assert_array_equal(snap.status, model.state.status)
    np.testing.assert_allclose(snap.conditions, model.state.fields[:6], rtol=1e-6)
    early = session.snapshot(4)
    assert early.time == pytest.approx(2011.0)
    assert session.snapshot(99).time == snap.time            # clipped to the steps taken


def test_same_settings_and_seed_give_the_same_run_and_reset_starts_again(finished):
    again = Session(Settings.from_preset("historical", seed=3))
    assert again.run() == again.total_steps == 104
    np.testing.assert_array_equal(again.stage_history()[1], finished.stage_history()[1])
    assert again.results().metrics == pytest.approx(finished.results().metrics, nan_ok=True)
    other = Session(Settings.from_preset("historical", seed=4))
    other.run()
    assert not np.array_equal(other.stage_history()[1], finished.stage_history()[1])
    again.reset()
    assert again.steps == 0 and again.year == 2010.0 and again.step(200) == 104
    assert again.finished and again.step() == 0


def test_invalid_reset_leaves_the_session_as_it_was():
    session = Session()
    session.step(3)
    with pytest.raises(InputError):
        session.reset(replace(Settings(), austerity_cut=5.0))
    assert session.steps == 3 and session.settings == Settings.from_preset(DEFAULT_PRESET)


def test_levers_change_the_run():
    base = Session()
    cut = Session(replace(Settings(), austerity_cut=0.5, start=2012.0, austerity_years=1.0))
    late = cut.model.timeline.end > 2014
    assert np.all(cut.model.timeline.budget[late] < base.model.timeline.budget[late] - 0.1)
    assert np.allclose(cut.model.timeline.budget[cut.model.timeline.end <= 2012],
                       base.model.timeline.budget[base.model.timeline.end <= 2012])


# -- map, uptake, journeys -----------------------------------------------------------------


def test_boundaries_cover_every_authority_and_stay_small():
    collection = boundaries.load_geojson()
    ids = [f["properties"]["agent_id"] for f in collection["features"]]
    model = InnovationModel("historical")
    assert sorted(ids) == sorted(model.population.ids.astype(str))
    assert len(ids) == 212
    assert {"E09000001", "E09000012", "E06000052", "E06000053"} <= set(ids)
    assert {"BHSCT", "NHSCT", "SEHSCT", "SHSCT", "WHSCT"} <= set(ids)
    assert "E08000038" in ids and "E08000016" not in ids          # Barnsley's 2024 code
    assert boundaries.BOUNDARY_FILE.stat().st_size < 1.5e6
    assert "Open Government Licence" in collection["attribution"]
    rings = boundaries.outlines()
    lon = np.concatenate([r[:, 0] for rs in rings.values() for r in rs])
    lat = np.concatenate([r[:, 1] for rs in rings.values() for r in rs])
    assert -8.7 < lon.min() < -8.0 and 1.6 < lon.max() < 1.9          # Fermanagh to Lowestoft
    assert 49.8 < lat.min() < 50.0 and 60.7 < lat.max() < 60.9        # Scilly to Unst
    hackney = np.concatenate(rings["E09000012"])
    assert abs(hackney[:, 0].mean() + 0.06) < 0.05 and abs(hackney[:, 1].mean() - 51.55) < 0.05


def test_boundary_derivation_is_reproducible(tmp_path):
    out = tmp_path / "b.geojson"
    boundaries.derive(out=out)
    assert out.read_bytes() == boundaries.BOUNDARY_FILE.read_bytes()


def test_boundary_derivation_needs_the_source(tmp_path):
    with pytest.raises(InputError):
        boundaries.derive(source=tmp_path, out=tmp_path / "x.geojson")


def test_map_geometry_and_colours(finished):
    geometry = map_geometry()
    assert len(geometry["shapes"]) == 212 and len(geometry["inset"]) == 33
    assert all(s["d"].startswith("M") for s in geometry["shapes"])
    snap = finished.snapshot()
    fills = map_colours(snap, finished.ids, "TIP")
    a = APPROACHES.index("TIP")
    for i in (0, 100, 211):
        agent = finished.ids[i]
        stage, status = snap.stage[i, a], snap.status[i, a]
        expected = "#b5473c" if status == 2 else \
            ("#e6e6e6", "#fde725", "#7ad151", "#22a884", "#2a788e", "#414487", "#440154")[stage]
        assert fills[agent] == [expected, bool(status == 1)]
    tips = hover_text(finished, snap, "CS")
    hackney = tips["E09000012"]
    assert hackney[0] == "Hackney (London)" and hackney[1].startswith("CS: ")
    assert any(line.strip().startswith("workforce capacity: ") for line in hackney)
    start = hover_text(finished, finished.snapshot(0), "CS")["E09000012"]
    assert "computed from the first step" in start[-1]


def test_uptake_counts_add_up_to_engaged(finished):
    result = finished.results()
    frame = scope_stage_counts(result, "England and Wales")
    assert scope_size(result, "England and Wales") == 175
    final = frame[frame["time"] == result.times[-1]]
    for approach in APPROACHES:
        engaged = final.loc[final["approach"] == approach, "count"].sum()
        assert engaged == finished.model.count(approach, "engaged", "England and Wales")
    assert frame[frame["time"] == 2010.0]["count"].sum() == 0
    spec = uptake_spec(result, "Scotland")
    assert {f"stages_{a}" for a in APPROACHES} <= set(spec["datasets"])
    assert len(spec["datasets"]["stages_TIP"]) == 105 * 6
    records = simulated_record(result)
    assert set(records["series"]) == {"engaged, England and Wales", "implementing, England",
                                      "engaged, Scotland", "engaged, England",
                                      "integrating, England", "implementing, England and Wales"}


# -- the record: one shape per kind of observation, and plain words --------------------------

# What each kind must look like, spelled out here (not read from the code under test); a
# band's shape is an SVG path (a bar through a hollow square).
SHAPES = {"point": "circle", "lower": "triangle-up", "upper": "triangle-down", "input": "diamond"}
COLUMN_NAMES = re.compile(r"\b(low|high|kind|metric|scope|lower|upper|band)\b|_|\.csv")


def _walk(spec):
    """Every dict inside a Vega-Lite spec."""
    if isinstance(spec, dict):
        yield spec
        for value in spec.values():
            yield from _walk(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _walk(value)


def _key_scale(spec: dict, channel: str) -> dict[str, str]:
    """The key's words -> the ``channel`` value (shape, fill) of the record's markers."""
    found = {}
    for node in _walk(spec):
        enc = node.get("encoding", {}).get(channel) if "mark" in node else None
        if isinstance(enc, dict) and enc.get("field") == "key":
            found |= dict(zip(enc["scale"]["domain"], enc["scale"]["range"], strict=True))
    return found


def _one_of_each_kind():
    """One observation of every kind: the record's own, and a made-up count (``point``)."""
    points = observed_points()
    rows = [points[points["kind"] == k].iloc[[0]] for k in OBSERVATION_KINDS if k != "point"]
    made = points[points["kind"] == "band"].iloc[[0]]
    made = made.assign(kind="point", low=made["value"], high=made["value"],
                       key=OBSERVATION_KEYS["point"])
    frame = pd.concat([made, *rows], ignore_index=True)
    return frame.assign(text=[observation_sentence(r) for r in frame.itertuples(index=False)])


def test_each_kind_of_observation_has_its_own_shape_in_the_charts():
    spec = alt.layer(*observation_layers(_one_of_each_kind())).to_dict()
    shapes = _key_scale(spec, "shape")
    by_kind = {k: shapes[OBSERVATION_KEYS[k]] for k in OBSERVATION_KINDS}
    assert {k: v for k, v in by_kind.items() if k != "band"} == SHAPES
    assert by_kind["band"].startswith("M") and len(set(by_kind.values())) == 5
    fills = _key_scale(spec, "fill")
    assert fills[OBSERVATION_KEYS["band"]] == "#ffffff"               # hollow
    assert fills[OBSERVATION_KEYS["input"]] not in ("#000000", "#ffffff")   # grey
    data = spec["datasets"]
    arrows = {}
    for node in _walk(spec):
        mark = node.get("mark")
        if isinstance(mark, dict) and mark["type"] == "rule" and "y2Offset" in mark:
            (kind,) = {row["kind"] for row in data[node["data"]["name"]]}
            arrows[kind] = mark["y2Offset"]
    assert arrows["lower"] < 0 < arrows["upper"]          # at least: up; at most: down
    bars = [node for node in _walk(spec) if isinstance(node.get("mark"), dict)
            and node["mark"]["type"] in ("rule", "tick") and "y2Offset" not in node["mark"]]
    assert all({r["kind"] for r in data[b["data"]["name"]]} == {"band"} for b in bars)
    assert len(bars) == 3                                 # the bar and its two caps
    tips = [n["encoding"]["tooltip"] for n in _walk(spec) if "tooltip" in n.get("encoding", {})]
    assert tips and all(t == [{"field": "text", "title": "the record", "type": "nominal"}]
                        for t in tips)


def test_the_uptake_and_record_charts_key_the_kinds_present(finished):
    result = finished.results()
    spec = uptake_spec(result, "England and Wales")
    shapes = _key_scale(spec, "shape")
    assert list(shapes) == [OBSERVATION_KEYS[k] for k in ("band", "lower", "input")]
    assert shapes[OBSERVATION_KEYS["lower"]] == "triangle-up"
    assert "Published: at least 55 English and Welsh councils" in spec["description"]
    assert _key_scale(uptake_spec(result, "UK"), "shape") == {}     # nothing published
    record = record_spec(result)
    assert list(_key_scale(record, "shape")) == [
        OBSERVATION_KEYS[k] for k in ("band", "lower", "upper", "input")]
    texts = {row["text"] for rows in record["datasets"].values() for row in rows
             if "text" in row}
    assert len(texts) == len(observed_points(named=False))  # every count, no single journey
    assert not any(t.startswith("Published: Hackney") for t in texts)


def test_the_record_in_words_says_each_kind_and_no_column_names():
    for row in _one_of_each_kind().itertuples(index=False):
        sentence = observation_sentence(row)
        assert OBSERVATION_KINDS[row.kind] in sentence
        words = sentence.split(" (source: ")[0]
        assert not COLUMN_NAMES.search(words), words
    o3 = observed_points().set_index("metric").loc["CS_engaged_EW_2022"]
    assert o3["text"].startswith(
        "Published: at least 55 English and Welsh councils engaged with Contextual "
        "Safeguarding by January 2022 (source: CS Local Area Interest Network")
    texts = observed_points()["text"]
    assert texts[observed_points()["kind"] == "input"].str.startswith(
        "A seeded input, not a target: ").all()
    assert any(t.startswith("Published: Hackney integrating Contextual Safeguarding")
               for t in texts)
    for shown in (RECORD_KEY, *OBSERVATION_KEYS.values()):
        assert not COLUMN_NAMES.search(shown), shown
    for word in ("at least", "at most", "between", "seeded"):
        assert word in RECORD_KEY
    assert record_lines("Scotland").startswith("- A seeded input, not a target: 32 Scottish")
    assert "Nothing is published for this area (Wales)" in record_lines("Wales")


def test_the_uptake_png_draws_each_kind_with_its_own_marker(finished, monkeypatch):
    drawn = []
    monkeypatch.setattr(figures, "_export_png", lambda figure: drawn.append(figure) or b"")
    uptake_png(finished.results(), "England")
    (figure,) = drawn
    markers = {}
    for ax in figure.axes:
        for line in ax.get_lines():
            if (line.get_gid() or "").startswith("observation:"):
                markers.setdefault(line.get_gid().split(":")[1], set()).add(line.get_marker())
    assert markers == {"band": {"s"}, "upper": {"v"}}
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert labels[-2:] == [OBSERVATION_KEYS["band"], OBSERVATION_KEYS["upper"]]


def test_journey_story_lists_every_transition_with_reason(finished):
    result = finished.results()
    events = result.events
    mine = events[(events["agent_id"] == "E09000012") & (events["approach"] == "CS")]
    frame = story(result, "E09000012", "CS")
    assert len(frame) == len(mine) > 0
    lines = story_lines(frame)
    assert all(re.match(r"^[A-Z][a-z]{2}-[A-Z][a-z]{2} \d{4}: .+\. Why: .+", line)
               for line in lines)
    conditions = authority_conditions(finished, finished.index_of("E09000012"))
    assert len(conditions) == 104 * 6 * 3                   # from the first step on
    assert conditions["value"].between(0, 1).all()


# -- compare -------------------------------------------------------------------------------


def _ensemble(label: str, crossing: float, seeds: int = 4) -> Ensemble:
    times = 2010.0 + 0.25 * np.arange(1, 105)
    shares = np.zeros((seeds, len(times), 3, 3))
    shares[:, times >= crossing, APPROACHES.index("TS"), 2] = 0.3
    shares[:, :, APPROACHES.index("CS"), 2] = 0.1
    return Ensemble(label=label, command="", seeds=tuple(range(seeds)), times=times,
                    shares=shares, dt=0.25, wall_time=0.0)


def test_difference_in_plain_words():
    a, b = _ensemble("your scenario", 2030.0), _ensemble("historical", 2026.5)
    assert reach_time(a, "TS", "integrating", 0.25) == 2030.0
    sentence = difference_sentence(a, b, "TS", "integrating", 0.25)
    assert sentence.startswith("Under your scenario, TS reaches 25% integrating 3.5 years "
                               "later than under historical (January 2030 against July 2026")
    assert "4 of 4 runs of your scenario" in sentence
    earlier = difference_sentence(b, a, "TS", "integrating", 0.25)
    assert "3.5 years earlier" in earlier
    never = difference_sentence(a, b, "CS", "integrating", 0.25)
    assert never.startswith("Under neither scenario does CS reach 25% integrating")
    assert "In 2030, TS integrating: 30% under your scenario" in share_sentence(
        a, b, "TS", "integrating")


def test_ensembles_are_reproducible_and_differ_by_scenario():
    crisis = run_ensemble(Settings.from_preset("workforce-crisis"), 3, "crisis")
    again = run_ensemble(Settings.from_preset("workforce-crisis"), [0, 1, 2], "crisis")
    np.testing.assert_array_equal(crisis.shares, again.shares)
    base = run_ensemble(Settings(), 3, "historical-calibrated")
    assert crisis.shares.shape == (3, 104, 3, 3)
    early = crisis.times < 2026
    np.testing.assert_array_equal(crisis.shares[:, early], base.shares[:, early])
    assert not np.array_equal(crisis.shares, base.shares)
    frame = comparison_table(crisis, base)
    assert len(frame) == 2 * 3 * 3 * 104
    assert (frame["p05"] <= frame["mean"] + 1e-12).all()
    assert (frame["mean"] <= frame["p95"] + 1e-12).all()
    with pytest.raises(InputError, match="seeds"):
        run_ensemble(Settings(), 0, "none")
    with pytest.raises(InputError, match="austerity_cut"):
        run_ensemble(replace(Settings(), austerity_cut=3.0), 2, "bad")


# -- export ----------------------------------------------------------------------------------


def test_tables_and_pngs(finished):
    made = {name: make() for name, make in run_tables(finished).items()}
    assert set(made) == {"timeseries.csv", "events.csv", "stages.csv", "agents.csv",
                         "indicators.csv", "metrics.csv"}
    header = made["events.csv"].decode().splitlines()[0]
    assert header == "time,agent_id,name,approach,from_stage,to_stage,kind,reason"
    assert len(made["stages.csv"].decode().splitlines()) == 1 + 105 * 212 * 3
    events = events_table(finished.results())
    assert (events.loc[events["agent_id"] == "E09000012", "name"] == "Hackney").all()
    stages = stages_table(finished)
    assert set(stages["stage_name"]) <= {"Not started", "Mobilising", "Designing",
                                          "Developing", "Integrating", "Growing",
                                          "Wider system change"}
    assert csv_bytes(stages.head(2)).decode().startswith("time,agent_id,name,approach,stage")
    for png in (map_png(finished, "TS"), uptake_png(finished.results(), "Wales"),
                journey_png(finished, 0)):
        assert png.startswith(PNG) and len(png) > 20_000


# -- words -----------------------------------------------------------------------------------


def test_dates_and_durations_in_words():
    assert date_label(2018.25) == "April 2018" and date_label(2036.0) == "January 2036"
    assert quarter_label(2018.25) == "Jan-Mar 2018" and quarter_label(2019.0) == "Oct-Dec 2018"
    assert years_words(3.5) == "3.5 years" and years_words(-1.0) == "1 year"
    assert years_words(0.25) == "3 months" and years_words(2.25) == "2.25 years"


# -- launcher --------------------------------------------------------------------------------


def test_launcher_binds_loopback_by_default_and_validates_the_port():
    from sim.cli import build_parser
    args = build_parser().parse_args(["dashboard"])
    assert (args.host, args.port, args.open, args.install_assets) == (
        "127.0.0.1", 8765, False, False)
    assert build_parser().parse_args(["dashboard", "--host", "0.0.0.0", "--port", "9000"]
                                     ).port == 9000
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["dashboard", "--port", "70000"])
    assert exit_.value.code == 2


def test_asset_list_matches_what_solara_requests():
    import solara

    from dashboards.serve import ASSETS
    folders = {asset.folder for asset in ASSETS}
    root = Path(solara.__file__).parent
    template = (root / "server" / "templates" / "solara.html.j2").read_text()
    vue2 = re.search(r"@widgetti/solara-vuetify-app@[\d.]+", template).group(0)
    assert vue2 in folders
    for path, pattern in [("server/templates/solara.html.j2", r"requirejs@[\d.]+"),
                          ("server/settings.py", r"font-awesome@[\d.]+"),
                          ("widgets/vue/vegalite.vue", r"vega@\d+"),
                          ("widgets/vue/vegalite.vue", r"vega-lite@\d+"),
                          ("widgets/vue/vegalite.vue", r"vega-embed@\d+"),
                          ("components/markdown.py", r"mermaid@[\d.]+"),
                          ("components/markdown.py", r"katex@[\d.]+")]:
        assert re.search(pattern, (root / path).read_text()).group(0) in folders
    for asset in ASSETS:    # an exact pin inside the range the page asks for
        assert asset.version.startswith(asset.folder.rsplit("@", 1)[1])


def _fake_registry(tmp_path: Path, files: dict[str, str]):
    """A registry folder (read through file:// URLs) with one tarball per fake asset."""
    import base64
    import hashlib
    import io
    import tarfile

    from dashboards.serve import Asset
    registry = tmp_path / "registry"
    assets = []
    for name, probe in files.items():
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            data = f"// {name}\n".encode()
            info = tarfile.TarInfo(f"package/{probe}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        tarball = buffer.getvalue()
        digest = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        asset = Asset(f"{name}@1", name, "1.0.0", f"sha512-{digest}", probe)
        path = registry / asset.tarball
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tarball)
        assets.append(asset)
    return registry.as_uri(), tuple(assets)


def test_install_assets_fetches_checks_and_unpacks_without_npm(tmp_path, monkeypatch):
    from dashboards import serve as dashboard
    registry, assets = _fake_registry(tmp_path, {"vega": "build/vega.min.js",
                                                 "@scope/app": "dist/app.js"})
    monkeypatch.setattr(dashboard, "ASSETS", assets)
    monkeypatch.setenv("PATH", "")      # no npm
    cache = tmp_path / "cdn"
    assert dashboard.missing_assets(cache) == ["vega@1", "@scope/app@1"]
    assert dashboard.install_assets(cache, registry) == ["vega@1", "@scope/app@1"]
    assert dashboard.missing_assets(cache) == []
    assert (cache / "vega@1" / "build" / "vega.min.js").read_text() == "// vega\n"
    assert (cache / "@scope/app@1" / "dist" / "app.js").is_file()
    assert dashboard.install_assets(cache, registry) == []


def test_install_assets_refuses_a_download_that_does_not_match_its_digest(tmp_path, monkeypatch):
    from dataclasses import replace as changed

    from dashboards import serve as dashboard
    registry, assets = _fake_registry(tmp_path, {"vega": "build/vega.min.js"})
    monkeypatch.setattr(dashboard, "ASSETS", (changed(assets[0], integrity="sha512-AAAA"),))
    with pytest.raises(InputError, match="does not match its pinned sha512 digest"):
        dashboard.install_assets(tmp_path / "cdn", registry)
    assert not (tmp_path / "cdn" / "vega@1").exists()


def test_without_assets_or_cdn_the_page_says_what_to_do(tmp_path, monkeypatch):
    import threading
    import urllib.error
    import urllib.request

    import solara.settings

    from dashboards import serve as dashboard
    monkeypatch.setattr(dashboard, "asset_cache", lambda: tmp_path / "cdn")
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "http://127.0.0.1:9/registry")
    monkeypatch.setattr(solara.settings.assets, "cdn", "http://127.0.0.1:9/cdn/")
    problem = dashboard.ensure_assets()
    assert "cannot be fetched" in problem and "innovate dashboard --install-assets" in problem
    server = dashboard.notice_server("127.0.0.1", 0, problem)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/", timeout=10)
        page = answer.value.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert answer.value.code == 503
    assert "The dashboard cannot open yet" in page and "--install-assets" in page


def test_dashboard_main_installs_assets_and_exits(monkeypatch, capsys, tmp_path):
    from dashboards import serve as dashboard
    monkeypatch.setattr(dashboard, "asset_cache", lambda: tmp_path)
    monkeypatch.setattr(dashboard, "install_assets", lambda: ["vega@5"])
    args = argparse.Namespace(install_assets=True, host="127.0.0.1", port=0, open=False)
    assert dashboard.main(args) == 0
    assert "installed vega@5" in capsys.readouterr().out


def test_a_new_session_shows_the_calibrated_presets_own_levers():
    settings = Session().settings
    assert DEFAULT_PRESET == "historical-calibrated" == Settings().preset
    assert settings == Settings.from_preset("historical-calibrated")
    learning = load_config("historical-calibrated").network.weights.learning
    assert settings.ties == {"border": 1.0, "statistical_neighbours": 1.0, "region": 0.5,
                             "learning": learning}
    assert set(settings.policy) == set(APPROACHES)
    assert all(set(by_nation) == set(NATIONS) for by_nation in settings.policy.values())
    assert json.loads(json.dumps(settings.values()))["levers.start"] == 2026.0


def test_every_public_name_in_the_dashboard_has_a_docstring():
    """Every module, in every subpackage too, and every public function, class, component,
    method and property."""
    import importlib
    import inspect
    import pkgutil

    import dashboards
    missing = [] if dashboards.__doc__ else ["dashboards"]
    modules = [info.name for info in pkgutil.walk_packages(dashboards.__path__, "dashboards.")]
    assert {"dashboards.tabs.map", "dashboards.teaching.lessons"} <= set(modules)
    for module_name in modules:
        module = importlib.import_module(module_name)
        if not module.__doc__:
            missing.append(module.__name__)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if (inspect.isfunction(obj) or inspect.isclass(obj)
                    or type(obj).__name__ == "ComponentFunction") and not obj.__doc__:
                missing.append(f"{module.__name__}.{name}")
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and (inspect.isfunction(member) or isinstance(
                            member, property)) and not inspect.getdoc(member):
                        missing.append(f"{module.__name__}.{name}.{attr}")
    assert not missing, missing


def test_the_preset_menus_name_every_preset_in_plain_words_calibrated_history_first():
    items = preset_items(preset_names())
    assert items[0] == {"text": "What happened (calibrated)", "value": "historical-calibrated"}
    assert sorted(item["value"] for item in items) == sorted(preset_names())
    assert all(item["text"] != item["value"] for item in items), items
    assert preset_items(["mine"]) == [{"text": "mine", "value": "mine"}]   # no words: its name


def test_presets_built_on_the_calibrated_history_draw_from_its_posterior():
    assert preset_posterior("historical") is None
    calibrated = preset_posterior("historical-calibrated")
    assert calibrated is not None and calibrated.name == "historical-calibrated"
    for name in preset_names():
        if name not in ("historical", "historical-calibrated"):
            assert preset_posterior(name) is calibrated, name


# -- compare: paired runs, whole authorities, the decision summary ------------------------------


def _paired(label: str, crossings: list[float], at_2030: list[int], size: int = 15) -> Ensemble:
    """TS engaged reaches 30% at each seed's crossing (never if NaN); ``at_2030`` of ``size``
    authorities integrate TS from 2029 on (odd seeds a little off a whole number)."""
    from dashboards.ensembles import Ensemble as _Ensemble
    times = 2010.0 + 0.25 * np.arange(1, 105)
    shares = np.zeros((len(crossings), len(times), 3, 3))
    for s, (crossing, count) in enumerate(zip(crossings, at_2030, strict=True)):
        shares[s, times >= crossing, APPROACHES.index("TS"), 0] = 0.3
        shares[s, times >= 2029.0, APPROACHES.index("TS"), 2] = (count + 0.3 * (s % 2)) / size
    return _Ensemble(label=label, command="", seeds=tuple(range(len(crossings))), times=times,
                     shares=shares, dt=0.25, wall_time=0.0, size=size)


def test_paired_difference_matches_a_hand_computation():
    from dashboards.ensembles import paired_reach
    d = [0.5, 1.0, 1.5, 2.0, 0.25, 0.0, -0.5, 1.0, 1.25, 3.0]
    a = _paired("scenario A", [2020.0 + x for x in d], [0] * 10)
    b = _paired("scenario B", [2020.0] * 10, [0] * 10)
    paired = paired_reach(a, b, "TS", "engaged", 0.25)
    np.testing.assert_allclose(paired.differences, d)
    # sorted: -0.5 0 0.25 0.5 1 1 1.25 1.5 2 3: the 5th is the middle run, the 1st and 10th
    # hold 90% of them (each a run's own difference, never interpolated)
    assert paired.summary() == (1.0, -0.5, 3.0)
    assert paired.counts() == {"later": 8, "earlier": 1, "same": 1, "neither": 0}
    assert paired.sentence() == (
        "Under scenario A, Transitional Safeguarding reaches 25% of authorities engaged about "
        "1 year later than under scenario B (90% of paired runs: from 6 months earlier to "
        "3 years later; later in 8 of 10 paired runs, earlier in 1, at the same time in 1).")


def test_paired_difference_counts_runs_that_never_get_there_and_not_the_mean():
    from dashboards.ensembles import paired_reach, reach_time
    nan = float("nan")
    a = _paired("scenario A", [2012.0, 2013.0, nan, nan, 2011.0], [0] * 5)
    b = _paired("scenario B", [2011.0, 2011.0, 2012.0, nan, nan], [0] * 5)
    paired = paired_reach(a, b, "TS", "engaged", 0.25)
    assert paired.counts() == {"later": 3, "earlier": 1, "same": 0, "neither": 1}
    assert "later in 3 of 5 paired runs, earlier in 1, neither by" in paired.sentence()
    # the mean curves of both never reach 25% (3 of 5 runs at 30% is 18%): a sentence read
    # off them would say "neither", which hides the paired difference
    assert np.isnan(reach_time(a, "TS", "engaged", 0.25))
    assert np.isnan(reach_time(b, "TS", "engaged", 0.25))
    never = paired_reach(a, b, "CS", "engaged", 0.25)
    assert never.sentence().startswith("Under neither scenario does Contextual Safeguarding "
                                       "reach 25% of authorities engaged by")
    with pytest.raises(InputError, match="same seeds"):
        paired_reach(a, _paired("other", [2011.0] * 4, [0] * 4), "TS", "engaged", 0.25)


def test_paired_counts_are_whole_authorities():
    from dashboards.ensembles import paired_count
    a = _paired("scenario A", [2011.0] * 4, [3, 4, 5, 6])
    b = _paired("scenario B", [2011.0] * 4, [4, 4, 7, 6])
    counted = paired_count(a, b, "TS", "integrating", 2030.0)
    assert counted.a.tolist() == [3, 4, 5, 6] and counted.b.tolist() == [4, 4, 7, 6]
    assert counted.summary() == (-1, -2, 0)        # differences -1 0 -2 0
    sentence = counted.sentence()
    assert sentence == (
        "In 2030, about 1 fewer of the 15 authorities are integrating Transitional "
        "Safeguarding under scenario A than under scenario B (90% of paired runs: from 2 fewer "
        "to as many; fewer in 2 of 4 paired runs, more in 0, as many in 2).")
    assert not re.search(r"\d\.\d", sentence)


def test_a_comparison_in_words_its_link_and_its_decision_summary():
    from dashboards.ensembles import (
        compare_from_query,
        comparison_query,
        paired_sentences,
        scenario_words,
    )
    from dashboards.figures import decision_summary
    mine = replace(Settings(), austerity_cut=0.2, workforce_pressure=1.5)
    assert scenario_words(mine) == (
        "What happened (calibrated): a further budget cut of 20%, social worker turnover, "
        "vacancies and agency use x1.5, changes from 2026")
    assert scenario_words(Settings()).endswith("as the starting point has it")
    other = Settings.from_preset("workforce-crisis")
    query = comparison_query(mine, other, 12)
    assert Settings.from_query(query, page_keys=("tab", "compare", "runs")).overrides() == \
        mine.overrides()
    assert compare_from_query(query) == (other, 12)
    with pytest.raises(InputError, match="runs"):
        compare_from_query("runs=500")
    a = _paired("scenario A", [2012.0, 2013.0, 2014.0], [3, 4, 5])
    b = _paired("scenario B", [2011.0, 2011.0, 2012.0], [4, 4, 7])
    details = paired_sentences(a, b, "engaged", 0.25)
    assert len(details) == 6
    png = decision_summary(a, b, ("A in words", "B in words"), details[2], details[3:],
                           "engaged", 0.25, "http://127.0.0.1/?" + query)
    assert png.startswith(b"\x89PNG")
    pdf = decision_summary(a, b, ("A in words", "B in words"), details[2], details[3:],
                           "engaged", 0.25, "http://127.0.0.1/?" + query, fmt="pdf")
    assert pdf.startswith(b"%PDF")


# -- issue 14: many runs, plain words, typed numbers ---------------------------------------------

def _fake_ensemble(runs: int = 20, steps: int = 8):
    from dashboards.ensembles import Ensemble
    rng = np.random.default_rng(3)
    shares = np.sort(rng.random((runs, steps, 3, 3)), axis=1)
    return Ensemble(label="x", command="", seeds=tuple(range(runs)),
                    times=2010.25 + 0.25 * np.arange(steps), shares=shares, dt=0.25,
                    wall_time=0.0)


def test_ensemble_band_is_the_5_and_95_percent_quantiles_with_the_median_inside():
    from dashboards.uncertainty import band_table
    ensemble = _fake_ensemble()
    bands = band_table(ensemble, 212)
    assert len(bands) == 3 * 3 * 8 and set(bands["runs"]) == {20}
    assert (bands["low"] <= bands["median"]).all() and (bands["median"] <= bands["high"]).all()
    assert (bands["low"] < bands["high"]).any()
    values = ensemble.series("TIP", "implementing") * 212
    rows = bands[(bands["approach"] == "TIP") & (bands["measure"] == "implementing")]
    np.testing.assert_allclose(rows["low"], np.quantile(values, 0.05, axis=0))
    np.testing.assert_allclose(rows["high"], np.quantile(values, 0.95, axis=0))
    np.testing.assert_allclose(rows["median"], np.median(values, axis=0))


def test_the_twenty_runs_chart_draws_the_band_and_the_middle_run():
    from dashboards.charts import uptake_band_spec
    from dashboards.uncertainty import band_table
    ensemble = _fake_ensemble()
    spec = uptake_band_spec(band_table(ensemble, 212), 212, (2010.0, 2012.0))
    rows = spec["datasets"]["bands_CS"]
    assert len(rows) == 3 * 8 and {"median", "low", "high", "what"} <= set(rows[0])
    marks = [layer["mark"]["type"] for panel in spec["hconcat"] for layer in panel["layer"]]
    assert marks.count("area") == 3 and marks.count("line") == 3


def test_one_run_note_says_it_is_one_run():
    from sim.vocabulary import ONE_RUN_NOTE
    assert ONE_RUN_NOTE.startswith("This is one run of the model")
    assert "20 runs" in ONE_RUN_NOTE


def test_typed_numbers_are_checked_and_a_bad_one_is_refused_in_plain_words():
    from dashboards.tabs.controls import parse_typed
    assert parse_typed("20", -0.5, 0.9, 0.05, scale=100) == pytest.approx(0.2)
    assert parse_typed(" 22% ", -0.5, 0.9, 0.05, scale=100) == pytest.approx(0.2)  # nearest
    assert parse_typed("1,5", 0.5, 2.5, 0.05) == pytest.approx(1.5)
    assert parse_typed("2030", 2011, 2035, 1) == 2030
    for bad, words in (("abc", "'abc' is not a number: type a number from -50 to 90"),
                       ("95", "95 is outside the range: type a number from -50 to 90"),
                       ("", "is not a number"), ("nan", "Type a number from -50 to 90")):
        with pytest.raises(ValueError, match=re.escape(words)):
            parse_typed(bad, -0.5, 0.9, 0.05, scale=100)


def test_a_bad_seed_gets_a_plain_message():
    from dashboards.tabs.controls import seed_message
    assert seed_message("12") is None
    assert "not a seed" in seed_message("abc")
    assert "2**63" not in seed_message(str(2**64)) and "at most 19 digits" in seed_message(
        str(2**64))


def test_help_text_keeps_its_capitals_and_the_budget_slider_says_relative_to_what():
    from dashboards.settings import TIE_HELP
    from dashboards.tabs.controls import budget_help, sentence
    assert "English authority" in sentence(TIE_HELP["statistical_neighbours"])
    assert "DfE" in sentence(TIE_HELP["statistical_neighbours"])
    words = budget_help("Austerity deepens from 2026", 0.2)
    assert "cuts budgets by 20%" in words and "whole cut 30%" in words
    assert "on top of the scenario's own path" not in words


def test_exports_have_readable_columns_and_rounded_numbers():
    from dashboards.frames import metric_words, readable, readable_metrics
    assert metric_words("CS.year_engaged_25pct") == (
        "When 25% of UK authorities were engaged with Contextual Safeguarding")
    assert metric_words("patterns.CS_engaged_EW_2017") == (
        "Authorities in England and Wales engaged with Contextual Safeguarding, 2017 "
        "(simulated)")
    result = _finished_result()
    metrics = readable_metrics(result)
    assert list(metrics.columns) == ["What is measured", "Value"]
    assert not any(re.fullmatch(r"[A-Za-z]+\.[a-z_0-9]+", w) for w in metrics["What is measured"]
                   if not w.startswith("patterns."))
    for value in metrics["Value"]:
        if isinstance(value, float):
            assert value == round(value, 2)
    agents = readable(result.agents)
    assert "CS spend (£)" in agents.columns and "Authority" in agents.columns
    assert not [c for c in agents.columns if "_" in c]
    assert (agents["CS spend (£)"] == agents["CS spend (£)"].round(1)).all()
    assert (agents["Open culture"] == agents["Open culture"].round(2)).all()
    assert readable(result.timeseries)["Date (end of quarter)"].iloc[0] == "April 2010"


def _finished_result():
    from dashboards.session import Session
    from dashboards.settings import Settings
    session = Session(Settings.from_preset("historical"))
    session.run()
    return session.results()


def test_share_of_runs_map_colours_and_legend_agree():
    from dashboards.map_data import SHARE_COLORS, share_bin, share_colours, share_legend
    legend = share_legend(20)
    assert [e["label"] for e in legend] == [
        "in none of the 20 runs", "in 1 to 6 runs", "in 7 to 13 runs", "in 14 to 19 runs",
        "in all 20 runs"]
    bins = [share_bin(k / 20) for k in range(21)]
    assert bins == [0] + [1] * 6 + [2] * 7 + [3] * 6 + [4]
    colours = share_colours(np.array([0.0, 0.5, 1.0]), ["a", "b", "c"])
    assert colours == {"a": [SHARE_COLORS[0], False], "b": [SHARE_COLORS[2], False],
                       "c": [SHARE_COLORS[4], False]}


def test_stage_runs_count_the_share_of_runs_at_or_beyond_a_stage():
    from dashboards.settings import Settings
    from dashboards.uncertainty import stage_runs
    runs = stage_runs(Settings.from_preset("historical"), runs=3)
    assert runs.stage.shape[:2] == (3, 105) and runs.seeds == (0, 1, 2)
    share = runs.share_at_or_beyond(104, "CS", 1)
    assert set(np.round(share * 3).astype(int)) <= {0, 1, 2, 3} and share.max() == 1.0
    there = (runs.stage[:, 104, :, 0] >= 3) & ~runs.ended[:, 104, :, 0]
    np.testing.assert_allclose(runs.share_at_or_beyond(104, "CS", 3), there.mean(axis=0))
    assert (runs.share_at_or_beyond(0, "CS", 1) == 0).all()
