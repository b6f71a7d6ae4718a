"""Why each journey moved, in plain words: the reasons of the event log.

Forced events (seeding, a change of director, an inadequate judgement, the end of a funded
programme) carry their reason when they happen. A hazard-driven move is explained afterwards,
from the evidence the journey decided on (:class:`sim.mechanics.state.Evidence`): a prompt by
its largest prompting term; progress and resumption by the strongest condition (or programme
funding); a pause by a workforce crisis when the crisis hazard outweighed loss of momentum,
otherwise, like going back and ending, by the weakest condition.
"""

from __future__ import annotations

import numpy as np

from sim.mechanics.state import Evidence
from sim.vocabulary import CONDITION_WORDS, KINDS

PROMPT_REASONS = ["prompted by national policy", "prompted by peers already using it",
                  "prompted by local need", "re-prompted by its own wider system change"]
FIXED_REASONS = [
    *PROMPT_REASONS,
    "renewal: picked up again after ending",
    "moved on with programme funding",
    "workforce crisis",
    "change of director",
    "change of director: went back a stage",
    "Ofsted inadequate judgement: compliance focus",
    "funded programme ended",
    "funded programme ended with a low budget (poverty trap)",
]
# "{condition}" variants name the weakest condition (setbacks) or the strongest (progress).
VARIANT_REASONS = {
    "progress": "conditions allowed it to move on (strongest: {condition})",
    "resume": "resumed as conditions allowed (strongest: {condition})",
    "pause": "lost momentum (weakest: {condition})",
    "revisit": "went back a stage to rework it (weakest: {condition})",
    "end": "ended (weakest: {condition})",
}
BASE_REASONS: list[str] = FIXED_REASONS + [text.format(condition=word)
                                           for text in VARIANT_REASONS.values()
                                           for word in CONDITION_WORDS]
REASON = {text: i for i, text in enumerate(FIXED_REASONS)}      # code of each fixed reason
KIND = {name: i for i, name in enumerate(KINDS)}                # code of each event kind
_VARIANT = {name: len(FIXED_REASONS) + 5 * k for k, name in enumerate(VARIANT_REASONS)}
_REASON_BASE = np.array([0, _VARIANT["progress"], _VARIANT["pause"], _VARIANT["resume"],
                         _VARIANT["revisit"], _VARIANT["end"],
                         REASON["renewal: picked up again after ending"], 0], np.int16)
_WEAKEST, _STRONGEST = 1, 2
_REASON_VARIANT = np.array([0, _STRONGEST, _WEAKEST, _STRONGEST, _WEAKEST, _WEAKEST, 0, 0],
                           np.int8)


def reason_list(seed_labels: list[str]) -> list[str]:
    """Every reason a run can record: the fixed and variant ones, then its seeding labels."""
    return BASE_REASONS + [label for label in dict.fromkeys(seed_labels)
                           if label not in BASE_REASONS]


def explain(kind: np.ndarray, reason: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """Reason codes of all events: forced events keep theirs; hazard-driven moves (-1) get one.

    ``evidence`` has one row per :class:`Evidence` and one column per event.
    """
    out = reason.astype(np.int16).copy()
    todo = out < 0
    if not todo.any():
        return out
    k, e = kind[todo], evidence[:, todo]
    conditions = e[:Evidence.READINESS]
    variant = _REASON_VARIANT.take(k)
    code = _REASON_BASE.take(k) + np.where(
        variant == _WEAKEST, conditions.argmin(axis=0),
        np.where(variant == _STRONGEST, conditions.argmax(axis=0), 0))
    prompt = k == KIND["prompt"]
    code[prompt] = e[Evidence.POLICY:Evidence.REPROMPT + 1, prompt].argmax(axis=0)
    code[(k == KIND["progress"]) & (e[Evidence.FUNDED] > 0)] = \
        REASON["moved on with programme funding"]
    crisis = e[Evidence.CRISIS] > e[Evidence.MOMENTUM]
    code[(k == KIND["pause"]) & crisis] = REASON["workforce crisis"]
    out[todo] = code
    return out
