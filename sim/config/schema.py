"""The parameter schema: every table of a scenario configuration, with unit and source.

Each parameter is declared with :func:`param`: its unit, the real source of its default (or
"assumption:" and why) and what it means. Defaults live in ``configs/defaults.toml``, so
``innovate params`` and the ODD's parameter table print name, default, unit and source from
this schema. Scenario events (budget knots, policy shifts, network layers, seeded sites,
disruptions, workforce shocks, a hazard time-change) are a discriminated union on ``kind``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.schema import Strict
from sim.vocabulary import NATIONS, Approach, Nation

UK_SIZE = 212      # the real authorities: 153 English, 22 Welsh, 32 Scottish, 5 NI trusts


def param(unit: str, source: str, description: str, **constraints: Any) -> Any:
    """A required schema field documented with its unit and source (default lives in TOML)."""
    return Field(description=description, json_schema_extra={"unit": unit, "source": source},
                 **constraints)


def _fixed_length(name: str, values: list, n: int) -> None:
    if len(values) != n:
        raise ValueError(f"{name} needs exactly {n} values, got {len(values)}")


# ---------------------------------------------------------------------------------------------
# Parameter tables
# ---------------------------------------------------------------------------------------------


class TimeConfig(Strict):
    """Calendar window and step length."""

    start: float = param(
        "year",
        "assumption: 2010 starts before austerity cuts and before CS, TIP or TS spread (ODD 2.7)",
        "Calendar time at the start of the first step.")
    end: float = param(
        "year",
        "assumption: a ten-year projection beyond 2025 (ODD 2.7)",
        "Calendar time at the end of the last step.")
    dt: float = param(
        "year",
        "assumption: quarterly steps, fine enough for dated policy events (ODD 2.7)",
        "Step length.", gt=0, le=1)

    @model_validator(mode="after")
    def _whole_steps(self) -> TimeConfig:
        span = (self.end - self.start) / self.dt
        if self.end <= self.start:
            raise ValueError(f"time.end must be after time.start ({self.start})")
        if abs(span - round(span)) > 1e-6:
            raise ValueError("time.end - time.start must be a whole number of steps of time.dt")
        return self

    @property
    def steps(self) -> int:
        """Number of steps in the run."""
        return round((self.end - self.start) / self.dt)


class PopulationConfig(Strict):
    """Who the agents are."""

    size: int = param(
        "authorities",
        "data/authorities.csv (ONS, DfE): 153 England, 22 Wales, 32 Scotland, 5 NI trusts (ODD "
        "2.1)",
        "Number of agents: 212 is the real UK authorities; any other size resamples them (with "
        "replacement, seeded) and needs a synthetic network.kind.", ge=2, le=2_000_000)
    structure_seed: int | None = Field(
        None, ge=0, lt=2**63,
        description="Seed of the resampled authorities and the synthetic network, the same for "
                    "every run; unset: each run draws its own from its seed.",
        json_schema_extra={"unit": "seed", "source": "model switch: one fixed synthetic "
                           "population and network for all runs (ODD 2.1)"})


class NetworkWeights(Strict):
    """Weight of each tie layer, shared equally among an agent's ties in that layer."""

    border: float = param(
        "weight",
        "assumption: neighbours see each other's practice; same weight as statistical neighbours "
        "(ODD 2.5)",
        "Shared borders (data/adjacency_edges.csv, incl. estuary links) or the synthetic graph's "
        "ties.", ge=0)
    statistical_neighbours: float = param(
        "weight",
        "DfE statistical neighbours (2025); assumption: same weight as borders (ODD 2.5)",
        "DfE statistical neighbours, 2025 vintage (England only; directed: an authority watches "
        "its ten neighbours).", ge=0)
    region: float = param(
        "weight",
        "Berry & Berry 1990 (APSR 84(2)): regional diffusion; assumption: half a border tie (ODD "
        "2.5)",
        "Same region, once a `network` event switches the layer on (regional improvement "
        "alliances, April 2019).", ge=0)
    learning: float = param(
        "weight",
        "assumption: an open network reaches every authority but each hears it as one voice "
        "among its ties; calibrated for CS (experiments/calibration.toml)",
        "Open learning networks of an approach (e.g. the CS Network from 2016, free to every "
        "practitioner): a broadcast, each authority in the nations sees the mean of all of "
        "them; switched on by `network` events with layer = 'learning'.", ge=0)
    cluster: float = param(
        "weight",
        "assumption: members of a peer cluster learn from each other like border neighbours "
        "(CS Local Area Interest Network, Trauma Champions)",
        "Peer clusters of an approach (e.g. the CS Local Area Interest Network from 2020): "
        "ties only between member authorities, those engaged in the approach and not ended; "
        "switched on by `network` events with layer = 'cluster'.", ge=0)


