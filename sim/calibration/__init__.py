"""Calibration: fit the priors to the observed patterns by approximate Bayesian computation.

- :mod:`sim.calibration.spec`: the calibration file (parameters, priors, patterns, settings);
- :mod:`sim.calibration.abc`: the simulator, the distance and the seeded sampler;
- :mod:`sim.calibration.report`: posterior summaries, the fit, the figure and the preset text;
- :mod:`sim.calibration.run`: running it and writing its files (``innovate calibrate``).
"""
