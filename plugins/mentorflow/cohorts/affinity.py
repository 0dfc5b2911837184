"""The cohort's affinity setting (``matching.affinity`` in the YAML): whether a participant may ask for a
partner who shares a self-described, consented network or identity, and how much that counts.

- ``off`` (the default): the form does not ask, and stored answers are not used;
- ``soft``: a pair where someone asked and both share the network gets ``weight`` added to its
  ``preferences`` part (capped at 1);
- ``hard``: whoever asked is only paired with someone who shares it.

``networks`` lists spellings the form suggests (for consistency); self-described text is accepted and
compared case- and whitespace-insensitively (:func:`mentorflow.contract.affinity.normalise`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mentorflow.contract.affinity import MAX_NETWORK, normalise

MAX_NETWORKS = 200


class Affinity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    mode: Literal["off", "soft", "hard"] = "off"
    weight: float = Field(0.5, gt=0, le=1, description="soft: added to the pair's preferences part (capped at 1)")
    networks: list[str] = Field(default_factory=list, max_length=MAX_NETWORKS,
                                description="spellings the application form suggests; other text is accepted")

    @field_validator("networks")
    @classmethod
    def _distinct(cls, networks: list[str]) -> list[str]:
        seen: set[str] = set()
        for name in networks:
            key = normalise(name)
            if not key:
                raise ValueError("a network name cannot be blank")
            if len(name) > MAX_NETWORK:
                raise ValueError(f"network {name[:40]!r}… is longer than {MAX_NETWORK} characters")
            if key in seen:
                raise ValueError(f"network {name!r} is listed twice (ignoring case and spaces)")
            seen.add(key)
        return [" ".join(n.split()) for n in networks]

    @property
    def used(self) -> bool:
        return self.mode != "off"