class NetworkConfig(Strict):
    """Ties between agents: the real multiplex UK network or a synthetic graph."""

    kind: Literal["uk", "complete", "ring", "regular", "erdos_renyi", "small_world",
                  "scale_free"] = param(
        "-",
        "model switch for experiments and the reduction tests (ODD 8)",
        "The real UK multiplex network, or a synthetic graph of population.size nodes replacing "
        "the border and statistical-neighbour layers.")
    degree: int = param(
        "ties",
        "assumption: sparse, like the UK border layer (mean degree 4.9) (ODD 8)",
        "Mean degree of a synthetic graph (ring and small_world need it even; scale_free attaches "
        "degree/2 ties per new node).", ge=1)
    rewire: float = param(
        "probability",
        "Watts & Strogatz 1998 (Nature 393); assumption: 0.1, in the small-world range (ODD 8)",
        "Rewiring probability of the small_world graph.", ge=0, le=1)
    weights: NetworkWeights


class MechanismsConfig(Strict):
    """Switches that turn each mechanism off (ODD 8)."""

    macro: bool = param(
        "switch",
        "model switch (ODD 8)",
        "Budget index and policy support; off: both 1.")
    workforce: bool = param(
        "switch",
        "model switch (ODD 8)",
        "Workforce data; off: condition (b) is 1 and no workforce crises.")
    shocks: bool = param(
        "switch",
        "model switch (ODD 8)",
        "Leadership changes, Ofsted inadequate judgements, workforce crises and disruption events "
        "(COVID).")
    synergy: bool = param(
        "switch",
        "model switch (ODD 7.13, 8)",
        "The TIP-CS-TS triad boosts.")
    feedback: bool = param(
        "switch",
        "model switch (ODD 7.14, 8)",
        "Policy feedback and re-prompting from Wider system change.")
    conditions: bool = param(
        "switch",
        "model switch (ODD 8)",
        "The five conditions, the rigidity trap and critical mass; off: every journey hazard "
        "equals its base rate.")
    need: bool = param(
        "switch",
        "model switch (ODD 7.3, 8)",
        "Deprivation-driven need in prompting.")


class StagesConfig(Strict):
    """Stage structure and how visible each stage is to peers."""

    collapsed: bool = param(
        "switch",
        "model switch: the Bass reduction, tests/test_reductions.py (ODD 8)",
        "Adopted / not adopted only: a prompted journey is an adopter, visible with weight 1, and "
        "never moves again.")
    visibility: list[float] = param(
        "weight",
        "assumption: peers visible from Developing, more while spreading (ODD 7.2)",
        "Peer visibility v of stages 0-6 in exposure.")
    paused_visibility: float = param(
        "fraction",
        "assumption: a paused journey is half as visible (ODD 7.2)",
        "Visibility of a paused journey relative to an active one.", ge=0, le=1)

    @model_validator(mode="after")
    def _check(self) -> StagesConfig:
        _fixed_length("stages.visibility", self.visibility, 7)
        if self.visibility[0] != 0 or min(self.visibility) < 0:
            raise ValueError("stages.visibility must start with 0 (not started) and be >= 0")
        return self


class ApproachConfig(Strict):
    """Parameters of one approach."""

    p0: float = param(
        "1/year",
        "Sultan, Farley & Lehmann 1990 (J. Marketing Research 27(1)): mean Bass p 0.03; "
        "assumption: CS, TIP, TS near it",
        "External prompting rate at policy support 1.", ge=0)
    q: float = param(
        "1/year",
        "Sultan, Farley & Lehmann 1990 (J. Marketing Research 27(1)): mean Bass q 0.38; "
        "assumption: CS, TIP, TS 0.25-0.35",
        "Peer prompting rate at full exposure.", ge=0)
    speed: float = param(
        "multiplier",
        "Innovate finding 3 (UKRI GtR ES/T00133X/1): TS slow, iterative; assumption: TIP 1.2, CS "
        "1, TS 0.6",
        "Progression speed m of the approach.", gt=0)
    complexity: float = param(
        "0-1",
        "Innovate finding 3 (UKRI GtR ES/T00133X/1): TS system-wide; assumption: TIP 0.3, CS 0.5, "
        "TS 0.7",
        "Design complexity.", ge=0, le=1)
    policy: float = param(
        "index",
        "assumption: 1 = supportive; presets set it per approach (ODD 7.19, 10)",
        "Policy support before any policy event (1 = supportive; multiplies p0).", ge=0)
    cost_multiplier: float = param(
        "multiplier",
        "Innovate finding 3 (UKRI GtR ES/T00133X/1): CS likely costlier; assumption: the sizes "
        "(ODD 7.16)",
        "Cost relative to the per-stage cost table.", ge=0)
    initial_stage: int = param(
        "stage",
        "model switch: 1 for the Markov-chain reduction, tests/test_reductions.py (ODD 8)",
        "Stage of every journey at the start (0 = not started; 1 for the Markov-chain reduction).",
        ge=0, le=6)


