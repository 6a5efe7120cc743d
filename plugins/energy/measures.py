"""Proposed measures applied to the energy simulation's building stock (docs/proposals.md).

- new building: joins the stock with its use (an AdV building function), construction year and
  storeys (twin/sim/proposal_inputs.py), so it is classified, heated and gets rooftop PV on its
  flat roof like any other building of its kind and age.
- demolition: the building leaves the stock (its demand, PV and dwellings go).
- green roof: noted, not applied. A green roof's substrate and vegetation lie above the
  waterproofing and are not counted in a roof's thermal transmittance in German practice
  (DIN 4108-2 and DIN EN ISO 6946 count the layers below the waterproofing; the TABULA U-values
  this plugin uses do the same), so the heat demand does not change; its summer cooling is not
  modelled (the plugin has no cooling demand).
- other kinds change no energy input and are listed as not applied.
"""

from __future__ import annotations

from twin.core.data import BuildingData
from twin.core.proposals import ProposalSet
from twin.sim.proposal_inputs import buildings_with_measures, proposals_record

KINDS = ("new_building", "demolition", "green_roof")
REASONS = {"green_roof": "a green roof leaves the roof's U-value as it was (the layers above the "
                         "waterproofing do not count, DIN 4108-2); the energy simulation has no cooling "
                         "demand it could lower"}


def buildings(data: BuildingData, proposals: ProposalSet | None) -> BuildingData:
    """The stock with the demolished buildings gone and the new ones in."""
    return buildings_with_measures(data, proposals)


def record(proposals: ProposalSet) -> dict[str, object]:
    applied = [m.id for kind in ("new_building", "demolition") for m in proposals.of_kind(kind)]
    return proposals_record(proposals, applied, REASONS, "energy")
