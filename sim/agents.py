"""Authorities as Mesa agents: thin views whose attributes read and write the model's arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.vocabulary import APPROACHES, CONDITIONS, NATIONS, STAGES, STATUSES

if TYPE_CHECKING:
    from sim.model import InnovationModel


class Authority(mesa.Agent):
    """One authority responsible for children's social care.

    It stores only its row ``index``; every attribute is read from (and stage and status are
    written to) the structure-of-arrays state of :class:`sim.model.InnovationModel`, so Mesa's
    ``model.agents``, ``AgentSet`` and ``DataCollector`` work on the fast array model.
    """

    model: InnovationModel

    def __init__(self, model: InnovationModel, index: int):
        super().__init__(model)
        self.index = int(index)

    # -- static attributes -----------------------------------------------------------------

    @property
    def agent_id(self) -> str:
        """ONS code (or ``R000001``... in a resampled population)."""
        return str(self.model.population.ids[self.index])

    @property
    def name(self) -> str:
        """Plain name of the authority."""
        return str(self.model.population.names[self.index])

    @property
    def nation(self) -> str:
        """England, Wales, Scotland or Northern Ireland."""
        return NATIONS[self.model.population.nation[self.index]]

    @property
    def region(self) -> str:
        """Region name (the nation outside England)."""
        population = self.model.population
        return population.regions[population.region[self.index]]

    @property
    def child_population(self) -> float:
        """Population aged 0-17."""
        return float(self.model.population.child_population[self.index])

    # -- dynamic attributes ----------------------------------------------------------------

    @property
    def culture(self) -> float:
        """Condition (d), open and reflexive culture, 0-1."""
        return float(self.model.state.culture[self.index])

    @property
    def workforce(self) -> float:
        """Condition (b), workforce capacity, skill and leadership, 0-1 (last step)."""
        return float(self.model.state.workforce[self.index])

    def stage(self, approach: str) -> int:
        """Stage 0-6 of the journey for approach CS, TIP or TS."""
        return int(self.model.state.stage[self.index, APPROACHES.index(approach)])

    def set_stage(self, approach: str, stage: int) -> None:
        """Move the journey to a stage (0-6), e.g. for a what-if in a notebook or teaching."""
        if not 0 <= stage <= 6:
            raise ValueError(f"stage must be 0-6, got {stage}")
        self.model.state.stage[self.index, APPROACHES.index(approach)] = stage

    def status(self, approach: str) -> str:
        """active, paused or ended."""
        return STATUSES[self.model.state.status[self.index, APPROACHES.index(approach)]]

    def set_status(self, approach: str, status: str) -> None:
        """Set the status: active, paused or ended."""
        self.model.state.status[self.index, APPROACHES.index(approach)] = STATUSES.index(status)

    def stage_name(self, approach: str) -> str:
        """Name of the current stage (e.g. 'Developing')."""
        return STAGES[self.stage(approach)]

    def conditions(self, approach: str) -> dict[str, float]:
        """The five conditions and their combination C (readiness) in the last step."""
        a = APPROACHES.index(approach)
        fields = self.model.state.fields
        values = {name: float(fields[k, self.index, a]) for k, name in enumerate(CONDITIONS)}
        values["readiness"] = float(self.model.state.readiness[self.index, a])
        return values

    @property
    def cs_stage(self) -> int:
        """Stage of the Contextual Safeguarding journey."""
        return self.stage("CS")

    @property
    def tip_stage(self) -> int:
        """Stage of the Trauma-Informed Practice journey."""
        return self.stage("TIP")

    @property
    def ts_stage(self) -> int:
        """Stage of the Transitional Safeguarding journey."""
        return self.stage("TS")

    def __repr__(self) -> str:
        stages = ", ".join(f"{a} {self.stage(a)} {self.status(a)}" for a in APPROACHES)
        return f"<Authority {self.agent_id} {self.name}: {stages}>"