class ApproachesConfig(Strict):
    """One table per approach."""

    CS: ApproachConfig
    TIP: ApproachConfig
    TS: ApproachConfig

    def __getitem__(self, name: str) -> ApproachConfig:
        return getattr(self, name)


class PromptingConfig(Strict):
    """Moving from not started (0) to Mobilising (1), and renewal of ended journeys."""

    need_rate: float = param(
        "1/year",
        "assumption: a small pull from local need, once an approach exists (ODD 7.3)",
        "Prompting from need (deprivation rank 0-1) once an approach exists.", ge=0)
    restart_weight: float = param(
        "fraction",
        "Innovate Project book ch. 3 (renewal in the ecocycle); assumption: half weight (ODD 7.6)",
        "Weight of prompting for an ended journey after its cooldown (renewal).", ge=0, le=1)
    restart_cooldown: float = param(
        "years",
        "Innovate Project book ch. 3 (renewal in the ecocycle); assumption: two years (ODD 7.6)",
        "Time before an ended journey can restart.", ge=0)


class ConditionWeights(Strict):
    """Weights of the five conditions in their geometric mean C."""

    case: float = param(
        "weight",
        "assumption: equal to design (ODD 7.4)",
        "(a) case and buy-in.", ge=0)
    workforce: float = param(
        "weight",
        "Lefevre et al. 2025 (Health Soc Care Community, doi:10.1155/hsc/3599333); assumption: 1.5",
        "(b) workforce capacity, skill and leadership.", ge=0)
    design: float = param(
        "weight",
        "assumption: equal to case (ODD 7.4)",
        "(c) achievable design.", ge=0)
    culture: float = param(
        "weight",
        "Lefevre et al. 2025 (Health Soc Care Community, doi:10.1155/hsc/3599333); assumption: 1.5",
        "(d) open, reflexive culture.", ge=0)
    macro: float = param(
        "weight",
        "Lefevre et al. 2025 (doi:10.1155/hsc/3599333): macro context not binding; assumption: 0.5",
        "(e) benign macro context.", ge=0)

    @model_validator(mode="after")
    def _positive_total(self) -> ConditionWeights:
        if self.case + self.workforce + self.design + self.culture + self.macro <= 0:
            raise ValueError("conditions.weights must not all be 0")
        return self


