"""Where to support next: the authorities to fund so that an approach spreads furthest, fairly.

A targeting experiment (:mod:`sim.targeting.spec`) funds a set of authorities from a start year
for some years and scores the set by an objective at a horizon (:mod:`sim.targeting.objective`),
on common random numbers over a set of seeds. Strategies (:mod:`sim.targeting.strategies`)
choose the set by a rule, or by a lazy greedy search (:mod:`sim.targeting.search`);
:mod:`sim.targeting.run` evaluates them, resumably, and :mod:`sim.targeting.report` compares
them with random choice.
"""