class ConditionsConfig(Strict):
    """The five conditions of the Innovate Project's finding 1 (ODD 7.4)."""

    weights: ConditionWeights
    case_baseline: float = param(
        "0-1",
        "assumption: a modest case before any evidence (ODD 7.4a)",
        "Case (a) with no exposure, policy or co-production.", ge=0, le=1)
    case_exposure: float = param(
        "per unit exposure",
        "assumption: peers' evidence builds the case fastest (ODD 7.4a)",
        "How fast peers' evidence builds the case.", ge=0)
    case_policy: float = param(
        "per unit policy",
        "assumption: policy builds the case more slowly than peers (ODD 7.4a)",
        "How fast policy support builds the case (no cap: strong policy keeps raising the case, "
        "and through readiness the progression of started journeys).", ge=0)
    case_coproduction: float = param(
        "per unit",
        "assumption: co-production builds the case (ODD 7.4a)",
        "How fast co-production builds the case.", ge=0)
    coproduction_rate: float = param(
        "1/year",
        "Innovate finding 3 (UKRI GtR ES/T00133X/1): co-production emergent; assumption: slow "
        "growth",
        "Growth of co-production while Designing or beyond.", ge=0)
    workforce_reference: float = param(
        "rate",
        "assumption: below 10% turnover, vacancy and agency use costs no capacity (ODD 7.4b)",
        "Turnover, vacancy and agency rate at which they start to cost capacity.", ge=0, le=1)
    workforce_coefficients: list[float] = param(
        "per unit rate",
        "Sebba et al. (DfE Innovation Programme): turnover a main barrier; assumption: 2, 1.5, 1 "
        "(ODD 7.4b)",
        "Capacity lost per unit of turnover, vacancy and agency rate above the reference.")
    workforce_floor: float = param(
        "0-1",
        "assumption: some capacity always remains (ODD 7.4b)",
        "Lowest workforce condition.", ge=0, le=1)
    leadership_factor: float = param(
        "multiplier",
        "Fixsen et al. 2005 (NIRN): stages revisited after leadership change; assumption: halved "
        "(ODD 7.4b)",
        "Workforce condition multiplier in the year after a new director.", ge=0, le=1)
    leadership_window: float = param(
        "years",
        "assumption: a new director's first year (ODD 7.4b)",
        "How long that lasts.", ge=0)
    absorptive_initial: float = param(
        "0-1",
        "assumption: some capacity to take up new practice before any (ODD 7.4c)",
        "Absorptive capacity with nothing integrated yet.", ge=0, le=1)
    absorptive_gain: float = param(
        "per approach",
        "Cohen & Levinthal 1990 (Admin. Sci. Quarterly 35(1)): absorptive capacity; assumption: "
        "0.2",
        "Absorptive capacity gained per approach ever integrated.", ge=0)
    culture_by_grade: list[float] = param(
        "0-1",
        "Ofsted ILACS grades (ofsted_ilacs_latest.csv); assumption: culture from grade (ODD 5)",
        "Initial culture of an English authority graded Outstanding, Good, Requires improvement, "
        "Inadequate.")
    culture_ungraded: dict[Nation, float] = param(
        "0-1",
        "Innovate finding 3: Scotland's policy context sympathetic; assumption: nation values (ODD "
        "5)",
        "Initial culture where there is no Ofsted grade, by nation.")
    culture_shift: float = param(
        "-1 to 1",
        "scenario lever (teaching; ODD 5)",
        "Added to every authority's initial culture (then clipped to 0-1): a more open (positive) "
        "or more closed (negative) culture everywhere.", ge=-1, le=1)
    culture_tip_gain: float = param(
        "1/year",
        "Innovate finding 3 (UKRI GtR ES/T00133X/1): TIP builds trust; assumption: 0.1 a year (ODD "
        "7.15)",
        "Culture growth while TIP is integrated.", ge=0)
    culture_churn_loss: float = param(
        "1/year per 10 points",
        "Sebba et al. (DfE Innovation Programme): staff turnover a barrier; assumption: size (ODD "
        "7.15)",
        "Culture loss per 10 points of turnover above 15%.", ge=0)
    culture_reversion: float = param(
        "1/year",
        "assumption: culture is a slow stock (ODD 7.15)",
        "Pull of culture back to its initial value.", ge=0)
    culture_inadequate_drop: float = param(
        "0-1",
        "assumption: an inadequate judgement turns an authority to compliance (ODD 7.8)",
        "Culture lost at an inadequate judgement.", ge=0, le=1)
    macro_policy_reference: float = param(
        "index",
        "assumption: policy support 1 is enough (ODD 7.4e)",
        "Policy support at which the macro condition (e) is no longer held back by policy.", gt=0)
    deprivation_gain: float = param(
        "per sd",
        "Pro Bono Economics, evidence PSC0076 (Lords): EI cut 53% in poorest areas vs 38%; "
        "assumption: size",
        "Extra budget cut per within-nation standard deviation of deprivation.", ge=0, le=1)

    @model_validator(mode="after")
    def _check(self) -> ConditionsConfig:
        _fixed_length("conditions.workforce_coefficients", self.workforce_coefficients, 3)
        _fixed_length("conditions.culture_by_grade", self.culture_by_grade, 4)
        missing = set(NATIONS) - set(self.culture_ungraded)
        if missing:
            raise ValueError(f"conditions.culture_ungraded needs every nation; missing "
                             f"{sorted(missing)}")
        for value in [*self.culture_by_grade, *self.culture_ungraded.values()]:
            if not 0 <= value <= 1:
                raise ValueError("culture values must lie in [0, 1]")
        return self


class NationWorkforce(Strict):
    """Assumed workforce rates of a nation without per-authority data."""

    turnover: float = param(
        "rate",
        "assumption: no per-authority series outside England (data.md)",
        "Annual turnover rate.", ge=0, le=1)
    vacancy: float = param(
        "rate",
        "assumption: no per-authority series outside England (data.md)",
        "Vacancy rate.", ge=0, le=1)
    agency: float = param(
        "rate",
        "assumption: no per-authority series outside England (data.md)",
        "Agency worker rate.", ge=0, le=1)


class WorkforceConfig(Strict):
    """Workforce data and crises (England: DfE series 2016-2025; other nations: assumptions)."""

    nations: dict[Literal["Wales", "Scotland", "Northern Ireland"], NationWorkforce] = param(
        "rates",
        "assumption: no per-authority series for Wales, Scotland, NI (data.md)",
        "Workforce rates of Wales, Scotland and NI.")
    follow_england_trend: bool = param(
        "switch",
        "DfE Children's social work workforce statistics 2016-2025; assumption: same trend "
        "elsewhere",
        "Scale the other nations' rates by England's year-on-year national trend (2022 trough "
        "everywhere).")
    crisis_threshold: float = param(
        "0-1",
        "assumption: 11-16% of English authorities below it in 2016-2024 (ODD 7.9)",
        "Workforce condition below which an authority is in crisis.", ge=0, le=1)
    crisis_pause_rate: float = param(
        "1/year",
        "Sebba et al. (DfE Innovation Programme): turnover and competing pressures; assumption: "
        "0.4/yr",
        "Pause hazard of every active journey during a workforce crisis.", ge=0)

    @model_validator(mode="after")
    def _check(self) -> WorkforceConfig:
        missing = {"Wales", "Scotland", "Northern Ireland"} - set(self.nations)
        if missing:
            raise ValueError(f"workforce.nations needs {sorted(missing)}")
        return self


class ProgressionConfig(Strict):
    """Moving forward, pausing, resuming, revisiting and ending (ODD 7.5-7.6)."""

    years_per_stage: list[float] = param(
        "years",
        "Hackney 2014-2020 (csnetwork.org.uk); CS Scale-Up; Fixsen et al. 2005 (2-4 years); "
        "assumption: stage means",
        "Mean years in stages 1-5 before moving on, at C = 1 and speed 1.")
    revisit_rate: list[float] = param(
        "1/year",
        "Innovate finding 1 (UKRI GtR ES/T00133X/1): revisiting earlier stages; assumption: rates "
        "(ODD 7.6)",
        "Hazard of going back one stage from stages 1-6 at C = 0 (stage 1 cannot go back).")
    end_rate: list[float] = param(
        "1/year",
        "Innovate Project book ch. 3: momentum lost 'sometimes permanently'; assumption: higher at "
        "stages 1-3",
        "Hazard of ending an active journey at stages 1-6 at C = 0.")
    pause_rate: float = param(
        "1/year",
        "Innovate Project book ch. 3: loss of momentum; assumption: 0.3 a year at C = 0 (ODD 7.6)",
        "Hazard of pausing an active journey at C = 0.", ge=0)
    resume_rate: float = param(
        "1/year",
        "Innovate Project book ch. 3: renewal and re-engagement; assumption: 1 a year (ODD 7.6)",
        "Hazard of resuming a paused journey at C = 1.", ge=0)
    end_paused_rate: float = param(
        "1/year",
        "Innovate finding 1 (UKRI GtR ES/T00133X/1): ending an innovation; assumption: 0.3 a year",
        "Hazard of ending a paused journey at C = 0, before Integrating; from Integrating on a "
        "paused journey ends at its stage's end_rate (embedded practice, in procedures and "
        "commissioning, does not lapse with a pause: Fixsen et al. 2005, NIRN, "
        "sustainability).", ge=0)
    rigidity_culture: float = param(
        "0-1",
        "Holling 2001 (Ecosystems 4): rigidity trap of the adaptive cycle; assumption: 0.4 (ODD "
        "7.11)",
        "Culture below which an Integrating journey is in the rigidity trap.", ge=0, le=1)
    rigidity_factor: float = param(
        "multiplier",
        "Holling 2001 (Ecosystems 4): rigidity trap of the adaptive cycle; assumption: 0.3 (ODD "
        "7.11)",
        "Integrating-to-Growing hazard multiplier in the rigidity trap.", ge=0, le=1)
    funding_boost: float = param(
        "multiplier",
        "DfE Innovation Programme Round 2 evaluation: funding 'fundamental'; assumption: 1.5 (ODD "
        "7.10)",
        "Progression multiplier while a programme funds the journey; a funded journey also "
        "does not pause for loss of momentum (funded posts carry it).", ge=0)

    @model_validator(mode="after")
    def _check(self) -> ProgressionConfig:
        _fixed_length("progression.years_per_stage", self.years_per_stage, 5)
        _fixed_length("progression.revisit_rate", self.revisit_rate, 6)
        _fixed_length("progression.end_rate", self.end_rate, 6)
        if min(self.years_per_stage) <= 0:
            raise ValueError("progression.years_per_stage must all be > 0")
        if min(self.revisit_rate) < 0 or min(self.end_rate) < 0:
            raise ValueError("progression rates must be >= 0")
        if self.revisit_rate[0] != 0:
            raise ValueError("progression.revisit_rate[0] must be 0 (Mobilising has no "
                             "earlier stage)")
        return self


class ShocksConfig(Strict):
    """Leadership changes, Ofsted judgements and the end of funded programmes (ODD 7.7-7.10)."""

    leadership_change_rate: float = param(
        "1/year",
        "assumption: a director's tenure of about four years (ODD 7.7)",
        "Hazard of a change of director.", ge=0)
    leadership_pause_probability: float = param(
        "probability",
        "Fixsen et al. 2005 (NIRN): stages revisited after leadership change; assumption: 0.5",
        "Chance that each active journey pauses at a change.", ge=0, le=1)
    leadership_revisit_probability: float = param(
        "probability",
        "Fixsen et al. 2005 (NIRN): stages revisited after leadership change; assumption: 0.5",
        "Chance that a paused journey at Developing or earlier goes back a stage at a change.",
        ge=0, le=1)
    inadequate_rate: float = param(
        "1/year",
        "Ofsted annual report, Dec 2018: 13% of authorities inadequate; assumption: ~3-year cycle",
        "Hazard of an inadequate judgement (England) at culture 0.5; scales with 2(1 - culture).",
        ge=0)
    inadequate_pause_years: list[float] = param(
        "years",
        "assumption: an inadequate judgement means 1-2 years of compliance focus (ODD 7.8)",
        "Range of the compliance pause after an inadequate judgement.")
    programme_end_pause_probability: float = param(
        "probability",
        "NAO 2022; Public Accounts Committee 2022 (funding cliff); assumption: 0.5 (ODD 7.10)",
        "Chance that a funded journey pauses when its programme ends.", ge=0, le=1)
    poverty_budget: float = param(
        "index",
        "Ecocycle poverty trap (Holling 2001, Ecosystems 4); assumption: budget index 0.4 (ODD "
        "7.10)",
        "Budget index at which the poverty trap starts: when a programme ends, a journey at "
        "Developing or earlier ends (instead of pausing or going on) with probability "
        "(poverty_budget - b) / poverty_budget for an authority with budget index b below it, "
        "graded by the gap rather than a knife edge.", gt=0)

    @model_validator(mode="after")
    def _check(self) -> ShocksConfig:
        _fixed_length("shocks.inadequate_pause_years", self.inadequate_pause_years, 2)
        low, high = self.inadequate_pause_years
        if not 0 <= low <= high:
            raise ValueError("shocks.inadequate_pause_years must be [low, high] with "
                             "0 <= low <= high")
        return self


class SynergyConfig(Strict):
    """The TIP-CS-TS triad (ODD 7.13)."""

    tip_to_cs_ts: float = param(
        "fraction",
        "Innovate finding 3 (UKRI GtR ES/T00133X/1): TIP and CS in tandem; assumption: +25%",
        "Extra progression of CS and TS where TIP is Integrating or beyond.", ge=0)
    cs_to_tip: float = param(
        "fraction",
        "Innovate finding 3 (UKRI GtR ES/T00133X/1): TIP and CS in tandem; assumption: +10%",
        "Extra progression of TIP where CS is Integrating or beyond.", ge=0)


class FeedbackConfig(Strict):
    """Wider system change feeding back into policy (ODD 7.14)."""

    policy_gain: float = param(
        "index per share",
        "Innovate finding 1 (UKRI GtR ES/T00133X/1): re-prompting at stage 6; assumption: size "
        "(ODD 7.14)",
        "Policy support added per share of a nation's authorities at Wider system change.", ge=0)
    reprompt_rate: float = param(
        "1/year",
        "Innovate finding 1 (UKRI GtR ES/T00133X/1): re-prompting at stage 6; assumption: 0.3 a "
        "year",
        "Prompting of an authority's other approaches while one is at Wider system change.", ge=0)


class CostsConfig(Strict):
    """Illustrative costs (ODD 7.16): a model, not evidence."""

    per_stage: list[float] = param(
        "GBP/year per 10,000 children",
        "assumption: illustrative costs, not estimates (ODD 7.16)",
        "Cost of an active journey at stages 1-6.")
    paused_fraction: float = param(
        "fraction",
        "assumption: a paused journey costs a quarter (ODD 7.16)",
        "Cost of a paused journey relative to an active one.", ge=0, le=1)

    @model_validator(mode="after")
    def _check(self) -> CostsConfig:
        _fixed_length("costs.per_stage", self.per_stage, 6)
        if min(self.per_stage) < 0:
            raise ValueError("costs.per_stage must be >= 0")
        return self


class OutcomesConfig(Strict):
    """Lagged outcome index (ODD 7.17; Innovate finding 1: outcomes take longer)."""

    lag_years: float = param(
        "years",
        "Innovate finding 1 (UKRI GtR ES/T00133X/1); Hackney evaluation 2020 ('too soon'); "
        "assumption: 3",
        "Years at Integrating or beyond before outcomes move.", ge=0)
    rise_rate: float = param(
        "1/year",
        "assumption: illustrative (ODD 7.17)",
        "Rise of the outcome index towards 1.", ge=0)
    decay_rate: float = param(
        "1/year",
        "assumption: illustrative (ODD 7.17)",
        "Decay of the outcome index otherwise.", ge=0)


class ChainConfig(Strict):
    """Per-step transition probabilities that replace the progression rates (V10 reduction).

    With the network, macro, shocks and conditions off they are exactly the per-step forward,
    backward and exit probabilities of a Markov chain on stages 1-5 (stage 6 absorbing).
    """

    forward: list[float] = param(
        "probability/step",
        "model switch: Markov-chain reduction (Kemeny & Snell 1960), tests/test_reductions.py (ODD "
        "8)",
        "Stages 1-5 forward.")
    backward: list[float] = param(
        "probability/step",
        "model switch: Markov-chain reduction (Kemeny & Snell 1960), tests/test_reductions.py (ODD "
        "8)",
        "Stages 1-5 back.")
    exit: list[float] = param(
        "probability/step",
        "model switch: Markov-chain reduction (Kemeny & Snell 1960), tests/test_reductions.py (ODD "
        "8)",
        "Stages 1-5 ending.")

    @model_validator(mode="after")
    def _check(self) -> ChainConfig:
        for name in ("forward", "backward", "exit"):
            values = getattr(self, name)
            _fixed_length(f"chain.{name}", values, 5)
            if min(values) < 0:
                raise ValueError(f"chain.{name} must be >= 0")
        for s, total in enumerate(map(sum, zip(self.forward, self.backward, self.exit,
                                               strict=True)), start=1):
            if total >= 1:
                raise ValueError(f"chain probabilities of stage {s} must sum to less than 1")
        if self.backward[0] != 0:
            raise ValueError("chain.backward[0] must be 0 (Mobilising has no earlier stage)")
        return self


class LeversConfig(Strict):
    """Policy levers applied on top of the timeline from ``start`` (ODD 9).

    Each lever multiplies what the timeline says, so 0 cut and multipliers of 1 change nothing.
    The budget and policy levers act through the macro context (off when
    ``mechanisms.macro = false``).
    """

    start: float = param(
        "year",
        "scenario lever (ODD 9)",
        "Year from which the levers apply.")
    austerity_cut: float = param(
        "fraction",
        "scenario lever (ODD 9)",
        "Further cut of every nation's budget index, phased in linearly over austerity_years and "
        "then held (negative = reinvestment).", ge=-1, le=0.9)
    austerity_years: float = param(
        "years",
        "scenario lever (ODD 9)",
        "Years over which the cut is phased in.", gt=0, le=25)
    workforce_pressure: float = param(
        "multiplier",
        "scenario lever (ODD 9)",
        "Turnover, vacancy and agency rates multiplied from start (1 = as the timeline).",
        gt=0, le=5)
    policy: dict[Approach, dict[Nation, float]] = param(
        "multiplier",
        "scenario lever (ODD 9)",
        "Policy support of an approach in a nation multiplied from start (1 = as the timeline; "
        "missing = 1).")

    @model_validator(mode="after")
    def _check(self) -> LeversConfig:
        for approach, by_nation in self.policy.items():
            for nation, value in by_nation.items():
                if not 0 <= value <= 10:
                    raise ValueError(f"levers.policy.{approach}.{nation} must be from 0 to 10, "
                                     f"got {value}")
        return self

    def policy_multiplier(self, approach: str, nation: str) -> float:
        """The policy lever of one approach in one nation (1 when not set)."""
        return self.policy.get(approach, {}).get(nation, 1.0)


# ---------------------------------------------------------------------------------------------
# Scenario events
# ---------------------------------------------------------------------------------------------


class Event(Strict):
    """A dated, editable entry of the scenario timeline."""

    id: str = Field(min_length=1, description="Unique name; a child preset replaces it by id.")
    date: float = Field(description="Decimal year at which the event takes effect.")
    label: str = Field(min_length=1, description="Plain words, used in the event log.")
    source: str = Field("", description="Where the date and value come from.")
    enabled: bool = Field(True, description="false removes the event (counterfactuals).")


class BudgetEvent(Event):
    """A knot of a nation's budget index; the index is linear between knots."""

    kind: Literal["budget"]
    nations: list[Nation] = Field(min_length=1)
    value: float = Field(ge=0, le=2)


class PolicyEvent(Event):
    """A step change of policy support for one approach in some nations."""

    kind: Literal["policy"]
    approach: Approach
    nations: list[Nation] = Field(min_length=1)
    value: float = Field(ge=0)


class NetworkEvent(Event):
    """Switch a tie layer on (or off) for agents of some nations."""

    kind: Literal["network"]
    layer: Literal["region", "learning", "cluster"]
    approach: Approach | None = None
    nations: list[Nation] = Field(min_length=1)
    active: bool = True

    @model_validator(mode="after")
    def _approach_for_learning(self) -> NetworkEvent:
        if (self.layer != "region") != (self.approach is not None):
            raise ValueError("a learning network or a peer cluster needs an approach; a region "
                             "layer has none")
        return self


class PackageEvent(Event):
    """From its date, a packaged, evaluated design speeds up the early stages of an approach.

    ``value`` multiplies the progression hazards out of Mobilising and Designing of every
    journey of the approach in the nations (a toolkit and an evaluation remove design work).
    """

    kind: Literal["package"]
    approach: Approach
    nations: list[Nation] = Field(min_length=1)
    value: float = Field(ge=1, le=10)


class SeedEvent(Event):
    """Named authorities (or whole nations) start or move up a journey, perhaps funded."""

    kind: Literal["seed"]
    approach: Approach
    agents: list[str] = Field(default_factory=list)
    nations: list[Nation] = Field(default_factory=list)
    stage: int = Field(ge=1, le=6)
    funded_until: float | None = None

    @model_validator(mode="after")
    def _who(self) -> SeedEvent:
        if not self.agents and not self.nations:
            raise ValueError("a seed event needs agents or nations")
        if self.funded_until is not None and self.funded_until <= self.date:
            raise ValueError("funded_until must be after date")
        return self


class DisruptionEvent(Event):
    """A period in which progression slows everywhere (e.g. COVID)."""

    kind: Literal["disruption"]
    until: float
    progression: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> DisruptionEvent:
        if self.until <= self.date:
            raise ValueError("until must be after date")
        return self


class HazardScaleEvent(Event):
    """From its date, every hazard of every agent is multiplied by value (a pure time change)."""

    kind: Literal["hazard_scale"]
    value: float = Field(ge=0)


class WorkforceEvent(Event):
    """From its date, multiply workforce rates in some nations (e.g. a workforce crisis)."""

    kind: Literal["workforce"]
    nations: list[Nation] = Field(min_length=1)
    turnover: float = Field(1.0, ge=0)
    vacancy: float = Field(1.0, ge=0)
    agency: float = Field(1.0, ge=0)


AnyEvent = Annotated[
    BudgetEvent | PolicyEvent | NetworkEvent | PackageEvent | SeedEvent | DisruptionEvent
    | HazardScaleEvent | WorkforceEvent,
    Field(discriminator="kind"),
]
EVENT_KINDS = ("budget", "policy", "network", "package", "seed", "disruption", "hazard_scale",
               "workforce")


class Config(Strict):
    """A complete, validated scenario configuration."""

    name: str = Field(min_length=1)
    description: str = ""
    time: TimeConfig
    population: PopulationConfig
    network: NetworkConfig
    mechanisms: MechanismsConfig
    stages: StagesConfig
    approaches: ApproachesConfig
    prompting: PromptingConfig
    conditions: ConditionsConfig
    workforce: WorkforceConfig
    progression: ProgressionConfig
    shocks: ShocksConfig
    synergy: SynergyConfig
    feedback: FeedbackConfig
    costs: CostsConfig
    outcomes: OutcomesConfig
    levers: LeversConfig
    chain: ChainConfig | None = None
    events: list[AnyEvent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Config:
        if self.network.kind == "uk" and self.population.size != UK_SIZE:
            raise ValueError(f"population.size must be {UK_SIZE} with network.kind = 'uk' (the "
                             "real authorities); choose a synthetic network.kind for other sizes")
        if self.network.kind in ("ring", "small_world") and self.network.degree % 2:
            raise ValueError(f"network.degree must be even for network.kind = "
                             f"'{self.network.kind}'")
        if self.network.kind != "uk" and self.network.kind != "complete":
            if self.network.degree >= self.population.size:
                raise ValueError("network.degree must be smaller than population.size")
        if self.network.kind == "regular" and (
                self.network.degree * self.population.size) % 2:
            raise ValueError("network.degree * population.size must be even for a regular graph")
        ids = [e.id for e in self.events]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"events: duplicate id {duplicates[0]!r}")
        return self

    @property
    def active_events(self) -> list:
        """Enabled events in date order."""
        return sorted((e for e in self.events if e.enabled), key=lambda e: e.date)
